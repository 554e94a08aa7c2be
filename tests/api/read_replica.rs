//! `DATABASE_READ_URL`: anonymous queries read a streaming standby; mutations and signed-in
//! callers use the primary, so a partner reads its own writes at once; what is kept from the
//! catalogue is forgotten when the standby shows a change, not before.
//!
//! Against a real streaming pair: the test makes its own primary (`initdb`, a `replication`
//! line in `pg_hba.conf`) and standby (`pg_basebackup -R`) in a temporary folder, on free
//! ports, run as the `postgres` user when the tests run as root, stopped at the end. It runs
//! with the PostgreSQL suite (`TEST_DATABASE_URL`), whose machines have the server's
//! programs.

use std::{
    path::{Path, PathBuf},
    process::Command,
    time::{Duration, Instant},
};

use entity::enums::Role;
use sea_orm::{ConnectionTrait, DatabaseBackend, DatabaseConnection, Statement};
use serde_json::json;

use crate::{
    contributions::{draft, moderate, submit},
    helpers::{TestApp, test_erasure_key},
};

#[tokio::test]
async fn anonymous_queries_read_the_standby_and_signed_in_callers_their_own_writes() {
    if !std::env::var("TEST_DATABASE_URL").is_ok_and(|url| url.starts_with("postgres")) {
        eprintln!("read replicas are tested with the PostgreSQL suite (TEST_DATABASE_URL)");
        return;
    }
    let pair = StreamingPair::start();
    let primary_url = pair.url(pair.primary_port, "communs");
    let standby_url = pair.url(pair.standby_port, "communs");
    let server = connect(&pair.url(pair.primary_port, "postgres")).await;
    execute(&server, "CREATE DATABASE communs").await;
    let database = communs::Database::open(&communs::config::DatabaseConfig {
        setting: communs::config::DatabaseSetting::Url(primary_url.clone()),
        max_connections: Some(2),
        acquire_timeout: Duration::from_secs(10),
    })
    .await
    .unwrap();
    database.migrate().await.unwrap();
    communs::demo::load(&database.connection, &test_erasure_key())
        .await
        .unwrap();
    let standby = connect(&standby_url).await;
    until_replayed(&server, &standby).await;

    // Answers are kept long: only the change stream may make them be forgotten here.
    let app = TestApp::reading_from_standby(&primary_url, &standby_url, |settings| {
        settings.response_cache = Duration::from_secs(600);
    })
    .await;
    let partner = app
        .account("partenaire@exemple.fr", Role::Partner, Some("afev"))
        .await;
    let moderator = app
        .account("moderation@exemple.fr", Role::Moderator, None)
        .await;
    let count = "{ initiatives { totalCount } }";
    assert_eq!(app.data(count).await["initiatives"]["totalCount"], 15);

    // The standby stops replaying: from now on it shows the catalogue as it was.
    until_replayed(&server, &standby).await;
    execute(&standby, "SELECT pg_wal_replay_pause()").await;
    let id = draft(
        &app,
        &partner,
        "Paniers solidaires de la cité des Provinces",
    )
    .await;
    submit(&app, &partner, &id, 1).await;
    let approved = moderate(&app, &moderator, &id, "APPROVE", None, 2).await;
    assert_eq!(approved["errors"], serde_json::Value::Null, "{approved}");

    let own = "query ($id: ID!) { node(id: $id) { ... on Initiative { status title } } }";
    let seen = app.data_as(&partner.token, own, json!({ "id": id })).await;
    assert_eq!(
        seen["node"]["status"], "PUBLISHED",
        "the partner reads its own write on the primary"
    );
    let search = r#"{ initiatives(filter: {search: "paniers provinces"}) { totalCount } }"#;
    assert_eq!(
        app.data_as(&moderator.token, search, json!({})).await["initiatives"]["totalCount"],
        1,
        "a moderator reads the primary"
    );
    assert_eq!(
        app.data(search).await["initiatives"]["totalCount"],
        0,
        "the public reads the standby, which has not replayed the publication"
    );
    assert_eq!(app.data(count).await["initiatives"]["totalCount"], 15);

    // It replays again: the public sees the publication as soon as the standby has it,
    // the kept answer to `count` included.
    let resumed = Instant::now();
    execute(&standby, "SELECT pg_wal_replay_resume()").await;
    for query in [search, count] {
        let expected = if query == search { 1 } else { 16 };
        loop {
            if app.data(query).await["initiatives"]["totalCount"] == expected {
                break;
            }
            assert!(
                resumed.elapsed() < Duration::from_secs(10),
                "the public still reads the catalogue as it was: {query}"
            );
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    }
    eprintln!(
        "the public saw the publication {:?} after the standby resumed",
        resumed.elapsed()
    );
    drop(app);
    database.connection.close().await.ok();
    standby.close().await.ok();
    server.close().await.ok();
}

async fn connect(url: &str) -> DatabaseConnection {
    sea_orm::Database::connect(url)
        .await
        .unwrap_or_else(|error| panic!("{url}: {error}"))
}

async fn execute(db: &DatabaseConnection, sql: &str) {
    db.execute_unprepared(sql)
        .await
        .unwrap_or_else(|error| panic!("{sql}: {error}"));
}

/// Waits until the standby has replayed everything the primary has written.
async fn until_replayed(primary: &DatabaseConnection, standby: &DatabaseConnection) {
    let lsn = primary
        .query_one_raw(Statement::from_string(
            DatabaseBackend::Postgres,
            "SELECT pg_current_wal_lsn()::text AS lsn",
        ))
        .await
        .unwrap()
        .unwrap()
        .try_get::<String>("", "lsn")
        .unwrap();
    let started = Instant::now();
    loop {
        let replayed = standby
            .query_one_raw(Statement::from_sql_and_values(
                DatabaseBackend::Postgres,
                "SELECT pg_last_wal_replay_lsn() >= $1::pg_lsn AS replayed",
                [lsn.clone().into()],
            ))
            .await
            .unwrap()
            .unwrap()
            .try_get::<bool>("", "replayed")
            .unwrap();
        if replayed {
            return;
        }
        assert!(
            started.elapsed() < Duration::from_secs(30),
            "the standby replays"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

/// A PostgreSQL primary and its streaming standby, in a temporary folder.
struct StreamingPair {
    folder: tempfile::TempDir,
    programs: PathBuf,
    primary_port: u16,
    standby_port: u16,
}

impl StreamingPair {
    fn start() -> Self {
        let folder = tempfile::tempdir().expect("a temporary folder");
        let programs = postgres_programs();
        let pair = Self {
            primary_port: free_port(),
            standby_port: free_port(),
            folder,
            programs,
        };
        if running_as_root() {
            run(Command::new("chown")
                .arg("postgres:")
                .arg(pair.folder.path()));
        }
        let primary = pair.folder.path().join("primary");
        let standby = pair.folder.path().join("standby");
        run(pair
            .program("initdb")
            .args(["--auth=trust", "--username=postgres", "--encoding=UTF8"])
            .args(["--locale=C.UTF-8", "--no-sync", "--pgdata"])
            .arg(&primary));
        append(
            &primary.join("postgresql.conf"),
            &format!(
                "port = {}\nlisten_addresses = '127.0.0.1'\nunix_socket_directories = '{}'\n\
                 fsync = off\nwal_level = replica\nmax_wal_senders = 4\nhot_standby = on\n",
                pair.primary_port,
                pair.folder.path().display()
            ),
        );
        append(
            &primary.join("pg_hba.conf"),
            "host replication postgres 127.0.0.1/32 trust\n",
        );
        pair.start_server(&primary);
        run(pair
            .program("pg_basebackup")
            .args(["--host=127.0.0.1", "--username=postgres", "--no-sync"])
            .args(["--write-recovery-conf", "--wal-method=stream"])
            .arg(format!("--port={}", pair.primary_port))
            .arg("--pgdata")
            .arg(&standby));
        append(
            &standby.join("postgresql.conf"),
            &format!("port = {}\n", pair.standby_port),
        );
        pair.start_server(&standby);
        pair
    }

    fn url(&self, port: u16, database: &str) -> String {
        format!("postgres://postgres@127.0.0.1:{port}/{database}")
    }

    fn start_server(&self, data: &Path) {
        let log = data.with_extension("log");
        run(self
            .program("pg_ctl")
            .args(["--wait", "--pgdata"])
            .arg(data)
            .arg("--log")
            .arg(&log)
            .arg("start"));
    }

    /// One of PostgreSQL's programs, run as `postgres` when the tests run as root (the
    /// server refuses to run as root).
    fn program(&self, name: &str) -> Command {
        let program = self.programs.join(name);
        let mut command = if running_as_root() {
            let mut command = Command::new("runuser");
            command.args(["-u", "postgres", "--"]).arg(program);
            command
        } else {
            Command::new(program)
        };
        command.current_dir(self.folder.path());
        command
    }
}

impl Drop for StreamingPair {
    fn drop(&mut self) {
        for data in ["standby", "primary"] {
            let _ = self
                .program("pg_ctl")
                .args(["--mode=immediate", "--pgdata"])
                .arg(self.folder.path().join(data))
                .arg("stop")
                .output();
        }
    }
}

/// The folder of PostgreSQL's server programs: `PG_BIN_DIR`, or the newest under
/// `/usr/lib/postgresql` (Debian's layout).
fn postgres_programs() -> PathBuf {
    if let Some(folder) = std::env::var_os("PG_BIN_DIR") {
        return folder.into();
    }
    let mut versions: Vec<PathBuf> = std::fs::read_dir("/usr/lib/postgresql")
        .expect("PostgreSQL's programs under /usr/lib/postgresql, or PG_BIN_DIR")
        .filter_map(|entry| entry.ok().map(|entry| entry.path().join("bin")))
        .filter(|bin| bin.join("initdb").exists())
        .collect();
    versions.sort_by_key(|bin| {
        bin.parent()
            .and_then(|version| version.file_name()?.to_str()?.parse::<u32>().ok())
    });
    versions
        .pop()
        .expect("initdb under /usr/lib/postgresql/*/bin")
}

fn running_as_root() -> bool {
    Command::new("id")
        .arg("-u")
        .output()
        .is_ok_and(|output| output.stdout.trim_ascii() == b"0")
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

fn append(file: &Path, text: &str) {
    use std::io::Write;
    std::fs::OpenOptions::new()
        .append(true)
        .open(file)
        .and_then(|mut file| file.write_all(text.as_bytes()))
        .unwrap_or_else(|error| panic!("{}: {error}", file.display()));
}

fn run(command: &mut Command) {
    let output = command.output().expect("the command runs");
    assert!(
        output.status.success(),
        "{command:?}: {}{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
}
