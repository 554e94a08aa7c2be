//! The erasure tombstones: written by an erasure, read by every loader that creates the
//! records people can be erased from, so that an erased person never comes back.

use std::collections::HashSet;

use entity::erasure_tombstone;
use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QuerySelect, Set};

use crate::{
    domain::erasure::{ErasedKind, ErasureKey},
    error::{AppError, AppResult},
};

/// Keeps a tombstone for each of `identifiers` (those already kept are left as they are);
/// returns how many were added.
#[tracing::instrument(skip_all, fields(kind = kind.as_str()))]
pub async fn record<'a>(
    db: &impl ConnectionTrait,
    key: &ErasureKey,
    kind: ErasedKind,
    identifiers: impl IntoIterator<Item = &'a str>,
) -> AppResult<u64> {
    let digests: HashSet<String> = identifiers
        .into_iter()
        .map(|identifier| key.digest(kind, identifier))
        .collect();
    let kept: HashSet<String> = erasure_tombstone::Entity::find()
        .filter(erasure_tombstone::Column::Kind.eq(kind.as_str()))
        .filter(erasure_tombstone::Column::Digest.is_in(digests.iter().cloned()))
        .select_only()
        .column(erasure_tombstone::Column::Digest)
        .into_tuple()
        .all(db)
        .await?
        .into_iter()
        .collect();
    let check = key.check();
    let now = chrono::Utc::now();
    let mut added = 0;
    for digest in digests.difference(&kept) {
        erasure_tombstone::Entity::insert(erasure_tombstone::ActiveModel {
            kind: Set(kind.as_str().to_owned()),
            digest: Set(digest.clone()),
            key_check: Set(check.clone()),
            created_at: Set(now),
        })
        .exec_without_returning(db)
        .await?;
        added += 1;
    }
    Ok(added)
}

/// The tombstones of one kind of record, to consult while loading.
pub struct Tombstones<'k> {
    key: &'k ErasureKey,
    kind: ErasedKind,
    digests: HashSet<String>,
}

impl<'k> Tombstones<'k> {
    /// Reads the tombstones of `kind`. Fails when one was made under another key: loading
    /// then could bring back someone erased, so nothing is loaded until the key is restored.
    #[tracing::instrument(skip_all, fields(kind = kind.as_str()))]
    pub async fn read(
        db: &impl ConnectionTrait,
        key: &'k ErasureKey,
        kind: ErasedKind,
    ) -> AppResult<Self> {
        let rows: Vec<(String, String)> = erasure_tombstone::Entity::find()
            .filter(erasure_tombstone::Column::Kind.eq(kind.as_str()))
            .select_only()
            .column(erasure_tombstone::Column::Digest)
            .column(erasure_tombstone::Column::KeyCheck)
            .into_tuple()
            .all(db)
            .await?;
        let check = key.check();
        if rows.iter().any(|(_, made_with)| *made_with != check) {
            return Err(AppError::internal(
                "erasure tombstones were made with another ERASURE_KEY: set the key they \
                 were made with, or loading could bring back people who were erased",
            ));
        }
        Ok(Self {
            key,
            kind,
            digests: rows.into_iter().map(|(digest, _)| digest).collect(),
        })
    }

    /// Whether the record known to loaders as `identifier` was erased.
    pub fn holds(&self, identifier: &str) -> bool {
        self.digests
            .contains(&self.key.digest(self.kind, identifier))
    }
}
