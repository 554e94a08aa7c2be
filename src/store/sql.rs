//! Small pieces of portable SQL, written once.

use sea_orm::{
    DbBackend,
    sea_query::{Expr, Value},
};
use uuid::Uuid;

/// `?, ?, ?` for `count` bound values, numbered by [`condition`] where the backend needs it.
pub fn placeholders(count: usize) -> String {
    vec!["?"; count].join(", ")
}

/// A query of the ids of `roots` (rows of `nodes`) and of everything below them in a
/// hierarchy stored as (`child_column`, `parent_column`) pairs in `edges`.
///
/// `UNION` (not `UNION ALL`) makes the walk stop even if bad data ever forms a cycle.
pub fn descendants_or_self(
    nodes: &str,
    edges: &str,
    child_column: &str,
    parent_column: &str,
    roots: &[Uuid],
) -> String {
    format!(
        "WITH RECURSIVE reached(id) AS (\
             SELECT id FROM {nodes} WHERE id IN ({roots}) \
             UNION SELECT e.{child_column} FROM {edges} e JOIN reached r ON e.{parent_column} = r.id\
         ) SELECT id FROM reached",
        roots = placeholders(roots.len()),
    )
}

/// The territories `roots` marks (`?` each) stand for, each with everything it contains
/// at any depth, from the kept closure of the hierarchy (`territory_closure`, which the
/// triggers of the writes keep whole).
pub fn territories_below(roots: usize) -> String {
    format!(
        "SELECT descendant_id FROM territory_closure WHERE ancestor_id IN ({})",
        placeholders(roots)
    )
}

/// `column` is one of the ids `ids` (a query of one column) selects. On PostgreSQL the ids
/// are read first into an array: the planner then looks the column up by index for each
/// id, where `IN (subquery)` makes it guess how many ids the subquery finds, and for a
/// walk down a hierarchy it guesses hundreds and reads whole tables instead.
pub fn among(backend: DbBackend, column: &str, ids: &str) -> String {
    match backend {
        DbBackend::Postgres => format!("{column} = ANY(ARRAY({ids}))"),
        _ => format!("{column} IN ({ids})"),
    }
}

/// A condition written in SQL with one `?` per value, in order. sea-query binds `?` as is
/// on SQLite but expects `$1`, `$2`... on PostgreSQL, so the marks are numbered there.
/// The SQL given here never holds a literal `?`.
pub fn condition<V: Into<Value>>(
    backend: DbBackend,
    sql: &str,
    values: impl IntoIterator<Item = V>,
) -> Expr {
    Expr::cust_with_values(for_backend(backend, sql), values)
}

/// `sql` with its `?` marks as the backend's placeholders: `$1`, `$2`... on PostgreSQL.
pub fn for_backend(backend: DbBackend, sql: &str) -> String {
    for_backend_from(backend, sql, 1)
}

/// Like [`for_backend`], numbering from `first` on PostgreSQL: for SQL that follows a part
/// already holding `first - 1` placeholders.
pub fn for_backend_from(backend: DbBackend, sql: &str, first: usize) -> String {
    match backend {
        DbBackend::Postgres => {
            let mut numbered = String::with_capacity(sql.len() + 16);
            let mut index = first;
            for c in sql.chars() {
                if c == '?' {
                    numbered.push_str(&format!("${index}"));
                    index += 1;
                } else {
                    numbered.push(c);
                }
            }
            numbered
        }
        _ => sql.to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use sea_orm::sea_query::{PostgresQueryBuilder, Query, SqliteQueryBuilder};

    fn render(backend: DbBackend) -> (String, usize) {
        let query = Query::select()
            .expr(condition(backend, "a IN (?, ?) AND b <> ?", [1, 2, 3]))
            .to_owned();
        let (sql, values) = match backend {
            DbBackend::Postgres => query.build(PostgresQueryBuilder),
            _ => query.build(SqliteQueryBuilder),
        };
        (sql, values.0.len())
    }

    #[test]
    fn placeholders_are_bound_on_both_backends() {
        assert_eq!(
            render(DbBackend::Postgres),
            ("SELECT a IN ($1, $2) AND b <> $3".to_owned(), 3)
        );
        assert_eq!(
            render(DbBackend::Sqlite),
            ("SELECT a IN (?, ?) AND b <> ?".to_owned(), 3)
        );
    }

    #[test]
    fn numbering_can_go_on_after_earlier_placeholders() {
        assert_eq!(
            for_backend_from(DbBackend::Postgres, "a = ? AND b = ?", 3),
            "a = $3 AND b = $4"
        );
        assert_eq!(for_backend_from(DbBackend::Sqlite, "a = ?", 3), "a = ?");
    }
}
