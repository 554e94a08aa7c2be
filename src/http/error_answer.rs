//! The errors the HTTP layers write themselves (refusals, limits, a panic, an answer too
//! large, a refused subscription), in the shape of the errors the engine writes: each
//! error's fields in the order of the GraphQL specification, `message`, `locations`,
//! `path`, `extensions`. They are written through `async_graphql::ServerError`, never
//! through a `serde_json::Value`, which would sort them (`extensions` first).

use async_graphql::{ErrorExtensionValues, ServerError};
use serde::Serialize;
use serde_json::Value as JsonValue;

/// An error with `message` and these extensions.
pub fn error(
    message: impl Into<String>,
    extensions: impl IntoIterator<Item = (&'static str, JsonValue)>,
) -> ServerError {
    let mut values = ErrorExtensionValues::default();
    for (name, value) in extensions {
        values.set(
            name,
            async_graphql::Value::from_json(value).unwrap_or_default(),
        );
    }
    let mut error = ServerError::new(message, None);
    error.extensions = Some(values);
    error
}

/// An answer of errors only.
#[derive(Serialize)]
pub struct ErrorAnswer<'a> {
    /// `null` for a request that ran; absent for one refused before it ran.
    #[serde(skip_serializing_if = "Option::is_none")]
    data: Option<()>,
    errors: &'a [ServerError],
}

impl<'a> ErrorAnswer<'a> {
    /// `{"errors": [...]}`: the request was refused before it ran.
    pub fn refused(errors: &'a [ServerError]) -> Self {
        Self { data: None, errors }
    }

    /// `{"data": null, "errors": [...]}`: the request ran, and gave no data.
    pub fn failed(errors: &'a [ServerError]) -> Self {
        Self {
            data: Some(()),
            errors,
        }
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn an_error_lists_its_message_before_its_extensions() {
        let refused = [error(
            "too many requests",
            [
                ("code", json!("RATE_LIMITED")),
                ("retryAfterSeconds", json!(3)),
            ],
        )];
        assert_eq!(
            serde_json::to_string(&ErrorAnswer::refused(&refused)).unwrap(),
            r#"{"errors":[{"message":"too many requests","extensions":{"code":"RATE_LIMITED","retryAfterSeconds":3}}]}"#
        );
        assert!(
            serde_json::to_string(&ErrorAnswer::failed(&refused))
                .unwrap()
                .starts_with(r#"{"data":null,"errors":[{"message":"#)
        );
    }
}
