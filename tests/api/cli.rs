//! The `communs` command as an operator runs it.

use std::{
    io::{BufRead, BufReader},
    process::{Command, Stdio},
    time::Duration,
};

use crate::helpers::TestApp;

const BINARY: &str = env!("CARGO_BIN_EXE_communs");

/// The command with a clean environment: no settings but those a test gives.
fn communs(data_dir: &std::path::Path) -> Command {
    let mut command = Command::new(BINARY);
    command
        .env_clear()
        .env("PATH", std::env::var_os("PATH").unwrap_or_default())
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
    assert!(first.contains("initiatives: 15"), "{first}");
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
        .env("LISTEN_ADDR", "127.0.0.1:0")
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    // The JSON log line announcing the server gives the port it got.
    let stdout = child.stdout.take().unwrap();
    let (address_tx, address_rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        for line in BufReader::new(stdout).lines().map_while(Result::ok) {
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
