//! What `/graphql` checks before reading a request: the client's rate, the media types, and
//! room to serve it. These refusals cost no parsing and no SQL.

use std::{net::SocketAddr, sync::Arc};

use axum::{
    extract::{ConnectInfo, Request, State},
    http::{HeaderValue, Method, StatusCode, header},
    middleware::Next,
    response::Response,
};
use tokio::sync::Semaphore;

use super::{
    AppState,
    client::client_address,
    graphql_endpoint::{ClientAddress, RequestRefused, request_id},
    negotiation::{MediaType, is_json_body},
};

/// Requests over the concurrency limit are told to come back after this many seconds.
const RETRY_WHEN_OVERLOADED_SECS: u64 = 1;

pub async fn guard(State(state): State<AppState>, mut request: Request, next: Next) -> Response {
    let request_id = request_id(request.headers());
    let peer = request
        .extensions()
        .get::<ConnectInfo<SocketAddr>>()
        .map(|ConnectInfo(address)| *address);
    let protection = &state.protection;
    let client = client_address(peer, request.headers(), &protection.trusted_proxies);
    let Some(media) = MediaType::negotiate(request.headers()) else {
        return RequestRefused::new(
            StatusCode::NOT_ACCEPTABLE,
            "NOT_ACCEPTABLE",
            "accept application/graphql-response+json or application/json",
        )
        .respond(&request_id, MediaType::Json);
    };
    if let Some(address) = client
        && let Err(seconds) = protection.rate_limiter.check_address(address)
    {
        return RequestRefused::rate_limited(seconds).respond(&request_id, media);
    }
    // Only JSON bodies: a form or text/plain POST is what a page on another site can send
    // without a preflight, so refusing them closes the door to cross-site requests.
    if request.method() == Method::POST && !is_json_body(request.headers()) {
        return RequestRefused::new(
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "UNSUPPORTED_MEDIA_TYPE",
            "send the request as application/json",
        )
        .respond(&request_id, media);
    }
    let Ok(permit) = Arc::clone(&protection.concurrency).try_acquire_owned() else {
        let mut response = RequestRefused::new(
            StatusCode::SERVICE_UNAVAILABLE,
            "OVERLOADED",
            "the service is busy; retry in a moment",
        )
        .respond(&request_id, media);
        response.headers_mut().insert(
            header::RETRY_AFTER,
            HeaderValue::from(RETRY_WHEN_OVERLOADED_SECS),
        );
        return response;
    };
    request.extensions_mut().insert(ClientAddress(client));
    request.extensions_mut().insert(media);
    let response = next.run(request).await;
    drop(permit);
    response
}

/// Room for `requests` at once.
pub fn concurrency(requests: usize) -> Arc<Semaphore> {
    Arc::new(Semaphore::new(requests.min(Semaphore::MAX_PERMITS)))
}
