//! The SQL of webhooks: endpoints, the deliveries owed to them and their attempts.

use std::collections::HashMap;

use chrono::{DateTime, Utc};
use entity::{webhook, webhook_attempt, webhook_delivery};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, DatabaseConnection, DbBackend, EntityTrait,
    QueryFilter, QueryOrder, QuerySelect, Set, Statement, TransactionTrait,
};
use uuid::Uuid;

use super::page::{Page, TotalCount, fetch_page};
use crate::{
    domain::page::PageRequest,
    error::{AppError, AppResult},
};

/// Where a delivery stands.
pub const PENDING: &str = "PENDING";
pub const DELIVERED: &str = "DELIVERED";
pub const FAILED: &str = "FAILED";

/// The name of the webhook consumer's row in `stream_consumer`.
pub const CONSUMER: &str = "webhooks";

pub async fn find(db: &impl ConnectionTrait, id: Uuid) -> AppResult<Option<webhook::Model>> {
    Ok(webhook::Entity::find_by_id(id).one(db).await?)
}

/// The webhook `id`, or NOT_FOUND.
pub async fn get(db: &impl ConnectionTrait, id: Uuid) -> AppResult<webhook::Model> {
    find(db, id)
        .await?
        .ok_or_else(|| AppError::NotFound("no webhook with this id".to_owned()))
}

/// Every webhook, the oldest first.
pub async fn list(db: &impl ConnectionTrait) -> AppResult<Vec<webhook::Model>> {
    Ok(webhook::Entity::find()
        .order_by_asc(webhook::Column::CreatedAt)
        .order_by_asc(webhook::Column::Id)
        .all(db)
        .await?)
}

pub async fn insert(db: &impl ConnectionTrait, model: webhook::Model) -> AppResult<webhook::Model> {
    Ok(webhook::ActiveModel::from(model).insert(db).await?)
}

/// Saves a webhook's changed fields, stamping `updated_at`.
pub async fn update(
    db: &impl ConnectionTrait,
    mut model: webhook::ActiveModel,
) -> AppResult<webhook::Model> {
    model.updated_at = Set(Utc::now());
    Ok(model.update(db).await?)
}

/// Removes a webhook, its deliveries and their attempts.
pub async fn delete(db: &impl ConnectionTrait, id: Uuid) -> AppResult<()> {
    let ids: Vec<Uuid> = webhook_delivery::Entity::find()
        .select_only()
        .column(webhook_delivery::Column::Id)
        .filter(webhook_delivery::Column::WebhookId.eq(id))
        .into_tuple()
        .all(db)
        .await?;
    // Children first: SQLite enforces the foreign keys without cascading here.
    for chunk in ids.chunks(500) {
        webhook_attempt::Entity::delete_many()
            .filter(webhook_attempt::Column::DeliveryId.is_in(chunk.to_vec()))
            .exec(db)
            .await?;
    }
    webhook_delivery::Entity::delete_many()
        .filter(webhook_delivery::Column::WebhookId.eq(id))
        .exec(db)
        .await?;
    let deleted = webhook::Entity::delete_by_id(id).exec(db).await?;
    if deleted.rows_affected == 0 {
        return Err(AppError::NotFound("no webhook with this id".to_owned()));
    }
    Ok(())
}

/// A page of a webhook's deliveries, the newest first.
pub async fn deliveries(
    db: &DatabaseConnection,
    webhook_id: Uuid,
    request: PageRequest,
) -> AppResult<(Page<webhook_delivery::Model>, TotalCount)> {
    let select = webhook_delivery::Entity::find()
        .filter(webhook_delivery::Column::WebhookId.eq(webhook_id))
        .order_by_desc(webhook_delivery::Column::Sequence)
        .order_by_asc(webhook_delivery::Column::Id);
    fetch_page(db, select, request).await
}

pub async fn delivery(
    db: &impl ConnectionTrait,
    id: Uuid,
) -> AppResult<Option<webhook_delivery::Model>> {
    Ok(webhook_delivery::Entity::find_by_id(id).one(db).await?)
}

/// The attempts of each of `deliveries`, oldest first.
pub async fn attempts(
    db: &impl ConnectionTrait,
    deliveries: &[Uuid],
) -> AppResult<HashMap<Uuid, Vec<webhook_attempt::Model>>> {
    let mut by_delivery: HashMap<Uuid, Vec<webhook_attempt::Model>> = HashMap::new();
    for chunk in deliveries.chunks(500) {
        let rows = webhook_attempt::Entity::find()
            .filter(webhook_attempt::Column::DeliveryId.is_in(chunk.to_vec()))
            .order_by_asc(webhook_attempt::Column::Id)
            .all(db)
            .await?;
        for row in rows {
            by_delivery.entry(row.delivery_id).or_default().push(row);
        }
    }
    Ok(by_delivery)
}

/// Owes `payload` to `webhook_id` for the change `sequence`, unless it is owed already.
pub async fn enqueue(
    txn: &impl ConnectionTrait,
    webhook_id: Uuid,
    sequence: i64,
    kind: &str,
    payload: &str,
    now: DateTime<Utc>,
) -> AppResult<()> {
    webhook_delivery::Entity::insert(webhook_delivery::ActiveModel {
        id: Set(Uuid::now_v7()),
        webhook_id: Set(webhook_id),
        sequence: Set(sequence),
        kind: Set(kind.to_owned()),
        payload: Set(payload.to_owned()),
        status: Set(PENDING.to_owned()),
        attempts: Set(0),
        next_attempt_at: Set(now),
        created_at: Set(now),
        delivered_at: Set(None),
    })
    .on_conflict_do_nothing_on([
        webhook_delivery::Column::WebhookId,
        webhook_delivery::Column::Sequence,
    ])
    .exec_without_returning(txn)
    .await?;
    Ok(())
}

/// Claims up to `limit` deliveries due by `now` on enabled webhooks until `lease`: no other
/// replica takes them meanwhile. A delivery is claimed by moving its `next_attempt_at`
/// from the value read to the lease, so that of two replicas reading the same row only
/// one moves it; on PostgreSQL the rows another replica is claiming are skipped at once.
pub async fn claim_due(
    db: &DatabaseConnection,
    now: DateTime<Utc>,
    lease: DateTime<Utc>,
    limit: u64,
) -> AppResult<Vec<(webhook_delivery::Model, webhook::Model)>> {
    let postgres = db.get_database_backend() == DbBackend::Postgres;
    let due_sql = format!(
        "SELECT d.id, d.next_attempt_at FROM webhook_delivery d \
         JOIN webhook w ON w.id = d.webhook_id \
         WHERE d.status = {} AND d.next_attempt_at <= {} AND w.enabled = {} \
         ORDER BY d.next_attempt_at, d.sequence LIMIT {limit}{}",
        placeholder(postgres, 1),
        placeholder(postgres, 2),
        placeholder(postgres, 3),
        if postgres {
            " FOR UPDATE OF d SKIP LOCKED"
        } else {
            ""
        },
    );
    let txn = db.begin().await?;
    let due = txn
        .query_all_raw(Statement::from_sql_and_values(
            db.get_database_backend(),
            due_sql,
            [PENDING.into(), now.into(), true.into()],
        ))
        .await?;
    let mut claimed = Vec::new();
    for row in due {
        let id: Uuid = row.try_get("", "id")?;
        let read: DateTime<Utc> = row.try_get("", "next_attempt_at")?;
        let moved = webhook_delivery::Entity::update_many()
            .col_expr(
                webhook_delivery::Column::NextAttemptAt,
                sea_orm::sea_query::Expr::value(lease),
            )
            .filter(webhook_delivery::Column::Id.eq(id))
            .filter(webhook_delivery::Column::Status.eq(PENDING))
            .filter(webhook_delivery::Column::NextAttemptAt.eq(read))
            .exec(&txn)
            .await?;
        if moved.rows_affected == 1 {
            claimed.push(id);
        }
    }
    txn.commit().await?;
    if claimed.is_empty() {
        return Ok(Vec::new());
    }
    let deliveries = webhook_delivery::Entity::find()
        .filter(webhook_delivery::Column::Id.is_in(claimed))
        .order_by_asc(webhook_delivery::Column::Sequence)
        .all(db)
        .await?;
    let hooks: HashMap<Uuid, webhook::Model> = webhook::Entity::find()
        .filter(webhook::Column::Id.is_in(deliveries.iter().map(|delivery| delivery.webhook_id)))
        .all(db)
        .await?
        .into_iter()
        .map(|hook| (hook.id, hook))
        .collect();
    Ok(deliveries
        .into_iter()
        .filter_map(|delivery| {
            let hook = hooks.get(&delivery.webhook_id)?.clone();
            Some((delivery, hook))
        })
        .collect())
}

/// When the next pending delivery of an enabled webhook is due, if any.
pub async fn next_due(db: &DatabaseConnection) -> AppResult<Option<DateTime<Utc>>> {
    let enabled: Vec<Uuid> = webhook::Entity::find()
        .select_only()
        .column(webhook::Column::Id)
        .filter(webhook::Column::Enabled.eq(true))
        .into_tuple()
        .all(db)
        .await?;
    if enabled.is_empty() {
        return Ok(None);
    }
    Ok(webhook_delivery::Entity::find()
        .filter(webhook_delivery::Column::Status.eq(PENDING))
        .filter(webhook_delivery::Column::WebhookId.is_in(enabled))
        .order_by_asc(webhook_delivery::Column::NextAttemptAt)
        .one(db)
        .await?
        .map(|delivery| delivery.next_attempt_at))
}

fn placeholder(postgres: bool, number: usize) -> String {
    if postgres {
        format!("${number}")
    } else {
        "?".to_owned()
    }
}

/// Records an attempt and where the delivery stands after it: delivered, due again at
/// `retry_at`, or failed (and then its webhook disabled with `disabled_reason`).
pub async fn record_attempt(
    db: &DatabaseConnection,
    delivery: &webhook_delivery::Model,
    attempt: webhook_attempt::ActiveModel,
    outcome: Outcome,
) -> AppResult<()> {
    let txn = db.begin().await?;
    attempt.insert(&txn).await?;
    let mut changed = webhook_delivery::ActiveModel {
        id: Set(delivery.id),
        attempts: Set(delivery.attempts + 1),
        ..Default::default()
    };
    match outcome {
        Outcome::Delivered(at) => {
            changed.status = Set(DELIVERED.to_owned());
            changed.delivered_at = Set(Some(at));
        }
        Outcome::Retry(at) => changed.next_attempt_at = Set(at),
        Outcome::Failed { disabled_reason } => {
            changed.status = Set(FAILED.to_owned());
            webhook::ActiveModel {
                id: Set(delivery.webhook_id),
                enabled: Set(false),
                disabled_reason: Set(Some(disabled_reason)),
                updated_at: Set(Utc::now()),
                ..Default::default()
            }
            .update(&txn)
            .await?;
        }
    }
    changed.update(&txn).await?;
    txn.commit().await?;
    Ok(())
}

/// What an attempt leaves a delivery with.
pub enum Outcome {
    Delivered(DateTime<Utc>),
    Retry(DateTime<Utc>),
    Failed { disabled_reason: String },
}

/// Sends a delivery again, from the start of the retry schedule.
pub async fn redeliver(
    db: &impl ConnectionTrait,
    delivery: webhook_delivery::Model,
    now: DateTime<Utc>,
) -> AppResult<webhook_delivery::Model> {
    let mut changed = webhook_delivery::ActiveModel::from(delivery);
    changed.status = Set(PENDING.to_owned());
    changed.attempts = Set(0);
    changed.next_attempt_at = Set(now);
    changed.delivered_at = Set(None);
    Ok(changed.update(db).await?)
}
