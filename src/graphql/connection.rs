//! Relay connections: `edges { cursor node }`, `nodes`, `pageInfo` and `totalCount`,
//! one generic type named after its node (`InitiativeConnection`, ...). A list whose items
//! carry something that belongs to the list rather than to the item (the snippet of a
//! search) gives its connection an edge type of its own, which holds it.

use std::{borrow::Cow, marker::PhantomData};

use async_graphql::{Object, OutputType, SimpleObject, TypeName};

use crate::{
    domain::page::{Cursor, PageArgs},
    store::page::{Page, TotalCount},
};

/// Builds `PageArgs` from the four Relay arguments.
pub fn page_args(
    first: Option<i32>,
    after: Option<String>,
    last: Option<i32>,
    before: Option<String>,
) -> PageArgs {
    PageArgs {
        first,
        after,
        last,
        before,
    }
}

/// A page of a list, with cursors to ask for the pages around it; its edges are `E`.
pub struct Connection<N, E = Edge<N>> {
    page: Page<N>,
    total: TotalCount,
    edge: PhantomData<fn() -> E>,
}

/// The edge type of a connection: an item with its cursor, and whatever the list says of it.
pub trait EdgeOf<N>: OutputType {
    /// The edge of `node`, at `cursor`.
    fn new(cursor: String, node: N) -> Self;
}

impl<N, E> Connection<N, E> {
    pub fn new(page: Page<N>, total: TotalCount) -> Self {
        Self {
            page,
            total,
            edge: PhantomData,
        }
    }

    fn cursor(&self, index: usize) -> String {
        Cursor(self.page.offset + index as u64).encode()
    }
}

/// A page of results, with cursors to fetch the next or previous pages.
#[Object(name_type)]
impl<N: OutputType + Clone, E: EdgeOf<N>> Connection<N, E> {
    /// The items of this page, each with its cursor.
    async fn edges(&self) -> Vec<E> {
        self.page
            .rows
            .iter()
            .enumerate()
            .map(|(index, node)| E::new(self.cursor(index), node.clone()))
            .collect()
    }

    /// The items of this page, without cursors.
    async fn nodes(&self) -> &[N] {
        &self.page.rows
    }

    /// Where this page stands in the whole list.
    async fn page_info(&self) -> PageInfo {
        let last = self.page.rows.len().checked_sub(1);
        PageInfo {
            has_next_page: self.page.has_next_page,
            has_previous_page: self.page.has_previous_page,
            start_cursor: last.map(|_| self.cursor(0)),
            end_cursor: last.map(|index| self.cursor(index)),
        }
    }

    /// How many items the whole list holds, over all pages.
    async fn total_count(&self) -> async_graphql::Result<i32> {
        let total = self.total.get().await?;
        Ok(i32::try_from(total).unwrap_or(i32::MAX))
    }
}

impl<N: OutputType, E> TypeName for Connection<N, E> {
    fn type_name() -> Cow<'static, str> {
        format!("{}Connection", N::type_name()).into()
    }
}

/// An item of a page with its cursor.
pub struct Edge<N> {
    cursor: String,
    node: N,
}

/// An item of a list, with the cursor that points at it.
#[Object(name_type)]
impl<N: OutputType> Edge<N> {
    /// Pass it as `after` or `before` to page from this item.
    async fn cursor(&self) -> &str {
        &self.cursor
    }

    /// The item.
    async fn node(&self) -> &N {
        &self.node
    }
}

impl<N: OutputType> EdgeOf<N> for Edge<N> {
    fn new(cursor: String, node: N) -> Self {
        Self { cursor, node }
    }
}

impl<N: OutputType> TypeName for Edge<N> {
    fn type_name() -> Cow<'static, str> {
        format!("{}Edge", N::type_name()).into()
    }
}

/// Where a page stands in its list.
#[derive(SimpleObject)]
pub struct PageInfo {
    /// Whether items follow this page.
    pub has_next_page: bool,
    /// Whether items precede this page.
    pub has_previous_page: bool,
    /// The cursor of the first item of the page; null on an empty page.
    pub start_cursor: Option<String>,
    /// The cursor of the last item of the page; null on an empty page.
    pub end_cursor: Option<String>,
}
