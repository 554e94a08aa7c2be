//! Black-box tests of Communs through HTTP `/graphql`, on SQLite by default and on
//! PostgreSQL when `TEST_DATABASE_URL` points to one. One test binary: linking is the slow
//! part of a Rust test build.

mod helpers;

mod access;
mod accounts;
mod api_keys;
mod backups;
mod change_stream;
mod changes_feed;
mod cli;
mod contributions;
mod demo;
mod docs_examples;
mod duplicates;
mod errors;
mod experiences;
mod faults;
mod fixtures;
mod fuzz;
mod http;
mod http_caching;
mod http_discipline;
mod initiative_links;
mod initiatives;
mod input_policy;
mod introspection;
mod limits;
mod logs;
mod map;
mod metrics;
mod moderation;
mod nodes;
mod notifications;
mod open_data;
mod packaging;
mod persisted_queries;
mod personal_data;
mod privacy;
mod public_answers;
mod read_replica;
mod reference;
mod reference_admin;
mod replicas;
mod response_size;
mod revisions;
mod schema;
mod search;
mod similar;
mod statements;
mod stats;
mod subscriptions;
mod territory_import;
mod throttling;
mod tokens;
mod webhooks;
