//! The API's enums, mapped one to one onto the stored ones.

use async_graphql::Enum;

/// What a territory is, from the region down to the priority neighbourhood.
#[derive(Enum, Debug, Clone, Copy, PartialEq, Eq)]
#[graphql(remote = "entity::enums::TerritoryKind")]
pub enum TerritoryKind {
    /// A region (INSEE region code, e.g. 44 for Grand Est).
    Region,
    /// A department (INSEE code, e.g. 57 for Moselle).
    Department,
    /// An intercommunality (EPCI), identified by its SIREN.
    Intercommunality,
    /// A municipality (5-character INSEE code, e.g. 57463 for Metz).
    Municipality,
    /// A priority neighbourhood of urban policy (QPV), by its QPV code.
    PriorityNeighbourhood,
    /// Any other area (a district, a school zone, ...).
    Other,
}

/// What kind of body an organisation is.
#[derive(Enum, Debug, Clone, Copy, PartialEq, Eq)]
#[graphql(remote = "entity::enums::OrganisationKind")]
pub enum OrganisationKind {
    /// A municipality, intercommunality, department or region as an institution.
    LocalAuthority,
    /// A State service (prefecture, national education, ...).
    StateService,
    /// A public body (family allowance fund, housing office, ...).
    PublicBody,
    /// An association.
    Association,
    /// A resource centre of urban policy.
    ResourceCentre,
    /// A network of professionals or organisations.
    Network,
    /// A company, including social-integration enterprises.
    Company,
    /// Anything else.
    Other,
}

/// How a meeting was held.
#[derive(Enum, Debug, Clone, Copy, PartialEq, Eq)]
#[graphql(remote = "entity::enums::MeetingFormat")]
pub enum MeetingFormat {
    /// Everyone in one room.
    InPerson,
    /// A video call.
    Video,
    /// Some in the room, some on video.
    Hybrid,
}

/// The part a professional played in a meeting.
#[derive(Enum, Debug, Clone, Copy, PartialEq, Eq)]
#[graphql(remote = "entity::enums::ParticipantRole")]
pub enum ParticipantRole {
    /// Took part.
    Participant,
    /// Organised or led the meeting.
    Facilitator,
}

/// The people an initiative is for.
#[derive(Enum, Debug, Clone, Copy, PartialEq, Eq)]
#[graphql(remote = "entity::enums::Audience")]
pub enum Audience {
    /// Children.
    Children,
    /// Teenagers and young adults.
    Youth,
    /// Families and parents.
    Families,
    /// Elderly people.
    Elderly,
    /// People living alone or cut off.
    IsolatedPeople,
    /// People whose first language is not French.
    Allophones,
    /// The inhabitants of a neighbourhood at large.
    Inhabitants,
    /// Professionals and volunteers of the field.
    Professionals,
}

/// The part an organisation plays in an initiative.
#[derive(Enum, Debug, Clone, Copy, PartialEq, Eq)]
#[graphql(remote = "entity::enums::OrganisationRole")]
pub enum OrganisationRole {
    /// Leads the initiative.
    Lead,
    /// Takes part in it.
    Partner,
    /// Funds it.
    Funder,
}

/// Where a contribution stands in moderation.
#[derive(Enum, Debug, Clone, Copy, PartialEq, Eq)]
#[graphql(remote = "entity::enums::ModerationStatus")]
pub enum ModerationStatus {
    /// Being written by its authors; visible to them only.
    Draft,
    /// Waiting for a moderator.
    Submitted,
    /// Sent back to its authors with a comment.
    ChangesRequested,
    /// Public.
    Published,
    /// Refused by a moderator, with a reason.
    Rejected,
    /// Withdrawn from the public catalogue; can be restored.
    Archived,
}

/// What an account may do.
#[derive(Enum, Debug, Clone, Copy, PartialEq, Eq)]
#[graphql(remote = "entity::enums::Role")]
pub enum Role {
    /// Submits initiatives and experiences for its organisation, and sees its
    /// organisation's contributions in every state.
    Partner,
    /// Reviews contributions and sees everything, contact details included.
    Moderator,
    /// A moderator who also manages accounts.
    Admin,
}

/// What happened in a moderation event.
#[derive(Enum, Debug, Clone, Copy, PartialEq, Eq)]
#[graphql(remote = "entity::enums::ModerationAction")]
pub enum ModerationAction {
    /// Created as a draft.
    Create,
    /// Its content was changed (by its authors, or directly by a moderator).
    Edit,
    /// Submitted (or resubmitted) for moderation.
    Submit,
    /// Approved by a moderator: published (for a proposal, applied to its initiative).
    Approve,
    /// Refused by a moderator, with a reason.
    Reject,
    /// Sent back to its authors with a comment.
    RequestChanges,
    /// Withdrawn from the public catalogue.
    Archive,
    /// Published again after being archived.
    Restore,
    /// Deleted (reference data).
    Delete,
    /// Merged into another record, which took its references (reference data); for an
    /// initiative, logged on the one kept: another initiative was merged into it
    /// (`relatedInitiative`, gone since).
    Merge,
    /// A person's personal data was erased.
    Erase,
    /// A person's contact visibility was changed.
    ChangeVisibility,
    /// Decided not to be the same action as another initiative (`relatedInitiative`, when
    /// the reader may see it): the two are no longer suggested as look-alikes.
    NotDuplicate,
}

/// What kind of contribution something is.
#[derive(Enum, Debug, Clone, Copy, PartialEq, Eq)]
pub enum ContributionKind {
    /// An initiative.
    Initiative,
    /// An experience (*retour d'expérience*) about a published initiative.
    Experience,
    /// A proposed change to a published initiative.
    ChangeProposal,
}

impl From<ContributionKind> for entity::enums::SubjectType {
    fn from(kind: ContributionKind) -> Self {
        match kind {
            ContributionKind::Initiative => Self::Initiative,
            ContributionKind::Experience => Self::Experience,
            ContributionKind::ChangeProposal => Self::ChangeProposal,
        }
    }
}

/// What an audit-log entry is about.
#[derive(Enum, Debug, Clone, Copy, PartialEq, Eq)]
#[graphql(remote = "entity::enums::SubjectType")]
pub enum AuditSubjectKind {
    /// An initiative.
    Initiative,
    /// An experience about a published initiative.
    Experience,
    /// A proposed change to a published initiative.
    ChangeProposal,
    /// A territory.
    Territory,
    /// A theme.
    Theme,
    /// An organisation.
    Organisation,
    /// A professional (a person).
    Professional,
    /// A meeting.
    Meeting,
}

/// Who may see a professional's e-mail and phone.
#[derive(Enum, Debug, Clone, Copy, PartialEq, Eq)]
#[graphql(remote = "entity::enums::ContactVisibility")]
pub enum ContactVisibility {
    /// Anyone, signed in or not.
    Public,
    /// Any signed-in account.
    Members,
    /// Moderators, admins and the person's own account only.
    Private,
}

/// How one initiative relates to another. A link goes from the initiative that holds it to
/// the one it names.
#[derive(Enum, Debug, Clone, Copy, PartialEq, Eq)]
#[graphql(remote = "entity::enums::InitiativeLinkKind")]
pub enum InitiativeLinkKind {
    /// It was inspired by the other one.
    InspiredBy,
    /// The same action, carried out on another territory.
    VariantOf,
    /// What came after the other one, carrying it on.
    ContinuationOf,
    /// A local piece of the other one, a wider programme.
    PartOf,
}

/// Who made the change a revision of an initiative records.
#[derive(Enum, Debug, Clone, Copy, PartialEq, Eq)]
#[graphql(remote = "entity::enums::RevisionRole")]
pub enum RevisionRole {
    /// No change: the initiative as it was when its history began (published before
    /// revisions were kept, imported, or loaded with the demo).
    Baseline,
    /// A partner of one of its organisations (an approved change proposal, or the
    /// submission a moderator published).
    Partner,
    /// A tool writing with an API key for its organisation.
    Tool,
    /// A moderator.
    Moderator,
    /// An admin (a moderator's edit, or a merge of the reference data it uses).
    Admin,
}
