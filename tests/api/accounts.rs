//! Accounts: logging in, one's own credentials, and what admins do with accounts.

use entity::enums::Role;
use serde_json::{Value, json};

use crate::helpers::{TEST_PASSWORD, TestApp, error_codes, strings};

const LOGIN: &str = "mutation ($email: String!, $password: String!) {
    login(input: { email: $email, password: $password }) {
        token expiresAt user { id email role organisation { slug } } } }";

async fn login(app: &TestApp, email: &str, password: &str) -> Value {
    app.query_with(LOGIN, json!({ "email": email, "password": password }))
        .await
}

#[tokio::test]
async fn a_partner_logs_in_whatever_the_case_of_the_email_and_uses_the_token() {
    let app = TestApp::with_demo().await;
    app.account("julie@exemple.fr", Role::Partner, Some("afev"))
        .await;
    let body = login(&app, "  Julie@Exemple.FR ", TEST_PASSWORD).await;
    let login = &body["data"]["login"];
    assert_eq!(login["user"]["email"], "julie@exemple.fr", "{body}");
    assert_eq!(login["user"]["role"], "PARTNER");
    assert_eq!(login["user"]["organisation"]["slug"], "afev");
    let expires_at = chrono::DateTime::parse_from_rfc3339(login["expiresAt"].as_str().unwrap())
        .unwrap()
        .with_timezone(&chrono::Utc);
    let lifetime = expires_at - chrono::Utc::now();
    assert!(
        lifetime > chrono::Duration::minutes(59) && lifetime <= chrono::Duration::hours(1),
        "one hour by default: {lifetime}"
    );
    let token = login["token"].as_str().unwrap();
    let me = app
        .data_as(token, "{ me { email lastLoginAt } }", json!({}))
        .await;
    assert_eq!(me["me"]["email"], "julie@exemple.fr");
    assert!(me["me"]["lastLoginAt"].is_string());
}

#[tokio::test]
async fn an_unknown_email_and_a_wrong_password_get_the_same_answer() {
    let app = TestApp::with_demo().await;
    app.account("julie@exemple.fr", Role::Partner, Some("afev"))
        .await;
    let unknown = login(&app, "personne@exemple.fr", TEST_PASSWORD).await;
    let wrong = login(&app, "julie@exemple.fr", "pas le bon mot de passe").await;
    assert_eq!(error_codes(&unknown), ["UNAUTHENTICATED"]);
    assert_eq!(error_codes(&wrong), ["UNAUTHENTICATED"]);
    assert_eq!(
        unknown["errors"][0]["message"],
        wrong["errors"][0]["message"]
    );
    assert_eq!(unknown["data"], Value::Null);
}

#[tokio::test]
async fn me_is_null_for_the_public() {
    let app = TestApp::with_demo().await;
    assert_eq!(app.data("{ me { id } }").await["me"], Value::Null);
}

#[tokio::test]
async fn changing_ones_password_revokes_older_tokens_and_gives_a_new_one() {
    let app = TestApp::with_demo().await;
    let julie = app
        .account("julie@exemple.fr", Role::Partner, Some("afev"))
        .await;
    let change = "mutation ($current: String!, $new: String!) {
        changePassword(input: { currentPassword: $current, newPassword: $new }) { token } }";
    let weak = app
        .query_as(
            &julie.token,
            change,
            json!({ "current": TEST_PASSWORD, "new": "court" }),
        )
        .await;
    assert_eq!(error_codes(&weak), ["BAD_USER_INPUT"]);
    assert_eq!(
        weak["errors"][0]["extensions"]["field"],
        "input.newPassword"
    );
    assert!(
        weak["errors"][0]["message"]
            .as_str()
            .unwrap()
            .contains("at least 12 characters")
    );
    let wrong_current = app
        .query_as(
            &julie.token,
            change,
            json!({ "current": "pas le mot de passe", "new": "un tout nouveau mot de passe" }),
        )
        .await;
    assert_eq!(
        wrong_current["errors"][0]["extensions"]["field"],
        "input.currentPassword"
    );
    let changed = app
        .data_as(
            &julie.token,
            change,
            json!({ "current": TEST_PASSWORD, "new": "un tout nouveau mot de passe" }),
        )
        .await;
    let new_token = changed["changePassword"]["token"].as_str().unwrap();
    let old = app
        .post_graphql_as(&julie.token, json!({ "query": "{ me { id } }" }))
        .await;
    assert_eq!(old.status(), 401, "the old token is revoked");
    assert_eq!(
        app.data_as(new_token, "{ me { id } }", json!({})).await["me"]["id"],
        julie.id.as_str()
    );
    assert_eq!(
        error_codes(&login(&app, "julie@exemple.fr", TEST_PASSWORD).await),
        ["UNAUTHENTICATED"]
    );
    assert!(
        login(&app, "julie@exemple.fr", "un tout nouveau mot de passe").await["data"]["login"]
            ["token"]
            .is_string()
    );
}

#[tokio::test]
async fn logout_everywhere_revokes_every_token_of_the_account_only() {
    let app = TestApp::with_demo().await;
    let julie = app
        .account("julie@exemple.fr", Role::Partner, Some("afev"))
        .await;
    let other_device =
        login(&app, "julie@exemple.fr", TEST_PASSWORD).await["data"]["login"]["token"]
            .as_str()
            .unwrap()
            .to_owned();
    let colleague = app
        .account("paul@exemple.fr", Role::Partner, Some("afev"))
        .await;
    app.data_as(
        &julie.token,
        "mutation { logoutEverywhere { user { id } } }",
        json!({}),
    )
    .await;
    for token in [&julie.token, &other_device] {
        let response = app
            .post_graphql_as(token, json!({ "query": "{ me { id } }" }))
            .await;
        assert_eq!(response.status(), 401);
    }
    assert_eq!(
        app.data_as(&colleague.token, "{ me { id } }", json!({}))
            .await["me"]["id"],
        colleague.id.as_str()
    );
}

#[tokio::test]
async fn an_admin_creates_a_partner_with_a_one_time_password_that_logs_in() {
    let app = TestApp::with_demo().await;
    let admin = app.account("admin@exemple.fr", Role::Admin, None).await;
    let afev = app.id_of(r#"organisation(slug: "afev")"#).await;
    let created = app
        .data_as(
            &admin.token,
            "mutation ($org: ID!) { createUser(input: {
                email: \"Nouveau@Exemple.fr\", displayName: \"Nouvelle personne\",
                role: PARTNER, organisationId: $org }) {
                user { email displayName role isActive organisation { slug } } initialPassword } }",
            json!({ "org": afev }),
        )
        .await;
    let payload = &created["createUser"];
    assert_eq!(payload["user"]["email"], "nouveau@exemple.fr");
    assert_eq!(payload["user"]["organisation"]["slug"], "afev");
    assert_eq!(payload["user"]["isActive"], true);
    let password = payload["initialPassword"].as_str().unwrap();
    assert!(password.len() >= 20);
    assert!(
        login(&app, "nouveau@exemple.fr", password).await["data"]["login"]["token"].is_string()
    );
}

#[tokio::test]
async fn account_rules_are_explained_to_the_admin() {
    let app = TestApp::with_demo().await;
    let admin = app.account("admin@exemple.fr", Role::Admin, None).await;
    let create =
        "mutation ($input: CreateUserInput!) { createUser(input: $input) { user { id } } }";
    let cases = [
        (
            json!({ "email": "p@exemple.fr", "displayName": "P", "role": "PARTNER" }),
            "BAD_USER_INPUT",
            Some("input.organisationId"),
        ),
        (
            json!({ "email": "pas-un-email", "displayName": "P", "role": "MODERATOR" }),
            "BAD_USER_INPUT",
            Some("input.email"),
        ),
        (
            json!({ "email": "m@exemple.fr", "displayName": "M", "role": "MODERATOR",
                    "password": "trop court" }),
            "BAD_USER_INPUT",
            Some("input.password"),
        ),
        (
            json!({ "email": "ADMIN@exemple.fr", "displayName": "A", "role": "ADMIN" }),
            "CONFLICT",
            None,
        ),
    ];
    for (input, code, field) in cases {
        let body = app
            .query_as(&admin.token, create, json!({ "input": input }))
            .await;
        assert_eq!(error_codes(&body), [code], "{input}: {body}");
        if let Some(field) = field {
            assert_eq!(body["errors"][0]["extensions"]["field"], field, "{body}");
        }
    }
    let count = app
        .data_as(&admin.token, "{ users { totalCount } }", json!({}))
        .await;
    assert_eq!(count["users"]["totalCount"], 1, "nothing half-created");
}

#[tokio::test]
async fn an_admin_lists_accounts_by_role_organisation_and_state() {
    let app = TestApp::with_demo().await;
    let admin = app.account("admin@exemple.fr", Role::Admin, None).await;
    app.account("a@exemple.fr", Role::Partner, Some("afev"))
        .await;
    let gone = app
        .account("b@exemple.fr", Role::Partner, Some("afev"))
        .await;
    app.account("c@exemple.fr", Role::Partner, Some("irdsu"))
        .await;
    app.account("m@exemple.fr", Role::Moderator, None).await;
    app.data_as(
        &admin.token,
        "mutation ($id: ID!) { deactivateUser(id: $id) { user { isActive } } }",
        json!({ "id": gone.id }),
    )
    .await;
    let afev = app.id_of(r#"organisation(slug: "afev")"#).await;
    let data = app
        .data_as(
            &admin.token,
            "query ($afev: ID!) {
                all: users { totalCount nodes { email } }
                partners: users(filter: { role: PARTNER }) { nodes { email } }
                afev: users(filter: { organisationId: $afev, isActive: true }) { nodes { email } }
                inactive: users(filter: { isActive: false }) { nodes { email } } }",
            json!({ "afev": afev }),
        )
        .await;
    assert_eq!(data["all"]["totalCount"], 5);
    assert_eq!(
        strings(&data["all"]["nodes"], "email"),
        [
            "a@exemple.fr",
            "admin@exemple.fr",
            "b@exemple.fr",
            "c@exemple.fr",
            "m@exemple.fr"
        ]
    );
    assert_eq!(
        strings(&data["partners"]["nodes"], "email"),
        ["a@exemple.fr", "b@exemple.fr", "c@exemple.fr"]
    );
    assert_eq!(strings(&data["afev"]["nodes"], "email"), ["a@exemple.fr"]);
    assert_eq!(
        strings(&data["inactive"]["nodes"], "email"),
        ["b@exemple.fr"]
    );
}

#[tokio::test]
async fn a_deactivated_account_cannot_log_in_until_reactivated() {
    let app = TestApp::with_demo().await;
    let admin = app.account("admin@exemple.fr", Role::Admin, None).await;
    let julie = app
        .account("julie@exemple.fr", Role::Partner, Some("afev"))
        .await;
    let toggle = |mutation: &'static str| {
        let admin = admin.token.clone();
        let id = julie.id.clone();
        let app = &app;
        async move {
            app.data_as(
                &admin,
                &format!("mutation ($id: ID!) {{ {mutation}(id: $id) {{ user {{ isActive }} }} }}"),
                json!({ "id": id }),
            )
            .await
        }
    };
    toggle("deactivateUser").await;
    let refused = app
        .post_graphql_as(&julie.token, json!({ "query": "{ me { id } }" }))
        .await;
    assert_eq!(refused.status(), 401, "the token stops working at once");
    assert_eq!(
        error_codes(&login(&app, "julie@exemple.fr", TEST_PASSWORD).await),
        ["UNAUTHENTICATED"]
    );
    toggle("reactivateUser").await;
    assert!(
        login(&app, "julie@exemple.fr", TEST_PASSWORD).await["data"]["login"]["token"].is_string()
    );
}

#[tokio::test]
async fn a_role_change_revokes_the_accounts_tokens() {
    let app = TestApp::with_demo().await;
    let admin = app.account("admin@exemple.fr", Role::Admin, None).await;
    let moderator = app.account("m@exemple.fr", Role::Moderator, None).await;
    let irdsu = app.id_of(r#"organisation(slug: "irdsu")"#).await;
    let updated = app
        .data_as(
            &admin.token,
            "mutation ($id: ID!, $org: ID!) { updateUser(input: {
                id: $id, role: PARTNER, organisationId: $org, displayName: \"Ex-modératrice\" }) {
                user { role displayName organisation { slug } } } }",
            json!({ "id": moderator.id, "org": irdsu }),
        )
        .await;
    assert_eq!(updated["updateUser"]["user"]["role"], "PARTNER");
    assert_eq!(
        updated["updateUser"]["user"]["organisation"]["slug"],
        "irdsu"
    );
    let response = app
        .post_graphql_as(&moderator.token, json!({ "query": "{ me { id } }" }))
        .await;
    assert_eq!(response.status(), 401);
    let no_org = app
        .query_as(
            &admin.token,
            "mutation ($id: ID!) { updateUser(input: { id: $id, organisationId: null }) {
                user { id } } }",
            json!({ "id": moderator.id }),
        )
        .await;
    assert_eq!(
        error_codes(&no_org),
        ["BAD_USER_INPUT"],
        "a partner keeps an organisation"
    );
}

#[tokio::test]
async fn the_last_active_admin_cannot_be_deactivated_or_demoted() {
    let app = TestApp::with_demo().await;
    let admin = app.account("admin@exemple.fr", Role::Admin, None).await;
    let deactivate = app
        .query_as(
            &admin.token,
            "mutation ($id: ID!) { deactivateUser(id: $id) { user { id } } }",
            json!({ "id": admin.id }),
        )
        .await;
    assert_eq!(error_codes(&deactivate), ["CONFLICT"]);
    let demote = app
        .query_as(
            &admin.token,
            "mutation ($id: ID!) { updateUser(input: { id: $id, role: MODERATOR }) { user { id } } }",
            json!({ "id": admin.id }),
        )
        .await;
    assert_eq!(error_codes(&demote), ["CONFLICT"]);
}

#[tokio::test]
async fn an_account_is_a_node_for_admins_and_for_itself_only() {
    let app = TestApp::with_demo().await;
    let admin = app.account("admin@exemple.fr", Role::Admin, None).await;
    let julie = app
        .account("julie@exemple.fr", Role::Partner, Some("afev"))
        .await;
    let paul = app
        .account("paul@exemple.fr", Role::Partner, Some("afev"))
        .await;
    let query = "query ($id: ID!) { node(id: $id) { ... on User { email } } }";
    let vars = json!({ "id": julie.id });
    assert_eq!(
        app.data_with(query, vars.clone()).await["node"],
        Value::Null
    );
    assert_eq!(
        app.data_as(&paul.token, query, vars.clone()).await["node"],
        Value::Null
    );
    assert_eq!(
        app.data_as(&julie.token, query, vars.clone()).await["node"]["email"],
        "julie@exemple.fr"
    );
    assert_eq!(
        app.data_as(&admin.token, query, vars).await["node"]["email"],
        "julie@exemple.fr"
    );
}
