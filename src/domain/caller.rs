//! Who is making a request.

use entity::enums::Role;
use uuid::Uuid;

use super::{access::Capability, api_key::Scopes};
use crate::error::{AppError, AppResult};

/// The caller of a request: the public, an account proven by a valid token, or a tool
/// proven by a valid API key.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub enum Caller {
    /// No credentials: the public.
    #[default]
    Anonymous,
    /// A signed-in, active account, as the database holds it now (not as the token said).
    Account(Account),
    /// A tool with an API key that is neither expired nor revoked, as the database holds
    /// it now. It is no account: whatever asks for an account refuses it, and it may do only
    /// what its scopes grant, for its organisation.
    Key(KeyCaller),
}

/// An active account making a request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Account {
    pub id: Uuid,
    pub role: Role,
    /// The organisation a partner acts for; optional for moderators and admins.
    pub organisation_id: Option<Uuid>,
}

/// A tool making a request with an API key.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KeyCaller {
    pub id: Uuid,
    pub name: String,
    /// The one organisation it acts for.
    pub organisation_id: Uuid,
    pub scopes: Scopes,
}

/// Who writes a contribution: a person's account, or an API key acting for its
/// organisation (then no account: the audit log names the key).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Author {
    /// The account, when a person writes.
    pub user_id: Option<Uuid>,
    /// The key, when a tool writes.
    pub key_id: Option<Uuid>,
    /// The organisation it writes for.
    pub organisation_id: Option<Uuid>,
}

impl Author {
    /// Whether it writes for the organisation that owns a contribution.
    pub fn writes_for(&self, owner: Option<Uuid>) -> bool {
        owner.is_some() && self.organisation_id == owner
    }
}

impl Caller {
    pub fn account(&self) -> Option<&Account> {
        match self {
            Self::Account(account) => Some(account),
            Self::Anonymous | Self::Key(_) => None,
        }
    }

    pub fn key(&self) -> Option<&KeyCaller> {
        match self {
            Self::Key(key) => Some(key),
            Self::Anonymous | Self::Account(_) => None,
        }
    }

    /// Whether the caller came with credentials (a token or a key).
    pub fn is_anonymous(&self) -> bool {
        matches!(self, Self::Anonymous)
    }

    /// The organisation the caller acts for: a partner's, a key's.
    pub fn organisation_id(&self) -> Option<Uuid> {
        match self {
            Self::Anonymous => None,
            Self::Account(account) => account.organisation_id,
            Self::Key(key) => Some(key.organisation_id),
        }
    }

    /// Whether the caller's role, or its key's scopes, grant `capability`.
    pub fn can(&self, capability: Capability) -> bool {
        match self {
            Self::Anonymous => false,
            Self::Account(account) => capability.is_granted_to(account.role),
            Self::Key(key) => key.scopes.grant(capability),
        }
    }

    /// The caller's account when its role grants `capability`: UNAUTHENTICATED for the
    /// public, FORBIDDEN for an account without it and for an API key (a key never gets an
    /// account's rights; what a key may do goes through [`Caller::require_author`]).
    pub fn require(&self, capability: Capability) -> AppResult<&Account> {
        let account = self.require_account()?;
        if capability.is_granted_to(account.role) {
            Ok(account)
        } else {
            Err(AppError::Forbidden(format!(
                "your role may not {}",
                capability.description()
            )))
        }
    }

    /// The caller's account, or UNAUTHENTICATED (FORBIDDEN for an API key).
    pub fn require_account(&self) -> AppResult<&Account> {
        match self {
            Self::Account(account) => Ok(account),
            Self::Anonymous => Err(AppError::Unauthenticated(
                "sign in first: send `Authorization: Bearer <token>` from `login`".to_owned(),
            )),
            Self::Key(_) => Err(AppError::Forbidden(
                "an API key may not do this: only a person signed in with a token may".to_owned(),
            )),
        }
    }

    /// UNAUTHENTICATED for the public; any account or key passes.
    pub fn require_credentials(&self) -> AppResult<()> {
        match self {
            Self::Anonymous => Err(AppError::Unauthenticated(
                "sign in first: send `Authorization: Bearer <token>` from `login`, or an API \
                 key"
                .to_owned(),
            )),
            Self::Account(_) | Self::Key(_) => Ok(()),
        }
    }

    /// Who writes when the caller contributes: an account whose role contributes, or a key
    /// with the CONTRIBUTE scope. UNAUTHENTICATED for the public, FORBIDDEN otherwise.
    pub fn require_author(&self) -> AppResult<Author> {
        match self {
            Self::Key(key) => {
                if key.scopes.grant(Capability::Contribute) {
                    Ok(Author {
                        user_id: None,
                        key_id: Some(key.id),
                        organisation_id: Some(key.organisation_id),
                    })
                } else {
                    Err(AppError::Forbidden(
                        "this API key may not contribute: it needs the CONTRIBUTE scope".to_owned(),
                    ))
                }
            }
            _ => {
                let account = self.require(Capability::Contribute)?;
                Ok(Author {
                    user_id: Some(account.id),
                    key_id: None,
                    organisation_id: account.organisation_id,
                })
            }
        }
    }

    /// Whether the caller may follow the moderation of a contribution written for
    /// `organisation` (its queue item, its audit log): moderators and admins every one,
    /// partners (and keys that read drafts) their own organisation's.
    pub fn may_follow_moderation_of(&self, organisation: Option<Uuid>) -> bool {
        self.can(Capability::Moderate)
            || (organisation.is_some()
                && self.organisation_id() == organisation
                && self.can(Capability::SeeOwnOrganisationContributions))
    }

    /// Whether the caller is the account `user_id`.
    pub fn is(&self, user_id: Uuid) -> bool {
        self.account().is_some_and(|account| account.id == user_id)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::api_key::Scope;

    fn key(scopes: &[Scope]) -> Caller {
        Caller::Key(KeyCaller {
            id: Uuid::now_v7(),
            name: "site".to_owned(),
            organisation_id: Uuid::from_u128(7),
            scopes: Scopes::parse("scopes", scopes.iter().copied()).unwrap(),
        })
    }

    #[test]
    fn a_key_is_no_account_and_never_moderates() {
        let caller = key(&[Scope::ReadDrafts, Scope::Contribute]);
        assert!(caller.account().is_none());
        assert!(!caller.can(Capability::Moderate));
        assert_eq!(
            caller.require(Capability::Moderate).unwrap_err().code(),
            "FORBIDDEN"
        );
        assert_eq!(caller.require_account().unwrap_err().code(), "FORBIDDEN");
        assert!(!caller.is(Uuid::from_u128(7)));
    }

    #[test]
    fn a_key_writes_for_its_organisation_only_with_the_contribute_scope() {
        let author = key(&[Scope::Contribute]).require_author().unwrap();
        assert_eq!(author.user_id, None);
        assert!(author.key_id.is_some());
        assert!(author.writes_for(Some(Uuid::from_u128(7))));
        assert!(!author.writes_for(Some(Uuid::from_u128(8))));
        let reader = key(&[Scope::ReadDrafts]);
        assert_eq!(reader.require_author().unwrap_err().code(), "FORBIDDEN");
        assert!(reader.may_follow_moderation_of(Some(Uuid::from_u128(7))));
        assert!(!reader.may_follow_moderation_of(Some(Uuid::from_u128(8))));
        assert!(!reader.may_follow_moderation_of(None));
    }
}
