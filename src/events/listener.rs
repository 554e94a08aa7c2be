//! On PostgreSQL, each replica's listener of the outbox's notifications: every commit that
//! appends changes notifies [`CHANNEL`], and each notification wakes the replica's follower,
//! which reads the outbox from its position. On a lost connection the replica stops keeping
//! what it reads; the listener reconnects after a short backoff, then wakes the follower so
//! that it catches up from its position (nothing is missed across the reconnect: what was
//! committed before `LISTEN` is in the outbox, what is committed after is notified).
//!
//! The listener has a connection of its own, outside the pool of requests (it holds it for
//! as long as the replica runs), named [`APPLICATION_NAME`] in `pg_stat_activity`.

use std::{sync::Weak, time::Duration};

use sea_orm::sqlx::{
    PgPool,
    postgres::{PgListener, PgPoolOptions},
};
use tokio::sync::oneshot;

use super::{follower::Inner, outbox::CHANNEL};

/// How the listener's connection shows in `pg_stat_activity`.
pub const APPLICATION_NAME: &str = "communs-change-listener";

/// The first wait before reconnecting; it doubles after each failed attempt, up to
/// [`MAX_BACKOFF`].
const FIRST_BACKOFF: Duration = Duration::from_millis(100);
const MAX_BACKOFF: Duration = Duration::from_secs(2);
/// The longest a connection attempt may take.
const CONNECT_TIMEOUT: Duration = Duration::from_secs(5);

/// Listens until `stopped` (the replica is gone), reconnecting after every loss.
pub(super) async fn listen(
    requests: PgPool,
    stream: Weak<Inner>,
    mut stopped: oneshot::Receiver<()>,
) {
    let options = (*requests.connect_options())
        .clone()
        .application_name(APPLICATION_NAME);
    let pool = PgPoolOptions::new()
        .max_connections(1)
        .acquire_timeout(CONNECT_TIMEOUT)
        .idle_timeout(None)
        .max_lifetime(None)
        .connect_lazy_with(options);
    let mut backoff = FIRST_BACKOFF;
    loop {
        tokio::select! {
            _ = &mut stopped => return,
            () = listen_once(&pool, &stream, &mut backoff) => {}
        }
        tokio::select! {
            _ = &mut stopped => return,
            () = tokio::time::sleep(backoff) => {}
        }
        backoff = (backoff * 2).min(MAX_BACKOFF);
    }
}

/// Connects, listens and wakes the follower at each notification, until the connection
/// is lost.
async fn listen_once(pool: &PgPool, stream: &Weak<Inner>, backoff: &mut Duration) {
    let mut listener = match connect(pool).await {
        Ok(listener) => listener,
        Err(error) => {
            tracing::warn!(%error, "the change listener cannot connect; retrying");
            return;
        }
    };
    let Some(replica) = stream.upgrade() else {
        return;
    };
    replica.listener_connected();
    drop(replica);
    *backoff = FIRST_BACKOFF;
    loop {
        let received = listener.try_recv().await;
        let Some(replica) = stream.upgrade() else {
            return;
        };
        match received {
            Ok(Some(notification)) => match notification.payload().parse::<i64>() {
                Ok(sequence) => replica.announced(sequence),
                Err(_) => replica.wake.notify_one(),
            },
            Ok(None) => {
                tracing::warn!("the change listener's connection was lost; reconnecting");
                replica.listener_lost();
                return;
            }
            Err(error) => {
                tracing::warn!(%error, "the change listener failed; reconnecting");
                replica.listener_lost();
                return;
            }
        }
    }
}

async fn connect(pool: &PgPool) -> Result<PgListener, sea_orm::sqlx::Error> {
    let mut listener = PgListener::connect_with(pool).await?;
    // A lost connection is reported at once; this task reconnects, after its backoff.
    listener.eager_reconnect(false);
    listener.listen(CHANNEL).await?;
    Ok(listener)
}
