//! Retention: old changes are pruned from the stream, so that it does not grow forever.
//! A reader left behind by a pruning is told to resynchronise (see [`super::feed`]).

use std::time::Duration;

use chrono::Utc;
use sea_orm::DatabaseConnection;
use tokio::task::JoinHandle;

use super::outbox;

/// How often each replica prunes.
pub const PRUNE_INTERVAL: Duration = Duration::from_secs(3600);

/// Prunes the changes older than `keep_for` now, then every [`PRUNE_INTERVAL`], until the
/// task is aborted. Every replica runs one; they do not get in each other's way.
pub fn start(db: DatabaseConnection, keep_for: chrono::Duration) -> JoinHandle<()> {
    tokio::spawn(async move {
        let mut ticks = tokio::time::interval(PRUNE_INTERVAL);
        ticks.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            ticks.tick().await;
            match outbox::prune(&db, Utc::now() - keep_for).await {
                Ok(0) => {}
                Ok(removed) => tracing::info!(removed, "old changes pruned"),
                Err(error) => tracing::warn!(%error, "old changes could not be pruned"),
            }
        }
    })
}
