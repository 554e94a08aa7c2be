//! Faults: the database going away and coming back, and a shutdown under load.

use std::{
    collections::HashSet,
    io::{BufRead, BufReader, Read, Write},
    net::TcpStream,
    process::{Command, Stdio},
    sync::{Arc, Mutex},
    time::{Duration, Instant},
};

use entity::enums::Role;
use reqwest::StatusCode;
use sea_orm::{ConnectionTrait, EntityTrait, TransactionTrait};
use serde_json::{Value, json};

use crate::helpers::{TestApp, error_codes};

/// The PostgreSQL server and the test's database on it; `None` on SQLite.
fn postgres_database(app: &TestApp) -> Option<(String, String)> {
    let server = std::env::var("TEST_DATABASE_URL")
        .ok()
        .filter(|url| url.starts_with("postgres"))?;
    let path = app.database_url.split('?').next()?;
    let name = path.rsplit('/').next()?.to_owned();
    Some((server, name))
}

/// Makes the test's database unreachable (its connections cut, new ones refused), or
/// reachable again, without touching the server or the other tests' databases.
async fn set_reachable(server: &str, name: &str, reachable: bool) {
    let admin = sea_orm::Database::connect(server).await.unwrap();
    admin
        .execute_unprepared(&format!(
            "ALTER DATABASE \"{name}\" ALLOW_CONNECTIONS {reachable}"
        ))
        .await
        .unwrap();
    if !reachable {
        admin
            .execute_unprepared(&format!(
                "SELECT pg_terminate_backend(pid) FROM pg_stat_activity
                 WHERE datname = '{name}' AND pid <> pg_backend_pid()"
            ))
            .await
            .unwrap();
    }
    admin.close().await.ok();
}

/// What a client is told while the database cannot serve: 503, `Retry-After`, and a GraphQL
/// body whose one error is `SERVICE_UNAVAILABLE` with a message saying to retry.
async fn assert_told_to_retry(response: reqwest::Response) {
    assert_eq!(response.status(), StatusCode::SERVICE_UNAVAILABLE);
    assert_eq!(response.headers()["retry-after"], "5");
    let body: Value = response.json().await.unwrap();
    assert_eq!(error_codes(&body), ["SERVICE_UNAVAILABLE"], "{body}");
    let error = &body["errors"][0];
    assert!(
        error["message"]
            .as_str()
            .unwrap()
            .contains("retry in 5 seconds"),
        "{body}"
    );
    assert_eq!(error["extensions"]["retryAfterSeconds"], 5, "{body}");
    assert!(error["extensions"]["requestId"].is_string(), "{body}");
}

/// `/readyz` answers 503 within a second, whatever the acquire timeout.
async fn assert_not_ready_within_a_second(app: &TestApp) {
    let started = Instant::now();
    assert_eq!(
        app.get("/readyz").await.status(),
        StatusCode::SERVICE_UNAVAILABLE
    );
    assert!(
        started.elapsed() < Duration::from_secs(1),
        "/readyz answered after {:?}",
        started.elapsed()
    );
}

#[tokio::test]
async fn while_the_database_is_down_requests_are_told_to_retry_and_service_resumes_by_itself() {
    let app = TestApp::with_demo_and_acquire_timeout(Duration::from_secs(2)).await;
    // The embedded SQLite database cannot go away while its file is open: PostgreSQL only.
    let Some((server, name)) = postgres_database(&app) else {
        return;
    };
    let admin = app.account("admin@exemple.fr", Role::Admin, None).await;
    app.data("{ themes { name } }").await;
    set_reachable(&server, &name, false).await;

    assert_not_ready_within_a_second(&app).await;
    let started = Instant::now();
    let query = json!({ "query": "{ themes { name } }" });
    assert_told_to_retry(app.post_graphql(query.clone()).await).await;
    assert!(
        started.elapsed() < Duration::from_secs(8),
        "failed after {:?}, not at the acquire timeout",
        started.elapsed()
    );
    // The token is checked against the database before anything runs.
    assert_told_to_retry(app.post_graphql_as(&admin.token, query.clone()).await).await;
    let graphql_response = app
        .client
        .post(format!("{}/graphql", app.address))
        .header("accept", "application/graphql-response+json")
        .json(&query)
        .send()
        .await
        .unwrap();
    assert!(
        graphql_response.headers()["content-type"]
            .to_str()
            .unwrap()
            .starts_with("application/graphql-response+json")
    );
    assert_told_to_retry(graphql_response).await;
    assert_eq!(app.get("/healthz").await.status(), StatusCode::OK);

    set_reachable(&server, &name, true).await;
    let mut ready = StatusCode::SERVICE_UNAVAILABLE;
    for _ in 0..50 {
        ready = app.get("/readyz").await.status();
        if ready == StatusCode::OK {
            break;
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    assert_eq!(ready, StatusCode::OK, "ready again without a restart");
    let data = app.data("{ themes { name } }").await;
    assert_eq!(data["themes"].as_array().unwrap().len(), 6);
}

/// The size of the app's connection pool.
fn pool_size(app: &TestApp) -> u32 {
    match app.db().get_database_backend() {
        sea_orm::DbBackend::Postgres => app
            .db()
            .get_postgres_connection_pool()
            .options()
            .get_max_connections(),
        _ => app
            .db()
            .get_sqlite_connection_pool()
            .options()
            .get_max_connections(),
    }
}

#[tokio::test]
async fn while_every_database_connection_is_busy_requests_are_told_to_retry() {
    let app = TestApp::with_demo_and_acquire_timeout(Duration::from_secs(2)).await;
    let admin = app.account("admin@exemple.fr", Role::Admin, None).await;
    let mut held = Vec::new();
    for _ in 0..pool_size(&app) {
        held.push(app.db().begin().await.unwrap());
    }

    assert_not_ready_within_a_second(&app).await;
    let started = Instant::now();
    let query = json!({ "query": "{ themes { name } }" });
    assert_told_to_retry(app.post_graphql(query.clone()).await).await;
    assert!(
        started.elapsed() >= Duration::from_millis(1500)
            && started.elapsed() < Duration::from_secs(8),
        "failed after {:?}, not at the acquire timeout",
        started.elapsed()
    );
    assert_told_to_retry(app.post_graphql_as(&admin.token, query).await).await;

    for transaction in held {
        transaction.rollback().await.unwrap();
    }
    assert_eq!(app.get("/readyz").await.status(), StatusCode::OK);
    let data = app.data("{ themes { name } }").await;
    assert_eq!(data["themes"].as_array().unwrap().len(), 6);
}

/// Whether a statement of the test's database waits for a lock.
async fn waits_for_a_lock(server: &str, name: &str) -> bool {
    let admin = sea_orm::Database::connect(server).await.unwrap();
    let waiting = admin
        .query_one_raw(sea_orm::Statement::from_sql_and_values(
            sea_orm::DbBackend::Postgres,
            "SELECT 1 FROM pg_stat_activity
             WHERE datname = $1 AND wait_event_type = 'Lock' AND query LIKE 'INSERT%'",
            [name.into()],
        ))
        .await
        .unwrap()
        .is_some();
    admin.close().await.ok();
    waiting
}

#[tokio::test]
async fn an_outage_in_the_middle_of_a_mutation_is_told_to_retry_and_writes_nothing() {
    let app = Arc::new(TestApp::with_demo_and_acquire_timeout(Duration::from_secs(1)).await);
    let Some((server, name)) = postgres_database(&app) else {
        return;
    };
    let admin = app.account("admin@exemple.fr", Role::Admin, None).await;
    // Another session lets the mutation read the accounts but holds its INSERT, so the
    // outage comes while its transaction is open.
    let other = sea_orm::Database::connect(&app.database_url).await.unwrap();
    let holding = other.begin().await.unwrap();
    holding
        .execute_unprepared("LOCK TABLE app_user IN SHARE MODE")
        .await
        .unwrap();
    let mutation = tokio::spawn({
        let (app, token) = (app.clone(), admin.token.clone());
        async move {
            app.post_graphql_as(
                &token,
                json!({ "query": CREATE_USER, "variables": { "email": "pendant@exemple.fr" } }),
            )
            .await
        }
    });
    let started = Instant::now();
    while !waits_for_a_lock(&server, &name).await {
        assert!(
            started.elapsed() < Duration::from_secs(10),
            "the mutation reaches its INSERT"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    set_reachable(&server, &name, false).await;
    assert_told_to_retry(mutation.await.unwrap()).await;
    drop(holding);
    other.close().await.ok();

    set_reachable(&server, &name, true).await;
    // The first statements back may still meet connections the outage cut.
    let mut users = Err(sea_orm::DbErr::RecordNotFound("not read yet".to_owned()));
    for _ in 0..50 {
        users = entity::user::Entity::find().all(app.db()).await;
        if users.is_ok() {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let stored = users
        .unwrap()
        .into_iter()
        .any(|user| user.email == "pendant@exemple.fr");
    assert!(!stored, "the interrupted mutation wrote nothing");
}

#[tokio::test]
async fn a_write_locked_out_by_another_writer_is_told_to_retry() {
    let app = TestApp::with_demo().await;
    // PostgreSQL waits for a lock as long as it is held: SQLite only.
    if postgres_database(&app).is_some() {
        return;
    }
    let admin = app.account("admin@exemple.fr", Role::Admin, None).await;
    // Another process writing to the file (an import, a backup restored) holds its lock.
    let other = sea_orm::Database::connect(&app.database_url).await.unwrap();
    let holding = other.begin().await.unwrap();
    holding
        .execute_unprepared("CREATE TABLE held_by_another_writer (id INTEGER)")
        .await
        .unwrap();
    let create = |email: &str| {
        app.post_graphql_as(
            &admin.token,
            json!({ "query": CREATE_USER, "variables": { "email": email } }),
        )
    };
    // Refused at once: the mutation's transaction read before it writes, and SQLite does not
    // wait to turn a read into a write while another connection writes.
    let started = Instant::now();
    assert_told_to_retry(create("pendant@exemple.fr").await).await;
    assert!(
        started.elapsed() < Duration::from_secs(15),
        "refused after {:?}",
        started.elapsed()
    );

    holding.rollback().await.unwrap();
    other.close().await.ok();
    let response = create("pendant@exemple.fr").await;
    assert_eq!(response.status(), StatusCode::OK);
    let body: Value = response.json().await.unwrap();
    assert!(
        body["data"]["createUser"]["user"]["id"].is_string(),
        "{body}"
    );
}

const CREATE_USER: &str = "mutation ($email: String!) {
    createUser(input: { email: $email, displayName: \"Personne\", role: MODERATOR }) {
        user { id } } }";

#[tokio::test]
async fn every_write_acknowledged_while_the_database_goes_away_and_back_is_stored() {
    let app = Arc::new(TestApp::with_demo_and_acquire_timeout(Duration::from_secs(1)).await);
    let Some((server, name)) = postgres_database(&app) else {
        return;
    };
    let admin = app.account("admin@exemple.fr", Role::Admin, None).await;
    let acknowledged = Arc::new(Mutex::new(Vec::<String>::new()));
    let failed = Arc::new(Mutex::new(0usize));
    let stop_at = Instant::now() + Duration::from_secs(5);
    let writers: Vec<_> = (0..4)
        .map(|writer| {
            let (app, token) = (app.clone(), admin.token.clone());
            let (acknowledged, failed) = (acknowledged.clone(), failed.clone());
            tokio::spawn(async move {
                let mut n = 0;
                while Instant::now() < stop_at {
                    n += 1;
                    let email = format!("w{writer}-{n}@exemple.fr");
                    let response = app
                        .post_graphql_as(
                            &token,
                            json!({ "query": CREATE_USER,
                            "variables": { "email": email } }),
                        )
                        .await;
                    let status = response.status();
                    let body: Value = response.json().await.unwrap_or(Value::Null);
                    if status == StatusCode::OK
                        && body.get("errors").is_none()
                        && body["data"]["createUser"]["user"]["id"].is_string()
                    {
                        acknowledged.lock().unwrap().push(email);
                    } else {
                        assert_eq!(status, StatusCode::SERVICE_UNAVAILABLE, "{body}");
                        assert_eq!(error_codes(&body), ["SERVICE_UNAVAILABLE"], "{body}");
                        *failed.lock().unwrap() += 1;
                    }
                }
            })
        })
        .collect();
    tokio::time::sleep(Duration::from_millis(1500)).await;
    set_reachable(&server, &name, false).await;
    tokio::time::sleep(Duration::from_millis(1500)).await;
    set_reachable(&server, &name, true).await;
    for writer in writers {
        writer.await.unwrap();
    }

    let acknowledged = acknowledged.lock().unwrap().clone();
    let failed = *failed.lock().unwrap();
    assert!(
        acknowledged.len() >= 4,
        "writes before and after: {}",
        acknowledged.len()
    );
    assert!(failed > 0, "the outage refused some writes");
    let stored: HashSet<String> = entity::user::Entity::find()
        .all(app.db())
        .await
        .unwrap()
        .into_iter()
        .map(|user| user.email)
        .collect();
    for email in &acknowledged {
        assert!(
            stored.contains(email),
            "{email} was acknowledged but is not stored"
        );
    }
}

/// Starts `communs serve` on a fresh embedded database; its address and the process.
fn start_server(data_dir: &std::path::Path, drain_secs: u64) -> (String, std::process::Child) {
    let mut child = Command::new(env!("CARGO_BIN_EXE_communs"))
        .env_clear()
        .env("PATH", std::env::var_os("PATH").unwrap_or_default())
        .env("DATA_DIR", data_dir)
        .env("LISTEN_ADDR", "127.0.0.1:0")
        .env("LOG_FORMAT", "json")
        .env("RUST_LOG", "info")
        .env("SHUTDOWN_DRAIN_SECS", drain_secs.to_string())
        .arg("serve")
        .current_dir(data_dir)
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    // Logs go to standard error.
    let stderr = child.stderr.take().unwrap();
    let mut lines = BufReader::new(stderr).lines();
    let address = loop {
        let line = lines.next().expect("the server logs its address").unwrap();
        if let Some(start) = line.find("\"address\":\"") {
            let rest = &line[start + "\"address\":\"".len()..];
            break rest[..rest.find('"').unwrap()].to_owned();
        }
    };
    // Keep reading the log, so the server never blocks on a full pipe.
    std::thread::spawn(move || lines.for_each(drop));
    (address, child)
}

/// A POST whose body is sent only in part: a request in flight.
fn request_in_flight(address: &str, body: &str) -> (TcpStream, usize) {
    let mut stream = TcpStream::connect(address).unwrap();
    let split = body.len() / 2;
    write!(
        stream,
        "POST /graphql HTTP/1.1\r\nhost: communs\r\ncontent-type: application/json\r\n\
         content-length: {}\r\nconnection: close\r\n\r\n{}",
        body.len(),
        &body[..split]
    )
    .unwrap();
    stream.flush().unwrap();
    (stream, split)
}

#[test]
fn on_sigterm_requests_in_flight_finish_new_ones_are_refused_and_the_drain_time_is_kept() {
    let dir = tempfile::tempdir().unwrap();
    let (address, mut server) = start_server(dir.path(), 3);
    let body = json!({ "query": "{ themes { name } }" }).to_string();
    let ready = || {
        TcpStream::connect(&address).is_ok_and(|mut stream| {
            write!(
                stream,
                "GET /readyz HTTP/1.1\r\nhost: c\r\nconnection: close\r\n\r\n"
            )
            .is_ok()
                && {
                    let mut answer = String::new();
                    stream.read_to_string(&mut answer).is_ok() && answer.starts_with("HTTP/1.1 200")
                }
        })
    };
    let started = Instant::now();
    while !ready() {
        assert!(
            started.elapsed() < Duration::from_secs(30),
            "the server starts"
        );
        std::thread::sleep(Duration::from_millis(100));
    }

    let (mut finishing, split) = request_in_flight(&address, &body);
    let (_never_finishing, _) = request_in_flight(&address, &body);
    std::thread::sleep(Duration::from_millis(300));
    let status = Command::new("kill")
        .args(["-TERM", &server.id().to_string()])
        .status()
        .unwrap();
    assert!(status.success());
    let signalled = Instant::now();
    std::thread::sleep(Duration::from_millis(300));

    assert!(
        TcpStream::connect(&address).is_err(),
        "new connections are refused while draining"
    );
    finishing.write_all(&body.as_bytes()[split..]).unwrap();
    let mut answer = String::new();
    finishing.read_to_string(&mut answer).unwrap();
    assert!(answer.starts_with("HTTP/1.1 200"), "{answer}");
    assert!(answer.contains("\"themes\""), "{answer}");

    // The other request never completes: the process leaves at the end of the drain time.
    let exit = loop {
        if let Some(status) = server.try_wait().unwrap() {
            break status;
        }
        if signalled.elapsed() > Duration::from_secs(15) {
            server.kill().ok();
            panic!("still running {:?} after SIGTERM", signalled.elapsed());
        }
        std::thread::sleep(Duration::from_millis(50));
    };
    assert!(exit.success(), "{exit:?}");
    let waited = signalled.elapsed();
    assert!(
        waited >= Duration::from_secs(2) && waited < Duration::from_secs(10),
        "exited {waited:?} after SIGTERM with a drain time of 3 s"
    );
}
