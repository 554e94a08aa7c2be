//! The changes feed: the part of the stream one caller may see, read page by page from a
//! position, for clients that keep a copy (mobile apps, mirrors).
//!
//! Who sees what is decided in SQL, before the limit, so that a page is never short because
//! of what the caller may not see and its size says nothing about it.
//!
//! A position is the sequence of a change. A reader whose position is before the oldest
//! change kept (minus one) may have missed pruned changes: it is told to resynchronise, as
//! is a reader whose position is beyond the stream's end (a cursor not of this stream).

use base64::{Engine, engine::general_purpose::URL_SAFE_NO_PAD};
use entity::change_event;
use sea_orm::{
    ColumnTrait, Condition, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder, QuerySelect,
};
use uuid::Uuid;

use super::{Committed, outbox};
use crate::{
    domain::visibility::ContributionScope,
    error::{AppError, AppResult},
};

/// Which changes a caller may see, by their audience.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Readers {
    /// PUBLIC changes only: the public, and accounts without an organisation.
    Public,
    /// PUBLIC changes and those of this organisation: its partners.
    PublicAndOrganisation(Uuid),
    /// Every change: moderators and admins.
    Everything,
}

impl From<&ContributionScope> for Readers {
    fn from(scope: &ContributionScope) -> Self {
        match scope {
            ContributionScope::PublishedOnly => Self::Public,
            ContributionScope::PublishedAndOrganisation(id) => Self::PublicAndOrganisation(*id),
            ContributionScope::Everything => Self::Everything,
        }
    }
}

impl Readers {
    fn condition(self) -> Condition {
        let public = change_event::Column::Audience.eq("PUBLIC");
        match self {
            Self::Public => Condition::all().add(public),
            Self::PublicAndOrganisation(organisation) => Condition::any().add(public).add(
                Condition::all()
                    .add(change_event::Column::Audience.eq("ORGANISATION"))
                    .add(change_event::Column::OrganisationId.eq(organisation)),
            ),
            Self::Everything => Condition::all(),
        }
    }
}

/// A position in the changes feed, opaque to clients: the sequence of a change.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub struct ChangeCursor(pub i64);

const CURSOR_PREFIX: &str = "change:";

impl ChangeCursor {
    pub fn encode(self) -> String {
        URL_SAFE_NO_PAD.encode(format!("{CURSOR_PREFIX}{}", self.0))
    }

    pub fn decode(field: &str, value: &str) -> AppResult<Self> {
        let invalid = || {
            AppError::bad_input(
                field,
                "not a cursor of the changes feed (pass an `endCursor`, an edge's `cursor` or \
                 `changesCursor`)",
            )
        };
        let bytes = URL_SAFE_NO_PAD.decode(value).map_err(|_| invalid())?;
        let text = String::from_utf8(bytes).map_err(|_| invalid())?;
        text.strip_prefix(CURSOR_PREFIX)
            .filter(|sequence| sequence.bytes().all(|byte| byte.is_ascii_digit()))
            .and_then(|sequence| sequence.parse::<i64>().ok())
            .map(Self)
            .ok_or_else(invalid)
    }
}

/// One page of the feed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FeedPage {
    /// The changes the caller may see after the position asked for, oldest first.
    pub changes: Vec<Committed>,
    /// Whether changes the caller may see follow this page.
    pub has_next_page: bool,
    /// Where the caller is after this page: the last change of a full page, or else the
    /// stream's end when it was read (changes the caller may not see are passed over too,
    /// so that its position stays recent however rarely it sees a change).
    pub position: ChangeCursor,
}

/// The message of every "resynchronise" answer.
const RESYNC: &str = "reload everything you keep, then follow the feed again from \
                      `changesCursor` taken before reloading";

/// The end of the stream now: where a client that has just loaded everything starts.
#[tracing::instrument(skip(db))]
pub async fn end(db: &impl ConnectionTrait) -> AppResult<ChangeCursor> {
    Ok(ChangeCursor(outbox::last_sequence(db).await?))
}

/// Up to `size` changes `readers` may see after `after` (from the oldest change kept when
/// `None`), oldest first. CHANGES_EXPIRED when changes after `after` may have been pruned.
#[tracing::instrument(skip(db))]
pub async fn read(
    db: &impl ConnectionTrait,
    readers: Readers,
    after: Option<ChangeCursor>,
    size: u64,
) -> AppResult<FeedPage> {
    // Read first: every change up to the end is committed (sequences are in commit order),
    // so a position moved to it misses none.
    let end = outbox::last_sequence(db).await?;
    if let Some(ChangeCursor(after)) = after
        && after > end
    {
        return Err(AppError::ChangesExpired(format!(
            "this cursor is beyond the end of the changes feed (the data was restored or \
             reset): {RESYNC}"
        )));
    }
    let start = after.map_or(0, |cursor| cursor.0);
    let mut rows = change_event::Entity::find()
        .filter(change_event::Column::Sequence.gt(start))
        .filter(change_event::Column::Sequence.lte(end))
        .filter(readers.condition())
        .order_by_asc(change_event::Column::Sequence)
        .limit(size + 1)
        .all(db)
        .await?;
    // Checked after reading: a pruning that removed rows before they were read shows here.
    if let Some(ChangeCursor(after)) = after
        && let Some(first) = outbox::first_sequence(db).await?
        && after < first - 1
    {
        return Err(AppError::ChangesExpired(format!(
            "changes after this cursor are no longer kept (older than the retention): \
             {RESYNC}"
        )));
    }
    let has_next_page = rows.len() as u64 > size;
    rows.truncate(size as usize);
    let position = match rows.last() {
        Some(last) if has_next_page => last.sequence,
        _ => end,
    };
    Ok(FeedPage {
        changes: rows.into_iter().filter_map(outbox::committed).collect(),
        has_next_page,
        position: ChangeCursor(position),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_cursor_reads_back_as_its_sequence() {
        for sequence in [0, 1, 42, i64::MAX] {
            let cursor = ChangeCursor(sequence);
            assert_eq!(
                ChangeCursor::decode("after", &cursor.encode()).unwrap(),
                cursor
            );
        }
    }

    #[test]
    fn a_cursor_that_was_not_issued_by_the_feed_is_refused() {
        let forged = |text: &str| URL_SAFE_NO_PAD.encode(text);
        for bad in [
            String::new(),
            "%%%".to_owned(),
            forged("offset:3"),
            forged("change:"),
            forged("change:-1"),
            forged("change:+1"),
            forged("change:9223372036854775808"),
            forged("change:1 "),
        ] {
            let error = ChangeCursor::decode("after", &bad).unwrap_err();
            assert_eq!(error.code(), "BAD_USER_INPUT", "{bad}");
        }
    }
}
