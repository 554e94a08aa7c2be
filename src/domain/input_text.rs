//! The one policy for text entering Communs, from the API or from a file: which characters
//! a string may hold, and how long it may be.
//!
//! PostgreSQL refuses NUL in text, and control characters or right-to-left overrides in a
//! stored name would reach every terminal and page that shows it. Every string is refused
//! (never silently changed) when it holds NUL, a C0 control other than tab, line feed and
//! carriage return, DEL, a C1 control, or a bidirectional override or isolate
//! (U+202A–U+202E, U+2066–U+2069). Values that are one line (titles, names, codes, e-mail
//! addresses) refuse tab and line breaks too; long texts (summaries, descriptions, bodies,
//! comments, agendas) keep them.

use crate::error::AppError;

/// How long a free-text filter (`search`, `nameContains`) may be.
pub const MAX_FILTER_CHARS: usize = 200;
/// How long an identifier (an `ID`, a slug, an official code, a cursor) may be.
pub const MAX_IDENTIFIER_CHARS: usize = 100;
/// How long any other string may be: the longest text a newtype accepts. Each newtype has
/// its own, often smaller, limit.
pub const MAX_STRING_CHARS: usize = 20_000;

/// Whether a text may span lines.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Lines {
    /// A title, a name, a code: no tab, no line break.
    One,
    /// A summary, a description, a body: tab, LF and CR allowed.
    Many,
}

/// The first character `text` may not hold, and why; `None` when it is acceptable.
pub fn refused_character(text: &str, lines: Lines) -> Option<(char, &'static str)> {
    text.chars().find_map(|c| {
        let reason = match c {
            '\0' => "NUL",
            '\t' | '\n' | '\r' if lines == Lines::Many => return None,
            '\t' | '\n' | '\r' => "a tab or line break (this value is one line)",
            '\u{1}'..='\u{1f}' | '\u{7f}' => "a control character",
            '\u{80}'..='\u{9f}' => "a control character",
            '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}' => {
                "a bidirectional override (U+202A–U+202E, U+2066–U+2069)"
            }
            _ => return None,
        };
        Some((c, reason))
    })
}

/// A message saying why `text` is refused, if it is.
pub fn character_problem(text: &str, lines: Lines) -> Option<String> {
    refused_character(text, lines)
        .map(|(c, reason)| format!("must not contain {reason} (U+{:04X})", u32::from(c)))
}

/// Refuses `text` for `field` when it holds a character the policy refuses.
pub fn check_characters(field: &str, text: &str, lines: Lines) -> Result<(), AppError> {
    match character_problem(text, lines) {
        Some(message) => Err(AppError::bad_input(field, message)),
        None => Ok(()),
    }
}

/// Refuses `text` for `field` when it is over `max` characters.
pub fn check_length(field: &str, text: &str, max: usize) -> Result<(), AppError> {
    // Counting stops past the limit: a huge string costs no more than a long one.
    if text.chars().take(max + 1).count() > max {
        return Err(AppError::bad_input(
            field,
            format!("must be at most {max} characters"),
        ));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ordinary_text_in_any_script_is_accepted() {
        for text in [
            "Épicerie solidaire",
            "مرحبا",
            "日本語",
            "emoji 😀",
            "a\u{a0}b",
            "",
        ] {
            assert_eq!(refused_character(text, Lines::One), None, "{text}");
        }
    }

    #[test]
    fn nul_controls_and_bidirectional_overrides_are_refused_everywhere() {
        for text in [
            "a\0b",
            "\u{1b}[31mred",
            "bell\u{7}",
            "del\u{7f}",
            "c1\u{85}",
            "c1\u{9b}",
            "evil\u{202e}txt.exe",
            "\u{2066}isolate",
            "\u{2069}",
        ] {
            assert!(refused_character(text, Lines::Many).is_some(), "{text:?}");
            assert!(refused_character(text, Lines::One).is_some(), "{text:?}");
        }
    }

    #[test]
    fn tab_and_line_breaks_are_for_texts_of_many_lines_only() {
        for text in ["a\tb", "a\nb", "a\r\nb"] {
            assert_eq!(refused_character(text, Lines::Many), None);
            assert!(refused_character(text, Lines::One).is_some());
        }
    }

    #[test]
    fn refusals_name_the_field_and_the_character() {
        match check_characters("input.title", "a\0", Lines::One) {
            Err(AppError::BadInput { field, message }) => {
                assert_eq!(field, "input.title");
                assert!(message.contains("U+0000"), "{message}");
            }
            other => panic!("{other:?}"),
        }
        assert!(check_length("q", &"é".repeat(200), MAX_FILTER_CHARS).is_ok());
        assert!(check_length("q", &"é".repeat(201), MAX_FILTER_CHARS).is_err());
    }
}
