//! Accounts and access: logging in, tokens, passwords, and the changes admins make to
//! accounts. The GraphQL resolvers and the CLI both go through these functions, which check
//! the rules of `domain::account` and write each change in one transaction.

pub mod api_keys;
pub mod passwords;
pub mod signing_secrets;
pub mod tokens;

use std::net::IpAddr;

use chrono::Utc;
use entity::{enums::Role, organisation, user};
use sea_orm::{ConnectionTrait, DatabaseConnection, EntityTrait, Set, TransactionTrait};
use sha2::{Digest, Sha256};
use uuid::Uuid;

use self::tokens::{IssuedToken, Tokens};
use crate::{
    domain::{
        account::{DisplayName, Email, NewPassword},
        caller::{Account, Caller},
        login_throttle::ThrottlePolicy,
    },
    error::{AppError, AppResult},
    events,
    store::{login_failures, users},
};

/// An account created, changed (role, organisation, name) or (de)activated: news for
/// moderators only. Logins, password changes and token revocations change nothing anyone
/// else sees, and are not recorded.
pub(crate) fn account_changed(user_id: Uuid) -> events::Change {
    events::Change::new(
        events::ChangeKind::AccountChanged,
        events::Subject::user(user_id),
        events::Audience::Moderators,
    )
}

/// The one answer to a failed login, whether the e-mail or the password was wrong.
fn wrong_credentials() -> AppError {
    AppError::Unauthenticated("wrong e-mail address or password".to_owned())
}

/// The throttle subject of an account: a digest of its e-mail, so no address is stored.
fn account_subject(email: &str) -> String {
    let digest = Sha256::digest(email.as_bytes());
    let hex: String = digest[..16].iter().map(|b| format!("{b:02x}")).collect();
    format!("account:{hex}")
}

fn address_subject(address: IpAddr) -> String {
    format!("address:{address}")
}

/// One login attempt, recorded as a failure of its account and address before the
/// password is checked, so that attempts sent in parallel count against each other: the
/// check and the record are not separated by the seconds of password hashing.
struct Attempt {
    rows: Vec<Uuid>,
}

impl Attempt {
    /// Records the attempt, or refuses it (and forgets it) while the account or the address
    /// has too many other recent failures.
    async fn begin(
        db: &DatabaseConnection,
        policy: &ThrottlePolicy,
        account: &str,
        address: Option<&str>,
    ) -> AppResult<Self> {
        let now = Utc::now();
        let subjects: Vec<&str> = std::iter::once(account).chain(address).collect();
        let rows = login_failures::record(db, &subjects, now, now - policy.window).await?;
        let failures = login_failures::since(db, &subjects, now - policy.window, &rows).await?;
        let wait = |subject: &str, limit| {
            failures
                .get(subject)
                .and_then(|times| policy.retry_after(times, limit, now))
        };
        let retry_after = [
            wait(account, policy.per_account),
            address.and_then(|address| wait(address, policy.per_address)),
        ]
        .into_iter()
        .flatten()
        .max();
        match retry_after {
            Some(retry_after_secs) => {
                // A refused attempt is not a failure: it does not extend the wait.
                login_failures::forget_rows(db, &rows).await?;
                Err(AppError::RateLimited { retry_after_secs })
            }
            None => Ok(Self { rows }),
        }
    }
}

/// Checks an e-mail and password and issues a token. Throttled per account and per client
/// address; an unknown e-mail, a wrong password and a deactivated account look alike.
#[tracing::instrument(skip_all)]
pub async fn login(
    db: &DatabaseConnection,
    tokens: &Tokens,
    policy: &ThrottlePolicy,
    email: &str,
    password: &str,
    client: Option<IpAddr>,
) -> AppResult<(IssuedToken, user::Model)> {
    let normalised = email.trim().to_lowercase();
    let account = account_subject(&normalised);
    let address = client.map(address_subject);
    let attempt = Attempt::begin(db, policy, &account, address.as_deref()).await?;
    let found = match Email::parse("email", &normalised) {
        Ok(email) => users::by_email(db, &email).await?,
        Err(_) => None,
    };
    let matches = passwords::verify(
        password,
        found.as_ref().map(|user| user.password_hash.as_str()),
    )
    .await?;
    let user = match found {
        Some(user) if matches && user.is_active => user,
        // The attempt stays recorded: it is a failure.
        _ => return Err(wrong_credentials()),
    };
    let txn = db.begin().await?;
    login_failures::forget(&txn, &account).await?;
    login_failures::forget_rows(&txn, &attempt.rows).await?;
    let mut active: user::ActiveModel = user.into();
    active.last_login_at = Set(Some(Utc::now()));
    let user = users::update(&txn, active).await?;
    txn.commit().await?;
    tracing::info!(user_id = %user.id, "logged in");
    Ok((tokens.issue(&user)?, user))
}

/// The caller a bearer credential proves. An API key (told apart by its `cmk_` prefix) must
/// be neither expired nor revoked; for a token, the account must still exist, be active,
/// and not have revoked its tokens since this one was issued.
pub async fn authenticate(
    db: &DatabaseConnection,
    tokens: &Tokens,
    credential: &str,
) -> AppResult<Caller> {
    if crate::domain::api_key::is_api_key(credential) {
        return api_keys::authenticate(db, credential).await;
    }
    Ok(authenticate_until(db, tokens, credential).await?.0)
}

/// [`authenticate`] for a token, with the time the token stops being accepted: a
/// long-lived connection (a subscription) must end then. API keys are refused: they are
/// for HTTP requests, each checked on its own.
pub async fn authenticate_until(
    db: &DatabaseConnection,
    tokens: &Tokens,
    token: &str,
) -> AppResult<(Caller, chrono::DateTime<Utc>)> {
    if crate::domain::api_key::is_api_key(token) {
        return Err(AppError::Unauthenticated(
            "API keys are accepted on HTTP requests only: subscriptions need a person's token"
                .to_owned(),
        ));
    }
    let verified = tokens.verify(token)?;
    let user = users::by_id(db, verified.user_id)
        .await?
        .ok_or_else(|| AppError::Unauthenticated("invalid token: unknown account".to_owned()))?;
    if !user.is_active {
        return Err(AppError::Unauthenticated(
            "invalid token: the account is deactivated".to_owned(),
        ));
    }
    if user.token_version != verified.version {
        return Err(AppError::Unauthenticated(
            "invalid token: revoked; log in again".to_owned(),
        ));
    }
    let caller = Caller::Account(Account {
        id: user.id,
        role: user.role,
        organisation_id: user.organisation_id,
    });
    Ok((caller, verified.refused_after))
}

/// Changes the caller's password after checking the current one (throttled like a login),
/// revokes every token issued before, and returns a fresh one.
#[tracing::instrument(skip_all, fields(user_id = %account.id))]
pub async fn change_password(
    db: &DatabaseConnection,
    tokens: &Tokens,
    policy: &ThrottlePolicy,
    account: &Account,
    current: &str,
    new: &str,
    client: Option<IpAddr>,
) -> AppResult<(IssuedToken, user::Model)> {
    let user = existing(db, account.id).await?;
    let subject = account_subject(&user.email);
    let address = client.map(address_subject);
    let attempt = Attempt::begin(db, policy, &subject, address.as_deref()).await?;
    if !passwords::verify(current, Some(&user.password_hash)).await? {
        return Err(AppError::bad_input(
            "input.currentPassword",
            "this is not your current password",
        ));
    }
    // The right current password: not a failure, whatever comes next.
    login_failures::forget_rows(db, &attempt.rows).await?;
    let email = Email::parse("email", &user.email)?;
    let new = NewPassword::parse("input.newPassword", new, &email)?;
    if new.expose() == current {
        return Err(AppError::bad_input(
            "input.newPassword",
            "must differ from the current password",
        ));
    }
    let hash = passwords::hash(&new).await?;
    let txn = db.begin().await?;
    let version = user.token_version;
    let mut active: user::ActiveModel = user.into();
    active.password_hash = Set(hash);
    active.token_version = Set(version + 1);
    let user = users::update(&txn, active).await?;
    // Its older tokens are revoked: what follows them (subscriptions) must hear it now.
    events::record(&txn, &[account_changed(user.id)], Utc::now()).await?;
    txn.commit().await?;
    tracing::info!("password changed; older tokens revoked");
    Ok((tokens.issue(&user)?, user))
}

/// Revokes every token of the account, the one in use included.
#[tracing::instrument(skip_all, fields(user_id = %account.id))]
pub async fn logout_everywhere(
    db: &DatabaseConnection,
    account: &Account,
) -> AppResult<user::Model> {
    let txn = db.begin().await?;
    let user = existing(&txn, account.id).await?;
    let user = bump_token_version(&txn, user.into()).await?;
    // Every token is revoked: what follows them (subscriptions) must hear it now.
    events::record(&txn, &[account_changed(user.id)], Utc::now()).await?;
    txn.commit().await?;
    Ok(user)
}

async fn bump_token_version(
    db: &impl ConnectionTrait,
    mut user: user::ActiveModel,
) -> AppResult<user::Model> {
    let version = *user.token_version.as_ref();
    user.token_version = Set(version + 1);
    users::update(db, user).await
}

async fn existing(db: &impl ConnectionTrait, id: Uuid) -> AppResult<user::Model> {
    users::by_id(db, id)
        .await?
        .ok_or_else(|| AppError::NotFound("no such account".to_owned()))
}

/// A partner acts for an organisation; moderators and admins may or may not.
fn check_membership(role: Role, organisation_id: Option<Uuid>) -> AppResult<()> {
    if role == Role::Partner && organisation_id.is_none() {
        return Err(AppError::bad_input(
            "input.organisationId",
            "a partner must belong to an organisation",
        ));
    }
    Ok(())
}

async fn check_organisation_exists(db: &impl ConnectionTrait, id: Option<Uuid>) -> AppResult<()> {
    if let Some(id) = id
        && organisation::Entity::find_by_id(id)
            .one(db)
            .await?
            .is_none()
    {
        return Err(AppError::bad_input(
            "input.organisationId",
            "no organisation has this id",
        ));
    }
    Ok(())
}

/// A new account, as an admin or the CLI describes it.
#[derive(Debug)]
pub struct NewUser {
    pub email: Email,
    pub display_name: DisplayName,
    pub role: Role,
    pub organisation_id: Option<Uuid>,
    /// The password to set; `None` generates a one-time password.
    pub password: Option<NewPassword>,
}

/// Creates an account. Returns the generated one-time password when none was given.
#[tracing::instrument(skip_all, fields(role = new.role.as_str()))]
pub async fn create_user(
    db: &DatabaseConnection,
    new: NewUser,
) -> AppResult<(user::Model, Option<String>)> {
    check_membership(new.role, new.organisation_id)?;
    let (password, generated) = match new.password {
        Some(password) => (password, None),
        None => {
            let generated = passwords::generate()?;
            let password = NewPassword::parse("password", &generated, &new.email)?;
            (password, Some(generated))
        }
    };
    let hash = passwords::hash(&password).await?;
    let txn = db.begin().await?;
    check_organisation_exists(&txn, new.organisation_id).await?;
    if users::by_email(&txn, &new.email).await?.is_some() {
        return Err(AppError::Conflict(
            "an account already uses this e-mail address".to_owned(),
        ));
    }
    let now = Utc::now();
    let user = users::insert(
        &txn,
        user::ActiveModel {
            id: Set(Uuid::now_v7()),
            email: Set(new.email.as_str().to_owned()),
            password_hash: Set(hash),
            display_name: Set(new.display_name.into_inner()),
            role: Set(new.role),
            organisation_id: Set(new.organisation_id),
            is_active: Set(true),
            token_version: Set(0),
            last_login_at: Set(None),
            created_at: Set(now),
            updated_at: Set(now),
        },
    )
    .await?;
    events::record(&txn, &[account_changed(user.id)], now).await?;
    txn.commit().await?;
    tracing::info!(user_id = %user.id, "account created");
    Ok((user, generated))
}

/// What an admin changes on an account; `None` leaves a value as it is.
#[derive(Debug, Default)]
pub struct UserChanges {
    pub role: Option<Role>,
    /// `Some(None)` removes the organisation.
    pub organisation_id: Option<Option<Uuid>>,
    pub display_name: Option<DisplayName>,
}

/// Refuses a change that would leave no active admin to manage accounts.
async fn keep_an_admin(db: &impl ConnectionTrait, user: &user::Model) -> AppResult<()> {
    if user.role == Role::Admin && user.is_active && users::active_admins(db).await? <= 1 {
        return Err(AppError::Conflict(
            "this is the last active admin: make another admin first".to_owned(),
        ));
    }
    Ok(())
}

/// Applies an admin's changes to an account. A new role or organisation revokes the
/// account's tokens, so that no token carries powers the account no longer has.
#[tracing::instrument(skip_all, fields(user_id = %id))]
pub async fn update_user(
    db: &DatabaseConnection,
    id: Uuid,
    changes: UserChanges,
) -> AppResult<user::Model> {
    let txn = db.begin().await?;
    let user = existing(&txn, id).await?;
    let role = changes.role.unwrap_or(user.role);
    let organisation_id = changes.organisation_id.unwrap_or(user.organisation_id);
    check_membership(role, organisation_id)?;
    if role != Role::Admin {
        keep_an_admin(&txn, &user).await?;
    }
    if organisation_id != user.organisation_id {
        check_organisation_exists(&txn, organisation_id).await?;
    }
    let revoke = role != user.role || organisation_id != user.organisation_id;
    let version = user.token_version;
    let mut active: user::ActiveModel = user.into();
    active.role = Set(role);
    active.organisation_id = Set(organisation_id);
    if let Some(name) = changes.display_name {
        active.display_name = Set(name.into_inner());
    }
    if revoke {
        active.token_version = Set(version + 1);
    }
    let user = users::update(&txn, active).await?;
    events::record(&txn, &[account_changed(user.id)], Utc::now()).await?;
    txn.commit().await?;
    Ok(user)
}

/// Deactivates (revoking its tokens) or reactivates an account.
#[tracing::instrument(skip_all, fields(user_id = %id, active))]
pub async fn set_active(db: &DatabaseConnection, id: Uuid, active: bool) -> AppResult<user::Model> {
    let txn = db.begin().await?;
    let user = existing(&txn, id).await?;
    if user.is_active == active {
        txn.commit().await?;
        return Ok(user);
    }
    if !active {
        keep_an_admin(&txn, &user).await?;
    }
    let mut model: user::ActiveModel = user.into();
    model.is_active = Set(active);
    let user = if active {
        users::update(&txn, model).await?
    } else {
        bump_token_version(&txn, model).await?
    };
    events::record(&txn, &[account_changed(user.id)], Utc::now()).await?;
    txn.commit().await?;
    Ok(user)
}
