//! Initiatives read with the ids of their themes, territories and organisations in the same
//! statement. A page of initiatives and its links are then one statement instead of two,
//! and a page whose themes, territories and organisations are kept in memory
//! (`reference_rows`) costs a single statement.
//!
//! Each kind of link comes as one text column, the ids joined by commas (`id:role` for an
//! organisation): both backends can aggregate text, while PostgreSQL's arrays have no
//! SQLite counterpart.

use entity::initiative;
use sea_orm::{
    DbBackend, DbErr, FromQueryResult, QueryResult, QuerySelect, Select, sea_query::Expr,
};
use uuid::Uuid;

use super::loaders::InitiativeLinks;

/// An initiative, with what it links to when that was asked for.
#[derive(Debug)]
pub struct Linked {
    pub model: initiative::Model,
    pub links: Option<InitiativeLinks>,
}

impl Linked {
    /// An initiative read without its links.
    pub fn alone(model: initiative::Model) -> Self {
        Self { model, links: None }
    }
}

const THEMES: &str = "linked_themes";
const TERRITORIES: &str = "linked_territories";
const ORGANISATIONS: &str = "linked_organisations";

/// Adds to `select` the columns [`Linked`] reads the links from.
pub fn with_links(
    backend: DbBackend,
    select: Select<initiative::Entity>,
) -> Select<initiative::Entity> {
    // Ids are uuid on PostgreSQL and 16-byte blobs on SQLite.
    let (text_of, aggregate) = match backend {
        DbBackend::Postgres => ("CAST({} AS TEXT)", "string_agg"),
        _ => ("hex({})", "group_concat"),
    };
    let id = |column: &str| text_of.replace("{}", column);
    let linked = |table: &str, value: String| {
        Expr::cust(format!(
            "(SELECT {aggregate}({value}, ',') FROM {table} \
             WHERE {table}.initiative_id = initiative.id)"
        ))
    };
    select
        .column_as(linked("initiative_theme", id("theme_id")), THEMES)
        .column_as(
            linked("initiative_territory", id("territory_id")),
            TERRITORIES,
        )
        .column_as(
            linked(
                "initiative_organisation",
                format!("{} || ':' || COALESCE(role, '')", id("organisation_id")),
            ),
            ORGANISATIONS,
        )
}

impl FromQueryResult for Linked {
    fn from_query_result(row: &QueryResult, prefix: &str) -> Result<Self, DbErr> {
        let model = initiative::Model::from_query_result(row, prefix)?;
        let column = |name: &str| -> Result<String, DbErr> {
            Ok(row
                .try_get::<Option<String>>(prefix, name)?
                .unwrap_or_default())
        };
        let links = InitiativeLinks {
            themes: ids(&column(THEMES)?)?,
            territories: ids(&column(TERRITORIES)?)?,
            organisations: split(&column(ORGANISATIONS)?)
                .map(|entry| {
                    let (id, role) = entry.split_once(':').unwrap_or((entry, ""));
                    Ok((parse_id(id)?, role.to_owned()))
                })
                .collect::<Result<_, DbErr>>()?,
        };
        Ok(Self {
            model,
            links: Some(links),
        })
    }
}

fn split(joined: &str) -> impl Iterator<Item = &str> {
    joined.split(',').filter(|entry| !entry.is_empty())
}

fn ids(joined: &str) -> Result<Vec<Uuid>, DbErr> {
    split(joined).map(parse_id).collect()
}

fn parse_id(text: &str) -> Result<Uuid, DbErr> {
    Uuid::parse_str(text).map_err(|error| DbErr::Type(format!("a linked id: {error}")))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_are_read_in_both_backends_forms() {
        let hyphenated = "4fdda535-8495-40ee-83c4-c26826c37d0e";
        let hex = "4FDDA535849540EE83C4C26826C37D0E";
        assert_eq!(
            ids(&format!("{hyphenated},{hex}")).unwrap(),
            vec![parse_id(hyphenated).unwrap(); 2]
        );
        assert!(ids("").unwrap().is_empty());
        assert!(ids("not-an-id").is_err());
    }
}
