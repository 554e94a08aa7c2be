//! Settings, read once at start-up from the environment (and `.env`), validated into typed
//! values. A bad setting stops the start with one line naming it.

use std::{net::SocketAddr, path::PathBuf, str::FromStr, time::Duration};

use ipnet::IpNet;

use crate::{graphql::limits::QueryLimits, open_data::Publication};

/// Where the data lives when `DATABASE_URL` is not set.
const DEFAULT_DATA_DIR: &str = "./data";
const DEFAULT_LISTEN_ADDR: &str = "127.0.0.1:8080";
const DEFAULT_REQUEST_TIMEOUT_SECS: u64 = 30;
/// How long the figures of `stats` are kept at most.
pub const DEFAULT_STATS_CACHE_SECS: u64 = 10;
pub const DEFAULT_RESPONSE_CACHE_SECS: u64 = 10;
/// How many open-data exports stream at once, by default: each holds a database connection
/// while it reads a page, and the API needs the others.
pub const DEFAULT_MAX_CONCURRENT_EXPORTS: usize = 2;
/// How long HTTP caches may keep a public answer by default: a minute of delay after a
/// publication, for a CDN that serves the catalogue's readers.
pub const DEFAULT_HTTP_CACHE_MAX_AGE_SECS: u64 = 60;
pub const DEFAULT_REFERENCE_CACHE_SECS: u64 = 60;
const DEFAULT_JWT_LIFETIME_SECS: u64 = 3600;
const MAX_JWT_LIFETIME_SECS: u64 = 30 * 24 * 3600;
const DEFAULT_JWT_ISSUER: &str = "communs";
const DEFAULT_JWT_AUDIENCE: &str = "communs";
const DEFAULT_BODY_LIMIT_BYTES: usize = 256 * 1024;
const DEFAULT_MAX_RESPONSE_BYTES: usize = 8 * 1024 * 1024;
const DEFAULT_MAX_CONCURRENT_REQUESTS: usize = 256;
const DEFAULT_RATE_LIMIT_PER_ADDRESS: u32 = 600;
const DEFAULT_RATE_LIMIT_PER_ACCOUNT: u32 = 1200;
const DEFAULT_API_KEY_RATE_LIMIT_PER_MINUTE: u32 = 600;
const DEFAULT_DATABASE_ACQUIRE_TIMEOUT_SECS: u64 = 3;
const DEFAULT_SHUTDOWN_DRAIN_SECS: u64 = 20;
const DEFAULT_SMTP_TIMEOUT_SECS: u64 = 30;
/// A moderator's digest of new submissions: one a day.
const DEFAULT_MAIL_DIGEST_HOURS: u64 = 24;
/// How long the changes feed keeps a change.
pub const DEFAULT_CHANGE_RETENTION_DAYS: u64 = 30;
const DEFAULT_SUBSCRIPTIONS_PER_CONNECTION: usize = 25;
const DEFAULT_SUBSCRIPTION_CONNECTIONS_PER_ADDRESS: usize = 20;
const DEFAULT_SUBSCRIPTION_KEEPALIVE_SECS: u64 = 15;
const DEFAULT_SUBSCRIPTION_INIT_TIMEOUT_SECS: u64 = 10;
const DEFAULT_SUBSCRIPTION_TOKEN_RECHECK_SECS: u64 = 60;
/// The shortest signing secret accepted: 256 bits, the size of an HS256 key.
pub const MIN_JWT_SECRET_BYTES: usize = 32;

/// The address to listen on: an IP address and a port (`127.0.0.1:8080`, `[::]:8080`), or a
/// host name and a port (`localhost:8080`), resolved once at start-up.
fn listen_address(setting: &'static str, value: &str) -> Result<SocketAddr, ConfigError> {
    if let Ok(address) = value.parse::<SocketAddr>() {
        return Ok(address);
    }
    let refused = |why: String| {
        ConfigError::new(
            setting,
            format!("expected IP:PORT or HOST:PORT, e.g. 127.0.0.1:8080, got `{value}`: {why}"),
        )
    };
    let Some((host, port)) = value.rsplit_once(':') else {
        return Err(refused("no port".to_owned()));
    };
    let port = port
        .parse::<u16>()
        .map_err(|_| refused(format!("`{port}` is not a port")))?;
    std::net::ToSocketAddrs::to_socket_addrs(&(host, port))
        .map_err(|error| refused(error.to_string()))?
        .next()
        .ok_or_else(|| refused(format!("`{host}` has no address")))
}

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
    /// How long a request waits for a connection before failing, e.g. while the database
    /// is down.
    pub acquire_timeout: Duration,
}

/// The origins browsers may call the API from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CorsOrigins {
    /// Any origin. Safe because the API authenticates with bearer tokens, never cookies,
    /// and credentials are never allowed.
    Any,
    /// Only these origins (`scheme://host[:port]`).
    List(Vec<String>),
}

/// The limits and defences of the HTTP side: what one request may ask, how many run at
/// once, how often one client may call.
#[derive(Debug, Clone)]
pub struct ProtectionConfig {
    /// The largest request body, in bytes.
    pub body_limit_bytes: usize,
    /// What one GraphQL document may ask for.
    pub query_limits: QueryLimits,
    /// The largest answer, in bytes: a larger one is replaced by an error.
    pub max_response_bytes: usize,
    /// Whether the schema answers introspection.
    pub introspection: bool,
    /// Whether validation errors suggest similar names.
    pub suggestions: bool,
    pub cors_origins: CorsOrigins,
    /// Requests served at once; more are answered 503 at once.
    pub max_concurrent_requests: usize,
    /// Requests per minute from one client address; 0 for no limit.
    pub rate_limit_per_address: u32,
    /// Requests per minute with one account's token; 0 for no limit.
    pub rate_limit_per_account: u32,
    /// Requests per minute with one API key; 0 for no limit.
    pub rate_limit_per_api_key: u32,
    /// Proxies whose `X-Forwarded-For` names the client.
    pub trusted_proxies: Vec<IpNet>,
    /// The limits of subscriptions over WebSocket.
    pub subscriptions: SubscriptionLimits,
}

/// The limits of GraphQL subscriptions over WebSocket (`graphql-transport-ws`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SubscriptionLimits {
    /// Subscriptions one connection may hold at once.
    pub per_connection: usize,
    /// WebSocket connections one client address may hold at once.
    pub connections_per_address: usize,
    /// How often the server pings an idle connection; one that answers nothing for twice
    /// as long is closed.
    pub keepalive: Duration,
    /// How long a connection may take to send `connection_init` before it is closed.
    pub init_timeout: Duration,
    /// How often a connection's token is checked again (revocation, deactivation, role).
    pub token_recheck: Duration,
}

impl Default for SubscriptionLimits {
    fn default() -> Self {
        Self {
            per_connection: DEFAULT_SUBSCRIPTIONS_PER_CONNECTION,
            connections_per_address: DEFAULT_SUBSCRIPTION_CONNECTIONS_PER_ADDRESS,
            keepalive: Duration::from_secs(DEFAULT_SUBSCRIPTION_KEEPALIVE_SECS),
            init_timeout: Duration::from_secs(DEFAULT_SUBSCRIPTION_INIT_TIMEOUT_SECS),
            token_recheck: Duration::from_secs(DEFAULT_SUBSCRIPTION_TOKEN_RECHECK_SECS),
        }
    }
}

impl Default for ProtectionConfig {
    fn default() -> Self {
        Self {
            body_limit_bytes: DEFAULT_BODY_LIMIT_BYTES,
            query_limits: QueryLimits::default(),
            max_response_bytes: DEFAULT_MAX_RESPONSE_BYTES,
            introspection: true,
            suggestions: false,
            cors_origins: CorsOrigins::Any,
            max_concurrent_requests: DEFAULT_MAX_CONCURRENT_REQUESTS,
            rate_limit_per_address: DEFAULT_RATE_LIMIT_PER_ADDRESS,
            rate_limit_per_account: DEFAULT_RATE_LIMIT_PER_ACCOUNT,
            rate_limit_per_api_key: DEFAULT_API_KEY_RATE_LIMIT_PER_MINUTE,
            trusted_proxies: Vec::new(),
            subscriptions: SubscriptionLimits::default(),
        }
    }
}

/// The settings of the access tokens.
#[derive(Clone)]
pub struct AuthConfig {
    /// The secret that signs new tokens (`JWT_SECRET`); `None` to use the embedded default's
    /// generated one.
    pub jwt_secret: Option<String>,
    /// Secrets that signed tokens before a rotation and still verify them.
    pub jwt_previous_secrets: Vec<String>,
    pub jwt_lifetime_secs: u64,
    /// The key of the erasure tombstones (`ERASURE_KEY`); `None` to use the embedded
    /// default's generated one. Never rotated: tombstones made with another key are not
    /// recognised.
    pub erasure_key: Option<String>,
    pub jwt_issuer: String,
    pub jwt_audience: String,
}

impl std::fmt::Debug for AuthConfig {
    /// Secrets never reach a log line.
    fn fmt(&self, formatter: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        formatter
            .debug_struct("AuthConfig")
            .field("jwt_secret", &self.jwt_secret.as_ref().map(|_| "***"))
            .field("jwt_previous_secrets", &self.jwt_previous_secrets.len())
            .field("jwt_lifetime_secs", &self.jwt_lifetime_secs)
            .field("erasure_key", &self.erasure_key.as_ref().map(|_| "***"))
            .field("jwt_issuer", &self.jwt_issuer)
            .field("jwt_audience", &self.jwt_audience)
            .finish()
    }
}

/// How e-mail notices are sent: present when `SMTP_URL` is set.
#[derive(Clone)]
pub struct MailConfig {
    /// The SMTP server, as lettre reads it (`SMTP_URL`).
    pub smtp_url: String,
    /// Who the messages are from (`MAIL_FROM`), e.g. `Communs <ne-pas-repondre@exemple.fr>`.
    pub from: lettre::message::Mailbox,
    /// How long one SMTP command may take (`SMTP_TIMEOUT_SECS`).
    pub timeout_secs: u64,
    /// How long new submissions are gathered for a moderator's digest (`MAIL_DIGEST_HOURS`).
    pub digest_hours: u64,
}

impl std::fmt::Debug for MailConfig {
    /// The SMTP URL may hold a password: it never reaches a log line.
    fn fmt(&self, formatter: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        formatter
            .debug_struct("MailConfig")
            .field("smtp_url", &"***")
            .field("from", &self.from.to_string())
            .field("timeout_secs", &self.timeout_secs)
            .field("digest_hours", &self.digest_hours)
            .finish()
    }
}

/// Reads `SMTP_URL`, `MAIL_FROM`, `SMTP_TIMEOUT_SECS` and `MAIL_DIGEST_HOURS`: none when
/// `SMTP_URL` is unset.
fn mail_config(
    smtp_url: Option<String>,
    from: Option<String>,
    timeout_secs: u64,
    digest_hours: u64,
) -> Result<Option<MailConfig>, ConfigError> {
    let Some(smtp_url) = smtp_url.map(|url| url.trim().to_owned()) else {
        return Ok(None);
    };
    // The URL is not repeated in the message: it may hold a password.
    if let Err(error) = lettre::AsyncSmtpTransport::<lettre::Tokio1Executor>::from_url(&smtp_url) {
        return Err(ConfigError::new(
            "SMTP_URL",
            format!(
                "expected smtp://HOST:PORT, smtp://USER:PASSWORD@HOST:587?tls=required or                  smtps://USER:PASSWORD@HOST ({error})"
            ),
        ));
    }
    let Some(from) = from else {
        return Err(ConfigError::new(
            "MAIL_FROM",
            "required when SMTP_URL is set: the address e-mails are sent from, e.g.              `Communs <ne-pas-repondre@exemple.fr>`",
        ));
    };
    let from = from.trim().parse::<lettre::message::Mailbox>().map_err(|error| {
        ConfigError::new(
            "MAIL_FROM",
            format!(
                "expected an address such as `Communs <ne-pas-repondre@exemple.fr>`, got                  `{from}`: {error}"
            ),
        )
    })?;
    Ok(Some(MailConfig {
        smtp_url,
        from,
        timeout_secs,
        digest_hours,
    }))
}

/// Every setting of the service.
#[derive(Debug, Clone)]
pub struct Config {
    pub database: DatabaseConfig,
    /// A streaming replica of the PostgreSQL database, for anonymous queries
    /// (`DATABASE_READ_URL`); everything else goes to `database`.
    pub read_database: Option<DatabaseConfig>,
    pub listen_addr: SocketAddr,
    /// Where `/metrics` is served, apart from the API (`METRICS_LISTEN_ADDR`); `None`: not
    /// served, nothing recorded.
    pub metrics_listen_addr: Option<SocketAddr>,
    pub log_format: LogFormat,
    pub request_timeout_secs: u64,
    /// How long requests in flight may take to finish after SIGTERM.
    pub shutdown_drain_secs: u64,
    /// How long the figures of `stats` and the rankings of searches are kept at most; 0
    /// computes them every time.
    pub stats_cache_secs: u64,
    /// How long answers to anonymous queries are kept at most; 0 keeps none.
    pub response_cache_secs: u64,
    /// How long themes, territories and organisations are kept at most; 0 keeps none.
    pub reference_cache_secs: u64,
    /// How long a change is kept in the changes feed; a reader further behind must
    /// resynchronise.
    pub change_retention_days: u64,
    /// The licence and links of the open-data exports and the feed.
    pub publication: Publication,
    /// How many exports may stream at once.
    pub max_concurrent_exports: usize,
    /// Whether clients may send a query by its hash (automatic persisted queries).
    pub persisted_queries: bool,
    /// How long HTTP caches may keep a public answer; 0 revalidates each time.
    pub http_cache_max_age_secs: u64,
    /// Whether GraphiQL is served at `/`.
    pub graphiql: bool,
    /// Networks webhook endpoints may be on although internal, reached over plain http too.
    pub webhook_allowed_networks: Vec<IpNet>,
    /// How long a webhook delivery attempt may take.
    pub webhook_timeout_secs: u64,
    /// How e-mail notices are sent; `None` (no `SMTP_URL`): none is.
    pub mail: Option<MailConfig>,
    pub auth: AuthConfig,
    pub protection: ProtectionConfig,
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
        let read_url = non_empty("DATABASE_READ_URL").map(|url| url.trim().to_owned());
        if let Some(url) = &read_url {
            let postgres =
                |url: &str| url.starts_with("postgres:") || url.starts_with("postgresql:");
            let primary_is_postgres =
                matches!(&setting, DatabaseSetting::Url(primary) if postgres(primary));
            if !postgres(url) || !primary_is_postgres {
                return Err(ConfigError::new(
                    "DATABASE_READ_URL",
                    "a read replica is a PostgreSQL standby of the PostgreSQL database of \
                     DATABASE_URL: both must be postgres:// URLs",
                ));
            }
        }
        let max_connections = non_empty("DATABASE_MAX_CONNECTIONS")
            .map(|value| match value.trim().parse::<u32>() {
                Ok(count) if count > 0 => Ok(count),
                _ => Err(ConfigError::new(
                    "DATABASE_MAX_CONNECTIONS",
                    format!("expected a whole number above 0, got `{value}`"),
                )),
            })
            .transpose()?;
        let listen_addr = listen_address(
            "LISTEN_ADDR",
            non_empty("LISTEN_ADDR")
                .unwrap_or_else(|| DEFAULT_LISTEN_ADDR.to_owned())
                .trim(),
        )?;
        let metrics_listen_addr = non_empty("METRICS_LISTEN_ADDR")
            .map(|value| listen_address("METRICS_LISTEN_ADDR", value.trim()))
            .transpose()?;
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

        let number = |setting: &'static str, min: u64, max: u64| {
            non_empty(setting)
                .map(|value| match value.trim().parse::<u64>() {
                    Ok(number) if (min..=max).contains(&number) => Ok(number),
                    _ => Err(ConfigError::new(
                        setting,
                        format!("expected a whole number from {min} to {max}, got `{value}`"),
                    )),
                })
                .transpose()
        };
        let flag = |setting: &'static str| {
            non_empty(setting)
                .map(|value| match value.trim().to_ascii_lowercase().as_str() {
                    "true" | "1" | "yes" | "on" => Ok(true),
                    "false" | "0" | "no" | "off" => Ok(false),
                    _ => Err(ConfigError::new(
                        setting,
                        format!("expected `true` or `false`, got `{value}`"),
                    )),
                })
                .transpose()
        };
        let acquire_timeout = Duration::from_secs(
            number("DATABASE_ACQUIRE_TIMEOUT_SECS", 1, 600)?
                .unwrap_or(DEFAULT_DATABASE_ACQUIRE_TIMEOUT_SECS),
        );
        let shutdown_drain_secs =
            number("SHUTDOWN_DRAIN_SECS", 0, 3600)?.unwrap_or(DEFAULT_SHUTDOWN_DRAIN_SECS);
        let stats_cache_secs =
            number("STATS_CACHE_SECS", 0, 3600)?.unwrap_or(DEFAULT_STATS_CACHE_SECS);
        let response_cache_secs =
            number("RESPONSE_CACHE_SECS", 0, 3600)?.unwrap_or(DEFAULT_RESPONSE_CACHE_SECS);
        let reference_cache_secs =
            number("REFERENCE_CACHE_SECS", 0, 3600)?.unwrap_or(DEFAULT_REFERENCE_CACHE_SECS);
        let change_retention_days =
            number("CHANGE_RETENTION_DAYS", 1, 36_500)?.unwrap_or(DEFAULT_CHANGE_RETENTION_DAYS);
        let max_concurrent_exports = number("MAX_CONCURRENT_EXPORTS", 1, 1_000)?
            .map_or(DEFAULT_MAX_CONCURRENT_EXPORTS, |count| count as usize);
        let graphiql = flag("GRAPHIQL")?.unwrap_or(true);
        let site_url = non_empty("PUBLIC_SITE_URL").map(|url| url.trim().to_owned());
        if let Some(url) = &site_url
            && !(url.starts_with("https://") || url.starts_with("http://"))
        {
            return Err(ConfigError::new(
                "PUBLIC_SITE_URL",
                format!("expected an http:// or https:// address, got `{url}`"),
            ));
        }
        let publication_defaults = Publication::default();
        let publication = Publication {
            licence: non_empty("OPEN_DATA_LICENCE")
                .map_or(publication_defaults.licence, |text| text.trim().to_owned()),
            licence_url: non_empty("OPEN_DATA_LICENCE_URL")
                .map_or(publication_defaults.licence_url, |text| {
                    text.trim().to_owned()
                }),
            publisher: non_empty("OPEN_DATA_PUBLISHER")
                .map_or(publication_defaults.publisher, |text| {
                    text.trim().to_owned()
                }),
            site_url,
        };
        let defaults = ProtectionConfig::default();
        let limits = QueryLimits::default();
        let limit = |setting: &'static str, default: usize| -> Result<usize, ConfigError> {
            Ok(number(setting, 1, 1_000_000)?.map_or(default, |value| value as usize))
        };
        let query_limits = QueryLimits {
            max_tokens: limit("QUERY_MAX_TOKENS", limits.max_tokens)?,
            max_depth: limit("QUERY_MAX_DEPTH", limits.max_depth)?,
            max_fields: limit("QUERY_MAX_FIELDS", limits.max_fields)?,
            max_complexity: limit("QUERY_MAX_COMPLEXITY", limits.max_complexity)?,
            max_aliases: limit("QUERY_MAX_ALIASES", limits.max_aliases)?,
            max_root_fields: limit("QUERY_MAX_ROOT_FIELDS", limits.max_root_fields)?,
            max_directives: limit("QUERY_MAX_DIRECTIVES", limits.max_directives)?,
            max_introspection_depth: limit(
                "QUERY_MAX_INTROSPECTION_DEPTH",
                limits.max_introspection_depth,
            )?,
            max_introspection_roots: limit(
                "QUERY_MAX_INTROSPECTION_ROOTS",
                limits.max_introspection_roots,
            )?,
        };
        let cors_origins = match non_empty("CORS_ALLOWED_ORIGINS") {
            None => CorsOrigins::Any,
            Some(value) if value.trim() == "*" => CorsOrigins::Any,
            Some(value) => CorsOrigins::List(
                value
                    .split(',')
                    .map(str::trim)
                    .filter(|origin| !origin.is_empty())
                    .map(|origin| {
                        if is_origin(origin) {
                            Ok(origin.trim_end_matches('/').to_owned())
                        } else {
                            Err(ConfigError::new(
                                "CORS_ALLOWED_ORIGINS",
                                format!(
                                    "expected `*` or origins such as https://example.org, \
                                     separated by commas; got `{origin}`"
                                ),
                            ))
                        }
                    })
                    .collect::<Result<_, _>>()?,
            ),
        };
        let trusted_proxies = non_empty("TRUSTED_PROXIES")
            .map(|list| networks("TRUSTED_PROXIES", &list))
            .transpose()?
            .unwrap_or_default();
        let webhook_allowed_networks = non_empty("WEBHOOK_ALLOWED_NETWORKS")
            .map(|list| networks("WEBHOOK_ALLOWED_NETWORKS", &list))
            .transpose()?
            .unwrap_or_default();
        let webhook_timeout_secs = number("WEBHOOK_TIMEOUT_SECS", 1, 120)?.unwrap_or(10);
        let mail = mail_config(
            non_empty("SMTP_URL"),
            non_empty("MAIL_FROM"),
            number("SMTP_TIMEOUT_SECS", 1, 300)?.unwrap_or(DEFAULT_SMTP_TIMEOUT_SECS),
            number("MAIL_DIGEST_HOURS", 1, 24 * 7)?.unwrap_or(DEFAULT_MAIL_DIGEST_HOURS),
        )?;
        let protection = ProtectionConfig {
            body_limit_bytes: number("BODY_LIMIT_BYTES", 1024, 64 * 1024 * 1024)?
                .map_or(defaults.body_limit_bytes, |value| value as usize),
            query_limits,
            max_response_bytes: number("MAX_RESPONSE_BYTES", 1024, 1024 * 1024 * 1024)?
                .map_or(defaults.max_response_bytes, |value| value as usize),
            introspection: flag("GRAPHQL_INTROSPECTION")?.unwrap_or(true),
            // Suggestions help while developing; elsewhere they spell out the schema to
            // whoever probes it, even with introspection off.
            suggestions: flag("GRAPHQL_SUGGESTIONS")?.unwrap_or(setting.is_embedded()),
            cors_origins,
            max_concurrent_requests: number("MAX_CONCURRENT_REQUESTS", 1, 100_000)?
                .map_or(defaults.max_concurrent_requests, |value| value as usize),
            rate_limit_per_address: number("RATE_LIMIT_PER_ADDRESS", 0, 1_000_000)?
                .map_or(defaults.rate_limit_per_address, |value| value as u32),
            rate_limit_per_account: number("RATE_LIMIT_PER_ACCOUNT", 0, 1_000_000)?
                .map_or(defaults.rate_limit_per_account, |value| value as u32),
            rate_limit_per_api_key: number("API_KEY_RATE_LIMIT_PER_MINUTE", 0, 1_000_000)?
                .map_or(defaults.rate_limit_per_api_key, |value| value as u32),
            trusted_proxies,
            subscriptions: SubscriptionLimits {
                per_connection: number("SUBSCRIPTIONS_PER_CONNECTION", 1, 10_000)?
                    .map_or(DEFAULT_SUBSCRIPTIONS_PER_CONNECTION, |value| value as usize),
                connections_per_address: number(
                    "SUBSCRIPTION_CONNECTIONS_PER_ADDRESS",
                    1,
                    100_000,
                )?
                .map_or(DEFAULT_SUBSCRIPTION_CONNECTIONS_PER_ADDRESS, |value| {
                    value as usize
                }),
                keepalive: Duration::from_secs(
                    number("SUBSCRIPTION_KEEPALIVE_SECS", 1, 3600)?
                        .unwrap_or(DEFAULT_SUBSCRIPTION_KEEPALIVE_SECS),
                ),
                init_timeout: Duration::from_secs(
                    number("SUBSCRIPTION_INIT_TIMEOUT_SECS", 1, 3600)?
                        .unwrap_or(DEFAULT_SUBSCRIPTION_INIT_TIMEOUT_SECS),
                ),
                token_recheck: Duration::from_secs(
                    number("SUBSCRIPTION_TOKEN_RECHECK_SECS", 1, 86_400)?
                        .unwrap_or(DEFAULT_SUBSCRIPTION_TOKEN_RECHECK_SECS),
                ),
            },
        };

        let secret_long_enough = |setting: &'static str, secret: &str| {
            if secret.len() < MIN_JWT_SECRET_BYTES {
                Err(ConfigError::new(
                    setting,
                    format!(
                        "a signing secret must be at least {MIN_JWT_SECRET_BYTES} bytes long \
                         (e.g. `openssl rand -base64 48`)"
                    ),
                ))
            } else {
                Ok(())
            }
        };
        let jwt_secret = non_empty("JWT_SECRET").map(|secret| secret.trim().to_owned());
        if let Some(secret) = &jwt_secret {
            secret_long_enough("JWT_SECRET", secret)?;
        }
        let jwt_previous_secrets: Vec<String> = non_empty("JWT_PREVIOUS_SECRETS")
            .map(|list| {
                list.split(',')
                    .map(str::trim)
                    .filter(|secret| !secret.is_empty())
                    .map(str::to_owned)
                    .collect()
            })
            .unwrap_or_default();
        for secret in &jwt_previous_secrets {
            secret_long_enough("JWT_PREVIOUS_SECRETS", secret)?;
        }
        let erasure_key = non_empty("ERASURE_KEY").map(|secret| secret.trim().to_owned());
        if let Some(secret) = &erasure_key {
            secret_long_enough("ERASURE_KEY", secret)?;
        }
        let jwt_lifetime_secs = non_empty("JWT_LIFETIME_SECS")
            .map(|value| match value.trim().parse::<u64>() {
                Ok(secs) if (60..=MAX_JWT_LIFETIME_SECS).contains(&secs) => Ok(secs),
                _ => Err(ConfigError::new(
                    "JWT_LIFETIME_SECS",
                    format!(
                        "expected a number of seconds from 60 to {MAX_JWT_LIFETIME_SECS}, \
                         got `{value}`"
                    ),
                )),
            })
            .transpose()?
            .unwrap_or(DEFAULT_JWT_LIFETIME_SECS);
        let auth = AuthConfig {
            jwt_secret,
            jwt_previous_secrets,
            jwt_lifetime_secs,
            erasure_key,
            jwt_issuer: non_empty("JWT_ISSUER")
                .map(|value| value.trim().to_owned())
                .unwrap_or_else(|| DEFAULT_JWT_ISSUER.to_owned()),
            jwt_audience: non_empty("JWT_AUDIENCE")
                .map(|value| value.trim().to_owned())
                .unwrap_or_else(|| DEFAULT_JWT_AUDIENCE.to_owned()),
        };

        Ok(Self {
            read_database: read_url.map(|url| DatabaseConfig {
                setting: DatabaseSetting::Url(url),
                max_connections,
                acquire_timeout,
            }),
            database: DatabaseConfig {
                setting,
                max_connections,
                acquire_timeout,
            },
            listen_addr,
            metrics_listen_addr,
            log_format,
            request_timeout_secs,
            shutdown_drain_secs,
            stats_cache_secs,
            response_cache_secs,
            reference_cache_secs,
            change_retention_days,
            publication,
            max_concurrent_exports,
            persisted_queries: flag("PERSISTED_QUERIES")?.unwrap_or(true),
            http_cache_max_age_secs: number("HTTP_CACHE_MAX_AGE_SECS", 0, 31_536_000)?
                .unwrap_or(DEFAULT_HTTP_CACHE_MAX_AGE_SECS),
            graphiql,
            webhook_allowed_networks,
            webhook_timeout_secs,
            mail,
            auth,
            protection,
        })
    }
}

/// IP addresses or networks (`10.0.0.0/8`), separated by commas.
fn networks(setting: &'static str, list: &str) -> Result<Vec<IpNet>, ConfigError> {
    list.split(',')
        .map(str::trim)
        .filter(|entry| !entry.is_empty())
        .map(|entry| {
            entry
                .parse::<IpNet>()
                .or_else(|_| entry.parse::<std::net::IpAddr>().map(IpNet::from))
                .map_err(|_| {
                    ConfigError::new(
                        setting,
                        format!(
                            "expected IP addresses or networks (10.0.0.0/8), separated by \
                             commas; got `{entry}`"
                        ),
                    )
                })
        })
        .collect()
}

/// `scheme://host[:port]`, as browsers send it in `Origin`.
fn is_origin(value: &str) -> bool {
    let value = value.trim_end_matches('/');
    match value.split_once("://") {
        Some((scheme, rest)) => {
            matches!(scheme, "http" | "https")
                && !rest.is_empty()
                && !rest.contains(['/', '*', ' ', '?', '#'])
        }
        None => false,
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
    fn the_listen_address_may_name_a_host() {
        let config = Config::from_lookup(|name| {
            (name == "LISTEN_ADDR").then(|| "localhost:8081".to_owned())
        })
        .unwrap();
        assert!(config.listen_addr.ip().is_loopback());
        assert_eq!(config.listen_addr.port(), 8081);
        let refused = Config::from_lookup(|name| {
            (name == "LISTEN_ADDR").then(|| "localhost:http".to_owned())
        })
        .unwrap_err();
        assert!(refused.message.contains("IP:PORT"), "{}", refused.message);
    }

    #[test]
    fn a_bad_setting_is_named() {
        for (name, value) in [
            ("LISTEN_ADDR", "localhost"),
            ("METRICS_LISTEN_ADDR", "9100"),
            ("LOG_FORMAT", "xml"),
            ("DATABASE_URL", "mysql://x"),
            ("DATABASE_MAX_CONNECTIONS", "0"),
            ("REQUEST_TIMEOUT_SECS", "soon"),
            ("JWT_SECRET", "too-short"),
            ("JWT_PREVIOUS_SECRETS", "too-short"),
            ("JWT_LIFETIME_SECS", "5"),
            ("ERASURE_KEY", "too-short"),
            ("BODY_LIMIT_BYTES", "big"),
            ("QUERY_MAX_DEPTH", "0"),
            ("QUERY_MAX_TOKENS", "-1"),
            ("QUERY_MAX_FIELDS", "many"),
            ("QUERY_MAX_COMPLEXITY", "1.5"),
            ("QUERY_MAX_ALIASES", "none"),
            ("QUERY_MAX_ROOT_FIELDS", "x"),
            ("QUERY_MAX_DIRECTIVES", "0"),
            ("QUERY_MAX_INTROSPECTION_DEPTH", "deep"),
            ("QUERY_MAX_INTROSPECTION_ROOTS", "0"),
            ("MAX_RESPONSE_BYTES", "100"),
            ("GRAPHQL_INTROSPECTION", "maybe"),
            ("GRAPHQL_SUGGESTIONS", "2"),
            ("GRAPHIQL", "perhaps"),
            ("CORS_ALLOWED_ORIGINS", "https://a.example, *.example"),
            ("MAX_CONCURRENT_REQUESTS", "0"),
            ("RATE_LIMIT_PER_ADDRESS", "lots"),
            ("RATE_LIMIT_PER_ACCOUNT", "-5"),
            ("API_KEY_RATE_LIMIT_PER_MINUTE", "plenty"),
            ("TRUSTED_PROXIES", "10.0.0.0/33"),
            ("WEBHOOK_ALLOWED_NETWORKS", "localhost"),
            ("WEBHOOK_TIMEOUT_SECS", "0"),
            ("SMTP_URL", "mailto:postmaster@exemple.fr"),
            ("SMTP_TIMEOUT_SECS", "0"),
            ("MAIL_DIGEST_HOURS", "0"),
            ("DATABASE_ACQUIRE_TIMEOUT_SECS", "0"),
            ("SHUTDOWN_DRAIN_SECS", "forever"),
            ("CHANGE_RETENTION_DAYS", "0"),
            ("MAX_CONCURRENT_EXPORTS", "0"),
            ("PERSISTED_QUERIES", "sometimes"),
            ("HTTP_CACHE_MAX_AGE_SECS", "a minute"),
            ("PUBLIC_SITE_URL", "www.example.org"),
            // A read replica of the embedded SQLite database cannot be.
            ("DATABASE_READ_URL", "postgres://replica/communs"),
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
    fn e_mail_is_off_without_smtp_url_and_needs_a_sender_with_it() {
        assert!(config(&[]).unwrap().mail.is_none());
        assert!(
            config(&[("MAIL_FROM", "Communs <communs@exemple.fr>")])
                .unwrap()
                .mail
                .is_none()
        );
        let without_sender = config(&[("SMTP_URL", "smtp://127.0.0.1:2525")]).unwrap_err();
        assert_eq!(without_sender.setting, "MAIL_FROM");
        let bad_sender = config(&[
            ("SMTP_URL", "smtp://127.0.0.1:2525"),
            ("MAIL_FROM", "pas une adresse"),
        ])
        .unwrap_err();
        assert_eq!(bad_sender.setting, "MAIL_FROM");
        let password = "un-mot-de-passe-smtp";
        let mail = config(&[
            (
                "SMTP_URL",
                &format!("smtps://communs:{password}@smtp.exemple.fr"),
            ),
            ("MAIL_FROM", "Communs <ne-pas-repondre@exemple.fr>"),
        ])
        .unwrap()
        .mail
        .unwrap();
        assert_eq!(mail.from.email.to_string(), "ne-pas-repondre@exemple.fr");
        assert_eq!(mail.timeout_secs, 30);
        assert!(!format!("{mail:?}").contains(password));
    }

    #[test]
    fn secrets_never_show_in_debug_output() {
        let secret = "a-very-long-secret-that-must-not-be-logged-anywhere";
        let config = config(&[("JWT_SECRET", secret), ("ERASURE_KEY", secret)]).unwrap();
        assert_eq!(config.auth.jwt_secret.as_deref(), Some(secret));
        assert_eq!(config.auth.erasure_key.as_deref(), Some(secret));
        assert!(!format!("{config:?}").contains(secret));
    }

    #[test]
    fn previous_secrets_are_a_comma_separated_list() {
        let old = "x".repeat(32);
        let older = "y".repeat(40);
        let config = config(&[("JWT_PREVIOUS_SECRETS", &format!("{old}, {older}"))]).unwrap();
        assert_eq!(config.auth.jwt_previous_secrets, [old, older]);
    }

    #[test]
    fn the_limits_have_documented_defaults() {
        let config = config(&[]).unwrap();
        let protection = &config.protection;
        assert_eq!(protection.body_limit_bytes, 256 * 1024);
        assert_eq!(protection.max_response_bytes, 8 * 1024 * 1024);
        assert_eq!(protection.query_limits, QueryLimits::default());
        assert_eq!(protection.cors_origins, CorsOrigins::Any);
        assert!(protection.introspection);
        assert!(config.graphiql);
        assert_eq!(config.metrics_listen_addr, None);
        assert!(protection.trusted_proxies.is_empty());
        assert_eq!(config.database.acquire_timeout, Duration::from_secs(3));
        assert_eq!(config.shutdown_drain_secs, 20);
        assert_eq!(config.change_retention_days, 30);
    }

    #[test]
    fn suggestions_are_on_only_for_the_embedded_default_unless_set() {
        assert!(config(&[]).unwrap().protection.suggestions);
        let deployed = [("DATABASE_URL", "postgres://db/communs")];
        assert!(!config(&deployed).unwrap().protection.suggestions);
        let asked = [
            ("DATABASE_URL", "postgres://db/communs"),
            ("GRAPHQL_SUGGESTIONS", "true"),
        ];
        assert!(config(&asked).unwrap().protection.suggestions);
    }

    #[test]
    fn origins_and_proxies_are_comma_separated_lists() {
        let config = config(&[
            (
                "CORS_ALLOWED_ORIGINS",
                "https://ressources.example, http://localhost:3000/",
            ),
            ("TRUSTED_PROXIES", "10.0.0.0/8, 192.168.1.7, ::1"),
            ("QUERY_MAX_DEPTH", "8"),
        ])
        .unwrap();
        assert_eq!(
            config.protection.cors_origins,
            CorsOrigins::List(vec![
                "https://ressources.example".to_owned(),
                "http://localhost:3000".to_owned()
            ])
        );
        assert_eq!(config.protection.trusted_proxies.len(), 3);
        assert_eq!(config.protection.query_limits.max_depth, 8);
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
