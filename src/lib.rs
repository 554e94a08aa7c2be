//! Communs: a GraphQL API for a shared catalogue of local social-development initiatives.
//!
//! The library builds the whole service (database, schema, router), so that the binary and
//! the tests run exactly the same thing.

pub mod accounts;
pub mod admin;
pub mod config;
pub mod contributions;
pub mod demo;
pub mod domain;
pub mod error;
pub mod events;
pub mod graphql;
pub mod http;
pub mod mail;
pub mod monitoring;
pub mod open_data;
pub mod store;
pub mod telemetry;
pub mod webhooks;

use std::{net::SocketAddr, sync::Arc, time::Duration};

use anyhow::Context as _;
use axum::Router;
use sea_orm::DatabaseConnection;

use crate::{
    config::{Config, DatabaseConfig},
    http::{AppState, HttpSettings},
    store::database::{self, StatementCounter},
};

/// The database connection and the SQL statement counter that watches it.
pub struct Database {
    pub connection: DatabaseConnection,
    pub statements: StatementCounter,
}

impl Database {
    /// Connects (creating the embedded database's folder if needed); does not migrate.
    /// A failure is one line: the URL without its password and the underlying cause.
    pub async fn open(config: &DatabaseConfig) -> anyhow::Result<Self> {
        let statements = StatementCounter::default();
        let connection = database::connect(config, &statements)
            .await
            .map_err(|error| {
                let url = config.setting.url();
                let mut line = format!(
                    "cannot open the database ({}): {}",
                    redact(&url),
                    error::database_cause(&error)
                );
                if names_no_user(&url) && answered_by_the_server(&error) {
                    line.push_str(
                        "; the URL names no user, so PGUSER or the system's user name was \
                         tried: write postgres://USER:PASSWORD@HOST/DATABASE",
                    );
                }
                anyhow::anyhow!(line)
            })?;
        Ok(Self {
            connection,
            statements,
        })
    }

    /// Applies the migrations that have not run yet, then indexes for search the
    /// initiatives written before the search index existed.
    pub async fn migrate(&self) -> anyhow::Result<()> {
        database::migrate(&self.connection).await.map_err(|error| {
            anyhow::anyhow!(
                "cannot apply the database migrations: {}",
                error::database_cause(&error)
            )
        })?;
        store::search::index_missing(&self.connection)
            .await
            .map_err(describe)
            .context("cannot index the initiatives for search")?;
        Ok(())
    }
}

/// The router of the service over an open, migrated database.
pub fn app(db: &DatabaseConnection, settings: &HttpSettings) -> Router {
    app_following(db, settings).0
}

/// The router of the service, and the change stream as this replica follows it.
pub fn app_following(
    db: &DatabaseConnection,
    settings: &HttpSettings,
) -> (Router, events::ChangeStream) {
    app_reading_from(db, None, settings)
}

/// The router of the service over `db`, its anonymous queries served by `reads` (a
/// streaming standby of `db`) when given; and the change stream as this replica follows it.
pub fn app_reading_from(
    db: &DatabaseConnection,
    reads: Option<&DatabaseConnection>,
    settings: &HttpSettings,
) -> (Router, events::ChangeStream) {
    let reads = reads.unwrap_or(db);
    let protection = &settings.protection;
    let stats = Arc::new(store::stats_cache::StatsCache::new(settings.stats_cache));
    let responses = Arc::new(http::PublicResponses::new(settings.response_cache));
    let reference = Arc::new(store::reference_rows::ReferenceRows::new(
        settings.reference_cache,
    ));
    // The follower's statements are not a request's: the statement counter measures what
    // requests cost.
    // It reads the changes where anonymous queries read: what it forgets on a change is
    // then read again with the change in it, however far the standby lags.
    let mut follower_db = reads.clone();
    follower_db.set_metric_callback(|_| {});
    let changes = events::ChangeStream::start(
        db,
        follower_db,
        Box::new(http::Kept {
            stats: stats.clone(),
            responses: responses.clone(),
            reference: reference.clone(),
        }),
    );
    let state = AppState {
        db: db.clone(),
        reads: reads.clone(),
        stats,
        responses,
        reference,
        documents: Arc::default(),
        persisted_queries: Arc::new(http::PersistedQueries::new(settings.persisted_queries)),
        http_caching: http::HttpCaching::new(settings.http_cache_max_age),
        schema: graphql::build_schema_with(graphql::SchemaSettings {
            introspection: protection.introspection,
            suggestions: protection.suggestions,
        }),
        tokens: settings.tokens.clone(),
        erasure_key: settings.erasure_key.clone(),
        protection: Arc::new(http::Protection::new(protection)),
        changes: changes.clone(),
        sockets: Arc::default(),
        stopping: settings.stopping.clone(),
        publication: Arc::new(settings.publication.clone()),
        exports: Arc::new(tokio::sync::Semaphore::new(settings.max_concurrent_exports)),
        webhooks: Arc::new(settings.webhooks.clone()),
    };
    (http::router(state, settings), changes)
}

/// Serves until SIGTERM or Ctrl-C, after applying pending migrations. On the embedded
/// default, an empty catalogue is filled with the demo dataset first.
pub async fn serve(config: Config) -> anyhow::Result<()> {
    let tokens = Arc::new(accounts::signing_secrets::tokens(&config)?);
    let erasure_key = Arc::new(accounts::signing_secrets::erasure_key(&config)?);
    let database = Database::open(&config.database).await?;
    database.migrate().await?;
    if config.database.setting.is_embedded()
        && demo::catalogue_is_empty(&database.connection)
            .await
            .map_err(describe)?
    {
        let report = demo::load(&database.connection, &erasure_key)
            .await
            .map_err(describe)?;
        tracing::info!(
            territories = report.territories,
            themes = report.themes,
            organisations = report.organisations,
            professionals = report.professionals,
            meetings = report.meetings,
            initiatives = report.initiatives,
            "empty embedded database: demo dataset loaded"
        );
    }
    // Turns true at SIGTERM or Ctrl-C: WebSocket connections close then.
    let (stopping, stop_requested) = tokio::sync::watch::channel(false);
    let settings = HttpSettings {
        request_timeout: Duration::from_secs(config.request_timeout_secs),
        tokens,
        erasure_key,
        protection: config.protection.clone(),
        stats_cache: Duration::from_secs(config.stats_cache_secs),
        response_cache: Duration::from_secs(config.response_cache_secs),
        reference_cache: Duration::from_secs(config.reference_cache_secs),
        stopping: stop_requested.clone(),
        publication: config.publication.clone(),
        max_concurrent_exports: config.max_concurrent_exports,
        persisted_queries: config.persisted_queries,
        http_cache_max_age: Duration::from_secs(config.http_cache_max_age_secs),
        graphiql: config.graphiql,
        webhooks: webhooks::WebhookSettings {
            allowed_networks: config.webhook_allowed_networks.clone(),
            timeout: Duration::from_secs(config.webhook_timeout_secs),
            ..webhooks::WebhookSettings::default()
        },
    };
    accounts::passwords::prepare().await;
    let reads = match &config.read_database {
        Some(read_config) => Some(
            Database::open(read_config)
                .await
                .context("DATABASE_READ_URL")?,
        ),
        None => None,
    };
    if let Some(address) = config.metrics_listen_addr {
        monitoring::serve(
            address,
            &database.connection,
            reads.as_ref().map(|reads| &reads.connection),
        )
        .await?;
    }
    let (router, changes) = app_reading_from(
        &database.connection,
        reads.as_ref().map(|reads| &reads.connection),
        &settings,
    );
    // Every instance hands changes over and sends deliveries and e-mails; the database
    // shares the work.
    let mailing = config.mail.as_ref().map(|mail| {
        mail::start(
            database.connection.clone(),
            changes.clone(),
            Arc::new(mail::MailSettings {
                site_url: settings.publication.site_url.clone(),
                timeout: Duration::from_secs(mail.timeout_secs),
                digest_period: Duration::from_secs(mail.digest_hours * 3600),
                ..mail::MailSettings::new(mail.smtp_url.clone(), mail.from.clone())
            }),
        )
    });
    let delivering = webhooks::start(
        database.connection.clone(),
        changes,
        Arc::new(settings.publication.clone()),
        Arc::new(settings.webhooks.clone()),
    );
    let pruning = events::retention::start(
        database.connection.clone(),
        chrono::Duration::days(config.change_retention_days as i64),
    );
    let listener = tokio::net::TcpListener::bind(config.listen_addr)
        .await
        .with_context(|| format!("cannot listen on {} (LISTEN_ADDR)", config.listen_addr))?;
    let address = listener.local_addr().unwrap_or(config.listen_addr);
    if config.graphiql {
        tracing::info!(
            %address,
            "Communs is serving GraphQL on http://{address}/graphql and GraphiQL on http://{address}/"
        );
    } else {
        tracing::info!(%address, "Communs is serving GraphQL on http://{address}/graphql");
    }
    // The peer address counts failed logins per client.
    let drain = Duration::from_secs(config.shutdown_drain_secs);
    let mut stop_requested = stop_requested;
    let server = axum::serve(
        listener,
        router.into_make_service_with_connect_info::<SocketAddr>(),
    )
    .with_graceful_shutdown(async move {
        shutdown_signal().await;
        stopping.send_replace(true);
    });
    // After the signal, new connections are refused and the requests in flight finish;
    // those still running when the drain time is over are cut.
    let drain_over = async move {
        let _ = stop_requested.wait_for(|stopping| *stopping).await;
        tokio::time::sleep(drain).await;
    };
    tokio::select! {
        result = server => result.context("the server stopped on an error")?,
        () = drain_over => {
            tracing::warn!(?drain, "drain time over: closing the requests still in flight");
        }
    }
    pruning.abort();
    delivering.abort();
    if let Some(mailing) = mailing {
        mailing.abort();
    }
    database.connection.close().await.ok();
    tracing::info!("stopped");
    Ok(())
}

/// An `AppError` met outside a request, as a start-up error.
pub fn describe(error: error::AppError) -> anyhow::Error {
    match error {
        error::AppError::Internal(cause) => anyhow::anyhow!("{cause}"),
        error::AppError::Unavailable(cause) => {
            anyhow::anyhow!("the database is unavailable: {cause}")
        }
        other => anyhow::anyhow!("{}", other.public_message()),
    }
}

/// The URL without its password, for messages.
fn redact(url: &str) -> String {
    match (url.find("://"), url.rfind('@')) {
        (Some(scheme_end), Some(at)) if at > scheme_end => {
            let credentials = &url[scheme_end + 3..at];
            match credentials.split_once(':') {
                Some((user, _)) => format!("{}{user}:***{}", &url[..scheme_end + 3], &url[at..]),
                None => url.to_owned(),
            }
        }
        _ => url.to_owned(),
    }
}

/// A PostgreSQL URL without a user (`postgres://localhost/communs`).
fn names_no_user(url: &str) -> bool {
    let Some(rest) = url
        .strip_prefix("postgres://")
        .or_else(|| url.strip_prefix("postgresql://"))
    else {
        return false;
    };
    let authority = rest.split(['/', '?']).next().unwrap_or_default();
    !authority.contains('@')
}

/// The server was reached and refused us (a role, a password, a database name).
fn answered_by_the_server(error: &sea_orm::DbErr) -> bool {
    matches!(
        error,
        sea_orm::DbErr::Conn(sea_orm::RuntimeErr::SqlxError(cause))
            if matches!(**cause, sea_orm::SqlxError::Database(_))
    )
}

async fn shutdown_signal() {
    let ctrl_c = async {
        if tokio::signal::ctrl_c().await.is_err() {
            std::future::pending::<()>().await;
        }
    };
    #[cfg(unix)]
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut signal) => {
                signal.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let terminate = std::future::pending::<()>();
    tokio::select! {
        _ = ctrl_c => {},
        _ = terminate => {},
    }
    tracing::info!(
        "shutdown signal received: refusing new connections, finishing the requests in flight"
    );
}

#[cfg(test)]
mod tests {
    use super::{names_no_user, redact};

    #[test]
    fn a_postgres_url_without_a_user_is_recognised() {
        assert!(names_no_user("postgres://localhost/communs"));
        assert!(names_no_user(
            "postgresql://db:5432/communs?sslmode=require"
        ));
        assert!(!names_no_user("postgres://communs:s3cret@db/communs"));
        assert!(!names_no_user("postgres://communs@db/communs"));
        assert!(!names_no_user("sqlite://./data/communs.db?mode=rwc"));
    }

    #[test]
    fn passwords_never_appear_in_database_messages() {
        assert_eq!(
            redact("postgres://communs:s3cret@db:5432/communs"),
            "postgres://communs:***@db:5432/communs"
        );
        assert_eq!(
            redact("sqlite://./data/communs.db?mode=rwc"),
            "sqlite://./data/communs.db?mode=rwc"
        );
    }
}
