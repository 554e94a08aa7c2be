//! Settings, read once at start-up from the environment (and `.env`), validated into typed
//! values. A bad setting stops the start with one line naming it.

use std::{net::SocketAddr, path::PathBuf, str::FromStr};

/// Where the data lives when `DATABASE_URL` is not set.
const DEFAULT_DATA_DIR: &str = "./data";
const DEFAULT_LISTEN_ADDR: &str = "127.0.0.1:8080";
const DEFAULT_REQUEST_TIMEOUT_SECS: u64 = 30;

/// A setting that could not be used, with its name.
#[derive(Debug, thiserror::Error)]
#[error("invalid setting {setting}: {message}")]
pub struct ConfigError {
    pub setting: &'static str,
    pub message: String,
}

impl ConfigError {
    fn new(setting: &'static str, message: impl Into<String>) -> Self {
        Self {
            setting,
            message: message.into(),
        }
    }
}

/// How log lines are written.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LogFormat {
    /// Human-readable lines, for a terminal.
    Pretty,
    /// One JSON object per line, for log collectors.
    Json,
}

impl FromStr for LogFormat {
    type Err = String;

    fn from_str(value: &str) -> Result<Self, Self::Err> {
        match value.to_ascii_lowercase().as_str() {
            "pretty" => Ok(Self::Pretty),
            "json" => Ok(Self::Json),
            _ => Err(format!("expected `pretty` or `json`, got `{value}`")),
        }
    }
}

/// Which database to use.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DatabaseSetting {
    /// No `DATABASE_URL`: a SQLite file under the data folder, created on first start.
    Embedded { data_dir: PathBuf },
    /// An explicit `sqlite:` or `postgres:` URL.
    Url(String),
}

impl DatabaseSetting {
    /// The URL to connect to.
    pub fn url(&self) -> String {
        match self {
            Self::Embedded { data_dir } => {
                format!(
                    "sqlite://{}?mode=rwc",
                    data_dir.join("communs.db").display()
                )
            }
            Self::Url(url) => url.clone(),
        }
    }

    pub fn is_embedded(&self) -> bool {
        matches!(self, Self::Embedded { .. })
    }
}

/// The settings of the database connection.
#[derive(Debug, Clone)]
pub struct DatabaseConfig {
    pub setting: DatabaseSetting,
    /// Pool size; `None` keeps the driver default (1 for SQLite, 10 for PostgreSQL).
    pub max_connections: Option<u32>,
}

/// Every setting of the service.
#[derive(Debug, Clone)]
pub struct Config {
    pub database: DatabaseConfig,
    pub listen_addr: SocketAddr,
    pub log_format: LogFormat,
    pub request_timeout_secs: u64,
}

impl Config {
    /// Reads the settings from the process environment.
    pub fn from_env() -> Result<Self, ConfigError> {
        Self::from_lookup(|name| std::env::var(name).ok())
    }

    /// Reads the settings through `lookup`, so tests can pass their own environment.
    pub fn from_lookup(lookup: impl Fn(&str) -> Option<String>) -> Result<Self, ConfigError> {
        let non_empty = |name: &str| lookup(name).filter(|value| !value.trim().is_empty());

        let data_dir =
            PathBuf::from(non_empty("DATA_DIR").unwrap_or_else(|| DEFAULT_DATA_DIR.to_owned()));
        let setting = match non_empty("DATABASE_URL") {
            None => DatabaseSetting::Embedded { data_dir },
            Some(url) if is_supported_database_url(&url) => DatabaseSetting::Url(url),
            Some(_) => {
                return Err(ConfigError::new(
                    "DATABASE_URL",
                    "expected a URL starting with sqlite:, postgres: or postgresql:",
                ));
            }
        };
        let max_connections = non_empty("DATABASE_MAX_CONNECTIONS")
            .map(|value| match value.trim().parse::<u32>() {
                Ok(count) if count > 0 => Ok(count),
                _ => Err(ConfigError::new(
                    "DATABASE_MAX_CONNECTIONS",
                    format!("expected a whole number above 0, got `{value}`"),
                )),
            })
            .transpose()?;
        let listen_addr = non_empty("LISTEN_ADDR")
            .unwrap_or_else(|| DEFAULT_LISTEN_ADDR.to_owned())
            .trim()
            .parse::<SocketAddr>()
            .map_err(|error| {
                ConfigError::new("LISTEN_ADDR", format!("expected HOST:PORT ({error})"))
            })?;
        let log_format = non_empty("LOG_FORMAT")
            .map(|value| value.parse::<LogFormat>())
            .transpose()
            .map_err(|message| ConfigError::new("LOG_FORMAT", message))?
            .unwrap_or(LogFormat::Pretty);
        let request_timeout_secs = non_empty("REQUEST_TIMEOUT_SECS")
            .map(|value| match value.trim().parse::<u64>() {
                Ok(secs) if secs > 0 => Ok(secs),
                _ => Err(ConfigError::new(
                    "REQUEST_TIMEOUT_SECS",
                    format!("expected a whole number of seconds above 0, got `{value}`"),
                )),
            })
            .transpose()?
            .unwrap_or(DEFAULT_REQUEST_TIMEOUT_SECS);

        Ok(Self {
            database: DatabaseConfig {
                setting,
                max_connections,
            },
            listen_addr,
            log_format,
            request_timeout_secs,
        })
    }
}

fn is_supported_database_url(url: &str) -> bool {
    ["sqlite:", "postgres://", "postgresql://"]
        .iter()
        .any(|prefix| url.starts_with(prefix))
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashMap;

    fn config(pairs: &[(&str, &str)]) -> Result<Config, ConfigError> {
        let env: HashMap<String, String> = pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        Config::from_lookup(|name| env.get(name).cloned())
    }

    #[test]
    fn defaults_to_an_embedded_database_under_the_data_folder() {
        let config = config(&[]).unwrap();
        assert_eq!(
            config.database.setting.url(),
            "sqlite://./data/communs.db?mode=rwc"
        );
        assert_eq!(config.listen_addr.to_string(), "127.0.0.1:8080");
        assert_eq!(config.log_format, LogFormat::Pretty);
    }

    #[test]
    fn a_bad_setting_is_named() {
        for (name, value) in [
            ("LISTEN_ADDR", "localhost"),
            ("LOG_FORMAT", "xml"),
            ("DATABASE_URL", "mysql://x"),
            ("DATABASE_MAX_CONNECTIONS", "0"),
            ("REQUEST_TIMEOUT_SECS", "soon"),
        ] {
            let error = config(&[(name, value)]).unwrap_err();
            assert_eq!(error.setting, name);
            assert!(
                error
                    .to_string()
                    .starts_with(&format!("invalid setting {name}"))
            );
        }
    }

    #[test]
    fn data_dir_moves_the_embedded_database() {
        let config = config(&[("DATA_DIR", "/srv/communs")]).unwrap();
        assert!(config.database.setting.is_embedded());
        assert_eq!(
            config.database.setting.url(),
            "sqlite:///srv/communs/communs.db?mode=rwc"
        );
    }
}
