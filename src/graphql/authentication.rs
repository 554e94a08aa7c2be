//! Logging in, and what a signed-in account does with its own credentials.

use async_graphql::{Context, InputObject, Object, Result, SimpleObject};

use super::{context::ContextExt, scalars::DateTime, user::User};
use crate::accounts::{self, tokens::IssuedToken};

/// An e-mail address and password to log in with.
#[derive(InputObject)]
pub struct LoginInput {
    /// The account's e-mail address (case does not matter).
    email: String,
    /// The account's password.
    password: String,
}

/// A bearer token and the account it signs in.
#[derive(SimpleObject)]
pub struct AuthPayload {
    /// Send it as `Authorization: Bearer <token>` with each request.
    token: String,
    /// When the token stops working; log in again then.
    expires_at: DateTime,
    /// The signed-in account.
    user: User,
}

impl AuthPayload {
    fn new(issued: IssuedToken, user: entity::user::Model) -> Self {
        Self {
            token: issued.token,
            expires_at: DateTime(issued.expires_at),
            user: User(user),
        }
    }
}

/// The current password and the one to replace it with.
#[derive(InputObject)]
pub struct ChangePasswordInput {
    /// The password in use now.
    current_password: String,
    /// The new password: 12 to 128 characters, not the e-mail address.
    new_password: String,
}

/// The account signed out everywhere.
#[derive(SimpleObject)]
pub struct LogoutEverywherePayload {
    /// The account whose tokens were all revoked.
    user: User,
}

#[derive(Default)]
pub struct AuthenticationQuery;

/// The signed-in account.
#[Object]
impl AuthenticationQuery {
    /// The account of the bearer token; null for anonymous requests.
    async fn me(&self, ctx: &Context<'_>) -> Result<Option<User>> {
        let state = ctx.state()?;
        let Some(account) = state.caller.account() else {
            return Ok(None);
        };
        Ok(state.loaders.user().load_one(account.id).await?.map(User))
    }
}

#[derive(Default)]
pub struct AuthenticationMutation;

/// Logging in and managing one's own credentials.
#[Object]
impl AuthenticationMutation {
    /// Exchanges an e-mail address and password for a bearer token. A wrong e-mail address
    /// or password is UNAUTHENTICATED; after 5 failures for an account, or 20 from one
    /// address, within 15 minutes, attempts are RATE_LIMITED for a while
    /// (`extensions.retryAfterSeconds`).
    async fn login(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The credentials.")] input: LoginInput,
    ) -> Result<AuthPayload> {
        let state = ctx.state()?;
        let (issued, user) = accounts::login(
            &state.db,
            &state.tokens,
            &state.throttle,
            &input.email,
            &input.password,
            state.client,
        )
        .await?;
        Ok(AuthPayload::new(issued, user))
    }

    /// Changes the signed-in account's password. Every token issued before stops working;
    /// the payload carries a new one.
    async fn change_password(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The current and the new password.")] input: ChangePasswordInput,
    ) -> Result<AuthPayload> {
        let state = ctx.state()?;
        let account = state.caller.require_account()?;
        let (issued, user) = accounts::change_password(
            &state.db,
            &state.tokens,
            &state.throttle,
            account,
            &input.current_password,
            &input.new_password,
            state.client,
        )
        .await?;
        Ok(AuthPayload::new(issued, user))
    }

    /// Revokes every token of the signed-in account, the one sent with this request
    /// included: sign out of every device at once.
    async fn logout_everywhere(&self, ctx: &Context<'_>) -> Result<LogoutEverywherePayload> {
        let state = ctx.state()?;
        let account = state.caller.require_account()?;
        let user = accounts::logout_everywhere(&state.db, account).await?;
        Ok(LogoutEverywherePayload { user: User(user) })
    }
}
