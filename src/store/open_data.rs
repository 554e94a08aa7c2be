//! The published catalogue as the open-data exports and the Atom feed give it: each
//! initiative with the names of its themes, territories and organisations, its audiences,
//! and its contacts with only what they made public. Read page by page, so that an export
//! of the whole catalogue holds one page in memory at a time.

use std::collections::HashMap;

use chrono::{DateTime, NaiveDate, Utc};
use entity::{
    change_event,
    enums::{Audience, ContactVisibility, TerritoryKind},
    initiative, initiative_audience, initiative_contact, initiative_organisation,
    initiative_territory, initiative_theme, organisation, professional, territory, theme,
};
use sea_orm::{
    ColumnTrait, DatabaseConnection, EntityTrait, FromQueryResult, Order, QueryFilter, QueryOrder,
    QuerySelect,
};
use uuid::Uuid;

use super::initiatives;
use crate::{
    domain::{initiative_query::InitiativeFilter, visibility::ContributionScope},
    error::AppResult,
};

/// A published initiative, as open data.
#[derive(Debug, Clone)]
pub struct PublishedInitiative {
    pub id: Uuid,
    pub slug: String,
    pub title: String,
    pub summary: String,
    pub description: Option<String>,
    pub started_on: Option<NaiveDate>,
    pub ended_on: Option<NaiveDate>,
    pub published_at: Option<DateTime<Utc>>,
    /// When it last changed for the public: its newest change in the change stream, or its
    /// publication when the stream no longer holds it.
    pub changed_at: DateTime<Utc>,
    pub audiences: Vec<Audience>,
    pub themes: Vec<String>,
    pub territories: Vec<PlacedTerritory>,
    pub organisations: Vec<String>,
    pub contacts: Vec<PublicContact>,
}

/// A territory of an initiative, with its representative point when known.
#[derive(Debug, Clone)]
pub struct PlacedTerritory {
    pub name: String,
    pub kind: TerritoryKind,
    pub official_code: Option<String>,
    pub point: Option<(f64, f64)>,
}

/// A contact person: the name, and the e-mail and phone only when they are public.
#[derive(Debug, Clone)]
pub struct PublicContact {
    pub name: String,
    pub email: Option<String>,
    pub phone: Option<String>,
}

impl PublishedInitiative {
    /// The point of its most local territory whose point is known, as (latitude, longitude).
    pub fn point(&self) -> Option<(f64, f64)> {
        self.territories
            .iter()
            .filter(|territory| territory.point.is_some())
            .min_by_key(|territory| locality(territory.kind))
            .and_then(|territory| territory.point)
    }
}

/// Smaller for more local kinds of territory.
fn locality(kind: TerritoryKind) -> u8 {
    match kind {
        TerritoryKind::PriorityNeighbourhood => 0,
        TerritoryKind::Municipality => 1,
        TerritoryKind::Intercommunality => 2,
        TerritoryKind::Other => 3,
        TerritoryKind::Department => 4,
        TerritoryKind::Region => 5,
    }
}

/// Up to `size` published initiatives matching `filter`, after `after` in the order of ids.
#[tracing::instrument(skip(db))]
pub async fn page(
    db: &DatabaseConnection,
    filter: &InitiativeFilter,
    after: Option<Uuid>,
    size: u64,
) -> AppResult<Vec<PublishedInitiative>> {
    let mut select = initiatives::select(
        db.get_database_backend(),
        &ContributionScope::PublishedOnly,
        filter,
    );
    if let Some(after) = after {
        select = select.filter(initiative::Column::Id.gt(after));
    }
    let rows = select
        .order_by(initiative::Column::Id, Order::Asc)
        .limit(size)
        .all(db)
        .await?;
    with_details(db, rows).await
}

/// The `count` published initiatives matching `filter` published last, newest first.
#[tracing::instrument(skip(db))]
pub async fn newest(
    db: &DatabaseConnection,
    filter: &InitiativeFilter,
    count: u64,
) -> AppResult<Vec<PublishedInitiative>> {
    let rows = initiatives::select(
        db.get_database_backend(),
        &ContributionScope::PublishedOnly,
        filter,
    )
    .order_by(initiative::Column::PublishedAt, Order::Desc)
    .order_by(initiative::Column::Id, Order::Desc)
    .limit(count)
    .all(db)
    .await?;
    with_details(db, rows).await
}

#[derive(FromQueryResult)]
struct LastChange {
    subject_id: Uuid,
    changed_at: DateTime<Utc>,
}

async fn with_details(
    db: &DatabaseConnection,
    rows: Vec<initiative::Model>,
) -> AppResult<Vec<PublishedInitiative>> {
    let ids: Vec<Uuid> = rows.iter().map(|row| row.id).collect();
    if ids.is_empty() {
        return Ok(Vec::new());
    }
    let changes: HashMap<Uuid, DateTime<Utc>> = change_event::Entity::find()
        .select_only()
        .column(change_event::Column::SubjectId)
        .column_as(change_event::Column::OccurredAt.max(), "changed_at")
        .filter(change_event::Column::SubjectId.is_in(ids.clone()))
        .filter(change_event::Column::Audience.eq("PUBLIC"))
        .group_by(change_event::Column::SubjectId)
        .into_model::<LastChange>()
        .all(db)
        .await?
        .into_iter()
        .map(|change| (change.subject_id, change.changed_at))
        .collect();

    let mut audiences: HashMap<Uuid, Vec<Audience>> = HashMap::new();
    for row in initiative_audience::Entity::find()
        .filter(initiative_audience::Column::InitiativeId.is_in(ids.clone()))
        .all(db)
        .await?
    {
        audiences
            .entry(row.initiative_id)
            .or_default()
            .push(row.audience);
    }

    let theme_links = initiative_theme::Entity::find()
        .filter(initiative_theme::Column::InitiativeId.is_in(ids.clone()))
        .all(db)
        .await?;
    let themes: HashMap<Uuid, theme::Model> = theme::Entity::find()
        .filter(theme::Column::Id.is_in(theme_links.iter().map(|link| link.theme_id)))
        .all(db)
        .await?
        .into_iter()
        .map(|theme| (theme.id, theme))
        .collect();
    let mut theme_names: HashMap<Uuid, Vec<&theme::Model>> = HashMap::new();
    for link in &theme_links {
        if let Some(theme) = themes.get(&link.theme_id) {
            theme_names
                .entry(link.initiative_id)
                .or_default()
                .push(theme);
        }
    }

    let territory_links = initiative_territory::Entity::find()
        .filter(initiative_territory::Column::InitiativeId.is_in(ids.clone()))
        .all(db)
        .await?;
    let territories: HashMap<Uuid, territory::Model> = territory::Entity::find()
        .filter(territory::Column::Id.is_in(territory_links.iter().map(|link| link.territory_id)))
        .all(db)
        .await?
        .into_iter()
        .map(|territory| (territory.id, territory))
        .collect();
    let mut placed: HashMap<Uuid, Vec<&territory::Model>> = HashMap::new();
    for link in &territory_links {
        if let Some(territory) = territories.get(&link.territory_id) {
            placed
                .entry(link.initiative_id)
                .or_default()
                .push(territory);
        }
    }

    let organisation_links = initiative_organisation::Entity::find()
        .filter(initiative_organisation::Column::InitiativeId.is_in(ids.clone()))
        .all(db)
        .await?;
    let organisations: HashMap<Uuid, organisation::Model> = organisation::Entity::find()
        .filter(
            organisation::Column::Id
                .is_in(organisation_links.iter().map(|link| link.organisation_id)),
        )
        .all(db)
        .await?
        .into_iter()
        .map(|organisation| (organisation.id, organisation))
        .collect();
    let mut involved: HashMap<Uuid, Vec<&organisation::Model>> = HashMap::new();
    for link in &organisation_links {
        if let Some(organisation) = organisations.get(&link.organisation_id) {
            involved
                .entry(link.initiative_id)
                .or_default()
                .push(organisation);
        }
    }

    let contact_links = initiative_contact::Entity::find()
        .filter(initiative_contact::Column::InitiativeId.is_in(ids.clone()))
        .all(db)
        .await?;
    let people: HashMap<Uuid, professional::Model> = professional::Entity::find()
        .filter(
            professional::Column::Id.is_in(contact_links.iter().map(|link| link.professional_id)),
        )
        .all(db)
        .await?
        .into_iter()
        .map(|person| (person.id, person))
        .collect();
    let mut contacts: HashMap<Uuid, Vec<&professional::Model>> = HashMap::new();
    for link in &contact_links {
        if let Some(person) = people.get(&link.professional_id) {
            contacts.entry(link.initiative_id).or_default().push(person);
        }
    }

    Ok(rows
        .into_iter()
        .map(|row| {
            let mut row_themes: Vec<&theme::Model> =
                theme_names.remove(&row.id).unwrap_or_default();
            row_themes.sort_by(|a, b| a.sort_name.cmp(&b.sort_name));
            let mut row_territories = placed.remove(&row.id).unwrap_or_default();
            row_territories.sort_by(|a, b| a.sort_name.cmp(&b.sort_name));
            let mut row_organisations = involved.remove(&row.id).unwrap_or_default();
            row_organisations.sort_by(|a, b| a.sort_name.cmp(&b.sort_name));
            let mut row_contacts = contacts.remove(&row.id).unwrap_or_default();
            row_contacts.sort_by(|a, b| a.sort_name.cmp(&b.sort_name));
            let mut row_audiences = audiences.remove(&row.id).unwrap_or_default();
            row_audiences.sort_by_key(|audience| audience.as_str());
            PublishedInitiative {
                changed_at: changes
                    .get(&row.id)
                    .copied()
                    .or(row.published_at)
                    .unwrap_or(row.updated_at),
                id: row.id,
                slug: row.slug,
                title: row.title,
                summary: row.summary,
                description: row.description,
                started_on: row.started_on,
                ended_on: row.ended_on,
                published_at: row.published_at,
                audiences: row_audiences,
                themes: row_themes.iter().map(|theme| theme.name.clone()).collect(),
                territories: row_territories
                    .iter()
                    .map(|territory| PlacedTerritory {
                        name: territory.name.clone(),
                        kind: territory.kind,
                        official_code: territory.official_code.clone(),
                        point: territory.latitude.zip(territory.longitude),
                    })
                    .collect(),
                organisations: row_organisations
                    .iter()
                    .map(|organisation| organisation.name.clone())
                    .collect(),
                contacts: row_contacts
                    .iter()
                    .map(|person| {
                        let public = person.contact_visibility == ContactVisibility::Public;
                        PublicContact {
                            name: format!("{} {}", person.given_name, person.family_name),
                            email: person.email.clone().filter(|_| public),
                            phone: person.phone.clone().filter(|_| public),
                        }
                    })
                    .collect(),
            }
        })
        .collect())
}
