//! A replica's follower of the change stream: it reads the outbox from the last sequence it
//! saw whenever it is woken (by a commit of this replica, or a notification) and at least
//! every [`POLL_INTERVAL`], tells the replica what changed (so it drops what it keeps) and
//! hands each change to the replica's listeners (subscriptions) in order, once.

use std::{
    sync::{
        Arc, Weak,
        atomic::{AtomicI64, Ordering},
    },
    time::Duration,
};

use sea_orm::DatabaseConnection;
use tokio::sync::{Notify, broadcast};

use super::{Committed, outbox};

/// The longest a change made elsewhere waits before this replica reads it, when no
/// notification arrives.
pub const POLL_INTERVAL: Duration = Duration::from_secs(1);
/// Changes read at once.
const PAGE: u64 = 500;
/// Changes a slow listener may fall behind by before it is told it lagged.
const LISTENER_BACKLOG: usize = 1024;

/// What the replica does with each page of changes, before its listeners see them.
pub type OnChanges = Box<dyn Fn(&[Arc<Committed>]) + Send + Sync>;

/// The change stream as one replica follows it.
#[derive(Clone)]
pub struct ChangeStream {
    inner: Arc<Inner>,
}

struct Inner {
    wake: Arc<Notify>,
    position: AtomicI64,
    sender: broadcast::Sender<Arc<Committed>>,
    on_changes: OnChanges,
}

impl ChangeStream {
    /// Starts following the stream from its newest change: what is kept starts empty, so
    /// nothing older matters to this replica. Needs a Tokio runtime.
    pub fn start(db: DatabaseConnection, on_changes: OnChanges) -> Self {
        let (sender, _) = broadcast::channel(LISTENER_BACKLOG);
        let inner = Arc::new(Inner {
            wake: Arc::new(Notify::new()),
            position: AtomicI64::new(UNKNOWN),
            sender,
            on_changes,
        });
        tokio::spawn(follow(db, Arc::downgrade(&inner)));
        Self { inner }
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
    loop {
        let Some(stream) = inner.upgrade() else {
            return;
        };
        let position = stream.position.load(Ordering::SeqCst);
        let full = match outbox::read_after(&db, position, PAGE).await {
            Ok(page) => {
                let changes: Vec<_> = page.changes.into_iter().map(Arc::new).collect();
                let full = changes.len() as u64 == PAGE;
                if !changes.is_empty() {
                    (stream.on_changes)(&changes);
                    for change in changes {
                        // No listener is not an error.
                        let _ = stream.sender.send(change);
                    }
                }
                if let Some(position) = page.position {
                    stream.position.store(position, Ordering::SeqCst);
                }
                full
            }
            Err(error) => {
                tracing::warn!(%error, "the change stream could not be read; retrying");
                false
            }
        };
        if full {
            continue;
        }
        // Wait without keeping the replica alive.
        let wake = Arc::clone(&stream.wake);
        drop(stream);
        tokio::select! {
            () = wake.notified() => {}
            () = tokio::time::sleep(POLL_INTERVAL) => {}
        }
    }
}
