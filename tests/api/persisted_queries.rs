//! Automatic persisted queries: a client sends the hash of its query; the first time, the
//! service asks for the query, and from then on the hash alone is enough, over GET too.

use reqwest::{Response, StatusCode};
use serde_json::{Value, json};
use sha2::{Digest, Sha256};

use crate::helpers::{TestApp, error_codes};

const THEMES: &str = "query Themes { themes { slug } }";

fn hash_of(query: &str) -> String {
    format!("{:x}", Sha256::digest(query.as_bytes()))
}

fn persisted(hash: &str) -> Value {
    json!({ "persistedQuery": { "version": 1, "sha256Hash": hash } })
}

/// A GET of `/graphql` with these parameters, as Apollo's link sends a hashed query.
async fn get_by_hash(app: &TestApp, hash: &str, query: Option<&str>) -> Response {
    let mut parameters = vec![("extensions", persisted(hash).to_string())];
    if let Some(query) = query {
        parameters.push(("query", query.to_owned()));
    }
    app.client
        .get(format!("{}/graphql", app.address))
        .query(&parameters)
        .send()
        .await
        .unwrap()
}

async fn json_of(response: Response) -> Value {
    response.json().await.unwrap()
}

#[tokio::test]
async fn an_unknown_hash_is_asked_for_then_the_hash_alone_is_answered_over_get() {
    let app = TestApp::with_demo().await;
    let hash = hash_of(THEMES);

    let unknown = get_by_hash(&app, &hash, None).await;
    assert_eq!(unknown.status(), StatusCode::OK, "Apollo's link reads it");
    let unknown = json_of(unknown).await;
    assert_eq!(error_codes(&unknown), ["PERSISTED_QUERY_NOT_FOUND"]);
    assert_eq!(unknown["errors"][0]["message"], "PersistedQueryNotFound");

    let registered = json_of(get_by_hash(&app, &hash, Some(THEMES)).await).await;
    assert!(registered["data"]["themes"].as_array().unwrap().len() > 3);

    let by_hash = json_of(get_by_hash(&app, &hash, None).await).await;
    assert_eq!(by_hash, registered);
}

#[tokio::test]
async fn a_query_registered_over_post_is_then_answered_by_its_hash() {
    let app = TestApp::with_demo().await;
    let query = "query Slugs($first: Int) { initiatives(first: $first) { nodes { slug } } }";
    let hash = hash_of(query);
    let registered = app
        .post_graphql(json!({
            "query": query,
            "variables": { "first": 2 },
            "extensions": persisted(&hash),
        }))
        .await;
    let registered = json_of(registered).await;
    assert_eq!(
        registered["data"]["initiatives"]["nodes"]
            .as_array()
            .unwrap()
            .len(),
        2
    );

    let by_hash = app
        .post_graphql(json!({
            "variables": { "first": 1 },
            "extensions": persisted(&hash),
        }))
        .await;
    let by_hash = json_of(by_hash).await;
    assert_eq!(
        by_hash["data"]["initiatives"]["nodes"][0], registered["data"]["initiatives"]["nodes"][0],
        "the same query, with this request's variables"
    );
    assert_eq!(
        by_hash["data"]["initiatives"]["nodes"]
            .as_array()
            .unwrap()
            .len(),
        1
    );
}

#[tokio::test]
async fn a_query_sent_with_another_querys_hash_is_refused_and_not_registered() {
    let app = TestApp::with_demo().await;
    let other = hash_of("{ territories { code } }");
    let refused = get_by_hash(&app, &other, Some(THEMES)).await;
    assert_eq!(refused.status(), StatusCode::BAD_REQUEST);
    let refused = json_of(refused).await;
    assert_eq!(error_codes(&refused), ["BAD_REQUEST"]);
    assert!(refused.get("data").is_none(), "nothing ran: {refused}");

    let afterwards = json_of(get_by_hash(&app, &other, None).await).await;
    assert_eq!(error_codes(&afterwards), ["PERSISTED_QUERY_NOT_FOUND"]);
}

#[tokio::test]
async fn a_malformed_or_future_persisted_query_extension_is_refused_with_a_code() {
    let app = TestApp::with_demo().await;
    for extensions in [
        json!({ "persistedQuery": { "version": 1, "sha256Hash": "abc" } }),
        json!({ "persistedQuery": { "sha256Hash": hash_of(THEMES) } }),
        json!({ "persistedQuery": "yes" }),
        json!({ "persistedQuery": { "version": 2, "sha256Hash": hash_of(THEMES) } }),
    ] {
        let response = app.post_graphql(json!({ "extensions": extensions })).await;
        assert_eq!(response.status(), StatusCode::BAD_REQUEST, "{extensions}");
        let body = json_of(response).await;
        assert_eq!(error_codes(&body), ["BAD_REQUEST"], "{extensions}");
    }
}

#[tokio::test]
async fn a_mutation_by_hash_over_get_is_refused_as_any_mutation_over_get() {
    let app = TestApp::with_demo().await;
    let mutation = r#"mutation { login(email: "a@exemple.fr", password: "x") { token } }"#;
    let hash = hash_of(mutation);
    app.post_graphql(json!({ "query": mutation, "extensions": persisted(&hash) }))
        .await;
    let over_get = get_by_hash(&app, &hash, None).await;
    assert_eq!(over_get.status(), StatusCode::METHOD_NOT_ALLOWED);
}

#[tokio::test]
async fn with_persisted_queries_off_a_hash_alone_is_not_supported_and_full_queries_run() {
    let app = TestApp::with_demo_and_settings(|settings| settings.persisted_queries = false).await;
    let hash = hash_of(THEMES);
    let hash_only = json_of(get_by_hash(&app, &hash, None).await).await;
    assert_eq!(error_codes(&hash_only), ["PERSISTED_QUERY_NOT_SUPPORTED"]);
    assert_eq!(
        hash_only["errors"][0]["message"],
        "PersistedQueryNotSupported"
    );

    let full = json_of(get_by_hash(&app, &hash, Some(THEMES)).await).await;
    assert!(full["data"]["themes"].is_array(), "{full}");
}
