//! Meetings of the network: who came, what was said, what is kept for next time.

use async_graphql::{Context, ID, Object, Result};
use entity::{meeting, meeting_participant, meeting_topic};

use super::{
    connection::{Connection, page_args},
    context::{ContextExt, load_in_order, load_rows},
    enums::{MeetingFormat, ParticipantRole},
    id::{Lookup, NodeKind},
    initiative::Initiative,
    organisation::Organisation,
    professional::Professional,
    scalars::{Date, DateTime},
};
use crate::{domain::page::PageRequest, store};

#[derive(Clone)]
pub struct Meeting(pub meeting::Model);

/// A meeting of professionals where initiatives were reported.
#[Object]
impl Meeting {
    /// The global id of the meeting.
    pub async fn id(&self) -> ID {
        NodeKind::Meeting.id(self.0.id)
    }

    /// Its title.
    async fn title(&self) -> &str {
        &self.0.title
    }

    /// A unique, URL-friendly name.
    async fn slug(&self) -> &str {
        &self.0.slug
    }

    /// The day it was held.
    async fn held_on(&self) -> Date {
        Date(self.0.held_on)
    }

    /// How it was held.
    async fn format(&self) -> MeetingFormat {
        self.0.format.into()
    }

    /// The agenda.
    async fn agenda(&self) -> Option<&str> {
        self.0.agenda.as_deref()
    }

    /// The minutes, in Markdown: what came out of it.
    async fn summary(&self) -> Option<&str> {
        self.0.summary.as_deref()
    }

    /// When it was recorded.
    async fn created_at(&self) -> DateTime {
        DateTime(self.0.created_at)
    }

    /// The organisation that convened it.
    async fn organiser(&self, ctx: &Context<'_>) -> Result<Option<Organisation>> {
        let Some(organiser_id) = self.0.organiser_id else {
            return Ok(None);
        };
        Ok(ctx
            .state()?
            .loaders
            .organisation()
            .load_one(organiser_id)
            .await?
            .map(Organisation))
    }

    /// Who took part, with their role and job title at the time.
    async fn participants(&self, ctx: &Context<'_>) -> Result<Vec<MeetingParticipant>> {
        let rows = load_rows(ctx.state()?.loaders.participants_of_meeting(), self.0.id).await?;
        Ok(rows.iter().cloned().map(MeetingParticipant).collect())
    }

    /// The questions kept for the next meeting, in order.
    async fn topics(&self, ctx: &Context<'_>) -> Result<Vec<MeetingTopic>> {
        let rows = load_rows(ctx.state()?.loaders.topics_of_meeting(), self.0.id).await?;
        Ok(rows.iter().cloned().map(MeetingTopic).collect())
    }

    /// The initiatives reported at the meeting that the caller may see, by title.
    async fn initiatives(&self, ctx: &Context<'_>) -> Result<Vec<Initiative>> {
        let loaders = &ctx.state()?.loaders;
        let links = load_rows(loaders.initiatives_of_meeting(), self.0.id).await?;
        let mut found =
            load_in_order(loaders.initiative(), links.iter().map(|l| l.initiative_id)).await?;
        found.sort_by(|a, b| a.title_sort.cmp(&b.title_sort).then(a.id.cmp(&b.id)));
        Ok(found.into_iter().map(Initiative::from).collect())
    }
}

#[derive(Clone)]
pub struct MeetingParticipant(pub meeting_participant::Model);

/// A person's presence at a meeting.
#[Object]
impl MeetingParticipant {
    /// The global id of this presence.
    pub async fn id(&self) -> ID {
        NodeKind::MeetingParticipant.id(self.0.id)
    }

    /// The part they played.
    async fn role(&self) -> ParticipantRole {
        self.0.role.into()
    }

    /// Their job title at the time of the meeting.
    async fn job_title(&self) -> Option<&str> {
        self.0.job_title.as_deref()
    }

    /// The person; null if their personal data was erased.
    async fn professional(&self, ctx: &Context<'_>) -> Result<Option<Professional>> {
        let Some(professional_id) = self.0.professional_id else {
            return Ok(None);
        };
        Ok(ctx
            .state()?
            .loaders
            .professional()
            .load_one(professional_id)
            .await?
            .map(Professional))
    }
}

#[derive(Clone)]
pub struct MeetingTopic(pub meeting_topic::Model);

/// A question kept for the next meeting.
#[Object]
impl MeetingTopic {
    /// The global id of the topic.
    pub async fn id(&self) -> ID {
        NodeKind::MeetingTopic.id(self.0.id)
    }

    /// Its rank in the list, from 1.
    async fn position(&self) -> i32 {
        self.0.position
    }

    /// The question.
    async fn question(&self) -> &str {
        &self.0.question
    }
}

#[derive(Default)]
pub struct MeetingQuery;

#[Object]
impl MeetingQuery {
    /// One meeting, by id or by slug (give exactly one).
    async fn meeting(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The meeting's global id.")] id: Option<ID>,
        #[graphql(desc = "The meeting's slug.")] slug: Option<String>,
    ) -> Result<Option<Meeting>> {
        let state = ctx.state()?;
        let found = match Lookup::parse(NodeKind::Meeting, id, slug)? {
            Lookup::Id(uuid) => state.loaders.meeting().load_one(uuid).await?,
            Lookup::Slug(slug) => store::reference::meeting_by_slug(&state.db, &slug).await?,
        };
        Ok(found.map(Meeting))
    }

    /// Meetings, most recent first, paged.
    async fn meetings(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "Page size from the start (1 to 100, 20 by default).")] first: Option<i32>,
        #[graphql(desc = "Start after this cursor.")] after: Option<String>,
        #[graphql(desc = "Page size from the end (1 to 100).")] last: Option<i32>,
        #[graphql(desc = "End before this cursor.")] before: Option<String>,
    ) -> Result<Connection<Meeting>> {
        let state = ctx.state()?;
        let request = PageRequest::try_from(page_args(first, after, last, before))?;
        let (page, total) = store::reference::meetings(&state.db, request).await?;
        Ok(Connection::new(page.map(Meeting), total))
    }
}
