//! The change stream: one ordered record of every committed change to the catalogue.
//!
//! A writer says what changed with [`record`], in the transaction that makes the change and
//! as its last write before the commit; it never knows who listens. Readers (the changes
//! feed, the replicas' followers, subscriptions, and the consumers that come after them)
//! read [`outbox::read_after`] from the last sequence they saw.
//!
//! Sequences are handed out in commit order, so that a reader that has seen 42 has seen
//! every change up to 42: on PostgreSQL a sequence value is taken at insert, not at commit,
//! and a transaction holding 41 could otherwise commit after one holding 42. [`record`]
//! takes a transaction-scoped lock before it inserts, so the next writer takes its number
//! only once this one has committed (or rolled back). The lock is held from the last write
//! to the commit: a few milliseconds. SQLite allows one writer at a time already.
//!
//! Events hold ids and kinds, never personal data: who may see one is in its audience.

pub mod consumer;
pub mod feed;
pub mod follower;
pub mod listener;
pub mod outbox;
pub mod retention;

pub use follower::{ChangeStream, Keeper};

use chrono::{DateTime, Utc};
use entity::enums::ModerationStatus;
use sea_orm::{ConnectionTrait, DbErr};
use uuid::Uuid;

use crate::domain::{access::Capability, caller::Caller};

/// What happened to the subject of a change.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ChangeKind {
    /// An initiative became public (approved).
    InitiativePublished,
    /// A public initiative changed (an approved proposal, a moderator's edit, a merge).
    InitiativeUpdated,
    /// A public initiative is no longer public (archived, or rejected after publication).
    InitiativeUnpublished,
    /// An experience became public.
    ExperiencePublished,
    /// A public experience changed (a moderator's edit).
    ExperienceUpdated,
    /// A public experience is no longer public (archived).
    ExperienceUnpublished,
    /// A contribution (draft initiative, experience, change proposal) was submitted.
    ContributionSubmitted,
    /// A moderator decided on a contribution (approved, rejected, changes requested).
    ContributionDecided,
    /// A draft or submitted contribution was created or edited by its authors.
    ContributionEdited,
    /// Reference data changed: a theme, territory, organisation, professional, position or
    /// meeting was created, edited, merged or deleted.
    ReferenceChanged,
    /// A person's personal data was erased.
    PersonErased,
    /// A contact detail's visibility changed (public or not).
    ContactVisibilityChanged,
    /// An account was created, changed or deactivated.
    AccountChanged,
}

impl ChangeKind {
    pub const ALL: [ChangeKind; 13] = [
        Self::InitiativePublished,
        Self::InitiativeUpdated,
        Self::InitiativeUnpublished,
        Self::ExperiencePublished,
        Self::ExperienceUpdated,
        Self::ExperienceUnpublished,
        Self::ContributionSubmitted,
        Self::ContributionDecided,
        Self::ContributionEdited,
        Self::ReferenceChanged,
        Self::PersonErased,
        Self::ContactVisibilityChanged,
        Self::AccountChanged,
    ];

    /// The name stored in the outbox and shown to clients.
    pub fn name(self) -> &'static str {
        match self {
            Self::InitiativePublished => "INITIATIVE_PUBLISHED",
            Self::InitiativeUpdated => "INITIATIVE_UPDATED",
            Self::InitiativeUnpublished => "INITIATIVE_UNPUBLISHED",
            Self::ExperiencePublished => "EXPERIENCE_PUBLISHED",
            Self::ExperienceUpdated => "EXPERIENCE_UPDATED",
            Self::ExperienceUnpublished => "EXPERIENCE_UNPUBLISHED",
            Self::ContributionSubmitted => "CONTRIBUTION_SUBMITTED",
            Self::ContributionDecided => "CONTRIBUTION_DECIDED",
            Self::ContributionEdited => "CONTRIBUTION_EDITED",
            Self::ReferenceChanged => "REFERENCE_CHANGED",
            Self::PersonErased => "PERSON_ERASED",
            Self::ContactVisibilityChanged => "CONTACT_VISIBILITY_CHANGED",
            Self::AccountChanged => "ACCOUNT_CHANGED",
        }
    }

    pub fn from_name(name: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|kind| kind.name() == name)
    }
}

/// Who may see a change.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Audience {
    /// Everyone, anonymous callers included.
    Public,
    /// The partners of one organisation, and moderators.
    Organisation(Uuid),
    /// Moderators and admins only.
    Moderators,
}

impl Audience {
    /// Whether `caller` may see a change meant for this audience: everyone a public one;
    /// moderators and admins every one; a partner those of its own organisation.
    pub fn includes(self, caller: &Caller) -> bool {
        match self {
            Self::Public => true,
            _ if caller.can(Capability::Moderate) => true,
            Self::Organisation(id) => {
                caller.organisation_id() == Some(id)
                    && caller.can(Capability::SeeOwnOrganisationContributions)
            }
            Self::Moderators => false,
        }
    }

    fn stored(self) -> (&'static str, Option<Uuid>) {
        match self {
            Self::Public => ("PUBLIC", None),
            Self::Organisation(id) => ("ORGANISATION", Some(id)),
            Self::Moderators => ("MODERATORS", None),
        }
    }

    fn from_stored(name: &str, organisation: Option<Uuid>) -> Option<Self> {
        match (name, organisation) {
            ("PUBLIC", _) => Some(Self::Public),
            ("ORGANISATION", Some(id)) => Some(Self::Organisation(id)),
            ("MODERATORS", _) => Some(Self::Moderators),
            _ => None,
        }
    }
}

/// What a change is about: the type name of its global id (`Initiative`, `Theme`, ...)
/// and its UUID.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Subject {
    pub type_name: &'static str,
    pub id: Uuid,
}

impl Subject {
    pub fn initiative(id: Uuid) -> Self {
        Self::of("Initiative", id)
    }
    pub fn experience(id: Uuid) -> Self {
        Self::of("Experience", id)
    }
    pub fn change_proposal(id: Uuid) -> Self {
        Self::of("ChangeProposal", id)
    }
    pub fn professional(id: Uuid) -> Self {
        Self::of("Professional", id)
    }
    pub fn user(id: Uuid) -> Self {
        Self::of("User", id)
    }
    /// Any other kind of node, by its type name as in global ids.
    pub fn of(type_name: &'static str, id: Uuid) -> Self {
        Self { type_name, id }
    }
    /// Every node of a type at once, for a write that changed too many of them to name
    /// each (an import): the nil UUID. A reader reloads all the nodes of that type.
    pub fn every(type_name: &'static str) -> Self {
        Self::of(type_name, Uuid::nil())
    }
}

/// The most changes of one type a write names one by one; past it, it records one change
/// about [`Subject::every`] node of the type. A territory import touches up to some
/// 35,000 municipalities: one event each would flood every reader (webhooks, e-mails)
/// and hold the append lock for seconds, when all a reader can do is reload them.
pub const MAX_CHANGES_NAMED: usize = 1_000;

/// One change, as a writer reports it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Change {
    pub kind: ChangeKind,
    pub subject: Subject,
    pub audience: Audience,
}

impl Change {
    pub fn new(kind: ChangeKind, subject: Subject, audience: Audience) -> Self {
        Self {
            kind,
            subject,
            audience,
        }
    }
}

impl Change {
    /// Reference data (a theme, territory, organisation, professional, position or
    /// meeting) created, edited, merged or deleted: public, as reference data is.
    pub fn reference(subject: Subject) -> Self {
        Self::new(ChangeKind::ReferenceChanged, subject, Audience::Public)
    }
}

/// The REFERENCE_CHANGED changes of a write that created or changed the nodes `ids` of
/// one type: one per node, or one about every node of the type past
/// [`MAX_CHANGES_NAMED`].
pub fn reference_changes(type_name: &'static str, ids: &[Uuid]) -> Vec<Change> {
    if ids.len() > MAX_CHANGES_NAMED {
        return vec![Change::reference(Subject::every(type_name))];
    }
    ids.iter()
        .map(|id| Change::reference(Subject::of(type_name, *id)))
        .collect()
}

/// A change as the stream holds it: with its place in the order and its time.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Committed {
    pub sequence: i64,
    pub occurred_at: DateTime<Utc>,
    pub kind: ChangeKind,
    /// The subject's type name as stored (it may name a type later removed).
    pub subject_type: String,
    pub subject_id: Uuid,
    pub audience: Audience,
}

/// Appends `changes` to the stream, in the caller's transaction: they are committed with
/// the change they describe, or not at all. Call it as the transaction's last write.
pub async fn record(
    txn: &impl ConnectionTrait,
    changes: &[Change],
    now: DateTime<Utc>,
) -> Result<(), DbErr> {
    outbox::append(txn, changes, now).await
}

/// The audience of a contribution's own changes: its organisation's partners (and
/// moderators), or moderators alone when it has no organisation.
pub fn contribution_audience(organisation_id: Option<Uuid>) -> Audience {
    organisation_id.map_or(Audience::Moderators, Audience::Organisation)
}

/// The changes of a moderator's decision moving an initiative or an experience from `from`
/// to `to`: the decision for its authors, and its publication or unpublication for all.
pub fn decision_changes(
    subject: Subject,
    organisation_id: Option<Uuid>,
    from: ModerationStatus,
    to: ModerationStatus,
) -> Vec<Change> {
    let mut changes = vec![Change::new(
        ChangeKind::ContributionDecided,
        subject,
        contribution_audience(organisation_id),
    )];
    let is_experience = subject.type_name == "Experience";
    match (
        from == ModerationStatus::Published,
        to == ModerationStatus::Published,
    ) {
        (false, true) => changes.push(Change::new(
            if is_experience {
                ChangeKind::ExperiencePublished
            } else {
                ChangeKind::InitiativePublished
            },
            subject,
            Audience::Public,
        )),
        (true, false) => changes.push(Change::new(
            if is_experience {
                ChangeKind::ExperienceUnpublished
            } else {
                ChangeKind::InitiativeUnpublished
            },
            subject,
            Audience::Public,
        )),
        _ => {}
    }
    changes
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_kind_has_a_name_that_reads_back() {
        for kind in ChangeKind::ALL {
            assert_eq!(ChangeKind::from_name(kind.name()), Some(kind));
        }
    }

    #[test]
    fn a_write_names_each_node_up_to_the_limit_and_then_every_node_of_the_type() {
        let ids: Vec<Uuid> = (0..=MAX_CHANGES_NAMED).map(|_| Uuid::now_v7()).collect();
        let named = reference_changes("Territory", &ids[..MAX_CHANGES_NAMED]);
        assert_eq!(named.len(), MAX_CHANGES_NAMED);
        assert_eq!(
            named[0],
            Change::reference(Subject::of("Territory", ids[0]))
        );
        assert_eq!(
            reference_changes("Territory", &ids),
            [Change::reference(Subject::every("Territory"))]
        );
    }
}
