//! Bad input gets a GraphQL error with a code and the request id, never a crash.

use reqwest::StatusCode;
use sea_orm::ConnectionTrait;
use serde_json::{Value, json};

use crate::helpers::{TestApp, error_codes};

#[tokio::test]
async fn a_query_that_does_not_parse_is_reported_with_a_code_and_the_request_id() {
    let app = TestApp::with_demo().await;
    let response = app
        .post_graphql(json!({ "query": "{ initiatives { " }))
        .await;
    assert_eq!(response.status(), StatusCode::OK);
    let request_id = response
        .headers()
        .get("x-request-id")
        .expect("every response has a request id")
        .to_str()
        .unwrap()
        .to_owned();
    let body: Value = response.json().await.unwrap();
    assert_eq!(error_codes(&body), ["GRAPHQL_PARSE_FAILED"]);
    assert_eq!(body["errors"][0]["extensions"]["requestId"], request_id);
}

#[tokio::test]
async fn a_request_id_sent_by_the_client_is_kept() {
    let app = TestApp::with_demo().await;
    let response = app
        .client
        .post(format!("{}/graphql", app.address))
        .header("x-request-id", "frontend-42")
        .json(&json!({ "query": "{ nope }" }))
        .send()
        .await
        .unwrap();
    assert_eq!(response.headers()["x-request-id"], "frontend-42");
    let body: Value = response.json().await.unwrap();
    assert_eq!(error_codes(&body), ["GRAPHQL_VALIDATION_FAILED"]);
    assert_eq!(body["errors"][0]["extensions"]["requestId"], "frontend-42");
}

#[tokio::test]
async fn values_that_do_not_fit_their_type_are_bad_input() {
    let app = TestApp::with_demo().await;
    let unknown = app
        .query(r#"{ initiatives(filter: {audiences: [MARTIANS]}) { totalCount } }"#)
        .await;
    assert_eq!(
        unknown["errors"][0]["extensions"]["field"],
        "filter.audiences[0]"
    );
    for query in [
        r#"{ initiatives(filter: {audiences: [MARTIANS]}) { totalCount } }"#,
        r#"{ initiatives(filter: {startedFrom: "14/05/2020"}) { totalCount } }"#,
        r#"{ initiatives(first: "ten") { totalCount } }"#,
    ] {
        let body = app.query(query).await;
        assert_eq!(error_codes(&body), ["BAD_USER_INPUT"], "{query}: {body}");
    }
    let body = app
        .query_with(
            "query($a: [Audience!]) { initiatives(filter: {audiences: $a}) { totalCount } }",
            json!({ "a": ["MARTIANS"] }),
        )
        .await;
    assert_eq!(error_codes(&body), ["BAD_USER_INPUT"], "{body}");
}

#[tokio::test]
async fn batches_and_bodies_that_are_not_graphql_are_refused_with_a_graphql_error() {
    let app = TestApp::with_demo().await;
    let batch = app
        .post_graphql(
            json!([{ "query": "{ themes { name } }" }, { "query": "{ themes { name } }" }]),
        )
        .await;
    assert_eq!(batch.status(), StatusCode::BAD_REQUEST);
    let body: Value = batch.json().await.unwrap();
    assert_eq!(error_codes(&body), ["BAD_REQUEST"]);
    assert!(
        body["errors"][0]["extensions"]["requestId"]
            .as_str()
            .unwrap()
            .len()
            > 10
    );

    let no_query = app.post_graphql(json!({ "hello": 1 })).await;
    assert_eq!(no_query.status(), StatusCode::BAD_REQUEST);
    let body: Value = no_query.json().await.unwrap();
    assert_eq!(error_codes(&body), ["BAD_REQUEST"]);

    let garbage = app
        .client
        .post(format!("{}/graphql", app.address))
        .header("content-type", "application/json")
        .body("{ not json")
        .send()
        .await
        .unwrap();
    assert_eq!(garbage.status(), StatusCode::BAD_REQUEST);
    let body: Value = garbage.json().await.unwrap();
    assert_eq!(error_codes(&body), ["BAD_REQUEST"]);
}

#[tokio::test]
async fn queries_run_over_get_but_mutations_do_not() {
    let app = TestApp::with_demo().await;
    let ok = app
        .client
        .get(format!("{}/graphql", app.address))
        .query(&[("query", "{ themes { name } }")])
        .send()
        .await
        .unwrap();
    assert_eq!(ok.status(), StatusCode::OK);
    let body: Value = ok.json().await.unwrap();
    assert_eq!(body["data"]["themes"].as_array().unwrap().len(), 6);

    let mutation = app
        .client
        .get(format!("{}/graphql", app.address))
        .query(&[("query", "mutation { anything }")])
        .send()
        .await
        .unwrap();
    assert_eq!(mutation.status(), StatusCode::METHOD_NOT_ALLOWED);
    let body: Value = mutation.json().await.unwrap();
    assert_eq!(error_codes(&body), ["METHOD_NOT_ALLOWED"]);
}

#[tokio::test]
async fn a_database_failure_is_an_internal_error_that_shows_nothing_of_its_cause() {
    let app = TestApp::with_demo().await;
    // A fault of ours (the schema is not what the code expects), not an outage.
    app.db()
        .execute_unprepared("ALTER TABLE initiative RENAME TO initiative_gone")
        .await
        .unwrap();
    let body = app
        .query("{ initiatives { totalCount nodes { title } } }")
        .await;
    assert_eq!(error_codes(&body), ["INTERNAL_SERVER_ERROR"]);
    assert_eq!(body["errors"][0]["message"], "internal server error");
    let text = body.to_string().to_lowercase();
    for internal in [
        "sql",
        "pool",
        "sqlite",
        "postgres",
        "select",
        "initiative_gone",
    ] {
        assert!(!text.contains(internal), "{internal} leaked: {body}");
    }
}

#[tokio::test]
async fn a_closed_database_pool_is_unavailable_and_shows_nothing_of_its_cause() {
    let app = TestApp::with_demo().await;
    // As while the process stops.
    app.db().close_by_ref().await.unwrap();
    let response = app
        .post_graphql(json!({ "query": "{ initiatives { totalCount nodes { title } } }" }))
        .await;
    assert_eq!(response.status(), StatusCode::SERVICE_UNAVAILABLE);
    let body: Value = response.json().await.unwrap();
    assert_eq!(error_codes(&body), ["SERVICE_UNAVAILABLE"]);
    let text = body.to_string().to_lowercase();
    for internal in ["sql", "pool", "sqlite", "postgres", "select", "connection"] {
        assert!(!text.contains(internal), "{internal} leaked: {body}");
    }
}

/// The keys of each error of an answer, in the order they were written.
fn error_keys(text: &str) -> Vec<Vec<String>> {
    // async-graphql's value keeps the order of an object's keys, where serde_json's sorts.
    let body: async_graphql::Value = serde_json::from_str(text).unwrap();
    let async_graphql::Value::Object(body) = body else {
        panic!("{text}")
    };
    let Some(async_graphql::Value::List(errors)) = body.get("errors") else {
        panic!("{text}")
    };
    errors
        .iter()
        .map(|error| match error {
            async_graphql::Value::Object(fields) => {
                fields.keys().map(|key| key.to_string()).collect()
            }
            _ => panic!("{text}"),
        })
        .collect()
}

/// Asserts that every error of `text` lists its keys in the specification's order.
fn assert_in_order(what: &str, text: &str) -> Vec<Vec<String>> {
    const ORDER: [&str; 4] = ["message", "locations", "path", "extensions"];
    let keys = error_keys(text);
    assert!(!keys.is_empty(), "{what}: {text}");
    for error in &keys {
        let expected: Vec<&str> = ORDER
            .into_iter()
            .filter(|key| error.iter().any(|found| found == key))
            .collect();
        assert_eq!(error, &expected, "{what}: {text}");
    }
    keys
}

#[tokio::test]
async fn every_error_lists_message_locations_path_and_extensions_in_that_order() {
    let app =
        TestApp::with_demo_and_settings(|settings| settings.protection.max_response_bytes = 1024)
            .await;
    let post = |body: String, accept: &'static str| {
        app.client
            .post(format!("{}/graphql", app.address))
            .header("content-type", "application/json")
            .header("accept", accept)
            .body(body)
            .send()
    };
    let json = "application/json";
    let graphql_response = "application/graphql-response+json";
    let query = |text: &str| json!({ "query": text }).to_string();
    let mut seen = Vec::new();
    for (what, body, accept) in [
        ("a validation error", query("{ nope }"), json),
        (
            "a validation error, refused with 400",
            query("{ nope }"),
            graphql_response,
        ),
        (
            "a resolver's error",
            query(r#"{ node(id: "42") { id } }"#),
            json,
        ),
        (
            "a query over the limits",
            query(
                "{ __schema { types { fields { type { fields { type { fields { name } } } } } } } }",
            ),
            json,
        ),
        (
            "a value refused by the input policy",
            query("{ initiatives(filter: {search: \"a\\u0000b\"}) { totalCount } }"),
            json,
        ),
        (
            "an answer too large",
            query("{ initiatives(first: 20) { nodes { title summary } } }"),
            json,
        ),
        (
            "a body too large",
            format!(
                r#"{{"query": "{{ themes {{ name }} }}{}"}}"#,
                " ".repeat(2 << 20)
            ),
            json,
        ),
    ] {
        let text = post(body, accept).await.unwrap().text().await.unwrap();
        seen.extend(assert_in_order(what, &text));
    }
    for key in ["locations", "path"] {
        assert!(
            seen.iter()
                .any(|error| error.iter().any(|found| found == key)),
            "some error has {key}: {seen:?}"
        );
    }
}
