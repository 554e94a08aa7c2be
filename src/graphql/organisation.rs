//! Organisations: local authorities, State services, associations, networks...

use async_graphql::{Context, ID, InputObject, Object, Result};
use entity::organisation;

use super::{
    connection::{Connection, page_args},
    context::ContextExt,
    enums::OrganisationKind,
    id::{Lookup, NodeKind},
    territory::Territory,
};
use crate::{
    domain::page::PageRequest,
    store::{self, reference::OrganisationFilter as StoreOrganisationFilter},
};

#[derive(Clone)]
pub struct Organisation(pub organisation::Model);

/// A body that takes part in initiatives or employs professionals.
#[Object]
impl Organisation {
    /// The global id of the organisation.
    pub async fn id(&self) -> ID {
        NodeKind::Organisation.id(self.0.id)
    }

    /// Its name.
    async fn name(&self) -> &str {
        &self.0.name
    }

    /// A unique, URL-friendly name, e.g. `metz-metropole`.
    async fn slug(&self) -> &str {
        &self.0.slug
    }

    /// What kind of body it is.
    async fn kind(&self) -> OrganisationKind {
        self.0.kind.into()
    }

    /// Its website.
    async fn website(&self) -> Option<&str> {
        self.0.website.as_deref()
    }

    /// What it does.
    async fn description(&self) -> Option<&str> {
        self.0.description.as_deref()
    }

    /// The territory it acts on; null for national bodies.
    async fn territory(&self, ctx: &Context<'_>) -> Result<Option<Territory>> {
        let Some(territory_id) = self.0.territory_id else {
            return Ok(None);
        };
        Ok(ctx
            .state()?
            .loaders
            .territory()
            .load_one(territory_id)
            .await?
            .map(Territory))
    }
}

/// Narrows a list of organisations.
#[derive(InputObject, Default)]
pub struct OrganisationFilter {
    /// Organisations of any of these kinds.
    pub kinds: Option<Vec<OrganisationKind>>,
    /// Organisations whose name contains this text, ignoring case. At most 200 characters.
    pub name_contains: Option<String>,
}

#[derive(Default)]
pub struct OrganisationQuery;

#[Object]
impl OrganisationQuery {
    /// One organisation, by id or by slug (give exactly one).
    async fn organisation(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The organisation's global id.")] id: Option<ID>,
        #[graphql(desc = "The organisation's slug.")] slug: Option<String>,
    ) -> Result<Option<Organisation>> {
        let state = ctx.state()?;
        let found = match Lookup::parse(NodeKind::Organisation, id, slug)? {
            Lookup::Id(uuid) => state.loaders.organisation().load_one(uuid).await?,
            Lookup::Slug(slug) => store::reference::organisation_by_slug(&state.db, &slug).await?,
        };
        Ok(found.map(Organisation))
    }

    /// Organisations by name, filtered and paged.
    async fn organisations(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "Criteria the organisations must meet.")] filter: Option<
            OrganisationFilter,
        >,
        #[graphql(desc = "Page size from the start (1 to 100, 20 by default).")] first: Option<i32>,
        #[graphql(desc = "Start after this cursor.")] after: Option<String>,
        #[graphql(desc = "Page size from the end (1 to 100).")] last: Option<i32>,
        #[graphql(desc = "End before this cursor.")] before: Option<String>,
    ) -> Result<Connection<Organisation>> {
        let state = ctx.state()?;
        let filter = filter.unwrap_or_default();
        let filter = StoreOrganisationFilter {
            kinds: filter
                .kinds
                .unwrap_or_default()
                .into_iter()
                .map(Into::into)
                .collect(),
            name_contains: filter.name_contains.filter(|text| !text.trim().is_empty()),
        };
        let request = PageRequest::try_from(page_args(first, after, last, before))?;
        let (page, total) = store::reference::organisations(&state.db, &filter, request).await?;
        Ok(Connection::new(page.map(Organisation), total))
    }
}
