//! Writing contributions: initiatives with their links, experiences, change proposals,
//! their status changes, and the audit log. Every function runs inside the caller's
//! transaction; writes are conditional on the version read, so that of two concurrent
//! changes based on the same version exactly one succeeds.

use chrono::{DateTime, Utc};
use entity::{
    change_proposal,
    enums::{ModerationAction, ModerationStatus, SubjectType},
    experience, initiative, initiative_audience, initiative_contact, initiative_meeting,
    initiative_organisation, initiative_territory, initiative_theme, meeting, moderation_event,
    organisation, professional, slug_alias, territory, theme,
};
use sea_orm::{
    ActiveValue::{NotSet, Set},
    ColumnTrait, ConnectionTrait, EntityTrait, PaginatorTrait, QueryFilter, QuerySelect,
};
use uuid::Uuid;

use super::{initiative_links, keyed::Keyed, places, search};
use crate::{
    domain::{
        caller::{Account, Author},
        contribution::{ExperienceChanges, InitiativeChanges, Patch},
        text::{slugify, sort_key},
        visibility::ContributionScope,
    },
    error::{AppError, AppResult},
};

fn stale() -> AppError {
    AppError::Conflict(
        "it was changed since you read it: reload it and apply your change again".to_owned(),
    )
}

/// The slug of a new initiative: the title's, with a part of its own id. It never depends
/// on other initiatives, so it cannot reveal that a hidden one has the same title; the
/// readable slug is chosen at first publication ([`unique_initiative_slug`]).
fn draft_slug(title: &str, id: Uuid) -> String {
    let id = id.simple().to_string();
    format!("{}-{}", slugify(title), &id[id.len() - 8..])
}

/// A slug for `title` that no initiative uses yet: the title's, or with `-2`, `-3`…
pub async fn unique_initiative_slug(db: &impl ConnectionTrait, title: &str) -> AppResult<String> {
    let base = slugify(title);
    let taken: Vec<String> = initiative::Entity::find()
        .select_only()
        .column(initiative::Column::Slug)
        .filter(initiative::Column::Slug.starts_with(&base))
        .into_tuple()
        .all(db)
        .await?;
    // The former slugs of merged initiatives keep leading to the initiatives kept.
    let aliases: Vec<String> = slug_alias::Entity::find()
        .select_only()
        .column(slug_alias::Column::Slug)
        .filter(slug_alias::Column::Kind.eq(super::initiatives::INITIATIVE_ALIASES))
        .filter(slug_alias::Column::Slug.starts_with(&base))
        .into_tuple()
        .all(db)
        .await?;
    let taken: std::collections::HashSet<String> = taken.into_iter().chain(aliases).collect();
    Ok(std::iter::once(base.clone())
        .chain((2..).map(|n| format!("{base}-{n}")))
        .find(|slug| !taken.contains(slug))
        .unwrap_or(base))
}

/// Checks that every id of `ids` names a row of `E`; BAD_USER_INPUT on `field` otherwise.
async fn check_exist<E: Keyed>(
    db: &impl ConnectionTrait,
    field: String,
    what: &str,
    ids: Option<&[Uuid]>,
) -> AppResult<()>
where
    E::Model: Sync,
{
    let Some(ids) = ids.filter(|ids| !ids.is_empty()) else {
        return Ok(());
    };
    let found = E::find()
        .filter(E::id_column().is_in(ids.iter().copied()))
        .count(db)
        .await?;
    if found != ids.len() as u64 {
        return Err(AppError::bad_input(
            field,
            format!("names a {what} that does not exist"),
        ));
    }
    Ok(())
}

/// Checks that every id the changes link to exists; an unknown one is BAD_USER_INPUT on
/// its list. Links to other initiatives are checked for `own` (None for a new initiative),
/// against what `scope` lets the writer see.
pub async fn check_references(
    db: &impl ConnectionTrait,
    changes: &InitiativeChanges,
    prefix: &str,
    own: Option<Uuid>,
    scope: &ContributionScope,
) -> AppResult<()> {
    let field = |name: &str| format!("{prefix}.{name}");
    let organisation_ids: Option<Vec<Uuid>> = changes
        .organisations
        .as_ref()
        .map(|links| links.iter().map(|link| link.organisation_id).collect());
    check_exist::<theme::Entity>(db, field("themeIds"), "theme", changes.theme_ids.as_deref())
        .await?;
    check_exist::<territory::Entity>(
        db,
        field("territoryIds"),
        "territory",
        changes.territory_ids.as_deref(),
    )
    .await?;
    check_exist::<organisation::Entity>(
        db,
        field("organisations"),
        "organisation",
        organisation_ids.as_deref(),
    )
    .await?;
    check_exist::<professional::Entity>(
        db,
        field("contactIds"),
        "professional",
        changes.contact_ids.as_deref(),
    )
    .await?;
    check_exist::<meeting::Entity>(
        db,
        field("meetingIds"),
        "meeting",
        changes.meeting_ids.as_deref(),
    )
    .await?;
    match &changes.links {
        Some(links) => initiative_links::check(db, own, links, &field("links"), scope).await,
        None => Ok(()),
    }
}

/// Sets the scalar fields the changes carry on `model`.
fn apply_fields(model: &mut initiative::ActiveModel, changes: &InitiativeChanges) {
    if let Some(title) = &changes.title {
        model.title = Set(title.clone());
        model.title_sort = Set(sort_key(title));
    }
    if let Some(summary) = &changes.summary {
        model.summary = Set(summary.clone());
    }
    if let Some(patch) = &changes.description {
        model.description = Set(patch.value());
    }
    if let Some(patch) = &changes.started_on {
        model.started_on = Set(patch.value());
    }
    if let Some(patch) = &changes.ended_on {
        model.ended_on = Set(patch.value());
    }
    if let Some(patch) = &changes.context {
        model.context = Set(patch.value());
    }
    if let Some(patch) = &changes.outcomes {
        model.outcomes = Set(patch.value());
    }
    if let Some(patch) = &changes.continuation {
        model.continuation = Set(patch.value());
    }
    match &changes.place {
        Some(Patch::Set(point)) => {
            model.latitude = Set(Some(point.latitude()));
            model.longitude = Set(Some(point.longitude()));
            model.place_explicit = Set(true);
        }
        // The territories' point is derived again once the links are written.
        Some(Patch::Clear) => model.place_explicit = Set(false),
        None => {}
    }
}

/// Whether the changes may move the place derived from the territories.
fn moves_derived_place(changes: &InitiativeChanges) -> bool {
    changes.territory_ids.is_some() || matches!(changes.place, Some(Patch::Clear))
}

/// Replaces the link sets the changes carry.
async fn replace_links(
    db: &impl ConnectionTrait,
    id: Uuid,
    changes: &InitiativeChanges,
    now: DateTime<Utc>,
) -> AppResult<()> {
    macro_rules! replace {
        ($list:expr, $module:ident, |$item:ident| $active:expr) => {
            if let Some(list) = $list {
                $module::Entity::delete_many()
                    .filter($module::Column::InitiativeId.eq(id))
                    .exec(db)
                    .await?;
                if !list.is_empty() {
                    $module::Entity::insert_many(list.iter().map(|$item| $active))
                        .exec_without_returning(db)
                        .await?;
                }
            }
        };
    }
    replace!(&changes.theme_ids, initiative_theme, |theme| {
        initiative_theme::ActiveModel {
            initiative_id: Set(id),
            theme_id: Set(*theme),
        }
    });
    replace!(&changes.territory_ids, initiative_territory, |territory| {
        initiative_territory::ActiveModel {
            initiative_id: Set(id),
            territory_id: Set(*territory),
        }
    });
    replace!(&changes.organisations, initiative_organisation, |link| {
        initiative_organisation::ActiveModel {
            initiative_id: Set(id),
            organisation_id: Set(link.organisation_id),
            role: Set(link.role),
        }
    });
    replace!(&changes.contact_ids, initiative_contact, |person| {
        initiative_contact::ActiveModel {
            initiative_id: Set(id),
            professional_id: Set(*person),
        }
    });
    replace!(&changes.meeting_ids, initiative_meeting, |meeting| {
        initiative_meeting::ActiveModel {
            initiative_id: Set(id),
            meeting_id: Set(*meeting),
        }
    });
    replace!(&changes.audiences, initiative_audience, |audience| {
        initiative_audience::ActiveModel {
            initiative_id: Set(id),
            audience: Set(*audience),
        }
    });
    if let Some(links) = &changes.links {
        initiative_links::replace(db, id, links, now).await?;
    }
    Ok(())
}

/// Inserts a new initiative in DRAFT with its links, and indexes it for search.
pub async fn insert_initiative(
    db: &impl ConnectionTrait,
    changes: &InitiativeChanges,
    organisation_id: Option<Uuid>,
    // None when a tool writes with an API key.
    author_id: Option<Uuid>,
    now: DateTime<Utc>,
) -> AppResult<initiative::Model> {
    let id = Uuid::now_v7();
    let title = changes.title.clone().unwrap_or_default();
    let mut model = initiative::ActiveModel {
        id: Set(id),
        slug: Set(draft_slug(&title, id)),
        title: Set(String::new()),
        title_sort: Set(String::new()),
        summary: Set(String::new()),
        description: Set(None),
        started_on: Set(None),
        ended_on: Set(None),
        context: Set(None),
        outcomes: Set(None),
        continuation: Set(None),
        status: Set(ModerationStatus::Draft),
        organisation_id: Set(organisation_id),
        submitted_by: Set(author_id),
        submitted_at: Set(None),
        published_at: Set(None),
        version: Set(1),
        latitude: Set(None),
        longitude: Set(None),
        place_explicit: Set(false),
        created_at: Set(now),
        updated_at: Set(now),
    };
    apply_fields(&mut model, changes);
    initiative::Entity::insert(model)
        .exec_without_returning(db)
        .await?;
    replace_links(db, id, changes, now).await?;
    if moves_derived_place(changes) {
        places::refresh(db, &[id]).await?;
    }
    search::index_initiative(db, id).await?;
    initiative::Entity::find_by_id(id)
        .one(db)
        .await?
        .ok_or_else(|| AppError::internal("the inserted initiative is missing"))
}

/// Writes `model`'s set fields on the initiative if it is still at `version`, bumping the
/// version; CONFLICT otherwise.
async fn update_initiative_at(
    db: &impl ConnectionTrait,
    id: Uuid,
    version: i32,
    mut model: initiative::ActiveModel,
    now: DateTime<Utc>,
) -> AppResult<initiative::Model> {
    model.version = Set(version + 1);
    model.updated_at = Set(now);
    model.id = NotSet;
    let result = initiative::Entity::update_many()
        .set(model)
        .filter(initiative::Column::Id.eq(id))
        .filter(initiative::Column::Version.eq(version))
        .exec(db)
        .await?;
    if result.rows_affected != 1 {
        return Err(stale());
    }
    initiative::Entity::find_by_id(id)
        .one(db)
        .await?
        .ok_or_else(|| AppError::internal("the updated initiative is missing"))
}

/// Applies changes to an initiative read at `current.version`.
pub async fn change_initiative(
    db: &impl ConnectionTrait,
    current: &initiative::Model,
    changes: &InitiativeChanges,
    now: DateTime<Utc>,
) -> AppResult<initiative::Model> {
    let mut model = initiative::ActiveModel::default();
    apply_fields(&mut model, changes);
    let updated = update_initiative_at(db, current.id, current.version, model, now).await?;
    replace_links(db, current.id, changes, now).await?;
    search::index_initiative(db, current.id).await?;
    if !moves_derived_place(changes) {
        return Ok(updated);
    }
    places::refresh(db, &[current.id]).await?;
    initiative::Entity::find_by_id(current.id)
        .one(db)
        .await?
        .ok_or_else(|| AppError::internal("the updated initiative is missing"))
}

/// Moves an initiative read at `current.version` to `to`, stamping submission and first
/// publication.
pub async fn set_initiative_status(
    db: &impl ConnectionTrait,
    current: &initiative::Model,
    to: ModerationStatus,
    now: DateTime<Utc>,
) -> AppResult<initiative::Model> {
    let mut model = initiative::ActiveModel {
        status: Set(to),
        ..Default::default()
    };
    if to == ModerationStatus::Submitted {
        model.submitted_at = Set(Some(now));
    }
    if to == ModerationStatus::Published && current.published_at.is_none() {
        model.published_at = Set(Some(now));
        // Stable from now on: the first publication gives the readable slug.
        model.slug = Set(unique_initiative_slug(db, &current.title).await?);
    }
    let updated = update_initiative_at(db, current.id, current.version, model, now).await?;
    search::index_initiative(db, current.id).await?;
    Ok(updated)
}

/// Inserts a new experience in DRAFT about `initiative_id`.
pub async fn insert_experience(
    db: &impl ConnectionTrait,
    initiative_id: Uuid,
    changes: &ExperienceChanges,
    organisation_id: Option<Uuid>,
    // None when a tool writes with an API key.
    author_id: Option<Uuid>,
    now: DateTime<Utc>,
) -> AppResult<experience::Model> {
    let id = Uuid::now_v7();
    experience::Entity::insert(experience::ActiveModel {
        id: Set(id),
        initiative_id: Set(initiative_id),
        author_id: Set(author_id),
        organisation_id: Set(organisation_id),
        title: Set(changes.title.clone().unwrap_or_default()),
        body: Set(changes.body.clone().unwrap_or_default()),
        status: Set(ModerationStatus::Draft),
        submitted_at: Set(None),
        published_at: Set(None),
        version: Set(1),
        created_at: Set(now),
        updated_at: Set(now),
    })
    .exec_without_returning(db)
    .await?;
    experience::Entity::find_by_id(id)
        .one(db)
        .await?
        .ok_or_else(|| AppError::internal("the inserted experience is missing"))
}

/// Writes an experience read at `current.version`: new texts and/or a new status.
pub async fn update_experience(
    db: &impl ConnectionTrait,
    current: &experience::Model,
    changes: &ExperienceChanges,
    to: Option<ModerationStatus>,
    now: DateTime<Utc>,
) -> AppResult<experience::Model> {
    let mut model = experience::ActiveModel::default();
    if let Some(title) = &changes.title {
        model.title = Set(title.clone());
    }
    if let Some(body) = &changes.body {
        model.body = Set(body.clone());
    }
    if let Some(to) = to {
        model.status = Set(to);
        if to == ModerationStatus::Submitted {
            model.submitted_at = Set(Some(now));
        }
        if to == ModerationStatus::Published && current.published_at.is_none() {
            model.published_at = Set(Some(now));
        }
    }
    model.version = Set(current.version + 1);
    model.updated_at = Set(now);
    let result = experience::Entity::update_many()
        .set(model)
        .filter(experience::Column::Id.eq(current.id))
        .filter(experience::Column::Version.eq(current.version))
        .exec(db)
        .await?;
    if result.rows_affected != 1 {
        return Err(stale());
    }
    experience::Entity::find_by_id(current.id)
        .one(db)
        .await?
        .ok_or_else(|| AppError::internal("the updated experience is missing"))
}

/// Inserts a change proposal, submitted at once.
pub async fn insert_proposal(
    db: &impl ConnectionTrait,
    initiative: &initiative::Model,
    changes: &InitiativeChanges,
    organisation_id: Option<Uuid>,
    // None when a tool writes with an API key.
    author_id: Option<Uuid>,
    now: DateTime<Utc>,
) -> AppResult<change_proposal::Model> {
    let id = Uuid::now_v7();
    let json = serde_json::to_string(changes).map_err(AppError::internal)?;
    change_proposal::Entity::insert(change_proposal::ActiveModel {
        id: Set(id),
        initiative_id: Set(initiative.id),
        organisation_id: Set(organisation_id),
        author_id: Set(author_id),
        status: Set(ModerationStatus::Submitted),
        changes: Set(json),
        base_version: Set(initiative.version),
        version: Set(1),
        submitted_at: Set(Some(now)),
        created_at: Set(now),
        updated_at: Set(now),
    })
    .exec_without_returning(db)
    .await?;
    change_proposal::Entity::find_by_id(id)
        .one(db)
        .await?
        .ok_or_else(|| AppError::internal("the inserted proposal is missing"))
}

/// Moves a proposal read at `current.version` to `to`.
pub async fn set_proposal_status(
    db: &impl ConnectionTrait,
    current: &change_proposal::Model,
    to: ModerationStatus,
    now: DateTime<Utc>,
) -> AppResult<change_proposal::Model> {
    let result = change_proposal::Entity::update_many()
        .set(change_proposal::ActiveModel {
            status: Set(to),
            version: Set(current.version + 1),
            updated_at: Set(now),
            ..Default::default()
        })
        .filter(change_proposal::Column::Id.eq(current.id))
        .filter(change_proposal::Column::Version.eq(current.version))
        .exec(db)
        .await?;
    if result.rows_affected != 1 {
        return Err(stale());
    }
    change_proposal::Entity::find_by_id(current.id)
        .one(db)
        .await?
        .ok_or_else(|| AppError::internal("the updated proposal is missing"))
}

/// Who did what an entry of the audit log records.
#[derive(Clone, Copy)]
pub enum Actor<'a> {
    /// A person: a moderator deciding, say.
    Account(&'a Account),
    /// The author of a contribution: a person, or a tool with its API key.
    Author(&'a Author),
}

impl Actor<'_> {
    /// The account, and the key, recorded.
    fn recorded(self) -> (Option<Uuid>, Option<Uuid>) {
        match self {
            Self::Account(account) => (Some(account.id), None),
            Self::Author(author) => (author.user_id, author.key_id),
        }
    }
}

/// One entry of the audit log.
pub struct Event<'a> {
    pub subject_type: SubjectType,
    pub subject_id: Uuid,
    pub actor: Actor<'a>,
    pub action: ModerationAction,
    pub from_status: Option<ModerationStatus>,
    pub to_status: Option<ModerationStatus>,
    pub comment: Option<&'a str>,
    /// The other initiative the event is about, if any.
    pub related_id: Option<Uuid>,
}

/// Appends an event to the audit log.
pub async fn record_event(
    db: &impl ConnectionTrait,
    event: Event<'_>,
    now: DateTime<Utc>,
) -> AppResult<moderation_event::Model> {
    let id = Uuid::now_v7();
    let (actor_id, api_key_id) = event.actor.recorded();
    moderation_event::Entity::insert(moderation_event::ActiveModel {
        id: Set(id),
        subject_type: Set(event.subject_type),
        subject_id: Set(event.subject_id),
        actor_id: Set(actor_id),
        api_key_id: Set(api_key_id),
        action: Set(event.action),
        from_status: Set(event.from_status),
        to_status: Set(event.to_status),
        comment: Set(event.comment.map(str::to_owned)),
        related_id: Set(event.related_id),
        created_at: Set(now),
    })
    .exec_without_returning(db)
    .await?;
    moderation_event::Entity::find_by_id(id)
        .one(db)
        .await?
        .ok_or_else(|| AppError::internal("the recorded event is missing"))
}

/// One page of the audit log of one subject, oldest first.
#[tracing::instrument(skip(db))]
pub async fn events_page(
    db: &sea_orm::DatabaseConnection,
    subject_id: Uuid,
    request: crate::domain::page::PageRequest,
) -> AppResult<(
    super::page::Page<moderation_event::Model>,
    super::page::TotalCount,
)> {
    use sea_orm::QueryOrder;
    let select = moderation_event::Entity::find()
        .filter(moderation_event::Column::SubjectId.eq(subject_id))
        .order_by_asc(moderation_event::Column::CreatedAt)
        .order_by_asc(moderation_event::Column::Id);
    super::page::fetch_page(db, select, request).await
}

/// The audit log of one subject, oldest first.
pub async fn events(
    db: &impl ConnectionTrait,
    subject_id: Uuid,
) -> AppResult<Vec<moderation_event::Model>> {
    use sea_orm::QueryOrder;
    Ok(moderation_event::Entity::find()
        .filter(moderation_event::Column::SubjectId.eq(subject_id))
        .order_by_asc(moderation_event::Column::CreatedAt)
        .order_by_asc(moderation_event::Column::Id)
        .all(db)
        .await?)
}
