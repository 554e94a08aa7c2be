//! Values computed from the catalogue, kept for a while and computed once however many ask.
//!
//! A value is kept until a mutation runs on this instance (what is read after it sees its
//! writes) or for the set time at most (the writes of other instances and of the command
//! line show by then). When many requests ask for a value that is not kept, the first
//! computes it and the others wait for it, instead of each running its own computation.

use std::{
    collections::HashMap,
    sync::{
        Arc, Mutex,
        atomic::{AtomicBool, AtomicU64, Ordering},
    },
    time::{Duration, Instant},
};

use tokio::sync::OnceCell;

struct Entry<V> {
    /// The catalogue generation when the value was first asked for.
    generation: u64,
    asked_at: Instant,
    /// Filled once, by the first request that asked.
    value: Arc<OnceCell<V>>,
}

/// Values by key, valid for their generation and for `keep_for`.
pub struct Memo<V> {
    keep_for: Duration,
    /// Past this many keys, every value is dropped: the keys are not bounded otherwise.
    max_entries: usize,
    generation: AtomicU64,
    /// Off while the replica does not follow the change stream: it could miss a change.
    keeping: AtomicBool,
    entries: Mutex<HashMap<String, Entry<V>>>,
}

impl<V: Clone + Send + Sync + 'static> Memo<V> {
    /// Keeps at most `max_entries` values for `keep_for`; zero keeps none.
    pub fn new(keep_for: Duration, max_entries: usize) -> Self {
        Self {
            keep_for,
            max_entries,
            generation: AtomicU64::new(0),
            keeping: AtomicBool::new(true),
            entries: Mutex::new(HashMap::new()),
        }
    }

    /// Whether values are kept now.
    pub fn keeps(&self) -> bool {
        !self.keep_for.is_zero() && self.keeping.load(Ordering::SeqCst)
    }

    /// Forgets every value: something may have been written.
    pub fn catalogue_changed(&self) {
        self.generation.fetch_add(1, Ordering::SeqCst);
    }

    /// Keeps values from now on, or (`false`) forgets every value and keeps none until
    /// told to keep again.
    pub fn keep(&self, keeping: bool) {
        // Off before the generation moves: a value computed meanwhile is either under the
        // old generation or sees `keeping` off.
        self.keeping.store(keeping, Ordering::SeqCst);
        if !keeping {
            self.catalogue_changed();
        }
    }

    /// The value kept under `key`, if it is still valid and computed.
    pub fn get(&self, key: &str) -> Option<V> {
        let generation = self.generation.load(Ordering::SeqCst);
        let entries = self.entries.lock().unwrap_or_else(|p| p.into_inner());
        let entry = entries.get(key)?;
        if entry.generation == generation && entry.asked_at.elapsed() <= self.keep_for {
            entry.value.get().cloned()
        } else {
            None
        }
    }

    /// The value under `key`, computed by `compute` when none is kept, once however many
    /// requests ask for it meanwhile. An error is not kept: it goes to the request that
    /// computed it, and each waiting request then computes its own.
    pub async fn get_or_compute<E, F>(&self, key: String, compute: F) -> Result<V, E>
    where
        F: Future<Output = Result<V, E>>,
    {
        if !self.keeps() {
            return compute.await;
        }
        match self.slot(key) {
            Some(slot) => slot.get_or_try_init(|| compute).await.cloned(),
            None => compute.await,
        }
    }

    /// The slot of the value under `key`: the one kept if it is still valid, a new one
    /// otherwise. A mutation that lands while a value is computed makes its slot stale at
    /// once, so the value is never kept under the new generation. None while not keeping.
    fn slot(&self, key: String) -> Option<Arc<OnceCell<V>>> {
        let generation = self.generation.load(Ordering::SeqCst);
        if !self.keeping.load(Ordering::SeqCst) {
            return None;
        }
        let mut entries = self.entries.lock().unwrap_or_else(|p| p.into_inner());
        if let Some(entry) = entries.get(&key)
            && entry.generation == generation
            && entry.asked_at.elapsed() <= self.keep_for
        {
            return Some(entry.value.clone());
        }
        if entries.len() >= self.max_entries {
            entries.clear();
        }
        let value = Arc::new(OnceCell::new());
        entries.insert(
            key,
            Entry {
                generation,
                asked_at: Instant::now(),
                value: value.clone(),
            },
        );
        Some(value)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn memo() -> Memo<u64> {
        Memo::new(Duration::from_secs(60), 16)
    }

    async fn answer(value: u64) -> Result<u64, ()> {
        Ok(value)
    }

    #[tokio::test]
    async fn a_value_is_kept_until_the_catalogue_changes() {
        let memo = memo();
        assert_eq!(memo.get_or_compute("total".into(), answer(1)).await, Ok(1));
        assert_eq!(memo.get_or_compute("total".into(), answer(2)).await, Ok(1));
        assert_eq!(memo.get("total"), Some(1));
        memo.catalogue_changed();
        assert_eq!(memo.get("total"), None);
        assert_eq!(memo.get_or_compute("total".into(), answer(3)).await, Ok(3));
    }

    #[tokio::test]
    async fn nothing_is_kept_while_keeping_is_off() {
        let memo = memo();
        assert_eq!(memo.get_or_compute("total".into(), answer(1)).await, Ok(1));
        memo.keep(false);
        assert_eq!(memo.get("total"), None, "forgotten");
        assert_eq!(memo.get_or_compute("total".into(), answer(2)).await, Ok(2));
        assert_eq!(memo.get_or_compute("total".into(), answer(3)).await, Ok(3));
        memo.keep(true);
        assert_eq!(memo.get_or_compute("total".into(), answer(4)).await, Ok(4));
        assert_eq!(memo.get_or_compute("total".into(), answer(5)).await, Ok(4));
    }

    #[tokio::test]
    async fn a_value_asked_for_by_many_at_once_is_computed_once() {
        let memo = memo();
        let computed = AtomicU64::new(0);
        let ask = || {
            memo.get_or_compute("total".into(), async {
                computed.fetch_add(1, Ordering::SeqCst);
                tokio::task::yield_now().await;
                Ok::<_, ()>(7)
            })
        };
        let answers = futures_util::future::join_all((0..16).map(|_| ask())).await;
        assert!(answers.iter().all(|answer| *answer == Ok(7)));
        assert_eq!(computed.load(Ordering::SeqCst), 1);
    }

    #[tokio::test]
    async fn an_error_is_not_kept() {
        let memo = memo();
        assert_eq!(
            memo.get_or_compute("total".into(), async { Err::<u64, _>("down") })
                .await,
            Err("down")
        );
        assert_eq!(memo.get("total"), None);
        assert_eq!(
            memo.get_or_compute("total".into(), async { Ok::<_, &str>(4) })
                .await,
            Ok(4)
        );
    }

    #[tokio::test]
    async fn values_under_other_keys_are_computed_apart() {
        let memo = memo();
        assert_eq!(memo.get_or_compute("a".into(), answer(1)).await, Ok(1));
        assert_eq!(memo.get_or_compute("b".into(), answer(2)).await, Ok(2));
    }

    #[tokio::test]
    async fn past_the_bound_every_value_is_dropped() {
        let memo = Memo::new(Duration::from_secs(60), 2);
        memo.get_or_compute("a".into(), answer(1)).await.unwrap();
        memo.get_or_compute("b".into(), answer(2)).await.unwrap();
        memo.get_or_compute("c".into(), answer(3)).await.unwrap();
        assert_eq!(memo.get("a"), None);
        assert_eq!(memo.get("c"), Some(3));
    }

    #[tokio::test]
    async fn no_value_is_kept_past_its_time_or_when_keeping_is_off() {
        let memo = Memo::new(Duration::from_millis(1), 16);
        memo.get_or_compute("total".into(), answer(1))
            .await
            .unwrap();
        std::thread::sleep(Duration::from_millis(5));
        assert_eq!(memo.get("total"), None);
        assert_eq!(memo.get_or_compute("total".into(), answer(2)).await, Ok(2));
        let off = Memo::new(Duration::ZERO, 16);
        off.get_or_compute("total".into(), answer(1)).await.unwrap();
        assert_eq!(off.get_or_compute("total".into(), answer(2)).await, Ok(2));
    }
}
