//! Accounts: finding, listing, creating and changing them.

use chrono::Utc;
use entity::{enums::Role, user};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, Condition, ConnectionTrait, DatabaseConnection, EntityTrait,
    PaginatorTrait, QueryFilter, QueryOrder, sea_query::Expr,
};
use uuid::Uuid;

use super::page::{Page, TotalCount, fetch_page};
use crate::{
    domain::{account::Email, page::PageRequest, visibility::AccountScope},
    error::AppResult,
};

/// What a list of accounts may be narrowed to.
#[derive(Debug, Clone, Default)]
pub struct UserFilter {
    pub role: Option<Role>,
    pub organisation_id: Option<Uuid>,
    pub is_active: Option<bool>,
}

/// The accounts the scope lets the caller see.
pub fn visible(scope: &AccountScope) -> Condition {
    match scope {
        AccountScope::Nobody => Condition::all().add(Expr::val(false)),
        AccountScope::Own(id) => Condition::all().add(user::Column::Id.eq(*id)),
        AccountScope::Everyone => Condition::all(),
    }
}

pub async fn by_id(db: &impl ConnectionTrait, id: Uuid) -> AppResult<Option<user::Model>> {
    Ok(user::Entity::find_by_id(id).one(db).await?)
}

pub async fn by_email(db: &impl ConnectionTrait, email: &Email) -> AppResult<Option<user::Model>> {
    Ok(user::Entity::find()
        .filter(user::Column::Email.eq(email.as_str()))
        .one(db)
        .await?)
}

/// One page of accounts, by e-mail address.
#[tracing::instrument(skip(db))]
pub async fn list(
    db: &DatabaseConnection,
    filter: &UserFilter,
    request: PageRequest,
) -> AppResult<(Page<user::Model>, TotalCount)> {
    let mut select = user::Entity::find();
    if let Some(role) = filter.role {
        select = select.filter(user::Column::Role.eq(role));
    }
    if let Some(organisation_id) = filter.organisation_id {
        select = select.filter(user::Column::OrganisationId.eq(organisation_id));
    }
    if let Some(is_active) = filter.is_active {
        select = select.filter(user::Column::IsActive.eq(is_active));
    }
    let select = select
        .order_by_asc(user::Column::Email)
        .order_by_asc(user::Column::Id);
    fetch_page(db, select, request).await
}

/// Inserts a new account; an e-mail address taken meanwhile is CONFLICT, like any lost
/// race on a unique value (see `From<DbErr> for AppError`).
pub async fn insert(db: &impl ConnectionTrait, model: user::ActiveModel) -> AppResult<user::Model> {
    Ok(model.insert(db).await?)
}

/// Saves changes to an account, stamping `updated_at`.
pub async fn update(
    db: &impl ConnectionTrait,
    mut model: user::ActiveModel,
) -> AppResult<user::Model> {
    model.updated_at = sea_orm::Set(Utc::now());
    Ok(model.update(db).await?)
}

/// How many active admins there are.
pub async fn active_admins(db: &impl ConnectionTrait) -> AppResult<u64> {
    Ok(user::Entity::find()
        .filter(user::Column::Role.eq(Role::Admin))
        .filter(user::Column::IsActive.eq(true))
        .count(db)
        .await?)
}
