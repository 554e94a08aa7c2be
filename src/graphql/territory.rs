//! Territories: regions, departments, intercommunalities, municipalities, neighbourhoods.

use async_graphql::{Context, ID, InputObject, Object, Result};
use entity::territory;
use uuid::Uuid;

use super::{
    connection::{Connection, page_args},
    context::{ContextExt, load_in_order, load_rows},
    enums::TerritoryKind,
    id::{GlobalId, NodeKind},
    initiative::{Initiative, InitiativeConnection},
    scalars::Date,
};
use crate::{
    domain::page::PageRequest,
    error::{AppError, AppResult},
    store::{
        self,
        loaders::Loaders,
        page::{Page, TotalCount},
        reference::TerritoryFilter as StoreTerritoryFilter,
    },
};

#[derive(Clone)]
pub struct Territory(pub territory::Model);

/// An area: a region, a department, an intercommunality, a municipality, a priority
/// neighbourhood (QPV)... Territories contain one another as a graph: a neighbourhood can
/// straddle two municipalities.
#[Object]
impl Territory {
    /// The global id of the territory.
    pub async fn id(&self) -> ID {
        NodeKind::Territory.id(self.0.id)
    }

    /// Its official name, in French.
    async fn name(&self) -> &str {
        &self.0.name
    }

    /// A unique, URL-friendly name, e.g. `metz`.
    async fn slug(&self) -> &str {
        &self.0.slug
    }

    /// What kind of territory it is.
    async fn kind(&self) -> TerritoryKind {
        self.0.kind.into()
    }

    /// Its official code: INSEE code for regions, departments and municipalities, SIREN for
    /// intercommunalities, QPV code for priority neighbourhoods.
    async fn official_code(&self) -> Option<&str> {
        self.0.official_code.as_deref()
    }

    /// Latitude (WGS 84) of a representative point, if known.
    async fn latitude(&self) -> Option<f64> {
        self.0.latitude
    }

    /// Longitude (WGS 84) of a representative point, if known.
    async fn longitude(&self) -> Option<f64> {
        self.0.longitude
    }

    /// First day the code was valid, if known.
    async fn valid_from(&self) -> Option<Date> {
        self.0.valid_from.map(Date)
    }

    /// Last day the code was valid; null while it is.
    async fn valid_to(&self) -> Option<Date> {
        self.0.valid_to.map(Date)
    }

    /// The territories directly containing this one, by name.
    async fn parents(&self, ctx: &Context<'_>) -> Result<Vec<Territory>> {
        let loaders = &ctx.state()?.loaders;
        let links = load_rows(loaders.parents_of_territory(), self.0.id).await?;
        let mut found =
            load_in_order(loaders.territory(), links.iter().map(|l| l.parent_id)).await?;
        found.sort_by(|a, b| a.sort_name.cmp(&b.sort_name));
        Ok(found.into_iter().map(Territory).collect())
    }

    /// The territories directly contained in this one, by name.
    async fn children(&self, ctx: &Context<'_>) -> Result<Vec<Territory>> {
        let loaders = &ctx.state()?.loaders;
        let links = load_rows(loaders.children_of_territory(), self.0.id).await?;
        let mut found =
            load_in_order(loaders.territory(), links.iter().map(|l| l.child_id)).await?;
        found.sort_by(|a, b| a.sort_name.cmp(&b.sort_name));
        Ok(found.into_iter().map(Territory).collect())
    }

    /// The initiatives on this territory or on any territory it contains, most recently
    /// published first.
    async fn initiatives(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "Page size from the start (1 to 100, 20 by default).")] first: Option<i32>,
        #[graphql(desc = "Start after this cursor.")] after: Option<String>,
        #[graphql(desc = "Page size from the end (1 to 100).")] last: Option<i32>,
        #[graphql(desc = "End before this cursor.")] before: Option<String>,
    ) -> Result<InitiativeConnection> {
        let request = PageRequest::try_from(page_args(first, after, last, before))?;
        let loaders = ctx.state()?.loaders.clone();
        let territory = self.0.id;
        let total = if request.needs_total() {
            Some(load_count(&loaders, territory).await?)
        } else {
            None
        };
        let window = request.window(total);
        let mut ids = loaders
            .initiatives_of_territory()
            .load_one((territory, window))
            .await?
            .map(|ids| ids.to_vec())
            .unwrap_or_default();
        let found_extra_row = ids.len() as u64 > window.limit;
        ids.truncate(window.limit as usize);
        let initiatives = load_in_order(loaders.initiative(), ids).await?;
        let page = Page {
            rows: initiatives.into_iter().map(Initiative::from).collect(),
            offset: window.offset,
            has_next_page: request.has_next_page(found_extra_row),
            has_previous_page: window.offset > 0,
        };
        let count = TotalCount::new(total, move || {
            let loaders = loaders.clone();
            Box::pin(async move { load_count(&loaders, territory).await })
        });
        Ok(InitiativeConnection::new(page, count))
    }
}

async fn load_count(loaders: &Loaders, territory: Uuid) -> AppResult<u64> {
    Ok(loaders
        .initiative_count_of_territory()
        .load_one(territory)
        .await?
        .unwrap_or_default())
}

/// Narrows a list of territories.
#[derive(InputObject, Default)]
pub struct TerritoryFilter {
    /// Territories of any of these kinds.
    pub kinds: Option<Vec<TerritoryKind>>,
    /// Territories contained in this one, at any depth (not itself).
    pub within_id: Option<ID>,
    /// Territories whose name contains this text, ignoring case. At most 200 characters.
    pub name_contains: Option<String>,
}

#[derive(Default)]
pub struct TerritoryQuery;

#[Object]
impl TerritoryQuery {
    /// One territory, by id, slug or official code (give exactly one). With `code`, give
    /// `kind` too when two kinds share the code (region 44 and department 44): without it,
    /// such a code is BAD_USER_INPUT.
    async fn territory(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The territory's global id.")] id: Option<ID>,
        #[graphql(desc = "The territory's slug.")] slug: Option<String>,
        #[graphql(desc = "The territory's official code (INSEE, SIREN or QPV code).")] code: Option<
            String,
        >,
        #[graphql(desc = "The kind of territory the code belongs to.")] kind: Option<TerritoryKind>,
    ) -> Result<Option<Territory>> {
        let state = ctx.state()?;
        let found = match (id, slug, code) {
            (Some(id), None, None) => {
                let uuid = GlobalId::parse_as(NodeKind::Territory, "id", &id)?;
                state.loaders.territory().load_one(uuid).await?
            }
            (None, Some(slug), None) => {
                store::reference::territory_by_slug(&state.db, &slug).await?
            }
            (None, None, Some(code)) => {
                let mut found = store::reference::territories_by_code(
                    &state.db,
                    kind.map(Into::into),
                    code.trim(),
                )
                .await?;
                if found.len() > 1 {
                    let kinds: Vec<&str> = found.iter().map(|t| t.kind.as_str()).collect();
                    return Err(AppError::bad_input(
                        "kind",
                        format!(
                            "code `{}` names territories of several kinds ({}): give `kind`",
                            code.trim(),
                            kinds.join(", ")
                        ),
                    )
                    .into());
                }
                found.pop()
            }
            _ => {
                return Err(AppError::bad_input(
                    "id",
                    "give exactly one of `id`, `slug` or `code`",
                )
                .into());
            }
        };
        Ok(found.map(Territory))
    }

    /// Territories by name, filtered and paged.
    async fn territories(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "Criteria the territories must meet.")] filter: Option<TerritoryFilter>,
        #[graphql(desc = "Page size from the start (1 to 100, 20 by default).")] first: Option<i32>,
        #[graphql(desc = "Start after this cursor.")] after: Option<String>,
        #[graphql(desc = "Page size from the end (1 to 100).")] last: Option<i32>,
        #[graphql(desc = "End before this cursor.")] before: Option<String>,
    ) -> Result<Connection<Territory>> {
        let state = ctx.state()?;
        let filter = filter.unwrap_or_default();
        let filter = StoreTerritoryFilter {
            kinds: filter
                .kinds
                .unwrap_or_default()
                .into_iter()
                .map(Into::into)
                .collect(),
            within: filter
                .within_id
                .map(|id| GlobalId::parse_as(NodeKind::Territory, "filter.withinId", &id))
                .transpose()?,
            name_contains: filter.name_contains.filter(|text| !text.trim().is_empty()),
        };
        let request = PageRequest::try_from(page_args(first, after, last, before))?;
        let (page, total) = store::reference::territories(&state.db, &filter, request).await?;
        Ok(Connection::new(page.map(Territory), total))
    }
}
