//! The published catalogue for those who want it whole, without an account: open-data
//! exports (CSV, JSON, JSON Lines, GeoJSON) and an Atom feed of publications. Both take the
//! same selection (themes and territories, by slug or official code, with what they
//! contain) and show only what the public sees: published initiatives, and contact details
//! only when a person made them public.

pub mod atom;
pub mod export;

use entity::territory;
use sea_orm::DatabaseConnection;

use crate::{
    domain::initiative_query::InitiativeFilter,
    error::{AppError, AppResult},
    store::reference,
};

/// Most values of one parameter: a selection names a few themes or territories.
const MAX_VALUES: usize = 20;

/// What the publisher says of the data: its licence, and where the items are shown.
#[derive(Debug, Clone)]
pub struct Publication {
    /// The licence's name, e.g. « Licence Ouverte 2.0 ».
    pub licence: String,
    /// Where the licence is written.
    pub licence_url: String,
    /// Who publishes the catalogue, for the feed's author.
    pub publisher: String,
    /// The public website's address: an initiative's page is `<it>/initiatives/<slug>`.
    pub site_url: Option<String>,
}

/// The licence the exports are published under when the `OPEN_DATA_LICENCE` setting does
/// not say: France's open licence for public data.
pub const DEFAULT_LICENCE: &str = "Licence Ouverte 2.0";
pub const DEFAULT_LICENCE_URL: &str = "https://www.etalab.gouv.fr/licence-ouverte-open-licence/";

impl Default for Publication {
    fn default() -> Self {
        Self {
            licence: DEFAULT_LICENCE.to_owned(),
            licence_url: DEFAULT_LICENCE_URL.to_owned(),
            publisher: "Communs".to_owned(),
            site_url: None,
        }
    }
}

impl Publication {
    /// The page of the initiative `slug` on the public website, when there is one.
    pub fn page_of(&self, slug: &str) -> Option<String> {
        self.site_url
            .as_ref()
            .map(|site| format!("{}/initiatives/{slug}", site.trim_end_matches('/')))
    }
}

/// The themes and territories an export or a feed is narrowed to.
#[derive(Debug, Clone, Default)]
pub struct Selection {
    pub filter: InitiativeFilter,
    /// The slugs of what was named, sorted: the same selection however it was written.
    pub named: Vec<String>,
}

impl Selection {
    /// Reads the `theme` and `territory` parameters (each repeatable): a theme by slug, a
    /// territory by slug or official code. Unknown ones are BAD_USER_INPUT, as is a code
    /// two kinds of territory share (give the slug then).
    pub async fn read(db: &DatabaseConnection, query: &[(String, String)]) -> AppResult<Self> {
        let mut selection = Self::default();
        for (name, value) in query {
            let value = value.trim();
            match name.as_str() {
                "theme" => {
                    let theme = reference::theme_by_slug(db, value).await?.ok_or_else(|| {
                        AppError::bad_input("theme", format!("no theme with the slug `{value}`"))
                    })?;
                    selection.filter.theme_ids.push(theme.id);
                    selection.named.push(format!("theme={}", theme.slug));
                }
                "territory" => {
                    let territory = territory(db, value).await?;
                    selection.filter.territory_ids.push(territory.id);
                    selection
                        .named
                        .push(format!("territory={}", territory.slug));
                }
                _ => {}
            }
        }
        if selection.filter.theme_ids.len() > MAX_VALUES
            || selection.filter.territory_ids.len() > MAX_VALUES
        {
            return Err(AppError::bad_input(
                "theme",
                format!("at most {MAX_VALUES} themes and {MAX_VALUES} territories"),
            ));
        }
        selection.named.sort();
        selection.named.dedup();
        Ok(selection)
    }
}

async fn territory(db: &DatabaseConnection, value: &str) -> AppResult<territory::Model> {
    if let Some(found) = reference::territory_by_slug(db, value).await? {
        return Ok(found);
    }
    let mut by_code = reference::territories_by_code(db, None, value).await?;
    match by_code.len() {
        1 => Ok(by_code.remove(0)),
        0 => Err(AppError::bad_input(
            "territory",
            format!("no territory with the slug or official code `{value}`"),
        )),
        _ => Err(AppError::bad_input(
            "territory",
            format!(
                "`{value}` is the code of several territories ({}): give the slug",
                by_code
                    .iter()
                    .map(|territory| territory.slug.as_str())
                    .collect::<Vec<_>>()
                    .join(", ")
            ),
        )),
    }
}
