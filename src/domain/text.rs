//! Text folding, so that ordering (and later, search) treats « École » and « ecole » alike
//! on every backend, whatever its collation.

use unicode_normalization::{UnicodeNormalization, char::is_combining_mark};

/// Lower case, accents removed, ligatures spelt out: the key titles are sorted by.
pub fn sort_key(text: &str) -> String {
    text.nfd()
        .filter(|c| !is_combining_mark(*c))
        .flat_map(char::to_lowercase)
        .fold(String::with_capacity(text.len()), |mut key, c| {
            match c {
                'œ' => key.push_str("oe"),
                'æ' => key.push_str("ae"),
                _ => key.push(c),
            }
            key
        })
}

/// The key people are sorted by: family name, then given name.
pub fn person_sort_key(family_name: &str, given_name: &str) -> String {
    sort_key(&format!("{family_name} {given_name}"))
}

/// The longest slug generated from a name.
const MAX_SLUG_CHARS: usize = 80;

/// A URL-friendly name: folded like [`sort_key`], words joined by dashes
/// (« Petits-déjeuners livrés » → `petits-dejeuners-livres`). Never empty.
pub fn slugify(name: &str) -> String {
    let folded = sort_key(name);
    let mut slug = String::with_capacity(folded.len());
    for word in folded.split(|c: char| !c.is_ascii_alphanumeric()) {
        if word.is_empty() {
            continue;
        }
        if slug.len() + word.len() + 1 > MAX_SLUG_CHARS && !slug.is_empty() {
            break;
        }
        if !slug.is_empty() {
            slug.push('-');
        }
        slug.push_str(word);
    }
    slug.truncate(MAX_SLUG_CHARS);
    if slug.is_empty() {
        slug.push_str("sans-titre");
    }
    slug
}

#[cfg(test)]
mod tests {
    use super::{slugify, sort_key};

    #[test]
    fn slugs_are_folded_words_joined_by_dashes() {
        assert_eq!(
            slugify("Petits-déjeuners livrés !"),
            "petits-dejeuners-livres"
        );
        assert_eq!(
            slugify("Club d'échecs — en ligne"),
            "club-d-echecs-en-ligne"
        );
        assert_eq!(slugify("« ? »"), "sans-titre");
        assert!(slugify(&"mot ".repeat(100)).len() <= 80);
    }

    #[test]
    fn accents_case_and_ligatures_do_not_change_the_order() {
        assert_eq!(sort_key("Échecs"), "echecs");
        assert_eq!(sort_key("Cœur de quartier"), "coeur de quartier");
        let mut titles = vec!["Zèbre", "école", "Atelier", "Éducation"];
        titles.sort_by_key(|title| sort_key(title));
        assert_eq!(titles, ["Atelier", "école", "Éducation", "Zèbre"]);
    }
}
