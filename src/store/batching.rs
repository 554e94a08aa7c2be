//! Request-scoped batching for the DataLoaders, without timers.
//!
//! async-graphql's DataLoader gathers the keys asked for during a delay (1 ms by default)
//! and then loads them in one query. On a busy machine, resolving a page of 100 items can
//! take longer than the delay, and the batch splits: the number of SQL statements then
//! depends on timing. Here the DataLoader's batch tasks are not spawned on the runtime: they
//! are queued and run by the request's own future, *after* each poll of the GraphQL
//! execution. By then every resolver woken in that poll has asked for its keys, so one
//! level of the query is one batch, whatever the page size or the load.

use std::{
    future::Future,
    pin::Pin,
    sync::{
        Arc, Mutex, PoisonError,
        atomic::{AtomicBool, Ordering},
    },
    task::{Context, Poll},
};

use futures_util::{
    Stream, StreamExt,
    future::BoxFuture,
    stream::FuturesUnordered,
    task::{ArcWake, AtomicWaker, waker_ref},
};

/// The batch tasks queued by a request's DataLoaders, waiting to be run by [`Batched`].
#[derive(Clone, Default)]
pub struct BatchQueue(Arc<QueueInner>);

#[derive(Default)]
struct QueueInner {
    tasks: Mutex<Vec<BoxFuture<'static, ()>>>,
    /// The request's task, woken when a batch is queued.
    request: AtomicWaker,
}

impl BatchQueue {
    /// The spawner to give the request's DataLoaders.
    pub fn spawner(&self) -> impl Fn(BoxFuture<'static, ()>) + Send + Sync + 'static {
        let queue = self.0.clone();
        move |task| {
            // A panic elsewhere while holding the lock leaves the list itself intact.
            queue
                .tasks
                .lock()
                .unwrap_or_else(PoisonError::into_inner)
                .push(task);
            queue.request.wake();
        }
    }

    fn is_empty(&self) -> bool {
        self.0
            .tasks
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .is_empty()
    }

    fn take(&self) -> Vec<BoxFuture<'static, ()>> {
        std::mem::take(&mut *self.0.tasks.lock().unwrap_or_else(PoisonError::into_inner))
    }
}

/// How many times in a row the execution may ask to be polled again at once (it yields
/// when its futures are many) before its batches run anyway.
const MAX_IMMEDIATE_REPOLLS: usize = 64;

/// Wakes the request's task, noting that the execution asked to be polled again.
struct RepollWaker {
    woken: AtomicBool,
    task: AtomicWaker,
}

impl ArcWake for RepollWaker {
    fn wake_by_ref(this: &Arc<Self>) {
        this.woken.store(true, Ordering::SeqCst);
        this.task.wake();
    }
}

/// Runs the batch tasks a GraphQL execution's loaders queue, between polls of the execution.
struct BatchDriver {
    queue: BatchQueue,
    running: FuturesUnordered<BoxFuture<'static, ()>>,
    repoll: Arc<RepollWaker>,
}

impl BatchDriver {
    fn new(queue: BatchQueue) -> Self {
        Self {
            queue,
            running: FuturesUnordered::new(),
            repoll: Arc::new(RepollWaker {
                woken: AtomicBool::new(false),
                task: AtomicWaker::new(),
            }),
        }
    }

    /// Polls the execution with `poll`, running the batches it queues, until it is ready
    /// or waits on something else than its own batches.
    fn poll_with<T>(
        &mut self,
        cx: &mut Context<'_>,
        mut poll: impl FnMut(&mut Context<'_>) -> Poll<T>,
    ) -> Poll<T> {
        self.queue.0.request.register(cx.waker());
        loop {
            if let Poll::Ready(output) = self.poll_inner(cx, &mut poll) {
                return Poll::Ready(output);
            }
            let mut delivered = false;
            loop {
                self.running.extend(self.queue.take());
                while let Poll::Ready(Some(())) = self.running.poll_next_unpin(cx) {
                    delivered = true;
                }
                // A batch task may itself queue one (a loader that loads through another):
                // run it now rather than wait for an unrelated wake-up.
                if self.queue.is_empty() {
                    break;
                }
            }
            // A finished batch has handed its rows to the resolvers waiting for them: poll
            // the execution again so that they all ask for their next keys together.
            if !delivered {
                return Poll::Pending;
            }
        }
    }

    /// Polls the execution until it waits on something else than itself: futures-util's
    /// `FuturesUnordered` yields (waking itself) after polling many futures, and the keys
    /// of the futures it has not polled yet belong in the same batch.
    fn poll_inner<T>(
        &mut self,
        cx: &mut Context<'_>,
        poll: &mut impl FnMut(&mut Context<'_>) -> Poll<T>,
    ) -> Poll<T> {
        self.repoll.task.register(cx.waker());
        let waker = waker_ref(&self.repoll);
        let mut inner_cx = Context::from_waker(&waker);
        for _ in 0..MAX_IMMEDIATE_REPOLLS {
            self.repoll.woken.store(false, Ordering::SeqCst);
            if let Poll::Ready(output) = poll(&mut inner_cx) {
                return Poll::Ready(output);
            }
            if !self.repoll.woken.load(Ordering::SeqCst) {
                break;
            }
        }
        Poll::Pending
    }
}

/// Runs `inner` (a GraphQL execution) together with the batch tasks its loaders queue.
pub struct Batched<F: Future> {
    inner: Pin<Box<F>>,
    driver: BatchDriver,
}

impl<F: Future> Batched<F> {
    pub fn new(inner: F, queue: BatchQueue) -> Self {
        Self {
            inner: Box::pin(inner),
            driver: BatchDriver::new(queue),
        }
    }
}

impl<F: Future> Future for Batched<F> {
    type Output = F::Output;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<F::Output> {
        let this = self.get_mut();
        let inner = &mut this.inner;
        this.driver.poll_with(cx, |cx| inner.as_mut().poll(cx))
    }
}

/// [`Batched`] for a stream (a subscription): between polls of the stream, runs the batch
/// tasks its loaders queue while it resolves an item.
pub struct BatchedStream<S: Stream> {
    inner: Pin<Box<S>>,
    driver: BatchDriver,
}

impl<S: Stream> BatchedStream<S> {
    pub fn new(inner: S, queue: BatchQueue) -> Self {
        Self {
            inner: Box::pin(inner),
            driver: BatchDriver::new(queue),
        }
    }
}

impl<S: Stream> Stream for BatchedStream<S> {
    type Item = S::Item;

    fn poll_next(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<S::Item>> {
        let this = self.get_mut();
        let inner = &mut this.inner;
        this.driver.poll_with(cx, |cx| inner.as_mut().poll_next(cx))
    }
}

#[cfg(test)]
mod tests {
    use std::{
        collections::HashMap,
        sync::atomic::{AtomicUsize, Ordering},
    };

    use async_graphql::dataloader::{DataLoader, Loader};

    use super::*;

    struct CountingLoader(Arc<AtomicUsize>);

    impl Loader<u32> for CountingLoader {
        type Value = u32;
        type Error = ();

        async fn load(&self, keys: &[u32]) -> Result<HashMap<u32, u32>, ()> {
            self.0.fetch_add(1, Ordering::SeqCst);
            tokio::task::yield_now().await;
            Ok(keys.iter().map(|key| (*key, key * 2)).collect())
        }
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn keys_asked_for_in_one_poll_are_loaded_in_one_batch_however_slow_the_poll() {
        let batches = Arc::new(AtomicUsize::new(0));
        let queue = BatchQueue::default();
        let loader = DataLoader::new(CountingLoader(batches.clone()), queue.spawner());
        let work = futures_util::future::join_all((0..500u32).map(|key| {
            let loader = &loader;
            async move {
                // Slower than the loader's delay between the first key and the last.
                std::thread::sleep(std::time::Duration::from_micros(20));
                let doubled = loader.load_one(key).await.unwrap().unwrap();
                loader.load_one(doubled + 10_000).await.unwrap().unwrap()
            }
        }));
        let results = Batched::new(work, queue).await;
        assert_eq!(results[3], 10_006 * 2);
        assert_eq!(batches.load(Ordering::SeqCst), 2, "one batch per level");
    }

    /// Loads through another loader, as a loader of a relation's targets might.
    struct NestedLoader {
        inner: Arc<DataLoader<CountingLoader>>,
    }

    impl Loader<u32> for NestedLoader {
        type Value = u32;
        type Error = ();

        async fn load(&self, keys: &[u32]) -> Result<HashMap<u32, u32>, ()> {
            let found = self.inner.load_many(keys.iter().copied()).await?;
            Ok(found
                .into_iter()
                .map(|(key, value)| (key, value + 1))
                .collect())
        }
    }

    #[tokio::test]
    async fn a_loader_may_load_through_another_without_waiting_for_a_wake_up() {
        let queue = BatchQueue::default();
        let inner = Arc::new(DataLoader::new(
            CountingLoader(Arc::new(AtomicUsize::new(0))),
            queue.spawner(),
        ));
        let outer = DataLoader::new(NestedLoader { inner }, queue.spawner());
        let work = async { outer.load_one(21).await.unwrap().unwrap() };
        let value =
            tokio::time::timeout(std::time::Duration::from_secs(1), Batched::new(work, queue))
                .await
                .expect("no hang");
        assert_eq!(value, 43);
    }
}
