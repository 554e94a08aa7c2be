//! Who is making a request.

use entity::enums::Role;
use uuid::Uuid;

use super::access::Capability;
use crate::error::{AppError, AppResult};

/// The caller of a request: the public, or an account proven by a valid token.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub enum Caller {
    /// No credentials: the public.
    #[default]
    Anonymous,
    /// A signed-in, active account, as the database holds it now (not as the token said).
    Account(Account),
}

/// An active account making a request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Account {
    pub id: Uuid,
    pub role: Role,
    /// The organisation a partner acts for; optional for moderators and admins.
    pub organisation_id: Option<Uuid>,
}

impl Caller {
    pub fn account(&self) -> Option<&Account> {
        match self {
            Self::Anonymous => None,
            Self::Account(account) => Some(account),
        }
    }

    /// Whether the caller's role grants `capability`.
    pub fn can(&self, capability: Capability) -> bool {
        self.account()
            .is_some_and(|account| capability.is_granted_to(account.role))
    }

    /// The caller's account when its role grants `capability`: UNAUTHENTICATED for the
    /// public, FORBIDDEN for an account without it.
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

    /// The caller's account, or UNAUTHENTICATED.
    pub fn require_account(&self) -> AppResult<&Account> {
        self.account().ok_or_else(|| {
            AppError::Unauthenticated(
                "sign in first: send `Authorization: Bearer <token>` from `login`".to_owned(),
            )
        })
    }

    /// Whether the caller may follow the moderation of a contribution written for
    /// `organisation` (its queue item, its audit log): moderators and admins every one,
    /// partners their own organisation's.
    pub fn may_follow_moderation_of(&self, organisation: Option<Uuid>) -> bool {
        self.can(Capability::Moderate)
            || organisation.is_some_and(|owner| {
                self.account()
                    .is_some_and(|account| account.organisation_id == Some(owner))
            })
    }

    /// Whether the caller is the account `user_id`.
    pub fn is(&self, user_id: Uuid) -> bool {
        self.account().is_some_and(|account| account.id == user_id)
    }
}
