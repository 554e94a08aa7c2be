//! The one error type of Communs, and how it reaches GraphQL clients.
//!
//! `AppError` deliberately does not implement `Display`: async-graphql converts any
//! `Display` type into an error without an extension code, and we want every error to
//! go through [`From<AppError> for async_graphql::Error`], which sets `extensions.code`
//! and hides internal causes.

use std::sync::Arc;

use async_graphql::ErrorExtensions;

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
    /// Too many attempts; retry after the given number of seconds.
    RateLimited { retry_after_secs: u64 },
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
            Self::RateLimited { .. } => "RATE_LIMITED",
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
            | Self::InvalidTransition(message) => message.clone(),
            Self::BadInput { field, message } => format!("{field}: {message}"),
            Self::RateLimited { retry_after_secs } => {
                format!("too many attempts; retry in {retry_after_secs} seconds")
            }
            Self::Internal(_) => "internal server error".to_owned(),
        }
    }
}

impl From<sea_orm::DbErr> for AppError {
    fn from(error: sea_orm::DbErr) -> Self {
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

impl From<AppError> for async_graphql::Error {
    fn from(error: AppError) -> Self {
        if let AppError::Internal(cause) = &error {
            // The request span carries the request id, so the log line and the client's
            // error share it.
            tracing::error!(%cause, "internal error");
        }
        async_graphql::Error::new(error.public_message()).extend_with(|_, extensions| {
            extensions.set("code", error.code());
            match &error {
                AppError::BadInput { field, .. } => extensions.set("field", field.as_str()),
                AppError::RateLimited { retry_after_secs } => {
                    extensions.set("retryAfterSeconds", *retry_after_secs)
                }
                _ => {}
            }
        })
    }
}

pub type AppResult<T> = Result<T, AppError>;
