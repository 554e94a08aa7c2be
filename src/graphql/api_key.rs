//! API keys as admins and partners manage them: the credentials of the network's other
//! tools, each acting for one organisation. The rules are in `domain::api_key`, the
//! workflows in `accounts::api_keys`.

use async_graphql::{Context, Enum, ID, InputObject, Object, Result, SimpleObject};
use entity::api_key;
use uuid::Uuid;

use super::{
    context::ContextExt,
    id::{GlobalId, NodeKind},
    organisation::Organisation,
    scalars::DateTime,
    user::User,
};
use crate::{
    accounts::api_keys::{self, NewApiKey},
    domain::api_key::{KeyName, Scope, Scopes, visible_prefix},
    error::AppError,
};

/// What an API key may do, for its organisation only. No scope moderates, manages
/// anything or reads personal data.
#[derive(Enum, Debug, Clone, Copy, PartialEq, Eq)]
pub enum ApiKeyScope {
    /// Read the organisation's contributions in every state (drafts, submissions) and
    /// their audit log.
    ReadDrafts,
    /// Create, edit and submit the organisation's initiatives and experiences, and propose
    /// changes; it reads what it writes, and so the organisation's drafts too.
    Contribute,
}

impl From<ApiKeyScope> for Scope {
    fn from(scope: ApiKeyScope) -> Self {
        match scope {
            ApiKeyScope::ReadDrafts => Self::ReadDrafts,
            ApiKeyScope::Contribute => Self::Contribute,
        }
    }
}

impl From<Scope> for ApiKeyScope {
    fn from(scope: Scope) -> Self {
        match scope {
            Scope::ReadDrafts => Self::ReadDrafts,
            Scope::Contribute => Self::Contribute,
        }
    }
}

/// The global id of a key.
fn key_id(id: Uuid) -> ID {
    ID(format!("ApiKey:{id}"))
}

/// The key `id` names, or BAD_USER_INPUT on `field`.
fn parse_key_id(field: &str, id: &ID) -> Result<Uuid, AppError> {
    id.strip_prefix("ApiKey:")
        .and_then(|uuid| Uuid::parse_str(uuid).ok())
        .ok_or_else(|| AppError::bad_input(field, format!("not the id of an ApiKey: `{}`", id.0)))
}

/// The credential of a tool (a partner's website, an import script) acting for one
/// organisation, sent as `Authorization: Bearer cmk_…`. Its text is shown once, when it is
/// created; only a digest of it is kept.
#[derive(Clone)]
pub struct ApiKey(api_key::Model);

/// The credential of a tool acting for one organisation. Its text is shown once.
#[Object]
impl ApiKey {
    /// The key's id (`ApiKey:<uuid>`).
    async fn id(&self) -> ID {
        key_id(self.0.id)
    }

    /// What it is for, as its creator named it; unique within its organisation, and shown
    /// in the audit log of what it wrote.
    async fn name(&self) -> &str {
        &self.0.name
    }

    /// How the key starts (`cmk_` and its id): enough to recognise it in a tool's
    /// settings, nothing of its secret.
    async fn prefix(&self) -> String {
        visible_prefix(self.0.id)
    }

    /// The organisation it acts for.
    async fn organisation(&self, ctx: &Context<'_>) -> Result<Option<Organisation>> {
        let state = ctx.state()?;
        let found = state
            .loaders
            .organisation()
            .load_one(self.0.organisation_id)
            .await?;
        Ok(found.map(Organisation))
    }

    /// What it may do.
    async fn scopes(&self) -> Vec<ApiKeyScope> {
        Scopes::from_stored(&self.0.scopes)
            .iter()
            .map(ApiKeyScope::from)
            .collect()
    }

    /// Who created it, as far as the caller may see accounts (an admin sees every one, a
    /// partner only its own).
    async fn created_by(&self, ctx: &Context<'_>) -> Result<Option<User>> {
        let Some(id) = self.0.created_by else {
            return Ok(None);
        };
        Ok(ctx.state()?.loaders.user().load_one(id).await?.map(User))
    }

    /// When it was created.
    async fn created_at(&self) -> DateTime {
        DateTime(self.0.created_at)
    }

    /// When it stops working.
    async fn expires_at(&self) -> DateTime {
        DateTime(self.0.expires_at)
    }

    /// When a request last came with it, to the minute; null if none came.
    async fn last_used_at(&self) -> Option<DateTime> {
        self.0.last_used_at.map(DateTime)
    }

    /// When it was revoked; null while it is not. A revoked key is refused from the next
    /// request on, and cannot be used again.
    async fn revoked_at(&self) -> Option<DateTime> {
        self.0.revoked_at.map(DateTime)
    }
}

/// The API key an entry of the audit log was written with.
#[derive(Clone)]
pub struct ApiKeyActor(pub api_key::Model);

/// The API key a tool wrote with: its name, which its organisation gave it.
#[Object]
impl ApiKeyActor {
    /// The key's id (`ApiKey:<uuid>`).
    async fn id(&self) -> ID {
        key_id(self.0.id)
    }

    /// The key's name.
    async fn name(&self) -> &str {
        &self.0.name
    }

    /// How the key starts (`cmk_` and its id).
    async fn prefix(&self) -> String {
        visible_prefix(self.0.id)
    }
}

#[derive(Default)]
pub struct ApiKeyQuery;

/// API keys, for their managers.
#[Object]
impl ApiKeyQuery {
    /// An organisation's API keys, the oldest first, revoked ones included (never their
    /// text). Admins for any organisation; an organisation's partners for their own.
    async fn api_keys(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The organisation.")] organisation_id: ID,
    ) -> Result<Vec<ApiKey>> {
        let state = ctx.state()?;
        let organisation =
            GlobalId::parse_as(NodeKind::Organisation, "organisationId", &organisation_id)?;
        let keys = api_keys::of_organisation(&state.db, &state.caller, organisation).await?;
        Ok(keys.into_iter().map(ApiKey).collect())
    }
}

/// A new API key.
#[derive(InputObject)]
pub struct CreateApiKeyInput {
    /// The organisation it will act for.
    organisation_id: ID,
    /// What it is for: one line, 1 to 80 characters, unique within the organisation.
    name: String,
    /// What it may do: at least one scope.
    scopes: Vec<ApiKeyScope>,
    /// When it stops working: in the future, at most 366 days from now.
    expires_at: DateTime,
}

/// A new API key with its text, shown this once.
#[derive(SimpleObject)]
pub struct CreateApiKeyPayload {
    /// The key.
    api_key: ApiKey,
    /// The key's text, to send as `Authorization: Bearer <secret>`. It is not shown again
    /// (only a digest is kept): give it to the tool now.
    secret: String,
}

/// An API key as changed.
#[derive(SimpleObject)]
pub struct ApiKeyPayload {
    /// The key.
    api_key: ApiKey,
}

#[derive(Default)]
pub struct ApiKeyMutation;

/// Creating and revoking API keys: admins for any organisation, an organisation's partners
/// for their own. An API key creates and revokes none.
#[Object]
impl ApiKeyMutation {
    /// Creates an API key for a tool acting for one organisation. The answer holds its
    /// text, shown this once.
    async fn create_api_key(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The organisation, the key's name, scopes and expiry.")]
        input: CreateApiKeyInput,
    ) -> Result<CreateApiKeyPayload> {
        let state = ctx.state()?;
        let organisation_id = GlobalId::parse_as(
            NodeKind::Organisation,
            "input.organisationId",
            &input.organisation_id,
        )?;
        api_keys::manager(&state.caller, organisation_id)?;
        let name = KeyName::parse("input.name", &input.name)?;
        let scopes = Scopes::parse("input.scopes", input.scopes.into_iter().map(Scope::from))?;
        let (key, secret) = api_keys::create(
            &state.db,
            &state.caller,
            NewApiKey {
                organisation_id,
                name,
                scopes,
                expires_at: input.expires_at.0,
            },
        )
        .await?;
        Ok(CreateApiKeyPayload {
            api_key: ApiKey(key),
            secret,
        })
    }

    /// Revokes an API key: it is refused from the next request on, on every instance of
    /// the server. Revoking a revoked key changes nothing.
    async fn revoke_api_key(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The key.")] id: ID,
    ) -> Result<ApiKeyPayload> {
        let state = ctx.state()?;
        let id = parse_key_id("id", &id)?;
        let key = api_keys::revoke(&state.db, &state.caller, id).await?;
        Ok(ApiKeyPayload {
            api_key: ApiKey(key),
        })
    }
}
