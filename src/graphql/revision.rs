//! The history of a published initiative: its revisions, what each changed, and the
//! initiative as it was after each, for citations.

use std::sync::Arc;

use async_graphql::{Context, Object, Result};
use entity::initiative_revision;

use super::{
    context::{ContextExt, load_in_order},
    enums::{Audience, RevisionRole},
    id::NodeKind,
    initiative::InitiativeOrganisation,
    moderation::{FieldChange, joined},
    organisation::Organisation,
    scalars::{Date, DateTime},
    territory::Territory,
    theme::Theme,
    user::User,
};
use crate::{
    domain::revision::{Field, Snapshot},
    error::AppError,
};

/// One revision of a published initiative.
#[derive(Clone)]
pub struct InitiativeRevision {
    row: initiative_revision::Model,
    snapshot: Arc<Snapshot>,
    previous: Option<Arc<Snapshot>>,
    /// Whether the caller follows the moderation of the change (moderators, the partners of
    /// the organisation it was made for or of the initiative's): they also see who wrote it
    /// and the comment.
    follows_moderation: bool,
}

impl InitiativeRevision {
    /// The revision `row`, following the one that holds `previous` (none for the first).
    pub fn new(
        row: initiative_revision::Model,
        previous: Option<&initiative_revision::Model>,
        follows_moderation: bool,
    ) -> Result<Self, AppError> {
        let read = |row: &initiative_revision::Model| {
            Snapshot::from_json(&row.snapshot)
                .map(Arc::new)
                .map_err(AppError::internal)
        };
        Ok(Self {
            snapshot: read(&row)?,
            previous: previous.map(read).transpose()?,
            row,
            follows_moderation,
        })
    }
}

/// A change to a published initiative, kept so that its history can be read and an
/// earlier state cited: when, who (a role and an organisation; for the initiative's own
/// partners and moderators also the account and the moderator's comment), which fields,
/// before and after.
#[Object]
impl InitiativeRevision {
    /// 1 for the oldest revision, then 2, 3, ...: give it to `Initiative.revision` to read
    /// the initiative as it was.
    async fn number(&self) -> i32 {
        self.row.number
    }

    /// When the change was made (for the BASELINE, when the initiative was published).
    async fn created_at(&self) -> DateTime {
        DateTime(self.row.created_at)
    }

    /// Who made the change.
    async fn role(&self) -> RevisionRole {
        self.row.role.into()
    }

    /// The organisation the change was made for, if any.
    async fn organisation(&self, ctx: &Context<'_>) -> Result<Option<Organisation>> {
        let Some(id) = self.row.organisation_id else {
            return Ok(None);
        };
        let found = ctx.state()?.loaders.organisation().load_one(id).await?;
        Ok(found.map(Organisation))
    }

    /// The account that made the change, for the partners of the organisation it was made
    /// for (or of the initiative's) and moderators, as far as they may see accounts (the
    /// account itself; moderators and admins every one). Null for the public, for tools,
    /// and once the account is deleted; an erased account shows no name.
    async fn author(&self, ctx: &Context<'_>) -> Result<Option<User>> {
        let Some(id) = self.row.author_id.filter(|_| self.follows_moderation) else {
            return Ok(None);
        };
        Ok(ctx.state()?.loaders.user().load_one(id).await?.map(User))
    }

    /// The moderator's comment on the change (or what a merge of reference data did), for
    /// the same readers as `author`; null for the public.
    async fn comment(&self) -> Option<&str> {
        self.row
            .comment
            .as_deref()
            .filter(|_| self.follows_moderation)
    }

    /// The fields the change made different, each before and after, in the form of
    /// `ChangeProposal.changes`. For the first revision, every field that holds something.
    async fn changes(&self) -> Vec<FieldChange> {
        let previous = self.previous.as_deref();
        self.snapshot
            .changed_fields(previous)
            .into_iter()
            .map(|field| {
                FieldChange::new(
                    field.name(),
                    previous.and_then(|before| shown(before, field)),
                    shown(&self.snapshot, field),
                )
            })
            .collect()
    }

    /// The initiative's published fields as they were after this change.
    async fn initiative(&self) -> RevisedInitiative {
        RevisedInitiative(self.snapshot.clone())
    }
}

/// A field of a snapshot as `FieldChange` shows it: lists as global ids separated by commas.
fn shown(snapshot: &Snapshot, field: Field) -> Option<String> {
    fn ids(kind: NodeKind, ids: &[uuid::Uuid]) -> Option<String> {
        joined(ids.iter().map(|id| kind.id(*id).0))
    }
    match field {
        Field::Title => Some(snapshot.title.clone()),
        Field::Summary => Some(snapshot.summary.clone()),
        Field::Description => snapshot.description.clone(),
        Field::Context => snapshot.context.clone(),
        Field::Outcomes => snapshot.outcomes.clone(),
        Field::Continuation => snapshot.continuation.clone(),
        Field::StartedOn => snapshot.started_on.map(|date| date.to_string()),
        Field::EndedOn => snapshot.ended_on.map(|date| date.to_string()),
        Field::ThemeIds => ids(NodeKind::Theme, &snapshot.theme_ids),
        Field::TerritoryIds => ids(NodeKind::Territory, &snapshot.territory_ids),
        Field::MeetingIds => ids(NodeKind::Meeting, &snapshot.meeting_ids),
        Field::Organisations => {
            joined(snapshot.organisations.iter().map(|(id, role)| {
                format!("{} ({})", NodeKind::Organisation.id(*id).0, role.as_str())
            }))
        }
        Field::Place => snapshot.place.clone(),
        Field::Audiences => joined(snapshot.audiences.iter().map(|a| a.as_str().to_owned())),
    }
}

#[derive(Clone)]
pub struct RevisedInitiative(Arc<Snapshot>);

/// An initiative as one of its revisions keeps it: its published fields then. Themes,
/// territories and organisations are shown as they are now (renamed, merged); those
/// deleted since are left out.
#[Object]
impl RevisedInitiative {
    /// Its title then.
    async fn title(&self) -> &str {
        &self.0.title
    }

    /// Its summary then.
    async fn summary(&self) -> &str {
        &self.0.summary
    }

    /// Its description then.
    async fn description(&self) -> Option<&str> {
        self.0.description.as_deref()
    }

    /// Its context then.
    async fn context(&self) -> Option<&str> {
        self.0.context.as_deref()
    }

    /// Its outcomes then.
    async fn outcomes(&self) -> Option<&str> {
        self.0.outcomes.as_deref()
    }

    /// What it had become then.
    async fn continuation(&self) -> Option<&str> {
        self.0.continuation.as_deref()
    }

    /// When it started, as known then.
    async fn started_on(&self) -> Option<Date> {
        self.0.started_on.map(Date)
    }

    /// When it ended, as known then.
    async fn ended_on(&self) -> Option<Date> {
        self.0.ended_on.map(Date)
    }

    /// Its themes then, by name.
    async fn themes(&self, ctx: &Context<'_>) -> Result<Vec<Theme>> {
        let loader = ctx.state()?.loaders.theme();
        let mut themes = load_in_order(loader, self.0.theme_ids.iter().copied()).await?;
        themes.sort_by(|a, b| a.sort_name.cmp(&b.sort_name));
        Ok(themes.into_iter().map(Theme).collect())
    }

    /// Its territories then, by name.
    async fn territories(&self, ctx: &Context<'_>) -> Result<Vec<Territory>> {
        let loader = ctx.state()?.loaders.territory();
        let mut territories = load_in_order(loader, self.0.territory_ids.iter().copied()).await?;
        territories.sort_by(|a, b| a.sort_name.cmp(&b.sort_name));
        Ok(territories.into_iter().map(Territory).collect())
    }

    /// The organisations involved then, with their role.
    async fn organisations(&self, ctx: &Context<'_>) -> Result<Vec<InitiativeOrganisation>> {
        let loader = ctx.state()?.loaders.organisation();
        let found = loader
            .load_many(self.0.organisations.iter().map(|(id, _)| *id))
            .await?;
        Ok(self
            .0
            .organisations
            .iter()
            .filter_map(|(id, role)| {
                found.get(id).map(|organisation| InitiativeOrganisation {
                    role: (*role).into(),
                    organisation: Organisation(organisation.clone()),
                })
            })
            .collect())
    }

    /// Who it was for then.
    async fn audiences(&self) -> Vec<Audience> {
        self.0
            .audiences
            .iter()
            .map(|audience| (*audience).into())
            .collect()
    }
}
