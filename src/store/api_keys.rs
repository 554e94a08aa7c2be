//! The SQL of API keys.

use chrono::{DateTime, Utc};
use entity::api_key;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, Condition, ConnectionTrait, EntityTrait, QueryFilter,
    QueryOrder, sea_query::Expr,
};
use uuid::Uuid;

use crate::{
    domain::api_key::LAST_USED_PRECISION,
    error::{AppError, AppResult},
};

pub async fn find(db: &impl ConnectionTrait, id: Uuid) -> AppResult<Option<api_key::Model>> {
    Ok(api_key::Entity::find_by_id(id).one(db).await?)
}

/// The key `id`, or NOT_FOUND.
pub async fn get(db: &impl ConnectionTrait, id: Uuid) -> AppResult<api_key::Model> {
    find(db, id)
        .await?
        .ok_or_else(|| AppError::NotFound("no API key with this id".to_owned()))
}

/// The keys of an organisation, the oldest first, revoked ones included.
pub async fn of_organisation(
    db: &impl ConnectionTrait,
    organisation_id: Uuid,
) -> AppResult<Vec<api_key::Model>> {
    Ok(api_key::Entity::find()
        .filter(api_key::Column::OrganisationId.eq(organisation_id))
        .order_by_asc(api_key::Column::CreatedAt)
        .order_by_asc(api_key::Column::Id)
        .all(db)
        .await?)
}

/// Whether the organisation has a key named `name`.
pub async fn name_taken(
    db: &impl ConnectionTrait,
    organisation_id: Uuid,
    name: &str,
) -> AppResult<bool> {
    Ok(api_key::Entity::find()
        .filter(api_key::Column::OrganisationId.eq(organisation_id))
        .filter(api_key::Column::Name.eq(name))
        .one(db)
        .await?
        .is_some())
}

pub async fn insert(db: &impl ConnectionTrait, model: api_key::Model) -> AppResult<api_key::Model> {
    Ok(api_key::ActiveModel::from(model).insert(db).await?)
}

/// Revokes the key `id` unless it is already: the first revocation stays the one recorded.
pub async fn revoke(
    db: &impl ConnectionTrait,
    id: Uuid,
    by: Uuid,
    now: DateTime<Utc>,
) -> AppResult<api_key::Model> {
    api_key::Entity::update_many()
        .col_expr(api_key::Column::RevokedAt, Expr::value(now))
        .col_expr(api_key::Column::RevokedBy, Expr::value(by))
        .filter(api_key::Column::Id.eq(id))
        .filter(api_key::Column::RevokedAt.is_null())
        .exec(db)
        .await?;
    get(db, id).await
}

/// Records that the key `id` was used at `now`, unless a use within the last minute is
/// recorded already (by this replica or another): at most one write a minute per key.
pub async fn record_use(db: &impl ConnectionTrait, id: Uuid, now: DateTime<Utc>) -> AppResult<()> {
    api_key::Entity::update_many()
        .col_expr(api_key::Column::LastUsedAt, Expr::value(now))
        .filter(api_key::Column::Id.eq(id))
        .filter(
            Condition::any()
                .add(api_key::Column::LastUsedAt.is_null())
                .add(api_key::Column::LastUsedAt.lte(now - LAST_USED_PRECISION)),
        )
        .exec(db)
        .await?;
    Ok(())
}
