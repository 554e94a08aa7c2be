//! Reading the database: the queries that are more than one sea-orm call, the DataLoaders
//! and their request-scoped batching, and opening and migrating the database.

pub mod api_keys;
pub mod batching;
pub mod contributions;
pub mod curation;
pub mod database;
pub mod duplicates;
pub mod facets;
pub mod initiative_links;
pub mod initiatives;
pub mod keyed;
pub mod linked;
pub mod loaders;
pub mod login_failures;
pub mod mail_notices;
pub mod memo;
pub mod moderation_queue;
pub mod open_data;
pub mod page;
pub mod places;
pub mod reference;
pub mod reference_rows;
pub mod revisions;
pub mod search;
pub mod sql;
pub mod stats;
pub mod stats_cache;
pub mod stream_consumers;
pub mod tombstones;
pub mod users;
pub mod webhooks;
