//! Counts of initiatives for dashboards.

use async_graphql::{Context, Object, Result, SimpleObject};

use super::{
    context::{ContextExt, load_in_order},
    enums::{Audience, OrganisationKind, TerritoryKind},
    initiative::InitiativeFilter,
    territory::Territory,
    theme::Theme,
};
use crate::{domain::initiative_query, store};

fn count(total: u64) -> i32 {
    i32::try_from(total).unwrap_or(i32::MAX)
}

#[derive(Default)]
pub struct StatsQuery;

#[Object]
impl StatsQuery {
    /// Counts of the initiatives the caller may see that match `filter`, overall and per
    /// theme, territory, month of start, audience and kind of organisation. Each count is
    /// the `totalCount` of `initiatives` with the same filter narrowed to that bucket.
    async fn stats(
        &self,
        #[graphql(desc = "Criteria the counted initiatives must meet.")] filter: Option<
            InitiativeFilter,
        >,
    ) -> Result<InitiativeStats> {
        Ok(InitiativeStats {
            filter: filter.unwrap_or_default().parse()?,
        })
    }
}

/// The counts of `stats`, each computed when asked for.
pub struct InitiativeStats {
    filter: initiative_query::InitiativeFilter,
}

/// Counts of initiatives, for dashboards. A breakdown lists only its non-empty buckets, the
/// largest first (ties by name, or in the order of the enum), except months, in order. An initiative with several
/// themes, territories, audiences or organisations counts in each of their buckets, once
/// per bucket; one without any (or without a start date) is in no bucket of that
/// breakdown, so a breakdown may add up to more or less than `total`.
#[Object]
impl InitiativeStats {
    /// How many initiatives match the filter: `initiatives(filter).totalCount`.
    async fn total(&self, ctx: &Context<'_>) -> Result<i32> {
        let state = ctx.state()?;
        Ok(count(
            store::stats::total(&state.db, &state.stats, &state.scope, &self.filter).await?,
        ))
    }

    /// Per top-level theme, the initiatives with it or one of its sub-themes (as the filter
    /// `themeIds: [theme]` counts them).
    async fn by_theme(&self, ctx: &Context<'_>) -> Result<Vec<ThemeCount>> {
        let state = ctx.state()?;
        let buckets =
            store::stats::by_theme(&state.db, &state.stats, &state.scope, &self.filter).await?;
        let themes =
            load_in_order(state.loaders.theme(), buckets.iter().map(|(id, _)| *id)).await?;
        let mut counts: Vec<ThemeCount> = themes
            .into_iter()
            .zip(buckets)
            .map(|(theme, (_, total))| ThemeCount {
                theme: Theme(theme),
                count: count(total),
            })
            .collect();
        counts.sort_by(|a, b| {
            b.count
                .cmp(&a.count)
                .then_with(|| a.theme.0.sort_name.cmp(&b.theme.0.sort_name))
        });
        Ok(counts)
    }

    /// Per territory of the given kind, the initiatives on it or on a territory it contains,
    /// at any depth (as the filter `territoryIds: [territory]` counts them). An initiative
    /// placed only on a larger territory (the region, for departments) is in no bucket.
    async fn by_territory(
        &self,
        ctx: &Context<'_>,
        #[graphql(
            desc = "The kind of territory to count by.",
            default_with = "TerritoryKind::Department"
        )]
        kind: TerritoryKind,
    ) -> Result<Vec<TerritoryCount>> {
        let state = ctx.state()?;
        let buckets = store::stats::by_territory(
            &state.db,
            &state.stats,
            &state.scope,
            &self.filter,
            kind.into(),
        )
        .await?;
        let territories =
            load_in_order(state.loaders.territory(), buckets.iter().map(|(id, _)| *id)).await?;
        let mut counts: Vec<TerritoryCount> = territories
            .into_iter()
            .zip(buckets)
            .map(|(territory, (_, total))| TerritoryCount {
                territory: Territory(territory),
                count: count(total),
            })
            .collect();
        counts.sort_by(|a, b| {
            b.count
                .cmp(&a.count)
                .then_with(|| a.territory.0.sort_name.cmp(&b.territory.0.sort_name))
        });
        Ok(counts)
    }

    /// Per month of start, oldest first, the initiatives started in it (as the filter
    /// `startedFrom` / `startedTo` on its first and last days counts them). Initiatives
    /// without a start date are in no month.
    async fn by_start_month(&self, ctx: &Context<'_>) -> Result<Vec<MonthCount>> {
        let state = ctx.state()?;
        let mut buckets =
            store::stats::by_start_month(&state.db, &state.stats, &state.scope, &self.filter)
                .await?;
        buckets.sort();
        Ok(buckets
            .into_iter()
            .map(|(month, total)| MonthCount {
                month,
                count: count(total),
            })
            .collect())
    }

    /// Per audience, the initiatives for it (as the filter `audiences: [audience]` counts
    /// them).
    async fn by_audience(&self, ctx: &Context<'_>) -> Result<Vec<AudienceCount>> {
        let state = ctx.state()?;
        let mut buckets =
            store::stats::by_audience(&state.db, &state.stats, &state.scope, &self.filter).await?;
        buckets.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(&b.0)));
        Ok(buckets
            .into_iter()
            .map(|(audience, total)| AudienceCount {
                audience: audience.into(),
                count: count(total),
            })
            .collect())
    }

    /// Per kind of organisation, the initiatives involving at least one organisation of that
    /// kind, whatever its role (as the filter `organisationIds` with every organisation of
    /// that kind counts them).
    async fn by_organisation_kind(&self, ctx: &Context<'_>) -> Result<Vec<OrganisationKindCount>> {
        let state = ctx.state()?;
        let mut buckets =
            store::stats::by_organisation_kind(&state.db, &state.stats, &state.scope, &self.filter)
                .await?;
        buckets.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(&b.0)));
        Ok(buckets
            .into_iter()
            .map(|(kind, total)| OrganisationKindCount {
                kind: kind.into(),
                count: count(total),
            })
            .collect())
    }
}

/// Initiatives under one top-level theme.
#[derive(SimpleObject)]
pub struct ThemeCount {
    /// The top-level theme.
    pub theme: Theme,
    /// Initiatives with it or one of its sub-themes.
    pub count: i32,
}

/// Initiatives on one territory.
#[derive(SimpleObject)]
pub struct TerritoryCount {
    /// The territory.
    pub territory: Territory,
    /// Initiatives on it or on what it contains.
    pub count: i32,
}

/// Initiatives started in one month.
#[derive(SimpleObject)]
pub struct MonthCount {
    /// The month, as `YYYY-MM`.
    pub month: String,
    /// Initiatives started in it.
    pub count: i32,
}

/// Initiatives for one audience.
#[derive(SimpleObject)]
pub struct AudienceCount {
    /// The audience.
    pub audience: Audience,
    /// Initiatives for it.
    pub count: i32,
}

/// Initiatives involving one kind of organisation.
#[derive(SimpleObject)]
pub struct OrganisationKindCount {
    /// The kind of organisation.
    pub kind: OrganisationKind,
    /// Initiatives involving an organisation of that kind.
    pub count: i32,
}
