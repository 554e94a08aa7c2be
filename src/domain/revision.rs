//! The history of a published initiative: a snapshot of what the public sees after each
//! change, and which fields one snapshot changed from the one before.
//!
//! Contacts are left out: they are people, and a person removed from an initiative (or
//! erased) must not live on in its history. Links are left out too: they are initiatives of
//! their own, with their own moderation trail.

use chrono::NaiveDate;
use entity::enums::{Audience, OrganisationRole, RevisionRole, Role};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use super::caller::{Account, Caller};

/// An initiative's published fields at one point in time. Lists are kept sorted, so that two
/// snapshots of the same state are equal.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Snapshot {
    pub title: String,
    pub summary: String,
    pub description: Option<String>,
    pub context: Option<String>,
    pub outcomes: Option<String>,
    pub continuation: Option<String>,
    pub started_on: Option<NaiveDate>,
    pub ended_on: Option<NaiveDate>,
    pub theme_ids: Vec<Uuid>,
    pub territory_ids: Vec<Uuid>,
    pub organisations: Vec<(Uuid, OrganisationRole)>,
    pub audiences: Vec<Audience>,
    pub meeting_ids: Vec<Uuid>,
    /// The point its writer gave, as `latitude, longitude`; none when its place is its
    /// territories' (which the territories already tell).
    #[serde(default)]
    pub place: Option<String>,
}

/// A field a revision can change, named as in the API's `InitiativeChangesInput`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Field {
    Title,
    Summary,
    Description,
    Context,
    Outcomes,
    Continuation,
    StartedOn,
    EndedOn,
    ThemeIds,
    TerritoryIds,
    Organisations,
    Audiences,
    MeetingIds,
    Place,
}

impl Field {
    /// Every field, in the order the API lists them.
    pub const ALL: [Field; 14] = [
        Field::Title,
        Field::Summary,
        Field::Description,
        Field::Context,
        Field::Outcomes,
        Field::Continuation,
        Field::StartedOn,
        Field::EndedOn,
        Field::ThemeIds,
        Field::TerritoryIds,
        Field::Organisations,
        Field::Audiences,
        Field::MeetingIds,
        Field::Place,
    ];

    /// The field's name in the API.
    pub fn name(self) -> &'static str {
        match self {
            Field::Title => "title",
            Field::Summary => "summary",
            Field::Description => "description",
            Field::Context => "context",
            Field::Outcomes => "outcomes",
            Field::Continuation => "continuation",
            Field::StartedOn => "startedOn",
            Field::EndedOn => "endedOn",
            Field::ThemeIds => "themeIds",
            Field::TerritoryIds => "territoryIds",
            Field::Organisations => "organisations",
            Field::Audiences => "audiences",
            Field::MeetingIds => "meetingIds",
            Field::Place => "place",
        }
    }
}

/// Who made the change a revision records.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Reviser {
    pub role: RevisionRole,
    pub organisation_id: Option<Uuid>,
    /// The account, when a person made it (not a tool, not the history's baseline).
    pub author_id: Option<Uuid>,
}

impl Reviser {
    /// The state an initiative was in when its history began: published before revisions
    /// were kept, imported or loaded with the demo.
    pub const BASELINE: Reviser = Reviser {
        role: RevisionRole::Baseline,
        organisation_id: None,
        author_id: None,
    };

    /// The account `author_id` with `role`, writing for `organisation_id`; a tool when no
    /// account wrote.
    pub fn writer(
        author_id: Option<Uuid>,
        role: Option<Role>,
        organisation_id: Option<Uuid>,
    ) -> Self {
        let role = match (author_id, role) {
            (Some(_), Some(Role::Admin)) => RevisionRole::Admin,
            (Some(_), Some(Role::Moderator)) => RevisionRole::Moderator,
            (Some(_), _) => RevisionRole::Partner,
            (None, _) => RevisionRole::Tool,
        };
        Self {
            role,
            organisation_id,
            author_id,
        }
    }

    /// The caller of a request.
    pub fn caller(caller: &Caller) -> Self {
        match caller.account() {
            Some(account) => Self::account(account),
            None => Self::writer(None, None, caller.organisation_id()),
        }
    }

    /// A signed-in account (a moderator's edit, an admin's merge).
    pub fn account(account: &Account) -> Self {
        Self::writer(
            Some(account.id),
            Some(account.role),
            account.organisation_id,
        )
    }
}

impl Snapshot {
    /// Sorts the lists, so that equal states compare equal whatever order they were read in.
    pub fn normalised(mut self) -> Self {
        self.theme_ids.sort();
        self.territory_ids.sort();
        self.organisations.sort();
        self.audiences.sort();
        self.meeting_ids.sort();
        self
    }

    /// Whether `field` holds the same value in both snapshots.
    fn same(&self, other: &Snapshot, field: Field) -> bool {
        match field {
            Field::Title => self.title == other.title,
            Field::Summary => self.summary == other.summary,
            Field::Description => self.description == other.description,
            Field::Context => self.context == other.context,
            Field::Outcomes => self.outcomes == other.outcomes,
            Field::Continuation => self.continuation == other.continuation,
            Field::StartedOn => self.started_on == other.started_on,
            Field::EndedOn => self.ended_on == other.ended_on,
            Field::ThemeIds => self.theme_ids == other.theme_ids,
            Field::TerritoryIds => self.territory_ids == other.territory_ids,
            Field::Organisations => self.organisations == other.organisations,
            Field::Audiences => self.audiences == other.audiences,
            Field::MeetingIds => self.meeting_ids == other.meeting_ids,
            Field::Place => self.place == other.place,
        }
    }

    /// The fields this snapshot changed from `previous`; for the first revision (no
    /// previous one), every field that holds something.
    pub fn changed_fields(&self, previous: Option<&Snapshot>) -> Vec<Field> {
        let empty = Snapshot::default();
        let previous = previous.unwrap_or(&empty);
        Field::ALL
            .into_iter()
            .filter(|field| !self.same(previous, *field))
            .collect()
    }

    /// The snapshot as stored.
    pub fn to_json(&self) -> String {
        serde_json::to_string(self).unwrap_or_default()
    }

    /// A stored snapshot.
    pub fn from_json(json: &str) -> Result<Self, serde_json::Error> {
        serde_json::from_str(json)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn basket() -> Snapshot {
        Snapshot {
            title: "Paniers solidaires".to_owned(),
            summary: "Des paniers de légumes pour les familles".to_owned(),
            theme_ids: vec![Uuid::from_u128(2), Uuid::from_u128(1)],
            ..Snapshot::default()
        }
        .normalised()
    }

    #[test]
    fn the_first_revision_changes_every_field_that_holds_something() {
        assert_eq!(
            basket().changed_fields(None),
            [Field::Title, Field::Summary, Field::ThemeIds]
        );
    }

    #[test]
    fn a_revision_changes_only_the_fields_that_differ() {
        let mut after = basket();
        after.summary = "Des paniers pour 40 familles".to_owned();
        after.ended_on = NaiveDate::from_ymd_opt(2020, 6, 30);
        assert_eq!(
            after.changed_fields(Some(&basket())),
            [Field::Summary, Field::EndedOn]
        );
    }

    #[test]
    fn the_order_lists_were_read_in_changes_nothing() {
        let mut shuffled = basket();
        shuffled.theme_ids.reverse();
        assert!(
            shuffled
                .normalised()
                .changed_fields(Some(&basket()))
                .is_empty()
        );
    }

    #[test]
    fn a_snapshot_reads_back_as_it_was_stored() {
        let stored = basket().to_json();
        assert_eq!(Snapshot::from_json(&stored).unwrap(), basket());
    }
}
