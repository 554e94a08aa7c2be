//! Where each consumer of the change stream (webhooks, e-mail notices) stands in it: one
//! row of `stream_consumer` per consumer, moved in the transaction that hands its changes
//! over, so that a change is handed over once however many replicas run.

use entity::stream_consumer;
use sea_orm::{
    ColumnTrait, ConnectionTrait, DbBackend, EntityTrait, QueryFilter, QuerySelect, Set,
};

use crate::error::{AppError, AppResult};

/// Where the consumer `name` stands in the change stream, locked until the transaction
/// ends on PostgreSQL, so that one replica at a time hands its changes over (SQLite has one
/// writer). The first time, it starts at `start`: the consumer is told of what happens from
/// then on.
pub async fn lock_position(txn: &impl ConnectionTrait, name: &str, start: i64) -> AppResult<i64> {
    stream_consumer::Entity::insert(stream_consumer::ActiveModel {
        name: Set(name.to_owned()),
        position: Set(start),
    })
    .on_conflict_do_nothing_on([stream_consumer::Column::Name])
    .exec_without_returning(txn)
    .await?;
    let mut select = stream_consumer::Entity::find_by_id(name.to_owned());
    if txn.get_database_backend() == DbBackend::Postgres {
        select = select.lock_exclusive();
    }
    let row = select
        .one(txn)
        .await?
        .ok_or_else(|| AppError::internal(format!("the position of `{name}` is missing")))?;
    Ok(row.position)
}

/// Moves the consumer `name` to `position`: every change up to it is handed over.
pub async fn set_position(txn: &impl ConnectionTrait, name: &str, position: i64) -> AppResult<()> {
    stream_consumer::Entity::update_many()
        .col_expr(
            stream_consumer::Column::Position,
            sea_orm::sea_query::Expr::value(position),
        )
        .filter(stream_consumer::Column::Name.eq(name))
        .exec(txn)
        .await?;
    Ok(())
}
