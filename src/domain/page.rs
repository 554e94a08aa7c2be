//! Relay pagination arguments, parsed into the window of rows to read.

use base64::{Engine, engine::general_purpose::URL_SAFE_NO_PAD};

use crate::error::AppError;

/// Items on a page when the caller does not say.
pub const DEFAULT_PAGE_SIZE: u64 = 20;
/// The largest page a caller may ask for.
pub const MAX_PAGE_SIZE: u64 = 100;

const CURSOR_PREFIX: &str = "offset:";

/// The largest offset a cursor may hold: far beyond any list, and within what SQL takes.
const MAX_OFFSET: u64 = i32::MAX as u64;

/// A position in an ordered list, opaque to clients.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Cursor(pub u64);

impl Cursor {
    pub fn encode(self) -> String {
        URL_SAFE_NO_PAD.encode(format!("{CURSOR_PREFIX}{}", self.0))
    }

    pub fn decode(field: &str, value: &str) -> Result<Self, AppError> {
        let invalid = || AppError::bad_input(field, "not a cursor returned by this API");
        let bytes = URL_SAFE_NO_PAD.decode(value).map_err(|_| invalid())?;
        let text = String::from_utf8(bytes).map_err(|_| invalid())?;
        text.strip_prefix(CURSOR_PREFIX)
            .and_then(|offset| offset.parse::<u64>().ok())
            .filter(|offset| *offset <= MAX_OFFSET)
            .map(Self)
            .ok_or_else(invalid)
    }
}

/// The pagination arguments as the client sent them.
#[derive(Debug, Clone, Default)]
pub struct PageArgs {
    pub first: Option<i32>,
    pub after: Option<String>,
    pub last: Option<i32>,
    pub before: Option<String>,
}

/// Which rows to read, once the arguments are validated.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PageRequest {
    /// `first` rows from `offset` (the row after `after`), not past `end` (`before`).
    Forward {
        offset: u64,
        size: u64,
        end: Option<u64>,
    },
    /// `last` rows before `end`; `None` means the end of the list (which needs the count).
    Backward {
        start: u64,
        size: u64,
        end: Option<u64>,
    },
}

impl TryFrom<PageArgs> for PageRequest {
    type Error = AppError;

    fn try_from(args: PageArgs) -> Result<Self, AppError> {
        let size = |field: &str, value: i32| -> Result<u64, AppError> {
            if (1..=MAX_PAGE_SIZE as i32).contains(&value) {
                Ok(value as u64)
            } else {
                Err(AppError::bad_input(
                    field,
                    format!("must be between 1 and {MAX_PAGE_SIZE}, got {value}"),
                ))
            }
        };
        let start = args
            .after
            .as_deref()
            .map(|value| Cursor::decode("after", value))
            .transpose()?
            .map_or(0, |cursor| cursor.0 + 1);
        let end = args
            .before
            .as_deref()
            .map(|value| Cursor::decode("before", value))
            .transpose()?
            .map(|cursor| cursor.0);
        if let Some(end) = end
            && end < start
        {
            return Err(AppError::bad_input(
                "before",
                "the `before` cursor comes before the `after` cursor",
            ));
        }
        match (args.first, args.last) {
            (Some(_), Some(_)) => Err(AppError::bad_input(
                "last",
                "pass either `first` or `last`, not both",
            )),
            (first, None) => Ok(Self::Forward {
                offset: start,
                size: first
                    .map(|value| size("first", value))
                    .transpose()?
                    .unwrap_or(DEFAULT_PAGE_SIZE),
                end,
            }),
            (None, Some(last)) => Ok(Self::Backward {
                start,
                size: size("last", last)?,
                end,
            }),
        }
    }
}

/// The rows of one page, as offset and limit once the total is known where needed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Window {
    pub offset: u64,
    pub limit: u64,
}

impl PageRequest {
    /// Whether the window can only be placed once the total count is known.
    pub fn needs_total(&self) -> bool {
        matches!(self, Self::Backward { end: None, .. })
    }

    /// The rows to read; `total` is required when [`Self::needs_total`].
    pub fn window(&self, total: Option<u64>) -> Window {
        match *self {
            Self::Forward { offset, size, end } => Window {
                offset,
                limit: end.map_or(size, |end| size.min(end.saturating_sub(offset))),
            },
            Self::Backward { start, size, end } => {
                let end = end.or(total).unwrap_or(start).max(start);
                let offset = end.saturating_sub(size).max(start);
                Window {
                    offset,
                    limit: end - offset,
                }
            }
        }
    }

    /// Whether rows may exist after the window (for `hasNextPage`), given whether one more
    /// row than the window was found.
    pub fn has_next_page(&self, found_extra_row: bool) -> bool {
        match *self {
            Self::Forward { .. } => found_extra_row,
            Self::Backward { end, .. } => end.is_some(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn request(first: Option<i32>, after: Option<u64>, last: Option<i32>) -> PageRequest {
        PageRequest::try_from(PageArgs {
            first,
            after: after.map(|offset| Cursor(offset).encode()),
            last,
            before: None,
        })
        .unwrap()
    }

    #[test]
    fn a_page_holds_between_one_and_a_hundred_items() {
        for size in [0, -1, 101, 1000] {
            let error = PageRequest::try_from(PageArgs {
                first: Some(size),
                ..Default::default()
            })
            .unwrap_err();
            assert_eq!(error.code(), "BAD_USER_INPUT");
        }
        assert_eq!(request(Some(100), None, None).window(None).limit, 100);
        assert_eq!(request(None, None, None).window(None).limit, 20);
    }

    #[test]
    fn after_a_cursor_the_page_starts_on_the_next_row() {
        assert_eq!(
            request(Some(5), Some(9), None).window(None),
            Window {
                offset: 10,
                limit: 5
            }
        );
    }

    #[test]
    fn last_counts_back_from_the_end() {
        let page = request(None, None, Some(3));
        assert!(page.needs_total());
        assert_eq!(
            page.window(Some(10)),
            Window {
                offset: 7,
                limit: 3
            }
        );
        assert_eq!(
            page.window(Some(2)),
            Window {
                offset: 0,
                limit: 2
            }
        );
    }

    #[test]
    fn a_cursor_that_was_not_issued_is_refused() {
        let forged = |text: &str| URL_SAFE_NO_PAD.encode(text);
        for bad in [
            "".to_owned(),
            "bm90IGEgY3Vyc29y".to_owned(),
            "%%%".to_owned(),
            forged("offset:18446744073709551615"),
            forged("offset:9223372036854775808"),
            forged("offset:-1"),
        ] {
            assert!(Cursor::decode("after", &bad).is_err(), "{bad}");
        }
        assert_eq!(
            Cursor::decode("after", &Cursor(42).encode()).unwrap(),
            Cursor(42)
        );
    }
}
