//! Duplicates decided once: two initiatives decided not to be the same action, or one
//! merged into the other.

use uuid::Uuid;

use super::input_text::{Lines, check_characters};
use crate::error::AppError;

const MAX_COMMENT_CHARS: usize = 5000;

/// A pair of initiatives, the same whichever order it was given in: stored once.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Pair {
    pub low: Uuid,
    pub high: Uuid,
}

impl Pair {
    /// The pair of `a` and `b`; BAD_USER_INPUT on `field` (the second one) when they are
    /// the same initiative.
    pub fn new(field: &str, a: Uuid, b: Uuid) -> Result<Self, AppError> {
        if a == b {
            return Err(AppError::bad_input(
                field,
                "names the same initiative twice: an initiative is never its own duplicate",
            ));
        }
        Ok(Self {
            low: a.min(b),
            high: a.max(b),
        })
    }
}

/// Why a pair was decided, or two initiatives merged: trimmed (blank is none), at most
/// 5,000 characters.
pub fn comment(field: &str, comment: Option<&str>) -> Result<Option<String>, AppError> {
    let Some(text) = comment.map(str::trim).filter(|text| !text.is_empty()) else {
        return Ok(None);
    };
    if text.chars().count() > MAX_COMMENT_CHARS {
        return Err(AppError::bad_input(
            field,
            format!("must be at most {MAX_COMMENT_CHARS} characters"),
        ));
    }
    check_characters(field, text, Lines::Many)?;
    Ok(Some(text.to_owned()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_pair_is_the_same_in_either_order() {
        let (a, b) = (Uuid::now_v7(), Uuid::now_v7());
        assert_eq!(Pair::new("b", a, b).unwrap(), Pair::new("b", b, a).unwrap());
        assert!(Pair::new("b", a, b).unwrap().low < Pair::new("b", a, b).unwrap().high);
    }

    #[test]
    fn an_initiative_is_never_paired_with_itself() {
        let a = Uuid::now_v7();
        assert!(Pair::new("b", a, a).is_err());
    }

    #[test]
    fn a_blank_comment_is_none() {
        assert_eq!(comment("comment", Some("  ")).unwrap(), None);
        assert_eq!(
            comment("comment", Some(" same name, other town ")).unwrap(),
            Some("same name, other town".to_owned())
        );
        assert!(comment("comment", Some(&"x".repeat(5001))).is_err());
    }
}
