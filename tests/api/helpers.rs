//! The test harness: the real router on a free port, over a fresh database per test.
//! SQLite by default; PostgreSQL when `TEST_DATABASE_URL` is a `postgres://` URL (each test
//! then creates its own database on that server and drops it afterwards).

use std::{net::SocketAddr, sync::Arc, time::Duration};

use communs::{
    Database,
    accounts::{
        self, NewUser,
        tokens::{TokenSettings, Tokens},
    },
    config::{DatabaseConfig, DatabaseSetting},
    domain::{
        account::{DisplayName, Email, NewPassword},
        erasure::ErasureKey,
    },
    http::HttpSettings,
};
use entity::enums::Role;
use reqwest::{Client, Response, StatusCode};
use sea_orm::{ConnectionTrait, DatabaseConnection};
use serde_json::{Value, json};

/// The secret the test servers sign their tokens with.
pub const TEST_JWT_SECRET: &str = "the-test-servers-own-secret-of-48-bytes-or-more!";
/// The key of the test servers' erasure tombstones.
pub const TEST_ERASURE_KEY: &str = "the-test-servers-erasure-key-of-32-bytes-or-more";
/// How long the test servers wait for a database connection: longer than the default, for
/// tests that run many requests at once on a busy machine.
const ACQUIRE_TIMEOUT: Duration = Duration::from_secs(10);

/// The password of the accounts tests create.
pub const TEST_PASSWORD: &str = "un mot de passe de test";

/// The token settings of the test servers (the defaults of the real one).
pub fn token_settings() -> TokenSettings {
    TokenSettings {
        issuer: "communs".to_owned(),
        audience: "communs".to_owned(),
        lifetime: chrono::Duration::hours(1),
    }
}

/// An account made for a test, with a valid token.
pub struct TestAccount {
    /// The global id (`User:…`).
    pub id: String,
    pub token: String,
}

pub struct TestApp {
    pub address: String,
    /// Issues tokens as the server does.
    pub tokens: Arc<Tokens>,
    /// The URL of the test's database, for commands run beside the app.
    pub database_url: String,
    pub client: Client,
    pub database: Database,
    /// The change stream as this app (replica) follows it.
    pub changes: communs::events::ChangeStream,
    /// What the app was built with, for its replicas.
    settings: HttpSettings,
    acquire_timeout: Duration,
    _store: Arc<TestStore>,
}

/// Where the test's database lives, removed when the test ends.
enum TestStore {
    Sqlite(#[allow(dead_code)] tempfile::TempDir),
    Postgres {
        server_url: String,
        name: String,
    },
    /// A database the test sets up and removes itself.
    Outside,
}

impl Drop for TestStore {
    fn drop(&mut self) {
        if let TestStore::Postgres { server_url, name } = self {
            let server_url = server_url.clone();
            let name = name.clone();
            // The test's runtime is shutting down: drop the database from a runtime of its own.
            std::thread::spawn(move || {
                let runtime = tokio::runtime::Builder::new_current_thread()
                    .enable_all()
                    .build()
                    .expect("a runtime to drop the test database");
                runtime.block_on(async {
                    if let Ok(admin) = sea_orm::Database::connect(&server_url).await {
                        let _ = admin
                            .execute_unprepared(&format!(
                                "DROP DATABASE IF EXISTS \"{name}\" WITH (FORCE)"
                            ))
                            .await;
                        let _ = admin.close().await;
                    }
                });
            })
            .join()
            .ok();
        }
    }
}

/// `url` with its database name replaced by `name`.
pub fn with_database_name(url: &str, name: &str) -> String {
    let (base, query) = match url.split_once('?') {
        Some((base, query)) => (base, Some(query)),
        None => (url, None),
    };
    let scheme_end = base.find("://").map_or(0, |index| index + 3);
    let server = match base[scheme_end..].find('/') {
        Some(slash) => &base[..scheme_end + slash],
        None => base,
    };
    match query {
        Some(query) => format!("{server}/{name}?{query}"),
        None => format!("{server}/{name}"),
    }
}

/// Serialises the building of the templates across tests and processes.
const TEMPLATE_LOCK: i64 = 0x636f6d6d756e73;

/// An admin connection on one session, so that advisory locks hold.
pub async fn admin_connection(url: &str) -> DatabaseConnection {
    let mut options = sea_orm::ConnectOptions::new(url.to_owned());
    options.max_connections(1).sqlx_logging(false);
    sea_orm::Database::connect(options)
        .await
        .expect("TEST_DATABASE_URL must point to a reachable PostgreSQL server")
}

/// The name of the templates for the current code: a hash of what decides their contents
/// (migrations, entities, demo dataset, search terms, locked dependencies), so a change gets
/// new ones.
fn template_name() -> String {
    use std::hash::{Hash, Hasher};
    fn files_under(path: &std::path::Path, found: &mut Vec<std::path::PathBuf>) {
        if path.is_dir() {
            for entry in std::fs::read_dir(path).expect("a source folder") {
                files_under(&entry.expect("a folder entry").path(), found);
            }
        } else {
            found.push(path.to_owned());
        }
    }
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
    let mut files = Vec::new();
    for part in [
        "migration/src",
        "entity/src",
        "src/demo",
        "src/events",
        "src/domain/search.rs",
        "src/store/search.rs",
        "Cargo.lock",
    ] {
        files_under(&root.join(part), &mut files);
    }
    files.sort();
    let mut hasher = std::collections::hash_map::DefaultHasher::new();
    for file in files {
        std::fs::read(&file)
            .expect("a source file")
            .hash(&mut hasher);
    }
    format!("communs_template_{:016x}", hasher.finish())
}

/// What a test database starts with.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Contents {
    Empty,
    Demo,
}

/// A fresh PostgreSQL database for one test: a copy of a template (migrated, with the demo
/// dataset or not) built once for all tests.
async fn create_postgres_database(server_url: &str, contents: Contents) -> String {
    let template = match contents {
        Contents::Empty => template_name(),
        Contents::Demo => format!("{}_demo", template_name()),
    };
    let name = format!("communs_test_{}", uuid::Uuid::now_v7().simple());
    let admin = admin_connection(server_url).await;
    admin
        .execute_unprepared(&format!("SELECT pg_advisory_lock({TEMPLATE_LOCK})"))
        .await
        .unwrap();
    let exists = admin
        .query_one_raw(sea_orm::Statement::from_sql_and_values(
            sea_orm::DbBackend::Postgres,
            "SELECT 1 FROM pg_database WHERE datname = $1",
            [template.clone().into()],
        ))
        .await
        .unwrap()
        .is_some();
    if !exists {
        let building = format!("{template}_building");
        for sql in [
            format!("DROP DATABASE IF EXISTS \"{building}\" WITH (FORCE)"),
            format!("CREATE DATABASE \"{building}\""),
        ] {
            admin.execute_unprepared(&sql).await.unwrap();
        }
        let database = Database::open(&DatabaseConfig {
            setting: DatabaseSetting::Url(with_database_name(server_url, &building)),
            max_connections: Some(1),
            acquire_timeout: ACQUIRE_TIMEOUT,
        })
        .await
        .unwrap();
        database.migrate().await.expect("the migrations apply");
        if contents == Contents::Demo {
            communs::demo::load(&database.connection, &test_erasure_key())
                .await
                .expect("the demo loads");
        }
        database.connection.close().await.unwrap();
        admin
            .execute_unprepared(&format!(
                "ALTER DATABASE \"{building}\" RENAME TO \"{template}\""
            ))
            .await
            .unwrap();
    }
    admin
        .execute_unprepared(&format!("SELECT pg_advisory_unlock({TEMPLATE_LOCK})"))
        .await
        .unwrap();
    // Copies of one template may be made concurrently (nobody connects to a template).
    admin
        .execute_unprepared(&format!(
            "CREATE DATABASE \"{name}\" TEMPLATE \"{template}\""
        ))
        .await
        .expect("the test user must be allowed to create databases");
    admin.close().await.ok();
    name
}

/// A database for one test, and whether it already holds `contents`.
async fn create_store(contents: Contents) -> (TestStore, String, bool) {
    match std::env::var("TEST_DATABASE_URL") {
        Ok(url) if url.starts_with("postgres") => {
            let name = create_postgres_database(&url, contents).await;
            let test_url = with_database_name(&url, &name);
            (
                TestStore::Postgres {
                    server_url: url,
                    name,
                },
                test_url,
                true,
            )
        }
        _ => {
            let dir = tempfile::tempdir().expect("a temporary folder");
            let url = format!("sqlite://{}?mode=rwc", dir.path().join("test.db").display());
            (TestStore::Sqlite(dir), url, false)
        }
    }
}

impl TestApp {
    /// The app over an empty, migrated database.
    pub async fn empty() -> Self {
        Self::spawn(Contents::Empty, test_tokens(&[])).await
    }

    /// The app with the demo dataset of the 14 May 2020 meeting.
    pub async fn with_demo() -> Self {
        Self::spawn(Contents::Demo, test_tokens(&[])).await
    }

    /// The demo app, signing with `tokens`.
    pub async fn with_demo_and_tokens(tokens: Tokens) -> Self {
        Self::spawn(Contents::Demo, tokens).await
    }

    /// The demo app with its HTTP settings changed by `change`.
    pub async fn with_demo_and_settings(change: impl FnOnce(&mut HttpSettings)) -> Self {
        Self::spawn_with(Contents::Demo, test_tokens(&[]), change, ACQUIRE_TIMEOUT).await
    }

    /// The demo app, waiting at most `acquire_timeout` for a database connection.
    pub async fn with_demo_and_acquire_timeout(acquire_timeout: Duration) -> Self {
        Self::spawn_with(Contents::Demo, test_tokens(&[]), |_| {}, acquire_timeout).await
    }

    async fn spawn(contents: Contents, tokens: Tokens) -> Self {
        Self::spawn_with(contents, tokens, |_| {}, ACQUIRE_TIMEOUT).await
    }

    async fn spawn_with(
        contents: Contents,
        tokens: Tokens,
        change: impl FnOnce(&mut HttpSettings),
        acquire_timeout: Duration,
    ) -> Self {
        let tokens = Arc::new(tokens);
        let (store, url, filled) = create_store(contents).await;
        let database = Database::open(&DatabaseConfig {
            setting: DatabaseSetting::Url(url.clone()),
            max_connections: None,
            acquire_timeout,
        })
        .await
        .expect("the test database opens");
        // A no-op on a copy of a PostgreSQL template; the real migration on SQLite.
        database.migrate().await.expect("the migrations apply");
        if contents == Contents::Demo && !filled {
            communs::demo::load(&database.connection, &test_erasure_key())
                .await
                .expect("the demo loads");
        }
        let mut settings = HttpSettings::new(tokens.clone(), Arc::new(test_erasure_key()));
        // Fixtures write behind the API's back, where no mutation tells what is kept that
        // the catalogue changed; and statement counts must not depend on what earlier
        // requests left in memory. Only the tests of keeping keep anything.
        settings.response_cache = Duration::ZERO;
        settings.reference_cache = Duration::ZERO;
        settings.stats_cache = Duration::ZERO;
        change(&mut settings);
        Self::serve(
            database,
            None,
            url,
            settings,
            acquire_timeout,
            Arc::new(store),
        )
        .await
    }

    /// Another replica of this app: on the same database, with the same settings, its own
    /// connections, kept answers and follower of the change stream.
    pub async fn replica(&self) -> Self {
        let database = Database::open(&DatabaseConfig {
            setting: DatabaseSetting::Url(self.database_url.clone()),
            max_connections: None,
            acquire_timeout: self.acquire_timeout,
        })
        .await
        .expect("the test database opens again");
        Self::serve(
            database,
            None,
            self.database_url.clone(),
            self.settings.clone(),
            self.acquire_timeout,
            self._store.clone(),
        )
        .await
    }

    /// The app, with the same settings, over another database at `url` (a restored
    /// backup, say), which the caller keeps and drops.
    pub async fn on_database(&self, url: &str) -> Self {
        let database = Database::open(&DatabaseConfig {
            setting: DatabaseSetting::Url(url.to_owned()),
            max_connections: None,
            acquire_timeout: self.acquire_timeout,
        })
        .await
        .expect("the other database opens");
        Self::serve(
            database,
            None,
            url.to_owned(),
            self.settings.clone(),
            self.acquire_timeout,
            self._store.clone(),
        )
        .await
    }

    /// The app over the migrated database at `primary_url`, its anonymous queries served by
    /// the standby at `read_url`, with its HTTP settings changed by `change`. The test sets
    /// up both databases and removes them.
    pub async fn reading_from_standby(
        primary_url: &str,
        read_url: &str,
        change: impl FnOnce(&mut HttpSettings),
    ) -> Self {
        let config = |url: &str| DatabaseConfig {
            setting: DatabaseSetting::Url(url.to_owned()),
            max_connections: None,
            acquire_timeout: ACQUIRE_TIMEOUT,
        };
        let database = Database::open(&config(primary_url))
            .await
            .expect("the primary opens");
        let reads = Database::open(&config(read_url))
            .await
            .expect("the standby opens");
        let mut settings =
            HttpSettings::new(Arc::new(test_tokens(&[])), Arc::new(test_erasure_key()));
        change(&mut settings);
        Self::serve(
            database,
            Some(reads.connection),
            primary_url.to_owned(),
            settings,
            ACQUIRE_TIMEOUT,
            Arc::new(TestStore::Outside),
        )
        .await
    }

    /// Serves the app on a free port, once it follows the change stream (on PostgreSQL, once
    /// its listener is connected): tests of keeping must not depend on how fast that is.
    async fn serve(
        database: Database,
        reads: Option<DatabaseConnection>,
        url: String,
        settings: HttpSettings,
        acquire_timeout: Duration,
        store: Arc<TestStore>,
    ) -> Self {
        let (router, changes) =
            communs::app_reading_from(&database.connection, reads.as_ref(), &settings);
        tokio::time::timeout(Duration::from_secs(10), changes.until_following())
            .await
            .expect("the app follows the change stream");
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("a free port");
        let address = format!("http://{}", listener.local_addr().unwrap());
        tokio::spawn(async move {
            axum::serve(
                listener,
                router.into_make_service_with_connect_info::<SocketAddr>(),
            )
            .await
            .ok();
        });
        Self {
            address,
            tokens: settings.tokens.clone(),
            database_url: url,
            client: Client::new(),
            database,
            changes,
            settings,
            acquire_timeout,
            _store: store,
        }
    }

    pub fn db(&self) -> &DatabaseConnection {
        &self.database.connection
    }

    /// SQL statements sent so far.
    pub fn statements(&self) -> u64 {
        self.database.statements.get()
    }

    pub async fn post_graphql(&self, body: Value) -> Response {
        self.client
            .post(format!("{}/graphql", self.address))
            .json(&body)
            .send()
            .await
            .expect("the request is sent")
    }

    /// Posts a GraphQL request with `Authorization: Bearer <token>`.
    pub async fn post_graphql_as(&self, token: &str, body: Value) -> Response {
        self.client
            .post(format!("{}/graphql", self.address))
            .bearer_auth(token)
            .json(&body)
            .send()
            .await
            .expect("the request is sent")
    }

    /// Runs a query as the account of `token`; the whole response body.
    pub async fn query_as(&self, token: &str, query: &str, variables: Value) -> Value {
        let response = self
            .post_graphql_as(token, json!({ "query": query, "variables": variables }))
            .await;
        assert_eq!(response.status(), StatusCode::OK);
        response.json().await.expect("a JSON body")
    }

    /// Runs a query that must succeed as the account of `token`; its `data`.
    pub async fn data_as(&self, token: &str, query: &str, variables: Value) -> Value {
        let body = self.query_as(token, query, variables).await;
        assert!(body.get("errors").is_none(), "unexpected errors: {body:#}");
        body["data"].clone()
    }

    /// Creates an account with [`TEST_PASSWORD`] (partners of `organisation`, a slug) and
    /// a token for it.
    pub async fn account(
        &self,
        email: &str,
        role: Role,
        organisation: Option<&str>,
    ) -> TestAccount {
        let organisation_id = match organisation {
            Some(slug) => communs::store::reference::organisation_id(self.db(), slug)
                .await
                .unwrap(),
            None => None,
        };
        let email = Email::parse("email", email).unwrap();
        let password = NewPassword::parse("password", TEST_PASSWORD, &email).unwrap();
        let (user, _) = accounts::create_user(
            self.db(),
            NewUser {
                display_name: DisplayName::parse("displayName", email.as_str()).unwrap(),
                email,
                role,
                organisation_id,
                password: Some(password),
            },
        )
        .await
        .unwrap_or_else(|error| panic!("the account is created: {error:?}"));
        TestAccount {
            id: format!("User:{}", user.id),
            token: self.tokens.issue(&user).unwrap().token,
        }
    }

    /// Runs a query and returns the whole response body (`data` and `errors`).
    pub async fn query(&self, query: &str) -> Value {
        self.query_with(query, json!({})).await
    }

    pub async fn query_with(&self, query: &str, variables: Value) -> Value {
        let response = self
            .post_graphql(json!({ "query": query, "variables": variables }))
            .await;
        assert_eq!(response.status(), StatusCode::OK);
        response.json().await.expect("a JSON body")
    }

    /// Runs a query that must succeed and returns its `data`.
    pub async fn data(&self, query: &str) -> Value {
        self.data_with(query, json!({})).await
    }

    pub async fn data_with(&self, query: &str, variables: Value) -> Value {
        let body = self.query_with(query, variables).await;
        assert!(body.get("errors").is_none(), "unexpected errors: {body:#}");
        body["data"].clone()
    }

    pub async fn get(&self, path: &str) -> Response {
        self.client
            .get(format!("{}{path}", self.address))
            .send()
            .await
            .expect("the request is sent")
    }

    /// The global id of the object of `kind` found by `lookup` (a root field with arguments).
    pub async fn id_of(&self, lookup: &str) -> String {
        let data = self.data(&format!("{{ item: {lookup} {{ id }} }}")).await;
        data["item"]["id"]
            .as_str()
            .unwrap_or_else(|| panic!("{lookup} has no id: {data}"))
            .to_owned()
    }
}

/// Tokens signed with [`TEST_JWT_SECRET`]; `previous` secrets still verify.
pub fn test_tokens(previous: &[&str]) -> Tokens {
    let previous: Vec<Vec<u8>> = previous.iter().map(|s| s.as_bytes().to_vec()).collect();
    Tokens::new(TEST_JWT_SECRET.as_bytes(), &previous, token_settings())
}

/// The erasure key of the test servers ([`TEST_ERASURE_KEY`]).
pub fn test_erasure_key() -> ErasureKey {
    ErasureKey::new(TEST_ERASURE_KEY.as_bytes())
}

/// The `extensions.code` of each error of a response.
pub fn error_codes(body: &Value) -> Vec<String> {
    body["errors"]
        .as_array()
        .map(|errors| {
            errors
                .iter()
                .map(|error| {
                    error["extensions"]["code"]
                        .as_str()
                        .unwrap_or("")
                        .to_owned()
                })
                .collect()
        })
        .unwrap_or_default()
}

/// The values of `field` in a list of objects.
pub fn strings(list: &Value, field: &str) -> Vec<String> {
    list.as_array()
        .unwrap_or_else(|| panic!("not a list: {list}"))
        .iter()
        .map(|item| item[field].as_str().unwrap_or_default().to_owned())
        .collect()
}

#[test]
fn a_test_database_name_replaces_the_servers_own() {
    assert_eq!(
        with_database_name("postgres://postgres@127.0.0.1:5432/postgres", "t1"),
        "postgres://postgres@127.0.0.1:5432/t1"
    );
    assert_eq!(
        with_database_name("postgres://u:p@h/db?sslmode=disable", "t1"),
        "postgres://u:p@h/t1?sslmode=disable"
    );
}
