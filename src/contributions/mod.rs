//! The contribution and moderation workflow: partners write initiatives and experiences and
//! submit them, propose changes to published initiatives, and moderators decide. Each
//! function is one transaction that checks the rules of `domain::moderation`, writes through
//! `store::contributions` and appends the audit log.

pub mod duplicates;

use chrono::Utc;
use entity::{
    change_proposal,
    enums::{ModerationAction, ModerationStatus, SubjectType},
    experience, initiative, initiative_organisation,
};
use sea_orm::{
    ColumnTrait, ConnectionTrait, DatabaseConnection, EntityTrait, PaginatorTrait, QueryFilter,
    TransactionTrait,
};
use uuid::Uuid;

use crate::{
    domain::{
        access::Capability,
        caller::{Account, Author, Caller},
        contribution::{ExperienceChanges, InitiativeChanges},
        moderation::{self, Decision},
        revision::Reviser,
        visibility::ContributionScope,
    },
    error::{AppError, AppResult},
    events::{self, Audience, ChangeKind},
    store::{
        contributions::{self as store, Actor, Event},
        initiatives, revisions,
    },
};

fn not_found(kind: &str) -> AppError {
    AppError::NotFound(format!("no {kind} with this id"))
}

fn check_version(field: &str, expected: i32, current: i32) -> AppResult<()> {
    if expected != current {
        return Err(AppError::Conflict(format!(
            "{field}: this was changed since version {expected} (it is at version {current}): \
             reload it and apply your change again"
        )));
    }
    Ok(())
}

/// The initiative `id` if the caller's scope lets it see it: NOT_FOUND otherwise, so that
/// no one learns that someone else's draft exists.
async fn visible_initiative(
    db: &impl ConnectionTrait,
    scope: &ContributionScope,
    id: Uuid,
) -> AppResult<initiative::Model> {
    initiative::Entity::find_by_id(id)
        .filter(initiatives::visible(scope))
        .one(db)
        .await?
        .ok_or_else(|| not_found("initiative"))
}

/// A contribution created or edited before publication: news for its authors only.
fn edited(subject: events::Subject, organisation_id: Option<Uuid>) -> events::Change {
    events::Change::new(
        ChangeKind::ContributionEdited,
        subject,
        events::contribution_audience(organisation_id),
    )
}

/// A contribution submitted for moderation: news for its authors (and moderators).
fn submitted(subject: events::Subject, organisation_id: Option<Uuid>) -> events::Change {
    events::Change::new(
        ChangeKind::ContributionSubmitted,
        subject,
        events::contribution_audience(organisation_id),
    )
}

/// Authors edit their organisation's work in DRAFT or CHANGES_REQUESTED; moderators edit
/// anything, at any time (and it is logged).
fn check_may_edit(
    caller: &Caller,
    author: &Author,
    organisation_id: Option<Uuid>,
    status: ModerationStatus,
) -> AppResult<()> {
    if caller.can(Capability::Moderate) {
        return Ok(());
    }
    if !author.writes_for(organisation_id) {
        return Err(AppError::Forbidden(
            "only the partners of the organisation that wrote it may change it; propose a \
             change instead"
                .to_owned(),
        ));
    }
    moderation::authors_may_edit(status)
}

/// A new initiative, in DRAFT, owned by the caller's organisation.
#[tracing::instrument(skip_all, fields(user_id = ?author.user_id, key_id = ?author.key_id))]
pub async fn create_initiative(
    db: &DatabaseConnection,
    author: &Author,
    scope: &ContributionScope,
    changes: InitiativeChanges,
) -> AppResult<initiative::Model> {
    let changes = changes.validated("input")?;
    changes.check_complete("input")?;
    changes.check_period("input", None)?;
    let now = Utc::now();
    let txn = db.begin().await?;
    store::check_references(&txn, &changes, "input", None, scope).await?;
    let created =
        store::insert_initiative(&txn, &changes, author.organisation_id, author.user_id, now)
            .await?;
    store::record_event(
        &txn,
        Event {
            subject_type: SubjectType::Initiative,
            subject_id: created.id,
            actor: Actor::Author(author),
            action: ModerationAction::Create,
            from_status: None,
            to_status: Some(ModerationStatus::Draft),
            comment: None,
            related_id: None,
        },
        now,
    )
    .await?;
    events::record(
        &txn,
        &[edited(
            events::Subject::initiative(created.id),
            created.organisation_id,
        )],
        now,
    )
    .await?;
    txn.commit().await?;
    Ok(created)
}

/// Changes an initiative read at `expected_version`.
#[tracing::instrument(skip_all, fields(user_id = ?author.user_id, key_id = ?author.key_id, %id))]
pub async fn update_initiative(
    db: &DatabaseConnection,
    caller: &Caller,
    author: &Author,
    scope: &ContributionScope,
    id: Uuid,
    expected_version: i32,
    changes: InitiativeChanges,
) -> AppResult<initiative::Model> {
    let changes = changes.validated("input")?;
    let now = Utc::now();
    let txn = db.begin().await?;
    let current = visible_initiative(&txn, scope, id).await?;
    check_may_edit(caller, author, current.organisation_id, current.status)?;
    check_version("input.expectedVersion", expected_version, current.version)?;
    changes.check_period("input", Some(&current))?;
    if changes.is_empty() {
        txn.commit().await?;
        return Ok(current);
    }
    store::check_references(&txn, &changes, "input", Some(id), scope).await?;
    revisions::keep_baseline(&txn, &current).await?;
    let updated = store::change_initiative(&txn, &current, &changes, now).await?;
    revisions::record(&txn, id, &Reviser::caller(caller), None, now).await?;
    store::record_event(
        &txn,
        Event {
            subject_type: SubjectType::Initiative,
            subject_id: id,
            actor: Actor::Author(author),
            action: ModerationAction::Edit,
            from_status: Some(current.status),
            to_status: Some(current.status),
            comment: None,
            related_id: None,
        },
        now,
    )
    .await?;
    let subject = events::Subject::initiative(id);
    let change = if current.status == ModerationStatus::Published {
        // A moderator's edit of what everyone sees.
        events::Change::new(ChangeKind::InitiativeUpdated, subject, Audience::Public)
    } else {
        edited(subject, current.organisation_id)
    };
    events::record(&txn, &[change], now).await?;
    txn.commit().await?;
    Ok(updated)
}

/// Submits (or resubmits) an initiative for moderation.
#[tracing::instrument(skip_all, fields(user_id = ?author.user_id, key_id = ?author.key_id, %id))]
pub async fn submit_initiative(
    db: &DatabaseConnection,
    caller: &Caller,
    author: &Author,
    scope: &ContributionScope,
    id: Uuid,
    expected_version: i32,
) -> AppResult<initiative::Model> {
    let now = Utc::now();
    let txn = db.begin().await?;
    let current = visible_initiative(&txn, scope, id).await?;
    if !author.writes_for(current.organisation_id) && !caller.can(Capability::Moderate) {
        return Err(AppError::Forbidden(
            "only the partners of the organisation that wrote it may submit it".to_owned(),
        ));
    }
    check_version("input.expectedVersion", expected_version, current.version)?;
    let to = moderation::submit(current.status)?;
    for (table_has_rows, what) in [
        (
            entity::initiative_theme::Entity::find()
                .filter(entity::initiative_theme::Column::InitiativeId.eq(id))
                .count(&txn)
                .await?
                > 0,
            "a theme",
        ),
        (
            entity::initiative_territory::Entity::find()
                .filter(entity::initiative_territory::Column::InitiativeId.eq(id))
                .count(&txn)
                .await?
                > 0,
            "a territory",
        ),
    ] {
        if !table_has_rows {
            return Err(AppError::bad_input(
                "input.id",
                format!("give the initiative at least {what} before submitting it"),
            ));
        }
    }
    let updated = store::set_initiative_status(&txn, &current, to, now).await?;
    store::record_event(
        &txn,
        Event {
            subject_type: SubjectType::Initiative,
            subject_id: id,
            actor: Actor::Author(author),
            action: ModerationAction::Submit,
            from_status: Some(current.status),
            to_status: Some(to),
            comment: None,
            related_id: None,
        },
        now,
    )
    .await?;
    events::record(
        &txn,
        &[submitted(
            events::Subject::initiative(id),
            current.organisation_id,
        )],
        now,
    )
    .await?;
    txn.commit().await?;
    Ok(updated)
}

/// Proposes a change to a published initiative, for the partners of an organisation
/// linked to it. The initiative stays as it is until a moderator approves the proposal.
#[tracing::instrument(skip_all, fields(user_id = ?author.user_id, key_id = ?author.key_id, %id))]
pub async fn propose_change(
    db: &DatabaseConnection,
    author: &Author,
    scope: &ContributionScope,
    id: Uuid,
    expected_version: i32,
    changes: InitiativeChanges,
) -> AppResult<change_proposal::Model> {
    let changes = changes.validated("input")?;
    if changes.is_empty() {
        return Err(AppError::bad_input(
            "input",
            "the proposal changes nothing: send at least one field",
        ));
    }
    let now = Utc::now();
    let txn = db.begin().await?;
    let current = visible_initiative(&txn, scope, id).await?;
    if current.status != ModerationStatus::Published {
        return Err(AppError::InvalidTransition(format!(
            "changes are proposed to published initiatives; this one is {}: edit it instead",
            current.status.as_str()
        )));
    }
    let linked = match author.organisation_id {
        Some(organisation) => {
            current.organisation_id == Some(organisation)
                || initiative_organisation::Entity::find()
                    .filter(initiative_organisation::Column::InitiativeId.eq(id))
                    .filter(initiative_organisation::Column::OrganisationId.eq(organisation))
                    .count(&txn)
                    .await?
                    > 0
        }
        None => false,
    };
    if !linked {
        return Err(AppError::Forbidden(
            "only the partners of an organisation taking part in the initiative may propose \
             changes to it"
                .to_owned(),
        ));
    }
    check_version("input.expectedVersion", expected_version, current.version)?;
    changes.check_period("input", Some(&current))?;
    store::check_references(&txn, &changes, "input", Some(id), scope).await?;
    let proposal = store::insert_proposal(
        &txn,
        &current,
        &changes,
        author.organisation_id,
        author.user_id,
        now,
    )
    .await?;
    store::record_event(
        &txn,
        Event {
            subject_type: SubjectType::ChangeProposal,
            subject_id: proposal.id,
            actor: Actor::Author(author),
            action: ModerationAction::Submit,
            from_status: None,
            to_status: Some(ModerationStatus::Submitted),
            comment: None,
            related_id: None,
        },
        now,
    )
    .await?;
    events::record(
        &txn,
        &[submitted(
            events::Subject::change_proposal(proposal.id),
            proposal.organisation_id,
        )],
        now,
    )
    .await?;
    txn.commit().await?;
    Ok(proposal)
}

/// A new experience, in DRAFT, about a published initiative.
#[tracing::instrument(skip_all, fields(user_id = ?author.user_id, key_id = ?author.key_id, %initiative_id))]
pub async fn create_experience(
    db: &DatabaseConnection,
    author: &Author,
    scope: &ContributionScope,
    initiative_id: Uuid,
    changes: ExperienceChanges,
) -> AppResult<experience::Model> {
    let changes = changes.validated("input")?;
    if changes.title.is_none() || changes.body.is_none() {
        let field = if changes.title.is_none() {
            "title"
        } else {
            "body"
        };
        return Err(AppError::bad_input(format!("input.{field}"), "is required"));
    }
    let now = Utc::now();
    let txn = db.begin().await?;
    let initiative = visible_initiative(&txn, scope, initiative_id)
        .await
        .map_err(|_| AppError::bad_input("input.initiativeId", "no initiative with this id"))?;
    if initiative.status != ModerationStatus::Published {
        return Err(AppError::bad_input(
            "input.initiativeId",
            "experiences are told about published initiatives",
        ));
    }
    let created = store::insert_experience(
        &txn,
        initiative_id,
        &changes,
        author.organisation_id,
        author.user_id,
        now,
    )
    .await?;
    store::record_event(
        &txn,
        Event {
            subject_type: SubjectType::Experience,
            subject_id: created.id,
            actor: Actor::Author(author),
            action: ModerationAction::Create,
            from_status: None,
            to_status: Some(ModerationStatus::Draft),
            comment: None,
            related_id: None,
        },
        now,
    )
    .await?;
    events::record(
        &txn,
        &[edited(
            events::Subject::experience(created.id),
            created.organisation_id,
        )],
        now,
    )
    .await?;
    txn.commit().await?;
    Ok(created)
}

/// The experience `id` if the caller may see it.
async fn visible_experience(
    db: &impl ConnectionTrait,
    scope: &ContributionScope,
    id: Uuid,
) -> AppResult<experience::Model> {
    let found = experience::Entity::find_by_id(id)
        .filter(initiatives::in_scope(
            scope,
            experience::Column::Status,
            experience::Column::OrganisationId,
        ))
        .one(db)
        .await?
        .ok_or_else(|| not_found("experience"))?;
    // Its initiative must be visible too.
    visible_initiative(db, scope, found.initiative_id)
        .await
        .map_err(|_| not_found("experience"))?;
    Ok(found)
}

/// Changes an experience's texts, or submits it (`submit`), at `expected_version`.
#[allow(clippy::too_many_arguments)]
#[tracing::instrument(skip_all, fields(user_id = ?author.user_id, key_id = ?author.key_id, %id))]
pub async fn update_experience(
    db: &DatabaseConnection,
    caller: &Caller,
    author: &Author,
    scope: &ContributionScope,
    id: Uuid,
    expected_version: i32,
    changes: ExperienceChanges,
    submit: bool,
) -> AppResult<experience::Model> {
    let changes = changes.validated("input")?;
    let now = Utc::now();
    let txn = db.begin().await?;
    let current = visible_experience(&txn, scope, id).await?;
    let (to, action) = if submit {
        if !author.writes_for(current.organisation_id) && !caller.can(Capability::Moderate) {
            return Err(AppError::Forbidden(
                "only the partners of the organisation that wrote it may submit it".to_owned(),
            ));
        }
        (
            Some(moderation::submit(current.status)?),
            ModerationAction::Submit,
        )
    } else {
        check_may_edit(caller, author, current.organisation_id, current.status)?;
        (None, ModerationAction::Edit)
    };
    check_version("input.expectedVersion", expected_version, current.version)?;
    let updated = store::update_experience(&txn, &current, &changes, to, now).await?;
    store::record_event(
        &txn,
        Event {
            subject_type: SubjectType::Experience,
            subject_id: id,
            actor: Actor::Author(author),
            action,
            from_status: Some(current.status),
            to_status: Some(updated.status),
            comment: None,
            related_id: None,
        },
        now,
    )
    .await?;
    let subject = events::Subject::experience(id);
    let change = if submit {
        submitted(subject, current.organisation_id)
    } else if current.status == ModerationStatus::Published {
        // A moderator's edit of what everyone sees.
        events::Change::new(ChangeKind::ExperienceUpdated, subject, Audience::Public)
    } else {
        edited(subject, current.organisation_id)
    };
    events::record(&txn, &[change], now).await?;
    txn.commit().await?;
    Ok(updated)
}

/// What a moderator decides about.
#[derive(Debug, Clone, Copy)]
pub enum Subject {
    Initiative(Uuid),
    Experience(Uuid),
    ChangeProposal(Uuid),
}

/// The subject after a decision.
pub enum Decided {
    Initiative(initiative::Model),
    Experience(experience::Model),
    ChangeProposal(change_proposal::Model),
}

/// A moderator's decision on a contribution read at `expected_version`.
#[tracing::instrument(skip_all, fields(user_id = %account.id, ?subject, ?decision))]
pub async fn moderate(
    db: &DatabaseConnection,
    account: &Account,
    subject: Subject,
    decision: Decision,
    comment: Option<&str>,
    expected_version: i32,
) -> AppResult<Decided> {
    let comment = moderation::comment(decision, comment)?;
    let now = Utc::now();
    let txn = db.begin().await?;
    let event = |subject_type, subject_id, from, to| Event {
        subject_type,
        subject_id,
        actor: Actor::Account(account),
        action: decision.action(),
        from_status: Some(from),
        to_status: Some(to),
        comment: comment.as_deref(),
        related_id: None,
    };
    let mut changes = Vec::new();
    let decided = match subject {
        Subject::Initiative(id) => {
            let current = visible_initiative(&txn, &ContributionScope::Everything, id).await?;
            check_version("input.expectedVersion", expected_version, current.version)?;
            let to = decision.apply(current.status)?;
            let updated = store::set_initiative_status(&txn, &current, to, now).await?;
            if to == ModerationStatus::Published {
                // What its writers submitted becomes what the public sees.
                let writer =
                    revisions::writer(&txn, current.submitted_by, current.organisation_id).await?;
                revisions::record(&txn, id, &writer, comment.as_deref(), now).await?;
            }
            store::record_event(
                &txn,
                event(SubjectType::Initiative, id, current.status, to),
                now,
            )
            .await?;
            changes.extend(events::decision_changes(
                events::Subject::initiative(id),
                current.organisation_id,
                current.status,
                to,
            ));
            Decided::Initiative(updated)
        }
        Subject::Experience(id) => {
            let current = visible_experience(&txn, &ContributionScope::Everything, id).await?;
            check_version("input.expectedVersion", expected_version, current.version)?;
            let to = decision.apply(current.status)?;
            let updated = store::update_experience(
                &txn,
                &current,
                &ExperienceChanges::default(),
                Some(to),
                now,
            )
            .await?;
            store::record_event(
                &txn,
                event(SubjectType::Experience, id, current.status, to),
                now,
            )
            .await?;
            changes.extend(events::decision_changes(
                events::Subject::experience(id),
                current.organisation_id,
                current.status,
                to,
            ));
            Decided::Experience(updated)
        }
        Subject::ChangeProposal(id) => {
            let current = change_proposal::Entity::find_by_id(id)
                .one(&txn)
                .await?
                .ok_or_else(|| not_found("change proposal"))?;
            if !matches!(decision, Decision::Approve | Decision::Reject) {
                return Err(AppError::InvalidTransition(
                    "a change proposal is approved or rejected; to revise it, propose again"
                        .to_owned(),
                ));
            }
            check_version("input.expectedVersion", expected_version, current.version)?;
            let to = decision.apply(current.status)?;
            changes.push(events::Change::new(
                ChangeKind::ContributionDecided,
                events::Subject::change_proposal(id),
                events::contribution_audience(current.organisation_id),
            ));
            if decision == Decision::Approve {
                apply_proposal(&txn, account, &current, comment.as_deref(), now).await?;
                changes.push(events::Change::new(
                    ChangeKind::InitiativeUpdated,
                    events::Subject::initiative(current.initiative_id),
                    Audience::Public,
                ));
            }
            let updated = store::set_proposal_status(&txn, &current, to, now).await?;
            store::record_event(
                &txn,
                event(SubjectType::ChangeProposal, id, current.status, to),
                now,
            )
            .await?;
            Decided::ChangeProposal(updated)
        }
    };
    events::record(&txn, &changes, now).await?;
    txn.commit().await?;
    Ok(decided)
}

/// Applies an approved proposal to its initiative, which must not have changed since.
/// The revision it makes names the proposal's writer, with the moderator's `comment`.
async fn apply_proposal(
    db: &impl ConnectionTrait,
    account: &Account,
    proposal: &change_proposal::Model,
    comment: Option<&str>,
    now: chrono::DateTime<Utc>,
) -> AppResult<()> {
    let initiative =
        visible_initiative(db, &ContributionScope::Everything, proposal.initiative_id).await?;
    if initiative.version != proposal.base_version {
        return Err(AppError::Conflict(format!(
            "the initiative changed since this proposal was made (version {} then, {} now): \
             reject it and ask for a new proposal",
            proposal.base_version, initiative.version
        )));
    }
    let changes: InitiativeChanges =
        serde_json::from_str(&proposal.changes).map_err(AppError::internal)?;
    store::check_references(
        db,
        &changes,
        "proposal",
        Some(initiative.id),
        &ContributionScope::Everything,
    )
    .await?;
    revisions::keep_baseline(db, &initiative).await?;
    store::change_initiative(db, &initiative, &changes, now).await?;
    let writer = revisions::writer(db, proposal.author_id, proposal.organisation_id).await?;
    revisions::record(db, initiative.id, &writer, comment, now).await?;
    store::record_event(
        db,
        Event {
            subject_type: SubjectType::Initiative,
            subject_id: initiative.id,
            actor: Actor::Account(account),
            action: ModerationAction::Edit,
            from_status: Some(initiative.status),
            to_status: Some(initiative.status),
            comment: Some("change proposal approved"),
            related_id: None,
        },
        now,
    )
    .await?;
    Ok(())
}
