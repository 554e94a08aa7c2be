//! The shape of the demo dataset: plain static data, linked by keys (slugs and codes),
//! so the dataset reads like the minutes it comes from.

use entity::enums::{
    Audience, InitiativeLinkKind, MeetingFormat, OrganisationKind, OrganisationRole,
    ParticipantRole, TerritoryKind,
};

/// A territory, keyed by its slug; `parents` are the slugs of the territories containing it.
pub struct DemoTerritory {
    pub slug: &'static str,
    pub name: &'static str,
    pub kind: TerritoryKind,
    pub official_code: Option<&'static str>,
    pub parents: &'static [&'static str],
    pub latitude: Option<f64>,
    pub longitude: Option<f64>,
}

/// A theme; `parent` is the slug of its top-level theme, `None` for a top-level theme.
pub struct DemoTheme {
    pub slug: &'static str,
    pub name: &'static str,
    pub description: &'static str,
    pub parent: Option<&'static str>,
    pub position: i32,
}

/// An organisation; `territory` is the slug of its area of action.
pub struct DemoOrganisation {
    pub slug: &'static str,
    pub name: &'static str,
    pub kind: OrganisationKind,
    pub territory: Option<&'static str>,
    pub website: Option<&'static str>,
    pub description: &'static str,
}

/// A dated post of a professional in an organisation.
pub struct DemoPosition {
    pub organisation: &'static str,
    pub job_title: &'static str,
    pub field: Option<&'static str>,
    pub territory: Option<&'static str>,
    /// ISO date (YYYY-MM-DD), when the minutes or public sources tell it.
    pub started_on: Option<&'static str>,
}

/// A person named in the minutes. The minutes give no e-mail or phone, and the demo
/// invents none.
pub struct DemoProfessional {
    pub slug: &'static str,
    pub given_name: &'static str,
    pub family_name: &'static str,
    pub positions: &'static [DemoPosition],
}

/// A participant of a meeting: professional slug, role, job title at the time.
pub struct DemoParticipant {
    pub professional: &'static str,
    pub role: ParticipantRole,
    pub job_title: &'static str,
}

/// A meeting with its minutes; `topics` are the questions kept for next time, in order.
pub struct DemoMeeting {
    pub slug: &'static str,
    pub title: &'static str,
    /// ISO date (YYYY-MM-DD).
    pub held_on: &'static str,
    pub format: MeetingFormat,
    pub organiser: Option<&'static str>,
    pub agenda: &'static str,
    /// The minutes, in Markdown.
    pub summary: &'static str,
    pub participants: &'static [DemoParticipant],
    pub topics: &'static [&'static str],
}

/// An initiative reported in a meeting, published in the catalogue.
pub struct DemoInitiative {
    pub slug: &'static str,
    pub title: &'static str,
    /// At most 500 characters.
    pub summary: &'static str,
    /// Markdown.
    pub description: &'static str,
    pub started_on: Option<&'static str>,
    pub ended_on: Option<&'static str>,
    pub context: Option<&'static str>,
    pub audiences: &'static [Audience],
    pub outcomes: Option<&'static str>,
    pub continuation: Option<&'static str>,
    pub themes: &'static [&'static str],
    pub territories: &'static [&'static str],
    pub organisations: &'static [(&'static str, OrganisationRole)],
    pub contacts: &'static [&'static str],
    pub meetings: &'static [&'static str],
}

/// A link between two initiatives of the demo, by slug, that the minutes support.
pub struct DemoLink {
    pub from: &'static str,
    pub to: &'static str,
    pub kind: InitiativeLinkKind,
    pub note: &'static str,
}
