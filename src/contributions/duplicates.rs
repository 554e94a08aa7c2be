//! Duplicates decided once: a moderator or a partner decides that two initiatives are not
//! the same action, or a moderator merges one into the other. Each function is one
//! transaction that writes through `store::duplicates`, appends the audit log and tells
//! the change stream.

use chrono::Utc;
use entity::{
    enums::{ModerationAction, ModerationStatus, SubjectType},
    initiative, not_duplicate,
};
use sea_orm::{ConnectionTrait, DatabaseConnection, EntityTrait, TransactionTrait};
use uuid::Uuid;

use super::{not_found, visible_initiative};
use crate::{
    domain::{
        access::Capability,
        caller::{Account, Caller},
        duplicate::{self, Pair},
        revision::Reviser,
        visibility::ContributionScope,
    },
    error::{AppError, AppResult},
    events::{self, Audience, ChangeKind},
    store::{
        contributions::{Actor, Event, record_event},
        duplicates, revisions,
    },
};

/// A pair decided not duplicates, with the two initiatives as given.
pub struct Decided {
    pub decision: not_duplicate::Model,
    pub a: initiative::Model,
    pub b: initiative::Model,
}

/// Records that `a` and `b` are not the same action. Moderators and admins decide on any
/// pair; a partner (or a key that contributes) on a pair one of which its organisation
/// owns. An initiative the caller may not see is NOT_FOUND, so that no one learns a draft
/// exists. A pair already decided is returned as it is, logged once.
#[tracing::instrument(skip(db, caller, scope, comment))]
pub async fn mark_not_duplicate(
    db: &DatabaseConnection,
    caller: &Caller,
    scope: &ContributionScope,
    a: Uuid,
    b: Uuid,
    comment: Option<&str>,
) -> AppResult<Decided> {
    let moderator = caller.can(Capability::Moderate);
    let author = if moderator {
        None
    } else {
        Some(caller.require_author()?)
    };
    let account = if moderator {
        Some(caller.require(Capability::Moderate)?)
    } else {
        None
    };
    let pair = Pair::new("b", a, b)?;
    let comment = duplicate::comment("comment", comment)?;
    let now = Utc::now();
    let txn = db.begin().await?;
    let first = visible_initiative(&txn, scope, a).await?;
    let second = visible_initiative(&txn, scope, b).await?;
    if let Some(author) = &author
        && !author.writes_for(first.organisation_id)
        && !author.writes_for(second.organisation_id)
    {
        return Err(AppError::Forbidden(
            "a partner decides on pairs where one initiative is its organisation's".to_owned(),
        ));
    }
    if let Some(decision) = duplicates::decision(&txn, pair).await? {
        txn.commit().await?;
        return Ok(Decided {
            decision,
            a: first,
            b: second,
        });
    }
    let (user_id, key_id) = match (&author, account) {
        (Some(author), _) => (author.user_id, author.key_id),
        (None, Some(account)) => (Some(account.id), None),
        (None, None) => (None, None),
    };
    let decision = duplicates::mark_not_duplicate(&txn, pair, user_id, key_id, now).await?;
    // One entry in each initiative's log, naming the other: whoever reads one log sees the
    // other initiative only if it may (see `ModerationEvent.relatedInitiative`).
    for (subject, other) in [(&first, &second), (&second, &first)] {
        let actor = match (&author, account) {
            (Some(author), _) => Actor::Author(author),
            (None, Some(account)) => Actor::Account(account),
            (None, None) => return Err(AppError::internal("a decision without an actor")),
        };
        record_event(
            &txn,
            Event {
                subject_type: SubjectType::Initiative,
                subject_id: subject.id,
                actor,
                action: ModerationAction::NotDuplicate,
                from_status: Some(subject.status),
                to_status: Some(subject.status),
                comment: comment.as_deref(),
                related_id: Some(other.id),
            },
            now,
        )
        .await?;
    }
    txn.commit().await?;
    Ok(Decided {
        decision,
        a: first,
        b: second,
    })
}

/// Merges the initiative `duplicate_id` into `kept_id` (see
/// [`duplicates::merge_initiatives`]), logs it on both, and tells the change stream.
/// Moderators and admins only.
#[tracing::instrument(skip(db, account, comment))]
pub async fn merge_initiatives(
    db: &DatabaseConnection,
    account: &Account,
    kept_id: Uuid,
    duplicate_id: Uuid,
    comment: Option<&str>,
) -> AppResult<initiative::Model> {
    Pair::new("duplicateId", kept_id, duplicate_id)?;
    let comment = duplicate::comment("comment", comment)?;
    let now = Utc::now();
    let txn = db.begin().await?;
    let kept = initiative::Entity::find_by_id(kept_id)
        .one(&txn)
        .await?
        .ok_or_else(|| not_found("initiative"))?;
    let duplicate = initiative::Entity::find_by_id(duplicate_id)
        .one(&txn)
        .await?
        .ok_or_else(|| not_found("initiative"))?;
    if duplicate.status == ModerationStatus::Published && kept.status != ModerationStatus::Published
    {
        // The public would lose the published one, and its slug would lead nowhere.
        return Err(AppError::bad_input(
            "keptId",
            "the duplicate is published and this one is not: keep the published one",
        ));
    }
    revisions::keep_baseline(&txn, &kept).await?;
    let merged = duplicates::merge_initiatives(&txn, &kept, &duplicate, now).await?;
    let reviser = Reviser::account(account);
    revisions::record(&txn, kept.id, &reviser, comment.as_deref(), now).await?;
    for (subject, from, to, other) in [
        (kept.id, kept.status, Some(kept.status), duplicate.id),
        // The duplicate is gone; its log keeps where it went.
        (duplicate.id, duplicate.status, None, kept.id),
    ] {
        record_event(
            &txn,
            Event {
                subject_type: SubjectType::Initiative,
                subject_id: subject,
                actor: Actor::Account(account),
                action: ModerationAction::Merge,
                from_status: Some(from),
                to_status: to,
                comment: comment.as_deref(),
                related_id: Some(other),
            },
            now,
        )
        .await?;
    }
    let changes = merge_changes(&txn, &kept, &duplicate, &merged).await?;
    events::record(&txn, &changes, now).await?;
    txn.commit().await?;
    Ok(merged.kept)
}

/// What a merge tells the change stream: the kept initiative changed, the duplicate is
/// gone, the moved experiences and the initiatives whose links now lead to the kept one
/// changed.
async fn merge_changes(
    db: &impl ConnectionTrait,
    kept: &initiative::Model,
    duplicate: &initiative::Model,
    merged: &duplicates::Merged,
) -> AppResult<Vec<events::Change>> {
    let published = |status| status == ModerationStatus::Published;
    let mut changes = vec![if published(kept.status) {
        events::Change::new(
            ChangeKind::InitiativeUpdated,
            events::Subject::initiative(kept.id),
            Audience::Public,
        )
    } else {
        events::Change::new(
            ChangeKind::ContributionEdited,
            events::Subject::initiative(kept.id),
            events::contribution_audience(kept.organisation_id),
        )
    }];
    changes.push(events::Change::new(
        ChangeKind::ContributionDecided,
        events::Subject::initiative(duplicate.id),
        events::contribution_audience(duplicate.organisation_id),
    ));
    if published(duplicate.status) {
        changes.push(events::Change::new(
            ChangeKind::InitiativeUnpublished,
            events::Subject::initiative(duplicate.id),
            Audience::Public,
        ));
    }
    for experience in &merged.experiences {
        let subject = events::Subject::experience(experience.id);
        changes.push(if published(experience.status) {
            events::Change::new(ChangeKind::ExperienceUpdated, subject, Audience::Public)
        } else {
            events::Change::new(
                ChangeKind::ContributionEdited,
                subject,
                events::contribution_audience(experience.organisation_id),
            )
        });
    }
    for id in duplicates::published_among(db, &merged.relinked).await? {
        changes.push(events::Change::new(
            ChangeKind::InitiativeUpdated,
            events::Subject::initiative(id),
            Audience::Public,
        ));
    }
    Ok(changes)
}
