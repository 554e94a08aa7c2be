//! The outbox table behind the change stream: appending in a writer's transaction, reading
//! in order from a position, pruning by age.

use chrono::{DateTime, Utc};
use entity::change_event;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, DatabaseConnection, DbBackend, DbErr,
    EntityTrait, QueryFilter, QueryOrder, QuerySelect, Set, Statement, TransactionTrait,
};

use super::{Audience, Change, ChangeKind, Committed};

/// The PostgreSQL channel every commit that appends changes notifies, with the last
/// sequence it appended.
pub const CHANNEL: &str = "communs_changes";

/// The key of the transaction-scoped advisory lock that orders appends by commit.
const APPEND_LOCK: i64 = 0x0063_6f6d_6d75_6e73;

/// The key of the transaction-scoped advisory lock one pruning replica holds while it prunes.
const PRUNE_LOCK: i64 = 0x0070_7275_6e65_6f62;

#[tracing::instrument(skip_all, fields(changes = changes.len()))]
pub(super) async fn append(
    txn: &impl ConnectionTrait,
    changes: &[Change],
    now: DateTime<Utc>,
) -> Result<(), DbErr> {
    if changes.is_empty() {
        return Ok(());
    }
    let postgres = txn.get_database_backend() == DbBackend::Postgres;
    if postgres {
        // Held until this transaction ends: the next writer takes its sequence after our
        // commit, so sequences are in commit order (see the module's documentation).
        txn.execute_raw(Statement::from_sql_and_values(
            DbBackend::Postgres,
            "SELECT pg_advisory_xact_lock($1)",
            [APPEND_LOCK.into()],
        ))
        .await?;
    }
    let mut last = 0;
    for change in changes {
        let (audience, organisation_id) = change.audience.stored();
        let stored = change_event::ActiveModel {
            occurred_at: Set(now),
            kind: Set(change.kind.name().to_owned()),
            subject_type: Set(change.subject.type_name.to_owned()),
            subject_id: Set(change.subject.id),
            audience: Set(audience.to_owned()),
            organisation_id: Set(organisation_id),
            ..Default::default()
        }
        .insert(txn)
        .await?;
        last = stored.sequence;
    }
    if postgres {
        // Delivered when the transaction commits, never if it rolls back.
        txn.execute_raw(Statement::from_sql_and_values(
            DbBackend::Postgres,
            "SELECT pg_notify($1, $2)",
            [CHANNEL.into(), last.to_string().into()],
        ))
        .await?;
    }
    Ok(())
}

/// What a reader gets from the stream at once.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Page {
    /// The changes after the position asked for, oldest first.
    pub changes: Vec<Committed>,
    /// Where the reader is after this page: the last sequence read, even when that row
    /// was one this version cannot read (written by a later version, and skipped).
    pub position: Option<i64>,
}

/// Up to `limit` changes after `after`, oldest first. Every change before the last one
/// returned is committed or never will be: a reader may move its position to it.
pub async fn read_after(db: &impl ConnectionTrait, after: i64, limit: u64) -> Result<Page, DbErr> {
    let rows = change_event::Entity::find()
        .filter(change_event::Column::Sequence.gt(after))
        .order_by_asc(change_event::Column::Sequence)
        .limit(limit)
        .all(db)
        .await?;
    let position = rows.last().map(|row| row.sequence);
    Ok(Page {
        changes: rows.into_iter().filter_map(committed).collect(),
        position,
    })
}

/// The sequence of the newest change, or 0 when the stream is empty.
pub async fn last_sequence(db: &impl ConnectionTrait) -> Result<i64, DbErr> {
    let newest = change_event::Entity::find()
        .order_by_desc(change_event::Column::Sequence)
        .one(db)
        .await?;
    Ok(newest.map_or(0, |row| row.sequence))
}

/// The sequence of the oldest change still kept, if any: a reader whose position is
/// before it (minus one) has missed pruned changes and must resynchronise.
pub async fn first_sequence(db: &impl ConnectionTrait) -> Result<Option<i64>, DbErr> {
    let oldest = change_event::Entity::find()
        .order_by_asc(change_event::Column::Sequence)
        .one(db)
        .await?;
    Ok(oldest.map(|row| row.sequence))
}

/// Removes the changes that occurred before `before`, but always keeps the newest one, so
/// that the stream's position survives pruning. Returns how many were removed.
///
/// Several replicas may prune at once: on PostgreSQL the first one holds a lock until it
/// commits and the others skip this round (removing nothing); SQLite has one writer.
#[tracing::instrument(skip(db))]
pub async fn prune(db: &DatabaseConnection, before: DateTime<Utc>) -> Result<u64, DbErr> {
    let txn = db.begin().await?;
    if txn.get_database_backend() == DbBackend::Postgres {
        let locked = txn
            .query_one_raw(Statement::from_sql_and_values(
                DbBackend::Postgres,
                "SELECT pg_try_advisory_xact_lock($1) AS locked",
                [PRUNE_LOCK.into()],
            ))
            .await?
            .map(|row| row.try_get::<bool>("", "locked"))
            .transpose()?
            .unwrap_or(false);
        if !locked {
            return Ok(0);
        }
    }
    let newest = last_sequence(&txn).await?;
    let removed = change_event::Entity::delete_many()
        .filter(change_event::Column::OccurredAt.lt(before))
        .filter(change_event::Column::Sequence.lt(newest))
        .exec(&txn)
        .await?;
    txn.commit().await?;
    Ok(removed.rows_affected)
}

pub(super) fn committed(row: change_event::Model) -> Option<Committed> {
    let kind = ChangeKind::from_name(&row.kind);
    let audience = Audience::from_stored(&row.audience, row.organisation_id);
    if kind.is_none() || audience.is_none() {
        // Written by a later version of Communs: skipped, not misread.
        tracing::warn!(sequence = row.sequence, kind = %row.kind, "unknown change skipped");
    }
    Some(Committed {
        sequence: row.sequence,
        occurred_at: row.occurred_at,
        kind: kind?,
        subject_type: row.subject_type,
        subject_id: row.subject_id,
        audience: audience?,
    })
}
