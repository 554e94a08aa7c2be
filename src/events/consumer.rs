//! The loop every consumer of the change stream runs (webhooks, e-mail notices, and what
//! comes after them): hand the new changes over to its own queue, do what is due, then
//! sleep until the next piece of work is due or the stream has news. Each consumer keeps
//! its own position in the stream and its own queue; this loop only paces them.

use std::{future::Future, sync::Arc, time::Duration};

use chrono::{DateTime, Utc};
use tokio::{
    sync::{Notify, broadcast::error::RecvError},
    task::JoinHandle,
};

use super::ChangeStream;
use crate::error::AppResult;

/// The shortest sleep between two rounds: never a busy loop, even when due work could not
/// be claimed.
const MIN_WAIT: Duration = Duration::from_millis(100);

/// The sleep after a round the database refused.
const RETRY_AFTER_ERROR: Duration = Duration::from_secs(5);

/// What a consumer does in a round.
pub trait Consumer: Send + Sync + 'static {
    /// What it delivers, for the logs (`"webhook deliveries"`).
    fn name(&self) -> &'static str;

    /// Queues the work owed for every change after its position, and moves the position.
    fn hand_over(&self) -> impl Future<Output = AppResult<()>> + Send;

    /// Does the queued work that is due, across replicas each piece once.
    fn send_due(&self) -> impl Future<Output = AppResult<()>> + Send;

    /// When the next queued piece of work is due, if any.
    fn next_due(&self) -> impl Future<Output = AppResult<Option<DateTime<Utc>>>> + Send;
}

/// How a consumer's loop is paced.
pub struct Pace {
    /// The longest sleep between two rounds.
    pub poll: Duration,
    /// Wakes the loop at once when work was queued outside the stream (a redelivery).
    pub wake: Option<Arc<Notify>>,
}

/// Runs `consumer` until the task is aborted. It hands over when the replica's change
/// stream reports changes (and once at start, for what was committed while no replica
/// ran), and sleeps until its next piece of work is due, at most `pace.poll`, so that an
/// idle replica sends no statement.
pub fn run<C: Consumer>(consumer: C, changes: ChangeStream, pace: Pace) -> JoinHandle<()> {
    tokio::spawn(async move {
        let mut news = changes.subscribe();
        let mut changed = true;
        loop {
            // What could not be handed over (the database away) is tried again next round.
            let mut pending = false;
            if changed && let Err(error) = consumer.hand_over().await {
                tracing::warn!(
                    ?error,
                    "changes could not be handed over to {}",
                    consumer.name()
                );
                pending = true;
            }
            if let Err(error) = consumer.send_due().await {
                tracing::warn!(?error, "{} could not be sent", consumer.name());
            }
            let wait = match consumer.next_due().await {
                Ok(Some(at)) => (at - Utc::now()).to_std().unwrap_or_default(),
                Ok(None) => pace.poll,
                Err(_) => RETRY_AFTER_ERROR,
            }
            .max(MIN_WAIT)
            .min(pace.poll);
            if pending {
                tokio::time::sleep(RETRY_AFTER_ERROR.min(pace.poll)).await;
                changed = true;
                continue;
            }
            let woken = async {
                match &pace.wake {
                    Some(wake) => wake.notified().await,
                    None => std::future::pending().await,
                }
            };
            changed = tokio::select! {
                received = news.recv() => match received {
                    // A change, or so many that some were missed: hand over either way.
                    Ok(_) | Err(RecvError::Lagged(_)) => true,
                    Err(RecvError::Closed) => {
                        tokio::time::sleep(pace.poll).await;
                        true
                    }
                },
                () = woken => false,
                () = tokio::time::sleep(wait) => false,
            };
        }
    })
}
