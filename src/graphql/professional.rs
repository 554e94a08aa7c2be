//! Professionals (people) and their dated positions. Their e-mail and phone are personal
//! data, shown only as their contact visibility allows.

use async_graphql::{Context, ID, Object, Result};
use entity::{position, professional};

use super::{
    connection::{Connection, page_args},
    context::{ContextExt, load_rows},
    id::{Lookup, NodeKind},
    organisation::Organisation,
    scalars::Date,
    territory::Territory,
};
use crate::{
    domain::{page::PageRequest, visibility::may_see_contact_details},
    store,
};

#[derive(Clone)]
pub struct Professional(pub professional::Model);

impl Professional {
    fn contact_visible(&self, ctx: &Context<'_>) -> Result<bool> {
        Ok(may_see_contact_details(
            &ctx.state()?.caller,
            self.0.contact_visibility,
            self.0.user_id,
        ))
    }
}

/// A person working in the field: their name and posts are public; their e-mail and phone
/// are shown only to the callers their contact visibility allows.
#[Object]
impl Professional {
    /// The global id of the person.
    pub async fn id(&self) -> ID {
        NodeKind::Professional.id(self.0.id)
    }

    /// A unique, URL-friendly name, e.g. `julie-parachini`.
    async fn slug(&self) -> &str {
        &self.0.slug
    }

    /// Given name.
    async fn given_name(&self) -> &str {
        &self.0.given_name
    }

    /// Family name.
    async fn family_name(&self) -> &str {
        &self.0.family_name
    }

    /// Given and family name, for display.
    async fn full_name(&self) -> String {
        format!("{} {}", self.0.given_name, self.0.family_name)
    }

    /// E-mail address; null when unknown or when the caller may not see it.
    async fn email(&self, ctx: &Context<'_>) -> Result<Option<&str>> {
        Ok(self
            .contact_visible(ctx)?
            .then_some(self.0.email.as_deref())
            .flatten())
    }

    /// Phone number; null when unknown or when the caller may not see it.
    async fn phone(&self, ctx: &Context<'_>) -> Result<Option<&str>> {
        Ok(self
            .contact_visible(ctx)?
            .then_some(self.0.phone.as_deref())
            .flatten())
    }

    /// The posts the person holds now (not ended), most recent first.
    async fn current_positions(&self, ctx: &Context<'_>) -> Result<Vec<Position>> {
        let rows = load_rows(ctx.state()?.loaders.current_positions(), self.0.id).await?;
        Ok(rows.iter().cloned().map(Position).collect())
    }
}

#[derive(Clone)]
pub struct Position(pub position::Model);

/// A post held by a professional in an organisation, over a period.
#[Object]
impl Position {
    /// The global id of the position.
    pub async fn id(&self) -> ID {
        NodeKind::Position.id(self.0.id)
    }

    /// The job title, e.g. « Directrice des solidarités ».
    async fn job_title(&self) -> &str {
        &self.0.job_title
    }

    /// The field of work, e.g. « politique de la ville », « rénovation urbaine ».
    async fn field(&self) -> Option<&str> {
        self.0.field.as_deref()
    }

    /// When the post began, if known.
    async fn started_on(&self) -> Option<Date> {
        self.0.started_on.map(Date)
    }

    /// When it ended; null while it goes on.
    async fn ended_on(&self) -> Option<Date> {
        self.0.ended_on.map(Date)
    }

    /// The employer.
    async fn organisation(&self, ctx: &Context<'_>) -> Result<Option<Organisation>> {
        Ok(ctx
            .state()?
            .loaders
            .organisation()
            .load_one(self.0.organisation_id)
            .await?
            .map(Organisation))
    }

    /// The territory the post covers, if any.
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

    /// The person holding it.
    async fn professional(&self, ctx: &Context<'_>) -> Result<Option<Professional>> {
        Ok(ctx
            .state()?
            .loaders
            .professional()
            .load_one(self.0.professional_id)
            .await?
            .map(Professional))
    }
}

#[derive(Default)]
pub struct ProfessionalQuery;

#[Object]
impl ProfessionalQuery {
    /// One professional, by id or by slug (give exactly one).
    async fn professional(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The professional's global id.")] id: Option<ID>,
        #[graphql(desc = "The professional's slug.")] slug: Option<String>,
    ) -> Result<Option<Professional>> {
        let state = ctx.state()?;
        let found = match Lookup::parse(NodeKind::Professional, id, slug)? {
            Lookup::Id(uuid) => state.loaders.professional().load_one(uuid).await?,
            Lookup::Slug(slug) => store::reference::professional_by_slug(&state.db, &slug).await?,
        };
        Ok(found.map(Professional))
    }

    /// Professionals by family name then given name, paged.
    async fn professionals(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "Page size from the start (1 to 100, 20 by default).")] first: Option<i32>,
        #[graphql(desc = "Start after this cursor.")] after: Option<String>,
        #[graphql(desc = "Page size from the end (1 to 100).")] last: Option<i32>,
        #[graphql(desc = "End before this cursor.")] before: Option<String>,
    ) -> Result<Connection<Professional>> {
        let state = ctx.state()?;
        let request = PageRequest::try_from(page_args(first, after, last, before))?;
        let (page, total) = store::reference::professionals(&state.db, request).await?;
        Ok(Connection::new(page.map(Professional), total))
    }
}
