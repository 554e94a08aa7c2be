//! Webhooks: admins register endpoints, which are told of public changes with signed
//! bodies (Standard Webhooks), retried when they fail, disabled after a day of failures,
//! and never told anything private. The endpoint here is a real HTTP server on 127.0.0.1,
//! allowed by the test's settings, that checks each signature as a third party would.

use std::{
    collections::{HashSet, VecDeque},
    net::SocketAddr,
    sync::{Arc, Mutex},
    time::Duration,
};

use axum::{
    Router,
    body::Bytes,
    extract::State,
    http::{HeaderMap, StatusCode},
    routing::post,
};
use base64::Engine;
use entity::enums::{ModerationStatus, Role};
use hmac::{Hmac, Mac};
use serde_json::{Value, json};
use sha2::Sha256;
use tokio::task::JoinHandle;

use crate::{
    contributions::publish,
    fixtures::{NewInitiative, insert_initiative},
    helpers::{TestAccount, TestApp, error_codes},
};

/// One request the endpoint received.
#[derive(Debug, Clone)]
struct Received {
    id: String,
    body: Value,
    signature_valid: bool,
}

/// A webhook endpoint: it records what it receives and answers the statuses it is told to,
/// then 200.
#[derive(Clone, Default)]
struct Endpoint {
    received: Arc<Mutex<Vec<Received>>>,
    answers: Arc<Mutex<VecDeque<u16>>>,
    /// Answered once `answers` is empty.
    then: Arc<Mutex<u16>>,
    secret: Arc<Mutex<String>>,
}

impl Endpoint {
    async fn start() -> (Self, String) {
        let endpoint = Self::default();
        *endpoint.then.lock().unwrap() = 200;
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let address: SocketAddr = listener.local_addr().unwrap();
        let router = Router::new()
            .route("/hooks/communs", post(receive))
            .with_state(endpoint.clone());
        tokio::spawn(async move { axum::serve(listener, router).await.unwrap() });
        (endpoint, format!("http://{address}/hooks/communs"))
    }

    fn answer(&self, statuses: &[u16], then: u16) {
        *self.answers.lock().unwrap() = statuses.iter().copied().collect();
        *self.then.lock().unwrap() = then;
    }

    fn received(&self) -> Vec<Received> {
        self.received.lock().unwrap().clone()
    }

    /// Waits until `count` requests came, for 15 s at most.
    async fn wait_for(&self, count: usize) -> Vec<Received> {
        for _ in 0..300 {
            if self.received().len() >= count {
                return self.received();
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        panic!(
            "{count} requests expected, {} received",
            self.received().len()
        );
    }
}

/// Checks the signature as the Standard Webhooks libraries do: HMAC-SHA256 of
/// `{id}.{timestamp}.{body}` under the base64 key after `whsec_`.
async fn receive(State(endpoint): State<Endpoint>, headers: HeaderMap, body: Bytes) -> StatusCode {
    let header = |name: &str| {
        headers
            .get(name)
            .and_then(|value| value.to_str().ok())
            .unwrap_or_default()
            .to_owned()
    };
    let (id, timestamp, signature) = (
        header("webhook-id"),
        header("webhook-timestamp"),
        header("webhook-signature"),
    );
    let secret = endpoint.secret.lock().unwrap().clone();
    let key = base64::engine::general_purpose::STANDARD
        .decode(secret.trim_start_matches("whsec_"))
        .unwrap_or_default();
    let mut mac = Hmac::<Sha256>::new_from_slice(&key).unwrap();
    mac.update(id.as_bytes());
    mac.update(b".");
    mac.update(timestamp.as_bytes());
    mac.update(b".");
    mac.update(&body);
    let expected = format!(
        "v1,{}",
        base64::engine::general_purpose::STANDARD.encode(mac.finalize().into_bytes())
    );
    let fresh = timestamp
        .parse::<i64>()
        .is_ok_and(|at| (chrono::Utc::now().timestamp() - at).abs() < 300);
    endpoint.received.lock().unwrap().push(Received {
        id,
        body: serde_json::from_slice(&body).unwrap_or(Value::Null),
        signature_valid: fresh && signature.split(' ').any(|one| one == expected),
    });
    let next = endpoint.answers.lock().unwrap().pop_front();
    let status = next.unwrap_or(*endpoint.then.lock().unwrap());
    StatusCode::from_u16(status).unwrap()
}

/// Sends deliveries for `app` while the test runs.
struct Delivering(JoinHandle<()>);

impl Drop for Delivering {
    fn drop(&mut self) {
        self.0.abort();
    }
}

fn settings(retry_delays: &[u64]) -> communs::webhooks::WebhookSettings {
    communs::webhooks::WebhookSettings {
        allowed_networks: vec!["127.0.0.1/32".parse().unwrap()],
        timeout: Duration::from_secs(5),
        retry_delays: retry_delays
            .iter()
            .map(|ms| Duration::from_millis(*ms))
            .collect(),
        poll: Duration::from_millis(50),
        wake: Arc::default(),
    }
}

async fn app_delivering(retry_delays: &[u64]) -> (TestApp, Delivering) {
    let app = TestApp::with_demo_and_settings(|settings_| {
        settings_.webhooks = settings(retry_delays);
    })
    .await;
    let delivering = deliver(&app, retry_delays);
    (app, delivering)
}

fn deliver(app: &TestApp, retry_delays: &[u64]) -> Delivering {
    Delivering(communs::webhooks::start(
        app.db().clone(),
        app.changes.clone(),
        Arc::new(communs::open_data::Publication::default()),
        Arc::new(settings(retry_delays)),
    ))
}

const CREATE: &str = "mutation($input: CreateWebhookInput!) { createWebhook(input: $input) { \
     secret webhook { id url events enabled } } }";

const DELIVERIES: &str = "query($id: ID!) { webhookDeliveries(webhookId: $id) { totalCount \
     nodes { kind status payload attempts { statusCode error } } } \
     webhooks { id enabled disabledReason } }";

/// Registers `url` for `events`; its id, and the endpoint told its secret.
async fn register(
    app: &TestApp,
    admin: &TestAccount,
    endpoint: &Endpoint,
    url: &str,
    events: &[&str],
) -> String {
    let created = app
        .data_as(
            &admin.token,
            CREATE,
            json!({ "input": { "url": url, "events": events, "description": "Le site ressources" } }),
        )
        .await;
    let secret = created["createWebhook"]["secret"].as_str().unwrap();
    assert!(secret.starts_with("whsec_"), "{created}");
    *endpoint.secret.lock().unwrap() = secret.to_owned();
    created["createWebhook"]["webhook"]["id"]
        .as_str()
        .unwrap()
        .to_owned()
}

async fn submitted(app: &TestApp, title: &str) -> uuid::Uuid {
    insert_initiative(
        app.db(),
        NewInitiative {
            title,
            status: ModerationStatus::Submitted,
            owner: Some("afev"),
            ..NewInitiative::default()
        },
    )
    .await
}

/// The webhook's deliveries and the webhook itself, once `done` holds of them (10 s at most).
async fn deliveries_once(
    app: &TestApp,
    admin: &TestAccount,
    id: &str,
    done: impl Fn(&Value) -> bool,
) -> Value {
    let mut last = Value::Null;
    for _ in 0..200 {
        last = app
            .data_as(&admin.token, DELIVERIES, json!({ "id": id }))
            .await;
        if done(&last) {
            return last;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    panic!("the deliveries never got there: {last:#}");
}

#[tokio::test]
async fn a_publication_reaches_the_endpoint_signed_with_its_public_view_and_nothing_private() {
    let (app, _delivering) = app_delivering(&[50]).await;
    let admin = app.account("admin@exemple.fr", Role::Admin, None).await;
    let moderator = app.account("m@exemple.fr", Role::Moderator, None).await;
    let (endpoint, url) = Endpoint::start().await;
    let every_public_kind = [
        "INITIATIVE_PUBLISHED",
        "INITIATIVE_UPDATED",
        "INITIATIVE_UNPUBLISHED",
        "EXPERIENCE_PUBLISHED",
        "REFERENCE_CHANGED",
    ];
    let id = register(&app, &admin, &endpoint, &url, &every_public_kind).await;

    let initiative = submitted(&app, "Troc de graines au pied des tours").await;
    publish(&app, &moderator, initiative).await;

    let received = endpoint.wait_for(1).await;
    tokio::time::sleep(Duration::from_millis(300)).await;
    let received_now = endpoint.received();
    assert_eq!(
        received_now.len(),
        1,
        "the decision for the partners is not public: {received_now:#?}"
    );
    let delivery = &received[0];
    assert!(delivery.signature_valid, "the signature verifies");
    assert!(delivery.id.starts_with("msg_"));
    assert_eq!(delivery.body["type"], "initiative.published");
    let data = &delivery.body["data"];
    assert_eq!(data["kind"], "INITIATIVE_PUBLISHED");
    assert_eq!(
        data["initiative"]["title"],
        "Troc de graines au pied des tours"
    );
    assert_eq!(data["subject"]["id"], format!("Initiative:{initiative}"));
    assert!(
        delivery.body["timestamp"].as_str().unwrap().ends_with('Z'),
        "{}",
        delivery.body
    );

    let seen = deliveries_once(&app, &admin, &id, |seen| {
        seen["webhookDeliveries"]["nodes"][0]["status"] == "DELIVERED"
    })
    .await;
    let nodes = &seen["webhookDeliveries"]["nodes"];
    assert_eq!(seen["webhookDeliveries"]["totalCount"], 1);
    assert_eq!(nodes[0]["kind"], "INITIATIVE_PUBLISHED");
    assert_eq!(nodes[0]["attempts"][0]["statusCode"], 200);
}

#[tokio::test]
async fn a_failing_endpoint_is_tried_again_until_it_answers() {
    let (app, _delivering) = app_delivering(&[50, 50, 50]).await;
    let admin = app.account("admin@exemple.fr", Role::Admin, None).await;
    let moderator = app.account("m@exemple.fr", Role::Moderator, None).await;
    let (endpoint, url) = Endpoint::start().await;
    endpoint.answer(&[500, 502], 200);
    let id = register(&app, &admin, &endpoint, &url, &["INITIATIVE_PUBLISHED"]).await;

    let initiative = submitted(&app, "Jardin partagé des Provinces").await;
    publish(&app, &moderator, initiative).await;

    let received = endpoint.wait_for(3).await;
    assert!(received.iter().all(|request| request.signature_valid));
    let ids: HashSet<&str> = received.iter().map(|request| request.id.as_str()).collect();
    assert_eq!(ids.len(), 1, "one message, sent three times");
    let seen = deliveries_once(&app, &admin, &id, |seen| {
        seen["webhookDeliveries"]["nodes"][0]["status"] == "DELIVERED"
    })
    .await;
    let statuses: Vec<i64> = seen["webhookDeliveries"]["nodes"][0]["attempts"]
        .as_array()
        .unwrap()
        .iter()
        .map(|attempt| attempt["statusCode"].as_i64().unwrap())
        .collect();
    assert_eq!(statuses, [500, 502, 200]);
}

#[tokio::test]
async fn an_endpoint_failing_every_attempt_is_disabled_with_the_reason_then_redelivered() {
    let (app, _delivering) = app_delivering(&[20, 20]).await;
    let admin = app.account("admin@exemple.fr", Role::Admin, None).await;
    let moderator = app.account("m@exemple.fr", Role::Moderator, None).await;
    let (endpoint, url) = Endpoint::start().await;
    endpoint.answer(&[], 503);
    let id = register(&app, &admin, &endpoint, &url, &["INITIATIVE_PUBLISHED"]).await;

    let initiative = submitted(&app, "Atelier vélo solidaire").await;
    publish(&app, &moderator, initiative).await;

    // The delivery and its webhook are read by two statements: wait for both.
    let seen = deliveries_once(&app, &admin, &id, |seen| {
        seen["webhookDeliveries"]["nodes"][0]["status"] == "FAILED"
            && seen["webhooks"][0]["enabled"] == false
    })
    .await;
    assert_eq!(
        seen["webhookDeliveries"]["nodes"][0]["attempts"]
            .as_array()
            .unwrap()
            .len(),
        3
    );
    let hook = &seen["webhooks"][0];
    assert_eq!(hook["enabled"], false);
    assert!(
        hook["disabledReason"]
            .as_str()
            .unwrap()
            .contains("HTTP 503"),
        "{hook}"
    );

    endpoint.answer(&[], 200);
    let enabled = app
        .data_as(
            &admin.token,
            "mutation($id: ID!) { updateWebhook(input: {id: $id, enabled: true}) { \
             webhook { enabled disabledReason } } }",
            json!({ "id": id }),
        )
        .await;
    assert_eq!(enabled["updateWebhook"]["webhook"]["enabled"], true);
    let all = app
        .data_as(
            &admin.token,
            "query($id: ID!) { webhookDeliveries(webhookId: $id) { nodes { id } } }",
            json!({ "id": id }),
        )
        .await;
    let delivery = all["webhookDeliveries"]["nodes"][0]["id"].clone();
    let again = app
        .data_as(
            &admin.token,
            "mutation($id: ID!) { redeliverWebhookDelivery(id: $id) { delivery { status } } }",
            json!({ "id": delivery }),
        )
        .await;
    assert_eq!(
        again["redeliverWebhookDelivery"]["delivery"]["status"],
        "PENDING"
    );
    deliveries_once(&app, &admin, &id, |seen| {
        seen["webhookDeliveries"]["nodes"][0]["status"] == "DELIVERED"
    })
    .await;
    assert_eq!(endpoint.received().len(), 4);
}

#[tokio::test]
async fn internal_plain_http_and_private_kinds_are_refused_when_registering() {
    // The default settings: no internal network allowed.
    let app = TestApp::with_demo().await;
    let admin = app.account("admin@exemple.fr", Role::Admin, None).await;
    for (url, events) in [
        ("http://127.0.0.1:9/hook", vec!["INITIATIVE_PUBLISHED"]),
        ("https://127.0.0.1/hook", vec!["INITIATIVE_PUBLISHED"]),
        ("https://localhost/hook", vec!["INITIATIVE_PUBLISHED"]),
        (
            "https://169.254.169.254/latest",
            vec!["INITIATIVE_PUBLISHED"],
        ),
        ("https://10.0.0.7/hook", vec!["INITIATIVE_PUBLISHED"]),
        ("https://[::1]/hook", vec!["INITIATIVE_PUBLISHED"]),
        (
            "http://hooks.exemple.fr/communs",
            vec!["INITIATIVE_PUBLISHED"],
        ),
        (
            "ftp://hooks.exemple.fr/communs",
            vec!["INITIATIVE_PUBLISHED"],
        ),
        ("https://93.184.215.14/hook", vec!["CONTRIBUTION_SUBMITTED"]),
        ("https://93.184.215.14/hook", vec![]),
    ] {
        let refused = app
            .query_as(
                &admin.token,
                CREATE,
                json!({ "input": { "url": url, "events": events } }),
            )
            .await;
        assert_eq!(
            error_codes(&refused),
            ["BAD_USER_INPUT"],
            "{url}: {refused}"
        );
    }
    let none = app
        .data_as(&admin.token, "{ webhooks { id } }", json!({}))
        .await;
    assert_eq!(none["webhooks"], json!([]));
}

#[tokio::test]
async fn only_admins_see_and_manage_webhooks() {
    let app = TestApp::with_demo().await;
    let moderator = app.account("m@exemple.fr", Role::Moderator, None).await;
    let input = json!({ "input": { "url": "https://93.184.215.14/hook", "events": ["INITIATIVE_PUBLISHED"] } });
    let refused = app.query_as(&moderator.token, CREATE, input.clone()).await;
    assert_eq!(error_codes(&refused), ["FORBIDDEN"]);
    let listed = app
        .query_as(&moderator.token, "{ webhooks { id } }", json!({}))
        .await;
    assert_eq!(error_codes(&listed), ["FORBIDDEN"]);
    let anonymous = app.query_with(CREATE, input).await;
    assert_eq!(error_codes(&anonymous), ["UNAUTHENTICATED"]);
}

#[tokio::test]
async fn two_replicas_deliver_a_burst_of_200_changes_each_exactly_once() {
    let (app, _first) = app_delivering(&[50]).await;
    let replica = app.replica().await;
    let _second = deliver(&replica, &[50]);
    let admin = app.account("admin@exemple.fr", Role::Admin, None).await;
    let (endpoint, url) = Endpoint::start().await;
    register(&app, &admin, &endpoint, &url, &["REFERENCE_CHANGED"]).await;

    let changes: Vec<communs::events::Change> = (0..200)
        .map(|_| {
            communs::events::Change::reference(communs::events::Subject::of(
                "Theme",
                uuid::Uuid::now_v7(),
            ))
        })
        .collect();
    // In 20 commits of 10 changes, as imports and busy moderators make them.
    for burst in changes.chunks(10) {
        let txn = sea_orm::TransactionTrait::begin(app.db()).await.unwrap();
        communs::events::record(&txn, burst, chrono::Utc::now())
            .await
            .unwrap();
        txn.commit().await.unwrap();
    }
    app.changes.wake();
    replica.changes.wake();

    let received = endpoint.wait_for(200).await;
    tokio::time::sleep(Duration::from_millis(500)).await;
    let received_after = endpoint.received();
    assert_eq!(received_after.len(), 200, "none twice");
    let subjects: HashSet<String> = received
        .iter()
        .map(|request| {
            request.body["data"]["subject"]["id"]
                .as_str()
                .unwrap()
                .to_owned()
        })
        .collect();
    assert_eq!(subjects.len(), 200, "each change once");
    assert!(received.iter().all(|request| request.signature_valid));
}

#[tokio::test]
async fn a_webhook_narrowed_to_a_department_hears_only_of_initiatives_on_it() {
    let (app, _delivering) = app_delivering(&[50]).await;
    let admin = app.account("admin@exemple.fr", Role::Admin, None).await;
    let moderator = app.account("m@exemple.fr", Role::Moderator, None).await;
    let (endpoint, url) = Endpoint::start().await;
    let moselle = app.id_of(r#"territory(slug: "moselle")"#).await;
    let created = app
        .data_as(
            &admin.token,
            "mutation($input: CreateWebhookInput!) { createWebhook(input: $input) { \
             secret webhook { territoryIds themeIds } } }",
            json!({ "input": {
                "url": url,
                "events": ["INITIATIVE_PUBLISHED"],
                "filter": { "territoryIds": [moselle] },
            } }),
        )
        .await;
    assert_eq!(
        created["createWebhook"]["webhook"]["territoryIds"],
        json!([moselle])
    );
    *endpoint.secret.lock().unwrap() = created["createWebhook"]["secret"]
        .as_str()
        .unwrap()
        .to_owned();

    let elsewhere = insert_initiative(
        app.db(),
        NewInitiative {
            title: "Ludothèque de rue à Vitry",
            status: ModerationStatus::Submitted,
            territories: &["vitry-le-francois"],
            owner: Some("afev"),
            ..NewInitiative::default()
        },
    )
    .await;
    let in_metz = insert_initiative(
        app.db(),
        NewInitiative {
            title: "Club d'échecs en ligne à Metz",
            status: ModerationStatus::Submitted,
            territories: &["metz"],
            owner: Some("afev"),
            ..NewInitiative::default()
        },
    )
    .await;
    publish(&app, &moderator, elsewhere).await;
    publish(&app, &moderator, in_metz).await;

    let received = endpoint.wait_for(1).await;
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert_eq!(endpoint.received().len(), 1, "Vitry is not in Moselle");
    assert_eq!(
        received[0].body["data"]["initiative"]["title"], "Club d'échecs en ligne à Metz",
        "Metz is in Moselle"
    );

    let unknown = app
        .query_as(
            &admin.token,
            CREATE,
            json!({ "input": {
                "url": url,
                "events": ["INITIATIVE_PUBLISHED"],
                "filter": { "themeIds": ["Theme:00000000-0000-0000-0000-000000000000"] },
            } }),
        )
        .await;
    assert_eq!(error_codes(&unknown), ["BAD_USER_INPUT"]);
}
