//! Initiatives: the catalogue itself.

use std::sync::Arc;

use async_graphql::{Context, Enum, ID, InputObject, Lookahead, Object, Result};
use entity::initiative;

use super::{
    connection::{Connection, EdgeOf, page_args},
    context::{ContextExt, load_in_order, load_rows},
    enums::{Audience, InitiativeLinkKind, ModerationStatus, OrganisationRole},
    experience::Experience,
    id::{GlobalId, Lookup, NodeKind},
    initiative_link::{self, End, InitiativeLink},
    map::{BoundingBox, Point},
    meeting::Meeting,
    organisation::Organisation,
    professional::Professional,
    revision::InitiativeRevision,
    scalars::{Date, DateTime},
    territory::Territory,
    theme::Theme,
};
use crate::{
    domain::{
        initiative_query::{self, DateRange},
        page::PageRequest,
        search::{self, Search},
        visibility::ContributionScope,
    },
    error::AppError,
    store::{self, linked::Linked, loaders::InitiativeLinks, page::Page},
};

#[derive(Clone)]
pub struct Initiative {
    pub model: initiative::Model,
    /// The search of the list it was found in, for its snippet.
    pub search: Option<Arc<Search>>,
}

impl Initiative {
    /// Whether the caller follows the moderation of the change `revision` records:
    /// moderators, and the partners of the organisation it was made for or of the
    /// initiative's own.
    fn follows_revision(
        &self,
        state: &super::context::RequestState,
        revision: &entity::initiative_revision::Model,
    ) -> bool {
        state
            .caller
            .may_follow_moderation_of(revision.organisation_id)
            || state
                .caller
                .may_follow_moderation_of(self.model.organisation_id)
    }

    /// The excerpt of the text where the list's search matched, if it was searched.
    fn search_snippet(&self) -> Option<String> {
        let search = self.search.as_deref()?;
        search::snippet(
            &[
                Some(self.model.summary.as_str()),
                self.model.description.as_deref(),
                self.model.outcomes.as_deref(),
                self.model.continuation.as_deref(),
                Some(self.model.title.as_str()),
            ],
            search,
        )
    }
}

/// A page of initiatives, whose edges carry the snippet of a search.
pub type InitiativeConnection = Connection<Initiative, InitiativeEdge>;

/// An initiative of a list, with its cursor and, in a searched list, where the search
/// matched.
pub struct InitiativeEdge {
    cursor: String,
    node: Initiative,
}

impl EdgeOf<Initiative> for InitiativeEdge {
    fn new(cursor: String, node: Initiative) -> Self {
        Self { cursor, node }
    }
}

/// An initiative of a list, with the cursor that points at it.
#[Object]
impl InitiativeEdge {
    /// Pass it as `after` or `before` to page from this initiative.
    async fn cursor(&self) -> &str {
        &self.cursor
    }

    /// The initiative.
    async fn node(&self) -> &Initiative {
        &self.node
    }

    /// Where the search matched, in a searched list (`initiatives(filter: {search: ...})`);
    /// null in any other list. It is an excerpt of the text holding the most searched terms
    /// (summary, description, outcomes, continuation, then title on a tie), cut to about 24
    /// words with « … » where it is cut. The text is HTML-escaped and each matched word is
    /// wrapped in `<mark>` and `</mark>`, so it can be put in HTML as it is. It lives on the
    /// edge, not on the initiative: it belongs to this search, and a normalised client
    /// cache keeps it apart from the initiative read elsewhere.
    async fn snippet(&self) -> Option<String> {
        self.node.search_snippet()
    }
}

impl From<initiative::Model> for Initiative {
    fn from(model: initiative::Model) -> Self {
        Self {
            model,
            search: None,
        }
    }
}

/// A local initiative: something professionals, associations or inhabitants did on a
/// territory, told so that others can learn from it or do it again.
#[Object]
impl Initiative {
    /// The global id of the initiative.
    pub async fn id(&self) -> ID {
        NodeKind::Initiative.id(self.model.id)
    }

    /// A unique, URL-friendly name, e.g. `club-d-echecs-en-ligne`.
    async fn slug(&self) -> &str {
        &self.model.slug
    }

    /// The title, in French.
    async fn title(&self) -> &str {
        &self.model.title
    }

    /// What it is, in a few sentences (at most 500 characters).
    async fn summary(&self) -> &str {
        &self.model.summary
    }

    /// The full account, in Markdown.
    async fn description(&self) -> Option<&str> {
        self.model.description.as_deref()
    }

    /// When it started, if known.
    async fn started_on(&self) -> Option<Date> {
        self.model.started_on.map(Date)
    }

    /// When it ended; null while it goes on or when unknown.
    async fn ended_on(&self) -> Option<Date> {
        self.model.ended_on.map(Date)
    }

    /// The circumstances, e.g. « Confinement COVID-19 ».
    async fn context(&self) -> Option<&str> {
        self.model.context.as_deref()
    }

    /// What came of it, the lessons learnt.
    async fn outcomes(&self) -> Option<&str> {
        self.model.outcomes.as_deref()
    }

    /// What lasted afterwards, and who carried it on.
    async fn continuation(&self) -> Option<&str> {
        self.model.continuation.as_deref()
    }

    /// Where the search matched, for an initiative of a searched list; null anywhere else.
    /// Deprecated: it depends on the search, not on the initiative, so a normalised client
    /// cache (Apollo, Relay) loses it when another query reads the same initiative.
    #[graphql(
        deprecation = "Read `snippet` on the edge (`initiatives { edges { snippet } }`): it belongs to the search, not to the initiative."
    )]
    async fn snippet(&self) -> Option<String> {
        self.search_snippet()
    }

    /// Where it stands in moderation; the public only ever sees PUBLISHED.
    async fn status(&self) -> ModerationStatus {
        self.model.status.into()
    }

    /// The version of what is stored, raised by every change: send it back as
    /// `expectedVersion` when changing or moderating the initiative.
    async fn version(&self) -> i32 {
        self.model.version
    }

    /// When it was last submitted for moderation; null until then.
    async fn submitted_at(&self) -> Option<DateTime> {
        self.model.submitted_at.map(DateTime)
    }

    /// When moderators published it; null until then.
    async fn published_at(&self) -> Option<DateTime> {
        self.model.published_at.map(DateTime)
    }

    /// When it was recorded.
    async fn created_at(&self) -> DateTime {
        DateTime(self.model.created_at)
    }

    /// When it was last changed.
    async fn updated_at(&self) -> DateTime {
        DateTime(self.model.updated_at)
    }

    /// The people it is for.
    async fn audiences(&self, ctx: &Context<'_>) -> Result<Vec<Audience>> {
        let rows = load_rows(
            ctx.state()?.loaders.audiences_of_initiative(),
            self.model.id,
        )
        .await?;
        Ok(rows.iter().map(|row| row.audience.into()).collect())
    }

    /// Its themes, by name.
    async fn themes(&self, ctx: &Context<'_>) -> Result<Vec<Theme>> {
        let loaders = &ctx.state()?.loaders;
        let links = load_links(ctx, self.model.id).await?;
        let mut themes = load_in_order(loaders.theme(), links.themes.iter().copied()).await?;
        themes.sort_by(|a, b| a.sort_name.cmp(&b.sort_name));
        Ok(themes.into_iter().map(Theme).collect())
    }

    /// Where it is on the map: the point its writer gave (`explicit`), else the mean of
    /// the points of its most local territories that have one (its municipalities before
    /// its department). Rounded to 3 decimals, about 100 m: never a street address. Null
    /// when no territory of it has a point.
    async fn place(&self) -> Option<Point> {
        let (latitude, longitude) = self.model.latitude.zip(self.model.longitude)?;
        Some(Point {
            latitude,
            longitude,
            explicit: Some(self.model.place_explicit),
        })
    }

    /// The territories it took place on, by name.
    async fn territories(&self, ctx: &Context<'_>) -> Result<Vec<Territory>> {
        let loaders = &ctx.state()?.loaders;
        let links = load_links(ctx, self.model.id).await?;
        let mut territories =
            load_in_order(loaders.territory(), links.territories.iter().copied()).await?;
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
        let links = load_links(ctx, self.model.id).await?;
        let wanted = role.map(entity::enums::OrganisationRole::from);
        let mut roles = Vec::with_capacity(links.organisations.len());
        for (id, stored_role) in &links.organisations {
            let stored_role = parse_role(Some(stored_role))?;
            if wanted.is_none_or(|wanted| wanted == stored_role) {
                roles.push((*id, stored_role));
            }
        }
        let organisations: std::collections::HashMap<_, _> = loaders
            .organisation()
            .load_many(roles.iter().map(|(id, _)| *id))
            .await?;
        let mut involved: Vec<_> = roles
            .into_iter()
            .filter_map(|(id, role)| {
                Some(InitiativeOrganisation {
                    role: role.into(),
                    organisation: Organisation(organisations.get(&id)?.clone()),
                })
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
        let links = load_rows(loaders.contacts_of_initiative(), self.model.id).await?;
        let mut people = load_in_order(
            loaders.professional(),
            links.iter().map(|l| l.professional_id),
        )
        .await?;
        people.sort_by(|a, b| a.sort_name.cmp(&b.sort_name));
        Ok(people.into_iter().map(Professional).collect())
    }

    /// The meetings where it was reported, most recent first.
    async fn meetings(&self, ctx: &Context<'_>) -> Result<Vec<Meeting>> {
        let loaders = &ctx.state()?.loaders;
        let links = load_rows(loaders.meetings_of_initiative(), self.model.id).await?;
        let mut meetings =
            load_in_order(loaders.meeting(), links.iter().map(|l| l.meeting_id)).await?;
        meetings.sort_by_key(|meeting| std::cmp::Reverse(meeting.held_on));
        Ok(meetings.into_iter().map(Meeting).collect())
    }

    /// The published accounts (*retours d'expérience*) of partners who did or adapted it.
    async fn experiences(&self, ctx: &Context<'_>) -> Result<Vec<Experience>> {
        let rows = load_rows(
            ctx.state()?.loaders.experiences_of_initiative(),
            self.model.id,
        )
        .await?;
        Ok(rows.iter().cloned().map(Experience).collect())
    }

    /// Its links to other initiatives (« inspired by », « variant of », ...), of `kind`
    /// when given; only those to initiatives the caller may see.
    async fn links(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "Only links of this kind.")] kind: Option<InitiativeLinkKind>,
    ) -> Result<Vec<InitiativeLink>> {
        initiative_link::links(ctx, self.model.id, End::From, kind).await
    }

    /// The links other initiatives hold to this one, of `kind` when given; only from
    /// initiatives the caller may see.
    async fn linked_from(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "Only links of this kind.")] kind: Option<InitiativeLinkKind>,
    ) -> Result<Vec<InitiativeLink>> {
        initiative_link::links(ctx, self.model.id, End::To, kind).await
    }

    /// The same action in other territories: every initiative it is connected to through
    /// VARIANT_OF links, whichever end holds them and through other variants, by title.
    /// Only through initiatives the caller may see.
    async fn variants(&self, ctx: &Context<'_>) -> Result<Vec<Initiative>> {
        initiative_link::variants(ctx, self.model.id).await
    }

    /// Its history since it was first published, newest first: each change of what the
    /// public sees (an approved change proposal, a moderator's edit, a merge of the
    /// reference data it uses), with which fields changed, before and after.
    async fn revisions(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "Page size from the start (1 to 100, 20 by default).")] first: Option<i32>,
        #[graphql(desc = "Start after this cursor.")] after: Option<String>,
        #[graphql(desc = "Page size from the end (1 to 100).")] last: Option<i32>,
        #[graphql(desc = "End before this cursor.")] before: Option<String>,
    ) -> Result<Connection<InitiativeRevision>> {
        let request = PageRequest::try_from(page_args(first, after, last, before))?;
        let state = ctx.state()?;
        let id = self.model.id;
        let known = if request.needs_total() {
            Some(store::revisions::total(&state.db, id, None).get().await?)
        } else {
            None
        };
        // Every initiative of a list reads its page in one query.
        let window = request.window(known);
        let mut rows = state
            .loaders
            .revisions_of_initiative()
            .load_one((id, window))
            .await?
            .map(|rows| rows.to_vec())
            .unwrap_or_default();
        let found_extra_row = rows.len() as u64 > window.limit;
        // The row after the page: the revision the page's last one follows.
        let beyond = rows.split_off((window.limit as usize).min(rows.len()));
        // Each revision shows what it changed from the one before: read the one before the
        // page's last too, unless it came with the page.
        let mut earlier: Vec<_> = rows.iter().chain(&beyond).cloned().collect();
        let wanted: Vec<i32> = rows
            .iter()
            .map(|row| row.number - 1)
            .filter(|number| *number > 0 && !earlier.iter().any(|row| row.number == *number))
            .collect();
        earlier.extend(store::revisions::numbered(&state.db, id, &wanted).await?);
        let mut revisions = Vec::with_capacity(rows.len());
        for row in rows {
            let previous = earlier.iter().find(|other| other.number == row.number - 1);
            let follows = self.follows_revision(state, &row);
            revisions.push(InitiativeRevision::new(row, previous, follows)?);
        }
        let page = Page {
            rows: revisions,
            offset: window.offset,
            has_next_page: request.has_next_page(found_extra_row),
            has_previous_page: window.offset > 0,
        };
        let total = store::revisions::total(&state.db, id, known);
        Ok(Connection::new(page, total))
    }

    /// The revision `number` of its history (see `revisions`): the initiative as it was
    /// then, for citations. Null when it has no such revision.
    async fn revision(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The revision's number, from 1.")] number: i32,
    ) -> Result<Option<InitiativeRevision>> {
        let state = ctx.state()?;
        let rows =
            store::revisions::numbered(&state.db, self.model.id, &[number, number - 1]).await?;
        let Some(row) = rows.iter().find(|row| row.number == number) else {
            return Ok(None);
        };
        let previous = rows.iter().find(|row| row.number == number - 1);
        let follows = self.follows_revision(state, row);
        Ok(Some(InitiativeRevision::new(
            row.clone(),
            previous,
            follows,
        )?))
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

/// The role stored on an initiative's link to an organisation.
/// The themes, territories and organisations an initiative is linked to.
/// Whether the selection of an initiative asks for what it links to.
fn asks_for_links(initiative: &Lookahead<'_>) -> bool {
    ["themes", "territories", "organisations"]
        .into_iter()
        .any(|field| initiative.field(field).exists())
}

/// Hands the links read with `rows` to the request's loader, so that resolving them reads
/// nothing more, and returns the initiatives.
async fn keep_links(
    ctx: &Context<'_>,
    rows: impl IntoIterator<Item = Linked>,
) -> Result<Vec<initiative::Model>> {
    let mut models = Vec::new();
    let mut links = Vec::new();
    for row in rows {
        if let Some(linked) = row.links {
            links.push((row.model.id, Arc::new(linked)));
        }
        models.push(row.model);
    }
    if !links.is_empty() {
        let loaders = &ctx.state()?.loaders;
        loaders.links_of_initiative().feed_many(links).await;
    }
    Ok(models)
}

pub(super) async fn load_links(
    ctx: &Context<'_>,
    initiative: uuid::Uuid,
) -> Result<Arc<InitiativeLinks>> {
    let loaders = &ctx.state()?.loaders;
    Ok(loaders
        .links_of_initiative()
        .load_one(initiative)
        .await?
        .unwrap_or_default())
}

fn parse_role(stored: Option<&str>) -> Result<entity::enums::OrganisationRole, AppError> {
    use entity::enums::OrganisationRole as Stored;
    use sea_orm::Iterable;
    Stored::iter()
        .find(|role| Some(role.as_str()) == stored)
        .ok_or_else(|| AppError::internal(format!("unknown organisation role {stored:?}")))
}

/// A published initiative close to a draft.
#[derive(Clone, async_graphql::SimpleObject)]
pub struct SimilarInitiative {
    /// The initiative.
    pub initiative: Initiative,
    /// How close it is, from 0 (nothing shared) to 1 (every term of the draft in its title,
    /// on the same area).
    pub score: f64,
}

/// Narrows a list of initiatives. Every criterion given must hold; within a list, any value
/// matches.
#[derive(InputObject, Default)]
pub struct InitiativeFilter {
    /// French full-text search in the title, summary, description, outcomes and
    /// continuation. Case and accents are ignored (`echecs` finds « échecs »), singular and
    /// plural find each other (`masque`, « masques »), hyphens and apostrophes separate words
    /// (`petit-dejeuner`, `l'AFEV`) and common words (« le », « de », « pour »...) are
    /// ignored. Every word must match; a "quoted phrase", or a hyphenated word, must match
    /// as consecutive words. Blank means no search; a search of common words or symbols only
    /// matches nothing. At most 200 characters.
    pub search: Option<String>,
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
    /// Initiatives linked to this one, whichever of the two holds the link. Nothing when
    /// the caller may not see it.
    pub linked_to: Option<ID>,
    /// With `linkedTo`: only links of these kinds (every kind when left out).
    pub link_kinds: Option<Vec<InitiativeLinkKind>>,
    /// Initiatives whose `place` is inside this map view; those without a place are left
    /// out.
    pub within: Option<BoundingBox>,
}

impl InitiativeFilter {
    /// Parses the filter; errors name the offending field under `filter.`.
    pub fn parse(self) -> Result<initiative_query::InitiativeFilter, AppError> {
        let ids = |kind, field: &str, ids: Option<Vec<ID>>| {
            GlobalId::parse_list(kind, &format!("filter.{field}"), &ids.unwrap_or_default())
        };
        Ok(initiative_query::InitiativeFilter {
            search: self
                .search
                .as_deref()
                .map(|text| Search::parse("filter.search", text))
                .transpose()?
                .flatten(),
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
            linked_to: linked_to(self.linked_to, self.link_kinds)?,
            within: self
                .within
                .map(|within| within.parse("filter.within"))
                .transpose()?,
        })
    }
}

/// `linkedTo` with its kinds; kinds without it are BAD_USER_INPUT.
fn linked_to(
    id: Option<ID>,
    kinds: Option<Vec<InitiativeLinkKind>>,
) -> Result<Option<initiative_query::LinkedTo>, AppError> {
    let kinds: Vec<entity::enums::InitiativeLinkKind> = kinds
        .unwrap_or_default()
        .into_iter()
        .map(Into::into)
        .collect();
    match id {
        Some(id) => Ok(Some(initiative_query::LinkedTo {
            id: GlobalId::parse_as(NodeKind::Initiative, "filter.linkedTo", &id)?,
            kinds,
        })),
        None if kinds.is_empty() => Ok(None),
        None => Err(AppError::bad_input(
            "filter.linkKinds",
            "needs `linkedTo`: the initiative the links lead to or come from",
        )),
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
    /// How well the initiative matches `filter.search`, the best match first in ASC (the
    /// default direction), ties by id. The default order of a search; without a search it is
    /// refused as BAD_USER_INPUT.
    Relevance,
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
                InitiativeOrderField::Relevance => {
                    initiative_query::InitiativeOrderField::Relevance
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
            Lookup::Id(uuid) => state.loaders.initiative().load_one(uuid).await?,
            Lookup::Slug(slug) => {
                let links = asks_for_links(&ctx.look_ahead());
                let found =
                    store::initiatives::by_slug(&state.db, &state.scope, &slug, links).await?;
                keep_links(ctx, found).await?.into_iter().next()
            }
        };
        Ok(found.map(Initiative::from))
    }

    /// The initiatives the caller may see (the public: published ones), filtered, ordered
    /// and paged. Without `orderBy`, the best matches come first when searching, and
    /// otherwise the most recently published.
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
    ) -> Result<InitiativeConnection> {
        let filter = filter.unwrap_or_default().parse()?;
        let order = initiative_query::InitiativeOrder::resolve(
            order_by.map(Into::into),
            &filter,
            "orderBy.field",
        )?;
        let request = PageRequest::try_from(page_args(first, after, last, before))?;
        let state = ctx.state()?;
        let selection = ctx.look_ahead();
        let links = asks_for_links(&selection.field("nodes"))
            || asks_for_links(&selection.field("edges").field("node"));
        let (page, total) = store::initiatives::list(
            &state.db,
            &state.scope,
            &filter,
            order,
            request,
            links,
            &state.stats,
        )
        .await?;
        let Page {
            rows,
            offset,
            has_next_page,
            has_previous_page,
        } = page;
        let page = Page {
            rows: keep_links(ctx, rows).await?,
            offset,
            has_next_page,
            has_previous_page,
        };
        let search = filter.search.map(Arc::new);
        Ok(InitiativeConnection::new(
            page.map(|model| Initiative {
                model,
                search: search.clone(),
            }),
            total,
        ))
    }

    /// Published initiatives that look like a draft, closest first: for a partner's form to
    /// show « this may already exist » before a submission. Closeness is the share of the
    /// draft's terms (French words, folded and stemmed as in `filter.search`; title words
    /// count twice) found in an initiative (fully in its title, half in its other texts),
    /// for 90 % of the score, and being on the draft's area for 10 %: on one of
    /// `territoryIds`, on a territory they contain, or on one containing them. Only
    /// initiatives sharing at least one term are returned. With `initiativeId`, the pairs
    /// already decided not duplicates of it are left out.
    async fn similar_initiatives(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The draft's title (at most 300 characters).")] title: String,
        #[graphql(desc = "The draft's summary (at most 2,000 characters).")] summary: Option<
            String,
        >,
        #[graphql(desc = "The draft's territories: initiatives on the same area rank higher.")]
        territory_ids: Option<Vec<ID>>,
        #[graphql(desc = "How many to return (1 to 20, 5 by default).")] first: Option<i32>,
        #[graphql(
            desc = "The initiative being edited, if it exists already: it is not suggested to itself, nor are the initiatives decided not to be its duplicates (`markNotDuplicate`). NOT_FOUND when the caller may not see it."
        )]
        initiative_id: Option<ID>,
    ) -> Result<Vec<SimilarInitiative>> {
        let draft = search::Draft::parse(&title, summary.as_deref(), first)?;
        let territory_ids = GlobalId::parse_list(
            NodeKind::Territory,
            "territoryIds",
            &territory_ids.unwrap_or_default(),
        )?;
        let state = ctx.state()?;
        let excluded = match initiative_id {
            Some(id) => {
                let id = GlobalId::parse_as(NodeKind::Initiative, "initiativeId", &id)?;
                if state.loaders.initiative().load_one(id).await?.is_none() {
                    return Err(AppError::NotFound("no initiative with this id".to_owned()).into());
                }
                let mut excluded = store::duplicates::not_duplicates_of(&state.db, id).await?;
                excluded.push(id);
                excluded
            }
            None => Vec::new(),
        };
        // Look-alikes are published initiatives only, whoever asks: a partner's own drafts
        // are not what "this may already exist" means.
        let published = ContributionScope::PublishedOnly;
        let ranked =
            store::search::similar(&state.db, &published, &draft, &territory_ids, &excluded)
                .await?;
        let initiatives =
            load_in_order(state.loaders.initiative(), ranked.iter().map(|(id, _)| *id)).await?;
        let scores: std::collections::HashMap<_, _> = ranked.into_iter().collect();
        Ok(initiatives
            .into_iter()
            .map(|model| SimilarInitiative {
                score: scores.get(&model.id).copied().unwrap_or_default(),
                initiative: Initiative::from(model),
            })
            .collect())
    }
}
