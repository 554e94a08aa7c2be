//! What every resolver reads from the request: the caller, the database and the loaders.

use std::{collections::HashMap, net::IpAddr, sync::Arc};

use async_graphql::{
    Context,
    dataloader::{DataLoader, HashMapCache, Loader},
};
use sea_orm::DatabaseConnection;
use uuid::Uuid;

use crate::{
    accounts::tokens::Tokens,
    domain::{
        caller::Caller,
        erasure::ErasureKey,
        login_throttle::ThrottlePolicy,
        visibility::{AccountScope, ContributionScope},
    },
    error::{AppError, AppResult},
    store::{
        batching::BatchQueue, loaders::Loaders, reference_rows::ReferenceRows,
        stats_cache::StatsCache,
    },
};

/// The per-request state, put into the GraphQL request by the HTTP handler.
pub struct RequestState {
    pub caller: Caller,
    pub scope: ContributionScope,
    pub db: DatabaseConnection,
    pub loaders: Arc<Loaders>,
    /// The figures of `stats` already computed.
    pub stats: Arc<StatsCache>,
    /// Issues tokens at login.
    pub tokens: Arc<Tokens>,
    /// Keys the tombstones an erasure leaves.
    pub erasure_key: Arc<ErasureKey>,
    /// The address the request came from, when known: failed logins are counted per address.
    pub client: Option<IpAddr>,
    pub throttle: ThrottlePolicy,
}

/// What a request brings with it, besides its query.
pub struct RequestOrigin {
    pub caller: Caller,
    pub client: Option<IpAddr>,
}

impl RequestState {
    /// The state of one request, whose loaders queue their batches on `queue`.
    pub fn new(
        origin: RequestOrigin,
        db: DatabaseConnection,
        tokens: Arc<Tokens>,
        erasure_key: Arc<ErasureKey>,
        stats: Arc<StatsCache>,
        reference: Option<&ReferenceRows>,
        queue: &BatchQueue,
    ) -> Self {
        let scope = ContributionScope::for_caller(&origin.caller);
        let accounts = AccountScope::for_caller(&origin.caller);
        let loaders = Arc::new(Loaders::new(&db, &scope, &accounts, reference, queue));
        Self {
            caller: origin.caller,
            scope,
            db,
            loaders,
            stats,
            tokens,
            erasure_key,
            client: origin.client,
            throttle: ThrottlePolicy::default(),
        }
    }
}

impl RequestState {
    /// The state of one subscription: its loaders keep nothing, so that each change is read
    /// as it is when it arrives.
    pub fn live(
        origin: RequestOrigin,
        db: DatabaseConnection,
        tokens: Arc<Tokens>,
        erasure_key: Arc<ErasureKey>,
        stats: Arc<StatsCache>,
        queue: &BatchQueue,
    ) -> Self {
        let scope = ContributionScope::for_caller(&origin.caller);
        let accounts = AccountScope::for_caller(&origin.caller);
        let loaders = Arc::new(Loaders::forgetful(&db, &scope, &accounts, queue));
        Self {
            caller: origin.caller,
            scope,
            db,
            loaders,
            stats,
            tokens,
            erasure_key,
            client: origin.client,
            throttle: ThrottlePolicy::default(),
        }
    }
}

pub trait ContextExt {
    /// The request state; its absence is a wiring fault, reported as an internal error.
    fn state(&self) -> AppResult<&RequestState>;
}

impl ContextExt for Context<'_> {
    fn state(&self) -> AppResult<&RequestState> {
        self.data::<RequestState>()
            .map_err(|_| AppError::internal("request state missing from the GraphQL context"))
    }
}

/// Loads `ids` through `loader` and returns what was found, in the order of `ids`.
pub async fn load_in_order<L>(
    loader: &DataLoader<L, HashMapCache>,
    ids: impl IntoIterator<Item = Uuid>,
) -> AppResult<Vec<L::Value>>
where
    L: Loader<Uuid, Error = AppError>,
{
    let ids: Vec<Uuid> = ids.into_iter().collect();
    let mut found: HashMap<Uuid, L::Value> = loader.load_many(ids.iter().copied()).await?;
    Ok(ids.iter().filter_map(|id| found.remove(id)).collect())
}

/// Loads the rows owned by `owner` through a `RowsBy` loader (empty when there are none).
pub async fn load_rows<L, T>(
    loader: &DataLoader<L, HashMapCache>,
    owner: Uuid,
) -> AppResult<std::sync::Arc<[T]>>
where
    L: Loader<Uuid, Value = std::sync::Arc<[T]>, Error = AppError>,
    T: Send + Sync + 'static,
{
    Ok(loader
        .load_one(owner)
        .await?
        .unwrap_or_else(|| Vec::new().into()))
}
