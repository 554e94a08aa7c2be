//! Global object ids: `Kind:uuid`, so that `node(id:)` knows where to look and an id of the
//! wrong kind is refused by name. Clients should treat them as opaque strings.

use async_graphql::ID;
use uuid::Uuid;

use crate::error::AppError;

/// The kinds of objects that have a global id.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NodeKind {
    Initiative,
    Experience,
    Theme,
    Territory,
    Organisation,
    Professional,
    Position,
    Meeting,
    MeetingParticipant,
    MeetingTopic,
    User,
    ChangeProposal,
    /// A contribution in the moderation queue: the same UUID as the contribution.
    ModerationItem,
    /// An entry of the audit log.
    ModerationEvent,
}

impl NodeKind {
    const ALL: [NodeKind; 14] = [
        Self::Initiative,
        Self::Experience,
        Self::Theme,
        Self::Territory,
        Self::Organisation,
        Self::Professional,
        Self::Position,
        Self::Meeting,
        Self::MeetingParticipant,
        Self::MeetingTopic,
        Self::User,
        Self::ChangeProposal,
        Self::ModerationItem,
        Self::ModerationEvent,
    ];

    pub fn name(self) -> &'static str {
        match self {
            Self::Initiative => "Initiative",
            Self::Experience => "Experience",
            Self::Theme => "Theme",
            Self::Territory => "Territory",
            Self::Organisation => "Organisation",
            Self::Professional => "Professional",
            Self::Position => "Position",
            Self::Meeting => "Meeting",
            Self::MeetingParticipant => "MeetingParticipant",
            Self::MeetingTopic => "MeetingTopic",
            Self::User => "User",
            Self::ChangeProposal => "ChangeProposal",
            Self::ModerationItem => "ModerationItem",
            Self::ModerationEvent => "ModerationEvent",
        }
    }

    /// The global id of the object of this kind with this UUID.
    pub fn id(self, uuid: Uuid) -> ID {
        ID(format!("{}:{uuid}", self.name()))
    }
}

/// A parsed global id.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct GlobalId {
    pub kind: NodeKind,
    pub uuid: Uuid,
}

impl GlobalId {
    /// Parses any global id; `field` names the argument in the error.
    pub fn parse(field: &str, id: &str) -> Result<Self, AppError> {
        let invalid = || AppError::bad_input(field, format!("`{id}` is not an id of this API"));
        let (kind, uuid) = id.split_once(':').ok_or_else(invalid)?;
        let kind = NodeKind::ALL
            .into_iter()
            .find(|candidate| candidate.name() == kind)
            .ok_or_else(invalid)?;
        let uuid = Uuid::try_parse(uuid).map_err(|_| invalid())?;
        Ok(Self { kind, uuid })
    }

    /// Parses an id that must be of `kind`.
    pub fn parse_as(kind: NodeKind, field: &str, id: &str) -> Result<Uuid, AppError> {
        let parsed = Self::parse(field, id)?;
        if parsed.kind == kind {
            Ok(parsed.uuid)
        } else {
            Err(AppError::bad_input(
                field,
                format!(
                    "expected a {} id, got a {} id",
                    kind.name(),
                    parsed.kind.name()
                ),
            ))
        }
    }

    /// Parses a list of ids of `kind`; the error names the position in the list.
    pub fn parse_list(kind: NodeKind, field: &str, ids: &[ID]) -> Result<Vec<Uuid>, AppError> {
        ids.iter()
            .enumerate()
            .map(|(index, id)| Self::parse_as(kind, &format!("{field}[{index}]"), id))
            .collect()
    }
}

/// How a root field names one object: by global id or by slug, exactly one of them.
pub enum Lookup {
    Id(Uuid),
    Slug(String),
}

impl Lookup {
    pub fn parse(kind: NodeKind, id: Option<ID>, slug: Option<String>) -> Result<Self, AppError> {
        match (id, slug) {
            (Some(id), None) => Ok(Self::Id(GlobalId::parse_as(kind, "id", &id)?)),
            (None, Some(slug)) => Ok(Self::Slug(slug)),
            _ => Err(AppError::bad_input("id", "give either `id` or `slug`")),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_id_reads_back_as_its_kind_and_uuid() {
        let uuid = Uuid::now_v7();
        let id = NodeKind::Territory.id(uuid);
        assert_eq!(
            GlobalId::parse("id", &id).unwrap(),
            GlobalId {
                kind: NodeKind::Territory,
                uuid
            }
        );
    }

    #[test]
    fn malformed_or_mismatched_ids_are_bad_input_naming_the_field() {
        for bad in [
            "",
            "42",
            "Territory:",
            "Territory:not-a-uuid",
            "Planet:0190",
        ] {
            let error = GlobalId::parse("id", bad).unwrap_err();
            assert_eq!(error.code(), "BAD_USER_INPUT", "{bad}");
        }
        let theme = NodeKind::Theme.id(Uuid::now_v7());
        let error =
            GlobalId::parse_list(NodeKind::Territory, "territoryIds", &[theme]).unwrap_err();
        assert!(
            error
                .public_message()
                .starts_with("territoryIds[0]: expected a Territory id")
        );
    }
}
