//! Backups as `docs/operations.md` gives them: `communs backup` (SQLite's `VACUUM INTO`) on
//! the embedded database, `pg_dump` and `pg_restore` on PostgreSQL. A catalogue with
//! contributions, decisions and their audit trail comes back whole: every table, and the
//! answers of the API.

use std::{collections::BTreeMap, path::Path, process::Command};

use entity::enums::Role;
use sea_orm::{ConnectionTrait, DatabaseBackend, DatabaseConnection, Statement};
use serde_json::{Value, json};

use crate::{
    contributions::{draft, moderate, submit},
    helpers::{TEST_ERASURE_KEY, TestAccount, TestApp, admin_connection, with_database_name},
};

const BINARY: &str = env!("CARGO_BIN_EXE_communs");

#[tokio::test]
async fn a_backup_restored_into_an_empty_database_holds_every_row_and_answers_the_same() {
    let app = TestApp::with_demo().await;
    let partner = app
        .account("partenaire@exemple.fr", Role::Partner, Some("afev"))
        .await;
    let moderator = app
        .account("moderation@exemple.fr", Role::Moderator, None)
        .await;
    let published = draft(&app, &partner, "Paniers solidaires du quartier").await;
    assert_eq!(
        submit(&app, &partner, &published, 1).await["errors"],
        Value::Null
    );
    moderate(&app, &moderator, &published, "APPROVE", None, 2).await;
    let sent_back = draft(&app, &partner, "Aide aux devoirs en ligne").await;
    submit(&app, &partner, &sent_back, 1).await;
    moderate(
        &app,
        &moderator,
        &sent_back,
        "REQUEST_CHANGES",
        Some("Précisez le public visé."),
        2,
    )
    .await;
    let kept_draft = draft(&app, &partner, "Jardin partagé au pied des tours").await;

    let folder = tempfile::tempdir().unwrap();
    let restored_url = back_up_and_restore(&app, folder.path()).await;
    let restored = app.on_database(&restored_url).await;

    assert_eq!(
        rows_by_table(restored.db()).await,
        rows_by_table(app.db()).await,
        "every table holds the same rows"
    );
    for (who, token) in [
        ("the public", None),
        ("the partner", Some(&partner)),
        ("the moderator", Some(&moderator)),
    ] {
        for query in [
            "{ initiatives(first: 100) { totalCount nodes { id slug title status } } }",
            "{ stats { total byTheme { theme { slug } count } } }",
            "{ changes(first: 100) { edges { node { sequence kind subjectId } } } }",
        ] {
            assert_eq!(
                answer(&restored, token, query, json!({})).await,
                answer(&app, token, query, json!({})).await,
                "{who}: {query}"
            );
        }
    }
    for (token, query) in [
        (
            &moderator,
            "{ moderationQueue { totalCount nodes { kind status } } }",
        ),
        (
            &partner,
            "query ($id: ID!) { node(id: $id) { ... on Initiative { status version } }
                moderationEvents(subjectId: $id) { action fromStatus toStatus comment } }",
        ),
    ] {
        for id in [&published, &sent_back, &kept_draft] {
            assert_eq!(
                answer(&restored, Some(token), query, json!({ "id": id })).await,
                answer(&app, Some(token), query, json!({ "id": id })).await,
                "{query} of {id}"
            );
        }
    }

    // The restored database goes on: its sequences and the change stream continue.
    let resubmitted = submit(&restored, &partner, &sent_back, 3).await;
    assert_eq!(resubmitted["errors"], Value::Null, "{resubmitted}");
    let queue = answer(
        &restored,
        Some(&moderator),
        "{ moderationQueue { totalCount } }",
        json!({}),
    )
    .await;
    assert_eq!(queue["data"]["moderationQueue"]["totalCount"], 1);

    drop(restored);
    if restored_url.starts_with("postgres") {
        drop_database(&restored_url).await;
    }
}

/// Backs up the app's database as the docs say and restores it into an empty one: its URL.
async fn back_up_and_restore(app: &TestApp, folder: &Path) -> String {
    if app.database_url.starts_with("postgres") {
        let dump = folder.join("communs.dump");
        run(Command::new("pg_dump")
            .args(["--format=custom", "--file"])
            .arg(&dump)
            .arg(&app.database_url));
        let name = format!("communs_test_restored_{}", uuid::Uuid::now_v7().simple());
        let admin = admin_connection(&app.database_url).await;
        admin
            .execute_unprepared(&format!("CREATE DATABASE \"{name}\""))
            .await
            .unwrap();
        admin.close().await.ok();
        let url = with_database_name(&app.database_url, &name);
        run(Command::new("pg_restore")
            .args(["--no-owner", "--exit-on-error", "--dbname"])
            .arg(&url)
            .arg(&dump));
        url
    } else {
        let copy = folder.join("backup.db");
        run(Command::new(BINARY)
            .env_clear()
            .env("DATABASE_URL", &app.database_url)
            .env("ERASURE_KEY", TEST_ERASURE_KEY)
            .arg("backup")
            .arg(&copy));
        // Restoring is putting the copy where the database file goes.
        let restored = folder.join("restored").join("communs.db");
        std::fs::create_dir(restored.parent().unwrap()).unwrap();
        std::fs::copy(&copy, &restored).unwrap();
        format!("sqlite://{}?mode=rwc", restored.display())
    }
}

fn run(command: &mut Command) {
    let output = command.output().expect("the command runs");
    assert!(
        output.status.success(),
        "{command:?}: {}",
        String::from_utf8_lossy(&output.stderr)
    );
}

async fn drop_database(url: &str) {
    let name = url.rsplit('/').next().unwrap().split('?').next().unwrap();
    let admin = admin_connection(url).await;
    admin
        .execute_unprepared(&format!("DROP DATABASE IF EXISTS \"{name}\" WITH (FORCE)"))
        .await
        .ok();
}

async fn answer(
    app: &TestApp,
    account: Option<&TestAccount>,
    query: &str,
    variables: Value,
) -> Value {
    match account {
        Some(account) => app.query_as(&account.token, query, variables).await,
        None => app.query_with(query, variables).await,
    }
}

/// Every table's rows, each as text, in order: what a backup must bring back.
async fn rows_by_table(db: &DatabaseConnection) -> BTreeMap<String, String> {
    let backend = db.get_database_backend();
    let tables_sql = match backend {
        DatabaseBackend::Postgres => {
            "SELECT table_name AS name FROM information_schema.tables \
             WHERE table_schema = 'public' AND table_type = 'BASE TABLE'"
        }
        _ => "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'",
    };
    let tables = db
        .query_all_raw(Statement::from_string(backend, tables_sql))
        .await
        .unwrap();
    let mut rows = BTreeMap::new();
    for table in tables {
        let name: String = table.try_get("", "name").unwrap();
        let sql = match backend {
            DatabaseBackend::Postgres => format!(
                "SELECT coalesce(string_agg(t::text, E'\\n' ORDER BY t::text), '') AS rows \
                 FROM \"{name}\" t"
            ),
            _ => {
                let columns = db
                    .query_all_raw(Statement::from_string(
                        backend,
                        format!("SELECT name FROM pragma_table_info('{name}')"),
                    ))
                    .await
                    .unwrap();
                let row: Vec<String> = columns
                    .iter()
                    .map(|column| {
                        let column: String = column.try_get("", "name").unwrap();
                        format!("quote(\"{column}\")")
                    })
                    .collect();
                format!(
                    "SELECT coalesce(group_concat(r, char(10)), '') AS rows FROM \
                     (SELECT {} AS r FROM \"{name}\" ORDER BY 1)",
                    row.join(" || '|' || ")
                )
            }
        };
        let text = db
            .query_one_raw(Statement::from_string(backend, sql))
            .await
            .unwrap()
            .unwrap();
        rows.insert(name, text.try_get("", "rows").unwrap());
    }
    assert!(rows.len() > 10, "the tables are listed: {:?}", rows.keys());
    rows
}

#[tokio::test]
async fn backup_never_overwrites_a_file_and_sends_postgresql_to_pg_dump() {
    let app = TestApp::with_demo().await;
    let folder = tempfile::tempdir().unwrap();
    let existing = folder.path().join("yesterday.db");
    std::fs::write(&existing, "yesterday's backup").unwrap();
    let output = Command::new(BINARY)
        .env_clear()
        .env("DATABASE_URL", &app.database_url)
        .env("ERASURE_KEY", TEST_ERASURE_KEY)
        .arg("backup")
        .arg(&existing)
        .output()
        .unwrap();
    assert!(!output.status.success());
    let stderr = String::from_utf8(output.stderr).unwrap();
    if app.database_url.starts_with("postgres") {
        assert!(stderr.contains("pg_dump"), "{stderr}");
    } else {
        assert!(stderr.contains("exists already"), "{stderr}");
    }
    assert_eq!(
        std::fs::read_to_string(&existing).unwrap(),
        "yesterday's backup"
    );
}
