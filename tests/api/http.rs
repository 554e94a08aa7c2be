//! Health probes, GraphiQL, CORS and the HTTP layers.

use reqwest::StatusCode;

use crate::helpers::TestApp;

#[tokio::test]
async fn the_service_is_alive_and_ready_while_its_database_answers() {
    let app = TestApp::empty().await;
    assert_eq!(app.get("/healthz").await.status(), StatusCode::OK);
    assert_eq!(app.get("/readyz").await.status(), StatusCode::OK);
}

#[tokio::test]
async fn readiness_fails_with_503_when_the_database_is_unreachable() {
    let app = TestApp::empty().await;
    app.db().close_by_ref().await.unwrap();
    let ready = app.get("/readyz").await;
    assert_eq!(ready.status(), StatusCode::SERVICE_UNAVAILABLE);
    assert_eq!(
        app.get("/healthz").await.status(),
        StatusCode::OK,
        "still alive"
    );
}

#[tokio::test]
async fn graphiql_is_served_at_the_root_and_loads_nothing_from_another_site() {
    let app = TestApp::empty().await;
    let page = app.get("/").await;
    assert_eq!(page.status(), StatusCode::OK);
    let html = page.text().await.unwrap();
    assert!(html.contains("GraphiQL"), "{html}");
    assert!(html.contains("\"/graphql\""), "{html}");
    assert!(!html.contains("://"), "no address of another site: {html}");
    let loaded: Vec<String> = regex::Regex::new(r#"(?:src|href)="([^"]*)""#)
        .unwrap()
        .captures_iter(&html)
        .map(|found| found[1].to_owned())
        .collect();
    assert!(loaded.len() >= 4, "{loaded:?}");
    for address in &loaded {
        assert!(
            address.starts_with("/graphiql/") || address.starts_with("data:"),
            "{address} is not served by Communs"
        );
    }
}

#[tokio::test]
async fn graphiqls_scripts_and_style_are_served_with_their_media_type_for_a_year() {
    let app = TestApp::empty().await;
    let html = app.get("/").await.text().await.unwrap();
    let files = regex::Regex::new(r#""(/graphiql/[^"]+)""#).unwrap();
    let mut served = 0;
    for found in files.captures_iter(&html) {
        let address = &found[1];
        let file = app.get(address).await;
        assert_eq!(file.status(), StatusCode::OK, "{address}");
        let header = |name: &str| {
            file.headers()
                .get(name)
                .and_then(|value| value.to_str().ok())
                .unwrap_or_default()
                .to_owned()
        };
        let expected = if address.ends_with(".css") {
            "text/css; charset=utf-8"
        } else {
            "text/javascript; charset=utf-8"
        };
        assert_eq!(header("content-type"), expected, "{address}");
        assert_eq!(
            header("cache-control"),
            "public, max-age=31536000, immutable",
            "{address}"
        );
        assert!(file.bytes().await.unwrap().len() > 1000, "{address}");
        served += 1;
    }
    assert_eq!(served, 4, "GraphiQL, its style, React and ReactDOM");
    assert_eq!(
        app.get("/graphiql/unknown.js").await.status(),
        StatusCode::NOT_FOUND
    );
}

#[tokio::test]
async fn graphiql_can_be_turned_off_and_the_api_still_answers() {
    let app = TestApp::with_demo_and_settings(|settings| settings.graphiql = false).await;
    assert_eq!(app.get("/").await.status(), StatusCode::NOT_FOUND);
    assert_eq!(
        app.get("/graphiql/graphiql-3.9.0.min.js").await.status(),
        StatusCode::NOT_FOUND
    );
    let data = app.data("{ initiatives(first: 1) { totalCount } }").await;
    assert!(data["initiatives"]["totalCount"].as_u64().unwrap() > 0);
}

#[tokio::test]
async fn fields_come_back_in_the_order_the_query_selects_them() {
    let app = TestApp::with_demo().await;
    let body = app
        .post_graphql(serde_json::json!({ "query": "{ meetings { totalCount nodes { title
            participants { role jobTitle } topics { question position } heldOn } pageInfo { hasNextPage } } themes { slug } }" }))
        .await
        .text()
        .await
        .unwrap();
    let at = |key: &str| {
        body.find(&format!("\"{key}\""))
            .unwrap_or_else(|| panic!("{key} in {body}"))
    };
    assert!(at("meetings") < at("themes"));
    assert!(at("totalCount") < at("nodes") && at("nodes") < at("pageInfo"));
    assert!(at("title") < at("participants") && at("participants") < at("topics"));
    assert!(at("topics") < at("heldOn"));
    assert!(at("role") < at("jobTitle") && at("question") < at("position"));
}

#[tokio::test]
async fn browsers_may_call_from_any_origin_and_send_a_request_id() {
    let app = TestApp::empty().await;
    let preflight = app
        .client
        .request(reqwest::Method::OPTIONS, format!("{}/graphql", app.address))
        .header("origin", "https://ressources.example")
        .header("access-control-request-method", "POST")
        .header(
            "access-control-request-headers",
            "content-type,authorization,x-request-id",
        )
        .send()
        .await
        .unwrap();
    assert!(preflight.status().is_success());
    assert_eq!(preflight.headers()["access-control-allow-origin"], "*");
    let allowed = preflight.headers()["access-control-allow-headers"]
        .to_str()
        .unwrap()
        .to_lowercase();
    for header in ["content-type", "authorization", "x-request-id"] {
        assert!(allowed.contains(header), "{header} in {allowed}");
    }
}

#[tokio::test]
async fn browsers_may_send_the_headers_of_frontend_tools_and_keep_the_preflight() {
    let app = TestApp::empty().await;
    let asked = [
        "content-type",
        "apollographql-client-name",
        "apollographql-client-version",
        "apollo-require-preflight",
        "sentry-trace",
        "baggage",
        "traceparent",
    ];
    let preflight = app
        .client
        .request(reqwest::Method::OPTIONS, format!("{}/graphql", app.address))
        .header("origin", "https://ressources.example")
        .header("access-control-request-method", "POST")
        .header("access-control-request-headers", asked.join(","))
        .send()
        .await
        .unwrap();
    assert!(preflight.status().is_success());
    let allowed = preflight.headers()["access-control-allow-headers"]
        .to_str()
        .unwrap()
        .to_lowercase();
    for header in asked {
        assert!(allowed.contains(header), "{header} in {allowed}");
    }
    assert_eq!(preflight.headers()["access-control-max-age"], "7200");
    assert!(
        preflight
            .headers()
            .get("access-control-allow-credentials")
            .is_none(),
        "never with credentials"
    );
}

#[tokio::test]
async fn a_body_too_large_is_refused_with_a_graphql_error_and_cors_headers() {
    let app = TestApp::empty().await;
    let padding = " ".repeat(2 * 1024 * 1024);
    let response = app
        .client
        .post(format!("{}/graphql", app.address))
        .header("origin", "https://ressources.example")
        .header("content-type", "application/json")
        .body(format!(
            r#"{{"query": "{{ themes {{ name }} }}{padding}"}}"#
        ))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::PAYLOAD_TOO_LARGE);
    assert_eq!(response.headers()["access-control-allow-origin"], "*");
    let request_id = response.headers()["x-request-id"]
        .to_str()
        .unwrap()
        .to_owned();
    let body: serde_json::Value = response.json().await.unwrap();
    assert_eq!(body["errors"][0]["extensions"]["code"], "PAYLOAD_TOO_LARGE");
    assert_eq!(body["errors"][0]["extensions"]["requestId"], request_id);
}
