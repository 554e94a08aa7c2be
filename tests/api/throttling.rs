//! Failed logins are throttled per account and per client address.

use entity::enums::Role;
use serde_json::json;

use crate::helpers::{TEST_PASSWORD, TestApp, error_codes};

fn login(alias: usize, email: &str, password: &str) -> String {
    format!(
        "l{alias}: login(input: {{ email: \"{email}\", password: \"{password}\" }}) {{ token }}"
    )
}

#[tokio::test]
async fn after_five_failures_an_account_is_rate_limited_even_with_the_right_password() {
    let app = TestApp::with_demo().await;
    app.account("julie@exemple.fr", Role::Partner, Some("afev"))
        .await;
    for _ in 0..5 {
        let body = app
            .query(&format!(
                "mutation {{ {} }}",
                login(0, "julie@exemple.fr", "pas le bon mot de passe")
            ))
            .await;
        assert_eq!(error_codes(&body), ["UNAUTHENTICATED"]);
    }
    let body = app
        .query(&format!(
            "mutation {{ {} }}",
            login(0, "JULIE@exemple.fr", TEST_PASSWORD)
        ))
        .await;
    assert_eq!(error_codes(&body), ["RATE_LIMITED"], "{body}");
    let retry = body["errors"][0]["extensions"]["retryAfterSeconds"]
        .as_u64()
        .unwrap();
    assert!((1..=15 * 60).contains(&retry), "{retry}");
}

#[tokio::test]
async fn many_attempts_in_one_request_are_each_counted() {
    let app = TestApp::with_demo().await;
    app.account("julie@exemple.fr", Role::Partner, Some("afev"))
        .await;
    let attempts: Vec<String> = (0..8)
        .map(|alias| login(alias, "julie@exemple.fr", "pas le bon mot de passe"))
        .collect();
    let body = app
        .query(&format!("mutation {{ {} }}", attempts.join(" ")))
        .await;
    assert_eq!(
        error_codes(&body),
        [
            "UNAUTHENTICATED",
            "UNAUTHENTICATED",
            "UNAUTHENTICATED",
            "UNAUTHENTICATED",
            "UNAUTHENTICATED",
            "RATE_LIMITED",
            "RATE_LIMITED",
            "RATE_LIMITED"
        ]
    );
}

#[tokio::test]
async fn one_address_trying_many_accounts_is_rate_limited() {
    let app = TestApp::with_demo().await;
    app.account("julie@exemple.fr", Role::Partner, Some("afev"))
        .await;
    // Twenty different e-mail addresses: no account reaches its own limit.
    let attempts: Vec<String> = (0..20)
        .map(|n| login(n, &format!("personne{n}@exemple.fr"), "devine"))
        .collect();
    let body = app
        .query(&format!("mutation {{ {} }}", attempts.join(" ")))
        .await;
    assert!(
        error_codes(&body)
            .iter()
            .all(|code| code == "UNAUTHENTICATED")
    );
    let body = app
        .query_with(
            "mutation ($password: String!) {
                login(input: { email: \"julie@exemple.fr\", password: $password }) { token } }",
            json!({ "password": TEST_PASSWORD }),
        )
        .await;
    assert_eq!(error_codes(&body), ["RATE_LIMITED"]);
}

#[tokio::test]
async fn a_successful_login_clears_the_accounts_failures() {
    let app = TestApp::with_demo().await;
    app.account("julie@exemple.fr", Role::Partner, Some("afev"))
        .await;
    for round in 0..2 {
        let attempts: Vec<String> = (0..4)
            .map(|alias| login(alias, "julie@exemple.fr", "pas le bon mot de passe"))
            .chain([login(9, "julie@exemple.fr", TEST_PASSWORD)])
            .collect();
        let body = app
            .query(&format!("mutation {{ {} }}", attempts.join(" ")))
            .await;
        assert!(
            body["data"]["l9"]["token"].is_string(),
            "round {round}: {body}"
        );
    }
}

#[tokio::test]
async fn attempts_sent_in_parallel_cannot_outrun_the_limit() {
    let app = TestApp::with_demo().await;
    app.account("julie@exemple.fr", Role::Partner, Some("afev"))
        .await;
    let attempt = format!(
        "mutation {{ {} }}",
        login(0, "julie@exemple.fr", "pas le bon mot de passe")
    );
    let bodies = futures_util::future::join_all((0..12).map(|_| app.query(&attempt))).await;
    let codes: Vec<String> = bodies.iter().flat_map(error_codes).collect();
    let checked = codes
        .iter()
        .filter(|code| *code == "UNAUTHENTICATED")
        .count();
    let refused = codes.iter().filter(|code| *code == "RATE_LIMITED").count();
    assert_eq!(checked + refused, 12, "{codes:?}");
    assert!(checked <= 5, "at most 5 passwords checked: {codes:?}");
}
