//! French full-text search, decided once in Rust so that SQLite and PostgreSQL find exactly
//! the same initiatives: both engines only ever see the terms computed here.
//!
//! A text becomes terms in four steps:
//! 1. words are the runs of letters and digits: hyphens, apostrophes and every other symbol
//!    separate them (« petit-déjeuner » is two words, « l'AFEV » is « l » and « AFEV »);
//! 2. each word is folded: compatibility decomposition (NFKD), accents removed, lower case,
//!    « œ » and « æ » spelt out;
//! 3. elisions (« l' », « d' », « qu' »...), one-letter words and French stop words are
//!    dropped;
//! 4. what is left is stemmed with the Snowball French stemmer, so that singular and plural
//!    (« masque », « masques »), and most inflections, give the same term.

use std::{collections::HashSet, sync::LazyLock};

use rust_stemmers::{Algorithm, Stemmer};
use unicode_normalization::{UnicodeNormalization, char::is_combining_mark};

use crate::error::AppError;

/// The longest search accepted, in characters.
pub const MAX_SEARCH_CHARS: usize = 200;

static FRENCH: LazyLock<Stemmer> = LazyLock::new(|| Stemmer::create(Algorithm::French));

/// French words too common to tell initiatives apart, folded (no accents): the Snowball
/// French stop list, with the elided forms.
const STOP_WORDS: &[&str] = &[
    "ai", "aie", "aient", "aies", "ait", "as", "au", "aura", "aurai", "auraient", "aurais",
    "aurait", "auras", "aurez", "auriez", "aurions", "aurons", "auront", "aux", "avaient", "avais",
    "avait", "avec", "avez", "aviez", "avions", "avons", "ayant", "ayante", "ayantes", "ayants",
    "ayez", "ayons", "ce", "ceci", "cela", "ces", "cet", "cette", "dans", "de", "des", "du",
    "elle", "elles", "en", "es", "est", "et", "etaient", "etais", "etait", "etant", "etante",
    "etantes", "etants", "ete", "etee", "etees", "etes", "etiez", "etions", "eu", "eue", "eues",
    "eumes", "eurent", "eus", "eusse", "eussent", "eusses", "eussiez", "eussions", "eut", "eutes",
    "eux", "fumes", "furent", "fus", "fusse", "fussent", "fusses", "fussiez", "fussions", "fut",
    "futes", "il", "ils", "je", "la", "le", "les", "leur", "leurs", "lui", "ma", "mais", "me",
    "meme", "mes", "moi", "mon", "ne", "nos", "notre", "nous", "on", "ont", "ou", "par", "pas",
    "pour", "qu", "que", "qui", "sa", "se", "sera", "serai", "seraient", "serais", "serait",
    "seras", "serez", "seriez", "serions", "serons", "seront", "ses", "soient", "sois", "soit",
    "sommes", "son", "sont", "soyez", "soyons", "suis", "sur", "ta", "te", "tes", "toi", "ton",
    "tu", "un", "une", "vos", "votre", "vous", "jusqu", "lorsqu", "puisqu", "quoiqu",
];

static STOP: LazyLock<HashSet<&'static str>> =
    LazyLock::new(|| STOP_WORDS.iter().copied().collect());

/// A word of a text: where it is (byte range) and the term it gives, if any.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Word {
    pub start: usize,
    pub end: usize,
    /// `None` for a stop word, an elision or a one-letter word.
    pub term: Option<String>,
}

/// Lower case, accents removed, ligatures spelt out; only letters and digits are kept.
fn fold(word: &str) -> String {
    let mut folded = String::with_capacity(word.len());
    for c in word.nfkd().filter(|c| !is_combining_mark(*c)) {
        for lower in c.to_lowercase() {
            match lower {
                'œ' => folded.push_str("oe"),
                'æ' => folded.push_str("ae"),
                'ß' => folded.push_str("ss"),
                c if c.is_alphanumeric() => folded.push(c),
                _ => {}
            }
        }
    }
    folded
}

/// Longer words are not words (pasted codes, links without separators): they are not
/// indexed, and the engines' limits on a term's length are never met.
const MAX_WORD_CHARS: usize = 64;

/// The term of one word, or `None` when the word carries no meaning on its own.
fn term(word: &str) -> Option<String> {
    let folded = fold(word);
    let length = folded.chars().count();
    if !(2..=MAX_WORD_CHARS).contains(&length) || STOP.contains(folded.as_str()) {
        return None;
    }
    Some(FRENCH.stem(singular(&folded)).into_owned())
}

/// The folded word without its plural mark and, for a past participle, without its feminine
/// mark, so that the stemmer, which does not always remove them (« petits » and « petit »
/// would stem apart, and so would « ciblées » and « ciblé » once folded), sees every form
/// alike.
fn singular(word: &str) -> &str {
    if word.chars().count() <= 3 {
        return word;
    }
    let mut word = word;
    if let Some(stem) = word.strip_suffix('s')
        && !stem.ends_with('s')
    {
        word = stem;
    } else if word.ends_with("eux") || word.ends_with("eaux") {
        word = &word[..word.len() - 1];
    }
    if word.ends_with("ee") {
        word = &word[..word.len() - 1];
    }
    word
}

fn is_word_char(c: char) -> bool {
    c.is_alphanumeric() || is_combining_mark(c)
}

/// Every word of `text`, in order, with its term.
pub fn words(text: &str) -> Vec<Word> {
    let mut words = Vec::new();
    let mut start = None;
    for (index, c) in text.char_indices().chain([(text.len(), ' ')]) {
        match (start, is_word_char(c)) {
            (None, true) => start = Some(index),
            (Some(from), false) => {
                words.push(Word {
                    start: from,
                    end: index,
                    term: term(&text[from..index]),
                });
                start = None;
            }
            _ => {}
        }
    }
    words
}

/// The terms of `text`, in order, repeats kept (positions matter for phrases).
pub fn terms(text: &str) -> Vec<String> {
    words(text)
        .into_iter()
        .filter_map(|word| word.term)
        .collect()
}

/// What the index holds for one initiative: the terms of its title, and those of its
/// summary, description, outcomes and continuation in that order, [`TEXT_BREAK`] between two.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SearchDocument {
    pub title: Vec<String>,
    pub body: Vec<String>,
}

/// Put between two texts of a body so that a phrase never spans them: a one-character
/// term, which no search holds.
pub const TEXT_BREAK: &str = "0";

impl SearchDocument {
    pub fn new(title: &str, body: &[Option<&str>]) -> Self {
        let mut terms_of_body: Vec<String> = Vec::new();
        for text in body.iter().flatten() {
            let terms = terms(text);
            if terms.is_empty() {
                continue;
            }
            if !terms_of_body.is_empty() {
                terms_of_body.push(TEXT_BREAK.to_owned());
            }
            terms_of_body.extend(terms);
        }
        Self {
            title: terms(title),
            body: terms_of_body,
        }
    }
}

/// One criterion of a search: a term, or terms that must follow each other.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum Clause {
    Term(String),
    Phrase(Vec<String>),
}

impl Clause {
    fn of(terms: Vec<String>) -> Option<Self> {
        match terms.len() {
            0 => None,
            1 => terms.into_iter().next().map(Self::Term),
            _ => Some(Self::Phrase(terms)),
        }
    }

    pub fn terms(&self) -> &[String] {
        match self {
            Self::Term(term) => std::slice::from_ref(term),
            Self::Phrase(terms) => terms,
        }
    }
}

/// A parsed search: every clause must match. No clause at all (a search of stop words or
/// symbols only) matches nothing.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Search {
    pub clauses: Vec<Clause>,
}

impl Search {
    /// Parses what a user typed. Blank means no search (`None`). Words separated by spaces
    /// must all match; a "quoted phrase" and a hyphenated or elided compound
    /// (`petit-dejeuner`) must match as consecutive words. Longer than
    /// [`MAX_SEARCH_CHARS`] is refused, naming `field`.
    pub fn parse(field: &str, text: &str) -> Result<Option<Self>, AppError> {
        let text = text.trim();
        if text.is_empty() {
            return Ok(None);
        }
        let length = text.chars().count();
        if length > MAX_SEARCH_CHARS {
            return Err(AppError::bad_input(
                field,
                format!("a search holds at most {MAX_SEARCH_CHARS} characters, got {length}"),
            ));
        }
        let mut clauses = Vec::new();
        for (index, part) in text.split('"').enumerate() {
            let quoted = index % 2 == 1;
            if quoted {
                clauses.extend(Clause::of(terms(part)));
            } else {
                clauses.extend(part.split_whitespace().filter_map(|c| Clause::of(terms(c))));
            }
        }
        let mut seen = HashSet::new();
        clauses.retain(|clause| seen.insert(clause.clone()));
        Ok(Some(Self { clauses }))
    }

    /// Whether the search can match anything.
    pub fn is_void(&self) -> bool {
        self.clauses.is_empty()
    }

    /// Every term the search looks for.
    pub fn terms(&self) -> HashSet<&str> {
        self.clauses
            .iter()
            .flat_map(|clause| clause.terms())
            .map(String::as_str)
            .collect()
    }
}

/// The marker put before each matched word of a snippet.
pub const MARK_START: &str = "<mark>";
/// The marker put after each matched word of a snippet.
pub const MARK_END: &str = "</mark>";
/// Words shown around the matches in a snippet of a long text.
const SNIPPET_WORDS: usize = 24;

fn escape_html(text: &str, into: &mut String) {
    for c in text.chars() {
        match c {
            '&' => into.push_str("&amp;"),
            '<' => into.push_str("&lt;"),
            '>' => into.push_str("&gt;"),
            '"' => into.push_str("&quot;"),
            '\'' => into.push_str("&#39;"),
            c => into.push(c),
        }
    }
}

/// Markdown emphasis and headings, and line breaks, do not belong in a one-line excerpt.
fn plain(text: &str) -> String {
    text.split_whitespace()
        .map(|word| word.trim_matches(|c| c == '*' || c == '#' || c == '_'))
        .filter(|word| !word.is_empty() && *word != "-")
        .collect::<Vec<_>>()
        .join(" ")
}

/// An excerpt of the first of `texts` that holds the most of the search's terms, HTML
/// escaped, each matched word between [`MARK_START`] and [`MARK_END`], cut to about
/// [`SNIPPET_WORDS`] words around the matches with « … » where it is cut. `None` when no text
/// holds any of the terms.
pub fn snippet(texts: &[Option<&str>], search: &Search) -> Option<String> {
    let wanted = search.terms();
    let mut best: Option<(usize, String, Vec<Word>)> = None;
    for text in texts.iter().flatten() {
        let text = plain(text);
        let words = words(&text);
        let found: HashSet<&str> = words
            .iter()
            .filter_map(|word| word.term.as_deref())
            .filter(|term| wanted.contains(term))
            .collect();
        if !found.is_empty() && best.as_ref().is_none_or(|(count, ..)| found.len() > *count) {
            best = Some((found.len(), text.clone(), words));
        }
    }
    let (_, text, words) = best?;
    let matched = |word: &Word| word.term.as_deref().is_some_and(|t| wanted.contains(t));
    // The window of words holding the most distinct terms; the first such window wins.
    let (mut from, mut to) = (0, words.len());
    if words.len() > SNIPPET_WORDS {
        let mut best_count = 0;
        for start in 0..=words.len() - SNIPPET_WORDS {
            let count = words[start..start + SNIPPET_WORDS]
                .iter()
                .filter(|word| matched(word))
                .filter_map(|word| word.term.as_deref())
                .collect::<HashSet<_>>()
                .len();
            if count > best_count {
                best_count = count;
                from = start;
            }
        }
        // Start a little before the first match, so it reads in context.
        let first = words[from..]
            .iter()
            .position(matched)
            .map_or(from, |offset| from + offset);
        from = first
            .saturating_sub(4)
            .max(from)
            .min(words.len() - SNIPPET_WORDS);
        to = from + SNIPPET_WORDS;
    }
    let start = if from == 0 { 0 } else { words[from].start };
    let end = if to == words.len() {
        text.len()
    } else {
        words[to - 1].end
    };
    let mut excerpt = String::with_capacity(end - start + 32);
    if start > 0 {
        excerpt.push('…');
    }
    let mut position = start;
    for word in &words[from..to] {
        if matched(word) {
            escape_html(&text[position..word.start], &mut excerpt);
            excerpt.push_str(MARK_START);
            escape_html(&text[word.start..word.end], &mut excerpt);
            excerpt.push_str(MARK_END);
            position = word.end;
        }
    }
    escape_html(&text[position..end], &mut excerpt);
    if end < text.len() {
        excerpt.push('…');
    }
    Some(excerpt)
}

/// What similarity compares: the distinct terms of a title and of the rest of a text.
#[derive(Debug, Clone, Default)]
pub struct TermSets {
    pub title: HashSet<String>,
    pub body: HashSet<String>,
}

impl TermSets {
    pub fn new(title: &str, body: &str) -> Self {
        let title: HashSet<String> = terms(title).into_iter().collect();
        let body = terms(body)
            .into_iter()
            .filter(|term| !title.contains(term))
            .collect();
        Self { title, body }
    }

    /// The sets of terms already computed, as the index stores them (separated by spaces).
    pub fn from_terms(title: &str, body: &str) -> Self {
        let title: HashSet<String> = title.split_whitespace().map(str::to_owned).collect();
        let body = body
            .split_whitespace()
            .filter(|term| *term != TEXT_BREAK && !title.contains(*term))
            .map(str::to_owned)
            .collect();
        Self { title, body }
    }

    pub fn all(&self) -> impl Iterator<Item = &String> {
        self.title.iter().chain(&self.body)
    }

    pub fn is_empty(&self) -> bool {
        self.title.is_empty() && self.body.is_empty()
    }
}

/// The longest draft title compared, in characters.
pub const MAX_DRAFT_TITLE_CHARS: usize = 300;
/// The longest draft summary compared, in characters.
pub const MAX_DRAFT_SUMMARY_CHARS: usize = 2_000;
/// Similar initiatives returned when the caller does not say.
pub const DEFAULT_SIMILAR: usize = 5;
/// The most similar initiatives a caller may ask for.
pub const MAX_SIMILAR: usize = 20;

/// A draft initiative to compare with the catalogue, and how many look-alikes to return.
#[derive(Debug, Clone)]
pub struct Draft {
    pub terms: TermSets,
    pub limit: usize,
}

impl Draft {
    pub fn parse(title: &str, summary: Option<&str>, first: Option<i32>) -> Result<Self, AppError> {
        let too_long = |field: &str, text: &str, max: usize| {
            let length = text.chars().count();
            if length > max {
                Err(AppError::bad_input(
                    field,
                    format!("at most {max} characters, got {length}"),
                ))
            } else {
                Ok(())
            }
        };
        too_long("title", title, MAX_DRAFT_TITLE_CHARS)?;
        too_long(
            "summary",
            summary.unwrap_or_default(),
            MAX_DRAFT_SUMMARY_CHARS,
        )?;
        let limit = match first {
            None => DEFAULT_SIMILAR,
            Some(first) if (1..=MAX_SIMILAR as i32).contains(&first) => first as usize,
            Some(first) => {
                return Err(AppError::bad_input(
                    "first",
                    format!("must be between 1 and {MAX_SIMILAR}, got {first}"),
                ));
            }
        };
        Ok(Self {
            terms: TermSets::new(title, summary.unwrap_or_default()),
            limit,
        })
    }
}

/// How close an existing initiative is to a draft, from 0 to 1: 90 % for the draft's terms
/// found in it (a draft title term counts twice; a term found in the initiative's title
/// counts fully, one found only in its text counts half), 10 % for being on the same area.
pub fn similarity(draft: &TermSets, existing: &TermSets, same_area: bool) -> f64 {
    let weight = |term: &String, draft_weight: f64| {
        let found = if existing.title.contains(term) {
            1.0
        } else if existing.body.contains(term) {
            0.5
        } else {
            0.0
        };
        (found * draft_weight, draft_weight)
    };
    let (found, total) = draft
        .title
        .iter()
        .map(|term| weight(term, 2.0))
        .chain(draft.body.iter().map(|term| weight(term, 1.0)))
        .fold((0.0, 0.0), |(f, t), (found, total)| (f + found, t + total));
    let overlap = if total > 0.0 { found / total } else { 0.0 };
    0.9 * overlap + if same_area { 0.1 } else { 0.0 }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(text: &str) -> Option<Search> {
        Search::parse("search", text).unwrap()
    }

    #[test]
    fn case_accents_and_number_do_not_change_a_term() {
        assert_eq!(terms("Échecs"), terms("echecs"));
        assert_eq!(terms("club d'échecs"), terms("CLUB D'ECHEC"));
        assert_eq!(terms("masque"), terms("Masques"));
        assert_eq!(terms("ordinateur"), terms("ordinateurs"));
        assert_eq!(terms("petit-dejeuner"), terms("Petits-déjeuners"));
        assert_eq!(terms("cœur"), terms("coeur"));
        for (one, many) in [
            ("petit", "petits"),
            ("déjeuner", "déjeuners"),
            ("famille", "familles"),
            ("enfant", "enfants"),
            ("collégien", "collégiens"),
            ("association", "associations"),
            ("tablette", "tablettes"),
            ("panier", "paniers"),
            ("solidaire", "solidaires"),
            ("jeune", "jeunes"),
            ("bureau", "bureaux"),
            ("jeu", "jeux"),
            ("local", "locaux"),
            ("journal", "journaux"),
            ("actif", "actifs"),
            ("active", "actives"),
            ("élève", "élèves"),
            ("intervention", "interventions"),
            ("quartier", "quartiers"),
            ("producteur", "producteurs"),
            ("ciblé", "ciblées"),
            ("ciblée", "ciblés"),
            ("créé", "créées"),
            ("lycée", "lycées"),
            ("journée", "journées"),
        ] {
            assert_eq!(terms(one), terms(many), "{one} / {many}");
        }
    }

    #[test]
    fn elisions_and_stop_words_are_dropped() {
        assert_eq!(terms("l'AFEV"), terms("AFEV"));
        assert_eq!(
            terms("le la les de des du et à qu'il"),
            Vec::<String>::new()
        );
        assert_eq!(terms("Confection de masques").len(), 2);
    }

    #[test]
    fn an_overlong_word_is_not_a_term() {
        assert!(terms(&"x".repeat(5_000)).is_empty());
        assert_eq!(
            terms(&format!("{} masques", "y".repeat(65))),
            terms("masques")
        );
    }

    #[test]
    fn blank_is_no_search_and_stop_words_alone_match_nothing() {
        assert_eq!(parse("   "), None);
        assert!(parse("les des ? !").unwrap().is_void());
    }

    #[test]
    fn quotes_and_compounds_make_phrases() {
        let search = parse(r#"club "mode virtuel" petit-dejeuner l'AFEV"#).unwrap();
        assert_eq!(search.clauses.len(), 4);
        assert!(matches!(&search.clauses[0], Clause::Term(_)));
        assert!(matches!(&search.clauses[1], Clause::Phrase(t) if t.len() == 2));
        assert!(matches!(&search.clauses[2], Clause::Phrase(t) if t.len() == 2));
        assert!(matches!(&search.clauses[3], Clause::Term(_)));
    }

    #[test]
    fn a_search_longer_than_the_limit_is_refused_naming_the_field() {
        let error = Search::parse("filter.search", &"a".repeat(10_000)).unwrap_err();
        assert_eq!(error.code(), "BAD_USER_INPUT");
        assert!(error.public_message().starts_with("filter.search"));
        assert!(Search::parse("s", &"é".repeat(MAX_SEARCH_CHARS)).is_ok());
    }

    #[test]
    fn a_snippet_marks_the_matched_words_and_escapes_the_rest() {
        let search = parse("masque").unwrap();
        let snippet = snippet(&[Some("Des <b>masques</b> & du « tissu »")], &search).unwrap();
        assert_eq!(
            snippet,
            "Des &lt;b&gt;<mark>masques</mark>&lt;/b&gt; &amp; du « tissu »"
        );
    }

    #[test]
    fn a_long_text_is_cut_around_its_matches() {
        let long = format!(
            "{} un club d'échecs {}",
            "mot ".repeat(50),
            "fin ".repeat(50)
        );
        let search = parse("echecs").unwrap();
        let snippet = snippet(&[Some(&long)], &search).unwrap();
        assert!(
            snippet.starts_with('…') && snippet.ends_with('…'),
            "{snippet}"
        );
        assert!(snippet.contains("<mark>échecs</mark>"), "{snippet}");
        assert!(snippet.split_whitespace().count() <= SNIPPET_WORDS + 1);
    }

    #[test]
    fn the_text_with_the_most_terms_gives_the_snippet() {
        let search = parse("paniers solidaires").unwrap();
        let snippet = snippet(
            &[Some("Des paniers."), Some("Des paniers solidaires."), None],
            &search,
        )
        .unwrap();
        assert_eq!(snippet, "Des <mark>paniers</mark> <mark>solidaires</mark>.");
        assert_eq!(super::snippet(&[Some("rien")], &search), None);
    }

    #[test]
    fn a_near_duplicate_is_closer_than_a_text_sharing_one_word() {
        let draft = TermSets::new("Fabrication de masques en tissu", "");
        let twin = TermSets::new("Confection de masques", "tissu");
        let far = TermSets::new("Paniers solidaires", "des masques aussi");
        assert!(similarity(&draft, &twin, false) > similarity(&draft, &far, false));
        assert!(similarity(&draft, &far, true) > similarity(&draft, &far, false));
        assert!(similarity(&draft, &twin, true) <= 1.0);
    }
}
