//! Logging: `RUST_LOG` chooses what is logged, `LOG_FORMAT` how. Logs go to standard
//! error, so that what a command prints for its user (a password, a summary, the schema)
//! can be piped alone from standard output; colours only when a terminal reads them.

use std::io::IsTerminal;

use tracing_subscriber::{EnvFilter, fmt, prelude::*};

use crate::config::{ConfigError, LogFormat};

const DEFAULT_FILTER: &str = "info,sqlx=warn,sea_orm=warn";

/// Installs the global subscriber. Fails, naming `RUST_LOG`, when the filter does not parse.
pub fn init(format: LogFormat) -> Result<(), ConfigError> {
    let filter = match std::env::var("RUST_LOG") {
        Ok(value) if !value.trim().is_empty() => {
            EnvFilter::try_new(&value).map_err(|error| ConfigError {
                setting: "RUST_LOG",
                message: error.to_string(),
            })?
        }
        _ => EnvFilter::new(DEFAULT_FILTER),
    };
    let registry = tracing_subscriber::registry().with(filter);
    match format {
        LogFormat::Pretty => registry
            .with(
                fmt::layer()
                    .with_writer(std::io::stderr)
                    .with_ansi(std::io::stderr().is_terminal()),
            )
            .try_init(),
        LogFormat::Json => registry
            .with(
                fmt::layer()
                    .with_writer(std::io::stderr)
                    .json()
                    .flatten_event(true)
                    .with_current_span(true),
            )
            .try_init(),
    }
    .ok();
    Ok(())
}
