//! Initiatives: the catalogue itself.

use async_graphql::{Context, Enum, ID, InputObject, Object, Result};
use entity::initiative;

use super::{
    connection::{Connection, page_args},
    context::{ContextExt, load_in_order, load_rows},
    enums::{Audience, ModerationStatus, OrganisationRole},
    experience::Experience,
    id::{GlobalId, Lookup, NodeKind},
    meeting::Meeting,
    organisation::Organisation,
    professional::Professional,
    scalars::{Date, DateTime},
    territory::Territory,
    theme::Theme,
};
use crate::{
    domain::{
        initiative_query::{self, DateRange},
        page::PageRequest,
    },
    error::AppError,
    store,
};

#[derive(Clone)]
pub struct Initiative(pub initiative::Model);

/// A local initiative: something professionals, associations or inhabitants did on a
/// territory, told so that others can learn from it or do it again.
#[Object]
impl Initiative {
    /// The global id of the initiative.
    pub async fn id(&self) -> ID {
        NodeKind::Initiative.id(self.0.id)
    }

    /// A unique, URL-friendly name, e.g. `club-d-echecs-en-ligne`.
    async fn slug(&self) -> &str {
        &self.0.slug
    }

    /// The title, in French.
    async fn title(&self) -> &str {
        &self.0.title
    }

    /// What it is, in a few sentences (at most 500 characters).
    async fn summary(&self) -> &str {
        &self.0.summary
    }

    /// The full account, in Markdown.
    async fn description(&self) -> Option<&str> {
        self.0.description.as_deref()
    }

    /// When it started, if known.
    async fn started_on(&self) -> Option<Date> {
        self.0.started_on.map(Date)
    }

    /// When it ended; null while it goes on or when unknown.
    async fn ended_on(&self) -> Option<Date> {
        self.0.ended_on.map(Date)
    }

    /// The circumstances, e.g. « Confinement COVID-19 ».
    async fn context(&self) -> Option<&str> {
        self.0.context.as_deref()
    }

    /// What came of it, the lessons learnt.
    async fn outcomes(&self) -> Option<&str> {
        self.0.outcomes.as_deref()
    }

    /// What lasted afterwards, and who carried it on.
    async fn continuation(&self) -> Option<&str> {
        self.0.continuation.as_deref()
    }

    /// Where it stands in moderation; the public only ever sees PUBLISHED.
    async fn status(&self) -> ModerationStatus {
        self.0.status.into()
    }

    /// When moderators published it; null until then.
    async fn published_at(&self) -> Option<DateTime> {
        self.0.published_at.map(DateTime)
    }

    /// When it was recorded.
    async fn created_at(&self) -> DateTime {
        DateTime(self.0.created_at)
    }

    /// When it was last changed.
    async fn updated_at(&self) -> DateTime {
        DateTime(self.0.updated_at)
    }

    /// The people it is for.
    async fn audiences(&self, ctx: &Context<'_>) -> Result<Vec<Audience>> {
        let rows = load_rows(&ctx.state()?.loaders.audiences_of_initiative, self.0.id).await?;
        Ok(rows.iter().map(|row| row.audience.into()).collect())
    }

    /// Its themes, by name.
    async fn themes(&self, ctx: &Context<'_>) -> Result<Vec<Theme>> {
        let loaders = &ctx.state()?.loaders;
        let links = load_rows(&loaders.themes_of_initiative, self.0.id).await?;
        let mut themes = load_in_order(&loaders.theme, links.iter().map(|l| l.theme_id)).await?;
        themes.sort_by(|a, b| a.sort_name.cmp(&b.sort_name));
        Ok(themes.into_iter().map(Theme).collect())
    }

    /// The territories it took place on, by name.
    async fn territories(&self, ctx: &Context<'_>) -> Result<Vec<Territory>> {
        let loaders = &ctx.state()?.loaders;
        let links = load_rows(&loaders.territories_of_initiative, self.0.id).await?;
        let mut territories =
            load_in_order(&loaders.territory, links.iter().map(|l| l.territory_id)).await?;
        territories.sort_by(|a, b| a.sort_name.cmp(&b.sort_name));
        Ok(territories.into_iter().map(Territory).collect())
    }

    /// The organisations involved and their role, leads first.
    async fn organisations(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "Only the organisations with this role.")] role: Option<OrganisationRole>,
    ) -> Result<Vec<InitiativeOrganisation>> {
        let loaders = &ctx.state()?.loaders;
        let links = load_rows(&loaders.organisations_of_initiative, self.0.id).await?;
        let role = role.map(entity::enums::OrganisationRole::from);
        let links: Vec<_> = links
            .iter()
            .filter(|link| role.is_none_or(|role| link.role == role))
            .collect();
        let organisations = load_in_order(
            &loaders.organisation,
            links.iter().map(|l| l.organisation_id),
        )
        .await?;
        let mut involved: Vec<InitiativeOrganisation> = links
            .iter()
            .zip(organisations)
            .map(|(link, organisation)| InitiativeOrganisation {
                role: link.role.into(),
                organisation: Organisation(organisation),
            })
            .collect();
        involved.sort_by(|a, b| {
            (a.role as u8, &a.organisation.0.sort_name)
                .cmp(&(b.role as u8, &b.organisation.0.sort_name))
        });
        Ok(involved)
    }

    /// The people to contact about it.
    async fn contacts(&self, ctx: &Context<'_>) -> Result<Vec<Professional>> {
        let loaders = &ctx.state()?.loaders;
        let links = load_rows(&loaders.contacts_of_initiative, self.0.id).await?;
        let mut people = load_in_order(
            &loaders.professional,
            links.iter().map(|l| l.professional_id),
        )
        .await?;
        people.sort_by(|a, b| a.sort_name.cmp(&b.sort_name));
        Ok(people.into_iter().map(Professional).collect())
    }

    /// The meetings where it was reported, most recent first.
    async fn meetings(&self, ctx: &Context<'_>) -> Result<Vec<Meeting>> {
        let loaders = &ctx.state()?.loaders;
        let links = load_rows(&loaders.meetings_of_initiative, self.0.id).await?;
        let mut meetings =
            load_in_order(&loaders.meeting, links.iter().map(|l| l.meeting_id)).await?;
        meetings.sort_by_key(|meeting| std::cmp::Reverse(meeting.held_on));
        Ok(meetings.into_iter().map(Meeting).collect())
    }

    /// The published accounts (*retours d'expérience*) of partners who did or adapted it.
    async fn experiences(&self, ctx: &Context<'_>) -> Result<Vec<Experience>> {
        let rows = load_rows(&ctx.state()?.loaders.experiences_of_initiative, self.0.id).await?;
        Ok(rows.iter().cloned().map(Experience).collect())
    }
}

/// An organisation involved in an initiative, with its role.
#[derive(Clone, async_graphql::SimpleObject)]
pub struct InitiativeOrganisation {
    /// What the organisation does in the initiative.
    pub role: OrganisationRole,
    /// The organisation.
    pub organisation: Organisation,
}

/// Narrows a list of initiatives. Every criterion given must hold; within a list, any value
/// matches.
#[derive(InputObject, Default)]
pub struct InitiativeFilter {
    /// Initiatives with any of these themes, sub-themes included.
    pub theme_ids: Option<Vec<ID>>,
    /// Initiatives on any of these territories or on a territory they contain, at any depth
    /// (a department includes its municipalities and their neighbourhoods).
    pub territory_ids: Option<Vec<ID>>,
    /// Initiatives involving any of these organisations, whatever their role.
    pub organisation_ids: Option<Vec<ID>>,
    /// Initiatives for any of these audiences.
    pub audiences: Option<Vec<Audience>>,
    /// Initiatives reported at this meeting.
    pub meeting_id: Option<ID>,
    /// Initiatives started on or after this date.
    pub started_from: Option<Date>,
    /// Initiatives started on or before this date.
    pub started_to: Option<Date>,
}

impl InitiativeFilter {
    /// Parses the filter; errors name the offending field under `filter.`.
    pub fn parse(self) -> Result<initiative_query::InitiativeFilter, AppError> {
        let ids = |kind, field: &str, ids: Option<Vec<ID>>| {
            GlobalId::parse_list(kind, &format!("filter.{field}"), &ids.unwrap_or_default())
        };
        Ok(initiative_query::InitiativeFilter {
            theme_ids: ids(NodeKind::Theme, "themeIds", self.theme_ids)?,
            territory_ids: ids(NodeKind::Territory, "territoryIds", self.territory_ids)?,
            organisation_ids: ids(
                NodeKind::Organisation,
                "organisationIds",
                self.organisation_ids,
            )?,
            audiences: self
                .audiences
                .unwrap_or_default()
                .into_iter()
                .map(Into::into)
                .collect(),
            meeting_id: self
                .meeting_id
                .map(|id| GlobalId::parse_as(NodeKind::Meeting, "filter.meetingId", &id))
                .transpose()?,
            started: DateRange::new(
                self.started_from.map(|date| date.0),
                self.started_to.map(|date| date.0),
                "filter.startedTo",
            )?,
        })
    }
}

/// What to sort initiatives by.
#[derive(Enum, Debug, Clone, Copy, PartialEq, Eq)]
pub enum InitiativeOrderField {
    /// Publication date (unpublished ones last).
    PublishedAt,
    /// Title, alphabetically, ignoring case and accents.
    Title,
    /// Start date (those without one last).
    StartedOn,
}

/// Sort direction.
#[derive(Enum, Debug, Clone, Copy, PartialEq, Eq)]
pub enum OrderDirection {
    /// Smallest first: A to Z, oldest first.
    Asc,
    /// Largest first: Z to A, newest first.
    Desc,
}

/// The order of an initiative list. Ties are broken by id, so pages never overlap.
#[derive(InputObject)]
pub struct InitiativeOrder {
    /// What to sort by.
    pub field: InitiativeOrderField,
    /// In which direction.
    #[graphql(default_with = "OrderDirection::Asc")]
    pub direction: OrderDirection,
}

impl From<InitiativeOrder> for initiative_query::InitiativeOrder {
    fn from(order: InitiativeOrder) -> Self {
        Self {
            field: match order.field {
                InitiativeOrderField::PublishedAt => {
                    initiative_query::InitiativeOrderField::PublishedAt
                }
                InitiativeOrderField::Title => initiative_query::InitiativeOrderField::Title,
                InitiativeOrderField::StartedOn => {
                    initiative_query::InitiativeOrderField::StartedOn
                }
            },
            descending: order.direction == OrderDirection::Desc,
        }
    }
}

#[derive(Default)]
pub struct InitiativeQuery;

#[Object]
impl InitiativeQuery {
    /// One initiative, by id or by slug (give exactly one). Null when there is none the
    /// caller may see.
    async fn initiative(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The initiative's global id.")] id: Option<ID>,
        #[graphql(desc = "The initiative's slug.")] slug: Option<String>,
    ) -> Result<Option<Initiative>> {
        let state = ctx.state()?;
        let found = match Lookup::parse(NodeKind::Initiative, id, slug)? {
            Lookup::Id(uuid) => state.loaders.initiative.load_one(uuid).await?,
            Lookup::Slug(slug) => {
                store::initiatives::by_slug(&state.db, &state.scope, &slug).await?
            }
        };
        Ok(found.map(Initiative))
    }

    /// The initiatives the caller may see (the public: published ones), filtered, ordered
    /// and paged. Without `orderBy`, the most recently published come first.
    #[allow(clippy::too_many_arguments)]
    async fn initiatives(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "Criteria the initiatives must meet.")] filter: Option<InitiativeFilter>,
        #[graphql(desc = "The order of the list.")] order_by: Option<InitiativeOrder>,
        #[graphql(desc = "Page size from the start (1 to 100, 20 by default).")] first: Option<i32>,
        #[graphql(desc = "Start after this cursor.")] after: Option<String>,
        #[graphql(desc = "Page size from the end (1 to 100).")] last: Option<i32>,
        #[graphql(desc = "End before this cursor.")] before: Option<String>,
    ) -> Result<Connection<Initiative>> {
        let filter = filter.unwrap_or_default().parse()?;
        let order = order_by.map(Into::into).unwrap_or_default();
        let request = PageRequest::try_from(page_args(first, after, last, before))?;
        let state = ctx.state()?;
        let (page, total) =
            store::initiatives::list(&state.db, &state.scope, &filter, order, request).await?;
        Ok(Connection::new(page.map(Initiative), total))
    }
}
