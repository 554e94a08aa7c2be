//! What each role may do, as capabilities. Resolvers ask the caller for a capability
//! (`Caller::require`); no other code compares roles.

use entity::enums::Role;

/// Something a role may be allowed to do.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Capability {
    /// List, create and change accounts.
    ManageAccounts,
    /// See contributions (initiatives, experiences) in every state, of every organisation.
    SeeAllContributions,
    /// See every professional's e-mail and phone, whatever their contact visibility.
    SeeAllContactDetails,
    /// See the contributions of one's own organisation in every state.
    SeeOwnOrganisationContributions,
    /// Write initiatives and experiences, and submit them for moderation.
    Contribute,
    /// Decide on contributions (approve, reject, request changes, archive, restore), edit
    /// them in any state, and read the moderation queue and audit log.
    Moderate,
    /// Create, change, delete and merge territories, organisations and professionals.
    ManageReferenceData,
    /// Create, change, delete and merge themes.
    ManageThemes,
    /// Record meetings: their participants, topics and reported initiatives.
    RecordMeetings,
    /// Export and erase anyone's personal data, and change anyone's contact visibility.
    ManagePersonalData,
    /// Register webhooks and read their deliveries.
    ManageWebhooks,
    /// Create, list and revoke the API keys of one's own organisation.
    ManageOwnOrganisationApiKeys,
    /// Create, list and revoke the API keys of any organisation.
    ManageApiKeysOfAnyOrganisation,
}

impl Capability {
    /// Whether `role` has this capability.
    pub fn is_granted_to(self, role: Role) -> bool {
        match self {
            Self::ManageAccounts => role == Role::Admin,
            Self::SeeAllContributions | Self::SeeAllContactDetails => {
                matches!(role, Role::Moderator | Role::Admin)
            }
            Self::SeeOwnOrganisationContributions
            | Self::Contribute
            | Self::ManageOwnOrganisationApiKeys => true,
            Self::Moderate | Self::ManageThemes | Self::RecordMeetings => {
                matches!(role, Role::Moderator | Role::Admin)
            }
            Self::ManageReferenceData
            | Self::ManagePersonalData
            | Self::ManageWebhooks
            | Self::ManageApiKeysOfAnyOrganisation => role == Role::Admin,
        }
    }

    /// What the capability allows, for error messages ("your role may not …").
    pub fn description(self) -> &'static str {
        match self {
            Self::ManageAccounts => "manage accounts (admins only)",
            Self::SeeAllContributions => "see every contribution (moderators and admins only)",
            Self::SeeAllContactDetails => "see every contact detail (moderators and admins only)",
            Self::SeeOwnOrganisationContributions => "see its organisation's contributions",
            Self::Contribute => "contribute",
            Self::Moderate => "moderate contributions (moderators and admins only)",
            Self::ManageReferenceData => "manage reference data (admins only)",
            Self::ManageThemes => "manage themes (moderators and admins only)",
            Self::RecordMeetings => "record meetings (moderators and admins only)",
            Self::ManagePersonalData => "manage other people's personal data (admins only)",
            Self::ManageWebhooks => "manage webhooks (admins only)",
            Self::ManageOwnOrganisationApiKeys => "manage its organisation's API keys",
            Self::ManageApiKeysOfAnyOrganisation => {
                "manage the API keys of every organisation (admins only)"
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_admins_manage_accounts() {
        assert!(Capability::ManageAccounts.is_granted_to(Role::Admin));
        assert!(!Capability::ManageAccounts.is_granted_to(Role::Moderator));
        assert!(!Capability::ManageAccounts.is_granted_to(Role::Partner));
    }

    #[test]
    fn only_admins_manage_reference_and_personal_data_moderators_also_themes_and_meetings() {
        for capability in [
            Capability::ManageReferenceData,
            Capability::ManagePersonalData,
        ] {
            assert!(capability.is_granted_to(Role::Admin));
            assert!(!capability.is_granted_to(Role::Moderator));
            assert!(!capability.is_granted_to(Role::Partner));
        }
        for capability in [Capability::ManageThemes, Capability::RecordMeetings] {
            assert!(capability.is_granted_to(Role::Admin));
            assert!(capability.is_granted_to(Role::Moderator));
            assert!(!capability.is_granted_to(Role::Partner));
        }
    }

    #[test]
    fn moderators_and_admins_see_everything_partners_do_not() {
        for capability in [
            Capability::SeeAllContributions,
            Capability::SeeAllContactDetails,
            Capability::Moderate,
        ] {
            assert!(capability.is_granted_to(Role::Moderator));
            assert!(capability.is_granted_to(Role::Admin));
            assert!(!capability.is_granted_to(Role::Partner));
        }
    }
}
