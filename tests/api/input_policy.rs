//! One input policy for every string entering the API: no NUL, no control character (tab
//! and line breaks only in texts of many lines), no bidirectional override; a length limit
//! per kind of argument; enum values never written as strings; and every refused value
//! names its field.

use entity::enums::Role;
use serde_json::{Value, json};

use crate::{
    contributions::CREATE,
    helpers::{TestApp, error_codes},
};

/// The code and field of the only error of `body`.
fn refusal(body: &Value) -> (String, String) {
    assert_eq!(error_codes(body).len(), 1, "{body}");
    let extensions = &body["errors"][0]["extensions"];
    (
        extensions["code"].as_str().unwrap_or_default().to_owned(),
        extensions["field"].as_str().unwrap_or_default().to_owned(),
    )
}

fn bad_input(field: &str) -> (String, String) {
    ("BAD_USER_INPUT".to_owned(), field.to_owned())
}

#[tokio::test]
async fn nul_in_a_filter_a_slug_or_a_title_is_bad_input_naming_the_field() {
    let app = TestApp::with_demo().await;
    let literal = app
        .query(r#"{ territories(filter: { nameContains: "me\u0000tz" }) { nodes { name } } }"#)
        .await;
    assert_eq!(refusal(&literal), bad_input("filter.nameContains"));
    let variable = app
        .query_with(
            "query($slug: String) { initiative(slug: $slug) { title } }",
            json!({ "slug": "confection\u{0}" }),
        )
        .await;
    assert_eq!(refusal(&variable), bad_input("slug"));
    let code = app
        .query(r#"{ territory(code: "57\u0000463") { name } }"#)
        .await;
    assert_eq!(refusal(&code), bad_input("code"));

    let partner = app
        .account("afev@exemple.fr", Role::Partner, Some("afev"))
        .await;
    let created = app
        .query_as(
            &partner.token,
            CREATE,
            json!({ "input": { "title": "Jardin\u{0}partagé", "summary": "Un jardin." } }),
        )
        .await;
    assert_eq!(refusal(&created), bad_input("input.title"));
}

#[tokio::test]
async fn terminal_escapes_and_right_to_left_overrides_never_reach_a_stored_title() {
    let app = TestApp::with_demo().await;
    let partner = app
        .account("afev@exemple.fr", Role::Partner, Some("afev"))
        .await;
    for (title, summary, field) in [
        ("\u{1b}[31mRouge", "Un résumé.", "input.title"),
        ("Jardin\u{202e}latrop", "Un résumé.", "input.title"),
        ("Jardin\u{2066}isolé", "Un résumé.", "input.title"),
        ("Jardin", "Résumé \u{85} C1", "input.summary"),
        ("Jardin\npartagé", "Un résumé.", "input.title"),
        ("Jardin\tpartagé", "Un résumé.", "input.title"),
    ] {
        let body = app
            .query_as(
                &partner.token,
                CREATE,
                json!({ "input": { "title": title, "summary": summary } }),
            )
            .await;
        assert_eq!(refusal(&body), bad_input(field), "{title:?}: {body}");
    }
    let data = app
        .data_as(
            &partner.token,
            CREATE,
            json!({ "input": { "title": "Jardin partagé",
                "summary": "Deux lignes,\r\nune\ttabulation." } }),
        )
        .await;
    let initiative = &data["createInitiative"]["initiative"];
    assert_eq!(initiative["summary"], "Deux lignes,\r\nune\ttabulation.");

    let admin = app.account("admin@exemple.fr", Role::Admin, None).await;
    let theme = app
        .query_as(
            &admin.token,
            r#"mutation { createTheme(input: { name: "Thème\nsur deux lignes" }) { theme { id } } }"#,
            json!({}),
        )
        .await;
    assert_eq!(refusal(&theme), bad_input("input.name"));
}

#[tokio::test]
async fn a_very_long_name_filter_is_refused_with_its_limit_not_an_internal_error() {
    let app = TestApp::with_demo().await;
    let body = app
        .query_with(
            "query($text: String) { territories(filter: { nameContains: $text }) { nodes { name } } }",
            json!({ "text": "a".repeat(50_000) }),
        )
        .await;
    assert_eq!(refusal(&body), bad_input("filter.nameContains"));
    let message = body["errors"][0]["message"].as_str().unwrap();
    assert!(message.contains("at most 200 characters"), "{message}");
    let organisations = app
        .query_with(
            "query($text: String) { organisations(filter: { nameContains: $text }) { nodes { name } } }",
            json!({ "text": "é".repeat(201) }),
        )
        .await;
    assert_eq!(refusal(&organisations), bad_input("filter.nameContains"));
    let longest = app
        .data_with(
            "query($text: String) { territories(filter: { nameContains: $text }) { totalCount } }",
            json!({ "text": "é".repeat(200) }),
        )
        .await;
    assert_eq!(longest["territories"]["totalCount"], 0);
    let slug = app
        .query_with(
            "query($slug: String) { theme(slug: $slug) { name } }",
            json!({ "slug": "a".repeat(101) }),
        )
        .await;
    assert_eq!(refusal(&slug), bad_input("slug"));
}

#[tokio::test]
async fn a_bad_date_or_an_int_out_of_range_names_its_field_in_a_literal_or_a_variable() {
    let app = TestApp::with_demo().await;
    let cases = [
        (
            r#"{ initiatives(filter: { startedFrom: "2020-02-30" }) { totalCount } }"#,
            json!({}),
            "filter.startedFrom",
        ),
        (
            "query($d: Date) { initiatives(filter: { startedTo: $d }) { totalCount } }",
            json!({ "d": "2020-02-30" }),
            "filter.startedTo",
        ),
        (
            "query($f: InitiativeFilter) { initiatives(filter: $f) { totalCount } }",
            json!({ "f": { "startedFrom": "14/05/2020" } }),
            "filter.startedFrom",
        ),
        (
            "{ initiatives(first: 99999999999) { totalCount } }",
            json!({}),
            "first",
        ),
        (
            "query($n: Int) { initiatives(last: $n) { totalCount } }",
            json!({ "n": -99999999999i64 }),
            "last",
        ),
    ];
    for (query, variables, field) in cases {
        let body = app.query_with(query, variables).await;
        assert_eq!(refusal(&body), bad_input(field), "{query}: {body}");
    }
}

#[tokio::test]
async fn an_enum_written_as_a_string_literal_is_a_validation_error() {
    let app = TestApp::with_demo().await;
    let quoted = app
        .query(r#"{ initiatives(filter: { audiences: ["CHILDREN"] }) { totalCount } }"#)
        .await;
    assert_eq!(
        refusal(&quoted),
        (
            "GRAPHQL_VALIDATION_FAILED".to_owned(),
            "filter.audiences[0]".to_owned()
        )
    );
    let default = app
        .query(
            r#"query($a: [Audience!] = ["CHILDREN"]) { initiatives(filter: { audiences: $a }) { totalCount } }"#,
        )
        .await;
    assert_eq!(error_codes(&default), ["GRAPHQL_VALIDATION_FAILED"]);
    // Unquoted in the document, or a JSON string in a variable: the enum value.
    app.data(r#"{ initiatives(filter: { audiences: [CHILDREN] }) { totalCount } }"#)
        .await;
    app.data_with(
        "query($a: [Audience!]) { initiatives(filter: { audiences: $a }) { totalCount } }",
        json!({ "a": ["CHILDREN"] }),
    )
    .await;
}
