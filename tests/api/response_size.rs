//! The size of an answer: one over `MAX_RESPONSE_BYTES` is not sent; the client reads
//! RESPONSE_TOO_LARGE instead, and may ask for less.

use entity::enums::Role;
use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::helpers::{TestApp, error_codes};

/// Answers well over a kilobyte in the demo dataset.
const MANY_SUMMARIES: &str = "{ initiatives(first: 20) { totalCount nodes { title summary } } }";

const CAP: usize = 1024;

async fn with_a_small_cap() -> TestApp {
    TestApp::with_demo_and_settings(|settings| settings.protection.max_response_bytes = CAP).await
}

fn assert_too_large(body: &Value) {
    assert_eq!(error_codes(body), ["RESPONSE_TOO_LARGE"], "{body}");
    assert!(body["data"].is_null(), "{body}");
    let error = &body["errors"][0];
    assert_eq!(error["extensions"]["max"], CAP, "{body}");
    assert!(
        error["extensions"]["requestId"]
            .as_str()
            .is_some_and(|id| !id.is_empty()),
        "{body}"
    );
    let message = error["message"].as_str().unwrap();
    assert!(message.contains("ask for less"), "{message}");
}

#[tokio::test]
async fn an_answer_over_the_cap_is_replaced_by_an_error_that_says_to_ask_for_less() {
    let app = with_a_small_cap().await;
    // Anonymous: the answer would be kept for others; it is not, either time.
    for _ in 0..2 {
        assert_too_large(&app.query(MANY_SUMMARIES).await);
    }
    // A smaller page fits.
    let data = app
        .data("{ initiatives(first: 2) { nodes { title } } }")
        .await;
    assert_eq!(data["initiatives"]["nodes"].as_array().unwrap().len(), 2);

    // Signed in, the answer is never kept: the same cap applies.
    let admin = app.account("admin@example.org", Role::Admin, None).await;
    assert_too_large(&app.query_as(&admin.token, MANY_SUMMARIES, json!({})).await);
}

#[tokio::test]
async fn the_full_answer_fits_under_the_default_cap() {
    let app = TestApp::with_demo().await;
    let data = app.data(MANY_SUMMARIES).await;
    let initiatives = &data["initiatives"];
    assert!(initiatives["totalCount"].as_u64().unwrap() > 10, "{data}");
    assert_eq!(
        initiatives["nodes"].as_array().unwrap().len() as u64,
        initiatives["totalCount"].as_u64().unwrap()
    );
}

#[tokio::test]
async fn an_answer_over_the_cap_is_a_200_with_null_data_in_either_media_type() {
    let app = with_a_small_cap().await;
    let response = app
        .client
        .post(format!("{}/graphql", app.address))
        .header("accept", "application/graphql-response+json")
        .json(&json!({ "query": MANY_SUMMARIES }))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    let media = response.headers()["content-type"].to_str().unwrap();
    assert!(
        media.starts_with("application/graphql-response+json"),
        "{media}"
    );
    assert_too_large(&response.json().await.unwrap());
}
