//! API keys: the network's other tools write for one organisation without a person's
//! password. A key is created by an admin or the organisation's own partners, shown once,
//! scoped, rate-limited on its own, named in the audit log of what it wrote, and refused
//! from the request after its revocation or expiry, on every replica.

use chrono::{Duration, Utc};
use entity::{api_key, enums::Role};
use reqwest::StatusCode;
use sea_orm::{EntityTrait, Set};
use serde_json::{Value, json};

use crate::{
    contributions::{MODERATE, draft},
    helpers::{TestAccount, TestApp, error_codes},
};

const CREATE_KEY: &str = "mutation ($input: CreateApiKeyInput!) {
    createApiKey(input: $input) {
        apiKey { id name prefix scopes organisation { slug } createdBy { id } createdAt
            expiresAt lastUsedAt revokedAt }
        secret } }";

const KEYS: &str = "query ($organisation: ID!) { apiKeys(organisationId: $organisation) {
    id name prefix scopes createdBy { id } lastUsedAt expiresAt revokedAt } }";

const REVOKE_KEY: &str =
    "mutation ($id: ID!) { revokeApiKey(id: $id) { apiKey { id revokedAt } } }";

const CREATE_EXPERIENCE: &str = "mutation ($input: CreateExperienceInput!) {
    createExperience(input: $input) { experience { id status version } } }";

const SUBMIT_EXPERIENCE: &str = "mutation ($id: ID!, $version: Int!) {
    submitExperience(input: { id: $id, expectedVersion: $version }) {
        experience { id status version } } }";

const LOG: &str = "query ($id: ID!) { moderationLog(subjectId: $id) { nodes {
    action actor { id } actorKey { id name prefix } } } }";

/// A key created by `creator` for the organisation `slug`: its id and its text.
async fn create_key(
    app: &TestApp,
    creator: &TestAccount,
    slug: &str,
    name: &str,
    scopes: &[&str],
) -> (String, String) {
    let organisation = app.id_of(&format!("organisation(slug: \"{slug}\")")).await;
    let data = app
        .data_as(
            &creator.token,
            CREATE_KEY,
            json!({ "input": { "organisationId": organisation, "name": name, "scopes": scopes,
                "expiresAt": (Utc::now() + Duration::days(90)).to_rfc3339() } }),
        )
        .await;
    let created = &data["createApiKey"];
    (
        created["apiKey"]["id"].as_str().unwrap().to_owned(),
        created["secret"].as_str().unwrap().to_owned(),
    )
}

/// A tool holding `key`, as the test helpers hold a token.
fn tool(key: &str) -> TestAccount {
    TestAccount {
        id: String::new(),
        token: key.to_owned(),
    }
}

/// Posts `query` with `key`: the status and the body.
async fn send(app: &TestApp, key: &str, query: &str, variables: Value) -> (StatusCode, Value) {
    let response = app
        .post_graphql_as(key, json!({ "query": query, "variables": variables }))
        .await;
    (response.status(), response.json().await.unwrap())
}

/// The uuid of a global id (`Kind:uuid`).
fn uuid_of(id: &str) -> uuid::Uuid {
    id.split_once(':').unwrap().1.parse().unwrap()
}

#[tokio::test]
async fn a_partner_creates_a_key_and_a_tool_submits_an_experience_the_log_names_the_key() {
    let app = TestApp::with_demo().await;
    let partner = app
        .account("afev@exemple.fr", Role::Partner, Some("afev"))
        .await;
    let moderator = app.account("m@exemple.fr", Role::Moderator, None).await;
    let (_, key) = create_key(&app, &partner, "afev", "Site de l'AFEV", &["CONTRIBUTE"]).await;
    assert!(key.starts_with("cmk_"), "{key}");
    let initiative = app
        .id_of("initiative(slug: \"club-d-echecs-en-mode-virtuel\")")
        .await;
    let created = app
        .data_as(
            &key,
            CREATE_EXPERIENCE,
            json!({ "input": { "initiativeId": initiative,
                "title": "Le club vu de notre site", "body": "Repris à Vitry." } }),
        )
        .await;
    let experience = created["createExperience"]["experience"]["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let submitted = app
        .data_as(
            &key,
            SUBMIT_EXPERIENCE,
            json!({ "id": experience, "version": 1 }),
        )
        .await;
    assert_eq!(
        submitted["submitExperience"]["experience"]["status"],
        "SUBMITTED"
    );
    // The organisation's partners and the moderators read who wrote it: the key.
    for reader in [&partner, &moderator] {
        let log = app
            .data_as(&reader.token, LOG, json!({ "id": experience }))
            .await;
        let entries = log["moderationLog"]["nodes"].as_array().unwrap();
        assert_eq!(entries.len(), 2, "{log}");
        for entry in entries {
            assert_eq!(entry["actorKey"]["name"], "Site de l'AFEV");
            assert_eq!(entry["actor"], Value::Null, "no person wrote it");
        }
    }
    // The moderator sees it in the queue, owned by the key's organisation.
    let queue = app
        .data_as(
            &moderator.token,
            "{ moderationQueue { nodes { organisation { slug }
                subject { ... on Experience { id } } } } }",
            json!({}),
        )
        .await;
    let item = queue["moderationQueue"]["nodes"]
        .as_array()
        .unwrap()
        .iter()
        .find(|item| item["subject"]["id"] == experience.as_str())
        .cloned()
        .unwrap_or_else(|| panic!("the experience is queued: {queue}"));
    assert_eq!(item["organisation"]["slug"], "afev");
}

#[tokio::test]
async fn a_key_writes_initiatives_for_its_organisation_and_reads_their_log() {
    let app = TestApp::with_demo().await;
    let admin = app.account("a@exemple.fr", Role::Admin, None).await;
    let (_, key) = create_key(
        &app,
        &admin,
        "afev",
        "Import",
        &["READ_DRAFTS", "CONTRIBUTE"],
    )
    .await;
    let id = draft(&app, &tool(&key), "Importée d'un tableur").await;
    let read = app
        .data_as(
            &key,
            "query ($id: ID!) { node(id: $id) { ... on Initiative { status
                organisations { role organisation { slug } } } } }",
            json!({ "id": id }),
        )
        .await;
    assert_eq!(read["node"]["status"], "DRAFT");
    let log = app.data_as(&key, LOG, json!({ "id": id })).await;
    assert_eq!(
        log["moderationLog"]["nodes"][0]["actorKey"]["name"],
        "Import"
    );
    // Owned by AFEV: its partners see the draft the key wrote.
    let partner = app
        .account("afev@exemple.fr", Role::Partner, Some("afev"))
        .await;
    let seen = app
        .data_as(
            &partner.token,
            "query ($id: ID!) { node(id: $id) { id } }",
            json!({ "id": id }),
        )
        .await;
    assert_eq!(seen["node"]["id"], id.as_str());
}

#[tokio::test]
async fn a_key_never_moderates_nor_manages_even_one_an_admin_created() {
    let app = TestApp::with_demo().await;
    let admin = app.account("a@exemple.fr", Role::Admin, None).await;
    let partner = app
        .account("afev@exemple.fr", Role::Partner, Some("afev"))
        .await;
    let (_, key) = create_key(&app, &admin, "afev", "Tout", &["READ_DRAFTS", "CONTRIBUTE"]).await;
    let id = draft(&app, &partner, "À modérer").await;
    app.data_as(
        &partner.token,
        crate::contributions::SUBMIT,
        json!({ "id": id, "version": 1 }),
    )
    .await;
    let (_, moderated) = send(
        &app,
        &key,
        MODERATE,
        json!({ "id": id, "action": "APPROVE", "version": 2 }),
    )
    .await;
    assert_eq!(error_codes(&moderated), ["FORBIDDEN"], "{moderated}");
    let organisation = app.id_of("organisation(slug: \"afev\")").await;
    for (query, variables) in [
        ("{ moderationQueue { totalCount } }", json!({})),
        ("{ users { totalCount } }", json!({})),
        ("{ webhooks { id } }", json!({})),
        ("mutation { logoutEverywhere { user { id } } }", json!({})),
        (KEYS, json!({ "organisation": organisation })),
        (
            CREATE_KEY,
            json!({ "input": { "organisationId": organisation, "name": "Encore",
                "scopes": ["READ_DRAFTS"],
                "expiresAt": (Utc::now() + Duration::days(1)).to_rfc3339() } }),
        ),
    ] {
        let (_, body) = send(&app, &key, query, variables).await;
        assert_eq!(error_codes(&body), ["FORBIDDEN"], "{query}: {body}");
    }
    // A key is no person: `me` is null, and no members-only contact detail is shown.
    let (_, me) = send(&app, &key, "{ me { id } }", json!({})).await;
    assert_eq!(me["data"]["me"], Value::Null);
}

#[tokio::test]
async fn a_key_reads_its_organisations_drafts_and_not_another_organisations() {
    let app = TestApp::with_demo().await;
    let afev = app
        .account("afev@exemple.fr", Role::Partner, Some("afev"))
        .await;
    let irdsu = app
        .account("irdsu@exemple.fr", Role::Partner, Some("irdsu"))
        .await;
    let own = draft(&app, &afev, "Brouillon de l'AFEV").await;
    let other = draft(&app, &irdsu, "Brouillon de l'IRDSU").await;
    let (_, key) = create_key(&app, &afev, "afev", "Lecture", &["READ_DRAFTS"]).await;
    let read = "query ($id: ID!) { node(id: $id) { ... on Initiative { title } } }";
    let seen = app.data_as(&key, read, json!({ "id": own })).await;
    assert_eq!(seen["node"]["title"], "Brouillon de l'AFEV");
    let unseen = app.data_as(&key, read, json!({ "id": other })).await;
    assert_eq!(unseen["node"], Value::Null);
    let log = app.data_as(&key, LOG, json!({ "id": other })).await;
    assert_eq!(log["moderationLog"]["nodes"], json!([]));
    let anonymous = app.data_with(read, json!({ "id": own })).await;
    assert_eq!(anonymous["node"], Value::Null);
}

#[tokio::test]
async fn a_read_drafts_key_cannot_contribute() {
    let app = TestApp::with_demo().await;
    let partner = app
        .account("afev@exemple.fr", Role::Partner, Some("afev"))
        .await;
    let (_, key) = create_key(&app, &partner, "afev", "Lecture", &["READ_DRAFTS"]).await;
    let initiative = app
        .id_of("initiative(slug: \"club-d-echecs-en-mode-virtuel\")")
        .await;
    let (_, refused) = send(
        &app,
        &key,
        CREATE_EXPERIENCE,
        json!({ "input": { "initiativeId": initiative, "title": "T", "body": "B" } }),
    )
    .await;
    assert_eq!(error_codes(&refused), ["FORBIDDEN"], "{refused}");
    assert!(
        refused["errors"][0]["message"]
            .as_str()
            .unwrap()
            .contains("CONTRIBUTE"),
        "{refused}"
    );
    let id = draft(&app, &partner, "Le brouillon").await;
    let (_, refused) = send(
        &app,
        &key,
        crate::contributions::SUBMIT,
        json!({ "id": id, "version": 1 }),
    )
    .await;
    assert_eq!(error_codes(&refused), ["FORBIDDEN"], "{refused}");
}

#[tokio::test]
async fn a_partner_manages_only_its_own_organisations_keys() {
    let app = TestApp::with_demo().await;
    let afev = app
        .account("afev@exemple.fr", Role::Partner, Some("afev"))
        .await;
    let irdsu = app
        .account("irdsu@exemple.fr", Role::Partner, Some("irdsu"))
        .await;
    let irdsu_id = app.id_of("organisation(slug: \"irdsu\")").await;
    let input = json!({ "input": { "organisationId": irdsu_id, "name": "Intrus",
        "scopes": ["CONTRIBUTE"], "expiresAt": (Utc::now() + Duration::days(1)).to_rfc3339() } });
    let refused = app.query_as(&afev.token, CREATE_KEY, input.clone()).await;
    assert_eq!(error_codes(&refused), ["FORBIDDEN"], "{refused}");
    let anonymous = app.query_with(CREATE_KEY, input).await;
    assert_eq!(error_codes(&anonymous), ["UNAUTHENTICATED"]);
    let (key_id, _) = create_key(&app, &irdsu, "irdsu", "Site", &["CONTRIBUTE"]).await;
    let listed = app
        .query_as(&afev.token, KEYS, json!({ "organisation": irdsu_id }))
        .await;
    assert_eq!(error_codes(&listed), ["FORBIDDEN"]);
    let revoked = app
        .query_as(&afev.token, REVOKE_KEY, json!({ "id": key_id }))
        .await;
    assert_eq!(error_codes(&revoked), ["FORBIDDEN"]);
    let own = app
        .data_as(&irdsu.token, KEYS, json!({ "organisation": irdsu_id }))
        .await;
    assert_eq!(own["apiKeys"][0]["revokedAt"], Value::Null);
    assert_eq!(own["apiKeys"][0]["createdBy"]["id"], irdsu.id.as_str());
}

#[tokio::test]
async fn the_secret_is_shown_once_and_only_its_digest_is_kept() {
    let app = TestApp::with_demo().await;
    let admin = app.account("a@exemple.fr", Role::Admin, None).await;
    let (id, key) = create_key(&app, &admin, "afev", "Site", &["CONTRIBUTE"]).await;
    let organisation = app.id_of("organisation(slug: \"afev\")").await;
    let listed = app
        .query_as(&admin.token, KEYS, json!({ "organisation": organisation }))
        .await;
    let text = listed.to_string();
    let secret = key.rsplit_once('_').unwrap().1;
    assert!(!text.contains(secret), "the list holds the secret: {text}");
    let prefix = listed["data"]["apiKeys"][0]["prefix"].as_str().unwrap();
    assert!(key.starts_with(&format!("{prefix}_")), "{prefix} / {key}");
    let asked = app
        .query_as(
            &admin.token,
            "query ($organisation: ID!) { apiKeys(organisationId: $organisation) { secret } }",
            json!({ "organisation": organisation }),
        )
        .await;
    assert_eq!(error_codes(&asked), ["GRAPHQL_VALIDATION_FAILED"]);
    let row = api_key::Entity::find_by_id(uuid_of(&id))
        .one(app.db())
        .await
        .unwrap()
        .unwrap();
    assert_ne!(row.secret_hash, key);
    assert!(!row.secret_hash.contains(secret));
    assert_eq!(row.secret_hash.len(), 64);
}

#[tokio::test]
async fn a_revoked_key_is_refused_on_the_next_request_on_another_replica() {
    let app = TestApp::with_demo().await;
    let other = app.replica().await;
    let partner = app
        .account("afev@exemple.fr", Role::Partner, Some("afev"))
        .await;
    let (id, key) = create_key(&app, &partner, "afev", "Site", &["READ_DRAFTS"]).await;
    let (status, _) = send(&other, &key, "{ me { id } }", json!({})).await;
    assert_eq!(status, StatusCode::OK);
    let revoked = app
        .data_as(&partner.token, REVOKE_KEY, json!({ "id": id }))
        .await;
    assert!(revoked["revokeApiKey"]["apiKey"]["revokedAt"].is_string());
    let response = other
        .post_graphql_as(&key, json!({ "query": "{ me { id } }" }))
        .await;
    assert_eq!(response.status(), StatusCode::UNAUTHORIZED);
    assert_eq!(
        response.headers()["www-authenticate"],
        "Bearer error=\"invalid_token\""
    );
    let body: Value = response.json().await.unwrap();
    assert_eq!(error_codes(&body), ["UNAUTHENTICATED"]);
    assert!(
        body["errors"][0]["message"]
            .as_str()
            .unwrap()
            .contains("revoked"),
        "{body}"
    );
    // Revoking again keeps the first revocation.
    let again = app
        .data_as(&partner.token, REVOKE_KEY, json!({ "id": id }))
        .await;
    assert_eq!(
        again["revokeApiKey"]["apiKey"]["revokedAt"],
        revoked["revokeApiKey"]["apiKey"]["revokedAt"]
    );
}

#[tokio::test]
async fn an_expired_an_unknown_and_a_tampered_key_are_refused() {
    let app = TestApp::with_demo().await;
    let partner = app
        .account("afev@exemple.fr", Role::Partner, Some("afev"))
        .await;
    let (id, key) = create_key(&app, &partner, "afev", "Site", &["READ_DRAFTS"]).await;
    let mut tampered = key.clone();
    tampered.pop();
    tampered.push(if key.ends_with('A') { 'B' } else { 'A' });
    let unknown = format!("cmk_{}_{}", uuid::Uuid::now_v7().simple(), "x".repeat(43));
    for (credential, reason) in [
        (tampered.as_str(), "not a key of this server"),
        (unknown.as_str(), "not a key of this server"),
        ("cmk_garbage", "not a key of this server"),
    ] {
        let (status, body) = send(&app, credential, "{ me { id } }", json!({})).await;
        assert_eq!(status, StatusCode::UNAUTHORIZED, "{credential}");
        assert_eq!(error_codes(&body), ["UNAUTHENTICATED"]);
        assert!(
            body["errors"][0]["message"]
                .as_str()
                .unwrap()
                .contains(reason)
        );
    }
    // The key expires (set behind the API: an expiry is at least a moment ahead).
    api_key::Entity::update(api_key::ActiveModel {
        id: Set(uuid_of(&id)),
        expires_at: Set(Utc::now() - Duration::seconds(1)),
        ..Default::default()
    })
    .exec(app.db())
    .await
    .unwrap();
    let (status, body) = send(&app, &key, "{ me { id } }", json!({})).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    assert!(
        body["errors"][0]["message"]
            .as_str()
            .unwrap()
            .contains("expired"),
        "{body}"
    );
}

#[tokio::test]
async fn last_used_at_is_set_after_use_at_most_once_a_minute() {
    let app = TestApp::with_demo().await;
    let partner = app
        .account("afev@exemple.fr", Role::Partner, Some("afev"))
        .await;
    let (_, key) = create_key(&app, &partner, "afev", "Site", &["READ_DRAFTS"]).await;
    let organisation = app.id_of("organisation(slug: \"afev\")").await;
    let last_used = || async {
        app.data_as(
            &partner.token,
            KEYS,
            json!({ "organisation": organisation }),
        )
        .await["apiKeys"][0]["lastUsedAt"]
            .clone()
    };
    assert_eq!(last_used().await, Value::Null);
    app.data_as(&key, "{ me { id } }", json!({})).await;
    let first = last_used().await;
    assert!(first.is_string(), "{first}");
    app.data_as(&key, "{ me { id } }", json!({})).await;
    assert_eq!(
        last_used().await,
        first,
        "not written again within the minute"
    );
}

#[tokio::test]
async fn a_key_over_its_own_rate_is_refused_with_rate_limited() {
    let app = TestApp::with_demo_and_settings(|settings| {
        settings.protection.rate_limit_per_api_key = 2;
    })
    .await;
    let partner = app
        .account("afev@exemple.fr", Role::Partner, Some("afev"))
        .await;
    let (_, key) = create_key(&app, &partner, "afev", "Site", &["READ_DRAFTS"]).await;
    let (_, other) = create_key(&app, &partner, "afev", "Import", &["READ_DRAFTS"]).await;
    for _ in 0..2 {
        let (status, _) = send(&app, &key, "{ me { id } }", json!({})).await;
        assert_eq!(status, StatusCode::OK);
    }
    let response = app
        .post_graphql_as(&key, json!({ "query": "{ me { id } }" }))
        .await;
    assert_eq!(response.status(), StatusCode::TOO_MANY_REQUESTS);
    let retry_after: u64 = response.headers()["retry-after"]
        .to_str()
        .unwrap()
        .parse()
        .unwrap();
    assert!((1..=60).contains(&retry_after), "{retry_after}");
    let body: Value = response.json().await.unwrap();
    assert_eq!(error_codes(&body), ["RATE_LIMITED"]);
    assert_eq!(
        body["errors"][0]["extensions"]["retryAfterSeconds"],
        retry_after
    );
    // Each key has its bucket, and the partner's token its own.
    let (status, _) = send(&app, &other, "{ me { id } }", json!({})).await;
    assert_eq!(status, StatusCode::OK);
    let (status, _) = send(&app, &partner.token, "{ me { id } }", json!({})).await;
    assert_eq!(status, StatusCode::OK);
}

#[tokio::test]
async fn creating_a_key_checks_its_name_scopes_and_expiry() {
    let app = TestApp::with_demo().await;
    let partner = app
        .account("afev@exemple.fr", Role::Partner, Some("afev"))
        .await;
    create_key(&app, &partner, "afev", "Site", &["READ_DRAFTS"]).await;
    let organisation = app.id_of("organisation(slug: \"afev\")").await;
    let soon = (Utc::now() + Duration::days(1)).to_rfc3339();
    for (name, scopes, expires_at, code, field) in [
        (
            "  ",
            json!(["READ_DRAFTS"]),
            soon.clone(),
            "BAD_USER_INPUT",
            "input.name",
        ),
        (
            "Vide",
            json!([]),
            soon.clone(),
            "BAD_USER_INPUT",
            "input.scopes",
        ),
        (
            "Passée",
            json!(["READ_DRAFTS"]),
            (Utc::now() - Duration::days(1)).to_rfc3339(),
            "BAD_USER_INPUT",
            "input.expiresAt",
        ),
        (
            "Éternelle",
            json!(["READ_DRAFTS"]),
            (Utc::now() + Duration::days(400)).to_rfc3339(),
            "BAD_USER_INPUT",
            "input.expiresAt",
        ),
        ("Site", json!(["CONTRIBUTE"]), soon.clone(), "CONFLICT", ""),
    ] {
        let body = app
            .query_as(
                &partner.token,
                CREATE_KEY,
                json!({ "input": { "organisationId": organisation, "name": name,
                    "scopes": scopes, "expiresAt": expires_at } }),
            )
            .await;
        assert_eq!(error_codes(&body), [code], "{name}: {body}");
        if !field.is_empty() {
            assert_eq!(body["errors"][0]["extensions"]["field"], field, "{body}");
        }
    }
}
