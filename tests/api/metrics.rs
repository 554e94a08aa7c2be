//! `/metrics`, on the address of `METRICS_LISTEN_ADDR`: the real binary (whose metrics
//! recorder is its own, whatever the other tests record) is sent requests, then scraped
//! over HTTP and parsed as Prometheus reads it.

use std::{
    io::{BufRead, BufReader},
    process::{Child, Command, Stdio},
    time::Duration,
};

use futures_util::{SinkExt, StreamExt};
use prometheus_parse::{Sample, Scrape, Value as Measure};
use reqwest::StatusCode;
use serde_json::{Value, json};
use tokio_tungstenite::{
    connect_async,
    tungstenite::{Message, client::IntoClientRequest, http::HeaderValue},
};

use crate::helpers::{TEST_ERASURE_KEY, TEST_JWT_SECRET, TestApp};

const BINARY: &str = env!("CARGO_BIN_EXE_communs");

/// Requests per minute one address may send to the binary under test: few, to see a refusal.
const RATE: usize = 30;

/// The binary serving, and the addresses it announced.
struct Server {
    child: Child,
    api: String,
    metrics: String,
    /// Holds the PostgreSQL database, when the suite runs there.
    _app: Option<TestApp>,
    _data: tempfile::TempDir,
}

impl Server {
    async fn start() -> Self {
        let data = tempfile::tempdir().unwrap();
        let mut command = Command::new(BINARY);
        command
            .env_clear()
            .env("LISTEN_ADDR", "127.0.0.1:0")
            .env("METRICS_LISTEN_ADDR", "127.0.0.1:0")
            .env("RATE_LIMIT_PER_ADDRESS", RATE.to_string())
            .env("LOG_FORMAT", "json")
            .env("RUST_LOG", "info")
            .env("DATA_DIR", data.path())
            .stdout(Stdio::null())
            .stderr(Stdio::piped());
        let app = match std::env::var("TEST_DATABASE_URL") {
            Ok(url) if url.starts_with("postgres") => {
                let app = TestApp::empty().await;
                command
                    .env("DATABASE_URL", &app.database_url)
                    .env("ERASURE_KEY", TEST_ERASURE_KEY)
                    .env("JWT_SECRET", TEST_JWT_SECRET);
                Some(app)
            }
            _ => None,
        };
        let mut child = command.spawn().expect("the server starts");
        let stderr = child.stderr.take().unwrap();
        let (announced, announcements) = std::sync::mpsc::channel();
        std::thread::spawn(move || {
            for line in BufReader::new(stderr).lines().map_while(Result::ok) {
                if let Ok(event) = serde_json::from_str::<Value>(&line) {
                    for field in ["address", "metrics_address"] {
                        if let Some(address) = event[field].as_str() {
                            let _ = announced.send((field, address.to_owned()));
                        }
                    }
                }
            }
        });
        let (mut api, mut metrics) = (None, None);
        while api.is_none() || metrics.is_none() {
            let (field, address) = announcements
                .recv_timeout(Duration::from_secs(60))
                .expect("the server announces its addresses");
            let address = Some(format!("http://{address}"));
            match field {
                "address" => api = address,
                _ => metrics = address,
            }
        }
        Self {
            child,
            api: api.unwrap(),
            metrics: metrics.unwrap(),
            _app: app,
            _data: data,
        }
    }

    async fn post(&self, body: Value) -> reqwest::Response {
        reqwest::Client::new()
            .post(format!("{}/graphql", self.api))
            .json(&body)
            .send()
            .await
            .unwrap()
    }

    async fn scrape(&self) -> Scrape {
        let response = reqwest::get(format!("{}/metrics", self.metrics))
            .await
            .unwrap();
        assert_eq!(response.status(), StatusCode::OK);
        let media_type = response.headers()["content-type"].to_str().unwrap();
        assert!(media_type.starts_with("text/plain"), "{media_type}");
        let text = response.text().await.unwrap();
        Scrape::parse(text.lines().map(|line| Ok(line.to_owned()))).expect("Prometheus text")
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// The samples of `metric` whose labels include `labels`.
fn samples<'a>(scrape: &'a Scrape, metric: &str, labels: &[(&str, &str)]) -> Vec<&'a Sample> {
    scrape
        .samples
        .iter()
        .filter(|sample| sample.metric == metric)
        .filter(|sample| {
            labels
                .iter()
                .all(|(name, value)| sample.labels.get(name) == Some(*value))
        })
        .collect()
}

/// The value of the counter or gauge `metric` with `labels` (0 when absent).
fn value(scrape: &Scrape, metric: &str, labels: &[(&str, &str)]) -> f64 {
    samples(scrape, metric, labels)
        .iter()
        .map(|sample| match sample.value {
            Measure::Counter(value) | Measure::Gauge(value) | Measure::Untyped(value) => value,
            _ => 0.0,
        })
        .sum()
}

#[tokio::test]
async fn graphql_requests_are_counted_by_operation_and_outcome_and_timed() {
    let server = Server::start().await;
    let probe = json!({ "query": "query Probe { initiatives(first: 1) { totalCount } }" });
    for _ in 0..2 {
        assert_eq!(server.post(probe.clone()).await.status(), StatusCode::OK);
    }
    server
        .post(json!({ "query": "{ initiatives(first: 1) { totalCount } }" }))
        .await;
    server
        .post(json!({ "query": "query Broken { nothing }" }))
        .await;
    let long_name = "A".repeat(65);
    server
        .post(json!({ "query": format!("query {long_name} {{ initiatives {{ totalCount }} }}") }))
        .await;

    let scrape = server.scrape().await;
    let requests = "communs_graphql_requests_total";
    assert_eq!(
        value(
            &scrape,
            requests,
            &[("operation", "Probe"), ("outcome", "ok")]
        ),
        2.0
    );
    assert_eq!(
        value(
            &scrape,
            requests,
            &[("operation", "anonymous"), ("outcome", "ok")]
        ),
        1.0
    );
    assert_eq!(
        value(
            &scrape,
            requests,
            &[
                ("operation", "Broken"),
                ("outcome", "GRAPHQL_VALIDATION_FAILED")
            ]
        ),
        1.0
    );
    assert_eq!(
        value(&scrape, requests, &[("operation", "other")]),
        1.0,
        "a name over 64 characters is not a label"
    );
    assert!(samples(&scrape, requests, &[("operation", long_name.as_str())]).is_empty());

    let timed = samples(
        &scrape,
        "communs_graphql_request_duration_seconds",
        &[("operation", "Probe")],
    );
    let Some(Measure::Histogram(buckets)) = timed.first().map(|sample| &sample.value) else {
        panic!("a histogram of Probe's durations: {timed:?}");
    };
    let all = buckets
        .iter()
        .find(|bucket| bucket.less_than.is_infinite())
        .expect("a +Inf bucket");
    assert_eq!(all.count, 2.0);

    assert!(
        value(
            &scrape,
            "communs_sql_statements_total",
            &[("outcome", "ok")]
        ) > 0.0
    );
    let pool = "communs_database_pool_connections";
    assert!(
        !samples(&scrape, pool, &[("database", "primary"), ("state", "idle")]).is_empty(),
        "the pool's connections are reported"
    );
}

#[tokio::test]
async fn answers_kept_in_memory_are_counted_as_hits() {
    let server = Server::start().await;
    let kept = |scrape: &Scrape, result: &str| {
        value(scrape, "communs_kept_answers_total", &[("result", result)])
    };
    // Answers are kept once the server follows the change stream (on PostgreSQL, once its
    // listener is connected): the same query, asked again until one is answered from memory.
    let mut hits = 0.0;
    for _ in 0..20 {
        server
            .post(json!({ "query": "query Again { initiatives(first: 1) { totalCount } }" }))
            .await;
        hits = kept(&server.scrape().await, "hit");
        if hits > 0.0 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    assert_eq!(hits, 1.0, "one answer from memory");
    assert!(
        kept(&server.scrape().await, "miss") >= 1.0,
        "computed once first"
    );
}

#[tokio::test]
async fn running_subscriptions_and_refusals_for_a_rate_are_reported() {
    let server = Server::start().await;
    let mut request = format!("{}/graphql", server.api.replacen("http", "ws", 1))
        .into_client_request()
        .unwrap();
    request.headers_mut().insert(
        "Sec-WebSocket-Protocol",
        HeaderValue::from_static("graphql-transport-ws"),
    );
    let (mut socket, _) = connect_async(request).await.expect("the upgrade");
    let send = |message: Value| Message::Text(message.to_string().into());
    socket
        .send(send(json!({ "type": "connection_init", "payload": {} })))
        .await
        .unwrap();
    let ack = socket.next().await.unwrap().unwrap();
    assert!(ack.to_string().contains("connection_ack"), "{ack}");
    socket
        .send(send(json!({ "id": "1", "type": "subscribe",
            "payload": { "query": "subscription { initiativePublished { id } }" } })))
        .await
        .unwrap();
    let running = |scrape: &Scrape| value(scrape, "communs_subscriptions_active", &[]);
    let mut seen = 0.0;
    for _ in 0..50 {
        seen = running(&server.scrape().await);
        if seen == 1.0 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert_eq!(seen, 1.0, "one subscription running");
    let connections = "communs_websocket_connections_active";
    assert_eq!(value(&server.scrape().await, connections, &[]), 1.0);
    socket.close(None).await.unwrap();
    // The subscription ends, then the connection: wait for both.
    let mut open = 1.0;
    for _ in 0..50 {
        let scrape = server.scrape().await;
        (seen, open) = (running(&scrape), value(&scrape, connections, &[]));
        if seen == 0.0 && open == 0.0 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert_eq!(seen, 0.0, "none once the connection is closed");
    assert_eq!(open, 0.0);

    let limited = "communs_rate_limited_total";
    let before = value(&server.scrape().await, limited, &[("per", "address")]);
    let mut refused = false;
    for _ in 0..=RATE {
        let status = server
            .post(json!({ "query": "{ initiatives(first: 1) { totalCount } }" }))
            .await
            .status();
        if status == StatusCode::TOO_MANY_REQUESTS {
            refused = true;
            break;
        }
    }
    assert!(refused, "over {RATE} requests a minute, one is refused");
    let scrape = server.scrape().await;
    assert_eq!(value(&scrape, limited, &[("per", "address")]), before + 1.0);
}

#[tokio::test]
async fn without_metrics_listen_addr_the_api_serves_no_metrics() {
    let app = TestApp::empty().await;
    assert_eq!(app.get("/metrics").await.status(), StatusCode::NOT_FOUND);
}
