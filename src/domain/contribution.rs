//! What partners write: the fields of an initiative or an experience, and the changes made
//! to them, validated at the edge. The same `InitiativeChanges` describes a new initiative,
//! an edit, and a proposal to change a published initiative (kept as JSON until approved).

use chrono::NaiveDate;
use entity::{
    enums::{Audience, OrganisationRole},
    initiative,
};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use super::{
    initiative_link::{self, LinkChange},
    input_text::{Lines, check_characters},
    place::Point,
};
use crate::error::AppError;

const MAX_TITLE_CHARS: usize = 200;
const MAX_SUMMARY_CHARS: usize = 500;
const MAX_TEXT_CHARS: usize = 20_000;
const MAX_LINKS: usize = 50;

/// A change to an optional value: set it, or clear it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum Patch<T> {
    Set(T),
    Clear,
}

impl<T: Clone> Patch<T> {
    pub fn value(&self) -> Option<T> {
        match self {
            Self::Set(value) => Some(value.clone()),
            Self::Clear => None,
        }
    }
}

/// An organisation taking part in an initiative, and how.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct OrganisationLink {
    pub organisation_id: Uuid,
    pub role: OrganisationRole,
}

/// Values to write on an initiative; `None` leaves a field as it is. Lists replace the
/// whole set.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct InitiativeChanges {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub title: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub summary: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<Patch<String>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub started_on: Option<Patch<NaiveDate>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ended_on: Option<Patch<NaiveDate>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub context: Option<Patch<String>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub outcomes: Option<Patch<String>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub continuation: Option<Patch<String>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub theme_ids: Option<Vec<Uuid>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub territory_ids: Option<Vec<Uuid>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub organisations: Option<Vec<OrganisationLink>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub contact_ids: Option<Vec<Uuid>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub meeting_ids: Option<Vec<Uuid>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub audiences: Option<Vec<Audience>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub links: Option<Vec<LinkChange>>,
    /// A point the writer gives, already rounded; clearing it returns to the point of the
    /// territories.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub place: Option<Patch<Point>>,
}

fn check_length(field: &str, text: &str, max: usize) -> Result<(), AppError> {
    if text.chars().count() > max {
        return Err(AppError::bad_input(
            field,
            format!("must be at most {max} characters"),
        ));
    }
    Ok(())
}

fn required_text(field: &str, text: &str, max: usize, lines: Lines) -> Result<String, AppError> {
    let text = text.trim();
    if text.is_empty() {
        return Err(AppError::bad_input(field, "must not be blank"));
    }
    check_length(field, text, max)?;
    check_characters(field, text, lines)?;
    Ok(text.to_owned())
}

/// An optional text: blank clears it.
fn optional_text(field: &str, patch: Patch<String>) -> Result<Patch<String>, AppError> {
    match patch {
        Patch::Set(text) if text.trim().is_empty() => Ok(Patch::Clear),
        Patch::Set(text) => {
            check_length(field, &text, MAX_TEXT_CHARS)?;
            check_characters(field, &text, Lines::Many)?;
            Ok(Patch::Set(text.trim().to_owned()))
        }
        Patch::Clear => Ok(Patch::Clear),
    }
}

/// A set of ids: duplicates removed, order kept, at most 50.
fn id_set(field: &str, ids: Vec<Uuid>) -> Result<Vec<Uuid>, AppError> {
    let mut seen = std::collections::HashSet::new();
    let ids: Vec<Uuid> = ids.into_iter().filter(|id| seen.insert(*id)).collect();
    if ids.len() > MAX_LINKS {
        return Err(AppError::bad_input(
            field,
            format!("at most {MAX_LINKS} items"),
        ));
    }
    Ok(ids)
}

impl InitiativeChanges {
    /// Checks and normalises the values sent; `prefix` is the input's name in errors.
    pub fn validated(mut self, prefix: &str) -> Result<Self, AppError> {
        let field = |name: &str| format!("{prefix}.{name}");
        if let Some(title) = &self.title {
            self.title = Some(required_text(
                &field("title"),
                title,
                MAX_TITLE_CHARS,
                Lines::One,
            )?);
        }
        if let Some(summary) = &self.summary {
            self.summary = Some(required_text(
                &field("summary"),
                summary,
                MAX_SUMMARY_CHARS,
                Lines::Many,
            )?);
        }
        for (name, text) in [
            ("description", &mut self.description),
            ("context", &mut self.context),
            ("outcomes", &mut self.outcomes),
            ("continuation", &mut self.continuation),
        ] {
            if let Some(patch) = text.take() {
                *text = Some(optional_text(&field(name), patch)?);
            }
        }
        for (name, ids) in [
            ("themeIds", &mut self.theme_ids),
            ("territoryIds", &mut self.territory_ids),
            ("contactIds", &mut self.contact_ids),
            ("meetingIds", &mut self.meeting_ids),
        ] {
            if let Some(list) = ids.take() {
                *ids = Some(id_set(&field(name), list)?);
            }
        }
        if let Some(links) = self.organisations.take() {
            let mut seen = std::collections::HashSet::new();
            let links: Vec<OrganisationLink> = links
                .into_iter()
                .filter(|link| seen.insert(link.organisation_id))
                .collect();
            if links.len() > MAX_LINKS {
                return Err(AppError::bad_input(
                    field("organisations"),
                    format!("at most {MAX_LINKS} items"),
                ));
            }
            self.organisations = Some(links);
        }
        if let Some(audiences) = self.audiences.take() {
            let mut audiences = audiences;
            audiences.sort();
            audiences.dedup();
            self.audiences = Some(audiences);
        }
        if let Some(links) = self.links.take() {
            self.links = Some(initiative_link::validated(&field("links"), links)?);
        }
        Ok(self)
    }

    /// A new initiative needs a title and a summary.
    pub fn check_complete(&self, prefix: &str) -> Result<(), AppError> {
        if self.title.is_none() {
            return Err(AppError::bad_input(
                format!("{prefix}.title"),
                "is required",
            ));
        }
        if self.summary.is_none() {
            return Err(AppError::bad_input(
                format!("{prefix}.summary"),
                "is required",
            ));
        }
        Ok(())
    }

    /// The period once these changes are applied to `current` must be in order.
    pub fn check_period(
        &self,
        prefix: &str,
        current: Option<&initiative::Model>,
    ) -> Result<(), AppError> {
        let started = match &self.started_on {
            Some(patch) => patch.value(),
            None => current.and_then(|model| model.started_on),
        };
        let ended = match &self.ended_on {
            Some(patch) => patch.value(),
            None => current.and_then(|model| model.ended_on),
        };
        if let (Some(started), Some(ended)) = (started, ended)
            && ended < started
        {
            return Err(AppError::bad_input(
                format!("{prefix}.endedOn"),
                format!("{ended} is before the start ({started})"),
            ));
        }
        Ok(())
    }

    pub fn is_empty(&self) -> bool {
        *self == Self::default()
    }
}

/// The fields of an experience (*retour d'expérience*).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ExperienceChanges {
    pub title: Option<String>,
    pub body: Option<String>,
}

impl ExperienceChanges {
    pub fn validated(self, prefix: &str) -> Result<Self, AppError> {
        Ok(Self {
            title: self
                .title
                .map(|title| {
                    required_text(
                        &format!("{prefix}.title"),
                        &title,
                        MAX_TITLE_CHARS,
                        Lines::One,
                    )
                })
                .transpose()?,
            body: self
                .body
                .map(|body| {
                    required_text(
                        &format!("{prefix}.body"),
                        &body,
                        MAX_TEXT_CHARS,
                        Lines::Many,
                    )
                })
                .transpose()?,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn texts_are_trimmed_and_blank_optional_texts_clear_the_field() {
        let changes = InitiativeChanges {
            title: Some("  Paniers solidaires ".to_owned()),
            description: Some(Patch::Set("   ".to_owned())),
            ..InitiativeChanges::default()
        }
        .validated("input")
        .unwrap();
        assert_eq!(changes.title.as_deref(), Some("Paniers solidaires"));
        assert_eq!(changes.description, Some(Patch::Clear));
    }

    #[test]
    fn a_blank_title_or_a_long_summary_is_refused_by_field() {
        let blank = InitiativeChanges {
            title: Some(" ".to_owned()),
            ..InitiativeChanges::default()
        };
        match blank.validated("input") {
            Err(AppError::BadInput { field, .. }) => assert_eq!(field, "input.title"),
            other => panic!("{other:?}"),
        }
        let long = InitiativeChanges {
            summary: Some("x".repeat(501)),
            ..InitiativeChanges::default()
        };
        assert!(long.validated("input").is_err());
    }

    #[test]
    fn proposals_round_trip_through_json_keeping_not_sent_apart_from_cleared() {
        let changes = InitiativeChanges {
            summary: Some("Nouveau résumé".to_owned()),
            outcomes: Some(Patch::Clear),
            theme_ids: Some(vec![Uuid::now_v7()]),
            ..InitiativeChanges::default()
        };
        let json = serde_json::to_string(&changes).unwrap();
        assert!(!json.contains("description"));
        assert_eq!(
            serde_json::from_str::<InitiativeChanges>(&json).unwrap(),
            changes
        );
    }
}
