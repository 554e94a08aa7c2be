//! API keys as their managers and the HTTP endpoint use them: creating one (its text shown
//! once), revoking it, listing an organisation's, and telling which key a request carries.
//!
//! A key is looked up in the database on every request, so a revocation or an expiry takes
//! effect on the next request, on every replica, with nothing to invalidate.

use chrono::{DateTime, Utc};
use entity::{api_key, organisation};
use sea_orm::{DatabaseConnection, EntityTrait, TransactionTrait};
use uuid::Uuid;

use crate::{
    domain::{
        access::Capability,
        api_key::{self as rules, KeyName, NewKey, PresentedKey, Scopes},
        caller::{Account, Caller, KeyCaller},
    },
    error::{AppError, AppResult},
    store::api_keys as store,
};

/// How long a key may live at most: a key forgotten in a tool stops within a year.
pub const MAX_LIFETIME: chrono::Duration = chrono::Duration::days(366);

/// The account that manages the keys of `organisation_id`: an admin for any organisation,
/// an account of that organisation for its own. An API key manages no key.
pub fn manager(caller: &Caller, organisation_id: Uuid) -> AppResult<&Account> {
    let account = caller.require_account()?;
    if caller.can(Capability::ManageApiKeysOfAnyOrganisation)
        || (caller.can(Capability::ManageOwnOrganisationApiKeys)
            && account.organisation_id == Some(organisation_id))
    {
        Ok(account)
    } else {
        Err(AppError::Forbidden(
            "only admins and the organisation's own partners may manage its API keys".to_owned(),
        ))
    }
}

/// What a new key is to be.
pub struct NewApiKey {
    pub organisation_id: Uuid,
    pub name: KeyName,
    pub scopes: Scopes,
    pub expires_at: DateTime<Utc>,
}

/// Creates a key; the answer holds its text, which is stored nowhere.
#[tracing::instrument(skip_all, fields(organisation_id = %new.organisation_id))]
pub async fn create(
    db: &DatabaseConnection,
    caller: &Caller,
    new: NewApiKey,
) -> AppResult<(api_key::Model, String)> {
    let account = manager(caller, new.organisation_id)?;
    let now = Utc::now();
    let expires_at = rules::check_expiry("input.expiresAt", new.expires_at, now, MAX_LIFETIME)?;
    let key = NewKey::generate(Uuid::now_v7())?;
    let txn = db.begin().await?;
    if organisation::Entity::find_by_id(new.organisation_id)
        .one(&txn)
        .await?
        .is_none()
    {
        return Err(AppError::bad_input(
            "input.organisationId",
            "no organisation with this id",
        ));
    }
    if store::name_taken(&txn, new.organisation_id, new.name.as_str()).await? {
        return Err(AppError::Conflict(format!(
            "this organisation has an API key named «{}» already: choose another name",
            new.name.as_str()
        )));
    }
    let created = store::insert(
        &txn,
        api_key::Model {
            id: key.id,
            organisation_id: new.organisation_id,
            name: new.name.as_str().to_owned(),
            scopes: new.scopes.stored(),
            secret_hash: key.secret_hash,
            created_by: Some(account.id),
            created_at: now,
            expires_at,
            last_used_at: None,
            revoked_at: None,
            revoked_by: None,
        },
    )
    .await?;
    txn.commit().await?;
    tracing::info!(key_id = %created.id, by = %account.id, "API key created");
    Ok((created, key.text))
}

/// Revokes a key: the next request with it is refused, on every replica.
#[tracing::instrument(skip_all, fields(%id))]
pub async fn revoke(
    db: &DatabaseConnection,
    caller: &Caller,
    id: Uuid,
) -> AppResult<api_key::Model> {
    caller.require_account()?;
    let txn = db.begin().await?;
    let found = store::get(&txn, id).await?;
    let account = manager(caller, found.organisation_id)?;
    let revoked = store::revoke(&txn, id, account.id, Utc::now()).await?;
    txn.commit().await?;
    tracing::info!(by = %account.id, "API key revoked");
    Ok(revoked)
}

/// The keys of an organisation, for its managers.
pub async fn of_organisation(
    db: &DatabaseConnection,
    caller: &Caller,
    organisation_id: Uuid,
) -> AppResult<Vec<api_key::Model>> {
    manager(caller, organisation_id)?;
    store::of_organisation(db, organisation_id).await
}

/// The caller an API key proves. An unknown key and a wrong secret get the same answer;
/// only the holder of a key learns that it expired or was revoked.
pub async fn authenticate(db: &DatabaseConnection, text: &str) -> AppResult<Caller> {
    let unknown = || AppError::Unauthenticated("invalid API key: not a key of this server".into());
    let presented = PresentedKey::parse(text).ok_or_else(unknown)?;
    let found = store::find(db, presented.id).await?.ok_or_else(unknown)?;
    if !presented.matches(&found.secret_hash) {
        return Err(unknown());
    }
    let now = Utc::now();
    if let Some(refusal) = rules::refusal(found.expires_at, found.revoked_at, now) {
        return Err(AppError::Unauthenticated(refusal.to_owned()));
    }
    if rules::use_is_news(found.last_used_at, now) {
        store::record_use(db, found.id, now).await?;
    }
    Ok(Caller::Key(KeyCaller {
        id: found.id,
        name: found.name,
        organisation_id: found.organisation_id,
        scopes: Scopes::from_stored(&found.scopes),
    }))
}
