//! Demo accounts, created only when asked (`communs seed-demo --with-accounts`): one of each
//! role, with random passwords printed once.

use entity::enums::Role;
use sea_orm::DatabaseConnection;

use crate::{
    accounts::{self, NewUser},
    domain::account::{DisplayName, Email},
    error::{AppError, AppResult},
    store::{reference::organisation_by_slug, users},
};

/// The organisation the demo partner acts for: the region's resource centre.
const PARTNER_ORGANISATION: &str = "citoyens-et-territoires-grand-est";

const ACCOUNTS: [(&str, &str, Role); 3] = [
    ("admin@demo.communs.invalid", "Admin (démo)", Role::Admin),
    (
        "moderation@demo.communs.invalid",
        "Modération (démo)",
        Role::Moderator,
    ),
    (
        "partenaire@demo.communs.invalid",
        "Partenaire (démo)",
        Role::Partner,
    ),
];

/// A demo account, and its password when this run created it.
#[derive(Debug)]
pub struct DemoAccount {
    pub email: &'static str,
    pub role: Role,
    /// `None` when the account already existed: its password was left as it was.
    pub password: Option<String>,
}

/// Creates the demo accounts that do not exist yet (the demo catalogue must be loaded).
pub async fn create(db: &DatabaseConnection) -> AppResult<Vec<DemoAccount>> {
    let organisation = organisation_by_slug(db, PARTNER_ORGANISATION)
        .await?
        .ok_or_else(|| {
            AppError::internal(format!(
                "demo accounts: the organisation {PARTNER_ORGANISATION} is missing"
            ))
        })?;
    let mut created = Vec::new();
    for (email, name, role) in ACCOUNTS {
        let parsed = Email::parse("email", email)?;
        if users::by_email(db, &parsed).await?.is_some() {
            created.push(DemoAccount {
                email,
                role,
                password: None,
            });
            continue;
        }
        let (_, password) = accounts::create_user(
            db,
            NewUser {
                email: parsed,
                display_name: DisplayName::parse("displayName", name)?,
                role,
                organisation_id: (role == Role::Partner).then_some(organisation.id),
                password: None,
            },
        )
        .await?;
        created.push(DemoAccount {
            email,
            role,
            password,
        });
    }
    Ok(created)
}
