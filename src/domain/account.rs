//! The values an account is made of, parsed at the edge: an e-mail address, a display
//! name, a password strong enough to keep.

use super::input_text::{Lines, check_characters};
use crate::error::AppError;

/// The fewest characters a password may have.
pub const MIN_PASSWORD_CHARS: usize = 12;
/// The most: hashing cost grows with length, and no one types more.
pub const MAX_PASSWORD_CHARS: usize = 128;
const MAX_EMAIL_CHARS: usize = 254;
const MAX_DISPLAY_NAME_CHARS: usize = 100;

/// An e-mail address, trimmed and lower-cased: accounts are found whatever its case.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Email(String);

impl Email {
    pub fn parse(field: &str, value: &str) -> Result<Self, AppError> {
        let email = value.trim().to_lowercase();
        check_characters(field, &email, Lines::One)?;
        let well_formed = email.chars().count() <= MAX_EMAIL_CHARS
            && !email.chars().any(char::is_whitespace)
            && match email.split_once('@') {
                Some((local, domain)) => {
                    !local.is_empty()
                        && !domain.contains('@')
                        && domain.contains('.')
                        && !domain.starts_with('.')
                        && !domain.ends_with('.')
                }
                None => false,
            };
        if well_formed {
            Ok(Self(email))
        } else {
            Err(AppError::bad_input(
                field,
                "expected an e-mail address such as name@example.org",
            ))
        }
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// A display name: not blank, one line, at most 100 characters.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DisplayName(String);

impl DisplayName {
    pub fn parse(field: &str, value: &str) -> Result<Self, AppError> {
        let name = value.trim();
        if name.is_empty() {
            return Err(AppError::bad_input(field, "must not be blank"));
        }
        check_characters(field, name, Lines::One)?;
        if name.chars().count() > MAX_DISPLAY_NAME_CHARS {
            return Err(AppError::bad_input(
                field,
                format!("must be at most {MAX_DISPLAY_NAME_CHARS} characters"),
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

/// A password chosen for an account. Its `Debug` never shows it.
#[derive(Clone, PartialEq, Eq)]
pub struct NewPassword(String);

impl std::fmt::Debug for NewPassword {
    fn fmt(&self, formatter: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        formatter.write_str("NewPassword(***)")
    }
}

impl NewPassword {
    /// A password of 12 to 128 characters that is neither the account's e-mail address nor
    /// one character repeated.
    pub fn parse(field: &str, value: &str, email: &Email) -> Result<Self, AppError> {
        let length = value.chars().count();
        if length < MIN_PASSWORD_CHARS {
            return Err(AppError::bad_input(
                field,
                format!(
                    "too short: use at least {MIN_PASSWORD_CHARS} characters \
                     (a few unrelated words make a strong one)"
                ),
            ));
        }
        if length > MAX_PASSWORD_CHARS {
            return Err(AppError::bad_input(
                field,
                format!("too long: use at most {MAX_PASSWORD_CHARS} characters"),
            ));
        }
        let mut chars = value.chars();
        let first = chars.next();
        if chars.all(|c| Some(c) == first) {
            return Err(AppError::bad_input(
                field,
                "too weak: one character repeated",
            ));
        }
        if value.trim().to_lowercase() == email.as_str()
            || email
                .as_str()
                .split('@')
                .next()
                .is_some_and(|local| value.to_lowercase() == local)
        {
            return Err(AppError::bad_input(
                field,
                "too weak: it must not be the e-mail address",
            ));
        }
        Ok(Self(value.to_owned()))
    }

    pub fn expose(&self) -> &str {
        &self.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn email() -> Email {
        Email::parse("email", "Julie.Martin@Example.org").unwrap()
    }

    #[test]
    fn emails_are_trimmed_and_lower_cased() {
        assert_eq!(email().as_str(), "julie.martin@example.org");
        for bad in [
            "",
            "julie",
            "julie@",
            "@example.org",
            "a b@example.org",
            "a@b@c.fr",
            "a@fr",
        ] {
            assert!(Email::parse("email", bad).is_err(), "{bad} must be refused");
        }
    }

    #[test]
    fn weak_passwords_are_refused_with_the_reason() {
        let refused = |password: &str| match NewPassword::parse("password", password, &email()) {
            Err(AppError::BadInput { message, .. }) => message,
            Ok(_) => panic!("{password} must be refused"),
            Err(other) => panic!("{other:?}"),
        };
        assert!(refused("short").starts_with("too short"));
        assert!(refused("aaaaaaaaaaaaaaaa").contains("repeated"));
        assert!(refused("julie.martin@example.org").contains("e-mail"));
        assert!(refused(&"x1".repeat(65)).starts_with("too long"));
        assert!(NewPassword::parse("password", "quatre mots au hasard", &email()).is_ok());
    }

    #[test]
    fn a_password_never_shows_in_debug_output() {
        let password = NewPassword::parse("password", "quatre mots au hasard", &email()).unwrap();
        assert!(!format!("{password:?}").contains("hasard"));
    }

    #[test]
    fn display_names_are_trimmed_and_bounded() {
        assert_eq!(
            DisplayName::parse("n", "  Julie ").unwrap().as_str(),
            "Julie"
        );
        assert!(DisplayName::parse("n", "   ").is_err());
        assert!(DisplayName::parse("n", &"x".repeat(101)).is_err());
    }
}
