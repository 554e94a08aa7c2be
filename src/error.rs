//! The one error type of Communs, and how it reaches GraphQL clients.
//!
//! `AppError` deliberately does not implement `Display`: async-graphql converts any
//! `Display` type into an error without an extension code, and we want every error to
//! go through [`From<AppError> for async_graphql::Error`], which sets `extensions.code`
//! and hides internal causes.

use std::sync::Arc;

use async_graphql::ErrorExtensions;
use sea_orm::{ConnAcquireErr, DbErr, RuntimeErr, SqlxError, SqlxPostgresError, SqlxSqliteError};

/// How long a client is told to wait before retrying while the database is unavailable:
/// about the time a pool takes to reconnect once it is back.
pub const UNAVAILABLE_RETRY_AFTER_SECS: u64 = 5;

/// Everything that can go wrong while serving a request.
#[derive(Debug, Clone)]
pub enum AppError {
    /// The caller must authenticate (or its credentials are not valid).
    Unauthenticated(String),
    /// The caller is known but may not do this.
    Forbidden(String),
    /// The thing the caller named does not exist (or the caller may not see it).
    NotFound(String),
    /// An argument is not acceptable; `field` names it as the client sent it.
    BadInput { field: String, message: String },
    /// The change conflicts with the current state (stale version, duplicate, references).
    Conflict(String),
    /// The moderation state machine does not allow this transition.
    InvalidTransition(String),
    /// A reader of the changes feed is behind what is kept (or its position is not of this
    /// stream): it must reload everything and follow from a fresh position.
    ChangesExpired(String),
    /// Too many attempts; retry after the given number of seconds.
    RateLimited { retry_after_secs: u64 },
    /// A subscription fell behind the change stream and lost changes: it is ended, and the
    /// client resynchronises and subscribes again.
    Lagged { missed: u64 },
    /// The database cannot serve now: unreachable, refusing connections, its connection lost
    /// under a statement, or every connection busy until the acquire timeout. Nothing was
    /// done that the client may rely on; the cause is logged, the client told to retry.
    Unavailable(Arc<str>),
    /// A fault on our side. The cause is logged, never shown to the client.
    Internal(Arc<str>),
}

impl AppError {
    pub fn bad_input(field: impl Into<String>, message: impl Into<String>) -> Self {
        Self::BadInput {
            field: field.into(),
            message: message.into(),
        }
    }

    pub fn internal(cause: impl std::fmt::Display) -> Self {
        Self::Internal(cause.to_string().into())
    }

    /// The value of `extensions.code`.
    pub fn code(&self) -> &'static str {
        match self {
            Self::Unauthenticated(_) => "UNAUTHENTICATED",
            Self::Forbidden(_) => "FORBIDDEN",
            Self::NotFound(_) => "NOT_FOUND",
            Self::BadInput { .. } => "BAD_USER_INPUT",
            Self::Conflict(_) => "CONFLICT",
            Self::InvalidTransition(_) => "INVALID_TRANSITION",
            Self::ChangesExpired(_) => "CHANGES_EXPIRED",
            Self::RateLimited { .. } => "RATE_LIMITED",
            Self::Lagged { .. } => "SUBSCRIPTION_LAGGED",
            Self::Unavailable(_) => "SERVICE_UNAVAILABLE",
            Self::Internal(_) => "INTERNAL_SERVER_ERROR",
        }
    }

    /// The message a client may read.
    pub fn public_message(&self) -> String {
        match self {
            Self::Unauthenticated(message)
            | Self::Forbidden(message)
            | Self::NotFound(message)
            | Self::Conflict(message)
            | Self::InvalidTransition(message)
            | Self::ChangesExpired(message) => message.clone(),
            Self::BadInput { field, message } => format!("{field}: {message}"),
            Self::RateLimited { retry_after_secs } => {
                format!("too many attempts; retry in {retry_after_secs} seconds")
            }
            Self::Lagged { missed } => format!(
                "this subscription fell {missed} changes behind and was ended: read again what \
                 you show, then subscribe again"
            ),
            Self::Unavailable(_) => format!(
                "the service cannot reach its database right now; \
                 retry in {UNAVAILABLE_RETRY_AFTER_SECS} seconds"
            ),
            Self::Internal(_) => "internal server error".to_owned(),
        }
    }
}

impl From<DbErr> for AppError {
    fn from(error: DbErr) -> Self {
        if is_outage(&error) {
            return Self::Unavailable(database_cause(&error).into());
        }
        // Two requests racing to create the same unique value (a slug, an e-mail address):
        // the loser is told so, without the database's text.
        if let Some(sea_orm::SqlErr::UniqueConstraintViolation(_)) = error.sql_err() {
            return Self::Conflict(
                "something with the same unique value (a slug, an e-mail address, a code) \
                 was just written: reload and try again"
                    .to_owned(),
            );
        }
        Self::internal(error)
    }
}

/// Whether a database error says that the database cannot serve now, rather than that a
/// statement is wrong. A pool exhausted and a server down are one case: sqlx retries a
/// refused connection until the acquire timeout, so both end as that timeout, and either
/// way the request did nothing and the same request succeeds later.
fn is_outage(error: &DbErr) -> bool {
    match error {
        // Only the opening of a connection fails as `Conn`: refused, unknown host,
        // authentication, a database not accepting connections.
        DbErr::ConnectionAcquire(_) | DbErr::Conn(_) => true,
        DbErr::Exec(RuntimeErr::SqlxError(cause)) | DbErr::Query(RuntimeErr::SqlxError(cause)) => {
            is_sqlx_outage(cause)
        }
        _ => false,
    }
}

fn is_sqlx_outage(error: &SqlxError) -> bool {
    match error {
        // The connection broke under the statement (server stopped, network cut).
        SqlxError::Io(_)
        | SqlxError::Tls(_)
        | SqlxError::PoolTimedOut
        | SqlxError::PoolClosed
        | SqlxError::WorkerCrashed => true,
        SqlxError::Database(error) => {
            if let Some(error) = error.try_downcast_ref::<SqlxPostgresError>() {
                // Class 08: connection exception; 57P01-03: the server is shutting down or
                // starting, or an administrator ended the session; 53300: too many
                // connections.
                let code = error.code();
                code.starts_with("08") || matches!(code, "57P01" | "57P02" | "57P03" | "53300")
            } else if let Some(error) = error.try_downcast_ref::<SqlxSqliteError>() {
                // SQLITE_BUSY and its extended codes: another connection (a backup, an
                // import) held the file beyond the busy timeout; SQLITE_CANTOPEN: the file
                // or its folder is gone. Both pass once the other party is done.
                let primary = sea_orm::sqlx::error::DatabaseError::code(error)
                    .and_then(|code| code.parse::<i32>().ok())
                    .map(|code| code & 0xff);
                matches!(primary, Some(5 | 14))
            } else {
                false
            }
        }
        _ => false,
    }
}

/// A database error in one line for an operator or a log: the underlying cause, without the
/// wrappers that repeat it nor the server's source line number.
pub fn database_cause(error: &DbErr) -> String {
    let cause = match error {
        DbErr::Conn(RuntimeErr::SqlxError(cause))
        | DbErr::Exec(RuntimeErr::SqlxError(cause))
        | DbErr::Query(RuntimeErr::SqlxError(cause)) => cause,
        DbErr::ConnectionAcquire(ConnAcquireErr::Timeout) => {
            return "no database connection free within the acquire timeout".to_owned();
        }
        DbErr::ConnectionAcquire(ConnAcquireErr::ConnectionClosed) => {
            return "the connection pool is closed".to_owned();
        }
        DbErr::Conn(RuntimeErr::Internal(message))
        | DbErr::Exec(RuntimeErr::Internal(message))
        | DbErr::Query(RuntimeErr::Internal(message))
        | DbErr::Custom(message)
        | DbErr::Migration(message) => return message.clone(),
        other => return other.to_string(),
    };
    match &**cause {
        SqlxError::Io(error) if error.kind() == std::io::ErrorKind::ConnectionRefused => {
            "connection refused (is the server running, on this host and port?)".to_owned()
        }
        SqlxError::Io(error) => error.to_string(),
        SqlxError::Database(error) => error.message().to_owned(),
        SqlxError::PoolTimedOut => "no database connection within the acquire timeout".to_owned(),
        other => other.to_string(),
    }
}

impl From<AppError> for async_graphql::Error {
    fn from(error: AppError) -> Self {
        if let AppError::Internal(cause) = &error {
            // The request span carries the request id, so the log line and the client's
            // error share it.
            tracing::error!(%cause, "internal error");
        }
        if let AppError::Unavailable(cause) = &error {
            tracing::warn!(%cause, "database unavailable");
        }
        async_graphql::Error::new(error.public_message()).extend_with(|_, extensions| {
            extensions.set("code", error.code());
            match &error {
                AppError::BadInput { field, .. } => extensions.set("field", field.as_str()),
                AppError::RateLimited { retry_after_secs } => {
                    extensions.set("retryAfterSeconds", *retry_after_secs)
                }
                AppError::Unavailable(_) => {
                    extensions.set("retryAfterSeconds", UNAVAILABLE_RETRY_AFTER_SECS)
                }
                _ => {}
            }
        })
    }
}

pub type AppResult<T> = Result<T, AppError>;
