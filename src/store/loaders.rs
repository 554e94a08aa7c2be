//! DataLoaders: every relation is read in one batched query per request, whatever the
//! number of parents, so a request runs a bounded number of SQL statements.
//!
//! Loaders are built per request: their cache then never outlives the caller whose
//! visibility they were built with.

use std::{collections::HashMap, sync::Arc};

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
    initiatives,
    keyed::Keyed,
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
    _entity: std::marker::PhantomData<E>,
}

impl<E: Keyed> ById<E> {
    fn new(db: &DatabaseConnection, condition: Condition) -> Self {
        Self {
            db: db.clone(),
            condition,
            _entity: std::marker::PhantomData,
        }
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
        let rows = E::find()
            .filter(self.condition.clone())
            .filter(E::id_column().is_in(ids.iter().copied()))
            .all(&self.db)
            .await?;
        Ok(rows.into_iter().map(|row| (E::id_of(&row), row)).collect())
    }
}

/// Loads the rows of `T` linked to each owner through a link table, with the links, in
/// one query (each link with its row), where following the links then the rows would take
/// two. `extra` names a link column read along, as text (e.g. an organisation's role).
pub struct Joined<T: Keyed> {
    db: DatabaseConnection,
    link: &'static str,
    owner: &'static str,
    target: &'static str,
    extra: Option<&'static str>,
    _target: std::marker::PhantomData<T>,
}

impl<T: Keyed> Joined<T> {
    fn new(
        db: &DatabaseConnection,
        link: &'static str,
        owner: &'static str,
        target: &'static str,
    ) -> Self {
        Self {
            db: db.clone(),
            link,
            owner,
            target,
            extra: None,
            _target: std::marker::PhantomData,
        }
    }

    fn with(mut self, extra: &'static str) -> Self {
        self.extra = Some(extra);
        self
    }
}

/// A row reached through a link, with the link's `extra` column when asked for.
pub type Linked<M> = (M, Option<String>);

impl<T> Loader<Uuid> for Joined<T>
where
    T: Keyed + Default + Send + Sync,
    T::Model: Clone + Send + Sync,
{
    type Value = Arc<[Linked<T::Model>]>;
    type Error = AppError;

    async fn load(&self, owners: &[Uuid]) -> Result<HashMap<Uuid, Self::Value>, AppError> {
        use sea_orm::{
            ConnectionTrait, DbBackend, FromQueryResult, IdenStatic, Iterable, Statement,
        };
        let backend = self.db.get_database_backend();
        let (link, owner, target) = (self.link, self.owner, self.target);
        let table = T::default().table_name();
        let id = T::id_column().as_str();
        let columns = T::Column::iter()
            .map(|column| format!("t.\"{}\"", column.as_str()))
            .collect::<Vec<_>>()
            .join(", ");
        let extra = self
            .extra
            .map(|extra| format!(", l.\"{extra}\" AS link_extra"))
            .unwrap_or_default();
        let rows_linked = match backend {
            // One lookup by primary key per link. With a plain join, PostgreSQL hashes the
            // whole target table for every batch (all 2,000 territories for the 20
            // initiatives of a page, 0.8 ms where the lookups take 0.1); `OFFSET 0` keeps
            // the subquery from being merged back into such a join.
            DbBackend::Postgres => format!(
                "CROSS JOIN LATERAL (SELECT * FROM \"{table}\" \
                 WHERE \"{table}\".\"{id}\" = l.\"{target}\" OFFSET 0) t"
            ),
            _ => format!("JOIN \"{table}\" t ON t.\"{id}\" = l.\"{target}\""),
        };
        let sql = format!(
            "SELECT {columns}, l.\"{owner}\" AS link_owner{extra} FROM \"{link}\" l \
             {rows_linked} WHERE l.\"{owner}\" IN ({})",
            placeholders(owners.len())
        );
        let statement = Statement::from_sql_and_values(
            backend,
            for_backend(backend, &sql),
            owners.iter().map(|owner| sea_orm::Value::from(*owner)),
        );
        let mut grouped: HashMap<Uuid, Vec<Linked<T::Model>>> = HashMap::new();
        for row in self.db.query_all_raw(statement).await? {
            let owner: Uuid = row.try_get("", "link_owner")?;
            let extra: Option<String> = match self.extra {
                Some(_) => Some(row.try_get("", "link_extra")?),
                None => None,
            };
            let model = T::Model::from_query_result(&row, "")?;
            grouped.entry(owner).or_default().push((model, extra));
        }
        Ok(grouped
            .into_iter()
            .map(|(owner, rows)| (owner, rows.into()))
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

/// Every loader of one request.
pub struct Loaders {
    pub initiative: Cached<ById<initiative::Entity>>,
    pub theme: Cached<ById<theme::Entity>>,
    pub territory: Cached<ById<territory::Entity>>,
    pub organisation: Cached<ById<organisation::Entity>>,
    pub professional: Cached<ById<professional::Entity>>,
    pub meeting: Cached<ById<meeting::Entity>>,
    pub experience: Cached<ById<experience::Entity>>,
    /// Accounts, as far as the caller may see them.
    pub user: Cached<ById<user::Entity>>,
    /// Change proposals: their organisation's for partners, all for moderators.
    pub change_proposal: Cached<ById<change_proposal::Entity>>,
    pub position: Cached<ById<position::Entity>>,
    pub meeting_participant: Cached<ById<meeting_participant::Entity>>,
    pub meeting_topic: Cached<ById<meeting_topic::Entity>>,

    /// An initiative's themes, with their links in one query.
    pub themes_linked_to_initiative: Cached<Joined<theme::Entity>>,
    /// An initiative's territories, with their links in one query.
    pub territories_linked_to_initiative: Cached<Joined<territory::Entity>>,
    /// An initiative's organisations and their roles, with their links in one query.
    pub organisations_linked_to_initiative: Cached<Joined<organisation::Entity>>,
    pub contacts_of_initiative: Cached<RowsBy<initiative_contact::Entity>>,
    pub meetings_of_initiative: Cached<RowsBy<initiative_meeting::Entity>>,
    pub audiences_of_initiative: Cached<RowsBy<initiative_audience::Entity>>,
    pub experiences_of_initiative: Cached<RowsBy<experience::Entity>>,

    pub initiatives_of_meeting: Cached<RowsBy<initiative_meeting::Entity>>,
    pub participants_of_meeting: Cached<RowsBy<meeting_participant::Entity>>,
    pub topics_of_meeting: Cached<RowsBy<meeting_topic::Entity>>,

    pub initiatives_of_territory: Cached<InitiativesOfTerritory>,
    pub initiative_count_of_territory: Cached<InitiativeCountOfTerritory>,
    pub parents_of_territory: Cached<RowsBy<territory_parent::Entity>>,
    pub children_of_territory: Cached<RowsBy<territory_parent::Entity>>,
    pub sub_themes: Cached<RowsBy<theme::Entity>>,
    pub current_positions: Cached<RowsBy<position::Entity>>,
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

impl Loaders {
    /// The loaders of one request; their batches run through `queue` (see `batching`).
    pub fn new(
        db: &DatabaseConnection,
        scope: &ContributionScope,
        accounts: &AccountScope,
        queue: &BatchQueue,
    ) -> Self {
        // An experience is visible when it is, and so is the initiative it is about.
        let visible_experiences = Condition::all()
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
            );
        Self {
            initiative: cached(queue, ById::new(db, initiatives::visible(scope))),
            theme: cached(queue, ById::new(db, Condition::all())),
            territory: cached(queue, ById::new(db, Condition::all())),
            organisation: cached(queue, ById::new(db, Condition::all())),
            professional: cached(queue, ById::new(db, Condition::all())),
            meeting: cached(queue, ById::new(db, Condition::all())),
            experience: cached(queue, ById::new(db, visible_experiences.clone())),
            user: cached(queue, ById::new(db, users::visible(accounts))),
            change_proposal: cached(queue, ById::new(db, proposals_in_scope(scope))),
            position: cached(queue, ById::new(db, Condition::all())),
            meeting_participant: cached(queue, ById::new(db, Condition::all())),
            meeting_topic: cached(queue, ById::new(db, Condition::all())),

            themes_linked_to_initiative: cached(
                queue,
                Joined::new(db, "initiative_theme", "initiative_id", "theme_id"),
            ),
            territories_linked_to_initiative: cached(
                queue,
                Joined::new(db, "initiative_territory", "initiative_id", "territory_id"),
            ),
            organisations_linked_to_initiative: cached(
                queue,
                Joined::new(
                    db,
                    "initiative_organisation",
                    "initiative_id",
                    "organisation_id",
                )
                .with("role"),
            ),
            contacts_of_initiative: cached(
                queue,
                RowsBy::new(
                    db,
                    initiative_contact::Column::InitiativeId,
                    |row: &initiative_contact::Model| row.initiative_id,
                ),
            ),
            meetings_of_initiative: cached(
                queue,
                RowsBy::new(
                    db,
                    initiative_meeting::Column::InitiativeId,
                    |row: &initiative_meeting::Model| row.initiative_id,
                ),
            ),
            audiences_of_initiative: cached(
                queue,
                RowsBy::new(
                    db,
                    initiative_audience::Column::InitiativeId,
                    |row: &initiative_audience::Model| row.initiative_id,
                )
                .ordered_by(initiative_audience::Column::Audience, Order::Asc),
            ),
            experiences_of_initiative: cached(
                queue,
                RowsBy::new(
                    db,
                    experience::Column::InitiativeId,
                    |row: &experience::Model| row.initiative_id,
                )
                .only(visible_experiences)
                .ordered_by(experience::Column::PublishedAt, Order::Desc)
                .ordered_by(experience::Column::Id, Order::Desc),
            ),

            initiatives_of_meeting: cached(
                queue,
                RowsBy::new(
                    db,
                    initiative_meeting::Column::MeetingId,
                    |row: &initiative_meeting::Model| row.meeting_id,
                ),
            ),
            participants_of_meeting: cached(
                queue,
                RowsBy::new(
                    db,
                    meeting_participant::Column::MeetingId,
                    |row: &meeting_participant::Model| row.meeting_id,
                )
                .ordered_by(meeting_participant::Column::Position, Order::Asc)
                .ordered_by(meeting_participant::Column::Id, Order::Asc),
            ),
            topics_of_meeting: cached(
                queue,
                RowsBy::new(
                    db,
                    meeting_topic::Column::MeetingId,
                    |row: &meeting_topic::Model| row.meeting_id,
                )
                .ordered_by(meeting_topic::Column::Position, Order::Asc)
                .ordered_by(meeting_topic::Column::Id, Order::Asc),
            ),

            initiatives_of_territory: cached(
                queue,
                InitiativesOfTerritory {
                    db: db.clone(),
                    scope: scope.clone(),
                },
            ),
            initiative_count_of_territory: cached(
                queue,
                InitiativeCountOfTerritory {
                    db: db.clone(),
                    scope: scope.clone(),
                },
            ),
            parents_of_territory: cached(
                queue,
                RowsBy::new(
                    db,
                    territory_parent::Column::ChildId,
                    |row: &territory_parent::Model| row.child_id,
                ),
            ),
            children_of_territory: cached(
                queue,
                RowsBy::new(
                    db,
                    territory_parent::Column::ParentId,
                    |row: &territory_parent::Model| row.parent_id,
                ),
            ),
            sub_themes: cached(
                queue,
                RowsBy::new(db, theme::Column::ParentId, |row: &theme::Model| {
                    // Only rows with a parent match the `parent_id IN (...)` filter.
                    row.parent_id.unwrap_or_default()
                })
                .ordered_by(theme::Column::Position, Order::Asc)
                .ordered_by(theme::Column::SortName, Order::Asc),
            ),
            current_positions: cached(
                queue,
                RowsBy::new(
                    db,
                    position::Column::ProfessionalId,
                    |row: &position::Model| row.professional_id,
                )
                .only(Condition::all().add(position::Column::EndedOn.is_null()))
                .ordered_by_nulls_last(position::Column::StartedOn, Order::Desc)
                .ordered_by(position::Column::Id, Order::Asc),
            ),
        }
    }
}
