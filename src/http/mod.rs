//! The HTTP side: routes, the GraphQL endpoint, health checks, and the layers every request
//! goes through (request id, tracing, timeout, CORS, body limit), with the guard of
//! `/graphql` (rate limits, media types, concurrency).

pub mod client;
mod error_answer;
mod field_order;
mod graphiql;
mod graphql_endpoint;
mod graphql_request;
mod guard;
mod health;
mod http_caching;
pub mod negotiation;
mod open_data;
mod parsed_documents;
mod persisted_queries;
mod public_responses;
mod refusals;
mod response_body;
mod websocket;

use std::{sync::Arc, time::Duration};

use axum::{
    Router,
    http::{HeaderName, HeaderValue, Method, Request, StatusCode, header},
    middleware,
    routing::get,
};
use ipnet::IpNet;
use sea_orm::DatabaseConnection;
use tokio::sync::{Semaphore, watch};
use tower::ServiceBuilder;
use tower_http::{
    catch_panic::CatchPanicLayer,
    cors::{AllowOrigin, Any, CorsLayer},
    limit::RequestBodyLimitLayer,
    request_id::{MakeRequestUuid, PropagateRequestIdLayer, SetRequestIdLayer},
    timeout::TimeoutLayer,
    trace::{DefaultOnResponse, TraceLayer},
};
use tracing::Level;

pub use self::{
    http_caching::HttpCaching, parsed_documents::ParsedDocuments,
    persisted_queries::PersistedQueries, public_responses::PublicResponses, websocket::Sockets,
};
use crate::{
    accounts::tokens::Tokens,
    config::{
        CorsOrigins, DEFAULT_HTTP_CACHE_MAX_AGE_SECS, DEFAULT_MAX_CONCURRENT_EXPORTS,
        DEFAULT_REFERENCE_CACHE_SECS, DEFAULT_RESPONSE_CACHE_SECS, DEFAULT_STATS_CACHE_SECS,
        ProtectionConfig, SubscriptionLimits,
    },
    domain::erasure::ErasureKey,
    events::{ChangeStream, Committed, Keeper},
    graphql::{CommunsSchema, limits::QueryLimits},
    open_data::Publication,
    store::{reference_rows::ReferenceRows, stats_cache::StatsCache},
    webhooks::WebhookSettings,
};

pub(crate) const REQUEST_ID_HEADER: HeaderName = HeaderName::from_static("x-request-id");

/// How long browsers may keep the answer to a CORS preflight.
const CORS_MAX_AGE: Duration = Duration::from_secs(2 * 3600);

/// What the handlers share.
#[derive(Clone)]
pub struct AppState {
    pub db: DatabaseConnection,
    /// Where anonymous queries read: a streaming standby of `db` (`DATABASE_READ_URL`), or
    /// `db` itself.
    pub reads: DatabaseConnection,
    /// The figures of `stats`, shared by every request.
    pub stats: Arc<StatsCache>,
    /// The answers to anonymous queries, shared by every request.
    pub responses: Arc<PublicResponses>,
    /// Themes, territories and organisations already read, shared by every request.
    pub reference: Arc<ReferenceRows>,
    /// The documents already parsed, shared by every request.
    pub documents: Arc<ParsedDocuments>,
    /// The queries clients registered by their hash (automatic persisted queries).
    pub persisted_queries: Arc<PersistedQueries>,
    /// What HTTP caches may keep of the answers.
    pub http_caching: HttpCaching,
    pub schema: CommunsSchema,
    pub tokens: Arc<Tokens>,
    /// Keys the tombstones an erasure leaves.
    pub erasure_key: Arc<ErasureKey>,
    pub protection: Arc<Protection>,
    /// The change stream as this replica follows it.
    pub changes: ChangeStream,
    /// The WebSocket connections open, per client address.
    pub sockets: Arc<Sockets>,
    /// Turns true when the server starts to stop: WebSocket connections then close.
    pub stopping: watch::Receiver<bool>,
    /// The licence and links of the open-data exports and the feed.
    pub publication: Arc<Publication>,
    /// Places for exports streaming at once.
    pub exports: Arc<Semaphore>,
    /// How webhooks are sent, and which endpoints may be registered.
    pub webhooks: Arc<WebhookSettings>,
}

impl AppState {
    /// Forgets what is kept from the catalogue: something may have been written.
    pub fn catalogue_changed(&self) {
        forget_kept(&self.stats, &self.responses, &self.reference);
    }
}

/// Forgets every answer, figure and reference row kept: something was written, here or on
/// another replica.
pub fn forget_kept(stats: &StatsCache, responses: &PublicResponses, reference: &ReferenceRows) {
    stats.catalogue_changed();
    responses.catalogue_changed();
    reference.catalogue_changed();
}

/// What a replica keeps from the catalogue, as the change stream's follower sees to it.
pub struct Kept {
    pub stats: Arc<StatsCache>,
    pub responses: Arc<PublicResponses>,
    pub reference: Arc<ReferenceRows>,
}

impl Keeper for Kept {
    /// Coarse: any change forgets everything. Changes are a few a day, and what is kept
    /// fills again with the next requests.
    fn forget(&self, _changes: &[Arc<Committed>]) {
        forget_kept(&self.stats, &self.responses, &self.reference);
    }

    fn keep(&self, keeping: bool) {
        self.stats.keep(keeping);
        self.responses.keep(keeping);
        self.reference.keep(keeping);
    }
}

/// The defences of `/graphql`, shared by every request.
pub struct Protection {
    pub query_limits: QueryLimits,
    /// The largest answer, in bytes.
    pub max_response_bytes: usize,
    pub trusted_proxies: Vec<IpNet>,
    pub rate_limiter: client::RateLimiter,
    concurrency: Arc<Semaphore>,
    /// The largest request body, and WebSocket message, in bytes.
    pub body_limit_bytes: usize,
    pub subscriptions: SubscriptionLimits,
}

impl Protection {
    pub fn new(config: &ProtectionConfig) -> Self {
        Self {
            query_limits: config.query_limits.clone(),
            max_response_bytes: config.max_response_bytes,
            trusted_proxies: config.trusted_proxies.clone(),
            rate_limiter: client::RateLimiter::new(
                config.rate_limit_per_address,
                config.rate_limit_per_account,
                config.rate_limit_per_api_key,
            ),
            concurrency: guard::concurrency(config.max_concurrent_requests),
            body_limit_bytes: config.body_limit_bytes,
            subscriptions: config.subscriptions,
        }
    }
}

/// Settings of the HTTP layer.
#[derive(Debug, Clone)]
pub struct HttpSettings {
    pub request_timeout: Duration,
    /// Issues and verifies the bearer tokens.
    pub tokens: Arc<Tokens>,
    /// Keys the tombstones an erasure leaves.
    pub erasure_key: Arc<ErasureKey>,
    /// Limits, rate limits, CORS, trusted proxies.
    pub protection: ProtectionConfig,
    /// How long the figures of `stats` and the rankings of searches are kept at most (zero:
    /// not kept).
    pub stats_cache: Duration,
    /// How long answers to anonymous queries are kept at most (zero: not kept).
    pub response_cache: Duration,
    /// How long themes, territories and organisations are kept at most (zero: not kept).
    pub reference_cache: Duration,
    /// Turns true when the server starts to stop (never, by default).
    pub stopping: watch::Receiver<bool>,
    /// The licence and links of the open-data exports and the feed.
    pub publication: Publication,
    /// How many exports may stream at once.
    pub max_concurrent_exports: usize,
    /// Whether clients may send a query by its hash (automatic persisted queries).
    pub persisted_queries: bool,
    /// How long HTTP caches may keep a public answer (zero: revalidated each time).
    pub http_cache_max_age: Duration,
    /// Whether GraphiQL is served at `/`.
    pub graphiql: bool,
    /// How webhooks are sent, and which endpoints may be registered.
    pub webhooks: WebhookSettings,
}

impl HttpSettings {
    /// The defaults, signing with `tokens` and keying erasure tombstones with `erasure_key`.
    pub fn new(tokens: Arc<Tokens>, erasure_key: Arc<ErasureKey>) -> Self {
        Self {
            request_timeout: Duration::from_secs(30),
            tokens,
            erasure_key,
            protection: ProtectionConfig::default(),
            stats_cache: Duration::from_secs(DEFAULT_STATS_CACHE_SECS),
            response_cache: Duration::from_secs(DEFAULT_RESPONSE_CACHE_SECS),
            reference_cache: Duration::from_secs(DEFAULT_REFERENCE_CACHE_SECS),
            stopping: watch::channel(false).1,
            publication: Publication::default(),
            max_concurrent_exports: DEFAULT_MAX_CONCURRENT_EXPORTS,
            persisted_queries: true,
            http_cache_max_age: Duration::from_secs(DEFAULT_HTTP_CACHE_MAX_AGE_SECS),
            graphiql: true,
            webhooks: WebhookSettings::default(),
        }
    }
}

/// The whole router, as served and as tested.
pub fn router(state: AppState, settings: &HttpSettings) -> Router {
    // Third-party frontends call the API from their own origins, with a bearer token rather
    // than cookies: credentials are never allowed, so even `*` lets no site act with a
    // visitor's cookies.
    let origins = match &settings.protection.cors_origins {
        CorsOrigins::Any => AllowOrigin::from(Any),
        CorsOrigins::List(origins) => AllowOrigin::list(
            origins
                .iter()
                .filter_map(|origin| HeaderValue::from_str(origin).ok()),
        ),
    };
    let cors = CorsLayer::new()
        .allow_origin(origins)
        .allow_methods([Method::GET, Method::POST])
        // Any header a browser asks to send (Apollo's client name and version, tracing's
        // `traceparent`, `sentry-trace`, `baggage`...): credentials are never allowed, so a
        // header can carry nothing a page could not send anyway.
        .allow_headers(tower_http::cors::AllowHeaders::mirror_request())
        .expose_headers([REQUEST_ID_HEADER, header::RETRY_AFTER])
        // Browsers keep a preflight's answer this long (Chromium at most 2 hours).
        .max_age(CORS_MAX_AGE);
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
        // A panic answers 500, turned into a generic GraphQL error just above; its message
        // is logged, never sent.
        .layer(CatchPanicLayer::custom(refusals::log_panic))
        .layer(RequestBodyLimitLayer::new(
            settings.protection.body_limit_bytes,
        ))
        .layer(TimeoutLayer::with_status_code(
            StatusCode::GATEWAY_TIMEOUT,
            settings.request_timeout,
        ));

    let mut routes = Router::new();
    if settings.graphiql {
        routes = routes.merge(graphiql::routes());
    }
    routes
        .route(
            "/graphql",
            get(websocket::get_or_upgrade)
                .post(graphql_endpoint::post)
                .layer(middleware::from_fn_with_state(state.clone(), guard::guard)),
        )
        .route("/feeds/initiatives.atom", get(open_data::feed))
        .route("/exports/{file}", get(open_data::export))
        .route("/healthz", get(health::alive))
        .route("/readyz", get(health::ready))
        .with_state(state)
        .layer(layers)
        // Outermost, so that every response, errors included, carries the CORS headers.
        .layer(cors)
}
