//! The full-text index of initiatives, on PostgreSQL (`tsvector` under a GIN index) and on
//! SQLite (FTS5). Both are fed the terms of `domain::search`, and queried with them, so both
//! find the same initiatives; only the relevance scores differ (`ts_rank`, `bm25`).
//!
//! Every write of an initiative goes through [`index_initiative`], in the transaction of the
//! write.

use entity::initiative;
use sea_orm::{
    ConnectionTrait, DatabaseConnection, DbBackend, EntityTrait, QueryFilter, QueryOrder,
    QuerySelect, Statement, TransactionTrait, Value,
    sea_query::{Expr, Query, SelectStatement},
};
use uuid::Uuid;

use super::{
    initiatives::visible_sql,
    sql::{condition, for_backend, placeholders},
};
use crate::{
    domain::{
        search::{Clause, Draft, Search, SearchDocument, TermSets, similarity},
        visibility::ContributionScope,
    },
    error::AppResult,
};

/// The alias of the matches joined to an initiative query, with columns `initiative_id` and
/// `rank` (higher is more relevant).
pub const MATCHES: &str = "search_match";

/// Weight of the title against the rest of the text, in SQLite's `bm25`. PostgreSQL's
/// `ts_rank` weighs title terms (label A) 1.0 and the others (label D) 0.1.
const BM25: &str = "bm25(initiative_search, 4.0, 1.0)";

/// The position gap between the title and the body in a `tsvector`: a phrase never spans
/// them, as it never spans two FTS5 columns.
const TITLE_BODY_GAP: usize = 2;

/// An FTS5 query: the clauses joined by `operator` (a space: all must match; ` OR `: any),
/// a phrase as consecutive terms. Terms are only letters and digits, so quoting them is
/// safe.
fn fts5_query(clauses: &[Clause], operator: &str) -> String {
    clauses
        .iter()
        .map(|clause| format!("\"{}\"", clause.terms().join(" ")))
        .collect::<Vec<_>>()
        .join(operator)
}

/// A `tsquery` in its text form, the clauses joined by `operator` (` & ` or ` | `), cast by
/// the database rather than parsed, so that the terms are taken as they are.
fn tsquery(clauses: &[Clause], operator: &str) -> String {
    clauses
        .iter()
        .map(|clause| match clause {
            Clause::Term(term) => format!("'{term}'"),
            Clause::Phrase(terms) => format!(
                "({})",
                terms
                    .iter()
                    .map(|term| format!("'{term}'"))
                    .collect::<Vec<_>>()
                    .join(" <-> ")
            ),
        })
        .collect::<Vec<_>>()
        .join(operator)
}

/// A `tsvector` in its text form: title terms at positions 1.. with weight A, body terms
/// after a gap.
fn tsvector(document: &SearchDocument) -> String {
    let title = document
        .title
        .iter()
        .enumerate()
        .map(|(index, term)| format!("'{term}':{}A", index + 1));
    let offset = document.title.len() + TITLE_BODY_GAP;
    let body = document
        .body
        .iter()
        .enumerate()
        .map(|(index, term)| format!("'{term}':{}", (offset + index).min(16_383)));
    title.chain(body).collect::<Vec<_>>().join(" ")
}

/// The initiatives matching `search`, as a subquery with `initiative_id` and `rank`; only
/// published ones when `published_only` (from the flag the index entries keep, see the
/// migration `search_published`: the caller still checks the initiatives' status).
pub fn matches(backend: DbBackend, search: &Search, published_only: bool) -> SelectStatement {
    let mut query = Query::select();
    match backend {
        DbBackend::Postgres => {
            let text = tsquery(&search.clauses, " & ");
            query
                .expr_as(
                    Expr::cust("initiative_search.initiative_id"),
                    "initiative_id",
                )
                .expr_as(
                    condition(
                        backend,
                        "ts_rank(initiative_search.document, CAST(? AS tsquery))",
                        [text.clone()],
                    ),
                    "rank",
                )
                .from("initiative_search");
            if search.is_void() {
                query.and_where(Expr::cust("1 = 0"));
            } else {
                if published_only {
                    // The partial GIN index holds the published entries alone.
                    query.and_where(Expr::cust("initiative_search.published"));
                }
                query.and_where(condition(
                    backend,
                    "initiative_search.document @@ CAST(? AS tsquery)",
                    [text],
                ));
                // OFFSET 0 keeps the matches a subquery of their own, found through the GIN
                // index: merged into the page's query, they were read by a parallel
                // sequential scan in rank order (27 ms against 8 ms for `masques` on 50,000
                // initiatives).
                query.offset(0);
            }
        }
        _ => {
            query
                .expr_as(
                    Expr::cust("initiative_search_entry.initiative_id"),
                    "initiative_id",
                )
                .expr_as(Expr::cust(format!("-{BM25}")), "rank")
                .from("initiative_search")
                .inner_join(
                    "initiative_search_entry",
                    Expr::cust("initiative_search_entry.id = initiative_search.rowid"),
                );
            if search.is_void() {
                query.and_where(Expr::cust("1 = 0"));
            } else {
                query.and_where(condition(
                    backend,
                    "initiative_search MATCH ?",
                    [fts5_query(&search.clauses, " ")],
                ));
                if published_only {
                    query.and_where(Expr::cust("initiative_search_entry.published"));
                }
            }
        }
    }
    query.take()
}

/// Writes the index entry of one initiative from its stored text (or removes it when the
/// initiative is gone). Call it in the transaction of every write of an initiative.
#[tracing::instrument(skip(db))]
pub async fn index_initiative<C: ConnectionTrait>(db: &C, id: Uuid) -> AppResult<()> {
    let backend = db.get_database_backend();
    let Some(found) = initiative::Entity::find_by_id(id).one(db).await? else {
        let sql = match backend {
            DbBackend::Postgres => "DELETE FROM initiative_search WHERE initiative_id = ?",
            _ => "DELETE FROM initiative_search_entry WHERE initiative_id = ?",
        };
        execute(db, sql, vec![id.into()]).await?;
        return Ok(());
    };
    write_entries(db, &[found]).await
}

/// The terms of an initiative's title, and of the rest of its text.
fn document_of(found: &initiative::Model) -> SearchDocument {
    SearchDocument::new(
        &found.title,
        &[
            Some(found.summary.as_str()),
            found.description.as_deref(),
            found.outcomes.as_deref(),
            found.continuation.as_deref(),
        ],
    )
}

/// How many index entries one PostgreSQL statement writes (4 values each).
const ENTRIES_PER_STATEMENT: usize = 1_000;

/// Writes (or rewrites) the index entries of `initiatives`.
async fn write_entries<C: ConnectionTrait>(
    db: &C,
    initiatives: &[initiative::Model],
) -> AppResult<()> {
    let backend = db.get_database_backend();
    match backend {
        DbBackend::Postgres => {
            for chunk in initiatives.chunks(ENTRIES_PER_STATEMENT) {
                let mut values = Vec::with_capacity(chunk.len() * 4);
                for found in chunk {
                    let document = document_of(found);
                    values.extend([
                        found.id.into(),
                        document.title.join(" ").into(),
                        document.body.join(" ").into(),
                        tsvector(&document).into(),
                    ]);
                }
                let rows = vec!["(?, ?, ?, CAST(? AS tsvector))"; chunk.len()].join(", ");
                let sql = format!(
                    "INSERT INTO initiative_search (initiative_id, title, body, document) \
                     VALUES {rows} \
                     ON CONFLICT (initiative_id) DO UPDATE SET title = excluded.title, \
                     body = excluded.body, document = excluded.document"
                );
                execute(db, &sql, values).await?;
            }
        }
        // SQLite is in-process: a statement per row costs no round trip.
        _ => {
            for found in initiatives {
                let document = document_of(found);
                let entry = db
                    .query_one_raw(Statement::from_sql_and_values(
                        backend,
                        "INSERT INTO initiative_search_entry (initiative_id) VALUES (?) \
                         ON CONFLICT (initiative_id) DO UPDATE SET initiative_id = excluded.initiative_id \
                         RETURNING id",
                        [found.id.into()],
                    ))
                    .await?
                    .ok_or_else(|| crate::error::AppError::internal("no search entry returned"))?;
                let rowid: i64 = entry.try_get("", "id")?;
                execute(
                    db,
                    "DELETE FROM initiative_search WHERE rowid = ?",
                    vec![rowid.into()],
                )
                .await?;
                execute(
                    db,
                    "INSERT INTO initiative_search (rowid, title, body) VALUES (?, ?, ?)",
                    vec![
                        rowid.into(),
                        document.title.join(" ").into(),
                        document.body.join(" ").into(),
                    ],
                )
                .await?;
            }
        }
    }
    Ok(())
}

async fn execute<C: ConnectionTrait>(db: &C, sql: &str, values: Vec<Value>) -> AppResult<()> {
    let backend = db.get_database_backend();
    db.execute_raw(Statement::from_sql_and_values(
        backend,
        for_backend(backend, sql),
        values,
    ))
    .await?;
    Ok(())
}

/// How many initiatives [`index_missing`] indexes per transaction.
const MISSING_PER_TRANSACTION: u64 = 5_000;

/// Indexes every initiative that has no index entry yet (those written before the index
/// existed, or loaded in bulk), a batch per transaction. Returns how many were indexed.
#[tracing::instrument(skip(db))]
pub async fn index_missing(db: &DatabaseConnection) -> AppResult<usize> {
    let backend = db.get_database_backend();
    // NOT EXISTS, an anti-join: PostgreSQL turns `NOT IN (subquery)` into a scan of the
    // subquery per row once its result outgrows `work_mem` (about 50,000 entries).
    let unindexed = match backend {
        DbBackend::Postgres => {
            "NOT EXISTS (SELECT 1 FROM initiative_search \
             WHERE initiative_search.initiative_id = initiative.id)"
        }
        _ => {
            "NOT EXISTS (SELECT 1 FROM initiative_search_entry \
             WHERE initiative_search_entry.initiative_id = initiative.id)"
        }
    };
    let mut indexed = 0;
    loop {
        let txn = db.begin().await?;
        let batch = initiative::Entity::find()
            .filter(Expr::cust(unindexed))
            .order_by_asc(initiative::Column::Id)
            .limit(MISSING_PER_TRANSACTION)
            .all(&txn)
            .await?;
        if batch.is_empty() {
            return Ok(indexed);
        }
        write_entries(&txn, &batch).await?;
        txn.commit().await?;
        indexed += batch.len();
    }
}

/// An initiative that shares terms with a draft, with its indexed terms.
#[derive(Debug, Clone)]
pub struct Candidate {
    pub id: Uuid,
    pub terms: TermSets,
    /// Whether it is on one of the draft's territories, on a territory they contain or on
    /// one containing them.
    pub same_area: bool,
}

/// The visible initiatives sharing at least one term with `draft`, the `limit` best by the
/// engine's relevance, with whether they are on the draft's area (`territory_ids`).
#[tracing::instrument(skip(db))]
pub async fn candidates(
    db: &DatabaseConnection,
    scope: &ContributionScope,
    draft: &TermSets,
    territory_ids: &[Uuid],
    limit: u64,
) -> AppResult<Vec<Candidate>> {
    let backend = db.get_database_backend();
    let mut terms: Vec<&String> = draft.all().collect();
    terms.sort();
    if terms.is_empty() {
        return Ok(Vec::new());
    }
    let clauses: Vec<Clause> = terms.into_iter().cloned().map(Clause::Term).collect();
    let (visible, visible_values) = visible_sql(scope, "i");

    let mut values: Vec<Value> = Vec::new();
    let (area, same_area) = if territory_ids.is_empty() {
        (String::new(), "0".to_owned())
    } else {
        let roots = placeholders(territory_ids.len());
        for _ in 0..2 {
            values.extend(territory_ids.iter().map(|id| Value::from(*id)));
        }
        (
            format!(
                "WITH RECURSIVE down(id) AS (\
                     SELECT id FROM territory WHERE id IN ({roots}) \
                     UNION SELECT tp.child_id FROM territory_parent tp JOIN down d ON tp.parent_id = d.id\
                 ), up(id) AS (\
                     SELECT id FROM territory WHERE id IN ({roots}) \
                     UNION SELECT tp.parent_id FROM territory_parent tp JOIN up u ON tp.child_id = u.id\
                 ) "
            ),
            "CASE WHEN EXISTS (SELECT 1 FROM initiative_territory it \
                 WHERE it.initiative_id = i.id \
                 AND it.territory_id IN (SELECT id FROM down UNION SELECT id FROM up)) \
             THEN 1 ELSE 0 END"
                .to_owned(),
        )
    };
    let sql = match backend {
        DbBackend::Postgres => {
            let query = tsquery(&clauses, " | ");
            values.push(query.clone().into());
            values.extend(visible_values);
            values.push(query.into());
            format!(
                "{area}SELECT i.id AS id, s.title AS title, s.body AS body, {same_area} AS same_area \
                 FROM initiative_search s JOIN initiative i ON i.id = s.initiative_id \
                 WHERE s.document @@ CAST(? AS tsquery) AND {visible} \
                 ORDER BY ts_rank(s.document, CAST(? AS tsquery)) DESC, i.id LIMIT ?"
            )
        }
        _ => {
            values.push(fts5_query(&clauses, " OR ").into());
            values.extend(visible_values);
            format!(
                "{area}SELECT i.id AS id, initiative_search.title AS title, \
                 initiative_search.body AS body, {same_area} AS same_area \
                 FROM initiative_search \
                 JOIN initiative_search_entry e ON e.id = initiative_search.rowid \
                 JOIN initiative i ON i.id = e.initiative_id \
                 WHERE initiative_search MATCH ? AND {visible} \
                 ORDER BY {BM25}, i.id LIMIT ?"
            )
        }
    };
    values.push(Value::from(limit as i64));
    let rows = db
        .query_all_raw(Statement::from_sql_and_values(
            backend,
            for_backend(backend, &sql),
            values,
        ))
        .await?;
    let mut found = Vec::with_capacity(rows.len());
    for row in rows {
        let title: String = row.try_get("", "title")?;
        let body: String = row.try_get("", "body")?;
        let same_area: i32 = row.try_get("", "same_area")?;
        found.push(Candidate {
            id: row.try_get("", "id")?,
            terms: TermSets::from_terms(&title, &body),
            same_area: same_area != 0,
        });
    }
    Ok(found)
}

/// Candidates read to rank look-alikes: the engine's best, re-ranked by [`similarity`].
const SIMILAR_CANDIDATES: u64 = 100;

/// The visible initiatives closest to `draft`, closest first (ties by id), with their score;
/// none of `excluded` (the initiative being edited, those decided not its duplicates).
#[tracing::instrument(skip(db))]
pub async fn similar(
    db: &DatabaseConnection,
    scope: &ContributionScope,
    draft: &Draft,
    territory_ids: &[Uuid],
    excluded: &[Uuid],
) -> AppResult<Vec<(Uuid, f64)>> {
    let found = candidates(db, scope, &draft.terms, territory_ids, SIMILAR_CANDIDATES).await?;
    let mut ranked: Vec<(Uuid, f64)> = found
        .iter()
        .filter(|candidate| !excluded.contains(&candidate.id))
        .map(|candidate| {
            (
                candidate.id,
                similarity(&draft.terms, &candidate.terms, candidate.same_area),
            )
        })
        .collect();
    ranked.sort_by(|a, b| b.1.total_cmp(&a.1).then(a.0.cmp(&b.0)));
    ranked.truncate(draft.limit);
    Ok(ranked)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn search(text: &str) -> Search {
        Search::parse("search", text).unwrap().unwrap()
    }

    #[test]
    fn both_engines_are_asked_for_the_same_terms() {
        let search = search("masques \"club d'échecs\"");
        assert_eq!(
            tsquery(&search.clauses, " & "),
            "'masqu' & ('club' <-> 'echec')"
        );
        assert_eq!(fts5_query(&search.clauses, " "), "\"masqu\" \"club echec\"");
    }

    #[test]
    fn a_tsvector_keeps_the_title_apart_from_the_body() {
        let document = SearchDocument::new("Club d'échecs", &[Some("Échecs en ligne"), None]);
        assert_eq!(
            tsvector(&document),
            "'club':1A 'echec':2A 'echec':4 'lign':5"
        );
    }
}
