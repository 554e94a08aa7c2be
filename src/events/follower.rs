//! A replica's follower of the change stream: it reads the outbox from the last sequence it
//! saw whenever it is woken (by a commit of this replica, or a notification) and at least
//! every [`POLL_INTERVAL`], tells the replica what changed (so it drops what it keeps) and
//! hands each change to the replica's listeners (subscriptions) in order, once.
//!
//! The replica keeps what it reads from the catalogue only while it *follows* the stream:
//! on PostgreSQL, while its [listener](super::listener) is connected and the follower has
//! read the stream since it connected; on SQLite (one process, woken by its own commits),
//! while the stream can be read. Otherwise it could miss a change made elsewhere and serve
//! what it kept for as long as the caching settings allow, so it keeps nothing then.

use std::{
    sync::{
        Arc, Mutex, Weak,
        atomic::{AtomicI64, Ordering},
    },
    time::Duration,
};

use sea_orm::{DatabaseConnection, DbBackend};
use tokio::sync::{Notify, broadcast, oneshot, watch};

use super::{Committed, listener, outbox};

/// The longest a change made elsewhere waits before this replica reads it, when no
/// notification arrives.
pub const POLL_INTERVAL: Duration = Duration::from_secs(1);
/// The first wait before reading again a stream that does not show an announced change yet;
/// it doubles at each try, up to a quarter of [`POLL_INTERVAL`].
const FIRST_RETRY: Duration = Duration::from_millis(5);
/// Changes read at once.
const PAGE: u64 = 500;
/// Changes a slow listener may fall behind by before it is told it lagged.
const LISTENER_BACKLOG: usize = 1024;

/// What a replica keeps from the catalogue, as its follower sees to it.
pub trait Keeper: Send + Sync + 'static {
    /// Forgets what `changes` touch, before the replica's listeners see them.
    fn forget(&self, changes: &[Arc<Committed>]);
    /// Keeps what is read from now on (`true`: the replica follows the stream), or forgets
    /// everything and keeps nothing (`false`: a change could be missed).
    fn keep(&self, keeping: bool);
}

/// The change stream as one replica follows it.
#[derive(Clone)]
pub struct ChangeStream {
    inner: Arc<Inner>,
}

pub(super) struct Inner {
    pub(super) wake: Arc<Notify>,
    position: AtomicI64,
    /// The newest sequence notifications announced as committed: the stream read may not
    /// show it yet when it is read on a standby that lags.
    announced: AtomicI64,
    sender: broadcast::Sender<Arc<Committed>>,
    keeper: Box<dyn Keeper>,
    connection: Mutex<Connection>,
    following: watch::Sender<bool>,
    /// Dropped with the replica: ends its listener.
    _stop: oneshot::Sender<()>,
}

/// Whether notifications reach the replica.
struct Connection {
    /// The listener is connected (always, on SQLite: commits wake the follower in-process).
    listening: bool,
    /// How many times the listener connected: a read counts as a catch-up only if it began
    /// after the current connection did.
    connections: u64,
}

impl ChangeStream {
    /// Starts following the stream, read on `db`, from its newest change: what is kept
    /// starts empty, so nothing older matters to this replica. On PostgreSQL, starts its
    /// listener too, on `primary` (`db` itself, or a standby of it: notifications are not
    /// replicated). Needs a Tokio runtime.
    pub fn start(
        primary: &DatabaseConnection,
        db: DatabaseConnection,
        keeper: Box<dyn Keeper>,
    ) -> Self {
        let (sender, _) = broadcast::channel(LISTENER_BACKLOG);
        let (stop, stopped) = oneshot::channel();
        let postgres = db.get_database_backend() == DbBackend::Postgres;
        let inner = Arc::new(Inner {
            wake: Arc::new(Notify::new()),
            position: AtomicI64::new(UNKNOWN),
            announced: AtomicI64::new(UNKNOWN),
            sender,
            keeper,
            connection: Mutex::new(Connection {
                listening: !postgres,
                connections: 0,
            }),
            following: watch::Sender::new(false),
            _stop: stop,
        });
        // Nothing is kept until the replica follows.
        inner.keeper.keep(false);
        if postgres {
            let pool = primary.get_postgres_connection_pool().clone();
            tokio::spawn(listener::listen(pool, Arc::downgrade(&inner), stopped));
        }
        tokio::spawn(follow(db, Arc::downgrade(&inner)));
        Self { inner }
    }

    /// Whether the replica follows the stream now, and so keeps what it reads.
    pub fn is_following(&self) -> bool {
        *self.inner.following.borrow()
    }

    /// Returns once the replica follows the stream.
    pub async fn until_following(&self) {
        let mut following = self.inner.following.subscribe();
        // The sender lives as long as `self`.
        let _ = following.wait_for(|following| *following).await;
    }

    /// Something was committed: read the stream now rather than at the next poll.
    pub fn wake(&self) {
        self.inner.wake.notify_one();
    }

    /// Every change read from now on, in order.
    pub fn subscribe(&self) -> broadcast::Receiver<Arc<Committed>> {
        self.inner.sender.subscribe()
    }

    /// The sequence of the last change this replica has read.
    pub fn position(&self) -> i64 {
        self.inner.position.load(Ordering::SeqCst)
    }
}

/// The position before the follower has read where the stream ends.
const UNKNOWN: i64 = -1;

impl Inner {
    /// A notification announced changes up to `sequence`.
    pub(super) fn announced(&self, sequence: i64) {
        self.announced.fetch_max(sequence, Ordering::SeqCst);
        self.wake.notify_one();
    }

    /// The listener has connected and listens: the follower catches up, then follows.
    pub(super) fn listener_connected(&self) {
        let mut connection = self.lock_connection();
        connection.listening = true;
        connection.connections += 1;
        drop(connection);
        self.wake.notify_one();
    }

    /// The listener's connection is lost: notifications may be missed from now on.
    pub(super) fn listener_lost(&self) {
        let mut connection = self.lock_connection();
        connection.listening = false;
        self.set_following(&connection, false);
    }

    /// Which listener connection a read begins under, if any.
    fn reading_under(&self) -> Option<u64> {
        let connection = self.lock_connection();
        connection.listening.then_some(connection.connections)
    }

    /// A read begun under `under` succeeded: the replica follows if the listener has not
    /// been lost since.
    fn caught_up(&self, under: Option<u64>) {
        let connection = self.lock_connection();
        if connection.listening && under == Some(connection.connections) {
            self.set_following(&connection, true);
        }
    }

    /// A read failed: the replica cannot tell what it missed.
    fn read_failed(&self) {
        let connection = self.lock_connection();
        self.set_following(&connection, false);
    }

    /// Holding the connection's lock, so that a loss and a catch-up are told in order.
    fn set_following(&self, _held: &Connection, following: bool) {
        if *self.following.borrow() != following {
            self.keeper.keep(following);
            self.following.send_replace(following);
            tracing::info!(following, "the replica's following of the change stream");
        }
    }

    fn lock_connection(&self) -> std::sync::MutexGuard<'_, Connection> {
        self.connection.lock().unwrap_or_else(|p| p.into_inner())
    }
}

/// Reads the stream until the replica is gone.
async fn follow(db: DatabaseConnection, inner: Weak<Inner>) {
    loop {
        let Some(stream) = inner.upgrade() else {
            return;
        };
        match outbox::last_sequence(&db).await {
            Ok(position) => {
                stream.position.store(position, Ordering::SeqCst);
                break;
            }
            Err(error) => {
                tracing::warn!(%error, "the change stream's end could not be read; retrying");
                drop(stream);
                tokio::time::sleep(POLL_INTERVAL).await;
            }
        }
    }
    let mut behind = FIRST_RETRY;
    loop {
        let Some(stream) = inner.upgrade() else {
            return;
        };
        let position = stream.position.load(Ordering::SeqCst);
        let under = stream.reading_under();
        let full = match outbox::read_after(&db, position, PAGE).await {
            Ok(page) => {
                let changes: Vec<_> = page.changes.into_iter().map(Arc::new).collect();
                let full = changes.len() as u64 == PAGE;
                if !changes.is_empty() {
                    stream.keeper.forget(&changes);
                    for change in changes {
                        // No listener is not an error.
                        let _ = stream.sender.send(change);
                    }
                }
                if let Some(position) = page.position {
                    stream.position.store(position, Ordering::SeqCst);
                }
                if !full {
                    stream.caught_up(under);
                }
                full
            }
            Err(error) => {
                tracing::warn!(%error, "the change stream could not be read; retrying");
                stream.read_failed();
                false
            }
        };
        if full {
            continue;
        }
        // A standby that has not replayed an announced change yet: read again soon, rather
        // than at the next poll.
        if stream.position.load(Ordering::SeqCst) < stream.announced.load(Ordering::SeqCst) {
            drop(stream);
            tokio::time::sleep(behind).await;
            behind = (behind * 2).min(POLL_INTERVAL / 4);
            continue;
        }
        behind = FIRST_RETRY;
        // Wait without keeping the replica alive.
        let wake = Arc::clone(&stream.wake);
        drop(stream);
        tokio::select! {
            () = wake.notified() => {}
            () = tokio::time::sleep(POLL_INTERVAL) => {}
        }
    }
}
