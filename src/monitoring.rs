//! What the service measures, in the Prometheus text format, on a listen address of its own
//! (`METRICS_LISTEN_ADDR`), never on the public one.
//!
//! The code records through the `metrics` macros wherever something happens (a GraphQL
//! request, a SQL statement, a kept answer, a refusal, a subscription); without a recorder
//! installed (no `METRICS_LISTEN_ADDR`) they do nothing. The recorder is global to the
//! process and can be installed once: [`recorder`] installs it on its first call and gives
//! the same handle to every later one, so that several apps in one process (the tests)
//! share it.
//!
//! Labels are bounded: an operation name is a label only if it is short and plain, and
//! only the first [`MAX_OPERATION_NAMES`] names seen; error codes, reasons and results are
//! the service's own words.

use std::{
    collections::HashSet,
    net::SocketAddr,
    sync::{Mutex, OnceLock, PoisonError},
    time::Duration,
};

use anyhow::Context as _;
use axum::{
    Router,
    extract::State,
    http::{HeaderValue, header},
    response::{IntoResponse, Response},
    routing::get,
};
use metrics::{counter, gauge, histogram};
use metrics_exporter_prometheus::{Matcher, PrometheusBuilder, PrometheusHandle};
use sea_orm::{DatabaseBackend, DatabaseConnection};

const GRAPHQL_REQUESTS: &str = "communs_graphql_requests_total";
const GRAPHQL_DURATION: &str = "communs_graphql_request_duration_seconds";
const SQL_STATEMENTS: &str = "communs_sql_statements_total";
const SQL_DURATION: &str = "communs_sql_statement_duration_seconds";
const POOL_CONNECTIONS: &str = "communs_database_pool_connections";
const KEPT_ANSWERS: &str = "communs_kept_answers_total";
const RATE_LIMITED: &str = "communs_rate_limited_total";
const SUBSCRIPTIONS: &str = "communs_subscriptions_active";
const WEBSOCKETS: &str = "communs_websocket_connections_active";

/// Seconds: from a kept answer (under a millisecond) to the request timeout.
const DURATION_BUCKETS: [f64; 14] = [
    0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 10.0, 30.0,
];

/// An operation name longer than this is labelled `other`.
const MAX_OPERATION_NAME_CHARS: usize = 64;
/// Operation names labelled at most; later new names are labelled `other`, so that a
/// client inventing names cannot grow the metrics without end.
pub const MAX_OPERATION_NAMES: usize = 200;

static RECORDER: OnceLock<PrometheusHandle> = OnceLock::new();
static OPERATION_NAMES: OnceLock<Mutex<HashSet<String>>> = OnceLock::new();

/// Whether metrics are recorded: the recorder is installed.
pub fn recording() -> bool {
    RECORDER.get().is_some()
}

/// The process's recorder, installed on the first call.
pub fn recorder() -> &'static PrometheusHandle {
    RECORDER.get_or_init(|| {
        let builder = PrometheusBuilder::new();
        let builder = match builder.set_buckets_for_metric(
            Matcher::Suffix("_duration_seconds".to_owned()),
            &DURATION_BUCKETS,
        ) {
            Ok(builder) => builder,
            // Only for empty buckets, which these are not.
            Err(_) => PrometheusBuilder::new(),
        };
        let recorder = builder.build_recorder();
        let handle = recorder.handle();
        if metrics::set_global_recorder(recorder).is_err() {
            tracing::warn!("another metrics recorder is installed: /metrics stays empty");
        }
        describe();
        handle
    })
}

fn describe() {
    use metrics::{Unit, describe_counter, describe_gauge, describe_histogram};
    describe_counter!(
        GRAPHQL_REQUESTS,
        "GraphQL requests over HTTP, by operation name and outcome (`ok`, or the first \
         error's code)"
    );
    describe_histogram!(
        GRAPHQL_DURATION,
        Unit::Seconds,
        "time to answer a GraphQL request over HTTP, by operation name"
    );
    describe_counter!(
        SQL_STATEMENTS,
        "SQL statements sent for requests, by outcome"
    );
    describe_histogram!(SQL_DURATION, Unit::Seconds, "time a SQL statement took");
    describe_gauge!(
        POOL_CONNECTIONS,
        "connections of a database pool (`primary`, `reads`), by state (`idle`, `in_use`)"
    );
    describe_counter!(
        KEPT_ANSWERS,
        "anonymous queries that could be answered from memory, by result (`hit`, `miss`)"
    );
    describe_counter!(
        RATE_LIMITED,
        "requests and subscriptions refused for their rate, per client `address` or `account`"
    );
    describe_gauge!(SUBSCRIPTIONS, "GraphQL subscriptions running");
    describe_gauge!(WEBSOCKETS, "WebSocket connections open");
}

/// The label of an operation name: the name if it has at most 64 letters, digits and
/// underscores and is among the first names seen; `anonymous` without a name; `other`
/// otherwise.
pub fn operation_label(name: Option<&str>) -> String {
    let Some(name) = name else {
        return "anonymous".to_owned();
    };
    let plain = !name.is_empty()
        && name.len() <= MAX_OPERATION_NAME_CHARS
        && name
            .bytes()
            .all(|byte| byte.is_ascii_alphanumeric() || byte == b'_');
    if !plain {
        return "other".to_owned();
    }
    let mut names = OPERATION_NAMES
        .get_or_init(Mutex::default)
        .lock()
        .unwrap_or_else(PoisonError::into_inner);
    if names.contains(name) || names.len() < MAX_OPERATION_NAMES {
        names.insert(name.to_owned());
        name.to_owned()
    } else {
        "other".to_owned()
    }
}

/// A GraphQL request answered: `outcome` is `ok` or an error code.
pub fn graphql_request(operation: String, outcome: &str, took: Duration) {
    histogram!(GRAPHQL_DURATION, "operation" => operation.clone()).record(took.as_secs_f64());
    counter!(GRAPHQL_REQUESTS, "operation" => operation, "outcome" => outcome.to_owned())
        .increment(1);
}

/// A SQL statement sent.
pub fn sql_statement(took: Duration, failed: bool) {
    let outcome = if failed { "error" } else { "ok" };
    counter!(SQL_STATEMENTS, "outcome" => outcome).increment(1);
    histogram!(SQL_DURATION).record(took.as_secs_f64());
}

/// An anonymous query looked up among the kept answers.
pub fn kept_answer(found: bool) {
    let result = if found { "hit" } else { "miss" };
    counter!(KEPT_ANSWERS, "result" => result).increment(1);
}

/// Whose rate a request went over.
#[derive(Debug, Clone, Copy)]
pub enum RateOf {
    Address,
    Account,
    Key,
}

/// A request or subscription refused for its rate.
pub fn rate_limited(of: RateOf) {
    let per = match of {
        RateOf::Address => "address",
        RateOf::Account => "account",
        RateOf::Key => "key",
    };
    counter!(RATE_LIMITED, "per" => per).increment(1);
}

/// Counts one of something while it lives (a subscription, a WebSocket connection).
pub struct Active(&'static str);

impl Active {
    pub fn subscription() -> Self {
        gauge!(SUBSCRIPTIONS).increment(1.0);
        Self(SUBSCRIPTIONS)
    }

    pub fn websocket() -> Self {
        gauge!(WEBSOCKETS).increment(1.0);
        Self(WEBSOCKETS)
    }
}

impl Drop for Active {
    fn drop(&mut self) {
        gauge!(self.0).decrement(1.0);
    }
}

/// The databases whose pools `/metrics` reports, by name (`primary`, `reads`).
#[derive(Clone)]
struct Pools(Vec<(&'static str, DatabaseConnection)>);

impl Pools {
    fn measure(&self) {
        for (name, db) in &self.0 {
            let (size, idle) = match db.get_database_backend() {
                DatabaseBackend::Postgres => {
                    let pool = db.get_postgres_connection_pool();
                    (pool.size(), pool.num_idle())
                }
                DatabaseBackend::Sqlite => {
                    let pool = db.get_sqlite_connection_pool();
                    (pool.size(), pool.num_idle())
                }
                _ => continue,
            };
            let idle = idle as f64;
            gauge!(POOL_CONNECTIONS, "database" => *name, "state" => "idle").set(idle);
            gauge!(POOL_CONNECTIONS, "database" => *name, "state" => "in_use")
                .set((f64::from(size) - idle).max(0.0));
        }
    }
}

/// The router of the metrics address: `GET /metrics`.
pub fn router(primary: &DatabaseConnection, reads: Option<&DatabaseConnection>) -> Router {
    let mut pools = vec![("primary", primary.clone())];
    if let Some(reads) = reads {
        pools.push(("reads", reads.clone()));
    }
    recorder();
    Router::new()
        .route("/metrics", get(scrape))
        .with_state(Pools(pools))
}

async fn scrape(State(pools): State<Pools>) -> Response {
    pools.measure();
    let handle = recorder();
    handle.run_upkeep();
    (
        [(
            header::CONTENT_TYPE,
            HeaderValue::from_static("text/plain; version=0.0.4; charset=utf-8"),
        )],
        handle.render(),
    )
        .into_response()
}

/// Installs the recorder and serves `/metrics` on `address`, until the process ends. The
/// address actually listened on is logged (`metrics_address`).
pub async fn serve(
    address: SocketAddr,
    primary: &DatabaseConnection,
    reads: Option<&DatabaseConnection>,
) -> anyhow::Result<()> {
    let router = router(primary, reads);
    let listener = tokio::net::TcpListener::bind(address)
        .await
        .with_context(|| format!("cannot listen on {address} (METRICS_LISTEN_ADDR)"))?;
    let metrics_address = listener.local_addr().unwrap_or(address);
    tracing::info!(
        %metrics_address,
        "metrics on http://{metrics_address}/metrics"
    );
    tokio::spawn(async move {
        // Keeps the histograms' memory bounded between scrapes.
        let mut upkeep = tokio::time::interval(Duration::from_secs(5));
        loop {
            upkeep.tick().await;
            recorder().run_upkeep();
        }
    });
    tokio::spawn(async move {
        if let Err(error) = axum::serve(listener, router).await {
            tracing::error!(%error, "the metrics listener stopped");
        }
    });
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::operation_label;

    #[test]
    fn only_short_plain_operation_names_are_labels() {
        assert_eq!(operation_label(None), "anonymous");
        assert_eq!(operation_label(Some("Home_page2")), "Home_page2");
        assert_eq!(operation_label(Some("with-dash")), "other");
        assert_eq!(operation_label(Some("")), "other");
        assert_eq!(operation_label(Some("Séance")), "other");
        assert_eq!(operation_label(Some(&"a".repeat(64))), "a".repeat(64));
        assert_eq!(operation_label(Some(&"a".repeat(65))), "other");
    }
}
