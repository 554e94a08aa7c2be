//! Finding personal data in contributed texts: e-mail addresses and French phone numbers.
//! The catalogue is public and the people it talks about never gave their consent, so
//! moderators are warned before they approve; the finding does not block a submission.

use std::sync::LazyLock;

use regex::Regex;

/// What kind of personal data was found.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PersonalDataKind {
    Email,
    Phone,
}

/// Personal data found in one field of a contribution.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PersonalDataFinding {
    /// The field, as the API names it (`description`, `body`, ...).
    pub field: &'static str,
    pub kind: PersonalDataKind,
    /// The text found, for the moderator to locate it.
    pub excerpt: String,
}

static EMAIL: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"[A-Za-z0-9._%+-]+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)*\.[A-Za-z]{2,}")
        .expect("a valid pattern")
});

/// National (`03 87 12 34 56`, `0387123456`) and international (`+33 3 87 12 34 56`,
/// `+33 (0)3…`, `0033…`) forms, grouped by spaces, dots or dashes. Digits around the match
/// must not continue it (a longer number is not a phone number).
static PHONE: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(
        r"(?:^|[^\d+])((?:\+33|0033)[ .\-]?(?:\(0\)[ .\-]?)?[1-9](?:[ .\-]?\d{2}){4}|0[1-9](?:[ .\-]?\d{2}){4})(?:$|\D)",
    )
    .expect("a valid pattern")
});

/// The personal data in `text`, found in `field`.
pub fn scan(field: &'static str, text: &str) -> Vec<PersonalDataFinding> {
    let emails = EMAIL.find_iter(text).map(|found| PersonalDataFinding {
        field,
        kind: PersonalDataKind::Email,
        excerpt: found.as_str().to_owned(),
    });
    let phones = PHONE
        .captures_iter(text)
        .filter_map(|captures| captures.get(1))
        .map(|found| PersonalDataFinding {
            field,
            kind: PersonalDataKind::Phone,
            excerpt: found.as_str().to_owned(),
        });
    emails.chain(phones).collect()
}

/// The personal data in several fields.
pub fn scan_fields<'a>(
    fields: impl IntoIterator<Item = (&'static str, Option<&'a str>)>,
) -> Vec<PersonalDataFinding> {
    fields
        .into_iter()
        .filter_map(|(field, text)| text.map(|text| scan(field, text)))
        .flatten()
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn found(text: &str) -> Vec<(PersonalDataKind, String)> {
        scan("description", text)
            .into_iter()
            .map(|finding| (finding.kind, finding.excerpt))
            .collect()
    }

    #[test]
    fn finds_email_addresses() {
        assert_eq!(
            found("Écrire à marie.dupont@exemple.fr pour s'inscrire."),
            [(
                PersonalDataKind::Email,
                "marie.dupont@exemple.fr".to_owned()
            )]
        );
    }

    #[test]
    fn finds_french_phone_numbers_in_every_usual_form() {
        for phone in [
            "03 87 12 34 56",
            "03.87.12.34.56",
            "03-87-12-34-56",
            "0387123456",
            "06 12 34 56 78",
            "+33 3 87 12 34 56",
            "+33387123456",
            "+33 (0)3 87 12 34 56",
            "0033 3 87 12 34 56",
        ] {
            let text = format!("Contact : {phone}, le soir.");
            assert_eq!(
                found(&text),
                [(PersonalDataKind::Phone, phone.to_owned())],
                "{phone}"
            );
        }
    }

    #[test]
    fn dates_years_codes_and_counts_are_not_phone_numbers() {
        for text in [
            "Depuis le 14/05/2020, 150 familles.",
            "Code INSEE 57463, SIREN 200039865.",
            "En 2020 et 2021, 1 200 repas.",
            "Numéro 033871234567 trop long.",
        ] {
            assert!(found(text).is_empty(), "{text}: {:?}", found(text));
        }
    }
}
