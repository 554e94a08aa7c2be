//! The changes feed, for clients that keep a copy of the catalogue (mobile apps, mirrors):
//! `changesCursor` to start from now, `changes(after:, first:)` to follow.

use async_graphql::{Context, Enum, ID, Object, Result, SimpleObject};

use super::{
    context::ContextExt,
    id::GlobalId,
    node::{self, Node},
    scalars::DateTime,
};
use crate::{
    domain::page::{PageArgs, PageRequest},
    events::{
        Committed,
        feed::{self, ChangeCursor, FeedPage, Readers},
    },
};

/// What happened to the subject of a change.
#[derive(Enum, Debug, Clone, Copy, PartialEq, Eq)]
#[graphql(remote = "crate::events::ChangeKind")]
pub enum ChangeKind {
    /// An initiative became public (approved).
    InitiativePublished,
    /// A public initiative changed (an approved proposal, a moderator's edit, a merge).
    InitiativeUpdated,
    /// A public initiative is no longer public (archived, or rejected after publication):
    /// delete your copy.
    InitiativeUnpublished,
    /// An experience became public.
    ExperiencePublished,
    /// A public experience changed (a moderator's edit).
    ExperienceUpdated,
    /// A public experience is no longer public (archived): delete your copy.
    ExperienceUnpublished,
    /// A contribution (draft initiative, experience, change proposal) was submitted.
    ContributionSubmitted,
    /// A moderator decided on a contribution (approved, rejected, changes requested).
    ContributionDecided,
    /// A draft or submitted contribution was created or edited by its authors.
    ContributionEdited,
    /// Reference data changed: a theme, territory, organisation, professional, position or
    /// meeting was created, edited, merged or deleted. After a large import, one change
    /// whose `subjectId` holds the nil UUID (`Territory:00000000-0000-0000-0000-000000000000`)
    /// stands for every node of that type: reload them all.
    ReferenceChanged,
    /// A person's personal data was erased: delete what your copy holds of them.
    PersonErased,
    /// A contact detail's visibility changed (public or not).
    ContactVisibilityChanged,
    /// An account was created, changed or deactivated.
    AccountChanged,
}

/// One change of the feed.
#[derive(Clone)]
pub struct Change(Committed);

/// One committed change of the catalogue. It holds what changed and how, never the data:
/// read the subject for that.
#[Object]
impl Change {
    /// The change's place in the feed, increasing in the order of commits (with gaps: the
    /// changes you may not see are not shown).
    async fn sequence(&self) -> i64 {
        self.0.sequence
    }

    /// What happened to the subject.
    async fn kind(&self) -> ChangeKind {
        self.0.kind.into()
    }

    /// When the change was committed.
    async fn occurred_at(&self) -> DateTime {
        DateTime(self.0.occurred_at)
    }

    /// The global id of what changed, given even when it no longer exists or you may no
    /// longer see it, so that a copy can delete it.
    async fn subject_id(&self) -> ID {
        ID(self.global_subject_id())
    }

    /// What changed, as it is now; null when it no longer exists or you may not see it
    /// (then delete your copy of `subjectId`).
    async fn subject(&self, ctx: &Context<'_>) -> Result<Option<Node>> {
        // A type this version does not know (since removed) has nothing to show.
        let Ok(id) = GlobalId::parse("subjectId", &self.global_subject_id()) else {
            return Ok(None);
        };
        Ok(node::fetch(ctx.state()?, id).await?)
    }
}

impl Change {
    fn global_subject_id(&self) -> String {
        format!("{}:{}", self.0.subject_type, self.0.subject_id)
    }
}

/// A page of the feed.
pub struct ChangeConnection(FeedPage);

/// A page of the changes you may see, oldest first, and where you stand after it.
#[Object]
impl ChangeConnection {
    /// The changes of this page, each with its cursor.
    async fn edges(&self) -> Vec<ChangeEdge> {
        self.0
            .changes
            .iter()
            .map(|change| ChangeEdge {
                cursor: ChangeCursor(change.sequence).encode(),
                node: Change(change.clone()),
            })
            .collect()
    }

    /// The changes of this page, without cursors.
    async fn nodes(&self) -> Vec<Change> {
        self.0.changes.iter().cloned().map(Change).collect()
    }

    /// Whether more changes follow, and your position after this page.
    async fn page_info(&self) -> ChangePageInfo {
        ChangePageInfo {
            has_next_page: self.0.has_next_page,
            end_cursor: self.0.position.encode(),
        }
    }
}

/// A change with its cursor.
#[derive(SimpleObject)]
pub struct ChangeEdge {
    /// The position of this change: pass it as `after` to read the changes that follow it.
    cursor: String,
    /// The change.
    node: Change,
}

/// Where a page of the changes feed leaves you.
#[derive(SimpleObject)]
pub struct ChangePageInfo {
    /// Whether changes you may see follow this page: ask again at once with
    /// `after: endCursor`.
    has_next_page: bool,
    /// Your position after this page, never null, even on an empty page: keep it and pass
    /// it as `after` next time. After a page that is not full it is the feed's end when it
    /// was read, past the changes you may not see.
    end_cursor: String,
}

#[derive(Default)]
pub struct ChangesQuery;

#[Object]
impl ChangesQuery {
    /// The changes of the catalogue you may see, oldest first: the public ones, and your
    /// organisation's for its partners (every change for moderators and admins). Keep
    /// `pageInfo.endCursor` and ask again with it as `after`. Changes are kept for
    /// `CHANGE_RETENTION_DAYS`: a cursor older than what is kept gets CHANGES_EXPIRED, and
    /// the client must resynchronise (reload everything, then follow from a fresh
    /// `changesCursor` taken before reloading).
    async fn changes(
        &self,
        ctx: &Context<'_>,
        #[graphql(
            desc = "Read the changes after this cursor (an `endCursor`, an edge's `cursor` or \
                    `changesCursor`); without it, from the oldest change kept."
        )]
        after: Option<String>,
        #[graphql(desc = "Page size (1 to 100, 20 by default).")] first: Option<i32>,
    ) -> Result<ChangeConnection> {
        let after = after
            .as_deref()
            .map(|cursor| ChangeCursor::decode("after", cursor))
            .transpose()?;
        let size = PageRequest::try_from(PageArgs {
            first,
            ..PageArgs::default()
        })?
        .window(None)
        .limit;
        let state = ctx.state()?;
        let page = feed::read(&state.db, Readers::from(&state.scope), after, size).await?;
        Ok(ChangeConnection(page))
    }

    /// The position at the end of the changes feed now. A client that starts keeping a
    /// copy takes it first, then loads what it keeps, then follows `changes(after:)` from
    /// it: nothing committed meanwhile is missed.
    async fn changes_cursor(&self, ctx: &Context<'_>) -> Result<String> {
        let state = ctx.state()?;
        Ok(feed::end(&state.db).await?.encode())
    }
}
