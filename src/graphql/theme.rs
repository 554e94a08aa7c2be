//! Themes: a two-level taxonomy of what initiatives are about.

use async_graphql::{Context, ID, Object, Result};
use entity::theme;

use super::{
    context::{ContextExt, load_rows},
    id::{Lookup, NodeKind},
};
use crate::store;

#[derive(Clone)]
pub struct Theme(pub theme::Model);

/// What initiatives are about. Top-level themes have sub-themes; filtering by a theme
/// includes its sub-themes.
#[Object]
impl Theme {
    /// The global id of the theme.
    pub async fn id(&self) -> ID {
        NodeKind::Theme.id(self.0.id)
    }

    /// Its name, in French.
    async fn name(&self) -> &str {
        &self.0.name
    }

    /// A unique, URL-friendly name, e.g. `inclusion-numerique`.
    async fn slug(&self) -> &str {
        &self.0.slug
    }

    /// What it covers.
    async fn description(&self) -> Option<&str> {
        self.0.description.as_deref()
    }

    /// Its rank among its siblings, for display.
    async fn position(&self) -> i32 {
        self.0.position
    }

    /// The top-level theme it belongs to; null for a top-level theme.
    async fn parent(&self, ctx: &Context<'_>) -> Result<Option<Theme>> {
        let Some(parent_id) = self.0.parent_id else {
            return Ok(None);
        };
        Ok(ctx
            .state()?
            .loaders
            .theme()
            .load_one(parent_id)
            .await?
            .map(Theme))
    }

    /// Its sub-themes, in display order.
    async fn children(&self, ctx: &Context<'_>) -> Result<Vec<Theme>> {
        let rows = load_rows(ctx.state()?.loaders.sub_themes(), self.0.id).await?;
        Ok(rows.iter().cloned().map(Theme).collect())
    }
}

#[derive(Default)]
pub struct ThemeQuery;

#[Object]
impl ThemeQuery {
    /// The taxonomy: the top-level themes in display order, each with its `children`.
    async fn themes(&self, ctx: &Context<'_>) -> Result<Vec<Theme>> {
        let state = ctx.state()?;
        let themes = store::reference::top_level_themes(&state.db).await?;
        Ok(themes.into_iter().map(Theme).collect())
    }

    /// One theme, by id or by slug (give exactly one).
    async fn theme(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The theme's global id.")] id: Option<ID>,
        #[graphql(desc = "The theme's slug.")] slug: Option<String>,
    ) -> Result<Option<Theme>> {
        let state = ctx.state()?;
        let found = match Lookup::parse(NodeKind::Theme, id, slug)? {
            Lookup::Id(uuid) => state.loaders.theme().load_one(uuid).await?,
            Lookup::Slug(slug) => store::reference::theme_by_slug(&state.db, &slug).await?,
        };
        Ok(found.map(Theme))
    }
}
