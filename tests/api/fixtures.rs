//! Rows written straight into the database, for states the public API cannot create
//! (drafts, large catalogues).

use chrono::{NaiveDate, Utc};
use entity::{enums::ModerationStatus, *};
use sea_orm::{ActiveValue::Set, ColumnTrait, DatabaseConnection, EntityTrait, QueryFilter};
use uuid::Uuid;

/// Every moderation status but PUBLISHED: what the public must never see.
pub const UNPUBLISHED: [ModerationStatus; 5] = [
    ModerationStatus::Draft,
    ModerationStatus::Submitted,
    ModerationStatus::ChangesRequested,
    ModerationStatus::Rejected,
    ModerationStatus::Archived,
];

/// An initiative to insert, linked by slugs to demo reference data.
pub struct NewInitiative<'a> {
    pub title: &'a str,
    pub status: ModerationStatus,
    pub started_on: Option<&'a str>,
    /// Publication day (at noon UTC) of a published initiative; now when not given.
    pub published_on: Option<&'a str>,
    pub themes: &'a [&'a str],
    pub territories: &'a [&'a str],
    pub organisations: &'a [&'a str],
    pub meetings: &'a [&'a str],
    /// The organisation (a slug) that owns the initiative, whose partners see it in every
    /// state.
    pub owner: Option<&'a str>,
    pub audiences: &'a [entity::enums::Audience],
    /// The description; the summary always quotes the title.
    pub description: Option<&'a str>,
}

impl Default for NewInitiative<'_> {
    fn default() -> Self {
        Self {
            title: "Initiative de test",
            status: ModerationStatus::Published,
            started_on: None,
            published_on: None,
            themes: &[],
            territories: &[],
            organisations: &[],
            meetings: &[],
            owner: None,
            audiences: &[],
            description: None,
        }
    }
}

/// Inserts one row, failing the test if the database refuses it.
async fn insert<A>(db: &DatabaseConnection, row: A)
where
    A: sea_orm::ActiveModelTrait + sea_orm::ActiveModelBehavior + Send,
    <A::Entity as EntityTrait>::Model: sea_orm::IntoActiveModel<A>,
{
    A::Entity::insert(row)
        .exec_without_returning(db)
        .await
        .expect("the fixture row is inserted");
}

macro_rules! id_by_slug {
    ($db:expr, $module:ident, $slug:expr) => {
        $module::Entity::find()
            .filter($module::Column::Slug.eq(*$slug))
            .one($db)
            .await
            .unwrap()
            .unwrap_or_else(|| panic!("no {} `{}`", stringify!($module), $slug))
            .id
    };
}

pub async fn insert_initiative(db: &DatabaseConnection, new: NewInitiative<'_>) -> Uuid {
    let id = Uuid::now_v7();
    let now = Utc::now();
    insert(
        db,
        initiative::ActiveModel {
            id: Set(id),
            title: Set(new.title.to_owned()),
            title_sort: Set(communs::domain::text::sort_key(new.title)),
            slug: Set(format!("test-{}", id.simple())),
            summary: Set(format!("Résumé de « {} »", new.title)),
            description: Set(new.description.map(str::to_owned)),
            started_on: Set(new
                .started_on
                .map(|text| text.parse::<NaiveDate>().unwrap())),
            ended_on: Set(None),
            context: Set(None),
            outcomes: Set(None),
            continuation: Set(None),
            status: Set(new.status),
            organisation_id: Set(match new.owner {
                Some(slug) => Some(id_by_slug!(db, organisation, &slug)),
                None => None,
            }),
            submitted_by: Set(None),
            submitted_at: Set((new.status == ModerationStatus::Submitted).then_some(now)),
            published_at: Set((new.status == ModerationStatus::Published).then(|| {
                new.published_on.map_or(now, |day| {
                    day.parse::<NaiveDate>()
                        .unwrap()
                        .and_hms_opt(12, 0, 0)
                        .unwrap()
                        .and_utc()
                })
            })),
            version: Set(1),
            latitude: Set(None),
            longitude: Set(None),
            place_explicit: Set(false),
            created_at: Set(now),
            updated_at: Set(now),
        },
    )
    .await;
    for slug in new.themes {
        let theme_id = id_by_slug!(db, theme, slug);
        insert(
            db,
            initiative_theme::ActiveModel {
                initiative_id: Set(id),
                theme_id: Set(theme_id),
            },
        )
        .await;
    }
    for slug in new.territories {
        let territory_id = id_by_slug!(db, territory, slug);
        insert(
            db,
            initiative_territory::ActiveModel {
                initiative_id: Set(id),
                territory_id: Set(territory_id),
            },
        )
        .await;
    }
    for slug in new.organisations {
        let organisation_id = id_by_slug!(db, organisation, slug);
        insert(
            db,
            initiative_organisation::ActiveModel {
                initiative_id: Set(id),
                organisation_id: Set(organisation_id),
                role: Set(entity::enums::OrganisationRole::Lead),
            },
        )
        .await;
    }
    for audience in new.audiences {
        insert(
            db,
            initiative_audience::ActiveModel {
                initiative_id: Set(id),
                audience: Set(*audience),
            },
        )
        .await;
    }
    for slug in new.meetings {
        let meeting_id = id_by_slug!(db, meeting, slug);
        insert(
            db,
            initiative_meeting::ActiveModel {
                initiative_id: Set(id),
                meeting_id: Set(meeting_id),
            },
        )
        .await;
    }
    communs::store::search::index_initiative(db, id)
        .await
        .unwrap_or_else(|_| panic!("the fixture initiative {id} is indexed"));
    id
}

/// Gives a demo professional contact details with the given visibility.
pub async fn set_contact_details(
    db: &DatabaseConnection,
    slug: &str,
    visibility: entity::enums::ContactVisibility,
) {
    let professional = professional::Entity::find()
        .filter(professional::Column::Slug.eq(slug))
        .one(db)
        .await
        .unwrap()
        .unwrap();
    professional::Entity::update(professional::ActiveModel {
        id: Set(professional.id),
        email: Set(Some(format!("{slug}@exemple.fr"))),
        phone: Set(Some("03 87 00 00 00".to_owned())),
        contact_visibility: Set(visibility),
        ..Default::default()
    })
    .exec(db)
    .await
    .unwrap();
}

/// An experience of `status` about an initiative.
pub async fn insert_experience(
    db: &DatabaseConnection,
    initiative_id: Uuid,
    title: &str,
    status: ModerationStatus,
) -> Uuid {
    let id = Uuid::now_v7();
    let now = Utc::now();
    insert(
        db,
        experience::ActiveModel {
            id: Set(id),
            initiative_id: Set(initiative_id),
            author_id: Set(None),
            organisation_id: Set(None),
            title: Set(title.to_owned()),
            body: Set(format!("Ce que nous avons fait : {title}.")),
            status: Set(status),
            submitted_at: Set((status == ModerationStatus::Submitted).then_some(now)),
            published_at: Set((status == ModerationStatus::Published).then_some(now)),
            version: Set(1),
            created_at: Set(now),
            updated_at: Set(now),
        },
    )
    .await;
    id
}

/// A territory of `kind` with this code, contained in the territory `parent` (a slug).
pub async fn insert_territory(
    db: &DatabaseConnection,
    name: &str,
    kind: entity::enums::TerritoryKind,
    code: &str,
    parent: Option<&str>,
) -> Uuid {
    let id = Uuid::now_v7();
    let now = Utc::now();
    insert(
        db,
        territory::ActiveModel {
            id: Set(id),
            name: Set(name.to_owned()),
            sort_name: Set(communs::domain::text::sort_key(name)),
            slug: Set(communs::domain::text::sort_key(name).replace(' ', "-")),
            kind: Set(kind),
            official_code: Set(Some(code.to_owned())),
            latitude: Set(None),
            longitude: Set(None),
            valid_from: Set(None),
            valid_to: Set(None),
            created_at: Set(now),
            updated_at: Set(now),
        },
    )
    .await;
    if let Some(parent) = parent {
        let parent_id = id_by_slug!(db, territory, &parent);
        insert(
            db,
            territory_parent::ActiveModel {
                child_id: Set(id),
                parent_id: Set(parent_id),
            },
        )
        .await;
    }
    id
}

/// Makes the account `user_id` (a global `User:` id) the demo professional's own.
pub async fn link_professional_to_account(db: &DatabaseConnection, slug: &str, user_id: &str) {
    let user_id: Uuid = user_id.strip_prefix("User:").unwrap().parse().unwrap();
    let professional = id_by_slug!(db, professional, &slug);
    professional::Entity::update(professional::ActiveModel {
        id: Set(professional),
        user_id: Set(Some(user_id)),
        ..Default::default()
    })
    .exec(db)
    .await
    .unwrap();
}

/// Gives an experience to the organisation `slug`, whose partners see it in every state.
pub async fn set_experience_organisation(db: &DatabaseConnection, experience_id: Uuid, slug: &str) {
    let organisation = id_by_slug!(db, organisation, &slug);
    experience::Entity::update(experience::ActiveModel {
        id: Set(experience_id),
        organisation_id: Set(Some(organisation)),
        ..Default::default()
    })
    .exec(db)
    .await
    .unwrap();
}

/// Names the demo professional `professional` (a slug) as a contact of the initiative
/// `initiative_id`.
pub async fn add_initiative_contact(
    db: &DatabaseConnection,
    initiative_id: Uuid,
    professional: &str,
) {
    let professional_id = id_by_slug!(db, professional, &professional);
    insert(
        db,
        initiative_contact::ActiveModel {
            initiative_id: Set(initiative_id),
            professional_id: Set(professional_id),
        },
    )
    .await;
}

/// The audit log, oldest first: (subject type, subject id, action, comment).
pub async fn audit_log(db: &DatabaseConnection) -> Vec<moderation_event::Model> {
    use sea_orm::QueryOrder;
    moderation_event::Entity::find()
        .order_by_asc(moderation_event::Column::CreatedAt)
        .all(db)
        .await
        .unwrap()
}
