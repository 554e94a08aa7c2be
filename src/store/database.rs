//! Opening the database, applying migrations and counting the SQL statements sent.

use std::{
    sync::{
        Arc,
        atomic::{AtomicU64, Ordering},
    },
    time::Duration,
};

use migration::{Migrator, MigratorTrait};
use sea_orm::{
    ConnectOptions, ConnectionTrait, Database, DatabaseConnection, DbErr, RuntimeErr, SqlxError,
};

use crate::config::{DatabaseConfig, DatabaseSetting};

/// Counts every SQL statement sent on a connection: tests and the benchmark read it to check
/// that a request runs a bounded number of statements, whatever its page size.
#[derive(Debug, Clone, Default)]
pub struct StatementCounter(Arc<AtomicU64>);

impl StatementCounter {
    pub fn get(&self) -> u64 {
        self.0.load(Ordering::Relaxed)
    }

    fn increment(&self) {
        self.0.fetch_add(1, Ordering::Relaxed);
    }
}

/// Opens the database. For the embedded default, creates the data folder first.
pub async fn connect(
    config: &DatabaseConfig,
    counter: &StatementCounter,
) -> Result<DatabaseConnection, DbErr> {
    if let DatabaseSetting::Embedded { data_dir } = &config.setting {
        std::fs::create_dir_all(data_dir).map_err(|error| {
            DbErr::Custom(format!(
                "cannot create the data folder {}: {error}",
                data_dir.display()
            ))
        })?;
    }
    let url = config.setting.url();
    let mut options = ConnectOptions::new(url.clone());
    options
        .sqlx_logging(false)
        .connect_timeout(Duration::from_secs(5).min(config.acquire_timeout))
        // While the database is down, a request fails after this wait rather than queueing;
        // the pool opens new connections by itself once it is back.
        .acquire_timeout(config.acquire_timeout)
        // A connection is tested with a round trip to the database before it is handed out
        // only after a while unused, when the server or a proxy may have dropped it; testing
        // it before each statement doubled the round trips of every request.
        .test_before_acquire_if_idle_for(Duration::from_secs(30));
    if let Some(max) = config.max_connections {
        options.max_connections(max);
    }
    if url.starts_with("sqlite:") {
        // WAL lets readers go on while a write commits; the busy timeout makes a writer wait
        // for the lock instead of failing at once.
        options.map_sqlx_sqlite_opts(|opts| {
            opts.journal_mode(sea_orm::sqlx::sqlite::SqliteJournalMode::Wal)
                .busy_timeout(Duration::from_secs(5))
                .foreign_keys(true)
        });
    }
    let mut db = match Database::connect(options).await {
        Ok(db) => db,
        Err(error) if is_pool_timeout(&error) => {
            return Err(first_connection_error(&url, config.acquire_timeout)
                .await
                .unwrap_or(error));
        }
        Err(error) => return Err(error),
    };
    let counter = counter.clone();
    db.set_metric_callback(move |statement| {
        counter.increment();
        crate::monitoring::sql_statement(statement.elapsed, statement.failed);
    });
    Ok(db)
}

fn is_pool_timeout(error: &DbErr) -> bool {
    matches!(error, DbErr::Conn(RuntimeErr::SqlxError(cause)) if matches!(**cause, SqlxError::PoolTimedOut))
}

/// Why a PostgreSQL server gives no connection. The pool retries a refused connection until
/// its timeout and then reports only the timeout; one connection of our own, outside the
/// pool, gets the cause an operator can act on ("connection refused").
async fn first_connection_error(url: &str, wait: Duration) -> Option<DbErr> {
    use sea_orm::sqlx::{ConnectOptions as _, postgres::PgConnectOptions};
    let options = url.parse::<PgConnectOptions>().ok()?;
    match tokio::time::timeout(wait, options.connect()).await {
        Ok(Err(cause)) => Some(DbErr::Conn(RuntimeErr::SqlxError(Arc::new(cause)))),
        // It answers now, or still says nothing: the timeout is all there is to tell.
        Ok(Ok(_)) | Err(_) => None,
    }
}

/// Applies the migrations that have not run yet.
#[tracing::instrument(skip(db))]
pub async fn migrate(db: &DatabaseConnection) -> Result<(), DbErr> {
    Migrator::up(db, None).await
}

/// Whether the database answers within `wait`, for `/readyz`: a probe must answer in time
/// during an outage, without waiting out the acquire timeout of a request.
pub async fn is_reachable(db: &DatabaseConnection, wait: Duration) -> bool {
    tokio::time::timeout(wait, db.execute_unprepared("SELECT 1"))
        .await
        .is_ok_and(|answer| answer.is_ok())
}
