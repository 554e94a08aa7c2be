//! Themes, territories and organisations, kept in memory across requests.
//!
//! Every page of initiatives shows their themes, territories and organisations: the same
//! few thousand rows of reference data, read again for every request, while they change a
//! few times a month. A row read once is kept until a mutation runs on this instance or
//! for `REFERENCE_CACHE_SECS` at most (what other instances and the command line write
//! shows by then). These rows are public: every caller sees the same.

use std::{
    collections::HashMap,
    sync::{
        Mutex,
        atomic::{AtomicBool, AtomicU64, Ordering},
    },
    time::{Duration, Instant},
};

use entity::{organisation, territory, theme};
use uuid::Uuid;

/// Past this many rows of one kind, all of them are dropped.
const MAX_ROWS: usize = 50_000;

/// The rows of one kind, by id.
pub struct RowCache<M> {
    keep_for: Duration,
    /// Raised by every mutation: rows read before it are not kept after it.
    generation: AtomicU64,
    /// Off while the replica does not follow the change stream: it could miss a change.
    keeping: AtomicBool,
    kept: Mutex<Kept<M>>,
}

struct Kept<M> {
    generation: u64,
    since: Instant,
    rows: HashMap<Uuid, M>,
}

impl<M: Clone> RowCache<M> {
    /// Keeps rows for `keep_for`; zero keeps none.
    pub fn new(keep_for: Duration) -> Self {
        Self {
            keep_for,
            generation: AtomicU64::new(0),
            keeping: AtomicBool::new(true),
            kept: Mutex::new(Kept {
                generation: 0,
                since: Instant::now(),
                rows: HashMap::new(),
            }),
        }
    }

    /// Whether rows are kept now.
    pub fn keeps(&self) -> bool {
        !self.keep_for.is_zero() && self.keeping.load(Ordering::SeqCst)
    }

    /// Forgets every row: something may have been written.
    pub fn catalogue_changed(&self) {
        self.generation.fetch_add(1, Ordering::SeqCst);
    }

    /// Keeps rows from now on, or (`false`) forgets every row and keeps none until told
    /// to keep again.
    pub fn keep_rows(&self, keeping: bool) {
        self.keeping.store(keeping, Ordering::SeqCst);
        if !keeping {
            self.catalogue_changed();
        }
    }

    /// The mark to give [`keep`](Self::keep) with the rows read from now on.
    pub fn mark(&self) -> u64 {
        self.generation.load(Ordering::SeqCst)
    }

    /// The rows kept among `ids`, and the ids of those that are not.
    pub fn get(&self, ids: &[Uuid]) -> (HashMap<Uuid, M>, Vec<Uuid>) {
        let mut kept = self.kept.lock().unwrap_or_else(|p| p.into_inner());
        self.refresh(&mut kept);
        let mut found = HashMap::with_capacity(ids.len());
        let mut missing = Vec::new();
        for id in ids {
            match kept.rows.get(id) {
                Some(row) => {
                    found.insert(*id, row.clone());
                }
                None => missing.push(*id),
            }
        }
        (found, missing)
    }

    /// Keeps `rows`, read after `mark` was taken, unless a mutation ran since.
    pub fn keep<'r>(&self, mark: u64, rows: impl IntoIterator<Item = (&'r Uuid, &'r M)>)
    where
        M: 'r,
    {
        let mut kept = self.kept.lock().unwrap_or_else(|p| p.into_inner());
        self.refresh(&mut kept);
        if kept.generation != mark || !self.keeping.load(Ordering::SeqCst) {
            return;
        }
        for (id, row) in rows {
            if kept.rows.len() >= MAX_ROWS {
                kept.rows.clear();
            }
            kept.rows.insert(*id, row.clone());
        }
    }

    /// Drops the rows of an earlier generation, or kept for too long.
    fn refresh(&self, kept: &mut Kept<M>) {
        let generation = self.mark();
        if kept.generation != generation || kept.since.elapsed() > self.keep_for {
            kept.rows.clear();
            kept.generation = generation;
            kept.since = Instant::now();
        }
    }
}

/// The reference rows kept, by kind, shared by every request.
pub struct ReferenceRows {
    pub themes: std::sync::Arc<RowCache<theme::Model>>,
    pub territories: std::sync::Arc<RowCache<territory::Model>>,
    pub organisations: std::sync::Arc<RowCache<organisation::Model>>,
}

impl ReferenceRows {
    /// Keeps rows for `keep_for`; zero keeps none.
    pub fn new(keep_for: Duration) -> Self {
        Self {
            themes: RowCache::new(keep_for).into(),
            territories: RowCache::new(keep_for).into(),
            organisations: RowCache::new(keep_for).into(),
        }
    }

    /// Forgets every row: something may have been written.
    pub fn catalogue_changed(&self) {
        self.themes.catalogue_changed();
        self.territories.catalogue_changed();
        self.organisations.catalogue_changed();
    }

    /// Keeps rows from now on, or (`false`) forgets every row and keeps none.
    pub fn keep(&self, keeping: bool) {
        self.themes.keep_rows(keeping);
        self.territories.keep_rows(keeping);
        self.organisations.keep_rows(keeping);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn id(n: u128) -> Uuid {
        Uuid::from_u128(n)
    }

    #[test]
    fn rows_kept_are_found_and_the_others_are_named() {
        let cache = RowCache::new(Duration::from_secs(60));
        let mark = cache.mark();
        cache.keep(mark, [(&id(1), &"Metz")]);
        let (found, missing) = cache.get(&[id(1), id(2)]);
        assert_eq!(found.get(&id(1)), Some(&"Metz"));
        assert_eq!(missing, [id(2)]);
    }

    #[test]
    fn a_mutation_drops_the_rows_and_refuses_those_read_before_it() {
        let cache = RowCache::new(Duration::from_secs(60));
        let before = cache.mark();
        cache.keep(before, [(&id(1), &"Metz")]);
        cache.catalogue_changed();
        assert_eq!(cache.get(&[id(1)]).1, [id(1)], "dropped");
        cache.keep(before, [(&id(1), &"Metz (ancien nom)")]);
        assert_eq!(cache.get(&[id(1)]).1, [id(1)], "read before: not kept");
        cache.keep(cache.mark(), [(&id(1), &"Metz")]);
        assert!(cache.get(&[id(1)]).1.is_empty());
    }

    #[test]
    fn no_row_is_kept_while_keeping_is_off() {
        let cache = RowCache::new(Duration::from_secs(60));
        cache.keep(cache.mark(), [(&id(1), &"Metz")]);
        cache.keep_rows(false);
        assert_eq!(cache.get(&[id(1)]).1, [id(1)], "forgotten");
        cache.keep(cache.mark(), [(&id(1), &"Metz")]);
        assert_eq!(cache.get(&[id(1)]).1, [id(1)], "not kept");
        cache.keep_rows(true);
        cache.keep(cache.mark(), [(&id(1), &"Metz")]);
        assert!(cache.get(&[id(1)]).1.is_empty());
    }

    #[test]
    fn rows_are_not_kept_past_their_time() {
        let cache = RowCache::new(Duration::from_millis(1));
        cache.keep(cache.mark(), [(&id(1), &"Metz")]);
        std::thread::sleep(Duration::from_millis(5));
        assert_eq!(cache.get(&[id(1)]).1, [id(1)]);
    }
}
