//! The HTTP side: routes, the GraphQL endpoint, health checks, and the layers every request
//! goes through (request id, tracing, timeout, CORS, body limit).

mod field_order;
mod graphql_endpoint;
mod health;
mod refusals;

use std::{sync::Arc, time::Duration};

use axum::{
    Router,
    http::{HeaderName, Method, Request, StatusCode, header},
    middleware,
    response::Html,
    routing::get,
};
use sea_orm::DatabaseConnection;
use tower::ServiceBuilder;
use tower_http::{
    cors::{Any, CorsLayer},
    limit::RequestBodyLimitLayer,
    request_id::{MakeRequestUuid, PropagateRequestIdLayer, SetRequestIdLayer},
    timeout::TimeoutLayer,
    trace::{DefaultOnResponse, TraceLayer},
};
use tracing::Level;

use crate::{accounts::tokens::Tokens, graphql::CommunsSchema};

/// The largest request body accepted, in bytes: far above any real query.
const MAX_BODY_BYTES: usize = 1024 * 1024;

pub(crate) const REQUEST_ID_HEADER: HeaderName = HeaderName::from_static("x-request-id");

/// What the handlers share.
#[derive(Clone)]
pub struct AppState {
    pub db: DatabaseConnection,
    pub schema: CommunsSchema,
    pub tokens: Arc<Tokens>,
}

/// Settings of the HTTP layer.
#[derive(Debug, Clone)]
pub struct HttpSettings {
    pub request_timeout: Duration,
    /// Issues and verifies the bearer tokens.
    pub tokens: Arc<Tokens>,
}

/// The whole router, as served and as tested.
pub fn router(state: AppState, settings: &HttpSettings) -> Router {
    // Third-party frontends call the API from their own origins, with a bearer token rather
    // than cookies, so any origin may call it.
    let cors = CorsLayer::new()
        .allow_origin(Any)
        .allow_methods([Method::GET, Method::POST])
        .allow_headers([
            header::CONTENT_TYPE,
            header::AUTHORIZATION,
            REQUEST_ID_HEADER,
        ])
        .expose_headers([REQUEST_ID_HEADER]);
    let layers = ServiceBuilder::new()
        .layer(SetRequestIdLayer::new(REQUEST_ID_HEADER, MakeRequestUuid))
        .layer(
            TraceLayer::new_for_http()
                .on_response(DefaultOnResponse::new().level(Level::INFO))
                .make_span_with(|request: &Request<_>| {
                    let request_id = request
                        .headers()
                        .get(REQUEST_ID_HEADER)
                        .and_then(|value| value.to_str().ok())
                        .unwrap_or_default();
                    tracing::info_span!(
                        "request",
                        method = %request.method(),
                        path = %request.uri().path(),
                        request_id = %request_id,
                    )
                }),
        )
        .layer(PropagateRequestIdLayer::new(REQUEST_ID_HEADER))
        .layer(middleware::from_fn(refusals::as_graphql_errors))
        .layer(RequestBodyLimitLayer::new(MAX_BODY_BYTES))
        .layer(TimeoutLayer::with_status_code(
            StatusCode::GATEWAY_TIMEOUT,
            settings.request_timeout,
        ));

    Router::new()
        .route("/", get(graphiql))
        .route(
            "/graphql",
            get(graphql_endpoint::get).post(graphql_endpoint::post),
        )
        .route("/healthz", get(health::alive))
        .route("/readyz", get(health::ready))
        .with_state(state)
        .layer(layers)
        // Outermost, so that every response, errors included, carries the CORS headers.
        .layer(cors)
}

/// GraphiQL, to explore the API from a browser.
async fn graphiql() -> Html<String> {
    Html(
        async_graphql::http::GraphiQLSource::build()
            .endpoint("/graphql")
            .title("Communs — GraphQL")
            .finish(),
    )
}
