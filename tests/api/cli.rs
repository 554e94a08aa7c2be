//! The `communs` command as an operator runs it.

use std::{
    io::{BufRead, BufReader},
    process::{Command, Stdio},
    time::Duration,
};

use crate::helpers::{TEST_ERASURE_KEY, TestApp};

const BINARY: &str = env!("CARGO_BIN_EXE_communs");

/// The command with a clean environment: no settings but those a test gives, and the
/// test servers' erasure key (required beside `DATABASE_URL`).
fn communs(data_dir: &std::path::Path) -> Command {
    let mut command = Command::new(BINARY);
    command
        .env_clear()
        .env("PATH", std::env::var_os("PATH").unwrap_or_default())
        .env("ERASURE_KEY", TEST_ERASURE_KEY)
        .env("DATA_DIR", data_dir)
        .env("LOG_FORMAT", "json")
        .current_dir(data_dir);
    command
}

#[test]
fn a_bad_setting_stops_the_start_with_one_line_naming_it() {
    let dir = tempfile::tempdir().unwrap();
    let output = communs(dir.path())
        .env("LISTEN_ADDR", "not-an-address")
        .output()
        .unwrap();
    assert!(!output.status.success());
    let stderr = String::from_utf8(output.stderr).unwrap();
    assert_eq!(stderr.lines().count(), 1, "{stderr}");
    assert!(
        stderr.starts_with("communs: invalid setting LISTEN_ADDR"),
        "{stderr}"
    );
}

#[test]
fn print_schema_prints_the_checked_in_schema() {
    let dir = tempfile::tempdir().unwrap();
    let output = communs(dir.path()).arg("print-schema").output().unwrap();
    assert!(output.status.success());
    let checked_in =
        std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/schema.graphql")).unwrap();
    assert!(
        String::from_utf8(output.stdout).unwrap() == checked_in,
        "`communs print-schema` differs from schema.graphql"
    );
}

#[tokio::test]
async fn seed_demo_twice_loads_the_meeting_once() {
    let app = TestApp::empty().await;
    let dir = tempfile::tempdir().unwrap();
    let seed = || {
        communs(dir.path())
            .env("DATABASE_URL", &app.database_url)
            .arg("seed-demo")
            .output()
            .unwrap()
    };
    let first = seed();
    assert!(first.status.success(), "{first:?}");
    let first = String::from_utf8(first.stdout).unwrap();
    assert!(first.contains("15 initiatives"), "{first}");
    let second = seed();
    assert!(second.status.success());
    assert!(
        String::from_utf8(second.stdout)
            .unwrap()
            .contains("nothing to do")
    );
    let data = app
        .data("{ initiatives { totalCount } meetings { totalCount } }")
        .await;
    assert_eq!(data["initiatives"]["totalCount"], 15);
    assert_eq!(data["meetings"]["totalCount"], 1);
}

#[tokio::test]
async fn the_first_start_serves_the_demo_and_a_sigterm_stops_it_cleanly() {
    let dir = tempfile::tempdir().unwrap();
    let mut child = communs(dir.path())
        .env_remove("ERASURE_KEY")
        .env("LISTEN_ADDR", "127.0.0.1:0")
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    // The JSON log line announcing the server, on standard error, gives the port it got.
    let stderr = child.stderr.take().unwrap();
    let (address_tx, address_rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        for line in BufReader::new(stderr).lines().map_while(Result::ok) {
            if line.contains("Communs is serving")
                && let Ok(event) = serde_json::from_str::<serde_json::Value>(&line)
                && let Some(address) = event["address"].as_str()
            {
                let _ = address_tx.send(address.to_owned());
            }
        }
    });
    let address = address_rx
        .recv_timeout(Duration::from_secs(60))
        .expect("the server announces its address");
    assert!(
        dir.path().join("communs.db").exists(),
        "created under DATA_DIR"
    );
    assert!(
        dir.path().join("jwt-secret").exists(),
        "a signing secret is generated for the embedded default"
    );
    assert!(
        dir.path().join("erasure-key").exists(),
        "an erasure key is generated for the embedded default"
    );

    let client = reqwest::Client::new();
    let body: serde_json::Value = client
        .post(format!("http://{address}/graphql"))
        .json(&serde_json::json!({ "query": "{ initiatives { totalCount } }" }))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(
        body["data"]["initiatives"]["totalCount"], 15,
        "demo loaded on first start"
    );

    let killed = Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status()
        .unwrap();
    assert!(killed.success());
    let status = tokio::task::spawn_blocking(move || child.wait())
        .await
        .unwrap()
        .unwrap();
    assert!(status.success(), "a SIGTERM is a clean stop: {status:?}");
}

/// Logs in through the app; the token, or the response when it failed.
async fn login(app: &TestApp, email: &str, password: &str) -> Result<String, serde_json::Value> {
    let body = app
        .query_with(
            "mutation ($email: String!, $password: String!) {
                login(input: { email: $email, password: $password }) { token } }",
            serde_json::json!({ "email": email, "password": password }),
        )
        .await;
    body["data"]["login"]["token"]
        .as_str()
        .map(str::to_owned)
        .ok_or(body)
}

#[tokio::test]
async fn create_user_bootstraps_the_first_admin_with_a_password_from_the_environment() {
    let app = TestApp::with_demo().await;
    let dir = tempfile::tempdir().unwrap();
    let output = communs(dir.path())
        .env("DATABASE_URL", &app.database_url)
        .env("COMMUNS_NEW_PASSWORD", "le premier mot de passe")
        .args([
            "create-user",
            "--email",
            "Admin@Exemple.fr",
            "--role",
            "admin",
        ])
        .output()
        .unwrap();
    assert!(output.status.success(), "{output:?}");
    assert!(
        String::from_utf8(output.stdout)
            .unwrap()
            .contains("account created: admin@exemple.fr (ADMIN)")
    );
    let token = login(&app, "admin@exemple.fr", "le premier mot de passe")
        .await
        .unwrap();
    let users = app
        .data_as(
            &token,
            "{ users { nodes { role } } }",
            serde_json::json!({}),
        )
        .await;
    assert_eq!(users["users"]["nodes"][0]["role"], "ADMIN");
}

#[tokio::test]
async fn create_user_reads_the_password_from_standard_input_and_checks_it() {
    let app = TestApp::with_demo().await;
    let dir = tempfile::tempdir().unwrap();
    let create = |email: &str, password: &str| {
        let mut child = communs(dir.path())
            .env("DATABASE_URL", &app.database_url)
            .args(["create-user", "--email", email, "--role", "partner"])
            .args(["--organisation", "afev", "--display-name", "Julie"])
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        use std::io::Write;
        writeln!(child.stdin.take().unwrap(), "{password}").unwrap();
        child.wait_with_output().unwrap()
    };
    let weak = create("julie@exemple.fr", "court");
    assert!(!weak.status.success());
    let stderr = String::from_utf8(weak.stderr).unwrap();
    assert!(stderr.contains("too short"), "{stderr}");
    assert!(!stderr.contains("court\n"), "the password is not echoed");

    let created = create("julie@exemple.fr", "un mot de passe saisi");
    assert!(created.status.success(), "{created:?}");
    assert!(
        login(&app, "julie@exemple.fr", "un mot de passe saisi")
            .await
            .is_ok()
    );
}

#[tokio::test]
async fn seed_demo_creates_demo_accounts_only_when_asked() {
    let app = TestApp::empty().await;
    let dir = tempfile::tempdir().unwrap();
    let seed = |with_accounts: bool| {
        let mut command = communs(dir.path());
        command
            .env("DATABASE_URL", &app.database_url)
            .arg("seed-demo");
        if with_accounts {
            command.arg("--with-accounts");
        }
        let output = command.output().unwrap();
        assert!(output.status.success(), "{output:?}");
        String::from_utf8(output.stdout).unwrap()
    };
    assert!(!seed(false).contains("demo account"));
    assert!(
        login(&app, "admin@demo.communs.invalid", "x")
            .await
            .is_err()
    );
    let printed = seed(true);
    let password_of = |email: &str| {
        printed
            .lines()
            .find(|line| line.starts_with(&format!("demo account {email} ")))
            .and_then(|line| line.split("password ").nth(1))
            .unwrap_or_else(|| panic!("{email} in {printed}"))
            .to_owned()
    };
    for email in [
        "admin@demo.communs.invalid",
        "moderation@demo.communs.invalid",
        "partenaire@demo.communs.invalid",
    ] {
        assert!(
            login(&app, email, &password_of(email)).await.is_ok(),
            "{email}"
        );
    }
    assert!(seed(true).contains("already exists: password unchanged"));
}

#[test]
fn serving_a_database_url_without_a_jwt_secret_stops_the_start() {
    let dir = tempfile::tempdir().unwrap();
    let output = communs(dir.path())
        .env("DATABASE_URL", "postgres://nobody@127.0.0.1:1/none")
        .output()
        .unwrap();
    assert!(!output.status.success());
    let stderr = String::from_utf8(output.stderr).unwrap();
    assert_eq!(stderr.lines().count(), 1, "{stderr}");
    assert!(
        stderr.starts_with("communs: invalid setting JWT_SECRET"),
        "{stderr}"
    );
}

const ERASE: &str = "mutation ($id: ID!) { erasePersonalData(professionalId: $id) { erasedId } }";

/// Erases a demo professional as an admin of `app`.
async fn erase_demo_professional(app: &TestApp, slug: &str) {
    let admin = app
        .account("admin@exemple.fr", entity::enums::Role::Admin, None)
        .await
        .token;
    let id = app.id_of(&format!(r#"professional(slug: "{slug}")"#)).await;
    app.data_as(&admin, ERASE, serde_json::json!({ "id": id }))
        .await;
}

#[tokio::test]
async fn seed_demo_after_an_erasure_brings_no_one_back_and_says_how_many_entries_it_left_out() {
    let app = TestApp::with_demo().await;
    erase_demo_professional(&app, "julie-parachini").await;
    let dir = tempfile::tempdir().unwrap();
    let seed = || {
        let output = communs(dir.path())
            .env("DATABASE_URL", &app.database_url)
            .arg("seed-demo")
            .output()
            .unwrap();
        assert!(output.status.success(), "{output:?}");
        String::from_utf8(output.stdout).unwrap() + &String::from_utf8(output.stderr).unwrap()
    };
    let counts =
        "{ professionals { totalCount } meetings { totalCount } initiatives { totalCount } }";
    let before = app.data(counts).await;
    // Each run is a new process: the erasure holds across restarts.
    for _ in 0..2 {
        let printed = seed();
        assert!(printed.contains("nothing to do"), "{printed}");
        assert!(
            printed.contains("2 demo entries skipped: the people they name were erased"),
            "{printed}"
        );
        for name in ["Julie", "Parachini", "julie", "parachini"] {
            assert!(!printed.contains(name), "{printed}");
        }
        assert_eq!(app.data(counts).await, before);
        let found = app
            .data(r#"{ professional(slug: "julie-parachini") { id } }"#)
            .await;
        assert_eq!(found["professional"], serde_json::Value::Null);
    }
}

#[tokio::test]
async fn seed_demo_loads_nothing_under_another_erasure_key_than_the_tombstones() {
    let app = TestApp::with_demo().await;
    erase_demo_professional(&app, "julie-parachini").await;
    let dir = tempfile::tempdir().unwrap();
    let output = communs(dir.path())
        .env("DATABASE_URL", &app.database_url)
        .env("ERASURE_KEY", "another-erasure-key-of-at-least-32-bytes")
        .arg("seed-demo")
        .output()
        .unwrap();
    assert!(!output.status.success(), "{output:?}");
    let stderr = String::from_utf8(output.stderr).unwrap();
    assert!(stderr.contains("another ERASURE_KEY"), "{stderr}");
    let found = app
        .data(r#"{ professional(slug: "julie-parachini") { id } }"#)
        .await;
    assert_eq!(found["professional"], serde_json::Value::Null);
}

#[tokio::test]
async fn seed_demo_on_a_database_url_without_an_erasure_key_stops_the_start() {
    let app = TestApp::empty().await;
    let dir = tempfile::tempdir().unwrap();
    let output = communs(dir.path())
        .env_remove("ERASURE_KEY")
        .env("DATABASE_URL", &app.database_url)
        .arg("seed-demo")
        .output()
        .unwrap();
    assert!(!output.status.success(), "{output:?}");
    let stderr = String::from_utf8(output.stderr).unwrap();
    assert!(
        stderr.starts_with("communs: invalid setting ERASURE_KEY"),
        "{stderr}"
    );
    let data = app.data("{ initiatives { totalCount } }").await;
    assert_eq!(data["initiatives"]["totalCount"], 0);
}

/// Every command that connects, run against `url`: its standard error.
fn each_connecting_command(url: &str) -> Vec<(&'static str, String)> {
    let dir = tempfile::tempdir().unwrap();
    let territories = dir.path().join("regions.csv");
    std::fs::write(&territories, "REG,CHEFLIEU,TNCC,NCC,NCCENR,LIBELLE\n").unwrap();
    let commands: [(&str, &[&str]); 4] = [
        ("migrate", &["migrate"]),
        ("seed-demo", &["seed-demo"]),
        (
            "create-user",
            &["create-user", "--email", "a@exemple.fr", "--role", "admin"],
        ),
        (
            "import-territories",
            &["import-territories", territories.to_str().unwrap()],
        ),
    ];
    commands
        .into_iter()
        .map(|(name, args)| {
            let output = communs(dir.path())
                .env("DATABASE_URL", url)
                .env("DATABASE_ACQUIRE_TIMEOUT_SECS", "1")
                .env("COMMUNS_NEW_PASSWORD", "un mot de passe assez long")
                .args(args)
                .output()
                .unwrap();
            assert!(!output.status.success(), "{name} succeeded");
            (name, String::from_utf8(output.stderr).unwrap())
        })
        .collect()
}

#[test]
fn a_refused_database_port_stops_every_command_with_one_line_naming_the_cause() {
    for (command, stderr) in each_connecting_command("postgres://communs:s3cret@127.0.0.1:1/x") {
        assert_eq!(stderr.lines().count(), 1, "{command}: {stderr}");
        assert!(
            stderr.starts_with(
                "communs: cannot open the database (postgres://communs:***@127.0.0.1:1/x): \
                 connection refused"
            ),
            "{command}: {stderr}"
        );
        assert!(!stderr.contains("s3cret"), "{command}: {stderr}");
        assert!(!stderr.contains("timed out"), "{command}: {stderr}");
    }
}

#[test]
fn a_postgres_url_without_a_user_stops_the_start_with_one_line_saying_so() {
    // The server must answer for it to refuse the user: PostgreSQL runs only.
    let Some(server) = std::env::var("TEST_DATABASE_URL")
        .ok()
        .filter(|url| url.starts_with("postgres"))
    else {
        return;
    };
    let host = server
        .split_once('@')
        .map_or(server.as_str(), |(_, host)| host)
        .split('/')
        .next()
        .unwrap();
    let url = format!("postgres://{host}/communs");
    let dir = tempfile::tempdir().unwrap();
    let output = communs(dir.path())
        .env("DATABASE_URL", &url)
        // Otherwise the system's user name, which may happen to be a role of the server.
        .env("PGUSER", "communs_no_such_role")
        .arg("migrate")
        .output()
        .unwrap();
    assert!(!output.status.success());
    let stderr = String::from_utf8(output.stderr).unwrap();
    assert_eq!(stderr.lines().count(), 1, "{stderr}");
    assert!(
        stderr.starts_with(&format!("communs: cannot open the database ({url}): ")),
        "{stderr}"
    );
    assert!(stderr.contains("communs_no_such_role"), "{stderr}");
    assert!(
        stderr.contains("the URL names no user") && stderr.contains("postgres://USER:PASSWORD@"),
        "{stderr}"
    );
    assert!(!stderr.contains(" at line "), "{stderr}");
}

#[test]
fn logs_go_to_standard_error_without_colours_and_command_output_to_standard_output() {
    let dir = tempfile::tempdir().unwrap();
    let output = communs(dir.path())
        .env("LOG_FORMAT", "pretty")
        .arg("seed-demo")
        .output()
        .unwrap();
    assert!(output.status.success(), "{output:?}");
    let stdout = String::from_utf8(output.stdout).unwrap();
    let stderr = String::from_utf8(output.stderr).unwrap();
    // The summary is for the user, in words; the log lines are not mixed in.
    assert!(
        stdout.starts_with("demo dataset loaded: ") && stdout.contains("15 initiatives"),
        "{stdout}"
    );
    assert!(!stdout.contains("DemoReport"), "{stdout}");
    assert!(!stderr.contains("demo dataset loaded"), "{stderr}");

    let output = communs(dir.path())
        .env("LOG_FORMAT", "pretty")
        .arg("migrate")
        .output()
        .unwrap();
    assert!(output.status.success(), "{output:?}");
    let stdout = String::from_utf8(output.stdout).unwrap();
    let stderr = String::from_utf8(output.stderr).unwrap();
    assert!(stdout.is_empty(), "{stdout}");
    assert!(
        stderr.contains("INFO") && stderr.contains("migrations applied"),
        "the logs are on standard error: {stderr}"
    );
    assert!(
        !stderr.contains('\u{1b}'),
        "no colour codes in a pipe: {stderr:?}"
    );
}

#[test]
fn a_partner_without_an_organisation_is_refused_before_a_password_is_asked() {
    let dir = tempfile::tempdir().unwrap();
    let output = communs(dir.path())
        .args([
            "create-user",
            "--email",
            "p@exemple.fr",
            "--role",
            "partner",
        ])
        // A password on standard input would be read if the command asked for one.
        .stdin(std::process::Stdio::piped())
        .output()
        .unwrap();
    assert!(!output.status.success());
    let stderr = String::from_utf8(output.stderr).unwrap();
    assert_eq!(stderr.lines().count(), 1, "{stderr}");
    assert!(stderr.contains("--organisation"), "{stderr}");
    assert!(!stderr.contains("input.organisationId"), "{stderr}");
    assert!(
        !dir.path().join("communs.db").exists(),
        "refused before the database is opened"
    );
}

#[test]
fn the_help_says_where_the_settings_are() {
    let dir = tempfile::tempdir().unwrap();
    let output = communs(dir.path()).arg("--help").output().unwrap();
    assert!(output.status.success());
    let help = String::from_utf8(output.stdout).unwrap();
    assert!(help.contains(".env"), "{help}");
    assert!(help.contains("docs/operations.md"), "{help}");
}

#[test]
fn the_listen_address_may_be_a_host_name() {
    let dir = tempfile::tempdir().unwrap();
    let mut child = communs(dir.path())
        .env("LISTEN_ADDR", "localhost:0")
        .stderr(std::process::Stdio::piped())
        .stdout(std::process::Stdio::null())
        .spawn()
        .unwrap();
    let stderr = child.stderr.take().unwrap();
    let line = BufReader::new(stderr)
        .lines()
        .map_while(Result::ok)
        .find(|line| line.contains("Communs is serving"));
    let _ = child.kill();
    let _ = child.wait();
    let line = line.expect("the server starts on localhost");
    let event: serde_json::Value = serde_json::from_str(&line).unwrap();
    let message = event["message"].as_str().unwrap();
    assert!(
        message.contains("http://127.0.0.1:") || message.contains("http://[::1]:"),
        "{message}"
    );
    assert!(message.contains("/graphql"), "{message}");
}
