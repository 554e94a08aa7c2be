//! Links between initiatives: what the network learns from one action to another. A link
//! goes from the initiative that holds it to the one it names; its kind says how they
//! relate.

use std::collections::HashSet;

use entity::enums::InitiativeLinkKind;
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use super::input_text::{Lines, check_characters};
use crate::error::AppError;

const MAX_NOTE_CHARS: usize = 500;
const MAX_LINKS: usize = 50;

/// A link an initiative is to hold, as written by a partner or a moderator.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LinkChange {
    pub target_id: Uuid,
    pub kind: InitiativeLinkKind,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub note: Option<String>,
}

/// Whether links of `kind` order initiatives, so that following them must never come back
/// where it started: what came after an action cannot also have come before it, and a
/// programme cannot be a piece of its own piece.
pub fn forbids_cycles(kind: InitiativeLinkKind) -> bool {
    matches!(
        kind,
        InitiativeLinkKind::ContinuationOf | InitiativeLinkKind::PartOf
    )
}

/// Checks the set of links an initiative is to hold: at most 50, each target and kind
/// once, notes trimmed (blank is none) and at most 500 characters. `field` names the list
/// in errors.
pub fn validated(field: &str, links: Vec<LinkChange>) -> Result<Vec<LinkChange>, AppError> {
    if links.len() > MAX_LINKS {
        return Err(AppError::bad_input(
            field,
            format!("at most {MAX_LINKS} items"),
        ));
    }
    let mut seen = HashSet::new();
    links
        .into_iter()
        .enumerate()
        .map(|(index, link)| {
            if !seen.insert((link.target_id, link.kind)) {
                return Err(AppError::bad_input(
                    format!("{field}[{index}]"),
                    format!(
                        "links to the same initiative as {} twice",
                        link.kind.as_str()
                    ),
                ));
            }
            let note = match link.note.as_deref().map(str::trim) {
                None | Some("") => None,
                Some(note) => {
                    let note_field = format!("{field}[{index}].note");
                    if note.chars().count() > MAX_NOTE_CHARS {
                        return Err(AppError::bad_input(
                            note_field,
                            format!("must be at most {MAX_NOTE_CHARS} characters"),
                        ));
                    }
                    check_characters(&note_field, note, Lines::Many)?;
                    Some(note.to_owned())
                }
            };
            Ok(LinkChange { note, ..link })
        })
        .collect()
}

/// Refuses a link of an initiative to itself.
pub fn check_not_to_itself(field: &str, own: Uuid, links: &[LinkChange]) -> Result<(), AppError> {
    match links.iter().position(|link| link.target_id == own) {
        Some(index) => Err(AppError::bad_input(
            format!("{field}[{index}].targetId"),
            "an initiative cannot be linked to itself",
        )),
        None => Ok(()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn link(target_id: Uuid, kind: InitiativeLinkKind, note: Option<&str>) -> LinkChange {
        LinkChange {
            target_id,
            kind,
            note: note.map(str::to_owned),
        }
    }

    #[test]
    fn notes_are_trimmed_and_blank_notes_are_none() {
        let target = Uuid::now_v7();
        let links = validated(
            "input.links",
            vec![
                link(target, InitiativeLinkKind::VariantOf, Some("  à Illkirch ")),
                link(target, InitiativeLinkKind::InspiredBy, Some("  ")),
            ],
        )
        .unwrap();
        assert_eq!(links[0].note.as_deref(), Some("à Illkirch"));
        assert_eq!(links[1].note, None);
    }

    #[test]
    fn the_same_target_and_kind_twice_is_refused_by_position() {
        let target = Uuid::now_v7();
        let twice = vec![
            link(target, InitiativeLinkKind::PartOf, None),
            link(target, InitiativeLinkKind::PartOf, Some("encore")),
        ];
        match validated("input.links", twice) {
            Err(AppError::BadInput { field, .. }) => assert_eq!(field, "input.links[1]"),
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn a_link_to_itself_is_refused() {
        let own = Uuid::now_v7();
        let links = vec![
            link(Uuid::now_v7(), InitiativeLinkKind::InspiredBy, None),
            link(own, InitiativeLinkKind::VariantOf, None),
        ];
        match check_not_to_itself("input.links", own, &links) {
            Err(AppError::BadInput { field, .. }) => {
                assert_eq!(field, "input.links[1].targetId")
            }
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn only_continuations_and_parts_order_initiatives() {
        assert!(forbids_cycles(InitiativeLinkKind::ContinuationOf));
        assert!(forbids_cycles(InitiativeLinkKind::PartOf));
        assert!(!forbids_cycles(InitiativeLinkKind::VariantOf));
        assert!(!forbids_cycles(InitiativeLinkKind::InspiredBy));
    }
}
