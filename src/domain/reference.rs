//! The values reference data is made of, parsed at the edge: names, slugs, official codes
//! per kind of territory, SIREN numbers, web addresses, phone numbers and date ranges.

use chrono::NaiveDate;
use entity::enums::TerritoryKind;

use super::{
    input_text::{Lines, check_characters},
    text::sort_key,
};
use crate::error::AppError;

const MAX_NAME_CHARS: usize = 200;
const MAX_SLUG_CHARS: usize = 80;
const MAX_URL_CHARS: usize = 2048;

/// A name or title: trimmed, not blank, one line, at most 200 characters.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Name(String);

impl Name {
    pub fn parse(field: &str, value: &str) -> Result<Self, AppError> {
        let name = value.trim();
        if name.is_empty() {
            return Err(AppError::bad_input(field, "must not be blank"));
        }
        check_characters(field, name, Lines::One)?;
        if name.chars().count() > MAX_NAME_CHARS {
            return Err(AppError::bad_input(
                field,
                format!("must be at most {MAX_NAME_CHARS} characters"),
            ));
        }
        Ok(Self(name.to_owned()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    pub fn into_inner(self) -> String {
        self.0
    }
}

/// The slug a name gives: folded (no accents, lower case), words joined by `-`, at most 80
/// characters; `item` when nothing is left. Uniqueness is the store's business (it adds
/// `-2`, `-3`… when taken).
pub fn slug_from(name: &str) -> String {
    let folded = sort_key(name);
    let mut slug = String::with_capacity(folded.len());
    for c in folded.chars() {
        if c.is_ascii_alphanumeric() {
            slug.push(c);
        } else if !slug.is_empty() && !slug.ends_with('-') {
            slug.push('-');
        }
    }
    let mut slug: String = slug
        .trim_end_matches('-')
        .chars()
        .take(MAX_SLUG_CHARS)
        .collect();
    while slug.ends_with('-') {
        slug.pop();
    }
    if slug.is_empty() {
        "item".to_owned()
    } else {
        slug
    }
}

/// An official code in the format of its kind of territory:
/// - REGION: two digits (INSEE, e.g. `44`);
/// - DEPARTMENT: two digits, `2A`/`2B`, or three digits for overseas (`971`…`976`);
/// - MUNICIPALITY: five characters, the department's then three digits (`57463`, `2A004`,
///   `97101`);
/// - INTERCOMMUNALITY: a SIREN number, nine digits with a valid check digit (`200039865`);
/// - PRIORITY_NEIGHBOURHOOD: a QPV code, `QP` or `QN` then six or seven letters or digits
///   (`QN05701M`);
/// - OTHER: any code up to 32 characters.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OfficialCode(String);

fn all_digits(text: &str) -> bool {
    !text.is_empty() && text.bytes().all(|b| b.is_ascii_digit())
}

fn is_department_code(code: &str) -> bool {
    match code.len() {
        2 => all_digits(code) || code == "2A" || code == "2B",
        3 => all_digits(code) && code.starts_with("97"),
        _ => false,
    }
}

/// Whether `digits` pass the Luhn check, as SIREN numbers do.
fn luhn(digits: &str) -> bool {
    let sum: u32 = digits
        .bytes()
        .rev()
        .enumerate()
        .map(|(index, b)| {
            let digit = u32::from(b - b'0');
            if index % 2 == 1 {
                let doubled = digit * 2;
                if doubled > 9 { doubled - 9 } else { doubled }
            } else {
                digit
            }
        })
        .sum();
    sum.is_multiple_of(10)
}

impl OfficialCode {
    pub fn parse(field: &str, kind: TerritoryKind, value: &str) -> Result<Self, AppError> {
        let code = value.trim().to_uppercase();
        let (valid, expected) = match kind {
            TerritoryKind::Region => (code.len() == 2 && all_digits(&code), "two digits"),
            TerritoryKind::Department => (
                is_department_code(&code),
                "two digits, 2A, 2B, or three digits for overseas departments",
            ),
            TerritoryKind::Municipality => (
                code.len() == 5
                    && code.is_ascii()
                    && all_digits(&code[2..])
                    && (is_department_code(&code[..2]) || code.starts_with("97")),
                "a five-character INSEE code such as 57463 or 2A004",
            ),
            TerritoryKind::Intercommunality => (
                code.len() == 9 && all_digits(&code) && luhn(&code),
                "a nine-digit SIREN number with a valid check digit",
            ),
            TerritoryKind::PriorityNeighbourhood => (
                (code.starts_with("QP") || code.starts_with("QN"))
                    && (8..=9).contains(&code.len())
                    && code.bytes().all(|b| b.is_ascii_alphanumeric()),
                "a QPV code such as QN05701M",
            ),
            TerritoryKind::Other => (
                !code.is_empty() && code.chars().count() <= 32,
                "at most 32 characters",
            ),
        };
        if valid {
            Ok(Self(code))
        } else {
            Err(AppError::bad_input(
                field,
                format!("not a {} code: expected {expected}", kind.as_str()),
            ))
        }
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// A SIREN number: nine digits with a valid check digit (spaces allowed on input).
pub fn parse_siren(field: &str, value: &str) -> Result<String, AppError> {
    let digits: String = value.chars().filter(|c| !c.is_whitespace()).collect();
    OfficialCode::parse(field, TerritoryKind::Intercommunality, &digits)
        .map(|code| code.0)
        .map_err(|_| AppError::bad_input(field, "expected a nine-digit SIREN number"))
}

/// A web address: `http://` or `https://`, a host, no spaces.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WebUrl(String);

impl WebUrl {
    pub fn parse(field: &str, value: &str) -> Result<Self, AppError> {
        let url = value.trim();
        let rest = url
            .strip_prefix("https://")
            .or_else(|| url.strip_prefix("http://"));
        let host = rest.map(|rest| rest.split(['/', '?', '#']).next().unwrap_or_default());
        let valid = url.chars().count() <= MAX_URL_CHARS
            && !url.chars().any(char::is_whitespace)
            && host.is_some_and(|host| !host.is_empty() && !host.starts_with(['.', ':']));
        if valid {
            Ok(Self(url.to_owned()))
        } else {
            Err(AppError::bad_input(
                field,
                "expected an http(s) address such as https://example.org",
            ))
        }
    }

    pub fn into_inner(self) -> String {
        self.0
    }
}

/// A phone number: digits with the usual separators (spaces, dots, dashes, parentheses)
/// and an optional leading `+`; 6 to 15 digits.
pub fn parse_phone(field: &str, value: &str) -> Result<String, AppError> {
    let phone = value.trim();
    let digits = phone.chars().filter(char::is_ascii_digit).count();
    let allowed = phone
        .char_indices()
        .all(|(index, c)| c.is_ascii_digit() || " .-()".contains(c) || (c == '+' && index == 0));
    if allowed && (6..=15).contains(&digits) {
        Ok(phone.to_owned())
    } else {
        Err(AppError::bad_input(
            field,
            "expected a phone number such as 03 87 00 00 00 or +33 3 87 00 00 00",
        ))
    }
}

/// Refuses a period that ends before it starts; `field` names the end.
pub fn check_period(
    field: &str,
    start: Option<NaiveDate>,
    end: Option<NaiveDate>,
) -> Result<(), AppError> {
    match (start, end) {
        (Some(start), Some(end)) if end < start => Err(AppError::bad_input(
            field,
            "must not be before the start date",
        )),
        _ => Ok(()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn slugs_are_folded_words_joined_by_dashes() {
        assert_eq!(slug_from("Châlons-en-Champagne"), "chalons-en-champagne");
        assert_eq!(slug_from("  CAF du Bas-Rhin (67) "), "caf-du-bas-rhin-67");
        assert_eq!(slug_from("Cœur d'Île"), "coeur-d-ile");
        assert_eq!(slug_from("!!!"), "item");
    }

    #[test]
    fn official_codes_follow_their_kind() {
        use TerritoryKind::*;
        for (kind, code) in [
            (Region, "44"),
            (Department, "57"),
            (Department, "2A"),
            (Department, "974"),
            (Municipality, "57463"),
            (Municipality, "2B033"),
            (Municipality, "97411"),
            (Intercommunality, "200039865"),
            (PriorityNeighbourhood, "QN05701M"),
            (PriorityNeighbourhood, "QP057001"),
        ] {
            assert!(OfficialCode::parse("code", kind, code).is_ok(), "{code}");
        }
        for (kind, code) in [
            (Region, "4"),
            (Department, "2C"),
            (Municipality, "5746"),
            (Municipality, "574630"),
            (Municipality, "AB123"),
            (Intercommunality, "200039866"),
            (Intercommunality, "20003986"),
            (PriorityNeighbourhood, "57463"),
        ] {
            let error = OfficialCode::parse("code", kind, code).unwrap_err();
            assert_eq!(error.code(), "BAD_USER_INPUT", "{code}");
        }
    }

    #[test]
    fn only_http_addresses_are_web_addresses() {
        assert!(WebUrl::parse("w", "https://www.metz.fr/quartiers").is_ok());
        assert!(WebUrl::parse("w", "http://afev.org").is_ok());
        for bad in [
            "ftp://x.org",
            "javascript:alert(1)",
            "https://",
            "https://a b.fr",
            "metz.fr",
        ] {
            assert!(WebUrl::parse("w", bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn phones_and_periods() {
        assert!(parse_phone("p", "+33 3 87 00 00 00").is_ok());
        assert!(parse_phone("p", "03.87.00.00.00").is_ok());
        assert!(parse_phone("p", "appelez-moi").is_err());
        let day = |text: &str| text.parse::<NaiveDate>().ok();
        assert!(check_period("e", day("2020-03-17"), day("2020-05-11")).is_ok());
        assert!(check_period("e", day("2020-05-11"), day("2020-03-17")).is_err());
    }
}
