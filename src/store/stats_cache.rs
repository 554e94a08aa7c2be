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

use crate::error::AppResult;

/// At most this many figures are kept; past it, all are dropped (any filter may be asked,
/// so the keys are not bounded otherwise).
const MAX_FIGURES: usize = 1_024;

struct Figure {
    /// The value of the catalogue generation when the figure's computation began.
    generation: u64,
    computed_at: Instant,
    value: Arc<dyn Any + Send + Sync>,
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

    /// The figure under `key`, computed by `compute` when none is kept.
    pub async fn get_or_compute<T, F>(&self, key: String, compute: F) -> AppResult<T>
    where
        T: Clone + Send + Sync + 'static,
        F: Future<Output = AppResult<T>>,
    {
        if self.keep_for.is_zero() {
            return compute.await;
        }
        // Read before computing: a mutation that lands during the computation makes the
        // figure stale at once rather than kept under the new generation.
        let generation = self.generation.load(Ordering::SeqCst);
        if let Some(value) = self.kept(&key, generation) {
            return Ok(value);
        }
        let value = compute.await?;
        let mut figures = self
            .figures
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        if figures.len() >= MAX_FIGURES {
            figures.clear();
        }
        figures.insert(
            key,
            Figure {
                generation,
                computed_at: Instant::now(),
                value: Arc::new(value.clone()),
            },
        );
        Ok(value)
    }

    fn kept<T: Clone + 'static>(&self, key: &str, generation: u64) -> Option<T> {
        let figures = self
            .figures
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        let figure = figures.get(key)?;
        if figure.generation != generation || figure.computed_at.elapsed() > self.keep_for {
            return None;
        }
        figure.value.downcast_ref::<T>().cloned()
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
