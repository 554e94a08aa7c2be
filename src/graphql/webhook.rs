//! Webhooks as admins manage them: endpoints told of public changes, their deliveries and
//! attempts. The rules are in `domain::webhook`, the sending in `webhooks`.

use std::sync::Arc;

use async_graphql::{Context, Enum, ID, InputObject, Object, Result, SimpleObject};
use chrono::Utc;
use entity::{webhook, webhook_attempt, webhook_delivery};
use sea_orm::Set;
use uuid::Uuid;

use super::{
    changes::ChangeKind,
    connection::{Connection, page_args},
    context::{ContextExt, RequestState},
    id::{GlobalId, NodeKind},
    scalars::DateTime,
};
use crate::{
    domain::{
        access::Capability,
        input_text::{Lines, check_characters, check_length},
        page::PageRequest,
        webhook::{EndpointUrl, check_kinds, new_secret},
    },
    error::AppError,
    events, store,
    webhooks::{WebhookSettings, filter_of, kinds_of},
};

/// An endpoint told of public changes. Admins only.
#[derive(Clone)]
pub struct Webhook(webhook::Model);

/// An endpoint told of public changes. Admins only.
#[Object]
impl Webhook {
    /// The webhook's id (`Webhook:<uuid>`).
    async fn id(&self) -> ID {
        ID(format!("Webhook:{}", self.0.id))
    }

    /// Where deliveries are posted.
    async fn url(&self) -> &str {
        &self.0.url
    }

    /// What it is for, as the admin wrote it.
    async fn description(&self) -> Option<&str> {
        self.0.description.as_deref()
    }

    /// The kinds of change it is told of.
    async fn events(&self) -> Vec<ChangeKind> {
        kinds_of(&self.0)
            .filter_map(events::ChangeKind::from_name)
            .map(ChangeKind::from)
            .collect()
    }

    /// Changes of initiatives and their experiences are told only for initiatives with
    /// one of these themes or a sub-theme; empty for any theme.
    async fn theme_ids(&self) -> Vec<ID> {
        filter_of(&self.0)
            .theme_ids
            .into_iter()
            .map(|id| NodeKind::Theme.id(id))
            .collect()
    }

    /// The same, for territories or a territory they contain; empty for any territory.
    async fn territory_ids(&self) -> Vec<ID> {
        filter_of(&self.0)
            .territory_ids
            .into_iter()
            .map(|id| NodeKind::Territory.id(id))
            .collect()
    }

    /// False once its deliveries stopped: after a delivery failed for about a day, or when
    /// an admin turned it off. No change is owed to it meanwhile.
    async fn enabled(&self) -> bool {
        self.0.enabled
    }

    /// Why deliveries stopped, when they stopped on a failure.
    async fn disabled_reason(&self) -> Option<&str> {
        self.0.disabled_reason.as_deref()
    }

    /// When it was registered.
    async fn created_at(&self) -> DateTime {
        DateTime(self.0.created_at)
    }
}

/// Where a delivery stands.
#[derive(Enum, Debug, Clone, Copy, PartialEq, Eq)]
pub enum WebhookDeliveryStatus {
    /// Not delivered yet: waiting for its first attempt or for a retry.
    Pending,
    /// The endpoint answered with a 2xx status.
    Delivered,
    /// Every attempt failed; the webhook was disabled.
    Failed,
}

/// A change owed to a webhook, with its attempts.
#[derive(Clone)]
pub struct WebhookDelivery {
    delivery: webhook_delivery::Model,
    attempts: Vec<webhook_attempt::Model>,
}

/// A change owed to a webhook, with its attempts.
#[Object]
impl WebhookDelivery {
    /// The delivery's id (`WebhookDelivery:<uuid>`); the `webhook-id` header sent is
    /// `msg_` and this UUID without dashes.
    async fn id(&self) -> ID {
        ID(format!("WebhookDelivery:{}", self.delivery.id))
    }

    /// The change's place in the change stream (as in `changes`).
    async fn sequence(&self) -> String {
        self.delivery.sequence.to_string()
    }

    /// The kind of change.
    async fn kind(&self) -> Option<ChangeKind> {
        events::ChangeKind::from_name(&self.delivery.kind).map(ChangeKind::from)
    }

    /// Where it stands.
    async fn status(&self) -> WebhookDeliveryStatus {
        match self.delivery.status.as_str() {
            store::webhooks::DELIVERED => WebhookDeliveryStatus::Delivered,
            store::webhooks::FAILED => WebhookDeliveryStatus::Failed,
            _ => WebhookDeliveryStatus::Pending,
        }
    }

    /// The JSON body posted, the same at every attempt.
    async fn payload(&self) -> &str {
        &self.delivery.payload
    }

    /// When the change was owed to the webhook.
    async fn created_at(&self) -> DateTime {
        DateTime(self.delivery.created_at)
    }

    /// When the endpoint accepted it.
    async fn delivered_at(&self) -> Option<DateTime> {
        self.delivery.delivered_at.map(DateTime)
    }

    /// When it is tried next, while pending.
    async fn next_attempt_at(&self) -> Option<DateTime> {
        (self.delivery.status == store::webhooks::PENDING)
            .then_some(DateTime(self.delivery.next_attempt_at))
    }

    /// Every attempt, the oldest first.
    async fn attempts(&self) -> Vec<WebhookAttempt> {
        self.attempts.iter().cloned().map(WebhookAttempt).collect()
    }
}

/// One attempt at a delivery.
#[derive(Clone)]
pub struct WebhookAttempt(webhook_attempt::Model);

/// One attempt at a delivery.
#[Object]
impl WebhookAttempt {
    /// When it was made.
    async fn attempted_at(&self) -> DateTime {
        DateTime(self.0.attempted_at)
    }

    /// The HTTP status the endpoint answered; null when no answer came.
    async fn status_code(&self) -> Option<i32> {
        self.0.status_code
    }

    /// How long it took, in milliseconds.
    async fn duration_ms(&self) -> i32 {
        self.0.duration_ms
    }

    /// Why no answer came (a timeout, a refused connection, an address refused).
    async fn error(&self) -> Option<&str> {
        self.0.error.as_deref()
    }

    /// The start of the endpoint's answer (300 characters at most).
    async fn response_excerpt(&self) -> Option<&str> {
        self.0.response_excerpt.as_deref()
    }
}

#[derive(Default)]
pub struct WebhookQuery;

/// Webhooks, for admins.
#[Object]
impl WebhookQuery {
    /// Every webhook, the oldest first. Admins only.
    async fn webhooks(&self, ctx: &Context<'_>) -> Result<Vec<Webhook>> {
        let state = ctx.state()?;
        state.caller.require(Capability::ManageWebhooks)?;
        let hooks = store::webhooks::list(&state.db).await?;
        Ok(hooks.into_iter().map(Webhook).collect())
    }

    /// A webhook's deliveries, the newest change first, with their attempts. Admins only.
    async fn webhook_deliveries(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The webhook's id.")] webhook_id: ID,
        #[graphql(desc = "Page size from the start (1 to 100, 20 by default).")] first: Option<i32>,
        #[graphql(desc = "Start after this cursor.")] after: Option<String>,
        #[graphql(desc = "Page size from the end (1 to 100).")] last: Option<i32>,
        #[graphql(desc = "End before this cursor.")] before: Option<String>,
    ) -> Result<Connection<WebhookDelivery>> {
        let state = ctx.state()?;
        state.caller.require(Capability::ManageWebhooks)?;
        let id = parse_id("Webhook", "webhookId", &webhook_id)?;
        store::webhooks::get(&state.db, id).await?;
        let request = PageRequest::try_from(page_args(first, after, last, before))?;
        let (page, total) = store::webhooks::deliveries(&state.db, id, request).await?;
        let ids: Vec<Uuid> = page.rows.iter().map(|delivery| delivery.id).collect();
        let mut attempts = store::webhooks::attempts(&state.db, &ids).await?;
        Ok(Connection::new(
            page.map(|delivery| WebhookDelivery {
                attempts: attempts.remove(&delivery.id).unwrap_or_default(),
                delivery,
            }),
            total,
        ))
    }
}

/// A new webhook.
#[derive(InputObject)]
pub struct CreateWebhookInput {
    /// Where to post: `https`, or plain `http` only to an address of
    /// `WEBHOOK_ALLOWED_NETWORKS`. Names leading to internal addresses are refused.
    url: String,
    /// The kinds of change to be told of: public ones only.
    events: Vec<ChangeKind>,
    /// What it is for (at most 500 characters).
    description: Option<String>,
    /// Narrows changes of initiatives (and their experiences) to these themes and
    /// territories, as `initiatives(filter:)` does.
    filter: Option<WebhookFilter>,
}

/// The themes and territories a webhook is narrowed to; both must hold when both are given.
#[derive(InputObject, Default)]
pub struct WebhookFilter {
    /// Initiatives with any of these themes or their sub-themes.
    theme_ids: Option<Vec<ID>>,
    /// Initiatives on any of these territories or anything they contain.
    territory_ids: Option<Vec<ID>>,
}

/// Changes to a webhook; what is left out stays as it is.
#[derive(InputObject)]
pub struct UpdateWebhookInput {
    /// The webhook.
    id: ID,
    /// A new address, checked as at creation.
    url: Option<String>,
    /// New kinds of change.
    events: Option<Vec<ChangeKind>>,
    /// A new description.
    description: Option<String>,
    /// New themes and territories (an empty filter tells every change).
    filter: Option<WebhookFilter>,
    /// Turns deliveries on (clearing the reason they stopped) or off.
    enabled: Option<bool>,
}

/// A webhook with its signing secret, shown this once.
#[derive(SimpleObject)]
pub struct WebhookSecretPayload {
    /// The webhook.
    webhook: Webhook,
    /// The secret the endpoint verifies signatures with (`whsec_…`, Standard Webhooks).
    /// It is not shown again: keep it now.
    secret: String,
}

/// A webhook as changed.
#[derive(SimpleObject)]
pub struct WebhookPayload {
    /// The webhook.
    webhook: Webhook,
}

/// A delivery sent again.
#[derive(SimpleObject)]
pub struct WebhookDeliveryPayload {
    /// The delivery, pending again.
    delivery: WebhookDelivery,
}

/// The webhook deleted.
#[derive(SimpleObject)]
pub struct DeleteWebhookPayload {
    /// The id it had.
    deleted_id: ID,
}

#[derive(Default)]
pub struct WebhookMutation;

/// Registering and managing webhooks. Admins only.
#[Object]
impl WebhookMutation {
    /// Registers an endpoint to be told of public changes. The answer holds its signing
    /// secret, shown this once.
    async fn create_webhook(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The endpoint and what it is told of.")] input: CreateWebhookInput,
    ) -> Result<WebhookSecretPayload> {
        let state = ctx.state()?;
        state.caller.require(Capability::ManageWebhooks)?;
        let settings = settings(ctx);
        let url = endpoint(&settings, "input.url", &input.url).await?;
        let events = kinds("input.events", &input.events)?;
        let description = description(input.description)?;
        let (theme_ids, territory_ids) = filter(state, input.filter).await?;
        let secret = new_secret()?;
        let now = Utc::now();
        let hook = store::webhooks::insert(
            &state.db,
            webhook::Model {
                id: Uuid::now_v7(),
                url,
                description,
                events,
                theme_ids,
                territory_ids,
                secret: secret.clone(),
                enabled: true,
                disabled_reason: None,
                created_at: now,
                updated_at: now,
            },
        )
        .await?;
        Ok(WebhookSecretPayload {
            webhook: Webhook(hook),
            secret,
        })
    }

    /// Changes a webhook's address, kinds or description, or turns it on or off.
    async fn update_webhook(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The webhook and its changes.")] input: UpdateWebhookInput,
    ) -> Result<WebhookPayload> {
        let state = ctx.state()?;
        state.caller.require(Capability::ManageWebhooks)?;
        let id = parse_id("Webhook", "input.id", &input.id)?;
        let found = store::webhooks::get(&state.db, id).await?;
        let settings = settings(ctx);
        let mut changed = webhook::ActiveModel::from(found);
        if let Some(url) = input.url {
            changed.url = Set(endpoint(&settings, "input.url", &url).await?);
        }
        if let Some(events) = input.events {
            changed.events = Set(kinds("input.events", &events)?);
        }
        if input.description.is_some() {
            changed.description = Set(description(input.description)?);
        }
        if input.filter.is_some() {
            let (theme_ids, territory_ids) = filter(state, input.filter).await?;
            changed.theme_ids = Set(theme_ids);
            changed.territory_ids = Set(territory_ids);
        }
        if let Some(enabled) = input.enabled {
            changed.enabled = Set(enabled);
            if enabled {
                changed.disabled_reason = Set(None);
            }
        }
        let hook = store::webhooks::update(&state.db, changed).await?;
        Ok(WebhookPayload {
            webhook: Webhook(hook),
        })
    }

    /// Gives a webhook a new signing secret, shown this once; the old one stops at once.
    async fn rotate_webhook_secret(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The webhook.")] id: ID,
    ) -> Result<WebhookSecretPayload> {
        let state = ctx.state()?;
        state.caller.require(Capability::ManageWebhooks)?;
        let id = parse_id("Webhook", "id", &id)?;
        let found = store::webhooks::get(&state.db, id).await?;
        let secret = new_secret()?;
        let mut changed = webhook::ActiveModel::from(found);
        changed.secret = Set(secret.clone());
        let hook = store::webhooks::update(&state.db, changed).await?;
        Ok(WebhookSecretPayload {
            webhook: Webhook(hook),
            secret,
        })
    }

    /// Deletes a webhook with its deliveries.
    async fn delete_webhook(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The webhook.")] id: ID,
    ) -> Result<DeleteWebhookPayload> {
        let state = ctx.state()?;
        state.caller.require(Capability::ManageWebhooks)?;
        let uuid = parse_id("Webhook", "id", &id)?;
        store::webhooks::delete(&state.db, uuid).await?;
        Ok(DeleteWebhookPayload { deleted_id: id })
    }

    /// Sends a delivery again, from the start of the retry schedule (once its webhook is
    /// enabled).
    async fn redeliver_webhook_delivery(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The delivery.")] id: ID,
    ) -> Result<WebhookDeliveryPayload> {
        let state = ctx.state()?;
        state.caller.require(Capability::ManageWebhooks)?;
        let uuid = parse_id("WebhookDelivery", "id", &id)?;
        let found = store::webhooks::delivery(&state.db, uuid)
            .await?
            .ok_or_else(|| AppError::NotFound("no webhook delivery with this id".to_owned()))?;
        let delivery = store::webhooks::redeliver(&state.db, found, Utc::now()).await?;
        settings(ctx).wake.notify_one();
        let mut attempts = store::webhooks::attempts(&state.db, &[delivery.id]).await?;
        Ok(WebhookDeliveryPayload {
            delivery: WebhookDelivery {
                attempts: attempts.remove(&delivery.id).unwrap_or_default(),
                delivery,
            },
        })
    }
}

/// The settings the HTTP layer gave the request; the defaults (no internal network
/// allowed) where it gave none.
fn settings(ctx: &Context<'_>) -> Arc<WebhookSettings> {
    ctx.data_opt::<Arc<WebhookSettings>>()
        .cloned()
        .unwrap_or_default()
}

/// An endpoint's URL, checked, with the addresses its host has now.
async fn endpoint(
    settings: &WebhookSettings,
    field: &str,
    value: &str,
) -> Result<String, AppError> {
    let url = EndpointUrl::parse(field, value, &settings.allowed_networks)?;
    crate::webhooks::check_endpoint(field, url.url(), &settings.allowed_networks).await?;
    Ok(url.as_str().to_owned())
}

/// The themes and territories of a filter, checked to exist (one batch of each through
/// the request's loaders), as stored.
async fn filter(
    state: &RequestState,
    filter: Option<WebhookFilter>,
) -> Result<(String, String), AppError> {
    let filter = filter.unwrap_or_default();
    let themes = ids_of(NodeKind::Theme, "input.filter.themeIds", filter.theme_ids)?;
    let found = state
        .loaders
        .theme()
        .load_many(themes.iter().copied())
        .await?;
    if let Some(index) = themes.iter().position(|id| !found.contains_key(id)) {
        return Err(AppError::bad_input(
            format!("input.filter.themeIds[{index}]"),
            "no theme with this id",
        ));
    }
    let territories = ids_of(
        NodeKind::Territory,
        "input.filter.territoryIds",
        filter.territory_ids,
    )?;
    let found = state
        .loaders
        .territory()
        .load_many(territories.iter().copied())
        .await?;
    if let Some(index) = territories.iter().position(|id| !found.contains_key(id)) {
        return Err(AppError::bad_input(
            format!("input.filter.territoryIds[{index}]"),
            "no territory with this id",
        ));
    }
    let stored = |ids: Vec<Uuid>| {
        ids.iter()
            .map(Uuid::to_string)
            .collect::<Vec<_>>()
            .join(",")
    };
    Ok((stored(themes), stored(territories)))
}

/// The UUIDs of global ids of `kind`, each named by its place in `field`.
fn ids_of(kind: NodeKind, field: &str, ids: Option<Vec<ID>>) -> Result<Vec<Uuid>, AppError> {
    ids.unwrap_or_default()
        .iter()
        .enumerate()
        .map(|(index, id)| GlobalId::parse_as(kind, &format!("{field}[{index}]"), id))
        .collect()
}

/// The kinds asked for, checked, as stored.
fn kinds(field: &str, kinds: &[ChangeKind]) -> Result<String, AppError> {
    let mut kinds: Vec<events::ChangeKind> = kinds.iter().map(|kind| (*kind).into()).collect();
    kinds.dedup();
    check_kinds(field, &kinds)?;
    Ok(kinds
        .iter()
        .map(|kind| kind.name())
        .collect::<Vec<_>>()
        .join(","))
}

/// A description: one line of at most 500 characters; empty clears it.
fn description(value: Option<String>) -> Result<Option<String>, AppError> {
    let Some(text) = value.map(|text| text.trim().to_owned()) else {
        return Ok(None);
    };
    check_characters("input.description", &text, Lines::One)?;
    check_length("input.description", &text, 500)?;
    Ok((!text.is_empty()).then_some(text))
}

/// The UUID of a `Kind:<uuid>` id.
fn parse_id(kind: &str, field: &str, id: &ID) -> Result<Uuid, AppError> {
    id.strip_prefix(kind)
        .and_then(|rest| rest.strip_prefix(':'))
        .and_then(|uuid| Uuid::parse_str(uuid).ok())
        .ok_or_else(|| AppError::bad_input(field, format!("not the id of a {kind}: `{}`", id.0)))
}
