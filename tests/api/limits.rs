//! Query limits: a document asking too much is refused before it runs, with
//! QUERY_LIMIT_EXCEEDED and the limit it went over, and without a single SQL statement.

use std::time::{Duration, Instant};

use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::helpers::{TestApp, error_codes};

/// `levels` fragments, each spreading the next `width` times: about a kilobyte that
/// expands to `width^levels` fields.
fn fan_out(levels: usize, width: usize) -> String {
    let mut text = "query { ...F0 }\n".to_owned();
    for level in 0..levels {
        let spreads = vec![format!("...F{}", level + 1); width].join(" ");
        text.push_str(&format!("fragment F{level} on Query {{ {spreads} }}\n"));
    }
    text.push_str(&format!(
        "fragment F{levels} on Query {{ themes {{ name }} }}\n"
    ));
    text
}

/// The body of a refused query, after checking that it was refused for `limit`.
async fn refused(app: &TestApp, query: &str, variables: Value, limit: &str) -> Value {
    let before = app.statements();
    let body = app.query_with(query, variables).await;
    assert_eq!(error_codes(&body), ["QUERY_LIMIT_EXCEEDED"], "{body}");
    assert_eq!(body["errors"][0]["extensions"]["limit"], limit, "{body}");
    assert!(body["data"].is_null(), "{body}");
    assert_eq!(app.statements(), before, "no SQL for a refused query");
    body
}

#[tokio::test]
async fn fragments_that_multiply_when_expanded_are_refused_at_once_without_sql() {
    let app = TestApp::with_demo().await;
    for (levels, width) in [(30, 2), (12, 3), (6, 6)] {
        let query = fan_out(levels, width);
        assert!(
            query.len() < 1500,
            "a small document: {} bytes",
            query.len()
        );
        let started = Instant::now();
        let body = refused(&app, &query, json!({}), "fields").await;
        // The budget (50 ms) is measured in bench/; this only catches a runaway.
        assert!(
            started.elapsed() < Duration::from_secs(2),
            "{levels}×{width} took {:?}",
            started.elapsed()
        );
        assert!(
            body["errors"][0]["message"]
                .as_str()
                .unwrap()
                .contains("at most 2000"),
            "{body}"
        );
    }
    // The same pattern, small enough, runs.
    app.data(&fan_out(2, 2)).await;
}

#[tokio::test]
async fn a_fragment_that_spreads_itself_is_a_validation_error() {
    let app = TestApp::with_demo().await;
    let body = app
        .query("{ ...A } fragment A on Query { ...B } fragment B on Query { themes { name } ...A }")
        .await;
    assert_eq!(error_codes(&body), ["GRAPHQL_VALIDATION_FAILED"], "{body}");
}

#[tokio::test]
async fn each_limit_refuses_with_its_name() {
    let app = TestApp::with_demo().await;
    let deep = "{ themes { children { children { children { children { children { children {
        children { children { children { children { children { children { children { children {
        name } } } } } } } } } } } } } } } }";
    refused(&app, deep, json!({}), "depth").await;

    let aliases: Vec<String> = (0..31).map(|n| format!("a{n}: name")).collect();
    let query = format!("{{ themes {{ {} }} }}", aliases.join(" "));
    refused(&app, &query, json!({}), "aliases").await;

    let roots: Vec<String> = (0..21)
        .map(|n| format!("t{n}: themes {{ name }}"))
        .collect();
    let query = format!("{{ {} }}", roots.join(" "));
    refused(&app, &query, json!({}), "rootFields").await;

    let directives = "name @include(if: true) ".repeat(31);
    let query = format!("{{ themes {{ {directives} }} }}");
    refused(&app, &query, json!({}), "directives").await;

    let query = format!("{{ themes {{ {} }} }}", "name ".repeat(5000));
    refused(&app, &query, json!({}), "tokens").await;

    // A hundred territories with a hundred initiatives each, with their themes.
    let query = "query($first: Int) { territories(first: 100) { nodes {
        initiatives(first: $first) { nodes { title themes { name } } } } } }";
    refused(&app, query, json!({ "first": 100 }), "complexity").await;
    app.data_with(query, json!({ "first": 2 })).await;
}

#[tokio::test]
async fn the_limits_are_settings() {
    let app = TestApp::with_demo_and_settings(|settings| {
        settings.protection.query_limits.max_depth = 2;
    })
    .await;
    app.data("{ themes { name } }").await;
    let body = refused(&app, "{ themes { children { name } } }", json!({}), "depth").await;
    assert_eq!(body["errors"][0]["extensions"]["max"], 2);
}

#[tokio::test]
async fn a_refused_query_is_a_400_for_clients_that_accept_graphql_responses() {
    let app = TestApp::with_demo().await;
    let response = app
        .client
        .post(format!("{}/graphql", app.address))
        .header("accept", "application/graphql-response+json")
        .json(&json!({ "query": fan_out(30, 2) }))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::BAD_REQUEST);
    let body: Value = response.json().await.unwrap();
    assert_eq!(error_codes(&body), ["QUERY_LIMIT_EXCEEDED"]);
    assert!(body.get("data").is_none(), "{body}");
}

/// The introspection query of graphql-js (`getIntrospectionQuery`), as GraphiQL sends it.
const INTROSPECTION: &str = "query IntrospectionQuery { __schema {
    queryType { name } mutationType { name } subscriptionType { name }
    types { ...FullType }
    directives { name description locations args { ...InputValue } } } }
  fragment FullType on __Type { kind name description
    fields(includeDeprecated: true) { name description args { ...InputValue } type { ...TypeRef }
      isDeprecated deprecationReason }
    inputFields { ...InputValue } interfaces { ...TypeRef }
    enumValues(includeDeprecated: true) { name description isDeprecated deprecationReason }
    possibleTypes { ...TypeRef } }
  fragment InputValue on __InputValue { name description type { ...TypeRef } defaultValue }
  fragment TypeRef on __Type { kind name ofType { kind name ofType { kind name ofType {
    kind name ofType { kind name ofType { kind name ofType { kind name ofType { kind name
    ofType { kind name } } } } } } } } }";

#[tokio::test]
async fn introspection_answers_by_default_and_a_setting_turns_it_off() {
    let app = TestApp::with_demo().await;
    let data = app.data(INTROSPECTION).await;
    assert!(data["__schema"]["types"].as_array().unwrap().len() > 20);

    let closed = TestApp::with_demo_and_settings(|settings| {
        settings.protection.introspection = false;
    })
    .await;
    let body = closed.query("{ __schema { types { name } } }").await;
    assert!(body["data"]["__schema"].is_null(), "{body}");
    closed.data("{ themes { name } }").await;
}

#[tokio::test]
async fn field_suggestions_are_off_unless_asked_for() {
    let app = TestApp::with_demo().await;
    let body = app.query("{ themez { name } }").await;
    let message = body["errors"][0]["message"].as_str().unwrap();
    assert!(!message.contains("Did you mean"), "{message}");

    let developing = TestApp::with_demo_and_settings(|settings| {
        settings.protection.suggestions = true;
    })
    .await;
    let body = developing.query("{ themez { name } }").await;
    let message = body["errors"][0]["message"].as_str().unwrap();
    assert!(message.contains("themes"), "{message}");
}
