//! The figures of `stats`, and the rankings of searches, kept for a while. Each figure reads
//! every initiative the filter matches (tens of milliseconds over a catalogue of 50,000),
//! and so does ranking a search, while a dashboard asks for the same figures again and
//! again, visitors page through the same searches, and the catalogue changes a few times a
//! day.
//!
//! Figures are kept in a [`Memo`]: until a mutation runs on this instance, or for the set
//! time at most. A figure is keyed by its SQL and its bound values, which hold the caller's
//! scope and the filter: callers who see different initiatives never share a figure.

use std::{any::Any, sync::Arc, time::Duration};

use super::memo::Memo;
use crate::error::{AppError, AppResult};

/// At most this many figures are kept; past it, all are dropped (any filter may be asked,
/// so the keys are not bounded otherwise).
const MAX_FIGURES: usize = 1_024;

type Value = Arc<dyn Any + Send + Sync>;

/// Figures of any type by key, valid until the catalogue changes and for `keep_for`.
pub struct StatsCache(Memo<Value>);

impl StatsCache {
    /// Keeps figures for `keep_for`; zero keeps none.
    pub fn new(keep_for: Duration) -> Self {
        Self(Memo::new(keep_for, MAX_FIGURES))
    }

    /// Whether figures are kept now.
    pub fn keeps(&self) -> bool {
        self.0.keeps()
    }

    /// Forgets every figure: something may have been written.
    pub fn catalogue_changed(&self) {
        self.0.catalogue_changed();
    }

    /// Keeps figures from now on, or (`false`) forgets every figure and keeps none.
    pub fn keep(&self, keeping: bool) {
        self.0.keep(keeping);
    }

    /// The figure under `key`, computed by `compute` when none is kept, once however many
    /// requests ask for it meanwhile.
    pub async fn get_or_compute<T, F>(&self, key: String, compute: F) -> AppResult<T>
    where
        T: Clone + Send + Sync + 'static,
        F: Future<Output = AppResult<T>>,
    {
        let value = self
            .0
            .get_or_compute(key, async {
                compute.await.map(|value| Arc::new(value) as Value)
            })
            .await?;
        value
            .downcast_ref::<T>()
            .cloned()
            .ok_or_else(|| AppError::internal("a figure of another type under the same key"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    async fn answer<T>(value: T) -> AppResult<T> {
        Ok(value)
    }

    #[tokio::test]
    async fn a_figure_is_kept_until_the_catalogue_changes() {
        let cache = StatsCache::new(Duration::from_secs(60));
        let first: u64 = cache
            .get_or_compute("total".into(), answer(1))
            .await
            .unwrap();
        let again: u64 = cache
            .get_or_compute("total".into(), answer(2))
            .await
            .unwrap();
        assert_eq!((first, again), (1, 1));
        cache.catalogue_changed();
        let after: u64 = cache
            .get_or_compute("total".into(), answer(3))
            .await
            .unwrap();
        assert_eq!(after, 3);
    }

    #[tokio::test]
    async fn a_figure_read_as_another_type_is_an_internal_error() {
        let cache = StatsCache::new(Duration::from_secs(60));
        let _: u64 = cache
            .get_or_compute("total".into(), answer(1))
            .await
            .unwrap();
        let read = cache
            .get_or_compute::<String, _>("total".into(), answer("one".to_owned()))
            .await;
        assert!(matches!(read, Err(AppError::Internal(_))));
    }
}
