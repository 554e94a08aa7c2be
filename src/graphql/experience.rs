//! Experiences (*retours d'expérience*): partners' accounts of doing an initiative.

use async_graphql::{Context, ID, Object, Result};
use entity::experience;

use super::{
    context::ContextExt, enums::ModerationStatus, id::NodeKind, initiative::Initiative,
    organisation::Organisation, scalars::DateTime,
};

#[derive(Clone)]
pub struct Experience(pub experience::Model);

/// A partner's account of doing or adapting a published initiative: what they did, what
/// worked, the obstacles.
#[Object]
impl Experience {
    /// The global id of the experience.
    pub async fn id(&self) -> ID {
        NodeKind::Experience.id(self.0.id)
    }

    /// Its title.
    async fn title(&self) -> &str {
        &self.0.title
    }

    /// The account, in Markdown.
    async fn body(&self) -> &str {
        &self.0.body
    }

    /// Where it stands in moderation; the public only ever sees PUBLISHED.
    async fn status(&self) -> ModerationStatus {
        self.0.status.into()
    }

    /// The version of what is stored, raised by every change: send it back as
    /// `expectedVersion` when changing or moderating the experience.
    async fn version(&self) -> i32 {
        self.0.version
    }

    /// When moderators published it; null until then.
    async fn published_at(&self) -> Option<DateTime> {
        self.0.published_at.map(DateTime)
    }

    /// The initiative it is about, if the caller may see it.
    async fn initiative(&self, ctx: &Context<'_>) -> Result<Option<Initiative>> {
        Ok(ctx
            .state()?
            .loaders
            .initiative()
            .load_one(self.0.initiative_id)
            .await?
            .map(Initiative::from))
    }

    /// The organisation of its author.
    async fn organisation(&self, ctx: &Context<'_>) -> Result<Option<Organisation>> {
        let Some(organisation_id) = self.0.organisation_id else {
            return Ok(None);
        };
        Ok(ctx
            .state()?
            .loaders
            .organisation()
            .load_one(organisation_id)
            .await?
            .map(Organisation))
    }
}
