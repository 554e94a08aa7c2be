//! String-backed enums shared by the entities. They are stored as plain strings so that
//! the same migrations run on SQLite and PostgreSQL (no native enum types).

use sea_orm::entity::prelude::*;
use serde::{Deserialize, Serialize};

macro_rules! string_enum {
    ($(#[$meta:meta])* $name:ident { $($variant:ident => $value:literal),+ $(,)? }) => {
        $(#[$meta])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, EnumIter, DeriveActiveEnum, Serialize, Deserialize)]
        #[sea_orm(rs_type = "String", db_type = "String(StringLen::N(32))")]
        pub enum $name {
            $(
                #[sea_orm(string_value = $value)]
                #[serde(rename = $value)]
                $variant,
            )+
        }

        impl $name {
            /// The value stored in the database.
            pub fn as_str(self) -> &'static str {
                match self {
                    $(Self::$variant => $value,)+
                }
            }
        }
    };
}

string_enum!(
    /// What a territory is, from the region down to the priority neighbourhood (QPV).
    TerritoryKind {
        Region => "REGION",
        Department => "DEPARTMENT",
        Intercommunality => "INTERCOMMUNALITY",
        Municipality => "MUNICIPALITY",
        PriorityNeighbourhood => "PRIORITY_NEIGHBOURHOOD",
        Other => "OTHER",
    }
);

string_enum!(
    /// What kind of body an organisation is.
    OrganisationKind {
        LocalAuthority => "LOCAL_AUTHORITY",
        StateService => "STATE_SERVICE",
        PublicBody => "PUBLIC_BODY",
        Association => "ASSOCIATION",
        ResourceCentre => "RESOURCE_CENTRE",
        Network => "NETWORK",
        Company => "COMPANY",
        Other => "OTHER",
    }
);

string_enum!(
    /// Who may see a professional's e-mail and phone.
    ContactVisibility {
        Public => "PUBLIC",
        Members => "MEMBERS",
        Private => "PRIVATE",
    }
);

string_enum!(
    /// How a meeting was held.
    MeetingFormat {
        InPerson => "IN_PERSON",
        Video => "VIDEO",
        Hybrid => "HYBRID",
    }
);

string_enum!(
    /// The part a professional played in a meeting.
    ParticipantRole {
        Participant => "PARTICIPANT",
        Facilitator => "FACILITATOR",
    }
);

string_enum!(
    /// The people an initiative is for.
    Audience {
        Children => "CHILDREN",
        Youth => "YOUTH",
        Families => "FAMILIES",
        Elderly => "ELDERLY",
        IsolatedPeople => "ISOLATED_PEOPLE",
        Allophones => "ALLOPHONES",
        Inhabitants => "INHABITANTS",
        Professionals => "PROFESSIONALS",
    }
);

string_enum!(
    /// The part an organisation plays in an initiative.
    OrganisationRole {
        Lead => "LEAD",
        Partner => "PARTNER",
        Funder => "FUNDER",
    }
);

string_enum!(
    /// Where an initiative or experience stands in moderation.
    ModerationStatus {
        Draft => "DRAFT",
        Submitted => "SUBMITTED",
        ChangesRequested => "CHANGES_REQUESTED",
        Published => "PUBLISHED",
        Rejected => "REJECTED",
        Archived => "ARCHIVED",
    }
);

string_enum!(
    /// What an account may do.
    Role {
        Partner => "PARTNER",
        Moderator => "MODERATOR",
        Admin => "ADMIN",
    }
);

string_enum!(
    /// What happened in a moderation event.
    ModerationAction {
        Create => "CREATE",
        Edit => "EDIT",
        Submit => "SUBMIT",
        Approve => "APPROVE",
        Reject => "REJECT",
        RequestChanges => "REQUEST_CHANGES",
        Archive => "ARCHIVE",
        Restore => "RESTORE",
        // Reference data and personal data.
        Delete => "DELETE",
        Merge => "MERGE",
        Erase => "ERASE",
        ChangeVisibility => "CHANGE_VISIBILITY",
        // Duplicates.
        NotDuplicate => "NOT_DUPLICATE",
    }
);

string_enum!(
    /// What a moderation event is about.
    SubjectType {
        Initiative => "INITIATIVE",
        Experience => "EXPERIENCE",
        ChangeProposal => "CHANGE_PROPOSAL",
        // Reference data and personal data.
        Territory => "TERRITORY",
        Theme => "THEME",
        Organisation => "ORGANISATION",
        Professional => "PROFESSIONAL",
        Meeting => "MEETING",
    }
);

string_enum!(
    /// How one initiative relates to another.
    InitiativeLinkKind {
        InspiredBy => "INSPIRED_BY",
        VariantOf => "VARIANT_OF",
        ContinuationOf => "CONTINUATION_OF",
        PartOf => "PART_OF",
    }
);

string_enum!(
    /// Who made the change a revision of an initiative records.
    RevisionRole {
        Baseline => "BASELINE",
        Partner => "PARTNER",
        Tool => "TOOL",
        Moderator => "MODERATOR",
        Admin => "ADMIN",
    }
);
