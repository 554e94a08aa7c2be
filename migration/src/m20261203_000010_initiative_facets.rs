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

/// Replaces the facet rows of the initiatives `chosen` selects (a condition on the
/// column it is given, once for the delete and once for the insert).
fn rebuild(backend: DbBackend, chosen: impl Fn(&str) -> String) -> String {
    format!(
        "DELETE FROM initiative_facet WHERE {deleted}; {inserted}",
        deleted = chosen("initiative_id"),
        inserted = insert_facets(backend, &chosen("i.id")),
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
    let mut statements = vec![
        FILL_CLOSURE.to_owned(),
        insert_facets(backend, "1 = 1"),
        format!(
            "CREATE FUNCTION initiative_facets_rebuild(ids uuid[]) RETURNS void \
             LANGUAGE plpgsql AS $$ BEGIN {} END $$",
            rebuild(backend, |column| format!("{column} = ANY(ids)"))
        ),
        // Statement-level triggers, with the rows the statement changed.
        "CREATE FUNCTION initiative_facets_of_new_links() RETURNS trigger LANGUAGE plpgsql AS $$ \
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
        "CREATE FUNCTION initiative_facets_of_initiative() RETURNS trigger LANGUAGE plpgsql AS $$ \
         BEGIN PERFORM initiative_facets_rebuild(ARRAY[NEW.id]); RETURN NULL; END $$"
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
    ];
    for table in ["initiative_theme", "initiative_territory"] {
        statements.extend([
            format!(
                "CREATE TRIGGER {table}_facets_on_insert AFTER INSERT ON {table} \
                 REFERENCING NEW TABLE AS changed FOR EACH STATEMENT \
                 EXECUTE FUNCTION initiative_facets_of_new_links()"
            ),
            format!(
                "CREATE TRIGGER {table}_facets_on_delete AFTER DELETE ON {table} \
                 REFERENCING OLD TABLE AS changed FOR EACH STATEMENT \
                 EXECUTE FUNCTION initiative_facets_of_new_links()"
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
            "CREATE TRIGGER initiative_facets_on_update AFTER UPDATE OF status, published_at \
             ON initiative FOR EACH ROW WHEN (OLD.status IS DISTINCT FROM NEW.status \
             OR OLD.published_at IS DISTINCT FROM NEW.published_at) \
             EXECUTE FUNCTION initiative_facets_of_initiative()",
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
    let mut statements = vec![
        FILL_CLOSURE.to_owned(),
        insert_facets(backend, "1 = 1"),
        format!(
            "CREATE TRIGGER initiative_facets_on_insert AFTER INSERT ON initiative \
             WHEN NEW.status = 'PUBLISHED' BEGIN {} END",
            of("NEW", "id")
        ),
        format!(
            "CREATE TRIGGER initiative_facets_on_update AFTER UPDATE OF status, published_at \
             ON initiative WHEN OLD.status IS NOT NEW.status \
             OR OLD.published_at IS NOT NEW.published_at BEGIN {} END",
            of("NEW", "id")
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
    ];
    for table in ["initiative_theme", "initiative_territory"] {
        statements.extend([
            format!(
                "CREATE TRIGGER {table}_facets_on_insert AFTER INSERT ON {table} BEGIN {} END",
                of("NEW", "initiative_id")
            ),
            format!(
                "CREATE TRIGGER {table}_facets_on_delete AFTER DELETE ON {table} BEGIN {} END",
                of("OLD", "initiative_id")
            ),
            format!(
                "CREATE TRIGGER {table}_facets_on_update AFTER UPDATE ON {table} BEGIN {} {} END",
                of("OLD", "initiative_id"),
                of("NEW", "initiative_id")
            ),
        ]);
    }
    statements.extend(INDEXES.iter().map(|index| (*index).to_owned()));
    statements
}

const POSTGRES_DOWN: &[&str] = &[
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
    "DROP FUNCTION territory_closure_of_links()",
    "DROP FUNCTION territory_closure_of_new_territories()",
    "DROP FUNCTION initiative_facets_of_theme()",
    "DROP FUNCTION initiative_facets_of_initiative()",
    "DROP FUNCTION initiative_facets_of_new_initiatives()",
    "DROP FUNCTION initiative_facets_of_updated_links()",
    "DROP FUNCTION initiative_facets_of_new_links()",
    "DROP FUNCTION initiative_facets_rebuild(uuid[])",
];

const SQLITE_DOWN: &[&str] = &[
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
        manager
            .drop_table(Table::drop().table("initiative_facet").take())
            .await?;
        manager
            .drop_table(Table::drop().table("territory_closure").take())
            .await
    }
}
