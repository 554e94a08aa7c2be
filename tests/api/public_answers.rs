//! Answers to anonymous queries are kept in memory, and never served to anyone who may see
//! something else, nor once the catalogue has changed.

use std::time::Duration;

use entity::enums::{ModerationStatus, Role};
use serde_json::{Value, json};

use crate::{
    contributions::publish,
    fixtures::{NewInitiative, insert_initiative},
    helpers::{TestApp, error_codes},
};

const LIST: &str = "{ initiatives(first: 100) { totalCount nodes { title } } }";

/// The demo app keeping answers to anonymous queries for a minute.
async fn app_keeping_answers() -> TestApp {
    TestApp::with_demo_and_settings(|settings| {
        settings.response_cache = Duration::from_secs(60);
    })
    .await
}

fn titles(data: &Value) -> Vec<String> {
    data["initiatives"]["nodes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|node| node["title"].as_str().unwrap().to_owned())
        .collect()
}

#[tokio::test]
async fn an_anonymous_query_asked_again_runs_no_sql_until_a_mutation_runs() {
    let app = app_keeping_answers().await;
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
    let first = app.data(LIST).await;

    let before = app.statements();
    assert_eq!(app.data(LIST).await, first);
    assert_eq!(app.statements() - before, 0, "answered from memory");

    publish(&app, &moderator, id).await;
    let after = app.data(LIST).await;
    assert_eq!(
        after["initiatives"]["totalCount"],
        first["initiatives"]["totalCount"].as_i64().unwrap() + 1,
        "the publication shows at once"
    );
    assert!(titles(&after).contains(&"Troc de graines au pied des tours".to_owned()));
}

#[tokio::test]
async fn a_signed_in_caller_is_never_answered_with_what_anonymous_callers_see() {
    let app = app_keeping_answers().await;
    let partner = app
        .account("afev@exemple.fr", Role::Partner, Some("afev"))
        .await;
    insert_initiative(
        app.db(),
        NewInitiative {
            title: "Brouillon de l'AFEV",
            status: ModerationStatus::Draft,
            owner: Some("afev"),
            ..NewInitiative::default()
        },
    )
    .await;
    let public = app.data(LIST).await;
    assert!(!titles(&public).contains(&"Brouillon de l'AFEV".to_owned()));

    let own = app.data_as(&partner.token, LIST, json!({})).await;
    assert!(
        titles(&own).contains(&"Brouillon de l'AFEV".to_owned()),
        "the partner sees its draft: {own}"
    );
    assert_eq!(
        app.data(LIST).await,
        public,
        "anonymous callers still do not"
    );
}

#[tokio::test]
async fn the_same_query_with_other_variables_gets_its_own_answer() {
    let app = app_keeping_answers().await;
    let query = "query($slug: String!) { initiative(slug: $slug) { slug } }";
    let slugs: Vec<String> = app
        .data("{ initiatives(first: 2) { nodes { slug } } }")
        .await["initiatives"]["nodes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|node| node["slug"].as_str().unwrap().to_owned())
        .collect();
    for _ in 0..2 {
        for slug in &slugs {
            let data = app.data_with(query, json!({ "slug": slug })).await;
            assert_eq!(data["initiative"]["slug"], *slug);
        }
    }
}

#[tokio::test]
async fn an_answer_with_errors_is_not_kept_and_names_its_own_request() {
    let app = app_keeping_answers().await;
    for request_id in ["first-try", "second-try"] {
        let response = app
            .client
            .post(format!("{}/graphql", app.address))
            .header("x-request-id", request_id)
            .json(&json!({ "query": "{ initiatives(first: 1000) { totalCount } }" }))
            .send()
            .await
            .unwrap();
        let body: Value = response.json().await.unwrap();
        assert_eq!(error_codes(&body), ["BAD_USER_INPUT"]);
        assert_eq!(body["errors"][0]["extensions"]["requestId"], request_id);
    }
}

#[tokio::test]
async fn a_kept_answer_comes_in_the_media_type_each_caller_asks_for() {
    let app = app_keeping_answers().await;
    for accept in [
        "application/graphql-response+json",
        "application/json",
        "application/graphql-response+json",
    ] {
        let response = app
            .client
            .post(format!("{}/graphql", app.address))
            .header("accept", accept)
            .json(&json!({ "query": LIST }))
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), 200);
        assert!(
            response.headers()["content-type"]
                .to_str()
                .unwrap()
                .starts_with(accept)
        );
        let body: Value = response.json().await.unwrap();
        assert!(body["data"]["initiatives"]["totalCount"].as_i64().unwrap() > 0);
    }
}

#[tokio::test]
async fn an_answer_over_64_kib_is_sent_whole_but_not_kept() {
    let app = app_keeping_answers().await;
    let description = "Des jardinières sur les balcons du quartier. ".repeat(70);
    for index in 0..30 {
        insert_initiative(
            app.db(),
            NewInitiative {
                title: &format!("Balcons fleuris {index:02}"),
                description: Some(&description),
                ..NewInitiative::default()
            },
        )
        .await;
    }
    let query = "{ initiatives(first: 100) { nodes { title description } } }";
    let first = app.data(query).await;
    let descriptions: usize = first["initiatives"]["nodes"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|node| node["description"].as_str())
        .map(str::len)
        .sum();
    assert!(descriptions > 64 * 1024, "{descriptions} bytes");

    let before = app.statements();
    assert_eq!(app.data(query).await, first);
    assert!(app.statements() > before, "run again, not kept");
}
