//! HTTP discipline: body size, media types, CORS, rate limits, load shedding, client
//! addresses behind proxies, and the GraphQL over HTTP status codes.

use std::time::Duration;

use entity::enums::Role;
use reqwest::{StatusCode, header};
use serde_json::{Value, json};
use tokio::io::AsyncWriteExt;

use crate::helpers::{TestApp, error_codes};

const THEMES: &str = "{ themes { name } }";

async fn code_of(response: reqwest::Response) -> String {
    let body: Value = response.json().await.expect("a JSON body");
    error_codes(&body).join(",")
}

#[tokio::test]
async fn a_body_over_256_kib_is_refused_with_413_before_it_is_parsed() {
    let app = TestApp::with_demo().await;
    let before = app.statements();
    let padding = " ".repeat(300 * 1024);
    let response = app
        .client
        .post(format!("{}/graphql", app.address))
        .header("content-type", "application/json")
        .body(format!(r#"{{"query": "{THEMES}{padding}"}}"#))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::PAYLOAD_TOO_LARGE);
    assert_eq!(code_of(response).await, "PAYLOAD_TOO_LARGE");
    assert_eq!(app.statements(), before);
}

#[tokio::test]
async fn only_json_bodies_are_accepted_which_keeps_cross_site_forms_out() {
    let app = TestApp::with_demo().await;
    let body = json!({ "query": THEMES }).to_string();
    for content_type in [
        Some("text/plain"),
        Some("application/x-www-form-urlencoded"),
        Some("multipart/form-data; boundary=x"),
        None,
    ] {
        let mut request = app
            .client
            .post(format!("{}/graphql", app.address))
            .body(body.clone());
        if let Some(content_type) = content_type {
            request = request.header("content-type", content_type);
        }
        let response = request.send().await.unwrap();
        assert_eq!(
            response.status(),
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "{content_type:?}"
        );
        assert_eq!(code_of(response).await, "UNSUPPORTED_MEDIA_TYPE");
    }
    let json = app
        .client
        .post(format!("{}/graphql", app.address))
        .header("content-type", "application/json; charset=utf-8")
        .body(body)
        .send()
        .await
        .unwrap();
    assert_eq!(json.status(), StatusCode::OK);
}

#[tokio::test]
async fn a_mutation_over_get_is_405_and_names_post() {
    let app = TestApp::with_demo().await;
    let response = app
        .client
        .get(format!("{}/graphql", app.address))
        .query(&[("query", "mutation { logout }")])
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::METHOD_NOT_ALLOWED);
    assert_eq!(response.headers()[header::ALLOW], "POST");
}

/// A GET of `document` selecting `operation`, as a link or a prefetch sends it.
async fn get_operation(app: &TestApp, document: &str, operation: &str) -> reqwest::Response {
    app.client
        .get(format!("{}/graphql", app.address))
        .query(&[("query", document), ("operationName", operation)])
        .send()
        .await
        .unwrap()
}

#[tokio::test]
async fn a_get_runs_the_operation_its_operation_name_selects() {
    let app = TestApp::with_demo().await;
    let document =
        "query Themes { themes { slug } } query Territories { territories { totalCount } }";
    let response = get_operation(&app, document, "Territories").await;
    assert_eq!(response.status(), StatusCode::OK);
    let body: Value = response.json().await.unwrap();
    assert!(body.get("errors").is_none(), "{body}");
    assert!(
        body["data"]["territories"]["totalCount"].as_i64().unwrap() > 0,
        "{body}"
    );
    assert!(body["data"].get("themes").is_none(), "{body}");
}

#[tokio::test]
async fn a_get_is_refused_or_run_by_the_operation_it_selects_not_by_the_others() {
    let app = TestApp::with_demo().await;
    let document = "query Themes { themes { slug } } \
        mutation Out { login(input: { email: \"a@example.org\", password: \"x\" }) { token } }";
    let mutation = get_operation(&app, document, "Out").await;
    assert_eq!(mutation.status(), StatusCode::METHOD_NOT_ALLOWED);
    assert_eq!(mutation.headers()[header::ALLOW], "POST");

    let query = get_operation(&app, document, "Themes").await;
    assert_eq!(query.status(), StatusCode::OK);
    let body: Value = query.json().await.unwrap();
    assert!(body.get("errors").is_none(), "{body}");
    assert!(
        !body["data"]["themes"].as_array().unwrap().is_empty(),
        "{body}"
    );
}

#[tokio::test]
async fn a_chunked_body_over_the_limit_is_413_too() {
    let app = TestApp::with_demo().await;
    let before = app.statements();
    let address = app.address.trim_start_matches("http://").to_owned();
    let mut stream = tokio::net::TcpStream::connect(&address).await.unwrap();
    stream
        .write_all(
            b"POST /graphql HTTP/1.1\r\nhost: x\r\ncontent-type: application/json\r\n\
              transfer-encoding: chunked\r\nconnection: close\r\n\r\n",
        )
        .await
        .unwrap();
    let chunk = format!(r#"{{"query": "{THEMES}{}"}}"#, " ".repeat(32 * 1024));
    // 300 KiB in chunks of 32 KiB, no length announced: the limit is found while reading.
    for _ in 0..10 {
        let written = stream
            .write_all(format!("{:x}\r\n{chunk}\r\n", chunk.len()).as_bytes())
            .await;
        if written.is_err() {
            break;
        }
    }
    let _ = stream.write_all(b"0\r\n\r\n").await;
    let mut answer = String::new();
    tokio::io::AsyncReadExt::read_to_string(&mut stream, &mut answer)
        .await
        .unwrap();
    assert!(answer.starts_with("HTTP/1.1 413"), "{answer}");
    assert!(answer.contains("PAYLOAD_TOO_LARGE"), "{answer}");
    assert_eq!(app.statements(), before);
}

#[tokio::test]
async fn browsers_may_call_only_from_the_configured_origins_and_never_with_credentials() {
    let app = TestApp::with_demo_and_settings(|settings| {
        settings.protection.cors_origins =
            communs::config::CorsOrigins::List(vec!["https://ressources.example".to_owned()]);
    })
    .await;
    let preflight = |origin: &'static str| {
        app.client
            .request(reqwest::Method::OPTIONS, format!("{}/graphql", app.address))
            .header("origin", origin)
            .header("access-control-request-method", "POST")
            .header(
                "access-control-request-headers",
                "content-type,authorization",
            )
            .send()
    };
    let allowed = preflight("https://ressources.example").await.unwrap();
    assert_eq!(
        allowed.headers()["access-control-allow-origin"],
        "https://ressources.example"
    );
    assert!(
        allowed
            .headers()
            .get("access-control-allow-credentials")
            .is_none()
    );
    let other = preflight("https://ailleurs.example").await.unwrap();
    assert!(other.headers().get("access-control-allow-origin").is_none());
}

#[tokio::test]
async fn a_client_address_over_its_rate_is_told_when_to_retry() {
    let app = TestApp::with_demo_and_settings(|settings| {
        settings.protection.rate_limit_per_address = 3;
    })
    .await;
    for _ in 0..3 {
        app.data(THEMES).await;
    }
    let before = app.statements();
    let response = app.post_graphql(json!({ "query": THEMES })).await;
    assert_eq!(response.status(), StatusCode::TOO_MANY_REQUESTS);
    let retry_after: u64 = response.headers()[header::RETRY_AFTER]
        .to_str()
        .unwrap()
        .parse()
        .unwrap();
    assert!((1..=60).contains(&retry_after), "{retry_after}");
    let body: Value = response.json().await.unwrap();
    assert_eq!(error_codes(&body), ["RATE_LIMITED"]);
    assert_eq!(
        body["errors"][0]["extensions"]["retryAfterSeconds"],
        retry_after
    );
    assert_eq!(app.statements(), before, "refused before any SQL");
    assert_eq!(
        app.get("/healthz").await.status(),
        StatusCode::OK,
        "probes are not limited"
    );
}

#[tokio::test]
async fn an_account_over_its_rate_is_limited_whatever_its_address() {
    let app = TestApp::with_demo_and_settings(|settings| {
        settings.protection.rate_limit_per_address = 0;
        settings.protection.rate_limit_per_account = 2;
    })
    .await;
    let partner = app
        .account("julie@exemple.fr", Role::Partner, Some("afev"))
        .await;
    app.data_as(&partner.token, THEMES, json!({})).await;
    app.data_as(&partner.token, THEMES, json!({})).await;
    let response = app
        .post_graphql_as(&partner.token, json!({ "query": THEMES }))
        .await;
    assert_eq!(response.status(), StatusCode::TOO_MANY_REQUESTS);
    assert!(response.headers().contains_key(header::RETRY_AFTER));
    assert_eq!(code_of(response).await, "RATE_LIMITED");
    // The public, from the same address, goes on.
    app.data(THEMES).await;
}

#[tokio::test]
async fn forwarding_headers_name_the_client_only_behind_a_trusted_proxy() {
    let from = |app: &TestApp, client: &'static str| {
        app.client
            .post(format!("{}/graphql", app.address))
            .header("x-forwarded-for", client)
            .json(&json!({ "query": THEMES }))
            .send()
    };
    // The test client connects from 127.0.0.1: here it is a trusted proxy.
    let behind_proxy = TestApp::with_demo_and_settings(|settings| {
        settings.protection.rate_limit_per_address = 1;
        settings.protection.trusted_proxies = vec!["127.0.0.0/8".parse().unwrap()];
    })
    .await;
    assert_eq!(
        from(&behind_proxy, "198.51.100.1").await.unwrap().status(),
        StatusCode::OK
    );
    assert_eq!(
        from(&behind_proxy, "198.51.100.2").await.unwrap().status(),
        StatusCode::OK
    );
    assert_eq!(
        from(&behind_proxy, "198.51.100.1").await.unwrap().status(),
        StatusCode::TOO_MANY_REQUESTS
    );

    // Without trusted proxies, the header is the client's own claim and changes nothing.
    let direct = TestApp::with_demo_and_settings(|settings| {
        settings.protection.rate_limit_per_address = 1;
    })
    .await;
    assert_eq!(
        from(&direct, "198.51.100.1").await.unwrap().status(),
        StatusCode::OK
    );
    assert_eq!(
        from(&direct, "198.51.100.2").await.unwrap().status(),
        StatusCode::TOO_MANY_REQUESTS
    );
}

#[tokio::test]
async fn failed_logins_behind_a_trusted_proxy_are_counted_per_forwarded_client() {
    let app = TestApp::with_demo_and_settings(|settings| {
        settings.protection.trusted_proxies = vec!["127.0.0.1/32".parse().unwrap()];
    })
    .await;
    let attempts = |client: &'static str, from: usize| {
        let logins: Vec<String> = (from..from + 20)
            .map(|n| {
                format!(
                    "l{n}: login(input: {{ email: \"personne{n}@exemple.fr\", password: \"x\" }}) {{ token }}"
                )
            })
            .collect();
        app.client
            .post(format!("{}/graphql", app.address))
            .header("x-forwarded-for", client)
            .json(&json!({ "query": format!("mutation {{ {} }}", logins.join(" ")) }))
            .send()
    };
    let body: Value = attempts("203.0.113.1", 0)
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert!(!error_codes(&body).is_empty());
    let body: Value = attempts("203.0.113.1", 20)
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert!(
        error_codes(&body).contains(&"RATE_LIMITED".to_owned()),
        "{body}"
    );
    // Another client behind the same proxy is not throttled by the first one's failures.
    let body: Value = attempts("203.0.113.2", 40)
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert!(
        !error_codes(&body).contains(&"RATE_LIMITED".to_owned()),
        "{body}"
    );
}

#[tokio::test]
async fn requests_over_the_concurrency_limit_are_shed_with_503() {
    let app = TestApp::with_demo_and_settings(|settings| {
        settings.protection.max_concurrent_requests = 1;
    })
    .await;
    // A request whose body is still coming holds the only place.
    let address = app.address.trim_start_matches("http://").to_owned();
    let mut slow = tokio::net::TcpStream::connect(&address).await.unwrap();
    slow.write_all(
        b"POST /graphql HTTP/1.1\r\nhost: x\r\ncontent-type: application/json\r\ncontent-length: 100\r\n\r\n{",
    )
    .await
    .unwrap();
    slow.flush().await.unwrap();
    tokio::time::sleep(Duration::from_millis(200)).await;

    let response = app.post_graphql(json!({ "query": THEMES })).await;
    assert_eq!(response.status(), StatusCode::SERVICE_UNAVAILABLE);
    assert_eq!(response.headers()[header::RETRY_AFTER], "1");
    assert_eq!(code_of(response).await, "OVERLOADED");
    assert_eq!(
        app.get("/readyz").await.status(),
        StatusCode::OK,
        "probes still answer"
    );

    drop(slow);
    let mut status = StatusCode::SERVICE_UNAVAILABLE;
    for _ in 0..50 {
        status = app.post_graphql(json!({ "query": THEMES })).await.status();
        if status == StatusCode::OK {
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert_eq!(status, StatusCode::OK, "the place is free again");
}

async fn post_accepting(app: &TestApp, accept: &str, body: Value) -> reqwest::Response {
    app.client
        .post(format!("{}/graphql", app.address))
        .header("accept", accept)
        .json(&body)
        .send()
        .await
        .unwrap()
}

#[tokio::test]
async fn the_response_type_follows_accept_with_the_status_codes_of_the_spec() {
    let app = TestApp::with_demo().await;
    let graphql_response = "application/graphql-response+json";
    let ok = post_accepting(&app, graphql_response, json!({ "query": THEMES })).await;
    assert_eq!(ok.status(), StatusCode::OK);
    assert!(
        ok.headers()[header::CONTENT_TYPE]
            .to_str()
            .unwrap()
            .starts_with(graphql_response)
    );
    for (body, code) in [
        (json!({ "query": "{ themes { " }), "GRAPHQL_PARSE_FAILED"),
        (json!({ "query": "{ nope }" }), "GRAPHQL_VALIDATION_FAILED"),
        (
            json!({ "query": "query($n: Int) { initiatives(first: $n) { totalCount } }",
                    "variables": { "n": "ten" } }),
            "BAD_USER_INPUT",
        ),
    ] {
        let refused = post_accepting(&app, graphql_response, body.clone()).await;
        assert_eq!(refused.status(), StatusCode::BAD_REQUEST, "{body}");
        let json: Value = refused.json().await.unwrap();
        assert_eq!(error_codes(&json), [code], "{json}");
        assert!(json.get("data").is_none(), "{json}");

        let legacy = post_accepting(&app, "application/json", body.clone()).await;
        assert_eq!(legacy.status(), StatusCode::OK, "{body}");
        assert!(
            legacy.headers()[header::CONTENT_TYPE]
                .to_str()
                .unwrap()
                .starts_with("application/json")
        );
    }
    let unacceptable = post_accepting(&app, "text/html", json!({ "query": THEMES })).await;
    assert_eq!(unacceptable.status(), StatusCode::NOT_ACCEPTABLE);
}
