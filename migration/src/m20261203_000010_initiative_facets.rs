//! The published initiatives kept per (theme, territory) pair they answer, with their
//! public sort key: a public list filtered on a theme and a territory reads the first rows
//! of one index range, and counts that range, instead of walking both hierarchies and
//! joining every link, which grew with the catalogue (a department's theme: 3 ms at 50,000
//! initiatives, 145 to 386 ms at 200,000 and 500,000).
//!
//! An initiative answers a theme when it has that theme or one of its sub-themes (themes
//! have two levels), and a territory when it is on it or on anything it contains, at any
//! depth. The nil id stands for "any": the rows (nil, territory) answer a filter on a
//! territory alone, (theme, nil) one on a theme alone.
//!
//! `dashboard_tally` keeps the figures of the public's dashboards of the whole catalogue
//! (nil) and of each territory: per dimension (the total, months of start, audiences,
//! kinds of organisation, top-level themes, territories) and key, how many published
//! initiatives count. `initiative_key` holds each published initiative's keys, so that a
//! change moves the counts from what was kept to what is now.
//!
//! `territory_closure` holds every (ancestor, descendant) pair of the territories'
//! hierarchy, each territory its own ancestor, so that the facets are plain joins that
//! triggers can write (SQLite's triggers cannot walk a hierarchy with a recursive query).
//!
//! Triggers keep both in the transaction that writes, whatever writes: a publication, a
//! withdrawal, changed links, a moved sub-theme, a territory's new parents, a merge, an
//! import. On PostgreSQL the links' triggers run once per statement, so a bulk import
//! rebuilds each initiative's rows once per statement, not once per link.

use sea_orm_migration::{prelude::*, schema::*, sea_orm::DbBackend};

#[derive(DeriveMigrationName)]
pub struct Migration;

/// The nil id, which stands for "any theme" or "any territory".
fn nil(backend: DbBackend) -> &'static str {
    match backend {
        DbBackend::Postgres => "'00000000-0000-0000-0000-000000000000'::uuid",
        _ => "X'00000000000000000000000000000000'",
    }
}

/// The facet rows of the published initiatives that `chosen` (a condition on `i.id`)
/// selects: each (theme or nil, territory or nil) pair, as one `UNION ALL` of six joins
/// that an index answers for one initiative. Pairs come more than once when two themes
/// share a parent: the insert ignores them.
fn facet_rows(backend: DbBackend, chosen: &str) -> String {
    let nil = nil(backend);
    let themes = [
        ("", nil.to_owned()),
        (
            " JOIN initiative_theme it ON it.initiative_id = i.id",
            "it.theme_id".to_owned(),
        ),
        (
            " JOIN initiative_theme it ON it.initiative_id = i.id \
             JOIN theme t ON t.id = it.theme_id AND t.parent_id IS NOT NULL",
            "t.parent_id".to_owned(),
        ),
    ];
    let territories = [
        ("", nil.to_owned()),
        (
            " JOIN initiative_territory ir ON ir.initiative_id = i.id \
             JOIN territory_closure tc ON tc.descendant_id = ir.territory_id",
            "tc.ancestor_id".to_owned(),
        ),
    ];
    let mut selects = Vec::new();
    for (theme_join, theme) in &themes {
        for (territory_join, territory) in &territories {
            selects.push(format!(
                "SELECT {theme}, {territory}, i.published_at, i.id FROM initiative i\
                 {theme_join}{territory_join} WHERE i.status = 'PUBLISHED' AND {chosen}"
            ));
        }
    }
    selects.join(" UNION ALL ")
}

/// Inserts the facet rows of the published initiatives `chosen` selects (a condition on
/// `i.id`).
fn insert_facets(backend: DbBackend, chosen: &str) -> String {
    let (insert, conflict) = match backend {
        DbBackend::Postgres => ("INSERT INTO", " ON CONFLICT DO NOTHING"),
        _ => ("INSERT OR IGNORE INTO", ""),
    };
    format!(
        "{insert} initiative_facet (theme_id, territory_id, published_at, initiative_id) \
         {rows}{conflict};",
        rows = facet_rows(backend, chosen),
    )
}

/// The dashboard keys of the published initiatives `chosen` selects (a condition on
/// `i.id`): (initiative, dimension, key as text, key as id) for each figure of a dashboard
/// it counts in. Each key once per initiative, as a dashboard counts.
fn key_rows(backend: DbBackend, chosen: &str) -> String {
    let nil = nil(backend);
    let month = match backend {
        DbBackend::Postgres => "to_char(i.started_on, 'YYYY-MM')",
        _ => "substr(i.started_on, 1, 7)",
    };
    let published = format!("i.status = 'PUBLISHED' AND {chosen}");
    [
        format!(
            "SELECT i.id AS initiative_id, 'total' AS dimension, '' AS key_text, \
             {nil} AS key_id FROM initiative i WHERE {published}"
        ),
        format!(
            "SELECT i.id, 'month', {month}, {nil} FROM initiative i \
             WHERE {published} AND i.started_on IS NOT NULL"
        ),
        format!(
            "SELECT i.id, 'audience', ia.audience, {nil} FROM initiative i \
             JOIN initiative_audience ia ON ia.initiative_id = i.id WHERE {published}"
        ),
        format!(
            "SELECT i.id, 'organisation_kind', o.kind, {nil} FROM initiative i \
             JOIN initiative_organisation io ON io.initiative_id = i.id \
             JOIN organisation o ON o.id = io.organisation_id WHERE {published}"
        ),
        // Themes have two levels: a theme's top-level theme is its parent, or itself.
        format!(
            "SELECT i.id, 'theme', '', COALESCE(t.parent_id, t.id) FROM initiative i \
             JOIN initiative_theme it ON it.initiative_id = i.id \
             JOIN theme t ON t.id = it.theme_id WHERE {published}"
        ),
        format!(
            "SELECT i.id, 'territory', '', tc.ancestor_id FROM initiative i \
             JOIN initiative_territory ir ON ir.initiative_id = i.id \
             JOIN territory_closure tc ON tc.descendant_id = ir.territory_id \
             WHERE {published}"
        ),
    ]
    .join(" UNION ")
}

/// The territories (nil for the whole catalogue) whose dashboards count the published
/// initiatives `chosen` selects (a condition on `i.id`).
fn place_rows(backend: DbBackend, chosen: &str) -> String {
    let nil = nil(backend);
    let published = format!("i.status = 'PUBLISHED' AND {chosen}");
    format!(
        "SELECT i.id AS initiative_id, {nil} AS territory_id FROM initiative i WHERE {published} \
         UNION SELECT i.id, tc.ancestor_id FROM initiative i \
         JOIN initiative_territory ir ON ir.initiative_id = i.id \
         JOIN territory_closure tc ON tc.descendant_id = ir.territory_id WHERE {published}"
    )
}

/// Moves the dashboard counts of the initiatives `chosen` selects from what their kept
/// rows say to what they are now (or to nothing when not `now`), in one statement, in
/// the order of the counts' keys: two transactions take the counts' locks in one order.
fn shift_tally(backend: DbBackend, chosen: &impl Fn(&str) -> String, now: bool) -> String {
    let nil = nil(backend);
    let current = if now {
        format!(
            " UNION ALL SELECT p.territory_id, k.dimension, k.key_text, k.key_id, 1 \
             FROM ({places}) p JOIN ({keys}) k ON k.initiative_id = p.initiative_id",
            places = place_rows(backend, &chosen("i.id")),
            keys = key_rows(backend, &chosen("i.id")),
        )
    } else {
        String::new()
    };
    format!(
        "INSERT INTO dashboard_tally (territory_id, dimension, key_text, key_id, initiatives) \
         SELECT territory_id, dimension, key_text, key_id, SUM(shift) FROM (\
             SELECT f.territory_id AS territory_id, k.dimension AS dimension, \
             k.key_text AS key_text, k.key_id AS key_id, -1 AS shift \
             FROM initiative_facet f JOIN initiative_key k ON k.initiative_id = f.initiative_id \
             WHERE f.theme_id = {nil} AND {kept}{current}\
         ) shifts WHERE 1 = 1 GROUP BY territory_id, dimension, key_text, key_id \
         HAVING SUM(shift) <> 0 ORDER BY territory_id, dimension, key_text, key_id \
         ON CONFLICT (territory_id, dimension, key_text, key_id) \
         DO UPDATE SET initiatives = dashboard_tally.initiatives + excluded.initiatives;",
        kept = chosen("f.initiative_id"),
    )
}

/// Replaces the kept rows of the initiatives `chosen` selects (a condition on the column
/// it is given): the dashboard counts first, from the rows as they were, then the facets
/// and the keys.
fn rebuild(backend: DbBackend, chosen: impl Fn(&str) -> String) -> String {
    let insert = match backend {
        DbBackend::Postgres => "INSERT INTO",
        _ => "INSERT OR IGNORE INTO",
    };
    let conflict = match backend {
        DbBackend::Postgres => " ON CONFLICT DO NOTHING",
        _ => "",
    };
    format!(
        "{shifted} \
         DELETE FROM initiative_facet WHERE {deleted}; {inserted} \
         DELETE FROM initiative_key WHERE {deleted}; \
         {insert} initiative_key (initiative_id, dimension, key_text, key_id) {keys}{conflict};",
        shifted = shift_tally(backend, &chosen, true),
        deleted = chosen("initiative_id"),
        inserted = insert_facets(backend, &chosen("i.id")),
        keys = key_rows(backend, &chosen("i.id")),
    )
}

/// The kept rows of every initiative, and the dashboard counts from them.
fn fill(backend: DbBackend) -> Vec<String> {
    let (insert, conflict) = match backend {
        DbBackend::Postgres => ("INSERT INTO", " ON CONFLICT DO NOTHING"),
        _ => ("INSERT OR IGNORE INTO", ""),
    };
    vec![
        insert_facets(backend, "1 = 1"),
        format!(
            "{insert} initiative_key (initiative_id, dimension, key_text, key_id) {}{conflict}",
            key_rows(backend, "1 = 1")
        ),
        format!(
            "INSERT INTO dashboard_tally (territory_id, dimension, key_text, key_id, initiatives) \
             SELECT f.territory_id, k.dimension, k.key_text, k.key_id, COUNT(*) \
             FROM initiative_facet f JOIN initiative_key k ON k.initiative_id = f.initiative_id \
             WHERE f.theme_id = {nil} GROUP BY f.territory_id, k.dimension, k.key_text, k.key_id",
            nil = nil(backend)
        ),
    ]
}

/// Of the initiatives `ids` (an array), those with kept rows or published now: a draft's
/// writes have nothing to rebuild, and skip the rebuild's statements.
fn kept_or_published(ids: &str) -> String {
    format!(
        "SELECT id FROM initiative WHERE id IN (SELECT unnest({ids})) \
         AND status = 'PUBLISHED' \
         UNION SELECT initiative_id FROM initiative_key \
         WHERE initiative_id IN (SELECT unnest({ids})) AND dimension = 'total'"
    )
}

/// Whether the initiative `id` (an SQL expression) has kept rows or is published now.
fn has_kept_rows(id: &str) -> String {
    format!(
        "(EXISTS (SELECT 1 FROM initiative WHERE id = {id} AND status = 'PUBLISHED') \
         OR EXISTS (SELECT 1 FROM initiative_key WHERE initiative_id = {id} \
         AND dimension = 'total'))"
    )
}

/// The closure of the territories' hierarchy, from the hierarchy as it is.
const FILL_CLOSURE: &str = "WITH RECURSIVE up(descendant_id, ancestor_id) AS (\
         SELECT id, id FROM territory \
         UNION SELECT u.descendant_id, tp.parent_id FROM up u \
         JOIN territory_parent tp ON tp.child_id = u.ancestor_id\
     ) INSERT INTO territory_closure (ancestor_id, descendant_id) \
     SELECT ancestor_id, descendant_id FROM up";

/// Adds the pairs a new link `row.child_id` → `row.parent_id` makes: every ancestor of
/// the parent over every descendant of the child.
fn link_territories(row: &str, insert: &str, conflict: &str) -> String {
    format!(
        "{insert} territory_closure (ancestor_id, descendant_id) \
         SELECT a.ancestor_id, d.descendant_id FROM territory_closure a, territory_closure d \
         WHERE a.descendant_id = {row}.parent_id AND d.ancestor_id = {row}.child_id{conflict};"
    )
}

/// Removes the pairs a link `row.child_id` → `row.parent_id` made that no other path
/// keeps: the pairs from outside the child's descendants into them are dropped, then made
/// again from the links into them that remain. Paths among the descendants only go
/// through descendants, so those pairs stay right.
fn unlink_territories(row: &str, insert: &str, conflict: &str) -> String {
    let below =
        format!("SELECT descendant_id FROM territory_closure WHERE ancestor_id = {row}.child_id");
    format!(
        "DELETE FROM territory_closure WHERE descendant_id IN ({below}) \
         AND ancestor_id NOT IN ({below}); \
         {insert} territory_closure (ancestor_id, descendant_id) \
         SELECT a.ancestor_id, d.descendant_id FROM territory_parent e \
         JOIN territory_closure a ON a.descendant_id = e.parent_id \
         JOIN territory_closure d ON d.ancestor_id = e.child_id \
         WHERE e.child_id IN ({below}) AND e.parent_id NOT IN ({below}){conflict};"
    )
}

/// The initiatives on the territory `row.child_id` or anything below it.
fn on_territories_below(row: &str) -> String {
    format!(
        "SELECT ir.initiative_id FROM initiative_territory ir \
         JOIN territory_closure d ON d.descendant_id = ir.territory_id \
         WHERE d.ancestor_id = {row}.child_id"
    )
}

fn create_facets() -> TableCreateStatement {
    Table::create()
        .table("initiative_facet")
        .col(uuid("theme_id"))
        .col(uuid("territory_id"))
        .col(timestamp_with_time_zone_null("published_at"))
        .col(uuid("initiative_id"))
        .primary_key(
            Index::create()
                .col("theme_id")
                .col("territory_id")
                .col("initiative_id"),
        )
        .foreign_key(
            ForeignKey::create()
                .from("initiative_facet", "initiative_id")
                .to("initiative", "id")
                .on_delete(ForeignKeyAction::Cascade),
        )
        .take()
}

fn create_keys() -> TableCreateStatement {
    Table::create()
        .table("initiative_key")
        .col(uuid("initiative_id"))
        .col(string_len("dimension", 32))
        .col(string_len("key_text", 32))
        .col(uuid("key_id"))
        .primary_key(
            Index::create()
                .col("initiative_id")
                .col("dimension")
                .col("key_text")
                .col("key_id"),
        )
        .foreign_key(
            ForeignKey::create()
                .from("initiative_key", "initiative_id")
                .to("initiative", "id")
                .on_delete(ForeignKeyAction::Cascade),
        )
        .take()
}

fn create_tally() -> TableCreateStatement {
    Table::create()
        .table("dashboard_tally")
        .col(uuid("territory_id"))
        .col(string_len("dimension", 32))
        .col(string_len("key_text", 32))
        .col(uuid("key_id"))
        .col(big_integer("initiatives"))
        .primary_key(
            Index::create()
                .col("territory_id")
                .col("dimension")
                .col("key_text")
                .col("key_id"),
        )
        .take()
}

fn create_closure() -> TableCreateStatement {
    let to_territory = |column: &'static str| {
        ForeignKey::create()
            .from("territory_closure", column)
            .to("territory", "id")
            .on_delete(ForeignKeyAction::Cascade)
            .take()
    };
    Table::create()
        .table("territory_closure")
        .col(uuid("ancestor_id"))
        .col(uuid("descendant_id"))
        .primary_key(Index::create().col("ancestor_id").col("descendant_id"))
        .foreign_key(&mut to_territory("ancestor_id"))
        .foreign_key(&mut to_territory("descendant_id"))
        .take()
}

/// The tables of an initiative's links that its kept rows follow.
const LINKS: [&str; 4] = [
    "initiative_theme",
    "initiative_territory",
    "initiative_audience",
    "initiative_organisation",
];

/// The indexes: a pair's page in the public order (as `idx_initiative_public_order`),
/// an initiative's rows for their rebuild, a territory's ancestors.
const INDEXES: &[&str] = &[
    "CREATE INDEX idx_initiative_facet_public_order ON initiative_facet \
     (theme_id, territory_id, (published_at IS NULL), published_at DESC, initiative_id DESC)",
    "CREATE INDEX idx_initiative_facet_initiative ON initiative_facet (initiative_id)",
    "CREATE INDEX idx_territory_closure_descendant ON territory_closure \
     (descendant_id, ancestor_id)",
];

fn postgres_up() -> Vec<String> {
    let backend = DbBackend::Postgres;
    let (insert, conflict) = ("INSERT INTO", " ON CONFLICT DO NOTHING");
    let mut statements = vec![FILL_CLOSURE.to_owned()];
    statements.extend(fill(backend));
    statements.extend([
        // The initiatives are locked first, in one order: two transactions rebuilding the
        // same initiative take turns, the second reading what the first wrote. The ids are
        // joined (`IN (SELECT unnest(ids))`), not compared (`= ANY(ids)`): a bulk import's
        // thousands of ids were compared with every row scanned, 28 s per statement of
        // 30,000 links.
        format!(
            "CREATE FUNCTION initiative_facets_rebuild(ids uuid[]) RETURNS void \
             LANGUAGE plpgsql AS $$ BEGIN \
                 ids := ARRAY({kept}); \
                 IF cardinality(ids) = 0 THEN RETURN; END IF; \
                 PERFORM 1 FROM initiative WHERE id IN (SELECT unnest(ids)) ORDER BY id FOR UPDATE; {rebuilt} \
             END $$",
            rebuilt = rebuild(backend, |column| format!("{column} IN (SELECT unnest(ids))")),
            kept = kept_or_published("ids"),
        ),
        format!(
            "CREATE FUNCTION dashboard_tally_of_deleted() RETURNS trigger LANGUAGE plpgsql AS $$ \
             BEGIN {} RETURN OLD; END $$",
            shift_tally(backend, &|column: &str| format!("{column} = OLD.id"), false)
        ),
        "CREATE FUNCTION initiative_facets_of_organisation() RETURNS trigger \
         LANGUAGE plpgsql AS $$ \
         BEGIN PERFORM initiative_facets_rebuild(ARRAY(SELECT initiative_id \
             FROM initiative_organisation WHERE organisation_id = NEW.id)); \
         RETURN NULL; END $$"
            .to_owned(),
        // Statement-level triggers, with the rows the statement changed.
        "CREATE FUNCTION initiative_facets_of_links() RETURNS trigger LANGUAGE plpgsql AS $$ \
         BEGIN PERFORM initiative_facets_rebuild(ARRAY(SELECT DISTINCT initiative_id FROM changed)); \
         RETURN NULL; END $$"
            .to_owned(),
        "CREATE FUNCTION initiative_facets_of_updated_links() RETURNS trigger LANGUAGE plpgsql AS $$ \
         BEGIN PERFORM initiative_facets_rebuild(ARRAY(SELECT initiative_id FROM before \
             UNION SELECT initiative_id FROM changed)); \
         RETURN NULL; END $$"
            .to_owned(),
        "CREATE FUNCTION initiative_facets_of_new_initiatives() RETURNS trigger \
         LANGUAGE plpgsql AS $$ \
         BEGIN PERFORM initiative_facets_rebuild(ARRAY(SELECT id FROM changed \
             WHERE status = 'PUBLISHED')); \
         RETURN NULL; END $$"
            .to_owned(),
        "CREATE FUNCTION initiative_facets_of_updated_initiatives() RETURNS trigger \
         LANGUAGE plpgsql AS $$ \
         BEGIN PERFORM initiative_facets_rebuild(ARRAY(SELECT c.id FROM changed c \
             JOIN before b ON b.id = c.id WHERE c.status IS DISTINCT FROM b.status \
             OR c.published_at IS DISTINCT FROM b.published_at \
             OR c.started_on IS DISTINCT FROM b.started_on)); \
         RETURN NULL; END $$"
            .to_owned(),
        "CREATE FUNCTION initiative_facets_of_theme() RETURNS trigger LANGUAGE plpgsql AS $$ \
         BEGIN PERFORM initiative_facets_rebuild(ARRAY(SELECT initiative_id \
             FROM initiative_theme WHERE theme_id = NEW.id)); \
         RETURN NULL; END $$"
            .to_owned(),
        "CREATE FUNCTION territory_closure_of_new_territories() RETURNS trigger \
         LANGUAGE plpgsql AS $$ \
         BEGIN INSERT INTO territory_closure (ancestor_id, descendant_id) \
             SELECT id, id FROM changed; RETURN NULL; END $$"
            .to_owned(),
        // Row by row: a link added in the same statement as the link above it must see
        // the pairs that one made.
        format!(
            "CREATE FUNCTION territory_closure_of_links() RETURNS trigger LANGUAGE plpgsql AS $$ \
             BEGIN \
                 IF TG_OP <> 'INSERT' THEN \
                     {unlink} \
                     PERFORM initiative_facets_rebuild(ARRAY({old_below})); \
                 END IF; \
                 IF TG_OP <> 'DELETE' THEN \
                     {link} \
                     PERFORM initiative_facets_rebuild(ARRAY({new_below})); \
                 END IF; \
                 RETURN NULL; \
             END $$",
            unlink = unlink_territories("OLD", insert, conflict),
            link = link_territories("NEW", insert, conflict),
            old_below = on_territories_below("OLD"),
            new_below = on_territories_below("NEW"),
        ),
    ]);
    for table in LINKS {
        statements.extend([
            format!(
                "CREATE TRIGGER {table}_facets_on_insert AFTER INSERT ON {table} \
                 REFERENCING NEW TABLE AS changed FOR EACH STATEMENT \
                 EXECUTE FUNCTION initiative_facets_of_links()"
            ),
            format!(
                "CREATE TRIGGER {table}_facets_on_delete AFTER DELETE ON {table} \
                 REFERENCING OLD TABLE AS changed FOR EACH STATEMENT \
                 EXECUTE FUNCTION initiative_facets_of_links()"
            ),
            format!(
                "CREATE TRIGGER {table}_facets_on_update AFTER UPDATE ON {table} \
                 REFERENCING OLD TABLE AS before NEW TABLE AS changed FOR EACH STATEMENT \
                 EXECUTE FUNCTION initiative_facets_of_updated_links()"
            ),
        ]);
    }
    statements.extend(
        [
            "CREATE TRIGGER initiative_facets_on_insert AFTER INSERT ON initiative \
             REFERENCING NEW TABLE AS changed FOR EACH STATEMENT \
             EXECUTE FUNCTION initiative_facets_of_new_initiatives()",
            // Once per statement, so that publishing thousands at once rebuilds them in
            // one pass (a trigger with transition tables takes no column list).
            "CREATE TRIGGER initiative_facets_on_update AFTER UPDATE ON initiative \
             REFERENCING OLD TABLE AS before NEW TABLE AS changed FOR EACH STATEMENT \
             EXECUTE FUNCTION initiative_facets_of_updated_initiatives()",
            // Before: the kept rows go with the initiative, by their foreign keys.
            "CREATE TRIGGER dashboard_tally_on_delete BEFORE DELETE ON initiative \
             FOR EACH ROW EXECUTE FUNCTION dashboard_tally_of_deleted()",
            "CREATE TRIGGER organisation_facets_on_update AFTER UPDATE OF kind ON organisation \
             FOR EACH ROW WHEN (OLD.kind IS DISTINCT FROM NEW.kind) \
             EXECUTE FUNCTION initiative_facets_of_organisation()",
            "CREATE TRIGGER theme_facets_on_update AFTER UPDATE OF parent_id ON theme \
             FOR EACH ROW WHEN (OLD.parent_id IS DISTINCT FROM NEW.parent_id) \
             EXECUTE FUNCTION initiative_facets_of_theme()",
            "CREATE TRIGGER territory_closure_on_insert AFTER INSERT ON territory \
             REFERENCING NEW TABLE AS changed FOR EACH STATEMENT \
             EXECUTE FUNCTION territory_closure_of_new_territories()",
            "CREATE TRIGGER territory_closure_on_link AFTER INSERT OR UPDATE OR DELETE \
             ON territory_parent FOR EACH ROW EXECUTE FUNCTION territory_closure_of_links()",
        ]
        .map(str::to_owned),
    );
    statements.extend(INDEXES.iter().map(|index| (*index).to_owned()));
    statements
}

fn sqlite_up() -> Vec<String> {
    let backend = DbBackend::Sqlite;
    let (insert, conflict) = ("INSERT OR IGNORE INTO", "");
    let of = |row: &str, column: &str| {
        let row = row.to_owned();
        let column = column.to_owned();
        rebuild(backend, move |target| format!("{target} = {row}.{column}"))
    };
    let of_links = |row: &str| {
        let below = on_territories_below(row);
        rebuild(backend, move |target| format!("{target} IN ({below})"))
    };
    let of_theme = rebuild(backend, |target| {
        format!("{target} IN (SELECT initiative_id FROM initiative_theme WHERE theme_id = NEW.id)")
    });
    let mut statements = vec![FILL_CLOSURE.to_owned()];
    statements.extend(fill(backend));
    statements.extend([
        format!(
            "CREATE TRIGGER initiative_facets_on_insert AFTER INSERT ON initiative \
             WHEN NEW.status = 'PUBLISHED' BEGIN {} END",
            of("NEW", "id")
        ),
        format!(
            "CREATE TRIGGER initiative_facets_on_update \
             AFTER UPDATE OF status, published_at, started_on \
             ON initiative WHEN OLD.status IS NOT NEW.status \
             OR OLD.published_at IS NOT NEW.published_at \
             OR OLD.started_on IS NOT NEW.started_on BEGIN {} END",
            of("NEW", "id")
        ),
        // Before: the kept rows go with the initiative, by their foreign keys.
        format!(
            "CREATE TRIGGER dashboard_tally_on_delete BEFORE DELETE ON initiative BEGIN {} END",
            shift_tally(backend, &|column: &str| format!("{column} = OLD.id"), false)
        ),
        format!(
            "CREATE TRIGGER organisation_facets_on_update AFTER UPDATE OF kind ON organisation \
             WHEN OLD.kind IS NOT NEW.kind BEGIN {} END",
            rebuild(backend, |target| format!(
                "{target} IN (SELECT initiative_id FROM initiative_organisation \
                 WHERE organisation_id = NEW.id)"
            ))
        ),
        format!(
            "CREATE TRIGGER theme_facets_on_update AFTER UPDATE OF parent_id ON theme \
             WHEN OLD.parent_id IS NOT NEW.parent_id BEGIN {of_theme} END"
        ),
        "CREATE TRIGGER territory_closure_on_insert AFTER INSERT ON territory \
         BEGIN INSERT INTO territory_closure (ancestor_id, descendant_id) \
         VALUES (NEW.id, NEW.id); END"
            .to_owned(),
        format!(
            "CREATE TRIGGER territory_closure_on_link AFTER INSERT ON territory_parent \
             BEGIN {} {} END",
            link_territories("NEW", insert, conflict),
            of_links("NEW"),
        ),
        format!(
            "CREATE TRIGGER territory_closure_on_unlink AFTER DELETE ON territory_parent \
             BEGIN {} {} END",
            unlink_territories("OLD", insert, conflict),
            of_links("OLD"),
        ),
        format!(
            "CREATE TRIGGER territory_closure_on_relink AFTER UPDATE ON territory_parent \
             BEGIN {} {} {} {} END",
            unlink_territories("OLD", insert, conflict),
            of_links("OLD"),
            link_territories("NEW", insert, conflict),
            of_links("NEW"),
        ),
    ]);
    for table in LINKS {
        statements.extend([
            format!(
                "CREATE TRIGGER {table}_facets_on_insert AFTER INSERT ON {table} WHEN {} \
                 BEGIN {} END",
                has_kept_rows("NEW.initiative_id"),
                of("NEW", "initiative_id")
            ),
            format!(
                "CREATE TRIGGER {table}_facets_on_delete AFTER DELETE ON {table} WHEN {} \
                 BEGIN {} END",
                has_kept_rows("OLD.initiative_id"),
                of("OLD", "initiative_id")
            ),
            format!(
                "CREATE TRIGGER {table}_facets_on_update AFTER UPDATE ON {table} \
                 WHEN {} OR {} BEGIN {} {} END",
                has_kept_rows("OLD.initiative_id"),
                has_kept_rows("NEW.initiative_id"),
                of("OLD", "initiative_id"),
                of("NEW", "initiative_id")
            ),
        ]);
    }
    statements.extend(INDEXES.iter().map(|index| (*index).to_owned()));
    statements
}

const POSTGRES_DOWN: &[&str] = &[
    "DROP TRIGGER organisation_facets_on_update ON organisation",
    "DROP TRIGGER dashboard_tally_on_delete ON initiative",
    "DROP TRIGGER initiative_organisation_facets_on_update ON initiative_organisation",
    "DROP TRIGGER initiative_organisation_facets_on_delete ON initiative_organisation",
    "DROP TRIGGER initiative_organisation_facets_on_insert ON initiative_organisation",
    "DROP TRIGGER initiative_audience_facets_on_update ON initiative_audience",
    "DROP TRIGGER initiative_audience_facets_on_delete ON initiative_audience",
    "DROP TRIGGER initiative_audience_facets_on_insert ON initiative_audience",
    "DROP TRIGGER territory_closure_on_link ON territory_parent",
    "DROP TRIGGER territory_closure_on_insert ON territory",
    "DROP TRIGGER theme_facets_on_update ON theme",
    "DROP TRIGGER initiative_facets_on_update ON initiative",
    "DROP TRIGGER initiative_facets_on_insert ON initiative",
    "DROP TRIGGER initiative_territory_facets_on_update ON initiative_territory",
    "DROP TRIGGER initiative_territory_facets_on_delete ON initiative_territory",
    "DROP TRIGGER initiative_territory_facets_on_insert ON initiative_territory",
    "DROP TRIGGER initiative_theme_facets_on_update ON initiative_theme",
    "DROP TRIGGER initiative_theme_facets_on_delete ON initiative_theme",
    "DROP TRIGGER initiative_theme_facets_on_insert ON initiative_theme",
    "DROP FUNCTION initiative_facets_of_organisation()",
    "DROP FUNCTION dashboard_tally_of_deleted()",
    "DROP FUNCTION territory_closure_of_links()",
    "DROP FUNCTION territory_closure_of_new_territories()",
    "DROP FUNCTION initiative_facets_of_theme()",
    "DROP FUNCTION initiative_facets_of_updated_initiatives()",
    "DROP FUNCTION initiative_facets_of_new_initiatives()",
    "DROP FUNCTION initiative_facets_of_updated_links()",
    "DROP FUNCTION initiative_facets_of_links()",
    "DROP FUNCTION initiative_facets_rebuild(uuid[])",
];

const SQLITE_DOWN: &[&str] = &[
    "DROP TRIGGER organisation_facets_on_update",
    "DROP TRIGGER dashboard_tally_on_delete",
    "DROP TRIGGER initiative_organisation_facets_on_update",
    "DROP TRIGGER initiative_organisation_facets_on_delete",
    "DROP TRIGGER initiative_organisation_facets_on_insert",
    "DROP TRIGGER initiative_audience_facets_on_update",
    "DROP TRIGGER initiative_audience_facets_on_delete",
    "DROP TRIGGER initiative_audience_facets_on_insert",
    "DROP TRIGGER territory_closure_on_relink",
    "DROP TRIGGER territory_closure_on_unlink",
    "DROP TRIGGER territory_closure_on_link",
    "DROP TRIGGER territory_closure_on_insert",
    "DROP TRIGGER theme_facets_on_update",
    "DROP TRIGGER initiative_facets_on_update",
    "DROP TRIGGER initiative_facets_on_insert",
    "DROP TRIGGER initiative_territory_facets_on_update",
    "DROP TRIGGER initiative_territory_facets_on_delete",
    "DROP TRIGGER initiative_territory_facets_on_insert",
    "DROP TRIGGER initiative_theme_facets_on_update",
    "DROP TRIGGER initiative_theme_facets_on_delete",
    "DROP TRIGGER initiative_theme_facets_on_insert",
];

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager.create_table(create_closure()).await?;
        manager.create_table(create_facets()).await?;
        manager.create_table(create_keys()).await?;
        manager.create_table(create_tally()).await?;
        let statements = match manager.get_database_backend() {
            DbBackend::Postgres => postgres_up(),
            _ => sqlite_up(),
        };
        let db = manager.get_connection();
        for sql in statements {
            db.execute_unprepared(&sql).await?;
        }
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let statements = match manager.get_database_backend() {
            DbBackend::Postgres => POSTGRES_DOWN,
            _ => SQLITE_DOWN,
        };
        let db = manager.get_connection();
        for sql in statements {
            db.execute_unprepared(sql).await?;
        }
        for table in ["dashboard_tally", "initiative_key", "initiative_facet"] {
            manager
                .drop_table(Table::drop().table(table).take())
                .await?;
        }
        manager
            .drop_table(Table::drop().table("territory_closure").take())
            .await
    }
}
