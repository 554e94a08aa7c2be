//! What the logs hold: never an e-mail address, a password or a token, whatever the
//! operation (logins, accounts, personal data), even with our own code logged at TRACE.
//!
//! The operations run in a process of their own (this test binary, asked for one ignored
//! test) with a global subscriber: `tracing` caches per call site whether anyone listens,
//! so a subscriber scoped to one test thread could miss events while other tests run.

use std::{
    io::Write,
    sync::{Arc, Mutex},
};

use entity::enums::Role;
use serde_json::json;
use tracing_subscriber::{EnvFilter, fmt::MakeWriter};

use crate::helpers::{TEST_PASSWORD, TestApp};

/// The log output of the test, kept in memory.
#[derive(Clone, Default)]
struct Captured(Arc<Mutex<Vec<u8>>>);

impl Write for Captured {
    fn write(&mut self, bytes: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(bytes);
        Ok(bytes.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

impl<'a> MakeWriter<'a> for Captured {
    type Writer = Captured;

    fn make_writer(&'a self) -> Self::Writer {
        self.clone()
    }
}

impl Captured {
    fn text(&self) -> String {
        String::from_utf8_lossy(&self.0.lock().unwrap()).into_owned()
    }
}

/// Where the scenario writes what it logged, and the secrets it used.
const OUTPUT_VARIABLE: &str = "COMMUNS_TEST_LOG_DIR";

#[test]
fn logs_never_hold_email_addresses_passwords_or_tokens() {
    let dir = tempfile::tempdir().unwrap();
    let status = std::process::Command::new(std::env::current_exe().unwrap())
        .args([
            "logs::scenario_logging_sensitive_operations",
            "--exact",
            "--ignored",
            "--test-threads=1",
        ])
        .env(OUTPUT_VARIABLE, dir.path())
        .status()
        .unwrap();
    assert!(status.success(), "the scenario runs");
    let logs = std::fs::read_to_string(dir.path().join("logs")).unwrap();
    let secrets = std::fs::read_to_string(dir.path().join("secrets")).unwrap();
    assert!(logs.contains("logged in"), "the logs were captured: {logs}");
    assert!(logs.contains("personal data erased"), "{logs}");
    for secret in secrets.lines().filter(|line| !line.is_empty()) {
        assert!(!logs.contains(secret), "the logs hold `{secret}`:\n{logs}");
    }
    // No e-mail address of any kind.
    assert!(!logs.contains("@exemple.fr"), "{logs}");
}

#[tokio::test]
#[ignore = "run by logs_never_hold_email_addresses_passwords_or_tokens, in a process of its own"]
async fn scenario_logging_sensitive_operations() {
    let output =
        std::path::PathBuf::from(std::env::var_os(OUTPUT_VARIABLE).expect("run by the logs test"));
    let captured = Captured::default();
    // The production filter, with our own code and the HTTP layer at their most verbose.
    let subscriber = tracing_subscriber::fmt()
        .with_env_filter(EnvFilter::new(
            "info,sqlx=warn,sea_orm=warn,communs=trace,tower_http=trace",
        ))
        .with_writer(captured.clone())
        .with_ansi(false)
        .finish();
    tracing::subscriber::set_global_default(subscriber).unwrap();

    let app = TestApp::with_demo().await;
    let admin = app
        .account("chef.admin@exemple.fr", Role::Admin, None)
        .await;
    let login = "mutation ($email: String!, $password: String!) {
        login(input: { email: $email, password: $password }) { token } }";
    let logged_in = app
        .data_with(
            login,
            json!({ "email": "chef.admin@exemple.fr", "password": TEST_PASSWORD }),
        )
        .await;
    let token = logged_in["login"]["token"].as_str().unwrap().to_owned();
    app.query_with(
        login,
        json!({ "email": "chef.admin@exemple.fr", "password": "un mauvais mot de passe" }),
    )
    .await;
    app.query_with(
        login,
        json!({ "email": "inconnue@exemple.fr", "password": "un mot de passe inconnu" }),
    )
    .await;
    app.data_as(
        &token,
        r#"mutation { createUser(input: { email: "nouvelle.partenaire@exemple.fr",
                displayName: "Nouvelle", role: MODERATOR,
                password: "un mot de passe tout neuf" }) { user { id } } }"#,
        json!({}),
    )
    .await;
    app.query_as(
        &token,
        r#"mutation { createUser(input: { email: "refusee@exemple.fr", displayName: "R",
            role: PARTNER }) { user { id } } }"#,
        json!({}),
    )
    .await;
    let professional = app
        .data_as(
            &admin.token,
            r#"mutation { createProfessional(input: { givenName: "Camille",
                familyName: "Témoin", email: "camille.temoin@exemple.fr",
                phone: "03 87 11 22 33" }) { professional { id } } }"#,
            json!({}),
        )
        .await;
    let id = professional["createProfessional"]["professional"]["id"].clone();
    app.data_as(
        &admin.token,
        "mutation ($id: ID!) { updateProfessional(input: { id: $id,
            email: \"camille.nouvelle@exemple.fr\" }) { professional { id } } }",
        json!({ "id": id }),
    )
    .await;
    app.data_as(
        &admin.token,
        "query ($id: ID!) { exportPersonalData(professionalId: $id) }",
        json!({ "id": id }),
    )
    .await;
    app.data_as(
        &admin.token,
        "mutation ($id: ID!) { erasePersonalData(professionalId: $id) { erasedId } }",
        json!({ "id": id }),
    )
    .await;

    app.data_as(
        &token,
        r#"mutation { changePassword(input: { currentPassword: "un mot de passe de test",
            newPassword: "encore un autre mot de passe" }) { user { id } } }"#,
        json!({}),
    )
    .await;
    std::fs::write(output.join("logs"), captured.text()).unwrap();
    let secrets = [
        "chef.admin@exemple.fr",
        "inconnue@exemple.fr",
        "nouvelle.partenaire@exemple.fr",
        "refusee@exemple.fr",
        "camille.temoin@exemple.fr",
        "camille.nouvelle@exemple.fr",
        "03 87 11 22 33",
        "Témoin",
        TEST_PASSWORD,
        "un mauvais mot de passe",
        "un mot de passe inconnu",
        "un mot de passe tout neuf",
        "encore un autre mot de passe",
        token.as_str(),
        admin.token.as_str(),
        "$argon2",
    ];
    std::fs::write(output.join("secrets"), secrets.join("\n")).unwrap();
}
