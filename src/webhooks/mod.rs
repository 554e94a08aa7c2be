//! Webhooks: endpoints told of public changes as they are committed.
//!
//! A consumer of the change stream. It hands changes over to deliveries, then sends them:
//!
//! - **Handing over.** Each replica reads the stream from the consumer's position (one row
//!   of `stream_consumer`, locked while it is read on PostgreSQL; SQLite has one writer) and
//!   owes each public change to each enabled webhook asking for its kind, in the
//!   transaction that moves the position. A delivery is unique per webhook and change:
//!   however many replicas run, each change is owed once.
//! - **Sending.** A replica claims due deliveries for a lease (see
//!   [`store::webhooks::claim_due`]), signs each body as Standard Webhooks says, and posts
//!   it: no redirect followed, a timeout, the endpoint's addresses checked again at each
//!   attempt. A 2xx delivers it; anything else is tried again on the schedule of
//!   [`RETRY_DELAYS`] (about a day), then the delivery has failed and the webhook is
//!   disabled, with the reason for admins to read.
//!
//! Bodies are built when a change is handed over, from what the public may see then.

use std::{net::SocketAddr, sync::Arc, time::Duration};

use chrono::{DateTime, Utc};
use entity::{
    enums::ModerationStatus, experience, initiative, webhook, webhook_attempt, webhook_delivery,
};
use ipnet::IpNet;
use sea_orm::{DatabaseConnection, EntityTrait, Set, TransactionTrait};
use serde_json::{Value, json};
use tokio::{sync::Notify, task::JoinHandle};

use crate::{
    domain::{
        initiative_query::InitiativeFilter,
        time::rfc3339,
        visibility::ContributionScope,
        webhook::{RETRY_DELAYS, check_address, next_retry, signature},
    },
    error::{AppError, AppResult},
    events::{
        Audience, ChangeKind, ChangeStream, Committed,
        consumer::{self, Consumer, Pace},
        outbox,
    },
    open_data::Publication,
    store::{self, webhooks::Outcome},
};

/// How webhooks are sent.
#[derive(Debug, Clone)]
pub struct WebhookSettings {
    /// Networks endpoints may be on although internal (and reached over plain http):
    /// `WEBHOOK_ALLOWED_NETWORKS`.
    pub allowed_networks: Vec<IpNet>,
    /// How long an attempt may take: `WEBHOOK_TIMEOUT_SECS`.
    pub timeout: Duration,
    /// When a failed delivery is tried again, after each failure.
    pub retry_delays: Vec<Duration>,
    /// The longest a replica sleeps when nothing is due and the stream says nothing:
    /// while idle it sends no statement in between.
    pub poll: Duration,
    /// Wakes this instance's sender: a delivery asked for again here is sent at once.
    pub wake: Arc<Notify>,
}

impl Default for WebhookSettings {
    fn default() -> Self {
        Self {
            allowed_networks: Vec::new(),
            timeout: Duration::from_secs(10),
            retry_delays: RETRY_DELAYS.to_vec(),
            poll: Duration::from_secs(60),
            wake: Arc::default(),
        }
    }
}

/// Changes handed over at most per transaction.
const HANDOVER_PAGE: u64 = 500;

/// Deliveries claimed at once by a replica.
const CLAIMED_AT_ONCE: u64 = 16;

/// How long resolving an endpoint's name may take.
const RESOLVE_TIMEOUT: Duration = Duration::from_secs(5);

/// The longest excerpt of an endpoint's answer kept.
const EXCERPT_CHARS: usize = 300;

/// Hands changes over and sends deliveries until the task is aborted (see
/// [`consumer::run`]); `settings.wake` wakes it for a redelivery.
pub fn start(
    db: DatabaseConnection,
    changes: ChangeStream,
    publication: Arc<Publication>,
    settings: Arc<WebhookSettings>,
) -> JoinHandle<()> {
    let pace = Pace {
        poll: settings.poll,
        wake: Some(settings.wake.clone()),
    };
    consumer::run(
        Deliveries {
            db,
            publication,
            settings,
        },
        changes,
        pace,
    )
}

/// Webhook deliveries as a consumer of the change stream.
struct Deliveries {
    db: DatabaseConnection,
    publication: Arc<Publication>,
    settings: Arc<WebhookSettings>,
}

impl Consumer for Deliveries {
    fn name(&self) -> &'static str {
        "webhook deliveries"
    }

    async fn hand_over(&self) -> AppResult<()> {
        hand_over(&self.db, &self.publication).await
    }

    async fn send_due(&self) -> AppResult<()> {
        send_due(&self.db, &self.settings).await
    }

    async fn next_due(&self) -> AppResult<Option<DateTime<Utc>>> {
        store::webhooks::next_due(&self.db).await
    }
}

/// Owes every public change after the consumer's position to the webhooks asking for it.
async fn hand_over(db: &DatabaseConnection, publication: &Publication) -> AppResult<()> {
    loop {
        let txn = db.begin().await?;
        let start = outbox::last_sequence(&txn).await?;
        let position =
            store::stream_consumers::lock_position(&txn, store::webhooks::CONSUMER, start).await?;
        let page = outbox::read_after(&txn, position, HANDOVER_PAGE).await?;
        let Some(last) = page.position else {
            // Keeps the position taken the first time.
            txn.commit().await?;
            return Ok(());
        };
        let hooks: Vec<webhook::Model> = store::webhooks::list(&txn)
            .await?
            .into_iter()
            .filter(|hook| hook.enabled)
            .collect();
        for change in &page.changes {
            if change.audience != Audience::Public {
                continue;
            }
            let mut asking = Vec::new();
            for hook in &hooks {
                if kinds_of(hook).any(|kind| kind == change.kind.name())
                    && within_filter(&txn, hook, change).await?
                {
                    asking.push(hook);
                }
            }
            if asking.is_empty() {
                continue;
            }
            let body = payload(&txn, change, publication).await?.to_string();
            for hook in asking {
                store::webhooks::enqueue(
                    &txn,
                    hook.id,
                    change.sequence,
                    change.kind.name(),
                    &body,
                    Utc::now(),
                )
                .await?;
            }
        }
        store::stream_consumers::set_position(&txn, store::webhooks::CONSUMER, last).await?;
        txn.commit().await?;
    }
}

/// The themes and territories a webhook is narrowed to.
pub fn filter_of(hook: &webhook::Model) -> InitiativeFilter {
    let uuids = |list: &str| {
        list.split(',')
            .filter_map(|id| uuid::Uuid::parse_str(id).ok())
            .collect()
    };
    InitiativeFilter {
        theme_ids: uuids(&hook.theme_ids),
        territory_ids: uuids(&hook.territory_ids),
        ..InitiativeFilter::default()
    }
}

/// Whether a change is within a webhook's themes and territories: the initiative it is
/// about (an experience's own initiative) must match them, as in `initiatives(filter:)`,
/// whatever its state (an unpublication is told too). Other changes are not narrowed.
async fn within_filter(
    db: &impl sea_orm::ConnectionTrait,
    hook: &webhook::Model,
    change: &Committed,
) -> AppResult<bool> {
    let filter = filter_of(hook);
    if filter.theme_ids.is_empty() && filter.territory_ids.is_empty() {
        return Ok(true);
    }
    let initiative_id = match change.subject_type.as_str() {
        "Initiative" => change.subject_id,
        "Experience" => match experience::Entity::find_by_id(change.subject_id)
            .one(db)
            .await?
        {
            Some(found) => found.initiative_id,
            None => return Ok(false),
        },
        _ => return Ok(true),
    };
    Ok(
        store::initiatives::matching(db, &ContributionScope::Everything, &filter, initiative_id)
            .await?
            .is_some(),
    )
}

/// The kinds a webhook asks for, by name.
pub fn kinds_of(hook: &webhook::Model) -> impl Iterator<Item = &str> {
    hook.events.split(',').filter(|name| !name.is_empty())
}

/// The body of a change: its type (`initiative.published`), time and public data.
async fn payload(
    db: &impl sea_orm::ConnectionTrait,
    change: &Committed,
    publication: &Publication,
) -> AppResult<Value> {
    let mut data = json!({
        "sequence": change.sequence,
        "kind": change.kind.name(),
        "subject": {
            "type": change.subject_type,
            "id": format!("{}:{}", change.subject_type, change.subject_id),
        },
    });
    if change.subject_type == "Initiative"
        && matches!(
            change.kind,
            ChangeKind::InitiativePublished | ChangeKind::InitiativeUpdated
        )
        && let Some(found) = initiative::Entity::find_by_id(change.subject_id)
            .one(db)
            .await?
        && found.status == ModerationStatus::Published
    {
        let url = publication
            .site_url
            .as_deref()
            .map(|site| format!("{}/initiatives/{}", site.trim_end_matches('/'), found.slug));
        data["initiative"] = json!({
            "id": format!("Initiative:{}", found.id),
            "slug": found.slug,
            "title": found.title,
            "summary": found.summary,
            "publishedAt": found.published_at.map(rfc3339),
            "url": url,
        });
    }
    Ok(json!({
        "type": event_type(change.kind),
        "timestamp": rfc3339(change.occurred_at),
        "data": data,
    }))
}

/// `INITIATIVE_PUBLISHED` as Standard Webhooks types events: `initiative.published`.
fn event_type(kind: ChangeKind) -> String {
    let name = kind.name().to_ascii_lowercase();
    match name.split_once('_') {
        Some((subject, what)) => format!("{subject}.{what}"),
        None => name,
    }
}

/// Sends every delivery due, a few at a time.
async fn send_due(db: &DatabaseConnection, settings: &WebhookSettings) -> AppResult<()> {
    loop {
        let now = Utc::now();
        let lease = now + chrono::Duration::from_std(settings.timeout * 3).unwrap_or_default();
        let claimed = store::webhooks::claim_due(db, now, lease, CLAIMED_AT_ONCE).await?;
        if claimed.is_empty() {
            return Ok(());
        }
        for (delivery, hook) in claimed {
            attempt(db, settings, &delivery, &hook).await?;
        }
    }
}

/// One attempt at a delivery, recorded with its outcome.
async fn attempt(
    db: &DatabaseConnection,
    settings: &WebhookSettings,
    delivery: &webhook_delivery::Model,
    hook: &webhook::Model,
) -> AppResult<()> {
    let started_at = Utc::now();
    let started = std::time::Instant::now();
    let result = post(settings, delivery, hook).await;
    let duration_ms = i32::try_from(started.elapsed().as_millis()).unwrap_or(i32::MAX);
    let (status_code, error, excerpt) = match &result {
        Ok((status, excerpt)) => (Some(i32::from(*status)), None, Some(excerpt.clone())),
        Err(error) => (None, Some(error.clone()), None),
    };
    let delivered = matches!(result, Ok((status, _)) if (200..300).contains(&status));
    let attempts = usize::try_from(delivery.attempts).unwrap_or(0) + 1;
    let outcome = if delivered {
        Outcome::Delivered(Utc::now())
    } else {
        match next_retry(attempts, &settings.retry_delays) {
            Some(delay) => {
                Outcome::Retry(Utc::now() + chrono::Duration::from_std(delay).unwrap_or_default())
            }
            None => Outcome::Failed {
                disabled_reason: format!(
                    "a delivery failed {attempts} times in a row since {}; last: {}",
                    rfc3339(delivery.created_at),
                    match (&status_code, &error) {
                        (Some(status), _) => format!("HTTP {status}"),
                        (None, Some(error)) => error.clone(),
                        (None, None) => "no answer".to_owned(),
                    }
                ),
            },
        }
    };
    let record = webhook_attempt::ActiveModel {
        delivery_id: Set(delivery.id),
        attempted_at: Set(started_at),
        status_code: Set(status_code),
        duration_ms: Set(duration_ms),
        error: Set(error.map(|error| clip(&error))),
        response_excerpt: Set(excerpt.filter(|text| !text.is_empty())),
        ..Default::default()
    };
    store::webhooks::record_attempt(db, delivery, record, outcome).await
}

/// Posts a delivery: its HTTP status and the start of the answer, or why none came.
async fn post(
    settings: &WebhookSettings,
    delivery: &webhook_delivery::Model,
    hook: &webhook::Model,
) -> Result<(u16, String), String> {
    let url = url::Url::parse(&hook.url).map_err(|error| format!("bad URL: {error}"))?;
    let host = url.host_str().ok_or("the URL has no host")?.to_owned();
    let port = url.port_or_known_default().unwrap_or(443);
    let addresses = resolve(&host, port, &settings.allowed_networks).await?;
    let client = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .timeout(settings.timeout)
        .resolve_to_addrs(&host, &addresses)
        .build()
        .map_err(|error| format!("no HTTP client: {error}"))?;
    let id = format!("msg_{}", delivery.id.simple());
    let timestamp = Utc::now().timestamp();
    let signed = signature(&hook.secret, &id, timestamp, &delivery.payload)
        .map_err(|_| "the signing secret cannot be read".to_owned())?;
    let response = client
        .post(url)
        .header("content-type", "application/json")
        .header(
            "user-agent",
            concat!("Communs-Webhooks/", env!("CARGO_PKG_VERSION")),
        )
        .header("webhook-id", &id)
        .header("webhook-timestamp", timestamp.to_string())
        .header("webhook-signature", signed)
        .body(delivery.payload.clone())
        .send()
        .await
        .map_err(|error| describe(&error))?;
    let status = response.status().as_u16();
    let body = response.text().await.unwrap_or_default();
    Ok((status, clip(&body)))
}

/// The addresses of `host` that may be called, or why none may: every address it resolves
/// to must pass [`check_address`], so that a name cannot lead to an internal service.
async fn resolve(host: &str, port: u16, allowed: &[IpNet]) -> Result<Vec<SocketAddr>, String> {
    let bare = host.trim_matches(['[', ']']);
    let addresses: Vec<SocketAddr> = match bare.parse::<std::net::IpAddr>() {
        Ok(address) => vec![SocketAddr::new(address, port)],
        Err(_) => tokio::time::timeout(RESOLVE_TIMEOUT, tokio::net::lookup_host((bare, port)))
            .await
            .map_err(|_| format!("{host} did not resolve within {RESOLVE_TIMEOUT:?}"))?
            .map_err(|error| format!("{host} does not resolve: {error}"))?
            .collect(),
    };
    if addresses.is_empty() {
        return Err(format!("{host} has no address"));
    }
    for address in &addresses {
        check_address(address.ip(), allowed)?;
    }
    Ok(addresses)
}

fn describe(error: &reqwest::Error) -> String {
    if error.is_timeout() {
        "no answer within WEBHOOK_TIMEOUT_SECS".to_owned()
    } else if error.is_connect() {
        "the endpoint refused or did not take the connection".to_owned()
    } else {
        "the request failed".to_owned()
    }
}

fn clip(text: &str) -> String {
    text.chars().take(EXCERPT_CHARS).collect()
}

/// Checks that an endpoint's host may be called now, for the API: a URL whose name leads
/// to an internal address is refused when it is registered, not only at delivery.
pub async fn check_endpoint(field: &str, url: &url::Url, allowed: &[IpNet]) -> AppResult<()> {
    let host = url
        .host_str()
        .ok_or_else(|| AppError::bad_input(field, "the URL has no host"))?;
    let port = url.port_or_known_default().unwrap_or(443);
    resolve(host, port, allowed)
        .await
        .map(|_| ())
        .map_err(|reason| AppError::bad_input(field, reason))
}
