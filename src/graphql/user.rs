//! Accounts as the API shows them, and what admins do with them.

use async_graphql::{Context, ID, InputObject, MaybeUndefined, Object, Result, SimpleObject};
use entity::user;

use super::{
    connection::{Connection, page_args},
    context::ContextExt,
    enums::Role,
    id::{GlobalId, NodeKind},
    notification::NotificationSettings,
    organisation::Organisation,
    scalars::DateTime,
};
use crate::{
    accounts::{self, NewUser, UserChanges},
    domain::{
        access::Capability,
        account::{DisplayName, Email, NewPassword},
        page::PageRequest,
    },
    error::AppError,
    store::{self, users::UserFilter as StoreUserFilter},
};

#[derive(Clone)]
pub struct User(pub user::Model);

/// An account: a partner of an organisation, a moderator or an admin. Only admins and the
/// account itself can see it.
#[Object]
impl User {
    /// The global id of the account.
    pub async fn id(&self) -> ID {
        NodeKind::User.id(self.0.id)
    }

    /// The e-mail address the account logs in with (lower case).
    async fn email(&self) -> &str {
        &self.0.email
    }

    /// The name shown for the account.
    async fn display_name(&self) -> &str {
        &self.0.display_name
    }

    /// What the account may do.
    async fn role(&self) -> Role {
        self.0.role.into()
    }

    /// The organisation the account acts for (always set for partners).
    async fn organisation(&self, ctx: &Context<'_>) -> Result<Option<Organisation>> {
        let Some(id) = self.0.organisation_id else {
            return Ok(None);
        };
        let found = ctx.state()?.loaders.organisation().load_one(id).await?;
        Ok(found.map(Organisation))
    }

    /// False once an admin deactivated the account: it can no longer log in.
    async fn is_active(&self) -> bool {
        self.0.is_active
    }

    /// When the account last logged in.
    async fn last_login_at(&self) -> Option<DateTime> {
        self.0.last_login_at.map(DateTime)
    }

    /// When the account was created.
    async fn created_at(&self) -> DateTime {
        DateTime(self.0.created_at)
    }

    /// Which e-mail notices the account gets (`updateMyNotificationSettings` changes
    /// them). The account itself and admins only.
    async fn notification_settings(&self, ctx: &Context<'_>) -> Result<NotificationSettings> {
        let state = ctx.state()?;
        if !state.caller.is(self.0.id) && !state.caller.can(Capability::ManageAccounts) {
            return Err(AppError::Forbidden(
                "only the account itself and admins see its notification settings".to_owned(),
            )
            .into());
        }
        let settings = store::mail_notices::settings(&state.db, self.0.id).await?;
        Ok(NotificationSettings::of(settings, self.0.role))
    }
}

/// Criteria an account list is narrowed to; all must hold.
#[derive(InputObject, Default)]
pub struct UserFilter {
    /// Only accounts with this role.
    role: Option<Role>,
    /// Only accounts of this organisation.
    organisation_id: Option<ID>,
    /// Only active (true) or deactivated (false) accounts.
    is_active: Option<bool>,
}

#[derive(Default)]
pub struct UserQuery;

/// Accounts, for admins.
#[Object]
impl UserQuery {
    /// Every account, by e-mail address, filtered and paged. Admins only.
    async fn users(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "Criteria the accounts must meet.")] filter: Option<UserFilter>,
        #[graphql(desc = "Page size from the start (1 to 100, 20 by default).")] first: Option<i32>,
        #[graphql(desc = "Start after this cursor.")] after: Option<String>,
        #[graphql(desc = "Page size from the end (1 to 100).")] last: Option<i32>,
        #[graphql(desc = "End before this cursor.")] before: Option<String>,
    ) -> Result<Connection<User>> {
        let state = ctx.state()?;
        state.caller.require(Capability::ManageAccounts)?;
        let filter = filter.unwrap_or_default();
        let filter = StoreUserFilter {
            role: filter.role.map(Into::into),
            organisation_id: filter
                .organisation_id
                .map(|id| GlobalId::parse_as(NodeKind::Organisation, "filter.organisationId", &id))
                .transpose()?,
            is_active: filter.is_active,
        };
        let request = PageRequest::try_from(page_args(first, after, last, before))?;
        let (page, total) = store::users::list(&state.db, &filter, request).await?;
        Ok(Connection::new(page.map(User), total))
    }
}

/// A new account.
#[derive(InputObject)]
pub struct CreateUserInput {
    /// The e-mail address it logs in with (case does not matter).
    email: String,
    /// The name shown for it.
    display_name: String,
    /// What it may do.
    role: Role,
    /// The organisation it acts for: required for partners.
    organisation_id: Option<ID>,
    /// Its password (12 to 128 characters). Leave it out to get a one-time password to
    /// hand over.
    password: Option<String>,
}

/// The account created, and its one-time password when none was given.
#[derive(SimpleObject)]
pub struct CreateUserPayload {
    /// The new account.
    user: User,
    /// The generated password, shown this once; null when the input set one.
    initial_password: Option<String>,
}

/// Changes to an account; fields left out stay as they are.
#[derive(InputObject)]
pub struct UpdateUserInput {
    /// The account to change.
    id: ID,
    /// A new role. Changing it signs the account out everywhere.
    role: Option<Role>,
    /// A new organisation, or null to remove it (not for partners). Changing it signs the
    /// account out everywhere.
    organisation_id: MaybeUndefined<ID>,
    /// A new display name.
    display_name: Option<String>,
}

/// An account after a change.
#[derive(SimpleObject)]
pub struct UserPayload {
    /// The account as it is now.
    user: User,
}

#[derive(Default)]
pub struct UserMutation;

/// Managing accounts, for admins.
#[Object]
impl UserMutation {
    /// Creates an account. Admins only.
    async fn create_user(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The new account.")] input: CreateUserInput,
    ) -> Result<CreateUserPayload> {
        let state = ctx.state()?;
        state.caller.require(Capability::ManageAccounts)?;
        let email = Email::parse("input.email", &input.email)?;
        let password = input
            .password
            .map(|password| NewPassword::parse("input.password", &password, &email))
            .transpose()?;
        let new = NewUser {
            display_name: DisplayName::parse("input.displayName", &input.display_name)?,
            role: input.role.into(),
            organisation_id: input
                .organisation_id
                .map(|id| GlobalId::parse_as(NodeKind::Organisation, "input.organisationId", &id))
                .transpose()?,
            email,
            password,
        };
        let (user, initial_password) = accounts::create_user(&state.db, new).await?;
        Ok(CreateUserPayload {
            user: User(user),
            initial_password,
        })
    }

    /// Changes an account's role, organisation or display name. Admins only.
    async fn update_user(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The account and its changes.")] input: UpdateUserInput,
    ) -> Result<UserPayload> {
        let state = ctx.state()?;
        state.caller.require(Capability::ManageAccounts)?;
        let id = GlobalId::parse_as(NodeKind::User, "input.id", &input.id)?;
        let organisation_id = match input.organisation_id {
            MaybeUndefined::Undefined => None,
            MaybeUndefined::Null => Some(None),
            MaybeUndefined::Value(id) => Some(Some(GlobalId::parse_as(
                NodeKind::Organisation,
                "input.organisationId",
                &id,
            )?)),
        };
        let changes = UserChanges {
            role: input.role.map(Into::into),
            organisation_id,
            display_name: input
                .display_name
                .map(|name| DisplayName::parse("input.displayName", &name))
                .transpose()?,
        };
        let user = accounts::update_user(&state.db, id, changes).await?;
        Ok(UserPayload { user: User(user) })
    }

    /// Deactivates an account: it can no longer log in and its tokens stop working at once.
    /// Admins only.
    async fn deactivate_user(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The account to deactivate.")] id: ID,
    ) -> Result<UserPayload> {
        set_active(ctx, &id, false).await
    }

    /// Lets a deactivated account log in again. Admins only.
    async fn reactivate_user(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The account to reactivate.")] id: ID,
    ) -> Result<UserPayload> {
        set_active(ctx, &id, true).await
    }
}

async fn set_active(ctx: &Context<'_>, id: &ID, active: bool) -> Result<UserPayload> {
    let state = ctx.state()?;
    state.caller.require(Capability::ManageAccounts)?;
    let id = GlobalId::parse_as(NodeKind::User, "id", id)?;
    let user = accounts::set_active(&state.db, id, active).await?;
    Ok(UserPayload { user: User(user) })
}
