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
