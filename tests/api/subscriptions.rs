//! Subscriptions over WebSocket (`graphql-transport-ws`) on `/graphql`: the handshake, what
//! each subscription receives and what it must not, refusals, limits, tokens that stop being
//! valid, a stopping server, and delivery across replicas.

use std::time::Duration;

use entity::enums::{ModerationStatus, Role};
use futures_util::{SinkExt, StreamExt};
use serde_json::{Value, json};
use tokio::net::TcpStream;
use tokio_tungstenite::{
    MaybeTlsStream, WebSocketStream, connect_async,
    tungstenite::{Message, client::IntoClientRequest, http::HeaderValue},
};

use crate::{
    contributions::{ids, moderate},
    fixtures::{NewInitiative, insert_initiative},
    helpers::{TestAccount, TestApp, token_settings},
};

/// Longer than a replica's poll of the stream, on a busy machine.
const DELIVERY: Duration = Duration::from_secs(8);
/// How long a test waits to be sure nothing comes.
const QUIET: Duration = Duration::from_millis(2500);

struct Client {
    socket: WebSocketStream<MaybeTlsStream<TcpStream>>,
}

/// What the server sent, pings answered.
#[derive(Debug)]
enum Received {
    Message(Value),
    Closed(u16, String),
}

impl Client {
    async fn open(app: &TestApp) -> Result<Self, tokio_tungstenite::tungstenite::Error> {
        let url = format!("{}/graphql", app.address.replacen("http", "ws", 1));
        let mut request = url.into_client_request().unwrap();
        request.headers_mut().insert(
            "Sec-WebSocket-Protocol",
            HeaderValue::from_static("graphql-transport-ws"),
        );
        let (socket, _) = connect_async(request).await?;
        Ok(Self { socket })
    }

    /// Opens a connection and initialises it with `token` (anonymous without one).
    async fn connect(app: &TestApp, token: Option<&str>) -> Self {
        let mut client = Self::open(app).await.expect("the upgrade is accepted");
        client.init(token).await;
        let ack = client.receive(DELIVERY).await;
        assert!(
            matches!(&ack, Some(Received::Message(m)) if m["type"] == "connection_ack"),
            "{ack:?}"
        );
        client
    }

    async fn init(&mut self, token: Option<&str>) {
        let payload = match token {
            Some(token) => json!({ "Authorization": format!("Bearer {token}") }),
            None => json!({}),
        };
        self.send(json!({ "type": "connection_init", "payload": payload }))
            .await;
    }

    async fn send(&mut self, message: Value) {
        self.socket
            .send(Message::Text(message.to_string().into()))
            .await
            .expect("sent");
    }

    async fn subscribe(&mut self, id: &str, query: &str, variables: Value) {
        self.send(json!({ "id": id, "type": "subscribe",
            "payload": { "query": query, "variables": variables } }))
            .await;
    }

    /// The next message within `wait`, pings answered and skipped.
    async fn receive(&mut self, wait: Duration) -> Option<Received> {
        let deadline = tokio::time::Instant::now() + wait;
        loop {
            let frame = tokio::time::timeout_at(deadline, self.socket.next())
                .await
                .ok()?;
            match frame {
                Some(Ok(Message::Text(text))) => {
                    let message: Value = serde_json::from_str(&text).unwrap();
                    if message["type"] == "ping" {
                        self.send(json!({ "type": "pong" })).await;
                        continue;
                    }
                    return Some(Received::Message(message));
                }
                Some(Ok(Message::Close(frame))) => {
                    return Some(frame.map_or(Received::Closed(1005, String::new()), |f| {
                        Received::Closed(f.code.into(), f.reason.to_string())
                    }));
                }
                Some(Ok(_)) => continue,
                Some(Err(_)) | None => return Some(Received::Closed(1006, String::new())),
            }
        }
    }

    /// The next message, which must be one.
    async fn message(&mut self) -> Value {
        match self.receive(DELIVERY).await {
            Some(Received::Message(message)) => message,
            other => panic!("expected a message, got {other:?}"),
        }
    }

    /// Asserts that nothing arrives for a while.
    async fn nothing(&mut self) {
        if let Some(received) = self.receive(QUIET).await {
            panic!("expected nothing, got {received:?}");
        }
    }
}

const PUBLISHED: &str = "subscription ($filter: InitiativePublishedFilter) {
    initiativePublished(filter: $filter) { id title status } }";
const QUEUE: &str = "subscription ($organisationId: ID) {
    moderationQueueChanged(organisationId: $organisationId) {
        kind status subject { ... on Initiative { id title } } } }";
const CHANGED: &str = "subscription ($id: ID!) {
    initiativeChanged(id: $id) { kind initiativeId initiative { id status } } }";

/// A submitted initiative of the AFEV in Metz.
async fn submitted(app: &TestApp, title: &str) -> String {
    let id = insert_initiative(
        app.db(),
        NewInitiative {
            title,
            status: ModerationStatus::Submitted,
            owner: Some("afev"),
            territories: &["metz"],
            ..NewInitiative::default()
        },
    )
    .await;
    format!("Initiative:{id}")
}

fn error_code(message: &Value) -> &str {
    message["payload"][0]["extensions"]["code"]
        .as_str()
        .unwrap_or_default()
}

async fn moderator(app: &TestApp) -> TestAccount {
    app.account("moderatrice@exemple.fr", Role::Moderator, None)
        .await
}

#[tokio::test]
async fn a_connection_is_acknowledged_with_a_valid_token_or_none_and_closed_with_a_bad_one() {
    let app = TestApp::with_demo().await;
    let moderator = moderator(&app).await;
    Client::connect(&app, None).await;
    Client::connect(&app, Some(&moderator.token)).await;
    let mut hasty = Client::open(&app).await.unwrap();
    hasty.subscribe("1", PUBLISHED, json!({})).await;
    match hasty.receive(DELIVERY).await {
        Some(Received::Closed(4401, _)) => {}
        other => panic!("expected 4401 for a subscribe before the ack, got {other:?}"),
    }
    let mut babbling = Client::open(&app).await.unwrap();
    babbling.send(json!({ "type": "hello" })).await;
    match babbling.receive(DELIVERY).await {
        Some(Received::Closed(4400, _)) => {}
        other => panic!("expected 4400 for an unknown message, got {other:?}"),
    }
    let mut forged = Client::open(&app).await.unwrap();
    forged.init(Some("not-a-token")).await;
    match forged.receive(DELIVERY).await {
        Some(Received::Closed(4403, reason)) => assert!(reason.contains("invalid token")),
        other => panic!("expected 4403, got {other:?}"),
    }
}

/// API keys are for HTTP requests: a connection initialised with one is closed (4403),
/// whether the key is valid or not.
#[tokio::test]
async fn a_connection_initialised_with_an_api_key_is_closed_valid_or_not() {
    let app = TestApp::with_demo().await;
    let partner = app
        .account("afev@exemple.fr", Role::Partner, Some("afev"))
        .await;
    let organisation = app.id_of("organisation(slug: \"afev\")").await;
    let created = app
        .data_as(
            &partner.token,
            "mutation ($input: CreateApiKeyInput!) { createApiKey(input: $input) { secret } }",
            json!({ "input": { "organisationId": organisation, "name": "Site",
                "scopes": ["READ_DRAFTS"],
                "expiresAt": (chrono::Utc::now() + chrono::Duration::days(1)).to_rfc3339() } }),
        )
        .await;
    let key = created["createApiKey"]["secret"].as_str().unwrap();
    let unknown = format!("cmk_{}_{}", uuid::Uuid::now_v7().simple(), "x".repeat(43));
    for credential in [key, unknown.as_str()] {
        let mut client = Client::open(&app).await.unwrap();
        client.init(Some(credential)).await;
        match client.receive(DELIVERY).await {
            Some(Received::Closed(4403, reason)) => {
                assert!(reason.contains("HTTP requests only"), "{reason}")
            }
            other => panic!("expected 4403, got {other:?}"),
        }
    }
    // The same key works over HTTP.
    app.data_as(key, "{ me { id } }", json!({})).await;
}

#[tokio::test]
async fn an_approved_initiative_reaches_the_subscribers_whose_territories_contain_it() {
    let app = TestApp::with_demo().await;
    let moderator = moderator(&app).await;
    let territories = ids(
        &app,
        &[
            ("territory", "moselle"),
            ("territory", "meurthe-et-moselle"),
        ],
    )
    .await;
    let mut in_moselle = Client::connect(&app, None).await;
    in_moselle
        .subscribe(
            "1",
            PUBLISHED,
            json!({ "filter": { "territoryIds": [territories[0]] } }),
        )
        .await;
    let mut elsewhere = Client::connect(&app, None).await;
    elsewhere
        .subscribe(
            "1",
            PUBLISHED,
            json!({ "filter": { "territoryIds": [territories[1]] } }),
        )
        .await;
    let id = submitted(&app, "Potager partagé à Metz").await;
    let body = moderate(&app, &moderator, &id, "APPROVE", None, 1).await;
    assert!(body.get("errors").is_none(), "{body}");
    let next = in_moselle.message().await;
    assert_eq!(next["type"], "next", "{next}");
    assert_eq!(next["id"], "1");
    assert_eq!(next["payload"]["data"]["initiativePublished"]["id"], id);
    assert_eq!(
        next["payload"]["data"]["initiativePublished"]["status"],
        "PUBLISHED"
    );
    elsewhere.nothing().await;
}

#[tokio::test]
async fn the_moderation_queue_reaches_moderators_and_the_organisations_partners_only() {
    let app = TestApp::with_demo().await;
    let moderator = moderator(&app).await;
    let afev = app
        .account("afev@exemple.fr", Role::Partner, Some("afev"))
        .await;
    let metz = app
        .account("metz@exemple.fr", Role::Partner, Some("ville-de-metz"))
        .await;
    let mut clients = Vec::new();
    for account in [&moderator, &afev, &metz] {
        let mut client = Client::connect(&app, Some(&account.token)).await;
        client.subscribe("q", QUEUE, json!({})).await;
        clients.push(client);
    }
    let id = submitted(&app, "Aide aux devoirs").await;
    let body = moderate(
        &app,
        &moderator,
        &id,
        "REQUEST_CHANGES",
        Some("Précisez"),
        1,
    )
    .await;
    assert!(body.get("errors").is_none(), "{body}");
    for client in &mut clients[..2] {
        let next = client.message().await;
        let item = &next["payload"]["data"]["moderationQueueChanged"];
        assert_eq!(item["subject"]["id"], id, "{next}");
        assert_eq!(item["status"], "CHANGES_REQUESTED");
    }
    clients[2].nothing().await;
}

#[tokio::test]
async fn a_submission_appears_in_the_moderators_queue() {
    let app = TestApp::with_demo().await;
    let moderator = moderator(&app).await;
    let afev = app
        .account("afev@exemple.fr", Role::Partner, Some("afev"))
        .await;
    let mut client = Client::connect(&app, Some(&moderator.token)).await;
    client.subscribe("q", QUEUE, json!({})).await;
    let id = crate::contributions::draft(&app, &afev, "Jardin des voisins").await;
    let body = crate::contributions::submit(&app, &afev, &id, 1).await;
    assert!(body.get("errors").is_none(), "{body}");
    let next = client.message().await;
    let item = &next["payload"]["data"]["moderationQueueChanged"];
    assert_eq!(item["subject"]["id"], id, "{next}");
    assert_eq!(item["status"], "SUBMITTED");
}

#[tokio::test]
async fn subscriptions_the_caller_may_not_see_are_refused_with_the_protocols_error() {
    let app = TestApp::with_demo().await;
    let metz = app
        .account("metz@exemple.fr", Role::Partner, Some("ville-de-metz"))
        .await;
    let afev_id = app.id_of("organisation(slug: \"afev\")").await;
    let mut anonymous = Client::connect(&app, None).await;
    anonymous.subscribe("a", QUEUE, json!({})).await;
    let refused = anonymous.message().await;
    assert_eq!(refused["type"], "error", "{refused}");
    assert_eq!(refused["id"], "a");
    assert_eq!(error_code(&refused), "UNAUTHENTICATED");
    let draft = submitted(&app, "Brouillon invisible").await;
    anonymous
        .subscribe("b", CHANGED, json!({ "id": draft }))
        .await;
    let refused = anonymous.message().await;
    assert_eq!(refused["type"], "error", "{refused}");
    assert_eq!(error_code(&refused), "NOT_FOUND");
    let mut partner = Client::connect(&app, Some(&metz.token)).await;
    partner
        .subscribe("c", QUEUE, json!({ "organisationId": afev_id }))
        .await;
    let refused = partner.message().await;
    assert_eq!(refused["type"], "error", "{refused}");
    assert_eq!(error_code(&refused), "FORBIDDEN");
    // No `complete` follows an error; the connection serves on.
    anonymous.nothing().await;
}

#[tokio::test]
async fn a_followed_initiative_that_is_archived_is_sent_once_more_then_completed() {
    let app = TestApp::with_demo().await;
    let moderator = moderator(&app).await;
    let id = submitted(&app, "Ludothèque mobile").await;
    moderate(&app, &moderator, &id, "APPROVE", None, 1).await;
    let mut anonymous = Client::connect(&app, None).await;
    anonymous.subscribe("c", CHANGED, json!({ "id": id })).await;
    tokio::time::sleep(Duration::from_millis(300)).await;
    let body = moderate(&app, &moderator, &id, "ARCHIVE", None, 2).await;
    assert!(body.get("errors").is_none(), "{body}");
    let next = anonymous.message().await;
    let change = &next["payload"]["data"]["initiativeChanged"];
    assert_eq!(change["kind"], "UNPUBLISHED", "{next}");
    assert_eq!(change["initiativeId"], id);
    assert!(change["initiative"].is_null());
    let complete = anonymous.message().await;
    assert_eq!(complete["type"], "complete", "{complete}");
}

#[tokio::test]
async fn a_followed_initiative_is_sent_again_when_an_approved_proposal_changes_it() {
    let app = TestApp::with_demo().await;
    let moderator = moderator(&app).await;
    let afev = app
        .account("afev@exemple.fr", Role::Partner, Some("afev"))
        .await;
    let id = submitted(&app, "Accompagnement scolaire").await;
    moderate(&app, &moderator, &id, "APPROVE", None, 1).await;
    let mut anonymous = Client::connect(&app, None).await;
    anonymous
        .subscribe(
            "c",
            "subscription ($id: ID!) { initiativeChanged(id: $id) {
                kind initiative { summary } } }",
            json!({ "id": id }),
        )
        .await;
    let version = app
        .data_with(
            "query ($id: ID!) { initiative(id: $id) { version } }",
            json!({ "id": id }),
        )
        .await["initiative"]["version"]
        .clone();
    let proposed = app
        .data_as(
            &afev.token,
            "mutation ($input: ProposeInitiativeChangeInput!) {
                proposeInitiativeChange(input: $input) { changeProposal { id } } }",
            json!({ "input": { "id": id, "expectedVersion": version,
                "summary": "Un accompagnement poursuivi en 2021." } }),
        )
        .await;
    let proposal = proposed["proposeInitiativeChange"]["changeProposal"]["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let body = moderate(&app, &moderator, &proposal, "APPROVE", None, 1).await;
    assert!(body.get("errors").is_none(), "{body}");
    let next = anonymous.message().await;
    let change = &next["payload"]["data"]["initiativeChanged"];
    assert_eq!(change["kind"], "UPDATED", "{next}");
    assert_eq!(
        change["initiative"]["summary"],
        "Un accompagnement poursuivi en 2021."
    );
}

#[tokio::test]
async fn subscriptions_per_connection_and_connections_per_address_are_limited() {
    let app = TestApp::with_demo_and_settings(|settings| {
        settings.protection.subscriptions.per_connection = 1;
        settings.protection.subscriptions.connections_per_address = 2;
    })
    .await;
    let mut client = Client::connect(&app, None).await;
    client.subscribe("1", PUBLISHED, json!({})).await;
    client.subscribe("2", PUBLISHED, json!({})).await;
    let refused = client.message().await;
    assert_eq!(refused["type"], "error", "{refused}");
    assert_eq!(refused["id"], "2");
    assert_eq!(error_code(&refused), "TOO_MANY_SUBSCRIPTIONS");
    // Completing one makes room.
    client.send(json!({ "id": "1", "type": "complete" })).await;
    assert_eq!(client.message().await["type"], "complete");
    client.subscribe("3", PUBLISHED, json!({})).await;
    client.nothing().await;
    let _second = Client::connect(&app, None).await;
    let third = Client::open(&app).await;
    match third {
        Err(tokio_tungstenite::tungstenite::Error::Http(response)) => {
            assert_eq!(response.status(), 429);
        }
        other => panic!("expected 429, got {:?}", other.map(|_| ())),
    }
}

#[tokio::test]
async fn each_subscription_counts_against_the_clients_rate() {
    let app = TestApp::with_demo_and_settings(|settings| {
        settings.protection.rate_limit_per_address = 3;
    })
    .await;
    // The upgrade is the first request of the minute, each subscription the next.
    let mut client = Client::connect(&app, None).await;
    client.subscribe("1", PUBLISHED, json!({})).await;
    client.subscribe("2", PUBLISHED, json!({})).await;
    client.subscribe("3", PUBLISHED, json!({})).await;
    let refused = client.message().await;
    assert_eq!(refused["type"], "error", "{refused}");
    assert_eq!(refused["id"], "3");
    assert_eq!(error_code(&refused), "RATE_LIMITED");
}

#[tokio::test]
async fn a_silent_connection_is_closed_and_an_initialised_one_is_pinged() {
    let app = TestApp::with_demo_and_settings(|settings| {
        settings.protection.subscriptions.init_timeout = Duration::from_secs(1);
        settings.protection.subscriptions.keepalive = Duration::from_secs(1);
    })
    .await;
    let mut silent = Client::open(&app).await.unwrap();
    match silent.receive(DELIVERY).await {
        Some(Received::Closed(4408, _)) => {}
        other => panic!("expected 4408, got {other:?}"),
    }
    let mut live = Client::connect(&app, None).await;
    let frame = tokio::time::timeout(DELIVERY, live.socket.next()).await;
    match frame {
        Ok(Some(Ok(Message::Text(text)))) => assert!(text.contains("\"ping\""), "{text}"),
        other => panic!("expected a ping, got {other:?}"),
    }
}

#[tokio::test]
async fn a_token_that_expires_or_is_revoked_ends_its_subscriptions() {
    let app = TestApp::with_demo_and_settings(|settings| {
        settings.protection.subscriptions.token_recheck = Duration::from_secs(1);
    })
    .await;
    let moderator = moderator(&app).await;
    // Accepted for 3 more seconds: the server allows 30 seconds of clock leeway.
    let mut settings = token_settings();
    settings.lifetime = chrono::Duration::seconds(-27);
    let short = communs::accounts::tokens::Tokens::new(
        crate::helpers::TEST_JWT_SECRET.as_bytes(),
        &[],
        settings,
    );
    let user_id = moderator.id.trim_start_matches("User:").parse().unwrap();
    let user = communs::store::users::by_id(app.db(), user_id)
        .await
        .unwrap()
        .unwrap();
    let expiring = short.issue(&user).unwrap().token;
    let mut client = Client::connect(&app, Some(&expiring)).await;
    client.subscribe("q", QUEUE, json!({})).await;
    let ended = client.message().await;
    assert_eq!(ended["type"], "error", "{ended}");
    assert_eq!(error_code(&ended), "UNAUTHENTICATED");
}

#[tokio::test]
async fn a_revoked_token_ends_its_subscriptions_at_once_not_at_the_next_check() {
    // The default check of tokens comes every minute: far beyond the delivery timeout.
    let app = TestApp::with_demo().await;
    let moderator = moderator(&app).await;
    // The account's creation is a change too: once the app has read it, only the
    // revocation can end the subscription early.
    let end = communs::events::outbox::last_sequence(app.db())
        .await
        .unwrap();
    for _ in 0..100 {
        if app.changes.position() >= end {
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert!(app.changes.position() >= end, "the app follows the stream");
    let mut revoked = Client::connect(&app, Some(&moderator.token)).await;
    revoked.subscribe("q", QUEUE, json!({})).await;
    let body = app
        .query_as(
            &moderator.token,
            "mutation { logoutEverywhere { user { id } } }",
            json!({}),
        )
        .await;
    assert!(body.get("errors").is_none(), "{body}");
    let ended = revoked.message().await;
    assert_eq!(ended["type"], "error", "{ended}");
    assert_eq!(error_code(&ended), "UNAUTHENTICATED");
}

#[tokio::test]
async fn a_stopping_server_closes_its_sockets_cleanly() {
    let (stop, stopping) = tokio::sync::watch::channel(false);
    let app = TestApp::with_demo_and_settings(move |settings| settings.stopping = stopping).await;
    let mut client = Client::connect(&app, None).await;
    client.subscribe("1", PUBLISHED, json!({})).await;
    stop.send_replace(true);
    match client.receive(DELIVERY).await {
        Some(Received::Closed(1001, _)) => {}
        other => panic!("expected 1001, got {other:?}"),
    }
}

#[tokio::test]
async fn a_subscriber_on_one_replica_receives_what_was_approved_on_another() {
    if !std::env::var("TEST_DATABASE_URL").is_ok_and(|url| url.starts_with("postgres")) {
        // An embedded database belongs to one process: replicas share PostgreSQL only.
        return;
    }
    let a = TestApp::with_demo().await;
    let b = a.replica().await;
    let moderator = moderator(&a).await;
    let mut on_b = Client::connect(&b, None).await;
    on_b.subscribe("1", PUBLISHED, json!({})).await;
    tokio::time::sleep(Duration::from_millis(300)).await;
    let id = submitted(&a, "Repair café").await;
    let body = moderate(&a, &moderator, &id, "APPROVE", None, 1).await;
    assert!(body.get("errors").is_none(), "{body}");
    let next = on_b.message().await;
    assert_eq!(
        next["payload"]["data"]["initiativePublished"]["id"], id,
        "{next}"
    );
}

#[tokio::test]
async fn a_subscription_sent_over_http_is_refused_with_a_pointer_to_websocket() {
    let app = TestApp::with_demo().await;
    let response = app
        .post_graphql(json!({ "query": "subscription { initiativePublished { id } }" }))
        .await;
    assert_eq!(response.status(), 400);
    let body: Value = response.json().await.unwrap();
    assert_eq!(crate::helpers::error_codes(&body), ["BAD_REQUEST"]);
    assert!(
        body["errors"][0]["message"]
            .as_str()
            .unwrap()
            .contains("WebSocket")
    );
}
