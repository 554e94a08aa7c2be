//! Keeping reference data clean: creating, changing, deleting and merging territories,
//! themes, organisations, professionals and positions; loading the official territories;
//! and people's data rights. Each function checks the rules and writes its change in one
//! transaction, logged in the audit log where history needs it.

pub mod backup;
pub mod meetings;
pub mod personal_data;
pub mod territory_import;

use chrono::{NaiveDate, Utc};
use entity::{
    enums::{ContactVisibility, ModerationAction, OrganisationKind, TerritoryKind},
    initiative_territory, organisation, position, professional, territory, territory_parent, theme,
    user,
};
use sea_orm::{
    ColumnTrait, ConnectionTrait, DatabaseConnection, EntityTrait, QueryFilter, QuerySelect, Set,
    TransactionTrait,
};
use uuid::Uuid;

use crate::{
    domain::{
        account::Email,
        caller::Account,
        reference::{Name, OfficialCode, WebUrl, check_period, slug_from},
        revision::Reviser,
        text::{person_sort_key, sort_key},
    },
    error::{AppError, AppResult},
    events,
    store::{
        curation::{self, ReferenceKind},
        places, revisions,
    },
};

/// A change to an optional value: `None` leaves it, `Some(None)` clears it.
pub type Change<T> = Option<Option<T>>;

fn not_found(kind: ReferenceKind) -> AppError {
    AppError::NotFound(format!("no such {}", kind.table()))
}

/// CONFLICT naming what still references the row, unless nothing does.
async fn refuse_if_referenced<C: ConnectionTrait>(
    db: &C,
    kind: ReferenceKind,
    id: Uuid,
) -> AppResult<()> {
    let references = curation::references_to(db, kind, id).await?;
    if references.is_empty() {
        return Ok(());
    }
    let listed: Vec<String> = references
        .iter()
        .map(|(label, count)| format!("{count} {label}"))
        .collect();
    Err(AppError::Conflict(format!(
        "this {} is still referenced by {}: name a replacement to move them to",
        kind.table(),
        listed.join(", ")
    )))
}

pub(crate) async fn check_exists<C: ConnectionTrait>(
    db: &C,
    kind: ReferenceKind,
    field: &str,
    id: Uuid,
) -> AppResult<()> {
    let found = match kind {
        ReferenceKind::Territory => territory::Entity::find_by_id(id).one(db).await?.is_some(),
        ReferenceKind::Theme => theme::Entity::find_by_id(id).one(db).await?.is_some(),
        ReferenceKind::Organisation => organisation::Entity::find_by_id(id)
            .one(db)
            .await?
            .is_some(),
        ReferenceKind::Professional => professional::Entity::find_by_id(id)
            .one(db)
            .await?
            .is_some(),
        ReferenceKind::Meeting => entity::meeting::Entity::find_by_id(id)
            .one(db)
            .await?
            .is_some(),
    };
    if found {
        Ok(())
    } else {
        Err(AppError::bad_input(
            field,
            format!("no {} has this id", kind.table()),
        ))
    }
}

/// Deletes the row `id` of `kind` (already loaded, so known to exist, with its `slug`):
/// refused with CONFLICT while referenced, unless `replacement` names the row to move the
/// references to; the row's slugs then resolve to the replacement.
pub(crate) async fn delete_row<C: ConnectionTrait>(
    db: &C,
    actor: &Account,
    kind: ReferenceKind,
    (id, slug): (Uuid, &str),
    replacement: Option<Uuid>,
) -> AppResult<()> {
    match replacement {
        Some(replacement) => {
            if replacement == id {
                return Err(AppError::bad_input(
                    "input.replacementId",
                    "the replacement must be another row",
                ));
            }
            check_exists(db, kind, "input.replacementId", replacement).await?;
            let revised = revisions_before_move(db, kind, id).await?;
            curation::move_references(db, kind, id, replacement).await?;
            curation::move_aliases(db, kind, id, replacement).await?;
            curation::add_alias(db, kind, slug, replacement).await?;
            let comment = format!("the {} {slug} was replaced by another", kind.table());
            revisions_after_move(db, actor, &revised, &comment).await?;
        }
        None => {
            refuse_if_referenced(db, kind, id).await?;
            curation::forget_aliases(db, kind, id).await?;
        }
    }
    curation::delete(db, kind, id).await?;
    curation::log_event(
        db,
        kind.subject_type(),
        id,
        actor.id,
        ModerationAction::Delete,
        replacement.map(|to| format!("references moved to {to}")),
    )
    .await
}

/// Moves everything of `merged` to `kept` (references, old slugs, its own slug as an
/// alias), deletes it, and logs the merge on the kept row.
async fn merge_rows<C: ConnectionTrait>(
    db: &C,
    actor: &Account,
    kind: ReferenceKind,
    kept: Uuid,
    merged: Uuid,
    merged_slug: &str,
) -> AppResult<()> {
    let revised = revisions_before_move(db, kind, merged).await?;
    curation::move_references(db, kind, merged, kept).await?;
    curation::move_aliases(db, kind, merged, kept).await?;
    curation::delete(db, kind, merged).await?;
    curation::add_alias(db, kind, merged_slug, kept).await?;
    let comment = format!("the {} {merged_slug} was merged into another", kind.table());
    revisions_after_move(db, actor, &revised, &comment).await?;
    curation::log_event(
        db,
        kind.subject_type(),
        kept,
        actor.id,
        ModerationAction::Merge,
        Some(format!("merged {merged} into this {}", kind.table())),
    )
    .await
}

/// The published initiatives whose history a move of the references to `from` changes,
/// with their state before it kept as a baseline where they have no history yet.
async fn revisions_before_move<C: ConnectionTrait>(
    db: &C,
    kind: ReferenceKind,
    from: Uuid,
) -> AppResult<Vec<Uuid>> {
    let published = revisions::published_referring_to(db, kind, from).await?;
    for initiative in &published {
        revisions::keep_baseline(db, initiative).await?;
    }
    Ok(published
        .into_iter()
        .map(|initiative| initiative.id)
        .collect())
}

/// A revision for each of the `revised` initiatives after a move of references.
async fn revisions_after_move<C: ConnectionTrait>(
    db: &C,
    actor: &Account,
    revised: &[Uuid],
    comment: &str,
) -> AppResult<()> {
    let reviser = Reviser::account(actor);
    let now = Utc::now();
    for id in revised {
        revisions::record(db, *id, &reviser, Some(comment), now).await?;
    }
    Ok(())
}

/// The type name of `kind`'s nodes, as in global ids.
pub(crate) fn node_type(kind: ReferenceKind) -> &'static str {
    match kind {
        ReferenceKind::Territory => "Territory",
        ReferenceKind::Theme => "Theme",
        ReferenceKind::Organisation => "Organisation",
        ReferenceKind::Professional => "Professional",
        ReferenceKind::Meeting => "Meeting",
    }
}

/// Appends the REFERENCE_CHANGED of the rows `ids` of `kind` to the change stream, as the
/// transaction's last write.
pub(crate) async fn record_reference_changes<C: ConnectionTrait>(
    db: &C,
    kind: ReferenceKind,
    ids: &[Uuid],
) -> AppResult<()> {
    let changes = events::reference_changes(node_type(kind), ids);
    events::record(db, &changes, Utc::now()).await?;
    Ok(())
}

/// The rows a deletion changes: the one deleted, and the replacement that took its
/// references.
pub(crate) fn deleted_rows(id: Uuid, replacement: Option<Uuid>) -> Vec<Uuid> {
    std::iter::once(id).chain(replacement).collect()
}

fn same_rows(field: &str) -> AppError {
    AppError::bad_input(field, "cannot merge a row with itself")
}

// ----------------------------------------------------------------------------- themes

/// A theme's values, as an input gives them.
#[derive(Debug, Default)]
pub struct ThemeFields {
    pub name: Option<Name>,
    pub description: Change<String>,
    pub parent_id: Change<Uuid>,
    pub position: Option<i32>,
}

async fn check_theme_parent<C: ConnectionTrait>(
    db: &C,
    id: Uuid,
    parent_id: Option<Uuid>,
) -> AppResult<()> {
    let Some(parent_id) = parent_id else {
        return Ok(());
    };
    let field = "input.parentId";
    if parent_id == id {
        return Err(AppError::bad_input(field, "a theme cannot contain itself"));
    }
    let parent = theme::Entity::find_by_id(parent_id)
        .one(db)
        .await?
        .ok_or_else(|| AppError::bad_input(field, "no theme has this id"))?;
    if parent.parent_id.is_some() {
        return Err(AppError::bad_input(
            field,
            "themes have two levels: the parent must be a top-level theme",
        ));
    }
    let children = theme::Entity::find()
        .filter(theme::Column::ParentId.eq(id))
        .one(db)
        .await?;
    if children.is_some() {
        return Err(AppError::bad_input(
            field,
            "this theme has sub-themes, so it must stay top-level",
        ));
    }
    Ok(())
}

pub async fn create_theme(
    db: &DatabaseConnection,
    actor: &Account,
    name: Name,
    fields: ThemeFields,
) -> AppResult<theme::Model> {
    let txn = db.begin().await?;
    let id = Uuid::now_v7();
    let parent_id = fields.parent_id.flatten();
    check_theme_parent(&txn, id, parent_id).await?;
    let slug =
        curation::unique_slug(&txn, ReferenceKind::Theme, &slug_from(name.as_str()), id).await?;
    let now = Utc::now();
    let created = theme::Entity::insert(theme::ActiveModel {
        id: Set(id),
        sort_name: Set(sort_key(name.as_str())),
        name: Set(name.into_inner()),
        slug: Set(slug),
        description: Set(fields.description.flatten()),
        parent_id: Set(parent_id),
        position: Set(fields.position.unwrap_or(0)),
        created_at: Set(now),
        updated_at: Set(now),
    })
    .exec_with_returning(&txn)
    .await?;
    record_reference_changes(&txn, ReferenceKind::Theme, &[created.id]).await?;
    txn.commit().await?;
    tracing::info!(theme_id = %created.id, actor_id = %actor.id, "theme created");
    Ok(created)
}

pub async fn update_theme(
    db: &DatabaseConnection,
    id: Uuid,
    fields: ThemeFields,
) -> AppResult<theme::Model> {
    let txn = db.begin().await?;
    let found = theme::Entity::find_by_id(id)
        .one(&txn)
        .await?
        .ok_or_else(|| not_found(ReferenceKind::Theme))?;
    let mut row: theme::ActiveModel = found.clone().into();
    if let Some(parent_id) = fields.parent_id {
        check_theme_parent(&txn, id, parent_id).await?;
        row.parent_id = Set(parent_id);
    }
    if let Some(name) = fields.name {
        let slug = curation::unique_slug(&txn, ReferenceKind::Theme, &slug_from(name.as_str()), id)
            .await?;
        curation::keep_old_slug(&txn, ReferenceKind::Theme, id, &found.slug, &slug).await?;
        row.slug = Set(slug);
        row.sort_name = Set(sort_key(name.as_str()));
        row.name = Set(name.into_inner());
    }
    if let Some(description) = fields.description {
        row.description = Set(description);
    }
    if let Some(position) = fields.position {
        row.position = Set(position);
    }
    row.updated_at = Set(Utc::now());
    let updated = theme::Entity::update(row).exec(&txn).await?;
    record_reference_changes(&txn, ReferenceKind::Theme, &[id]).await?;
    txn.commit().await?;
    Ok(updated)
}

pub async fn delete_theme(
    db: &DatabaseConnection,
    actor: &Account,
    id: Uuid,
    replacement: Option<Uuid>,
) -> AppResult<()> {
    let txn = db.begin().await?;
    let found = theme::Entity::find_by_id(id)
        .one(&txn)
        .await?
        .ok_or_else(|| not_found(ReferenceKind::Theme))?;
    delete_row(
        &txn,
        actor,
        ReferenceKind::Theme,
        (id, &found.slug),
        replacement,
    )
    .await?;
    record_reference_changes(&txn, ReferenceKind::Theme, &deleted_rows(id, replacement)).await?;
    txn.commit().await?;
    Ok(())
}

/// Merges the theme `merged` into `kept`: its initiatives and sub-themes move to `kept`.
pub async fn merge_themes(
    db: &DatabaseConnection,
    actor: &Account,
    kept: Uuid,
    merged: Uuid,
) -> AppResult<theme::Model> {
    if kept == merged {
        return Err(same_rows("input.mergedId"));
    }
    let txn = db.begin().await?;
    let kept_row = theme::Entity::find_by_id(kept)
        .one(&txn)
        .await?
        .ok_or_else(|| AppError::bad_input("input.keptId", "no theme has this id"))?;
    let merged_row = theme::Entity::find_by_id(merged)
        .one(&txn)
        .await?
        .ok_or_else(|| AppError::bad_input("input.mergedId", "no theme has this id"))?;
    if kept_row.parent_id.is_some() {
        let has_children = theme::Entity::find()
            .filter(theme::Column::ParentId.eq(merged))
            .one(&txn)
            .await?
            .is_some();
        if kept_row.parent_id == Some(merged) || has_children {
            return Err(AppError::bad_input(
                "input.keptId",
                "themes have two levels: a sub-theme cannot take in sub-themes",
            ));
        }
    }
    merge_rows(
        &txn,
        actor,
        ReferenceKind::Theme,
        kept,
        merged,
        &merged_row.slug,
    )
    .await?;
    record_reference_changes(&txn, ReferenceKind::Theme, &[kept, merged]).await?;
    txn.commit().await?;
    Ok(kept_row)
}

// ---------------------------------------------------------------------- organisations

/// An organisation's values, as an input gives them.
#[derive(Debug, Default)]
pub struct OrganisationFields {
    pub name: Option<Name>,
    pub kind: Option<OrganisationKind>,
    pub territory_id: Change<Uuid>,
    pub website: Change<WebUrl>,
    pub description: Change<String>,
}

pub async fn create_organisation(
    db: &DatabaseConnection,
    name: Name,
    kind: OrganisationKind,
    fields: OrganisationFields,
) -> AppResult<organisation::Model> {
    let txn = db.begin().await?;
    let id = Uuid::now_v7();
    let territory_id = fields.territory_id.flatten();
    if let Some(territory_id) = territory_id {
        check_exists(
            &txn,
            ReferenceKind::Territory,
            "input.territoryId",
            territory_id,
        )
        .await?;
    }
    let slug = curation::unique_slug(
        &txn,
        ReferenceKind::Organisation,
        &slug_from(name.as_str()),
        id,
    )
    .await?;
    let now = Utc::now();
    let created = organisation::Entity::insert(organisation::ActiveModel {
        id: Set(id),
        sort_name: Set(sort_key(name.as_str())),
        name: Set(name.into_inner()),
        slug: Set(slug),
        kind: Set(kind),
        territory_id: Set(territory_id),
        website: Set(fields.website.flatten().map(WebUrl::into_inner)),
        description: Set(fields.description.flatten()),
        created_at: Set(now),
        updated_at: Set(now),
    })
    .exec_with_returning(&txn)
    .await?;
    record_reference_changes(&txn, ReferenceKind::Organisation, &[created.id]).await?;
    txn.commit().await?;
    Ok(created)
}

pub async fn update_organisation(
    db: &DatabaseConnection,
    id: Uuid,
    fields: OrganisationFields,
) -> AppResult<organisation::Model> {
    let txn = db.begin().await?;
    let found = organisation::Entity::find_by_id(id)
        .one(&txn)
        .await?
        .ok_or_else(|| not_found(ReferenceKind::Organisation))?;
    let mut row: organisation::ActiveModel = found.clone().into();
    if let Some(name) = fields.name {
        let kind = ReferenceKind::Organisation;
        let slug = curation::unique_slug(&txn, kind, &slug_from(name.as_str()), id).await?;
        curation::keep_old_slug(&txn, kind, id, &found.slug, &slug).await?;
        row.slug = Set(slug);
        row.sort_name = Set(sort_key(name.as_str()));
        row.name = Set(name.into_inner());
    }
    if let Some(kind) = fields.kind {
        row.kind = Set(kind);
    }
    if let Some(territory_id) = fields.territory_id {
        if let Some(territory_id) = territory_id {
            check_exists(
                &txn,
                ReferenceKind::Territory,
                "input.territoryId",
                territory_id,
            )
            .await?;
        }
        row.territory_id = Set(territory_id);
    }
    if let Some(website) = fields.website {
        row.website = Set(website.map(WebUrl::into_inner));
    }
    if let Some(description) = fields.description {
        row.description = Set(description);
    }
    row.updated_at = Set(Utc::now());
    let updated = organisation::Entity::update(row).exec(&txn).await?;
    record_reference_changes(&txn, ReferenceKind::Organisation, &[id]).await?;
    txn.commit().await?;
    Ok(updated)
}

pub async fn delete_organisation(
    db: &DatabaseConnection,
    actor: &Account,
    id: Uuid,
    replacement: Option<Uuid>,
) -> AppResult<()> {
    let txn = db.begin().await?;
    let found = organisation::Entity::find_by_id(id)
        .one(&txn)
        .await?
        .ok_or_else(|| not_found(ReferenceKind::Organisation))?;
    delete_row(
        &txn,
        actor,
        ReferenceKind::Organisation,
        (id, &found.slug),
        replacement,
    )
    .await?;
    record_reference_changes(
        &txn,
        ReferenceKind::Organisation,
        &deleted_rows(id, replacement),
    )
    .await?;
    txn.commit().await?;
    Ok(())
}

/// Merges the organisation `merged` into `kept`: accounts, positions, meetings,
/// initiatives and experiences move to `kept`.
pub async fn merge_organisations(
    db: &DatabaseConnection,
    actor: &Account,
    kept: Uuid,
    merged: Uuid,
) -> AppResult<organisation::Model> {
    if kept == merged {
        return Err(same_rows("input.mergedId"));
    }
    let txn = db.begin().await?;
    let kept_row = organisation::Entity::find_by_id(kept)
        .one(&txn)
        .await?
        .ok_or_else(|| AppError::bad_input("input.keptId", "no organisation has this id"))?;
    let merged_row = organisation::Entity::find_by_id(merged)
        .one(&txn)
        .await?
        .ok_or_else(|| AppError::bad_input("input.mergedId", "no organisation has this id"))?;
    merge_rows(
        &txn,
        actor,
        ReferenceKind::Organisation,
        kept,
        merged,
        &merged_row.slug,
    )
    .await?;
    record_reference_changes(&txn, ReferenceKind::Organisation, &[kept, merged]).await?;
    txn.commit().await?;
    Ok(kept_row)
}

// ---------------------------------------------------------------------- professionals

/// A professional's values, as an input gives them.
#[derive(Debug, Default)]
pub struct ProfessionalFields {
    pub given_name: Option<Name>,
    pub family_name: Option<Name>,
    pub email: Change<Email>,
    pub phone: Change<String>,
    pub contact_visibility: Option<ContactVisibility>,
    pub user_id: Change<Uuid>,
}

async fn check_account_free<C: ConnectionTrait>(
    db: &C,
    professional_id: Uuid,
    user_id: Uuid,
) -> AppResult<()> {
    let field = "input.userId";
    if user::Entity::find_by_id(user_id).one(db).await?.is_none() {
        return Err(AppError::bad_input(field, "no account has this id"));
    }
    let taken = professional::Entity::find()
        .filter(professional::Column::UserId.eq(user_id))
        .filter(professional::Column::Id.ne(professional_id))
        .one(db)
        .await?;
    if taken.is_some() {
        return Err(AppError::Conflict(
            "this account is already another professional's".to_owned(),
        ));
    }
    Ok(())
}

pub async fn create_professional(
    db: &DatabaseConnection,
    given_name: Name,
    family_name: Name,
    fields: ProfessionalFields,
) -> AppResult<professional::Model> {
    let txn = db.begin().await?;
    let id = Uuid::now_v7();
    let user_id = fields.user_id.flatten();
    if let Some(user_id) = user_id {
        check_account_free(&txn, id, user_id).await?;
    }
    let full_name = format!("{} {}", given_name.as_str(), family_name.as_str());
    let slug = curation::unique_slug(
        &txn,
        ReferenceKind::Professional,
        &slug_from(&full_name),
        id,
    )
    .await?;
    let now = Utc::now();
    let created = professional::Entity::insert(professional::ActiveModel {
        id: Set(id),
        sort_name: Set(person_sort_key(family_name.as_str(), given_name.as_str())),
        given_name: Set(given_name.into_inner()),
        family_name: Set(family_name.into_inner()),
        slug: Set(slug),
        email: Set(fields
            .email
            .flatten()
            .map(|email| email.as_str().to_owned())),
        phone: Set(fields.phone.flatten()),
        contact_visibility: Set(fields
            .contact_visibility
            .unwrap_or(ContactVisibility::Members)),
        user_id: Set(user_id),
        created_at: Set(now),
        updated_at: Set(now),
    })
    .exec_with_returning(&txn)
    .await?;
    record_reference_changes(&txn, ReferenceKind::Professional, &[created.id]).await?;
    txn.commit().await?;
    Ok(created)
}

pub async fn update_professional(
    db: &DatabaseConnection,
    id: Uuid,
    fields: ProfessionalFields,
) -> AppResult<professional::Model> {
    let txn = db.begin().await?;
    let found = professional::Entity::find_by_id(id)
        .one(&txn)
        .await?
        .ok_or_else(|| not_found(ReferenceKind::Professional))?;
    let mut row: professional::ActiveModel = found.clone().into();
    if fields.given_name.is_some() || fields.family_name.is_some() {
        let given = fields
            .given_name
            .map_or(found.given_name.clone(), Name::into_inner);
        let family = fields
            .family_name
            .map_or(found.family_name.clone(), Name::into_inner);
        let kind = ReferenceKind::Professional;
        let slug =
            curation::unique_slug(&txn, kind, &slug_from(&format!("{given} {family}")), id).await?;
        curation::keep_old_slug(&txn, kind, id, &found.slug, &slug).await?;
        row.slug = Set(slug);
        row.sort_name = Set(person_sort_key(&family, &given));
        row.given_name = Set(given);
        row.family_name = Set(family);
    }
    if let Some(email) = fields.email {
        row.email = Set(email.map(|email| email.as_str().to_owned()));
    }
    if let Some(phone) = fields.phone {
        row.phone = Set(phone);
    }
    if let Some(visibility) = fields.contact_visibility {
        row.contact_visibility = Set(visibility);
    }
    if let Some(user_id) = fields.user_id {
        if let Some(user_id) = user_id {
            check_account_free(&txn, id, user_id).await?;
        }
        row.user_id = Set(user_id);
    }
    row.updated_at = Set(Utc::now());
    let updated = professional::Entity::update(row).exec(&txn).await?;
    let mut changes = events::reference_changes(node_type(ReferenceKind::Professional), &[id]);
    if updated.contact_visibility != found.contact_visibility {
        changes.push(contact_visibility_changed(id));
    }
    events::record(&txn, &changes, Utc::now()).await?;
    txn.commit().await?;
    Ok(updated)
}

pub async fn delete_professional(
    db: &DatabaseConnection,
    actor: &Account,
    id: Uuid,
    replacement: Option<Uuid>,
) -> AppResult<()> {
    let txn = db.begin().await?;
    let found = professional::Entity::find_by_id(id)
        .one(&txn)
        .await?
        .ok_or_else(|| not_found(ReferenceKind::Professional))?;
    delete_row(
        &txn,
        actor,
        ReferenceKind::Professional,
        (id, &found.slug),
        replacement,
    )
    .await?;
    record_reference_changes(
        &txn,
        ReferenceKind::Professional,
        &deleted_rows(id, replacement),
    )
    .await?;
    txn.commit().await?;
    Ok(())
}

/// Who may see a person's e-mail and phone changed: public, so that a copy of the public
/// catalogue drops (or adds) them.
pub(crate) fn contact_visibility_changed(professional_id: Uuid) -> events::Change {
    events::Change::new(
        events::ChangeKind::ContactVisibilityChanged,
        events::Subject::professional(professional_id),
        events::Audience::Public,
    )
}

/// The stricter of two contact visibilities: a merge never makes contacts more visible.
fn stricter(a: ContactVisibility, b: ContactVisibility) -> ContactVisibility {
    let rank = |visibility| match visibility {
        ContactVisibility::Public => 0,
        ContactVisibility::Members => 1,
        ContactVisibility::Private => 2,
    };
    if rank(a) >= rank(b) { a } else { b }
}

/// Merges the professional `merged` (a duplicate) into `kept`: positions, meeting
/// participations and initiative contacts move to `kept`, which also takes the e-mail,
/// phone and account it lacks, and the stricter contact visibility of the two.
pub async fn merge_professionals(
    db: &DatabaseConnection,
    actor: &Account,
    kept: Uuid,
    merged: Uuid,
) -> AppResult<professional::Model> {
    if kept == merged {
        return Err(same_rows("input.mergedId"));
    }
    let txn = db.begin().await?;
    let kept_row = professional::Entity::find_by_id(kept)
        .one(&txn)
        .await?
        .ok_or_else(|| AppError::bad_input("input.keptId", "no professional has this id"))?;
    let merged_row = professional::Entity::find_by_id(merged)
        .one(&txn)
        .await?
        .ok_or_else(|| AppError::bad_input("input.mergedId", "no professional has this id"))?;
    if kept_row.user_id.is_some() && merged_row.user_id.is_some() {
        return Err(AppError::Conflict(
            "both professionals have an account: unlink one first".to_owned(),
        ));
    }
    merge_rows(
        &txn,
        actor,
        ReferenceKind::Professional,
        kept,
        merged,
        &merged_row.slug,
    )
    .await?;
    let mut row: professional::ActiveModel = kept_row.clone().into();
    row.email = Set(kept_row.email.clone().or(merged_row.email));
    row.phone = Set(kept_row.phone.clone().or(merged_row.phone));
    row.user_id = Set(kept_row.user_id.or(merged_row.user_id));
    row.contact_visibility = Set(stricter(
        kept_row.contact_visibility,
        merged_row.contact_visibility,
    ));
    row.updated_at = Set(Utc::now());
    let updated = professional::Entity::update(row).exec(&txn).await?;
    let mut changes =
        events::reference_changes(node_type(ReferenceKind::Professional), &[kept, merged]);
    if updated.contact_visibility != kept_row.contact_visibility {
        changes.push(contact_visibility_changed(kept));
    }
    events::record(&txn, &changes, Utc::now()).await?;
    txn.commit().await?;
    Ok(updated)
}

// -------------------------------------------------------------------------- positions

/// A position's values, as an input gives them.
#[derive(Debug, Default)]
pub struct PositionFields {
    pub organisation_id: Option<Uuid>,
    pub job_title: Option<Name>,
    pub field: Change<String>,
    pub territory_id: Change<Uuid>,
    pub started_on: Change<NaiveDate>,
    pub ended_on: Change<NaiveDate>,
}

async fn save_position<C: ConnectionTrait>(
    db: &C,
    mut row: position::ActiveModel,
    fields: PositionFields,
) -> AppResult<position::ActiveModel> {
    if let Some(organisation_id) = fields.organisation_id {
        check_exists(
            db,
            ReferenceKind::Organisation,
            "input.organisationId",
            organisation_id,
        )
        .await?;
        row.organisation_id = Set(organisation_id);
    }
    if let Some(job_title) = fields.job_title {
        row.job_title = Set(job_title.into_inner());
    }
    if let Some(field) = fields.field {
        row.field = Set(field);
    }
    if let Some(territory_id) = fields.territory_id {
        if let Some(territory_id) = territory_id {
            check_exists(
                db,
                ReferenceKind::Territory,
                "input.territoryId",
                territory_id,
            )
            .await?;
        }
        row.territory_id = Set(territory_id);
    }
    if let Some(started_on) = fields.started_on {
        row.started_on = Set(started_on);
    }
    if let Some(ended_on) = fields.ended_on {
        row.ended_on = Set(ended_on);
    }
    check_period(
        "input.endedOn",
        *row.started_on.as_ref(),
        *row.ended_on.as_ref(),
    )?;
    row.updated_at = Set(Utc::now());
    Ok(row)
}

pub async fn create_position(
    db: &DatabaseConnection,
    professional_id: Uuid,
    fields: PositionFields,
) -> AppResult<position::Model> {
    let txn = db.begin().await?;
    check_exists(
        &txn,
        ReferenceKind::Professional,
        "input.professionalId",
        professional_id,
    )
    .await?;
    let now = Utc::now();
    let row = position::ActiveModel {
        id: Set(Uuid::now_v7()),
        professional_id: Set(professional_id),
        organisation_id: Set(Uuid::nil()),
        job_title: Set(String::new()),
        field: Set(None),
        territory_id: Set(None),
        started_on: Set(None),
        ended_on: Set(None),
        created_at: Set(now),
        updated_at: Set(now),
    };
    let row = save_position(&txn, row, fields).await?;
    let created = position::Entity::insert(row)
        .exec_with_returning(&txn)
        .await?;
    events::record(&txn, &position_changes(&created), now).await?;
    txn.commit().await?;
    Ok(created)
}

pub async fn update_position(
    db: &DatabaseConnection,
    id: Uuid,
    fields: PositionFields,
) -> AppResult<position::Model> {
    let txn = db.begin().await?;
    let found = position::Entity::find_by_id(id)
        .one(&txn)
        .await?
        .ok_or_else(|| AppError::NotFound("no such position".to_owned()))?;
    let row = save_position(&txn, found.into(), fields).await?;
    let updated = position::Entity::update(row).exec(&txn).await?;
    events::record(&txn, &position_changes(&updated), Utc::now()).await?;
    txn.commit().await?;
    Ok(updated)
}

pub async fn delete_position(db: &DatabaseConnection, id: Uuid) -> AppResult<()> {
    let txn = db.begin().await?;
    let found = position::Entity::find_by_id(id)
        .one(&txn)
        .await?
        .ok_or_else(|| AppError::NotFound("no such position".to_owned()))?;
    position::Entity::delete_by_id(id).exec(&txn).await?;
    events::record(&txn, &position_changes(&found), Utc::now()).await?;
    txn.commit().await?;
    Ok(())
}

/// A position created, changed or deleted: the position, and the professional whose
/// positions changed.
fn position_changes(position: &position::Model) -> Vec<events::Change> {
    vec![
        events::Change::reference(events::Subject::of("Position", position.id)),
        events::Change::reference(events::Subject::professional(position.professional_id)),
    ]
}

// ------------------------------------------------------------------------ territories

/// A territory's values, as an input gives them.
#[derive(Debug, Default)]
pub struct TerritoryFields {
    pub name: Option<Name>,
    pub official_code: Change<String>,
    /// The territories it lies in; `Some` replaces them all.
    pub parent_ids: Option<Vec<Uuid>>,
    pub latitude: Change<f64>,
    pub longitude: Change<f64>,
    pub valid_from: Change<NaiveDate>,
    pub valid_to: Change<NaiveDate>,
}

async fn set_parents<C: ConnectionTrait>(db: &C, id: Uuid, parents: &[Uuid]) -> AppResult<()> {
    let below = curation::territory_and_descendants(db, id).await?;
    for (index, parent) in parents.iter().enumerate() {
        let field = format!("input.parentIds[{index}]");
        check_exists(db, ReferenceKind::Territory, &field, *parent).await?;
        if below.contains(parent) {
            return Err(AppError::bad_input(
                field,
                "a territory cannot contain itself: this one lies within it",
            ));
        }
    }
    territory_parent::Entity::delete_many()
        .filter(territory_parent::Column::ChildId.eq(id))
        .exec(db)
        .await?;
    let mut seen = Vec::new();
    for parent in parents {
        if seen.contains(parent) {
            continue;
        }
        seen.push(*parent);
        territory_parent::Entity::insert(territory_parent::ActiveModel {
            child_id: Set(id),
            parent_id: Set(*parent),
        })
        .exec_without_returning(db)
        .await?;
    }
    Ok(())
}

fn check_coordinates(latitude: Option<f64>, longitude: Option<f64>) -> AppResult<()> {
    if latitude.is_some_and(|value| !(-90.0..=90.0).contains(&value)) {
        return Err(AppError::bad_input(
            "input.latitude",
            "must be from -90 to 90",
        ));
    }
    if longitude.is_some_and(|value| !(-180.0..=180.0).contains(&value)) {
        return Err(AppError::bad_input(
            "input.longitude",
            "must be from -180 to 180",
        ));
    }
    Ok(())
}

async fn check_code_free<C: ConnectionTrait>(
    db: &C,
    id: Uuid,
    kind: TerritoryKind,
    code: &str,
) -> AppResult<()> {
    let taken = territory::Entity::find()
        .filter(territory::Column::Kind.eq(kind))
        .filter(territory::Column::OfficialCode.eq(code))
        .filter(territory::Column::Id.ne(id))
        .one(db)
        .await?;
    if taken.is_some() {
        return Err(AppError::Conflict(format!(
            "another {} already has the code {code}",
            kind.as_str()
        )));
    }
    Ok(())
}

async fn save_territory<C: ConnectionTrait>(
    db: &C,
    id: Uuid,
    found: Option<&territory::Model>,
    mut row: territory::ActiveModel,
    fields: TerritoryFields,
) -> AppResult<territory::ActiveModel> {
    let kind = *row.kind.as_ref();
    if let Some(code) = fields.official_code {
        let code = code
            .map(|code| OfficialCode::parse("input.officialCode", kind, &code))
            .transpose()?;
        if let Some(code) = &code {
            check_code_free(db, id, kind, code.as_str()).await?;
        }
        row.official_code = Set(code.map(|code| code.as_str().to_owned()));
    }
    if let Some(name) = fields.name {
        let slug =
            curation::unique_slug(db, ReferenceKind::Territory, &slug_from(name.as_str()), id)
                .await?;
        if let Some(found) = found {
            curation::keep_old_slug(db, ReferenceKind::Territory, id, &found.slug, &slug).await?;
        }
        row.slug = Set(slug);
        row.sort_name = Set(sort_key(name.as_str()));
        row.name = Set(name.into_inner());
    }
    if let Some(latitude) = fields.latitude {
        row.latitude = Set(latitude);
    }
    if let Some(longitude) = fields.longitude {
        row.longitude = Set(longitude);
    }
    check_coordinates(*row.latitude.as_ref(), *row.longitude.as_ref())?;
    if let Some(valid_from) = fields.valid_from {
        row.valid_from = Set(valid_from);
    }
    if let Some(valid_to) = fields.valid_to {
        row.valid_to = Set(valid_to);
    }
    check_period(
        "input.validTo",
        *row.valid_from.as_ref(),
        *row.valid_to.as_ref(),
    )?;
    row.updated_at = Set(Utc::now());
    Ok(row)
}

pub async fn create_territory(
    db: &DatabaseConnection,
    name: Name,
    kind: TerritoryKind,
    mut fields: TerritoryFields,
) -> AppResult<territory::Model> {
    let txn = db.begin().await?;
    let id = Uuid::now_v7();
    let now = Utc::now();
    let row = territory::ActiveModel {
        id: Set(id),
        name: Set(String::new()),
        sort_name: Set(String::new()),
        slug: Set(String::new()),
        kind: Set(kind),
        official_code: Set(None),
        latitude: Set(None),
        longitude: Set(None),
        valid_from: Set(None),
        valid_to: Set(None),
        created_at: Set(now),
        updated_at: Set(now),
    };
    fields.name = Some(name);
    let parents = fields.parent_ids.take();
    let row = save_territory(&txn, id, None, row, fields).await?;
    let created = territory::Entity::insert(row)
        .exec_with_returning(&txn)
        .await?;
    if let Some(parents) = parents {
        set_parents(&txn, id, &parents).await?;
    }
    record_reference_changes(&txn, ReferenceKind::Territory, &[created.id]).await?;
    txn.commit().await?;
    Ok(created)
}

pub async fn update_territory(
    db: &DatabaseConnection,
    id: Uuid,
    mut fields: TerritoryFields,
) -> AppResult<territory::Model> {
    let txn = db.begin().await?;
    let found = territory::Entity::find_by_id(id)
        .one(&txn)
        .await?
        .ok_or_else(|| not_found(ReferenceKind::Territory))?;
    if let Some(parents) = fields.parent_ids.take() {
        set_parents(&txn, id, &parents).await?;
    }
    let row = save_territory(&txn, id, Some(&found), found.clone().into(), fields).await?;
    let updated = territory::Entity::update(row).exec(&txn).await?;
    if (updated.latitude, updated.longitude) != (found.latitude, found.longitude) {
        places::refresh_on_territories(&txn, &[id]).await?;
    }
    record_reference_changes(&txn, ReferenceKind::Territory, &[id]).await?;
    txn.commit().await?;
    Ok(updated)
}

pub async fn delete_territory(
    db: &DatabaseConnection,
    actor: &Account,
    id: Uuid,
    replacement: Option<Uuid>,
) -> AppResult<()> {
    let txn = db.begin().await?;
    let found = territory::Entity::find_by_id(id)
        .one(&txn)
        .await?
        .ok_or_else(|| not_found(ReferenceKind::Territory))?;
    if let Some(replacement) = replacement
        && curation::territory_and_descendants(&txn, id)
            .await?
            .contains(&replacement)
    {
        return Err(AppError::bad_input(
            "input.replacementId",
            "the replacement lies within the territory deleted",
        ));
    }
    // Their places move with the territory gone (or its replacement).
    let placed: Vec<Uuid> = initiative_territory::Entity::find()
        .select_only()
        .column(initiative_territory::Column::InitiativeId)
        .filter(initiative_territory::Column::TerritoryId.eq(id))
        .into_tuple()
        .all(&txn)
        .await?;
    delete_row(
        &txn,
        actor,
        ReferenceKind::Territory,
        (id, &found.slug),
        replacement,
    )
    .await?;
    places::refresh(&txn, &placed).await?;
    // A contained territory moved to the replacement may now be listed under it twice.
    territory_parent::Entity::delete_many()
        .filter(territory_parent::Column::ChildId.eq(id))
        .exec(&txn)
        .await?;
    record_reference_changes(
        &txn,
        ReferenceKind::Territory,
        &deleted_rows(id, replacement),
    )
    .await?;
    txn.commit().await?;
    Ok(())
}
