//! Reading one page of an ordered query, and counting the whole list.

use std::sync::Arc;

use futures_util::future::BoxFuture;
use sea_orm::{
    DatabaseConnection, EntityTrait, FromQueryResult, PaginatorTrait, QuerySelect, Select,
};

use crate::{domain::page::PageRequest, error::AppResult};

/// One page of rows, with what the client needs to ask for the pages around it.
#[derive(Debug, Clone)]
pub struct Page<T> {
    pub rows: Vec<T>,
    /// Position of the first row in the whole list.
    pub offset: u64,
    pub has_next_page: bool,
    pub has_previous_page: bool,
}

impl<T> Page<T> {
    /// The page of an empty list.
    pub fn empty() -> Self {
        Self {
            rows: Vec::new(),
            offset: 0,
            has_next_page: false,
            has_previous_page: false,
        }
    }

    pub fn map<U>(self, f: impl FnMut(T) -> U) -> Page<U> {
        Page {
            rows: self.rows.into_iter().map(f).collect(),
            offset: self.offset,
            has_next_page: self.has_next_page,
            has_previous_page: self.has_previous_page,
        }
    }
}

/// Counts the rows of a whole list, run only if the client asks for `totalCount`.
#[derive(Clone)]
pub struct TotalCount {
    known: Option<u64>,
    count: Arc<dyn Fn() -> BoxFuture<'static, AppResult<u64>> + Send + Sync>,
}

impl TotalCount {
    /// A count that `count` computes when asked, unless it is already `known`.
    pub fn new(
        known: Option<u64>,
        count: impl Fn() -> BoxFuture<'static, AppResult<u64>> + Send + Sync + 'static,
    ) -> Self {
        Self {
            known,
            count: Arc::new(count),
        }
    }

    /// The count of `select`, unless it is already `known`.
    pub fn of<E>(db: &DatabaseConnection, select: &Select<E>, known: Option<u64>) -> Self
    where
        E: EntityTrait,
        E::Model: Sync,
    {
        let db = db.clone();
        let select = select.clone();
        Self {
            known,
            count: Arc::new(move || {
                let db = db.clone();
                let select = select.clone();
                Box::pin(async move { Ok(select.count(&db).await?) })
            }),
        }
    }

    /// This count, computed by `count` when it is not known already.
    pub fn counted_by(
        self,
        count: impl Fn() -> BoxFuture<'static, AppResult<u64>> + Send + Sync + 'static,
    ) -> Self {
        Self::new(self.known, count)
    }

    /// A count known already.
    pub fn known(total: u64) -> Self {
        Self::new(Some(total), || Box::pin(async { Ok(0) }))
    }

    pub async fn get(&self) -> AppResult<u64> {
        match self.known {
            Some(total) => Ok(total),
            None => (self.count)().await,
        }
    }
}

/// Reads the page `request` asks for from an ordered `select`. Reads one row more than the
/// page to tell whether a next page exists, and counts only when `last` has no `before`.
pub async fn fetch_page<E>(
    db: &DatabaseConnection,
    select: Select<E>,
    request: PageRequest,
) -> AppResult<(Page<E::Model>, TotalCount)>
where
    E: EntityTrait,
    E::Model: Sync,
{
    fetch_page_as(db, select, |rows| rows, request).await
}

/// [`fetch_page`], reading each row as `M` from the rows of `select` that `read` adds
/// columns to (the count is of `select` itself).
pub async fn fetch_page_as<E, M>(
    db: &DatabaseConnection,
    select: Select<E>,
    read: impl FnOnce(Select<E>) -> Select<E>,
    request: PageRequest,
) -> AppResult<(Page<M>, TotalCount)>
where
    E: EntityTrait,
    E::Model: Sync,
    M: FromQueryResult + Send + Sync,
{
    let total = if request.needs_total() {
        Some(select.clone().count(db).await?)
    } else {
        None
    };
    let window = request.window(total);
    let mut rows = read(select.clone())
        .offset(window.offset)
        .limit(window.limit + 1)
        .into_model::<M>()
        .all(db)
        .await?;
    let found_extra_row = rows.len() as u64 > window.limit;
    rows.truncate(window.limit as usize);
    let page = Page {
        rows,
        offset: window.offset,
        has_next_page: request.has_next_page(found_extra_row),
        has_previous_page: window.offset > 0,
    };
    Ok((page, TotalCount::of(db, &select, total)))
}
