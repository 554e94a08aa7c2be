//! DataLoaders: every relation is read in one batched query per request, whatever the
//! number of parents, so a request runs a bounded number of SQL statements.
//!
//! Loaders are built per request: their cache then never outlives the caller whose
//! visibility they were built with.

use std::{
    collections::HashMap,
    sync::{Arc, OnceLock},
};

use async_graphql::dataloader::{DataLoader, HashMapCache, Loader};
use entity::*;
use sea_orm::{
    ColumnTrait, Condition, DatabaseConnection, EntityTrait, ExprTrait, Order, QueryFilter,
    QueryOrder,
    sea_query::{Expr, Query},
};
use uuid::Uuid;

use super::{
    batching::BatchQueue,
    initiative_links::VariantsOf,
    initiatives,
    keyed::Keyed,
    reference_rows::{ReferenceRows, RowCache},
    revisions,
    sql::{for_backend, placeholders},
    users,
};
use crate::{
    domain::{
        page::Window,
        visibility::{AccountScope, ContributionScope},
    },
    error::AppError,
};

/// Loads rows of `E` by id, among those `condition` lets through.
pub struct ById<E: Keyed> {
    db: DatabaseConnection,
    condition: Condition,
    /// Rows kept across requests, for public reference data.
    kept: Option<Arc<RowCache<E::Model>>>,
}

impl<E: Keyed> ById<E> {
    fn new(db: &DatabaseConnection, condition: Condition) -> Self {
        Self {
            db: db.clone(),
            condition,
            kept: None,
        }
    }

    /// Every caller sees every row: rows are read from `kept` first when given, and kept
    /// once read.
    fn public_kept_in(db: &DatabaseConnection, kept: Option<&Arc<RowCache<E::Model>>>) -> Self {
        Self {
            kept: kept.filter(|kept| kept.keeps()).cloned(),
            ..Self::new(db, Condition::all())
        }
    }
}

impl<E> ById<E>
where
    E: Keyed + Send + Sync,
    E::Model: Clone + Send + Sync,
{
    async fn read(&self, ids: &[Uuid]) -> Result<HashMap<Uuid, E::Model>, AppError> {
        let rows = E::find()
            .filter(self.condition.clone())
            .filter(E::id_column().is_in(ids.iter().copied()))
            .all(&self.db)
            .await?;
        Ok(rows.into_iter().map(|row| (E::id_of(&row), row)).collect())
    }
}

impl<E> Loader<Uuid> for ById<E>
where
    E: Keyed + Send + Sync,
    E::Model: Clone + Send + Sync,
{
    type Value = E::Model;
    type Error = AppError;

    async fn load(&self, ids: &[Uuid]) -> Result<HashMap<Uuid, E::Model>, AppError> {
        let Some(kept) = &self.kept else {
            return self.read(ids).await;
        };
        let mark = kept.mark();
        let (mut found, missing) = kept.get(ids);
        if !missing.is_empty() {
            let read = self.read(&missing).await?;
            kept.keep(mark, &read);
            found.extend(read);
        }
        Ok(found)
    }
}

/// What an initiative is linked to: its themes, its territories, its organisations with
/// their roles (as stored), by id.
#[derive(Debug, Default)]
pub struct InitiativeLinks {
    pub themes: Vec<Uuid>,
    pub territories: Vec<Uuid>,
    pub organisations: Vec<(Uuid, String)>,
}

/// The links of each initiative, all three kinds in one statement: the rows they lead to
/// are reference data, mostly kept in memory (`reference_rows`).
pub struct LinksOfInitiative {
    db: DatabaseConnection,
}

impl Loader<Uuid> for LinksOfInitiative {
    type Value = Arc<InitiativeLinks>;
    type Error = AppError;

    async fn load(&self, owners: &[Uuid]) -> Result<HashMap<Uuid, Self::Value>, AppError> {
        use sea_orm::{ConnectionTrait, Statement};
        const THEME: i32 = 0;
        const TERRITORY: i32 = 1;
        const ORGANISATION: i32 = 2;
        let backend = self.db.get_database_backend();
        let owned = placeholders(owners.len());
        let sql = format!(
            "SELECT {THEME} AS relation, initiative_id, theme_id AS target, \
                    CAST(NULL AS TEXT) AS role \
             FROM initiative_theme WHERE initiative_id IN ({owned}) \
             UNION ALL SELECT {TERRITORY}, initiative_id, territory_id, CAST(NULL AS TEXT) \
             FROM initiative_territory WHERE initiative_id IN ({owned}) \
             UNION ALL SELECT {ORGANISATION}, initiative_id, organisation_id, role \
             FROM initiative_organisation WHERE initiative_id IN ({owned})"
        );
        let values = std::iter::repeat_n(owners, 3)
            .flatten()
            .map(|owner| sea_orm::Value::from(*owner));
        let statement = Statement::from_sql_and_values(backend, for_backend(backend, &sql), values);
        let mut links: HashMap<Uuid, InitiativeLinks> = owners
            .iter()
            .map(|owner| (*owner, InitiativeLinks::default()))
            .collect();
        for row in self.db.query_all_raw(statement).await? {
            let relation: i32 = row.try_get("", "relation")?;
            let owner: Uuid = row.try_get("", "initiative_id")?;
            let target: Uuid = row.try_get("", "target")?;
            let owned = links.entry(owner).or_default();
            match relation {
                THEME => owned.themes.push(target),
                TERRITORY => owned.territories.push(target),
                _ => {
                    let role: Option<String> = row.try_get("", "role")?;
                    owned.organisations.push((target, role.unwrap_or_default()));
                }
            }
        }
        Ok(links
            .into_iter()
            .map(|(owner, owned)| (owner, Arc::new(owned)))
            .collect())
    }
}

/// Loads the rows of `E` that belong to each owner id (`owner` column), in `order`.
pub struct RowsBy<E: EntityTrait> {
    db: DatabaseConnection,
    owner: E::Column,
    owner_of: fn(&E::Model) -> Uuid,
    condition: Condition,
    order: Vec<(Expr, Order)>,
}

impl<E: EntityTrait> RowsBy<E> {
    fn new(db: &DatabaseConnection, owner: E::Column, owner_of: fn(&E::Model) -> Uuid) -> Self {
        Self {
            db: db.clone(),
            owner,
            owner_of,
            condition: Condition::all(),
            order: Vec::new(),
        }
    }

    fn only(mut self, condition: Condition) -> Self {
        self.condition = condition;
        self
    }

    fn ordered_by(mut self, column: E::Column, order: Order) -> Self {
        self.order.push((column.into_expr(), order));
        self
    }

    /// Orders by a nullable column with empty values last, on both backends.
    fn ordered_by_nulls_last(mut self, column: E::Column, order: Order) -> Self {
        self.order.push((column.into_expr().is_null(), Order::Asc));
        self.ordered_by(column, order)
    }
}

impl<E> Loader<Uuid> for RowsBy<E>
where
    E: EntityTrait + Send + Sync,
    E::Model: Clone + Send + Sync,
    E::Column: Send + Sync,
{
    type Value = Arc<[E::Model]>;
    type Error = AppError;

    async fn load(&self, owners: &[Uuid]) -> Result<HashMap<Uuid, Arc<[E::Model]>>, AppError> {
        let mut select = E::find()
            .filter(self.condition.clone())
            .filter(self.owner.is_in(owners.iter().copied()));
        for (expr, order) in &self.order {
            select = select.order_by(expr.clone(), order.clone());
        }
        let mut grouped: HashMap<Uuid, Vec<E::Model>> = HashMap::new();
        for row in select.all(&self.db).await? {
            grouped.entry((self.owner_of)(&row)).or_default().push(row);
        }
        Ok(grouped
            .into_iter()
            .map(|(owner, rows)| (owner, rows.into()))
            .collect())
    }
}

/// One page of the initiatives of each territory (and what it contains), by territory and
/// window: the ids, with one more than the window when a next page exists.
pub struct InitiativesOfTerritory {
    db: DatabaseConnection,
    scope: ContributionScope,
}

impl Loader<(Uuid, Window)> for InitiativesOfTerritory {
    type Value = Arc<[Uuid]>;
    type Error = AppError;

    async fn load(
        &self,
        keys: &[(Uuid, Window)],
    ) -> Result<HashMap<(Uuid, Window), Arc<[Uuid]>>, AppError> {
        // Sibling territories almost always ask for the same window: one query per window.
        let mut by_window: HashMap<Window, Vec<Uuid>> = HashMap::new();
        for (territory, window) in keys {
            by_window.entry(*window).or_default().push(*territory);
        }
        let mut pages = HashMap::new();
        for (window, territories) in by_window {
            let mut found =
                initiatives::page_per_territory(&self.db, &self.scope, &territories, window)
                    .await?;
            for territory in territories {
                let ids = found.remove(&territory).unwrap_or_default();
                pages.insert((territory, window), ids.into());
            }
        }
        Ok(pages)
    }
}

/// One page of the revisions of each initiative, by initiative and window, with one more
/// row after the window when there is one.
pub struct RevisionsOfInitiative {
    db: DatabaseConnection,
}

impl Loader<(Uuid, Window)> for RevisionsOfInitiative {
    type Value = Arc<[initiative_revision::Model]>;
    type Error = AppError;

    async fn load(
        &self,
        keys: &[(Uuid, Window)],
    ) -> Result<HashMap<(Uuid, Window), Self::Value>, AppError> {
        // The initiatives of a list ask for the same window: one query per window.
        let mut by_window: HashMap<Window, Vec<Uuid>> = HashMap::new();
        for (initiative, window) in keys {
            by_window.entry(*window).or_default().push(*initiative);
        }
        let mut pages = HashMap::new();
        for (window, initiatives) in by_window {
            let mut found = revisions::pages_per_initiative(&self.db, &initiatives, window).await?;
            for initiative in initiatives {
                let rows = found.remove(&initiative).unwrap_or_default();
                pages.insert((initiative, window), rows.into());
            }
        }
        Ok(pages)
    }
}

/// How many initiatives each territory (and what it contains) holds.
pub struct InitiativeCountOfTerritory {
    db: DatabaseConnection,
    scope: ContributionScope,
}

impl Loader<Uuid> for InitiativeCountOfTerritory {
    type Value = u64;
    type Error = AppError;

    async fn load(&self, territories: &[Uuid]) -> Result<HashMap<Uuid, u64>, AppError> {
        let mut counts =
            initiatives::count_per_territory(&self.db, &self.scope, territories).await?;
        for territory in territories {
            counts.entry(*territory).or_insert(0);
        }
        Ok(counts)
    }
}

type Cached<T> = DataLoader<T, HashMapCache>;

fn cached<T: Send + Sync + 'static>(queue: &BatchQueue, loader: T) -> Cached<T> {
    DataLoader::with_cache(loader, queue.spawner(), HashMapCache::default())
        // The batch window is one poll of the request (see `batching`), not a timer.
        .delay(std::time::Duration::ZERO)
}

/// What the loaders of one request are built from.
struct Request {
    db: DatabaseConnection,
    scope: ContributionScope,
    accounts: AccountScope,
    /// Themes, territories and organisations kept across requests, when they may be read.
    themes: Option<Arc<RowCache<theme::Model>>>,
    territories: Option<Arc<RowCache<territory::Model>>>,
    organisations: Option<Arc<RowCache<organisation::Model>>>,
    queue: BatchQueue,
    /// Whether a loader keeps what it loaded: not for a subscription, whose loaders live as
    /// long as it does and must read each change afresh.
    remembers: bool,
}

/// Declares the loaders of a request, each built the first time a resolver asks for it: a
/// request uses a few of them, and building all of them for every request was 4 % of the
/// work of a page by slug.
macro_rules! loaders {
    ($($(#[$doc:meta])* $name:ident: $loader:ty = |$request:ident| $make:expr;)*) => {
        /// Every loader of one request.
        pub struct Loaders {
            request: Request,
            $($name: OnceLock<Cached<$loader>>,)*
        }

        impl Loaders {
            fn with(request: Request) -> Self {
                Self {
                    request,
                    $($name: OnceLock::new(),)*
                }
            }

            $(
                $(#[$doc])*
                pub fn $name(&self) -> &Cached<$loader> {
                    self.$name.get_or_init(|| {
                        let $request = &self.request;
                        let loader = cached(&$request.queue, $make);
                        if !$request.remembers {
                            loader.enable_all_cache(false);
                        }
                        loader
                    })
                }
            )*
        }
    };
}

loaders! {
    initiative: ById<initiative::Entity> =
        |request| ById::new(&request.db, initiatives::visible(&request.scope));
    theme: ById<theme::Entity> =
        |request| ById::public_kept_in(&request.db, request.themes.as_ref());
    territory: ById<territory::Entity> =
        |request| ById::public_kept_in(&request.db, request.territories.as_ref());
    organisation: ById<organisation::Entity> =
        |request| ById::public_kept_in(&request.db, request.organisations.as_ref());
    professional: ById<professional::Entity> = |request| ById::new(&request.db, Condition::all());
    meeting: ById<meeting::Entity> = |request| ById::new(&request.db, Condition::all());
    experience: ById<experience::Entity> =
        |request| ById::new(&request.db, visible_experiences(&request.scope));
    /// Accounts, as far as the caller may see them.
    user: ById<user::Entity> = |request| ById::new(&request.db, users::visible(&request.accounts));
    /// Change proposals: their organisation's for partners, all for moderators.
    change_proposal: ById<change_proposal::Entity> =
        |request| ById::new(&request.db, proposals_in_scope(&request.scope));
    position: ById<position::Entity> = |request| ById::new(&request.db, Condition::all());
    meeting_participant: ById<meeting_participant::Entity> =
        |request| ById::new(&request.db, Condition::all());
    meeting_topic: ById<meeting_topic::Entity> = |request| ById::new(&request.db, Condition::all());
    /// Entries of the audit log, whoever asks: the resolver checks who may read them.
    moderation_event: ById<moderation_event::Entity> =
        |request| ById::new(&request.db, Condition::all());
    /// API keys, whoever asks: the audit log shows only their names.
    api_key: ById<api_key::Entity> = |request| ById::new(&request.db, Condition::all());

    /// An initiative's themes, territories and organisations (their ids), in one query.
    links_of_initiative: LinksOfInitiative = |request| LinksOfInitiative { db: request.db.clone() };
    contacts_of_initiative: RowsBy<initiative_contact::Entity> = |request| RowsBy::new(
        &request.db,
        initiative_contact::Column::InitiativeId,
        |row: &initiative_contact::Model| row.initiative_id,
    );
    meetings_of_initiative: RowsBy<initiative_meeting::Entity> = |request| RowsBy::new(
        &request.db,
        initiative_meeting::Column::InitiativeId,
        |row: &initiative_meeting::Model| row.initiative_id,
    );
    audiences_of_initiative: RowsBy<initiative_audience::Entity> = |request| RowsBy::new(
        &request.db,
        initiative_audience::Column::InitiativeId,
        |row: &initiative_audience::Model| row.initiative_id,
    )
    .ordered_by(initiative_audience::Column::Audience, Order::Asc);
    experiences_of_initiative: RowsBy<experience::Entity> = |request| RowsBy::new(
        &request.db,
        experience::Column::InitiativeId,
        |row: &experience::Model| row.initiative_id,
    )
    .only(visible_experiences(&request.scope))
    .ordered_by(experience::Column::PublishedAt, Order::Desc)
    .ordered_by(experience::Column::Id, Order::Desc);

    /// The links each initiative holds, to any initiative: the resolver keeps the visible ones.
    links_from_initiative: RowsBy<initiative_link::Entity> = |request| RowsBy::new(
        &request.db,
        initiative_link::Column::FromId,
        |row: &initiative_link::Model| row.from_id,
    )
    .ordered_by(initiative_link::Column::Kind, Order::Asc)
    .ordered_by(initiative_link::Column::CreatedAt, Order::Asc)
    .ordered_by(initiative_link::Column::ToId, Order::Asc);
    /// The links naming each initiative, from any initiative.
    links_to_initiative: RowsBy<initiative_link::Entity> = |request| RowsBy::new(
        &request.db,
        initiative_link::Column::ToId,
        |row: &initiative_link::Model| row.to_id,
    )
    .ordered_by(initiative_link::Column::Kind, Order::Asc)
    .ordered_by(initiative_link::Column::CreatedAt, Order::Asc)
    .ordered_by(initiative_link::Column::FromId, Order::Asc);
    /// The visible variants of each initiative, by title.
    variants_of_initiative: VariantsOf = |request| VariantsOf {
        db: request.db.clone(),
        scope: request.scope.clone(),
    };

    initiatives_of_meeting: RowsBy<initiative_meeting::Entity> = |request| RowsBy::new(
        &request.db,
        initiative_meeting::Column::MeetingId,
        |row: &initiative_meeting::Model| row.meeting_id,
    );
    participants_of_meeting: RowsBy<meeting_participant::Entity> = |request| RowsBy::new(
        &request.db,
        meeting_participant::Column::MeetingId,
        |row: &meeting_participant::Model| row.meeting_id,
    )
    .ordered_by(meeting_participant::Column::Position, Order::Asc)
    .ordered_by(meeting_participant::Column::Id, Order::Asc);
    topics_of_meeting: RowsBy<meeting_topic::Entity> = |request| RowsBy::new(
        &request.db,
        meeting_topic::Column::MeetingId,
        |row: &meeting_topic::Model| row.meeting_id,
    )
    .ordered_by(meeting_topic::Column::Position, Order::Asc)
    .ordered_by(meeting_topic::Column::Id, Order::Asc);

    /// A page of each initiative's revisions.
    revisions_of_initiative: RevisionsOfInitiative =
        |request| RevisionsOfInitiative { db: request.db.clone() };
    initiatives_of_territory: InitiativesOfTerritory = |request| InitiativesOfTerritory {
        db: request.db.clone(),
        scope: request.scope.clone(),
    };
    initiative_count_of_territory: InitiativeCountOfTerritory =
        |request| InitiativeCountOfTerritory {
            db: request.db.clone(),
            scope: request.scope.clone(),
        };
    parents_of_territory: RowsBy<territory_parent::Entity> = |request| RowsBy::new(
        &request.db,
        territory_parent::Column::ChildId,
        |row: &territory_parent::Model| row.child_id,
    );
    children_of_territory: RowsBy<territory_parent::Entity> = |request| RowsBy::new(
        &request.db,
        territory_parent::Column::ParentId,
        |row: &territory_parent::Model| row.parent_id,
    );
    sub_themes: RowsBy<theme::Entity> = |request| RowsBy::new(
        &request.db,
        theme::Column::ParentId,
        // Only rows with a parent match the `parent_id IN (...)` filter.
        |row: &theme::Model| row.parent_id.unwrap_or_default(),
    )
    .ordered_by(theme::Column::Position, Order::Asc)
    .ordered_by(theme::Column::SortName, Order::Asc);
    current_positions: RowsBy<position::Entity> = |request| RowsBy::new(
        &request.db,
        position::Column::ProfessionalId,
        |row: &position::Model| row.professional_id,
    )
    .only(Condition::all().add(position::Column::EndedOn.is_null()))
    .ordered_by_nulls_last(position::Column::StartedOn, Order::Desc)
    .ordered_by(position::Column::Id, Order::Asc);
}

/// The change proposals a scope lets the caller see: they are not public.
fn proposals_in_scope(scope: &ContributionScope) -> Condition {
    match scope {
        ContributionScope::PublishedOnly => Condition::all().add(Expr::val(false)),
        ContributionScope::PublishedAndOrganisation(own) => {
            Condition::all().add(change_proposal::Column::OrganisationId.eq(*own))
        }
        ContributionScope::Everything => Condition::all(),
    }
}

/// An experience is visible when it is, and so is the initiative it is about.
fn visible_experiences(scope: &ContributionScope) -> Condition {
    Condition::all()
        .add(initiatives::in_scope(
            scope,
            experience::Column::Status,
            experience::Column::OrganisationId,
        ))
        .add(
            experience::Column::InitiativeId.in_subquery(
                Query::select()
                    .column(initiative::Column::Id)
                    .from(initiative::Entity)
                    .cond_where(initiatives::visible(scope))
                    .to_owned(),
            ),
        )
}

impl Loaders {
    /// The loaders of one request; their batches run through `queue` (see `batching`).
    /// Themes, territories and organisations are read from `reference` first, when given.
    pub fn new(
        db: &DatabaseConnection,
        scope: &ContributionScope,
        accounts: &AccountScope,
        reference: Option<&ReferenceRows>,
        queue: &BatchQueue,
    ) -> Self {
        Self::with(Request {
            db: db.clone(),
            scope: scope.clone(),
            accounts: accounts.clone(),
            themes: reference.map(|kept| kept.themes.clone()),
            territories: reference.map(|kept| kept.territories.clone()),
            organisations: reference.map(|kept| kept.organisations.clone()),
            queue: queue.clone(),
            remembers: true,
        })
    }

    /// The loaders of a subscription: they keep nothing, so each event is read as it is
    /// now, and read nothing kept across requests.
    pub fn forgetful(
        db: &DatabaseConnection,
        scope: &ContributionScope,
        accounts: &AccountScope,
        queue: &BatchQueue,
    ) -> Self {
        Self::with(Request {
            db: db.clone(),
            scope: scope.clone(),
            accounts: accounts.clone(),
            themes: None,
            territories: None,
            organisations: None,
            queue: queue.clone(),
            remembers: false,
        })
    }
}
