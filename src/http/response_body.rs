//! The body of an answer, written within `MAX_RESPONSE_BYTES`.
//!
//! The limits on a query bound what it may ask for, not what the data holds: a page of long
//! texts, or whatever a limit does not foresee, can still answer megabytes. The answer is
//! written into a buffer that refuses to grow past the cap, so that writing stops as soon
//! as it is over, and the client gets `RESPONSE_TOO_LARGE` instead of the whole text.

use std::io;

use axum::{
    http::{StatusCode, header},
    response::{IntoResponse, Response as HttpResponse},
};
use serde::Serialize;
use serde_json::json;

use super::{
    error_answer::{ErrorAnswer, error},
    graphql_endpoint::Outcome,
    negotiation::MediaType,
};

/// An answer that could not be written.
#[derive(Debug)]
pub enum Unwritten {
    /// It is over `max` bytes.
    TooLarge { max: usize },
    /// It is not JSON (a bug: logged, shown as a generic error).
    Failed,
}

/// `value` as JSON, if it fits in `max` bytes.
pub fn write_within(value: &impl Serialize, max: usize) -> Result<Vec<u8>, Unwritten> {
    let mut writer = CappedWriter {
        bytes: Vec::new(),
        max,
    };
    match serde_json::to_writer(&mut writer, value) {
        Ok(()) => Ok(writer.bytes),
        Err(error) if error.is_io() => Err(Unwritten::TooLarge { max }),
        Err(error) => {
            tracing::error!(%error, "an answer could not be written as JSON");
            Err(Unwritten::Failed)
        }
    }
}

impl Unwritten {
    /// The error the client reads instead of the answer: a 200 with `data: null`, as for an
    /// execution error (the query was valid and ran), in either media type.
    pub fn respond(&self, request_id: &str, media: MediaType) -> HttpResponse {
        let (code, message, max) = match self {
            Self::TooLarge { max } => {
                tracing::warn!(max, "an answer over MAX_RESPONSE_BYTES was not sent");
                (
                    "RESPONSE_TOO_LARGE",
                    format!(
                        "the answer is larger than {max} bytes: ask for less \
                         (smaller pages, fewer fields or aliases)"
                    ),
                    Some(*max),
                )
            }
            Self::Failed => (
                "INTERNAL_SERVER_ERROR",
                "internal server error".to_owned(),
                None,
            ),
        };
        let outcome = Outcome(code.to_owned());
        let mut extensions = vec![("code", json!(code))];
        if let Some(max) = max {
            extensions.push(("max", json!(max)));
        }
        extensions.push(("requestId", json!(request_id)));
        let errors = [error(message, extensions)];
        let body = serde_json::to_string(&ErrorAnswer::failed(&errors)).unwrap_or_default();
        let mut http = (StatusCode::OK, body).into_response();
        http.headers_mut()
            .insert(header::CONTENT_TYPE, media.header_value());
        http.extensions_mut().insert(outcome);
        http
    }
}

/// A buffer that fails a write that would take it past `max` bytes.
struct CappedWriter {
    bytes: Vec<u8>,
    max: usize,
}

impl io::Write for CappedWriter {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        if self.bytes.len().saturating_add(buf.len()) > self.max {
            return Err(io::Error::other("over the size of an answer"));
        }
        self.bytes.extend_from_slice(buf);
        Ok(buf.len())
    }

    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_answer_within_the_cap_is_written_whole() {
        let value = json!({ "data": { "name": "Vie associative" } });
        let bytes = write_within(&value, 1024).unwrap();
        assert_eq!(bytes, serde_json::to_vec(&value).unwrap());
        let exact = bytes.len();
        assert!(write_within(&value, exact).is_ok());
        assert!(matches!(
            write_within(&value, exact - 1),
            Err(Unwritten::TooLarge { max }) if max == exact - 1
        ));
    }

    #[test]
    fn writing_stops_at_the_cap() {
        let mut writer = CappedWriter {
            bytes: Vec::new(),
            max: 10,
        };
        let long = vec![json!("0123456789"); 1000];
        assert!(serde_json::to_writer(&mut writer, &long).is_err());
        assert!(writer.bytes.len() <= 10, "{}", writer.bytes.len());
    }
}
