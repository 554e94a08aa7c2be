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

use super::{
    REQUEST_ID_HEADER,
    error_answer::{ErrorAnswer, error},
};

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
    let errors = [error(
        message,
        [("code", json!(code)), ("requestId", json!(request_id))],
    )];
    (response.status(), Json(ErrorAnswer::refused(&errors))).into_response()
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

#[cfg(test)]
mod tests {
    use super::*;
    use axum::{Router, body::Body, middleware, routing::get};
    use tower::ServiceExt;
    use tower_http::catch_panic::CatchPanicLayer;

    #[tokio::test]
    async fn a_panic_answers_a_generic_error_that_shows_nothing_of_it() {
        let router = Router::new()
            .route(
                "/",
                get(|| async {
                    let secret = "/srv/communs/data: connection refused";
                    if !secret.is_empty() {
                        panic!("{secret}");
                    }
                }),
            )
            .layer(CatchPanicLayer::custom(log_panic))
            .layer(middleware::from_fn(as_graphql_errors));
        let request = axum::http::Request::builder()
            .uri("/")
            .header(REQUEST_ID_HEADER, "r-1")
            .body(Body::empty())
            .unwrap();
        let response = router.oneshot(request).await.unwrap();
        assert_eq!(response.status(), StatusCode::INTERNAL_SERVER_ERROR);
        let body = axum::body::to_bytes(response.into_body(), 10_000)
            .await
            .unwrap();
        let body: serde_json::Value = serde_json::from_slice(&body).unwrap();
        assert_eq!(
            body,
            json!({ "errors": [{ "message": "internal server error",
                "extensions": { "code": "INTERNAL_SERVER_ERROR", "requestId": "r-1" } }] })
        );
    }
}
