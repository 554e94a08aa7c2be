//! The initiative list: visibility, filters and orderings as one SQL query.

use entity::{enums::ModerationStatus, initiative, slug_alias};
use sea_orm::{
    ColumnTrait, Condition, ConnectionTrait, DatabaseConnection, DbBackend, EntityTrait, ExprTrait,
    Order, QueryFilter, QueryOrder, QuerySelect, QueryTrait, Select,
    sea_query::{Expr, JoinType, Query, SelectStatement},
};

use std::{collections::HashMap, sync::Arc};

use sea_orm::{Statement, Value};
use uuid::Uuid;

use super::{
    facets,
    linked::{Linked, with_links},
    page::{Page, TotalCount, fetch_page, fetch_page_as},
    places, search,
    sql::{among, condition, descendants_or_self, for_backend, placeholders, territories_below},
    stats_cache::StatsCache,
};
use crate::{
    domain::{
        initiative_query::{InitiativeFilter, InitiativeOrder, InitiativeOrderField, LinkedTo},
        page::{PageRequest, Window},
        place::BoundingBox,
        search::Search,
        visibility::ContributionScope,
    },
    error::AppResult,
};

/// The `kind` of an initiative's former slugs in `slug_alias`: the slugs of the initiatives
/// merged into it.
pub const INITIATIVE_ALIASES: &str = "initiative";

/// The initiatives the scope lets the caller see.
pub fn visible(scope: &ContributionScope) -> Condition {
    in_scope(
        scope,
        initiative::Column::Status,
        initiative::Column::OrganisationId,
    )
}

/// The contributions (initiatives or experiences, by their `status` and owning
/// `organisation` columns) that the scope lets the caller see.
pub fn in_scope<C: ColumnTrait>(
    scope: &ContributionScope,
    status: C,
    organisation: C,
) -> Condition {
    match scope {
        ContributionScope::PublishedOnly => {
            Condition::all().add(status.eq(ModerationStatus::Published))
        }
        ContributionScope::PublishedAndOrganisation(own) => Condition::any()
            .add(status.eq(ModerationStatus::Published))
            .add(organisation.eq(*own)),
        ContributionScope::Everything => Condition::all(),
    }
}

/// [`visible`] as raw SQL over the initiative table aliased `alias`, with its values.
pub fn visible_sql(scope: &ContributionScope, alias: &str) -> (String, Vec<Value>) {
    let published = Value::from(ModerationStatus::Published.as_str());
    match scope {
        ContributionScope::PublishedOnly => (format!("{alias}.status = ?"), vec![published]),
        ContributionScope::PublishedAndOrganisation(own) => (
            format!("({alias}.status = ? OR {alias}.organisation_id = ?)"),
            vec![published, Value::from(*own)],
        ),
        ContributionScope::Everything => ("1 = 1".to_owned(), Vec::new()),
    }
}

/// The initiatives of `scope` that match `filter`, unordered.
pub fn select(
    backend: DbBackend,
    scope: &ContributionScope,
    filter: &InitiativeFilter,
) -> Select<initiative::Entity> {
    let mut select = initiative::Entity::find().filter(visible(scope));
    if let Some(text) = &filter.search {
        // A join rather than a condition: it also brings the rank, for RELEVANCE.
        QueryTrait::query(&mut select).join_subquery(
            JoinType::InnerJoin,
            search::matches(
                backend,
                text,
                matches!(scope, ContributionScope::PublishedOnly),
            ),
            search::MATCHES,
            Expr::col((search::MATCHES, "initiative_id"))
                .equals((initiative::Entity, initiative::Column::Id)),
        );
    }
    // The public's theme and territory come from the kept facets; the walks of the
    // hierarchies answer everyone else.
    let facet = facets::answering(scope, filter);
    if let Some(facet) = facet {
        select = facets::join(select, facet);
    }
    if !filter.theme_ids.is_empty() && facet.is_none() {
        let themes = descendants_or_self("theme", "theme", "id", "parent_id", &filter.theme_ids);
        select = select.filter(condition(
            backend,
            &format!(
                "initiative.id IN (SELECT initiative_id FROM initiative_theme WHERE {})",
                among(backend, "theme_id", &themes)
            ),
            filter.theme_ids.iter().copied(),
        ));
    }
    if !filter.territory_ids.is_empty() && facet.is_none() {
        let territories = territories_below(filter.territory_ids.len());
        select = select.filter(condition(
            backend,
            &format!(
                "initiative.id IN (SELECT initiative_id FROM initiative_territory WHERE {})",
                among(backend, "territory_id", &territories)
            ),
            filter.territory_ids.iter().copied(),
        ));
    }
    if !filter.organisation_ids.is_empty() {
        select = select.filter(condition(
            backend,
            &format!(
                "initiative.id IN (SELECT initiative_id FROM initiative_organisation \
                 WHERE organisation_id IN ({}))",
                placeholders(filter.organisation_ids.len())
            ),
            filter.organisation_ids.iter().copied(),
        ));
    }
    if !filter.audiences.is_empty() {
        select = select.filter(condition(
            backend,
            &format!(
                "initiative.id IN (SELECT initiative_id FROM initiative_audience \
                 WHERE audience IN ({}))",
                placeholders(filter.audiences.len())
            ),
            filter.audiences.iter().map(|audience| audience.as_str()),
        ));
    }
    if let Some(meeting_id) = filter.meeting_id {
        select = select.filter(condition(
            backend,
            "initiative.id IN (SELECT initiative_id FROM initiative_meeting WHERE meeting_id = ?)",
            [meeting_id],
        ));
    }
    if let Some(linked) = &filter.linked_to {
        select = select.filter(linked_to(backend, scope, linked));
    }
    if let Some(within) = &filter.within {
        select = select.filter(inside(within));
    }
    if let Some(from) = filter.started.from {
        select = select.filter(initiative::Column::StartedOn.gte(from));
    }
    if let Some(to) = filter.started.to {
        select = select.filter(initiative::Column::StartedOn.lte(to));
    }
    select
}

/// The initiatives whose place is inside the box; those without a place never are.
///
/// The bounds are written into the statement as numbers, not bound as parameters: with
/// parameters, PostgreSQL's generic plan of the prepared statement takes any box for a
/// tiny one and reads a whole country's rows to sort them for a page of 20 (117 ms instead
/// of 1 ms for France, see `bench/results/2026-12-03-map-profile.md`). They are finite
/// floats parsed at the edge, so nothing untrusted reaches the SQL.
pub fn inside(within: &BoundingBox) -> Condition {
    let between = |column: &str, low: f64, high: f64| {
        Expr::cust(format!("initiative.{column} BETWEEN {low:?} AND {high:?}"))
    };
    let longitudes = within
        .longitude_spans()
        .into_iter()
        .fold(Condition::any(), |any, (west, east)| {
            any.add(between("longitude", west, east))
        });
    Condition::all()
        .add(between("latitude", within.south, within.north))
        .add(longitudes)
}

/// The initiatives linked to `linked.id` by links of its kinds, in either direction, when
/// the scope lets the caller see that initiative: the links of a draft tell nothing to
/// those who may not see it, not even as a count.
fn linked_to(backend: DbBackend, scope: &ContributionScope, linked: &LinkedTo) -> Expr {
    let (pivot_seen, pivot_values) = visible_sql(scope, "pivot");
    let kinds = if linked.kinds.is_empty() {
        String::new()
    } else {
        format!(" AND kind IN ({})", placeholders(linked.kinds.len()))
    };
    let sql = format!(
        "EXISTS (SELECT 1 FROM initiative pivot WHERE pivot.id = ? AND {pivot_seen}) \
         AND (initiative.id IN (SELECT to_id FROM initiative_link WHERE from_id = ?{kinds}) \
              OR initiative.id IN (SELECT from_id FROM initiative_link WHERE to_id = ?{kinds}))"
    );
    let kind_values = || linked.kinds.iter().map(|kind| Value::from(kind.as_str()));
    let values = std::iter::once(Value::from(linked.id))
        .chain(pivot_values)
        .chain([Value::from(linked.id)])
        .chain(kind_values())
        .chain([Value::from(linked.id)])
        .chain(kind_values());
    condition(backend, &sql, values)
}

/// The initiative `id` when the scope lets the caller see it and it matches `filter`: the
/// rules of the list, for one initiative.
#[tracing::instrument(skip(db))]
pub async fn matching(
    db: &impl ConnectionTrait,
    scope: &ContributionScope,
    filter: &InitiativeFilter,
    id: Uuid,
) -> AppResult<Option<initiative::Model>> {
    Ok(select(db.get_database_backend(), scope, filter)
        .filter(initiative::Column::Id.eq(id))
        .one(db)
        .await?)
}

/// Orders by the chosen field, empty values last on both backends, then by id so that
/// ties have one stable order and pages never overlap.
pub fn order(
    select: Select<initiative::Entity>,
    order: InitiativeOrder,
) -> Select<initiative::Entity> {
    let direction = if order.descending {
        Order::Desc
    } else {
        Order::Asc
    };
    let (column, nullable) = match order.field {
        InitiativeOrderField::PublishedAt => (initiative::Column::PublishedAt, true),
        InitiativeOrderField::Title => (initiative::Column::TitleSort, false),
        InitiativeOrderField::StartedOn => (initiative::Column::StartedOn, true),
        InitiativeOrderField::Relevance => {
            // Rank 1 is the highest score: ascending rank is descending score.
            let score = if order.descending {
                Order::Asc
            } else {
                Order::Desc
            };
            return select
                .order_by(Expr::col((search::MATCHES, "rank")), score)
                .order_by(initiative::Column::Id, direction);
        }
    };
    let select = if nullable {
        select.order_by(Expr::col(column).is_null(), Order::Asc)
    } else {
        select
    };
    select
        .order_by(column, direction.clone())
        .order_by(initiative::Column::Id, direction)
}

/// One page of the initiatives matching `filter`, with their links when `links` is set.
#[tracing::instrument(skip(db, figures))]
pub async fn list(
    db: &DatabaseConnection,
    scope: &ContributionScope,
    filter: &InitiativeFilter,
    sort: InitiativeOrder,
    request: PageRequest,
    links: bool,
    figures: &StatsCache,
) -> AppResult<(Page<Linked>, TotalCount)> {
    let backend = db.get_database_backend();
    let facet = facets::answering(scope, filter);
    let ordered = match facet {
        Some(_) if sort.field == InitiativeOrderField::PublishedAt => {
            facets::in_public_order(select(backend, scope, filter), sort.descending)
        }
        _ => order(select(backend, scope, filter), sort),
    };
    if sort.field == InitiativeOrderField::Relevance && !request.needs_total() {
        let ranked = Ranked {
            index_only: filter
                .search_alone()
                .filter(|_| *scope == ContributionScope::PublishedOnly)
                .map(|search| ranked_in_index(backend, search, sort)),
            select: ordered,
        };
        return ranked_page(db, figures, scope, ranked, request, links).await;
    }
    let (page, total) = if links {
        fetch_page_as(db, ordered, |rows| with_links(backend, rows), request).await?
    } else {
        let (page, total) = fetch_page(db, ordered, request).await?;
        (page.map(Linked::alone), total)
    };
    // The public's count of a map view adds up kept cells instead of reading every point.
    let total = match places::counts_inside(scope, filter) {
        Some(within) => {
            let db = db.clone();
            total.counted_by(move || {
                let db = db.clone();
                Box::pin(async move { places::published_inside(&db, &within).await })
            })
        }
        None => match facet.filter(|_| filter.facet_alone()) {
            // The public's count of a theme on a territory is the length of its range.
            Some(facet) => {
                let db = db.clone();
                total.counted_by(move || {
                    let db = db.clone();
                    Box::pin(async move { facets::count(&db, facet).await })
                })
            }
            None => total,
        },
    };
    Ok((page, total))
}

/// The rows of `select`, with their links when `links` is set.
async fn read_rows(
    db: &DatabaseConnection,
    select: Select<initiative::Entity>,
    links: bool,
) -> AppResult<Vec<Linked>> {
    Ok(if links {
        with_links(db.get_database_backend(), select)
            .into_model::<Linked>()
            .all(db)
            .await?
    } else {
        select
            .all(db)
            .await?
            .into_iter()
            .map(Linked::alone)
            .collect()
    })
}

/// How many of a search's best matches are kept with their count (25 pages of 20): pages
/// further on rank the matches again.
const KEPT_RANKS: u64 = 500;

/// A search in order of relevance: the initiatives it finds, and, when the public searches
/// with no other criterion, the same ids ranked from the index entries alone.
struct Ranked {
    select: Select<initiative::Entity>,
    /// Ids and count from the published entries of the index (see `search::matches`),
    /// without reading the initiatives: a broad search took 22 ms through them, 9 without
    /// (`personnes âgées isolées`, 3,928 published matches). The page's rows are still
    /// read through the caller's scope.
    index_only: Option<SelectStatement>,
}

/// The ids of a public search's matches in order of relevance (see [`order`]), with the
/// count of all, from the index entries of published initiatives.
fn ranked_in_index(backend: DbBackend, text: &Search, sort: InitiativeOrder) -> SelectStatement {
    let (score, direction) = if sort.descending {
        (Order::Asc, Order::Desc)
    } else {
        (Order::Desc, Order::Asc)
    };
    Query::select()
        .expr_as(Expr::col((search::MATCHES, "initiative_id")), "id")
        .expr_as(Expr::cust("COUNT(*) OVER ()"), "total")
        .from_subquery(search::matches(backend, text, true), search::MATCHES)
        .order_by((search::MATCHES, "rank"), score)
        .order_by((search::MATCHES, "initiative_id"), direction)
        .take()
}

/// The ids of a search's best matches, best first, and how many match in all.
#[derive(Clone)]
struct Ranking {
    ids: Arc<[Uuid]>,
    total: u64,
}

/// One page of a search in order of relevance, with the count of its matches. Ranking
/// reads every match anyway: the ids of the page and the count come from that one pass
/// (`COUNT(*) OVER ()`), and only the page's rows are read whole. Reading every match's
/// whole row to rank it, then every match again to count them, took 33 + 19 ms for a
/// search matching 4,000 initiatives on PostgreSQL; the request now takes 19.
///
/// The best matches and the count are kept with the figures of `stats` (keyed by the
/// ranking's SQL and values, so by scope and filter too): the next pages, and the same
/// search asked again, then cost only the reading of the page's rows.
async fn ranked_page(
    db: &DatabaseConnection,
    figures: &StatsCache,
    scope: &ContributionScope,
    ranked: Ranked,
    request: PageRequest,
    links: bool,
) -> AppResult<(Page<Linked>, TotalCount)> {
    let window = request.window(None);
    let end = window.offset + window.limit;
    let (ids, found_extra_row, total) = if figures.keeps() && end < KEPT_RANKS {
        let ranking = ranking(db, figures, &ranked).await?;
        let kept = |position: u64| (position as usize).min(ranking.ids.len());
        (
            ranking.ids[kept(window.offset)..kept(end)].to_vec(),
            ranking.total > end,
            Some(ranking.total),
        )
    } else {
        let found = ranked_ids(&ranked, window.offset, window.limit + 1, db).await?;
        let found_extra_row = found.len() as u64 > window.limit;
        // Past the last match no row says how many there are: counted if asked.
        let total = found.first().map(|(_, total)| *total);
        let ids = found
            .iter()
            .take(window.limit as usize)
            .map(|(id, _)| *id)
            .collect();
        (ids, found_extra_row, total)
    };
    let mut rows: HashMap<Uuid, Linked> = if ids.is_empty() {
        HashMap::new()
    } else {
        let page_rows = initiative::Entity::find()
            .filter(visible(scope))
            .filter(initiative::Column::Id.is_in(ids.iter().copied()));
        read_rows(db, page_rows, links)
            .await?
            .into_iter()
            .map(|row| (row.model.id, row))
            .collect()
    };
    let page = Page {
        rows: ids.iter().filter_map(|id| rows.remove(id)).collect(),
        offset: window.offset,
        has_next_page: request.has_next_page(found_extra_row),
        has_previous_page: window.offset > 0,
    };
    Ok((page, TotalCount::of(db, &ranked.select, total)))
}

/// The [`KEPT_RANKS`] best matches of `ranked` and their count, from `figures` when kept.
async fn ranking(
    db: &DatabaseConnection,
    figures: &StatsCache,
    ranked: &Ranked,
) -> AppResult<Ranking> {
    let backend = db.get_database_backend();
    let statement = match &ranked.index_only {
        Some(index_only) => backend.build(index_only),
        None => ranked
            .select
            .clone()
            .select_only()
            .column(initiative::Column::Id)
            .build(backend),
    };
    let key = format!("ranking {} {:?}", statement.sql, statement.values);
    figures
        .get_or_compute(key, async {
            let found = ranked_ids(ranked, 0, KEPT_RANKS, db).await?;
            Ok(Ranking {
                total: found.first().map_or(0, |(_, total)| *total),
                ids: found.into_iter().map(|(id, _)| id).collect(),
            })
        })
        .await
}

/// The ids of `ranked` from `offset` on, `limit` at most, each with the count of all.
async fn ranked_ids(
    ranked: &Ranked,
    offset: u64,
    limit: u64,
    db: &DatabaseConnection,
) -> AppResult<Vec<(Uuid, u64)>> {
    let found: Vec<(Uuid, i64)> = match &ranked.index_only {
        Some(index_only) => {
            let statement = db
                .get_database_backend()
                .build(index_only.clone().offset(offset).limit(limit));
            let mut found = Vec::new();
            for row in db.query_all_raw(statement).await? {
                found.push((row.try_get("", "id")?, row.try_get("", "total")?));
            }
            found
        }
        None => {
            ranked
                .select
                .clone()
                .select_only()
                .column(initiative::Column::Id)
                .column_as(Expr::cust("COUNT(*) OVER ()"), "total")
                .offset(offset)
                .limit(limit)
                .into_tuple()
                .all(db)
                .await?
        }
    };
    Ok(found
        .into_iter()
        .map(|(id, total)| (id, u64::try_from(total).unwrap_or(0)))
        .collect())
}

/// The initiative with this slug, if the caller may see it, with its links when `links`
/// is set.
#[tracing::instrument(skip(db))]
pub async fn by_slug(
    db: &DatabaseConnection,
    scope: &ContributionScope,
    slug: &str,
    links: bool,
) -> AppResult<Option<Linked>> {
    let found = initiative::Entity::find()
        .filter(visible(scope))
        .filter(initiative::Column::Slug.eq(slug))
        .limit(1);
    if let Some(found) = read_rows(db, found, links).await?.into_iter().next() {
        return Ok(Some(found));
    }
    // The slug of an initiative merged into another leads to the one kept.
    let Some(alias) =
        slug_alias::Entity::find_by_id((INITIATIVE_ALIASES.to_owned(), slug.to_owned()))
            .one(db)
            .await?
    else {
        return Ok(None);
    };
    let kept = initiative::Entity::find()
        .filter(visible(scope))
        .filter(initiative::Column::Id.eq(alias.target_id))
        .limit(1);
    Ok(read_rows(db, kept, links).await?.into_iter().next())
}

/// The initiatives of several territories at once (each with everything it contains, at any
/// depth), so that a list of territories with their initiatives costs two statements, not
/// two per territory. Each territory is a `root`, with everything below it.
fn per_territory_sql(roots: usize, visible: &str) -> String {
    format!(
        "WITH reached(root, id) AS (\
             SELECT ancestor_id, descendant_id FROM territory_closure \
             WHERE ancestor_id IN ({roots})\
         ), matches AS (\
             SELECT DISTINCT r.root AS root, it.initiative_id AS initiative_id \
             FROM reached r JOIN initiative_territory it ON it.territory_id = r.id\
         ), visible AS (\
             SELECT m.root AS root, i.id AS id, i.published_at AS published_at \
             FROM matches m JOIN initiative i ON i.id = m.initiative_id \
             WHERE {visible}\
         )",
        roots = placeholders(roots),
    )
}

/// The SQL of [`per_territory_sql`] for `scope`, with its values.
fn per_territory(scope: &ContributionScope, territory_ids: &[Uuid]) -> (String, Vec<Value>) {
    let (visible, visible_values) = visible_sql(scope, "i");
    let values = territory_ids
        .iter()
        .map(|id| Value::from(*id))
        .chain(visible_values)
        .collect();
    (per_territory_sql(territory_ids.len(), &visible), values)
}

/// For each territory, the ids of its initiatives in the window, newest publication first
/// (the default order), with one more row than the window when there is one.
#[tracing::instrument(skip(db))]
pub async fn page_per_territory(
    db: &DatabaseConnection,
    scope: &ContributionScope,
    territory_ids: &[Uuid],
    window: Window,
) -> AppResult<HashMap<Uuid, Vec<Uuid>>> {
    let backend = db.get_database_backend();
    let (walk, mut values) = per_territory(scope, territory_ids);
    let sql = format!(
        "{walk} SELECT root, id FROM (\
             SELECT root, id, ROW_NUMBER() OVER (PARTITION BY root \
                 ORDER BY (published_at IS NULL) ASC, published_at DESC, id DESC) AS rank \
             FROM visible\
         ) ranked WHERE rank > ? AND rank <= ? ORDER BY root, rank"
    );
    values.push(Value::from(window.offset as i64));
    values.push(Value::from((window.offset + window.limit + 1) as i64));
    let rows = db
        .query_all_raw(Statement::from_sql_and_values(
            backend,
            for_backend(backend, &sql),
            values,
        ))
        .await?;
    let mut pages: HashMap<Uuid, Vec<Uuid>> = HashMap::new();
    for row in rows {
        let root: Uuid = row.try_get("", "root")?;
        let id: Uuid = row.try_get("", "id")?;
        pages.entry(root).or_default().push(id);
    }
    Ok(pages)
}

/// For each territory, how many initiatives it and what it contains hold.
#[tracing::instrument(skip(db))]
pub async fn count_per_territory(
    db: &DatabaseConnection,
    scope: &ContributionScope,
    territory_ids: &[Uuid],
) -> AppResult<HashMap<Uuid, u64>> {
    let backend = db.get_database_backend();
    let (walk, values) = per_territory(scope, territory_ids);
    let sql = format!("{walk} SELECT root, COUNT(*) AS total FROM visible GROUP BY root");
    let rows = db
        .query_all_raw(Statement::from_sql_and_values(
            backend,
            for_backend(backend, &sql),
            values,
        ))
        .await?;
    let mut counts = HashMap::new();
    for row in rows {
        let root: Uuid = row.try_get("", "root")?;
        let total: i64 = row.try_get("", "total")?;
        counts.insert(root, u64::try_from(total).unwrap_or_default());
    }
    Ok(counts)
}
