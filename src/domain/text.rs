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

#[cfg(test)]
mod tests {
    use super::sort_key;

    #[test]
    fn accents_case_and_ligatures_do_not_change_the_order() {
        assert_eq!(sort_key("Échecs"), "echecs");
        assert_eq!(sort_key("Cœur de quartier"), "coeur de quartier");
        let mut titles = vec!["Zèbre", "école", "Atelier", "Éducation"];
        titles.sort_by_key(|title| sort_key(title));
        assert_eq!(titles, ["Atelier", "école", "Éducation", "Zèbre"]);
    }
}
