//! HTTP caches in front of the service (a CDN, a browser) keep anonymous answers to
//! queries sent with GET, revalidate them with `If-None-Match`, and keep nothing else.

use std::time::Duration;

use entity::enums::{ModerationStatus, Role};
use reqwest::{Response, StatusCode, header};
use serde_json::json;

use crate::{
    contributions::publish,
    fixtures::{NewInitiative, insert_initiative},
    helpers::TestApp,
};

const LIST: &str = "{ initiatives(first: 100) { totalCount nodes { title } } }";

async fn get_query(app: &TestApp, query: &str, headers: &[(&str, &str)]) -> Response {
    let mut request = app
        .client
        .get(format!("{}/graphql", app.address))
        .query(&[("query", query)]);
    for (name, value) in headers {
        request = request.header(*name, *value);
    }
    request.send().await.unwrap()
}

fn header_of(response: &Response, name: header::HeaderName) -> String {
    response
        .headers()
        .get(&name)
        .map(|value| value.to_str().unwrap().to_owned())
        .unwrap_or_default()
}

#[tokio::test]
async fn an_anonymous_get_is_public_for_a_minute_and_revalidates_to_304() {
    let app = TestApp::with_demo().await;
    let first = get_query(&app, LIST, &[]).await;
    assert_eq!(first.status(), StatusCode::OK);
    assert_eq!(
        header_of(&first, header::CACHE_CONTROL),
        "public, max-age=60"
    );
    let vary = header_of(&first, header::VARY);
    assert!(
        vary.contains("accept") && vary.contains("authorization"),
        "{vary}"
    );
    let etag = header_of(&first, header::ETAG);
    assert!(etag.starts_with('"') && etag.len() > 10, "{etag}");

    let again = get_query(&app, LIST, &[("if-none-match", &etag)]).await;
    assert_eq!(again.status(), StatusCode::NOT_MODIFIED);
    assert_eq!(header_of(&again, header::ETAG), etag);
    assert_eq!(
        header_of(&again, header::CACHE_CONTROL),
        "public, max-age=60"
    );
    assert!(again.bytes().await.unwrap().is_empty());

    let other = get_query(&app, LIST, &[("if-none-match", "\"something-else\"")]).await;
    assert_eq!(other.status(), StatusCode::OK);
    assert_eq!(header_of(&other, header::ETAG), etag, "the same answer");
}

#[tokio::test]
async fn a_publication_changes_the_etag_so_a_cache_gets_the_new_answer() {
    let app = TestApp::with_demo_and_settings(|settings| {
        settings.response_cache = Duration::from_secs(60);
    })
    .await;
    let moderator = app.account("m@exemple.fr", Role::Moderator, None).await;
    let id = insert_initiative(
        app.db(),
        NewInitiative {
            title: "Troc de graines au pied des tours",
            status: ModerationStatus::Submitted,
            owner: Some("afev"),
            ..NewInitiative::default()
        },
    )
    .await;
    let etag = header_of(&get_query(&app, LIST, &[]).await, header::ETAG);
    let kept = get_query(&app, LIST, &[("if-none-match", &etag)]).await;
    assert_eq!(kept.status(), StatusCode::NOT_MODIFIED);

    publish(&app, &moderator, id).await;
    let changed = get_query(&app, LIST, &[("if-none-match", &etag)]).await;
    assert_eq!(changed.status(), StatusCode::OK);
    assert_ne!(header_of(&changed, header::ETAG), etag);
    let body: serde_json::Value = changed.json().await.unwrap();
    assert!(
        body["data"]["initiatives"]["nodes"]
            .as_array()
            .unwrap()
            .iter()
            .any(|node| node["title"] == "Troc de graines au pied des tours")
    );
}

#[tokio::test]
async fn nothing_a_signed_in_caller_is_answered_may_be_kept_by_any_cache() {
    let app = TestApp::with_demo().await;
    let moderator = app.account("m@exemple.fr", Role::Moderator, None).await;
    let bearer = format!("Bearer {}", moderator.token);
    let answer = get_query(&app, LIST, &[("authorization", &bearer)]).await;
    assert_eq!(answer.status(), StatusCode::OK);
    assert_eq!(
        header_of(&answer, header::CACHE_CONTROL),
        "private, no-store"
    );
    assert!(answer.headers().get(header::ETAG).is_none());

    let etag = header_of(&get_query(&app, LIST, &[]).await, header::ETAG);
    let revalidated = get_query(
        &app,
        LIST,
        &[("authorization", &bearer), ("if-none-match", &etag)],
    )
    .await;
    assert_eq!(
        revalidated.status(),
        StatusCode::OK,
        "a signed-in caller is never told the public answer still holds"
    );
}

#[tokio::test]
async fn errors_posts_and_mutations_are_never_kept() {
    let app = TestApp::with_demo().await;
    let error = get_query(&app, "{ initiative(slug: 3) { title } }", &[]).await;
    assert_eq!(
        header_of(&error, header::CACHE_CONTROL),
        "private, no-store"
    );
    let post = app.post_graphql(json!({ "query": LIST })).await;
    assert_eq!(post.status(), StatusCode::OK);
    assert_eq!(header_of(&post, header::CACHE_CONTROL), "private, no-store");
    let mutation = app
        .post_graphql(json!({
            "query": r#"mutation { login(email: "personne@exemple.fr", password: "faux") { token } }"#,
        }))
        .await;
    assert_eq!(
        header_of(&mutation, header::CACHE_CONTROL),
        "private, no-store"
    );
}

#[tokio::test]
async fn the_max_age_is_a_setting_and_zero_revalidates_every_time() {
    let app = TestApp::with_demo_and_settings(|settings| {
        settings.http_cache_max_age = Duration::ZERO;
    })
    .await;
    let answer = get_query(&app, LIST, &[]).await;
    assert_eq!(
        header_of(&answer, header::CACHE_CONTROL),
        "public, no-cache"
    );
    let etag = header_of(&answer, header::ETAG);
    let again = get_query(&app, LIST, &[("if-none-match", &etag)]).await;
    assert_eq!(again.status(), StatusCode::NOT_MODIFIED);
}
