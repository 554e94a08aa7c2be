//! Counts of initiatives for dashboards. The public's dashboards of the whole catalogue
//! and of one territory read the counts kept in the writing transaction
//! (`dashboard_tally`, see `facets`); every other is one grouped SQL statement per figure
//! over the initiatives a list with the same filter shows. Each bucket counts what the
//! list filtered on that bucket counts: an initiative with two sub-themes of one theme
//! counts once for it.

use entity::{
    enums::{Audience, OrganisationKind, TerritoryKind},
    initiative,
};
use sea_orm::{
    ActiveEnum, ConnectionTrait, DatabaseConnection, DbBackend, QuerySelect, QueryTrait, Statement,
    TryGetable, Value,
};
use uuid::Uuid;

use super::{
    facets::{self, Tally},
    initiatives,
    sql::for_backend_from,
    stats_cache::StatsCache,
};
use crate::{
    domain::{initiative_query::InitiativeFilter, visibility::ContributionScope},
    error::{AppError, AppResult},
};

/// A count per value of something.
pub type Buckets<K> = Vec<(K, u64)>;

/// Runs `outer` (SQL after `WITH RECURSIVE matched AS (...)`, with `?` marks for `values`)
/// over the ids of the initiatives matching the filter; each row is a `key` and a `total`.
async fn grouped<K: TryGetable + Clone + Send + Sync + 'static>(
    db: &DatabaseConnection,
    cache: &StatsCache,
    scope: &ContributionScope,
    filter: &InitiativeFilter,
    outer: &str,
    values: Vec<Value>,
) -> AppResult<Buckets<K>> {
    let backend = db.get_database_backend();
    // A public dashboard of a theme on a territory starts from the kept facets' range.
    let (matched, mut bound) = match facets::answering(scope, filter) {
        Some(facet) if filter.facet_alone() => facets::ids(backend, facet),
        _ => {
            let matched = initiatives::select(backend, scope, filter)
                .select_only()
                .column(initiative::Column::Id)
                .build(backend);
            (
                matched.sql,
                matched.values.map(|values| values.0).unwrap_or_default(),
            )
        }
    };
    let sql = format!(
        "WITH RECURSIVE matched AS ({matched}), {}",
        for_backend_from(backend, outer, bound.len() + 1)
    );
    bound.extend(values);
    let key = format!("{sql} {bound:?}");
    cache
        .get_or_compute(key, async {
            let rows = db
                .query_all_raw(Statement::from_sql_and_values(backend, sql, bound))
                .await?;
            rows.iter()
                .map(|row| {
                    let total: i64 = row.try_get("", "total")?;
                    Ok((
                        row.try_get("", "key")?,
                        u64::try_from(total).unwrap_or_default(),
                    ))
                })
                .collect()
        })
        .await
}

/// How many initiatives match.
#[tracing::instrument(skip(db, cache))]
pub async fn total(
    db: &DatabaseConnection,
    cache: &StatsCache,
    scope: &ContributionScope,
    filter: &InitiativeFilter,
) -> AppResult<u64> {
    if let Some(territory) = facets::tallied(scope, filter) {
        let kept = kept(db, cache, territory, Tally::Total).await?;
        return Ok(kept.first().map_or(0, |(_, _, total)| *total));
    }
    let rows: Buckets<i32> = grouped(
        db,
        cache,
        scope,
        filter,
        "counted AS (SELECT COUNT(*) AS total FROM matched) SELECT 0 AS key, total FROM counted",
        Vec::new(),
    )
    .await?;
    Ok(rows.first().map_or(0, |(_, total)| *total))
}

/// Per top-level theme, the initiatives with it or any theme below it.
#[tracing::instrument(skip(db, cache))]
pub async fn by_theme(
    db: &DatabaseConnection,
    cache: &StatsCache,
    scope: &ContributionScope,
    filter: &InitiativeFilter,
) -> AppResult<Buckets<Uuid>> {
    if let Some(territory) = facets::tallied(scope, filter) {
        return Ok(by_id(kept(db, cache, territory, Tally::Theme).await?));
    }
    grouped(
        db,
        cache,
        scope,
        filter,
        // Themes have two levels: a theme's top-level theme is its parent, or itself.
        "themed AS (\
             SELECT COALESCE(t.parent_id, t.id) AS top, it.initiative_id AS initiative_id \
             FROM matched m JOIN initiative_theme it ON it.initiative_id = m.id \
             JOIN theme t ON t.id = it.theme_id\
         ) SELECT top AS key, COUNT(DISTINCT initiative_id) AS total FROM themed GROUP BY top",
        Vec::new(),
    )
    .await
}

/// Per territory of `kind`, the initiatives on it or on anything it contains, at any depth.
#[tracing::instrument(skip(db, cache))]
pub async fn by_territory(
    db: &DatabaseConnection,
    cache: &StatsCache,
    scope: &ContributionScope,
    filter: &InitiativeFilter,
    kind: TerritoryKind,
) -> AppResult<Buckets<Uuid>> {
    if let Some(territory) = facets::tallied(scope, filter) {
        let kind = Tally::Territory(kind.as_str());
        return Ok(by_id(kept(db, cache, territory, kind).await?));
    }
    grouped(
        db,
        cache,
        scope,
        filter,
        // Up from the territories of the matched initiatives to their ancestors, through
        // the kept closure of the hierarchy, rather than down from every territory of the
        // kind: a department's dashboard reads its few dozen territories, not all the
        // country's.
        "linked AS (\
             SELECT it.initiative_id AS initiative_id, tc.ancestor_id AS ancestor_id \
             FROM matched m JOIN initiative_territory it ON it.initiative_id = m.id \
             JOIN territory_closure tc ON tc.descendant_id = it.territory_id\
         ) SELECT l.ancestor_id AS key, COUNT(DISTINCT l.initiative_id) AS total \
         FROM linked l JOIN territory t ON t.id = l.ancestor_id AND t.kind = ? \
         GROUP BY l.ancestor_id",
        vec![kind.as_str().into()],
    )
    .await
}

/// Per month of start (`YYYY-MM`), the initiatives started in it; those without a start date
/// are in no month.
#[tracing::instrument(skip(db, cache))]
pub async fn by_start_month(
    db: &DatabaseConnection,
    cache: &StatsCache,
    scope: &ContributionScope,
    filter: &InitiativeFilter,
) -> AppResult<Buckets<String>> {
    if let Some(territory) = facets::tallied(scope, filter) {
        return Ok(by_text(kept(db, cache, territory, Tally::Month).await?));
    }
    let month = match db.get_database_backend() {
        DbBackend::Postgres => "to_char(i.started_on, 'YYYY-MM')",
        _ => "substr(i.started_on, 1, 7)",
    };
    grouped(
        db,
        cache,
        scope,
        filter,
        &format!(
            "months AS (\
                 SELECT {month} AS month FROM matched m JOIN initiative i ON i.id = m.id \
                 WHERE i.started_on IS NOT NULL\
             ) SELECT month AS key, COUNT(*) AS total FROM months GROUP BY month"
        ),
        Vec::new(),
    )
    .await
}

/// Per audience, the initiatives for it.
#[tracing::instrument(skip(db, cache))]
pub async fn by_audience(
    db: &DatabaseConnection,
    cache: &StatsCache,
    scope: &ContributionScope,
    filter: &InitiativeFilter,
) -> AppResult<Buckets<Audience>> {
    if let Some(territory) = facets::tallied(scope, filter) {
        let kept = by_text(kept(db, cache, territory, Tally::Audience).await?);
        return parse_keys(kept, Audience::try_from_value);
    }
    let rows: Buckets<String> = grouped(
        db,
        cache,
        scope,
        filter,
        "audiences AS (\
             SELECT ia.audience AS audience FROM matched m \
             JOIN initiative_audience ia ON ia.initiative_id = m.id\
         ) SELECT audience AS key, COUNT(*) AS total FROM audiences GROUP BY audience",
        Vec::new(),
    )
    .await?;
    parse_keys(rows, Audience::try_from_value)
}

/// Per kind of organisation, the initiatives involving at least one organisation of that
/// kind, whatever its role.
#[tracing::instrument(skip(db, cache))]
pub async fn by_organisation_kind(
    db: &DatabaseConnection,
    cache: &StatsCache,
    scope: &ContributionScope,
    filter: &InitiativeFilter,
) -> AppResult<Buckets<OrganisationKind>> {
    if let Some(territory) = facets::tallied(scope, filter) {
        let kept = by_text(kept(db, cache, territory, Tally::OrganisationKind).await?);
        return parse_keys(kept, OrganisationKind::try_from_value);
    }
    let rows: Buckets<String> = grouped(
        db,
        cache,
        scope,
        filter,
        "kinds AS (\
             SELECT o.kind AS kind, io.initiative_id AS initiative_id FROM matched m \
             JOIN initiative_organisation io ON io.initiative_id = m.id \
             JOIN organisation o ON o.id = io.organisation_id\
         ) SELECT kind AS key, COUNT(DISTINCT initiative_id) AS total FROM kinds GROUP BY kind",
        Vec::new(),
    )
    .await?;
    parse_keys(rows, OrganisationKind::try_from_value)
}

/// The kept counts of `territory`'s dashboard by `tally`, from memory while the figures
/// are (as computed figures are).
async fn kept(
    db: &DatabaseConnection,
    cache: &StatsCache,
    territory: Uuid,
    tally: Tally,
) -> AppResult<Vec<(String, Uuid, u64)>> {
    let key = format!("tally {territory} {tally:?}");
    cache
        .get_or_compute(key, facets::tally(db, territory, tally))
        .await
}

/// Kept counts keyed by id.
fn by_id(kept: Vec<(String, Uuid, u64)>) -> Buckets<Uuid> {
    kept.into_iter().map(|(_, id, count)| (id, count)).collect()
}

/// Kept counts keyed by text.
fn by_text(kept: Vec<(String, Uuid, u64)>) -> Buckets<String> {
    kept.into_iter()
        .map(|(text, _, count)| (text, count))
        .collect()
}

fn parse_keys<K, E: std::fmt::Debug>(
    rows: Buckets<String>,
    parse: impl Fn(&String) -> Result<K, E>,
) -> AppResult<Buckets<K>> {
    rows.into_iter()
        .map(|(key, total)| {
            parse(&key)
                .map(|key| (key, total))
                .map_err(|error| AppError::internal(format!("unknown value {key}: {error:?}")))
        })
        .collect()
}
