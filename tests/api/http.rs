//! Health probes and GraphiQL.

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
async fn graphiql_is_served_at_the_root() {
    let app = TestApp::empty().await;
    let page = app.get("/").await;
    assert_eq!(page.status(), StatusCode::OK);
    let html = page.text().await.unwrap();
    assert!(html.contains("graphiql"), "{html}");
    assert!(html.contains("/graphql"));
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
