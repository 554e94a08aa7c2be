//! Responses made by the HTTP layers themselves (body too large, timeout, a panic) get the
//! same GraphQL error body as everything else, so that clients parse one shape of error.

use std::any::Any;

use axum::{
    Json,
    extract::Request,
    http::{StatusCode, header},
    middleware::Next,
    response::{IntoResponse, Response},
};
use serde_json::json;

use super::REQUEST_ID_HEADER;

pub async fn as_graphql_errors(request: Request, next: Next) -> Response {
    let request_id = request
        .headers()
        .get(REQUEST_ID_HEADER)
        .and_then(|value| value.to_str().ok())
        .unwrap_or_default()
        .to_owned();
    let response = next.run(request).await;
    let is_json = response
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|value| value.to_str().ok())
        .is_some_and(|value| value.contains("json"));
    if is_json {
        return response;
    }
    let (code, message) = match response.status() {
        StatusCode::PAYLOAD_TOO_LARGE => ("PAYLOAD_TOO_LARGE", "the request body is too large"),
        StatusCode::GATEWAY_TIMEOUT => ("TIMEOUT", "the request took too long and was stopped"),
        StatusCode::INTERNAL_SERVER_ERROR => ("INTERNAL_SERVER_ERROR", "internal server error"),
        _ => return response,
    };
    let body = json!({
        "errors": [{
            "message": message,
            "extensions": { "code": code, "requestId": request_id },
        }]
    });
    (response.status(), Json(body)).into_response()
}

/// Logs a panic of a handler (in the request's span, with its id) and answers a bare 500,
/// which [`as_graphql_errors`] turns into a generic error.
pub fn log_panic(panic: Box<dyn Any + Send + 'static>) -> Response {
    let message = panic
        .downcast_ref::<&str>()
        .map(|message| (*message).to_owned())
        .or_else(|| panic.downcast_ref::<String>().cloned())
        .unwrap_or_default();
    tracing::error!(panic = %message, "a request panicked");
    StatusCode::INTERNAL_SERVER_ERROR.into_response()
}
