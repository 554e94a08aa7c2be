//! People's data rights (GDPR): choosing who sees one's contact details, getting a copy of
//! everything held about oneself, and erasure. The person's own account or an admin may
//! change the visibility and export; only an admin erases.

use entity::{
    enums::{ContactVisibility, ModerationAction, SubjectType},
    initiative, initiative_contact, meeting, meeting_participant, moderation_event, organisation,
    position, professional, slug_alias, territory, user,
};
use sea_orm::{
    ColumnTrait, DatabaseConnection, EntityTrait, QueryFilter, QueryOrder, Set, TransactionTrait,
    sea_query::Expr,
};
use serde_json::{Value, json};
use uuid::Uuid;

use crate::{
    domain::{
        access::Capability,
        caller::{Account, Caller},
        erasure::{ErasedKind, ErasureKey},
        time::rfc3339,
    },
    error::{AppError, AppResult},
    events::{self, Audience, ChangeKind},
    store::{
        curation::{self, ReferenceKind},
        tombstones,
    },
};

fn no_such_person() -> AppError {
    AppError::NotFound("no such professional".to_owned())
}

/// The professional, when the caller is an admin or the person's own account. Anyone
/// else is told FORBIDDEN, whether or not the person exists.
async fn own_or_managed<'a>(
    db: &impl sea_orm::ConnectionTrait,
    caller: &'a Caller,
    id: Uuid,
) -> AppResult<(&'a Account, professional::Model)> {
    let account = caller.require_account()?;
    let found = professional::Entity::find_by_id(id).one(db).await?;
    let allowed = caller.can(Capability::ManagePersonalData)
        || found
            .as_ref()
            .and_then(|person| person.user_id)
            .is_some_and(|user_id| caller.is(user_id));
    if !allowed {
        return Err(AppError::Forbidden(
            "only the person's own account or an admin may do this".to_owned(),
        ));
    }
    Ok((account, found.ok_or_else(no_such_person)?))
}

/// Sets who may see the person's e-mail and phone; logged without the contact details.
#[tracing::instrument(skip_all, fields(professional_id = %id))]
pub async fn set_contact_visibility(
    db: &DatabaseConnection,
    caller: &Caller,
    id: Uuid,
    visibility: ContactVisibility,
) -> AppResult<professional::Model> {
    let txn = db.begin().await?;
    let (account, found) = own_or_managed(&txn, caller, id).await?;
    let before = found.contact_visibility;
    let mut row: professional::ActiveModel = found.into();
    row.contact_visibility = Set(visibility);
    row.updated_at = Set(chrono::Utc::now());
    // An erasure may remove the person between the read and the write.
    let updated =
        professional::Entity::update(row)
            .exec(&txn)
            .await
            .map_err(|error| match error {
                sea_orm::DbErr::RecordNotUpdated => no_such_person(),
                other => AppError::from(other),
            })?;
    curation::log_event(
        &txn,
        SubjectType::Professional,
        id,
        account.id,
        ModerationAction::ChangeVisibility,
        Some(format!("{} -> {}", before.as_str(), visibility.as_str())),
    )
    .await?;
    if before != visibility {
        events::record(
            &txn,
            &[super::contact_visibility_changed(id)],
            updated.updated_at,
        )
        .await?;
    }
    txn.commit().await?;
    tracing::info!("contact visibility changed");
    Ok(updated)
}

fn date(value: Option<chrono::NaiveDate>) -> Value {
    value.map_or(Value::Null, |day| json!(day.to_string()))
}

/// Everything held about the person, as one JSON document: the person, their account,
/// positions, meeting participations, initiatives naming them as contact, former slugs,
/// and the audit events about them.
#[tracing::instrument(skip_all, fields(professional_id = %id))]
pub async fn export(db: &DatabaseConnection, caller: &Caller, id: Uuid) -> AppResult<Value> {
    let (_, person) = own_or_managed(db, caller, id).await?;
    let account = match person.user_id {
        Some(user_id) => user::Entity::find_by_id(user_id).one(db).await?,
        None => None,
    };
    let positions = position::Entity::find()
        .filter(position::Column::ProfessionalId.eq(id))
        .order_by_asc(position::Column::StartedOn)
        .all(db)
        .await?;
    let organisation_ids: Vec<Uuid> = positions.iter().map(|p| p.organisation_id).collect();
    let organisations = organisation::Entity::find()
        .filter(organisation::Column::Id.is_in(organisation_ids))
        .all(db)
        .await?;
    let territory_ids: Vec<Uuid> = positions.iter().filter_map(|p| p.territory_id).collect();
    let territories = territory::Entity::find()
        .filter(territory::Column::Id.is_in(territory_ids))
        .all(db)
        .await?;
    let participations = meeting_participant::Entity::find()
        .filter(meeting_participant::Column::ProfessionalId.eq(id))
        .all(db)
        .await?;
    let meetings = meeting::Entity::find()
        .filter(meeting::Column::Id.is_in(participations.iter().map(|p| p.meeting_id)))
        .all(db)
        .await?;
    let contacts = initiative_contact::Entity::find()
        .filter(initiative_contact::Column::ProfessionalId.eq(id))
        .all(db)
        .await?;
    // Only the initiatives the caller may see: a person exporting their own data must not
    // learn of another organisation's drafts that name them (an admin sees them all).
    let initiatives = initiative::Entity::find()
        .filter(initiative::Column::Id.is_in(contacts.iter().map(|c| c.initiative_id)))
        .filter(crate::store::initiatives::visible(
            &crate::domain::visibility::ContributionScope::for_caller(caller),
        ))
        .all(db)
        .await?;
    let aliases = slug_alias::Entity::find()
        .filter(slug_alias::Column::Kind.eq(ReferenceKind::Professional.table()))
        .filter(slug_alias::Column::TargetId.eq(id))
        .all(db)
        .await?;
    let events = moderation_event::Entity::find()
        .filter(moderation_event::Column::SubjectId.eq(id))
        .order_by_asc(moderation_event::Column::CreatedAt)
        .all(db)
        .await?;
    let name_of_organisation = |id: Uuid| {
        organisations
            .iter()
            .find(|o| o.id == id)
            .map(|o| o.name.clone())
    };
    let name_of_territory = |id: Option<Uuid>| {
        id.and_then(|id| territories.iter().find(|t| t.id == id))
            .map(|t| t.name.clone())
    };
    Ok(json!({
        "professional": {
            "id": format!("Professional:{}", person.id),
            "givenName": person.given_name,
            "familyName": person.family_name,
            "slug": person.slug,
            "formerSlugs": aliases.iter().map(|alias| alias.slug.clone()).collect::<Vec<_>>(),
            "email": person.email,
            "phone": person.phone,
            "contactVisibility": person.contact_visibility.as_str(),
            "createdAt": rfc3339(person.created_at),
            "updatedAt": rfc3339(person.updated_at),
        },
        "account": account.map(|account| json!({
            "id": format!("User:{}", account.id),
            "email": account.email,
            "displayName": account.display_name,
            "role": account.role.as_str(),
            "isActive": account.is_active,
            "createdAt": rfc3339(account.created_at),
            "lastLoginAt": account.last_login_at.map(rfc3339),
        })),
        "positions": positions.iter().map(|p| json!({
            "id": format!("Position:{}", p.id),
            "jobTitle": p.job_title,
            "field": p.field,
            "organisation": name_of_organisation(p.organisation_id),
            "territory": name_of_territory(p.territory_id),
            "startedOn": date(p.started_on),
            "endedOn": date(p.ended_on),
        })).collect::<Vec<_>>(),
        "meetingParticipations": participations.iter().map(|p| {
            let meeting = meetings.iter().find(|m| m.id == p.meeting_id);
            json!({
                "meeting": meeting.map(|m| m.title.clone()),
                "meetingSlug": meeting.map(|m| m.slug.clone()),
                "heldOn": date(meeting.map(|m| m.held_on)),
                "role": p.role.as_str(),
                "jobTitle": p.job_title,
            })
        }).collect::<Vec<_>>(),
        "initiativeContacts": initiatives.iter().map(|i| json!({
            "initiative": i.title,
            "slug": i.slug,
            "status": i.status.as_str(),
        })).collect::<Vec<_>>(),
        "auditEvents": events.iter().map(|e| json!({
            "action": e.action.as_str(),
            "at": rfc3339(e.created_at),
        })).collect::<Vec<_>>(),
    }))
}

/// What an erasure left behind, without any of the erased data.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ErasureReport {
    /// Meeting participations kept as anonymous traces (the meeting had one participant).
    pub anonymous_participations: u64,
    pub positions_removed: u64,
    pub contacts_removed: u64,
    /// Whether the person had an account, now deactivated and stripped of its e-mail
    /// address and name.
    pub account_erased: bool,
}

/// Deactivates the person's account (revoking its tokens) and replaces its e-mail address
/// and display name; its id stays, so that the contributions it made keep an author.
async fn erase_account<C: sea_orm::ConnectionTrait>(db: &C, user_id: Uuid) -> AppResult<bool> {
    let Some(account) = user::Entity::find_by_id(user_id).one(db).await? else {
        return Ok(false);
    };
    if account.role == entity::enums::Role::Admin
        && account.is_active
        && crate::store::users::active_admins(db).await? <= 1
    {
        return Err(AppError::Conflict(
            "this person's account is the last active admin: make another admin first".to_owned(),
        ));
    }
    let version = account.token_version;
    let mut row: user::ActiveModel = account.into();
    row.email = Set(format!("erased-{}@erased.invalid", user_id.simple()));
    row.display_name = Set("Compte effacé".to_owned());
    row.is_active = Set(false);
    row.token_version = Set(version + 1);
    row.updated_at = Set(chrono::Utc::now());
    crate::store::users::update(db, row).await?;
    Ok(true)
}

/// Erases a person: their positions, initiative contacts, former slugs and the person
/// row go; their meeting participations stay as anonymous traces (role only); their
/// account, if any, is deactivated and loses its e-mail address and name. A tombstone
/// (keyed digests of their slug and former slugs, see `domain::erasure`) keeps every later
/// seed or import from bringing them back. Logged with counts only.
#[tracing::instrument(skip_all, fields(professional_id = %id))]
pub async fn erase(
    db: &DatabaseConnection,
    key: &ErasureKey,
    actor: &Account,
    id: Uuid,
) -> AppResult<ErasureReport> {
    let txn = db.begin().await?;
    let person = professional::Entity::find_by_id(id)
        .one(&txn)
        .await?
        .ok_or_else(no_such_person)?;
    let account_erased = match person.user_id {
        Some(user_id) => erase_account(&txn, user_id).await?,
        None => false,
    };
    let anonymous = meeting_participant::Entity::update_many()
        .col_expr(
            meeting_participant::Column::ProfessionalId,
            Expr::value(Option::<Uuid>::None),
        )
        .col_expr(
            meeting_participant::Column::JobTitle,
            Expr::value(Option::<String>::None),
        )
        .filter(meeting_participant::Column::ProfessionalId.eq(id))
        .exec(&txn)
        .await?;
    let contacts = initiative_contact::Entity::delete_many()
        .filter(initiative_contact::Column::ProfessionalId.eq(id))
        .exec(&txn)
        .await?;
    let positions = position::Entity::delete_many()
        .filter(position::Column::ProfessionalId.eq(id))
        .exec(&txn)
        .await?;
    let former_slugs = curation::forget_aliases(&txn, ReferenceKind::Professional, id).await?;
    tombstones::record(
        &txn,
        key,
        ErasedKind::Professional,
        std::iter::once(person.slug.as_str()).chain(former_slugs.iter().map(String::as_str)),
    )
    .await?;
    professional::Entity::delete_by_id(id).exec(&txn).await?;
    let report = ErasureReport {
        anonymous_participations: anonymous.rows_affected,
        positions_removed: positions.rows_affected,
        contacts_removed: contacts.rows_affected,
        account_erased,
    };
    curation::log_event(
        &txn,
        SubjectType::Professional,
        id,
        actor.id,
        ModerationAction::Erase,
        Some(format!(
            "personal data erased: {} positions, {} initiative contacts removed; \
             {} meeting participations kept anonymous; account erased: {}",
            report.positions_removed,
            report.contacts_removed,
            report.anonymous_participations,
            report.account_erased
        )),
    )
    .await?;
    // Public, so that every copy of the catalogue deletes the person: ids only.
    let mut changes = vec![events::Change::new(
        ChangeKind::PersonErased,
        events::Subject::professional(id),
        Audience::Public,
    )];
    if let Some(user_id) = person.user_id.filter(|_| account_erased) {
        changes.push(crate::accounts::account_changed(user_id));
    }
    events::record(&txn, &changes, chrono::Utc::now()).await?;
    txn.commit().await?;
    tracing::info!(?report, "personal data erased");
    Ok(report)
}
