//! Bearer tokens: a present but invalid token refuses the request, never runs it as
//! anonymous.

use base64::{Engine as _, engine::general_purpose::URL_SAFE_NO_PAD};
use communs::accounts::tokens::{Claims, key_id};
use entity::enums::Role;
use jsonwebtoken::{Algorithm, EncodingKey, Header, encode};
use reqwest::StatusCode;
use serde_json::json;

use crate::helpers::{TEST_JWT_SECRET, TestApp, error_codes, test_tokens};

/// The claims a valid token of `user_uuid` would carry.
fn claims(user_uuid: &str) -> Claims {
    let now = chrono::Utc::now().timestamp();
    Claims {
        sub: user_uuid.to_owned(),
        role: "ADMIN".to_owned(),
        iat: now,
        nbf: now,
        exp: now + 3600,
        iss: "communs".to_owned(),
        aud: "communs".to_owned(),
        ver: 0,
    }
}

fn sign(claims: &Claims, secret: &str, algorithm: Algorithm, kid: Option<String>) -> String {
    let mut header = Header::new(algorithm);
    header.kid = kid;
    encode(
        &header,
        claims,
        &EncodingKey::from_secret(secret.as_bytes()),
    )
    .unwrap()
}

fn test_kid() -> Option<String> {
    Some(key_id(TEST_JWT_SECRET.as_bytes()))
}

/// A token with `alg: none` and no signature.
fn unsigned(claims: &Claims) -> String {
    let header = URL_SAFE_NO_PAD
        .encode(json!({ "alg": "none", "typ": "JWT", "kid": test_kid() }).to_string());
    let payload = URL_SAFE_NO_PAD.encode(serde_json::to_string(claims).unwrap());
    format!("{header}.{payload}.")
}

async fn refused(app: &TestApp, authorization: &str) -> serde_json::Value {
    let response = app
        .client
        .post(format!("{}/graphql", app.address))
        .header("authorization", authorization)
        .json(&json!({ "query": "{ initiatives { totalCount } }" }))
        .send()
        .await
        .unwrap();
    assert_eq!(
        response.status(),
        StatusCode::UNAUTHORIZED,
        "{authorization}"
    );
    assert!(
        response
            .headers()
            .get("www-authenticate")
            .is_some_and(|value| value.to_str().unwrap().starts_with("Bearer")),
    );
    let body: serde_json::Value = response.json().await.unwrap();
    assert_eq!(
        error_codes(&body),
        ["UNAUTHENTICATED"],
        "{authorization}: {body}"
    );
    assert!(body.get("data").is_none(), "nothing runs: {body}");
    body
}

#[tokio::test]
async fn every_kind_of_invalid_token_is_unauthenticated() {
    let app = TestApp::with_demo().await;
    let admin = app.account("admin@exemple.fr", Role::Admin, None).await;
    let uuid = admin.id.strip_prefix("User:").unwrap().to_owned();
    let valid = claims(&uuid);
    let now = chrono::Utc::now().timestamp();
    let cases: Vec<(&str, String)> = vec![
        ("garbage", "not-a-jwt".to_owned()),
        (
            "bad signature",
            sign(
                &valid,
                "another-secret-of-forty-eight-bytes-at-the-least",
                Algorithm::HS256,
                test_kid(),
            ),
        ),
        ("alg none", unsigned(&valid)),
        (
            "wrong algorithm",
            sign(&valid, TEST_JWT_SECRET, Algorithm::HS512, test_kid()),
        ),
        (
            "expired",
            sign(
                &Claims {
                    iat: now - 7200,
                    nbf: now - 7200,
                    exp: now - 3600,
                    ..valid.clone()
                },
                TEST_JWT_SECRET,
                Algorithm::HS256,
                test_kid(),
            ),
        ),
        (
            "not yet valid",
            sign(
                &Claims {
                    nbf: now + 3600,
                    exp: now + 7200,
                    ..valid.clone()
                },
                TEST_JWT_SECRET,
                Algorithm::HS256,
                test_kid(),
            ),
        ),
        (
            "wrong issuer",
            sign(
                &Claims {
                    iss: "someone-else".into(),
                    ..valid.clone()
                },
                TEST_JWT_SECRET,
                Algorithm::HS256,
                test_kid(),
            ),
        ),
        (
            "wrong audience",
            sign(
                &Claims {
                    aud: "another-api".into(),
                    ..valid.clone()
                },
                TEST_JWT_SECRET,
                Algorithm::HS256,
                test_kid(),
            ),
        ),
        (
            "unknown kid",
            sign(
                &valid,
                TEST_JWT_SECRET,
                Algorithm::HS256,
                Some("0123456789abcdef".into()),
            ),
        ),
        (
            "no kid",
            sign(&valid, TEST_JWT_SECRET, Algorithm::HS256, None),
        ),
        (
            "revoked version",
            sign(
                &Claims {
                    ver: -1,
                    ..valid.clone()
                },
                TEST_JWT_SECRET,
                Algorithm::HS256,
                test_kid(),
            ),
        ),
        (
            "unknown account",
            sign(
                &claims(&uuid::Uuid::now_v7().to_string()),
                TEST_JWT_SECRET,
                Algorithm::HS256,
                test_kid(),
            ),
        ),
    ];
    // The forged tokens are refused for their flaw, not for their shape: the same claims,
    // well signed, are accepted.
    let good = sign(&valid, TEST_JWT_SECRET, Algorithm::HS256, test_kid());
    let me = app.data_as(&good, "{ me { id } }", json!({})).await;
    assert_eq!(me["me"]["id"], admin.id.as_str());
    for (case, token) in cases {
        let body = refused(&app, &format!("Bearer {token}")).await;
        assert!(
            body["errors"][0]["message"]
                .as_str()
                .unwrap()
                .starts_with("invalid token"),
            "{case}: {body}"
        );
    }
}

#[tokio::test]
async fn a_malformed_authorization_header_is_unauthenticated_not_anonymous() {
    let app = TestApp::with_demo().await;
    for header in [
        "Basic dXNlcjpwYXNz",
        "Bearer",
        "Bearer ",
        "token-without-scheme",
    ] {
        refused(&app, header).await;
    }
}

#[tokio::test]
async fn a_deactivated_accounts_token_is_unauthenticated() {
    let app = TestApp::with_demo().await;
    let admin = app.account("admin@exemple.fr", Role::Admin, None).await;
    let julie = app
        .account("julie@exemple.fr", Role::Partner, Some("afev"))
        .await;
    app.data_as(
        &admin.token,
        "mutation ($id: ID!) { deactivateUser(id: $id) { user { id } } }",
        json!({ "id": julie.id }),
    )
    .await;
    let body = refused(&app, &format!("Bearer {}", julie.token)).await;
    assert!(
        body["errors"][0]["message"]
            .as_str()
            .unwrap()
            .contains("deactivated")
    );
}

#[tokio::test]
async fn after_a_key_rotation_tokens_of_the_previous_secret_still_work() {
    const OLD_SECRET: &str = "the-secret-before-the-rotation-of-48-bytes-or-more";
    let app = TestApp::with_demo_and_tokens(test_tokens(&[OLD_SECRET])).await;
    let julie = app
        .account("julie@exemple.fr", Role::Partner, Some("afev"))
        .await;
    let uuid = julie.id.strip_prefix("User:").unwrap();
    let old = sign(
        &claims(uuid),
        OLD_SECRET,
        Algorithm::HS256,
        Some(key_id(OLD_SECRET.as_bytes())),
    );
    let me = app.data_as(&old, "{ me { id } }", json!({})).await;
    assert_eq!(me["me"]["id"], julie.id.as_str());

    // Once the old secret is removed, its tokens stop working.
    let rotated = TestApp::with_demo_and_tokens(test_tokens(&[])).await;
    let paul = rotated
        .account("paul@exemple.fr", Role::Partner, Some("afev"))
        .await;
    let uuid = paul.id.strip_prefix("User:").unwrap();
    let old = sign(
        &claims(uuid),
        OLD_SECRET,
        Algorithm::HS256,
        Some(key_id(OLD_SECRET.as_bytes())),
    );
    refused(&rotated, &format!("Bearer {old}")).await;
}
