//! The figures of `stats`, kept for a while. Each figure reads every initiative the filter
//! matches (tens of milliseconds over a catalogue of 50,000), while a dashboard asks for the
//! same figures again and again and the catalogue changes a few times a day.
//!
//! A figure is kept until a mutation runs on this instance (the figures read after it see
//! its writes) or for the set time at most (the writes of other instances and of the
//! command line show by then). A figure is keyed by its SQL and its bound values, which
//! hold the caller's scope and the filter: callers who see different initiatives never
//! share a figure.

use std::{
    any::Any,
    collections::HashMap,
    sync::{
        Arc, Mutex,
        atomic::{AtomicU64, Ordering},
    },
    time::{Duration, Instant},
};

use tokio::sync::OnceCell;

use crate::error::{AppError, AppResult};

/// At most this many figures are kept; past it, all are dropped (any filter may be asked,
/// so the keys are not bounded otherwise).
const MAX_FIGURES: usize = 1_024;

type Value = Arc<dyn Any + Send + Sync>;

struct Figure {
    /// The value of the catalogue generation when the figure was first asked for.
    generation: u64,
    asked_at: Instant,
    /// Filled once: the requests that ask for the figure while it is being computed wait
    /// for that computation instead of each running its own.
    value: Arc<OnceCell<Value>>,
}

/// Figures by key, valid for their generation and for `keep_for`.
pub struct StatsCache {
    keep_for: Duration,
    generation: AtomicU64,
    figures: Mutex<HashMap<String, Figure>>,
}

impl StatsCache {
    /// Keeps figures for `keep_for`; zero keeps none.
    pub fn new(keep_for: Duration) -> Self {
        Self {
            keep_for,
            generation: AtomicU64::new(0),
            figures: Mutex::new(HashMap::new()),
        }
    }

    /// Forgets every figure: something may have been written.
    pub fn catalogue_changed(&self) {
        self.generation.fetch_add(1, Ordering::SeqCst);
    }

    /// The figure under `key`, computed by `compute` when none is kept, once however many
    /// requests ask for it meanwhile.
    pub async fn get_or_compute<T, F>(&self, key: String, compute: F) -> AppResult<T>
    where
        T: Clone + Send + Sync + 'static,
        F: Future<Output = AppResult<T>>,
    {
        if self.keep_for.is_zero() {
            return compute.await;
        }
        let slot = self.slot(key);
        let value = slot
            .get_or_try_init(|| async { compute.await.map(|value| Arc::new(value) as Value) })
            .await?;
        value
            .downcast_ref::<T>()
            .cloned()
            .ok_or_else(|| AppError::internal("a figure of another type under the same key"))
    }

    /// The slot of the figure under `key`: the one kept if it is still valid, a new one
    /// otherwise. A mutation that lands while a figure is computed makes its slot stale at
    /// once, so the figure is never kept under the new generation.
    fn slot(&self, key: String) -> Arc<OnceCell<Value>> {
        let generation = self.generation.load(Ordering::SeqCst);
        let mut figures = self
            .figures
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        if let Some(figure) = figures.get(&key)
            && figure.generation == generation
            && figure.asked_at.elapsed() <= self.keep_for
        {
            return figure.value.clone();
        }
        if figures.len() >= MAX_FIGURES {
            figures.clear();
        }
        let value = Arc::new(OnceCell::new());
        figures.insert(
            key,
            Figure {
                generation,
                asked_at: Instant::now(),
                value: value.clone(),
            },
        );
        value
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    async fn answer(value: u64) -> AppResult<u64> {
        Ok(value)
    }

    #[tokio::test]
    async fn a_figure_is_kept_until_the_catalogue_changes() {
        let cache = StatsCache::new(Duration::from_secs(60));
        assert_eq!(
            cache
                .get_or_compute("total".into(), answer(1))
                .await
                .unwrap(),
            1
        );
        assert_eq!(
            cache
                .get_or_compute("total".into(), answer(2))
                .await
                .unwrap(),
            1
        );
        cache.catalogue_changed();
        assert_eq!(
            cache
                .get_or_compute("total".into(), answer(3))
                .await
                .unwrap(),
            3
        );
    }

    #[tokio::test]
    async fn a_figure_asked_for_by_many_at_once_is_computed_once() {
        let cache = StatsCache::new(Duration::from_secs(60));
        let computed = AtomicU64::new(0);
        let ask = || {
            cache.get_or_compute("total".into(), async {
                computed.fetch_add(1, Ordering::SeqCst);
                tokio::task::yield_now().await;
                Ok(7u64)
            })
        };
        let answers = futures_util::future::join_all((0..16).map(|_| ask())).await;
        assert!(answers.iter().all(|answer| *answer.as_ref().unwrap() == 7));
        assert_eq!(computed.load(Ordering::SeqCst), 1);
    }

    #[tokio::test]
    async fn figures_under_other_keys_are_computed_apart() {
        let cache = StatsCache::new(Duration::from_secs(60));
        assert_eq!(
            cache.get_or_compute("a".into(), answer(1)).await.unwrap(),
            1
        );
        assert_eq!(
            cache.get_or_compute("b".into(), answer(2)).await.unwrap(),
            2
        );
    }

    #[tokio::test]
    async fn no_figure_is_kept_past_its_time_or_when_keeping_is_off() {
        let cache = StatsCache::new(Duration::from_millis(1));
        cache
            .get_or_compute("total".into(), answer(1))
            .await
            .unwrap();
        std::thread::sleep(Duration::from_millis(5));
        assert_eq!(
            cache
                .get_or_compute("total".into(), answer(2))
                .await
                .unwrap(),
            2
        );
        let off = StatsCache::new(Duration::ZERO);
        off.get_or_compute("total".into(), answer(1)).await.unwrap();
        assert_eq!(
            off.get_or_compute("total".into(), answer(2)).await.unwrap(),
            2
        );
    }
}
