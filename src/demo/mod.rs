//! The demo dataset: the 14 May 2020 meeting of the Grand Est DSU professionals, its people,
//! organisations, territories, themes and every initiative it reported.
//!
//! Loading is idempotent: each record is keyed by its slug (territory links by both ends),
//! and only what is missing is inserted, in one transaction. A person who was erased is
//! never loaded again (their erasure left a tombstone of their slug): neither they nor
//! their positions and initiative contacts come back, and a meeting loaded anew keeps
//! their participation as an anonymous trace, as the erasure does.

pub mod accounts;
mod dataset;
mod model;

use std::collections::HashMap;

use chrono::{NaiveDate, Utc};
use entity::{enums::ModerationStatus, *};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, DatabaseConnection, DatabaseTransaction, EntityTrait,
    IntoActiveModel, PaginatorTrait, QueryFilter, QuerySelect, TransactionTrait,
};
use uuid::Uuid;

use crate::{
    domain::{
        erasure::{ErasedKind, ErasureKey},
        text::{person_sort_key, sort_key},
    },
    error::{AppError, AppResult},
    events,
    store::{self, tombstones::Tombstones},
};

/// How many records a load inserted, per kind, and how many entries it left out because
/// they name someone who was erased.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct DemoReport {
    pub territories: usize,
    pub themes: usize,
    pub organisations: usize,
    pub professionals: usize,
    pub meetings: usize,
    pub initiatives: usize,
    /// Links between initiatives.
    pub links: usize,
    /// Erased people, their positions and initiative contacts not loaded, and their
    /// meeting participations loaded without them (role only).
    pub skipped_erased: usize,
}

impl DemoReport {
    pub fn inserted_anything(&self) -> bool {
        Self {
            skipped_erased: 0,
            ..*self
        } != Self::default()
    }
}

/// Whether the catalogue holds nothing yet (no territory, no meeting, no initiative).
pub async fn catalogue_is_empty(db: &DatabaseConnection) -> AppResult<bool> {
    Ok(territory::Entity::find().count(db).await? == 0
        && meeting::Entity::find().count(db).await? == 0
        && initiative::Entity::find().count(db).await? == 0)
}

/// Loads whatever part of the demo dataset is missing, except the people who were erased
/// (`key` reads their tombstones).
#[tracing::instrument(skip_all)]
pub async fn load(db: &DatabaseConnection, key: &ErasureKey) -> AppResult<DemoReport> {
    let txn = db.begin().await?;
    let report = load_in(&txn, key).await?;
    txn.commit().await?;
    if report.skipped_erased > 0 {
        tracing::info!(
            skipped = report.skipped_erased,
            "demo entries naming erased people left out"
        );
    }
    Ok(report)
}

fn date(field: &str, text: &str) -> AppResult<NaiveDate> {
    text.parse()
        .map_err(|_| AppError::internal(format!("demo dataset: bad date {text} in {field}")))
}

fn resolve(ids: &HashMap<String, Uuid>, kind: &str, slug: &str) -> AppResult<Uuid> {
    ids.get(slug)
        .copied()
        .ok_or_else(|| AppError::internal(format!("demo dataset: unknown {kind} `{slug}`")))
}

/// Slug → id of every row of a table with a `slug` column, former slugs included: a row
/// an admin renamed or merged is not loaded again.
macro_rules! slugs {
    ($txn:expr, $module:ident) => {{
        let rows: Vec<(String, Uuid)> = $module::Entity::find()
            .select_only()
            .column($module::Column::Slug)
            .column($module::Column::Id)
            .into_tuple()
            .all($txn)
            .await?;
        let aliases: Vec<(String, Uuid)> = entity::slug_alias::Entity::find()
            .filter(entity::slug_alias::Column::Kind.eq(stringify!($module)))
            .select_only()
            .column(entity::slug_alias::Column::Slug)
            .column(entity::slug_alias::Column::TargetId)
            .into_tuple()
            .all($txn)
            .await?;
        aliases
            .into_iter()
            .chain(rows)
            .collect::<HashMap<String, Uuid>>()
    }};
}

async fn insert<A>(txn: &DatabaseTransaction, model: A) -> AppResult<()>
where
    A: ActiveModelTrait + sea_orm::ActiveModelBehavior + Send,
    <A::Entity as EntityTrait>::Model: IntoActiveModel<A>,
{
    A::Entity::insert(model).exec_without_returning(txn).await?;
    Ok(())
}

async fn load_in(txn: &DatabaseTransaction, key: &ErasureKey) -> AppResult<DemoReport> {
    use sea_orm::ActiveValue::Set;

    let now = Utc::now();
    let mut report = DemoReport::default();
    // What the load created or changed, per node type, for the change stream.
    let mut changed: Vec<(&'static str, std::collections::BTreeSet<Uuid>)> = [
        "Territory",
        "Theme",
        "Organisation",
        "Professional",
        "Position",
        "Meeting",
    ]
    .into_iter()
    .map(|type_name| (type_name, Default::default()))
    .collect();
    let mut mark = |type_name: &str, id: Uuid| {
        if let Some((_, ids)) = changed.iter_mut().find(|(name, _)| *name == type_name) {
            ids.insert(id);
        }
    };
    let mut published = Vec::new();

    let mut territories = slugs!(txn, territory);
    let links: Vec<(Uuid, Uuid)> = territory_parent::Entity::find()
        .select_only()
        .column(territory_parent::Column::ChildId)
        .column(territory_parent::Column::ParentId)
        .into_tuple()
        .all(txn)
        .await?;
    let mut links: std::collections::HashSet<(Uuid, Uuid)> = links.into_iter().collect();
    for demo in dataset::TERRITORIES {
        if !territories.contains_key(demo.slug) {
            let id = Uuid::now_v7();
            insert(
                txn,
                territory::ActiveModel {
                    id: Set(id),
                    name: Set(demo.name.to_owned()),
                    sort_name: Set(sort_key(demo.name)),
                    slug: Set(demo.slug.to_owned()),
                    kind: Set(demo.kind),
                    official_code: Set(demo.official_code.map(str::to_owned)),
                    latitude: Set(demo.latitude),
                    longitude: Set(demo.longitude),
                    valid_from: Set(None),
                    valid_to: Set(None),
                    created_at: Set(now),
                    updated_at: Set(now),
                },
            )
            .await?;
            territories.insert(demo.slug.to_owned(), id);
            report.territories += 1;
            mark("Territory", id);
        }
        let child_id = resolve(&territories, "territory", demo.slug)?;
        for parent in demo.parents {
            let parent_id = resolve(&territories, "territory", parent)?;
            if links.insert((child_id, parent_id)) {
                mark("Territory", child_id);
                insert(
                    txn,
                    territory_parent::ActiveModel {
                        child_id: Set(child_id),
                        parent_id: Set(parent_id),
                    },
                )
                .await?;
            }
        }
    }

    let mut themes = slugs!(txn, theme);
    for demo in dataset::THEMES {
        if themes.contains_key(demo.slug) {
            continue;
        }
        let parent_id = demo
            .parent
            .map(|parent| resolve(&themes, "theme", parent))
            .transpose()?;
        let id = Uuid::now_v7();
        insert(
            txn,
            theme::ActiveModel {
                id: Set(id),
                name: Set(demo.name.to_owned()),
                sort_name: Set(sort_key(demo.name)),
                slug: Set(demo.slug.to_owned()),
                description: Set(Some(demo.description.to_owned())),
                parent_id: Set(parent_id),
                position: Set(demo.position),
                created_at: Set(now),
                updated_at: Set(now),
            },
        )
        .await?;
        themes.insert(demo.slug.to_owned(), id);
        report.themes += 1;
        mark("Theme", id);
    }

    let mut organisations = slugs!(txn, organisation);
    for demo in dataset::ORGANISATIONS {
        if organisations.contains_key(demo.slug) {
            continue;
        }
        let territory_id = demo
            .territory
            .map(|slug| resolve(&territories, "territory", slug))
            .transpose()?;
        let id = Uuid::now_v7();
        insert(
            txn,
            organisation::ActiveModel {
                id: Set(id),
                name: Set(demo.name.to_owned()),
                sort_name: Set(sort_key(demo.name)),
                slug: Set(demo.slug.to_owned()),
                kind: Set(demo.kind),
                territory_id: Set(territory_id),
                website: Set(demo.website.map(str::to_owned)),
                description: Set(Some(demo.description.to_owned())),
                created_at: Set(now),
                updated_at: Set(now),
            },
        )
        .await?;
        organisations.insert(demo.slug.to_owned(), id);
        report.organisations += 1;
        mark("Organisation", id);
    }

    let mut professionals = slugs!(txn, professional);
    let tombstones = Tombstones::read(txn, key, ErasedKind::Professional).await?;
    // Someone with the slug now (e.g. created again by an admin) is not the erased person.
    let erased = |professionals: &HashMap<String, Uuid>, slug: &str| {
        !professionals.contains_key(slug) && tombstones.holds(slug)
    };
    for demo in dataset::PROFESSIONALS {
        if professionals.contains_key(demo.slug) {
            continue;
        }
        if erased(&professionals, demo.slug) {
            report.skipped_erased += 1 + demo.positions.len();
            continue;
        }
        let id = Uuid::now_v7();
        insert(
            txn,
            professional::ActiveModel {
                id: Set(id),
                given_name: Set(demo.given_name.to_owned()),
                family_name: Set(demo.family_name.to_owned()),
                sort_name: Set(person_sort_key(demo.family_name, demo.given_name)),
                slug: Set(demo.slug.to_owned()),
                // The minutes give no contact details, and the demo invents none.
                email: Set(None),
                phone: Set(None),
                contact_visibility: Set(entity::enums::ContactVisibility::Members),
                user_id: Set(None),
                created_at: Set(now),
                updated_at: Set(now),
            },
        )
        .await?;
        for position in demo.positions {
            let position_id = Uuid::now_v7();
            mark("Position", position_id);
            insert(
                txn,
                position::ActiveModel {
                    id: Set(position_id),
                    professional_id: Set(id),
                    organisation_id: Set(resolve(
                        &organisations,
                        "organisation",
                        position.organisation,
                    )?),
                    job_title: Set(position.job_title.to_owned()),
                    field: Set(position.field.map(str::to_owned)),
                    territory_id: Set(position
                        .territory
                        .map(|slug| resolve(&territories, "territory", slug))
                        .transpose()?),
                    started_on: Set(position
                        .started_on
                        .map(|text| date("position.started_on", text))
                        .transpose()?),
                    ended_on: Set(None),
                    created_at: Set(now),
                    updated_at: Set(now),
                },
            )
            .await?;
        }
        professionals.insert(demo.slug.to_owned(), id);
        report.professionals += 1;
        mark("Professional", id);
    }

    let mut meetings = slugs!(txn, meeting);
    for demo in dataset::MEETINGS {
        if meetings.contains_key(demo.slug) {
            continue;
        }
        let id = Uuid::now_v7();
        insert(
            txn,
            meeting::ActiveModel {
                id: Set(id),
                title: Set(demo.title.to_owned()),
                slug: Set(demo.slug.to_owned()),
                held_on: Set(date("meeting.held_on", demo.held_on)?),
                format: Set(demo.format),
                organiser_id: Set(demo
                    .organiser
                    .map(|slug| resolve(&organisations, "organisation", slug))
                    .transpose()?),
                agenda: Set(Some(demo.agenda.to_owned())),
                summary: Set(Some(demo.summary.to_owned())),
                created_at: Set(now),
                updated_at: Set(now),
            },
        )
        .await?;
        for (rank, participant) in (1..).zip(demo.participants) {
            // An erased person's participation stays an anonymous trace, as after the erasure.
            let (professional_id, job_title) = if erased(&professionals, participant.professional) {
                report.skipped_erased += 1;
                (None, None)
            } else {
                (
                    Some(resolve(
                        &professionals,
                        "professional",
                        participant.professional,
                    )?),
                    Some(participant.job_title.to_owned()),
                )
            };
            insert(
                txn,
                meeting_participant::ActiveModel {
                    id: Set(Uuid::now_v7()),
                    meeting_id: Set(id),
                    professional_id: Set(professional_id),
                    role: Set(participant.role),
                    job_title: Set(job_title),
                    position: Set(rank),
                    created_at: Set(now),
                    updated_at: Set(now),
                },
            )
            .await?;
        }
        for (rank, question) in (1..).zip(demo.topics) {
            insert(
                txn,
                meeting_topic::ActiveModel {
                    id: Set(Uuid::now_v7()),
                    meeting_id: Set(id),
                    position: Set(rank),
                    question: Set((*question).to_owned()),
                    created_at: Set(now),
                    updated_at: Set(now),
                },
            )
            .await?;
        }
        meetings.insert(demo.slug.to_owned(), id);
        report.meetings += 1;
        mark("Meeting", id);
    }

    let mut initiatives = slugs!(txn, initiative);
    for demo in dataset::INITIATIVES {
        if initiatives.contains_key(demo.slug) {
            continue;
        }
        let id = Uuid::now_v7();
        initiatives.insert(demo.slug.to_owned(), id);
        insert(
            txn,
            initiative::ActiveModel {
                id: Set(id),
                title: Set(demo.title.to_owned()),
                title_sort: Set(sort_key(demo.title)),
                slug: Set(demo.slug.to_owned()),
                summary: Set(demo.summary.to_owned()),
                description: Set(Some(demo.description.to_owned())),
                started_on: Set(demo
                    .started_on
                    .map(|text| date("initiative.started_on", text))
                    .transpose()?),
                ended_on: Set(demo
                    .ended_on
                    .map(|text| date("initiative.ended_on", text))
                    .transpose()?),
                context: Set(demo.context.map(str::to_owned)),
                outcomes: Set(demo.outcomes.map(str::to_owned)),
                continuation: Set(demo.continuation.map(str::to_owned)),
                status: Set(ModerationStatus::Published),
                organisation_id: Set(None),
                submitted_by: Set(None),
                submitted_at: Set(None),
                published_at: Set(Some(now)),
                version: Set(1),
                latitude: Set(None),
                longitude: Set(None),
                place_explicit: Set(false),
                created_at: Set(now),
                updated_at: Set(now),
            },
        )
        .await?;
        for audience in demo.audiences {
            insert(
                txn,
                initiative_audience::ActiveModel {
                    initiative_id: Set(id),
                    audience: Set(*audience),
                },
            )
            .await?;
        }
        for slug in demo.themes {
            insert(
                txn,
                initiative_theme::ActiveModel {
                    initiative_id: Set(id),
                    theme_id: Set(resolve(&themes, "theme", slug)?),
                },
            )
            .await?;
        }
        for slug in demo.territories {
            insert(
                txn,
                initiative_territory::ActiveModel {
                    initiative_id: Set(id),
                    territory_id: Set(resolve(&territories, "territory", slug)?),
                },
            )
            .await?;
        }
        for (slug, role) in demo.organisations {
            insert(
                txn,
                initiative_organisation::ActiveModel {
                    initiative_id: Set(id),
                    organisation_id: Set(resolve(&organisations, "organisation", slug)?),
                    role: Set(*role),
                },
            )
            .await?;
        }
        for slug in demo.contacts {
            if erased(&professionals, slug) {
                report.skipped_erased += 1;
                continue;
            }
            insert(
                txn,
                initiative_contact::ActiveModel {
                    initiative_id: Set(id),
                    professional_id: Set(resolve(&professionals, "professional", slug)?),
                },
            )
            .await?;
        }
        for slug in demo.meetings {
            insert(
                txn,
                initiative_meeting::ActiveModel {
                    initiative_id: Set(id),
                    meeting_id: Set(resolve(&meetings, "meeting", slug)?),
                },
            )
            .await?;
        }
        store::search::index_initiative(txn, id).await?;
        report.initiatives += 1;
        published.push(events::Change::new(
            events::ChangeKind::InitiativePublished,
            events::Subject::initiative(id),
            events::Audience::Public,
        ));
    }
    // Their places come from their territories' points, as for any initiative written.
    store::places::refresh_all(txn).await?;
    for demo in dataset::LINKS {
        let from = resolve(&initiatives, "initiative", demo.from)?;
        let to = resolve(&initiatives, "initiative", demo.to)?;
        let present = initiative_link::Entity::find_by_id((from, to, demo.kind))
            .one(txn)
            .await?
            .is_some();
        if present {
            continue;
        }
        insert(
            txn,
            initiative_link::ActiveModel {
                from_id: Set(from),
                to_id: Set(to),
                kind: Set(demo.kind),
                note: Set(Some(demo.note.to_owned())),
                created_at: Set(now),
            },
        )
        .await?;
        report.links += 1;
    }
    let mut changes = Vec::new();
    for (type_name, ids) in changed {
        let ids: Vec<Uuid> = ids.into_iter().collect();
        changes.extend(events::reference_changes(type_name, &ids));
    }
    changes.extend(published);
    events::record(txn, &changes, now).await?;
    Ok(report)
}
