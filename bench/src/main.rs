//! Fills a Communs database with a large catalogue for the benchmark: the real migrations,
//! then every table written in bulk in one transaction, then the search index built by
//! Communs' own indexer. Prints, as JSON, what the scenarios need (ids, slugs, counts).

mod catalogue;
mod vocabulary;

use std::time::Instant;

use anyhow::{Context, bail};
use clap::Parser;
use communs::{
    Database,
    config::{DatabaseConfig, DatabaseSetting},
};
use entity::{
    enums::{ModerationStatus, TerritoryKind},
    initiative,
};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, DatabaseTransaction, DbBackend, EntityName,
    EntityTrait, IntoActiveModel, Iterable, PaginatorTrait, QueryFilter, TransactionTrait,
    sea_query::Expr,
};
use serde_json::json;

use crate::catalogue::{Catalogue, Size};

/// Fills an empty Communs database with a generated catalogue.
#[derive(Debug, Parser)]
struct Arguments {
    /// The database (`postgres://…` or `sqlite://…?mode=rwc`).
    #[arg(long, env = "DATABASE_URL")]
    database_url: String,
    /// The seed: the same seed gives the same catalogue, ids included.
    #[arg(long, default_value_t = 2020)]
    seed: u64,
    /// How many initiatives (about 60% published).
    #[arg(long, default_value_t = 50_000)]
    initiatives: usize,
    #[arg(long, default_value_t = 5_000)]
    organisations: usize,
    #[arg(long, default_value_t = 10_000)]
    professionals: usize,
    #[arg(long, default_value_t = 500)]
    meetings: usize,
}

/// How many partner organisations the summary names, one per account of the submission
/// scenario.
const PARTNERS: usize = 64;

/// How many values one INSERT carries, under SQLite's limit of 32,766.
const VALUES_PER_STATEMENT: usize = 30_000;

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let arguments = Arguments::parse();
    let started = Instant::now();
    let catalogue = catalogue::build(
        arguments.seed,
        Size {
            initiatives: arguments.initiatives,
            organisations: arguments.organisations,
            professionals: arguments.professionals,
            meetings: arguments.meetings,
        },
    );
    let built = started.elapsed();

    let database = open_migrated(&arguments.database_url).await?;
    let db = &database.connection;
    if initiative::Entity::find().count(db).await? > 0 {
        bail!("the database already holds initiatives: generate into an empty database");
    }
    let txn = db.begin().await?;
    write(&txn, &catalogue).await?;
    txn.commit().await?;
    let written = started.elapsed();
    let indexed = communs::store::search::index_missing(db)
        .await
        .map_err(|error| anyhow::anyhow!("cannot index the initiatives: {error:?}"))?;

    let published: Vec<&initiative::Model> = catalogue
        .initiatives
        .iter()
        .filter(|found| found.status == ModerationStatus::Published)
        .collect();
    let theme = &catalogue
        .themes
        .iter()
        .find(|theme| theme.slug == "cadre-de-vie");
    let department = catalogue
        .territories
        .iter()
        .find(|territory| territory.slug == "moselle");
    // The material of the varied scenarios: every theme and department (as Communs and
    // PostGraphile name them), and searches made of words of published titles.
    let themes: Vec<_> = catalogue
        .themes
        .iter()
        .map(|theme| json!([format!("Theme:{}", theme.id), theme.id]))
        .collect();
    let departments: Vec<_> = catalogue
        .territories
        .iter()
        .filter(|territory| territory.kind == TerritoryKind::Department)
        .map(|territory| json!([format!("Territory:{}", territory.id), territory.id]))
        .collect();
    let searches = searches_from(&published, SEARCH_TEXTS);
    let summary = json!({
        "seed": arguments.seed,
        "counts": {
            "territories": catalogue.territories.len(),
            "themes": catalogue.themes.len(),
            "organisations": catalogue.organisations.len(),
            "professionals": catalogue.professionals.len(),
            "meetings": catalogue.meetings.len(),
            "initiatives": catalogue.initiatives.len(),
            "published": published.len(),
            "indexed": indexed,
        },
        "seconds": {
            "build": built.as_secs_f64(),
            "write": (written - built).as_secs_f64(),
            "index": (started.elapsed() - written).as_secs_f64(),
            "total": started.elapsed().as_secs_f64(),
        },
        // What the scenarios ask for: published slugs spread over the catalogue, a
        // top-level theme and a department, and an organisation for the partner account.
        "slugs": published.iter().step_by(published.len().div_ceil(200).max(1)).map(|found| &found.slug).collect::<Vec<_>>(),
        "theme": theme.map(|theme| format!("Theme:{}", theme.id)),
        "theme_uuid": theme.map(|theme| theme.id),
        "department": department.map(|territory| format!("Territory:{}", territory.id)),
        "department_uuid": department.map(|territory| territory.id),
        "organisation": catalogue.organisations.first().map(|organisation| &organisation.slug),
        "themes": themes,
        "departments": departments,
        "searches": searches,
        "partner_organisations": catalogue.organisations.iter().take(PARTNERS).map(|organisation| format!("Organisation:{}", organisation.id)).collect::<Vec<_>>(),
    });
    println!("{}", serde_json::to_string_pretty(&summary)?);
    Ok(())
}

/// How many different searches the varied search scenario sends.
const SEARCH_TEXTS: usize = 800;

/// `count` different searches, as visitors type them: one to three words of a published
/// title (words of four letters or more), taken from titles spread over the catalogue.
fn searches_from(published: &[&initiative::Model], count: usize) -> Vec<String> {
    let mut searches = Vec::with_capacity(count);
    let mut seen = std::collections::HashSet::new();
    let step = published.len().div_ceil(count * 4).max(1);
    for (index, found) in published.iter().step_by(step).enumerate() {
        let words: Vec<&str> = found
            .title
            .split(|c: char| !c.is_alphanumeric() && c != '-')
            .filter(|word| word.chars().count() >= 4)
            .collect();
        if words.is_empty() {
            continue;
        }
        let length = 1 + index % 3.min(words.len());
        let start = index % words.len();
        let text = words
            .iter()
            .cycle()
            .skip(start)
            .take(length.min(words.len()))
            .copied()
            .collect::<Vec<_>>()
            .join(" ")
            .to_lowercase();
        if seen.insert(text.clone()) {
            searches.push(text);
        }
        if searches.len() == count {
            break;
        }
    }
    searches
}

/// Opens the database at `url` and applies Communs' migrations.
async fn open_migrated(url: &str) -> anyhow::Result<Database> {
    let database = Database::open(&DatabaseConfig {
        setting: DatabaseSetting::Url(url.to_owned()),
        max_connections: None,
        acquire_timeout: std::time::Duration::from_secs(30),
    })
    .await?;
    communs::store::database::migrate(&database.connection)
        .await
        .context("cannot apply the migrations")?;
    Ok(database)
}

/// Writes every table, parents before children.
async fn write(txn: &DatabaseTransaction, catalogue: &Catalogue) -> anyhow::Result<()> {
    insert(txn, &catalogue.territories).await?;
    insert(txn, &catalogue.territory_parents).await?;
    insert(txn, &catalogue.themes).await?;
    insert(txn, &catalogue.organisations).await?;
    insert(txn, &catalogue.professionals).await?;
    insert(txn, &catalogue.positions).await?;
    insert(txn, &catalogue.meetings).await?;
    insert(txn, &catalogue.participants).await?;
    insert(txn, &catalogue.topics).await?;
    // Written as drafts with their links, then published, as partners and moderators do:
    // the kept facets and dashboard counts of each published initiative are then built
    // once, not again for each kind of link written after it.
    let drafts: Vec<initiative::Model> = catalogue
        .initiatives
        .iter()
        .map(|found| initiative::Model {
            status: ModerationStatus::Draft,
            ..found.clone()
        })
        .collect();
    insert(txn, &drafts).await?;
    insert(txn, &catalogue.initiative_themes).await?;
    insert(txn, &catalogue.initiative_territories).await?;
    insert(txn, &catalogue.initiative_organisations).await?;
    insert(txn, &catalogue.initiative_audiences).await?;
    insert(txn, &catalogue.initiative_contacts).await?;
    insert(txn, &catalogue.initiative_meetings).await?;
    let mut by_status: Vec<(ModerationStatus, Vec<uuid::Uuid>)> = Vec::new();
    for found in &catalogue.initiatives {
        if found.status == ModerationStatus::Draft {
            continue;
        }
        match by_status
            .iter_mut()
            .find(|(status, _)| *status == found.status)
        {
            Some((_, ids)) => ids.push(found.id),
            None => by_status.push((found.status, vec![found.id])),
        }
    }
    // A small first step, then statistics: the rebuilds plan their joins from them, and
    // before any initiative is published they count none.
    for (status, ids) in by_status {
        let (first, rest) = ids.split_at(ids.len().min(1_000));
        for chunk in std::iter::once(first).chain(rest.chunks(10_000)) {
            initiative::Entity::update_many()
                .col_expr(initiative::Column::Status, Expr::value(status))
                .filter(initiative::Column::Id.is_in(chunk.iter().copied()))
                .exec(txn)
                .await?;
            if txn.get_database_backend() == DbBackend::Postgres {
                txn.execute_unprepared(
                    "ANALYZE initiative, initiative_facet, initiative_key, dashboard_tally",
                )
                .await?;
            }
        }
    }
    Ok(())
}

/// Inserts `rows`, as many per statement as the parameter limit allows.
async fn insert<M>(txn: &DatabaseTransaction, rows: &[M]) -> anyhow::Result<()>
where
    M: IntoActiveModel<<<M as sea_orm::ModelTrait>::Entity as EntityTrait>::ActiveModel>
        + sea_orm::ModelTrait
        + Clone,
    <<M as sea_orm::ModelTrait>::Entity as EntityTrait>::ActiveModel: ActiveModelTrait + Send,
{
    // The triggers that keep the facets and the dashboard counts plan their joins from the
    // statistics, which a catalogue written in one transaction has none of until analysed:
    // without, PostgreSQL compared every rebuilt initiative with every published one
    // (5 minutes for 10,000 initiatives instead of seconds). Analysed once the first
    // statement is in, the planner scales the figures with the table as it grows.
    let analyse = async || -> anyhow::Result<()> {
        if txn.get_database_backend() == DbBackend::Postgres {
            let table = <<M as sea_orm::ModelTrait>::Entity as Default>::default().table_name();
            txn.execute_unprepared(&format!("ANALYZE {table}")).await?;
        }
        Ok(())
    };
    let columns = <<M as sea_orm::ModelTrait>::Entity as EntityTrait>::Column::iter().count();
    for (index, chunk) in rows
        .chunks((VALUES_PER_STATEMENT / columns).max(1))
        .enumerate()
    {
        <M as sea_orm::ModelTrait>::Entity::insert_many(
            chunk
                .iter()
                .cloned()
                .map(IntoActiveModel::into_active_model),
        )
        .exec_without_returning(txn)
        .await?;
        if index == 0 {
            analyse().await?;
        }
    }
    analyse().await?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use sea_orm::{ColumnTrait, QueryFilter};

    use super::*;

    #[tokio::test]
    async fn a_small_catalogue_is_written_and_indexed_through_the_real_migrations() {
        let folder = tempfile::tempdir().unwrap();
        let url = format!("sqlite://{}/communs.db?mode=rwc", folder.path().display());
        let database = open_migrated(&url).await.unwrap();
        let catalogue = catalogue::build(
            3,
            Size {
                initiatives: 300,
                organisations: 50,
                professionals: 80,
                meetings: 5,
            },
        );
        let txn = database.connection.begin().await.unwrap();
        write(&txn, &catalogue).await.unwrap();
        txn.commit().await.unwrap();

        let indexed = communs::store::search::index_missing(&database.connection)
            .await
            .unwrap();
        assert_eq!(indexed, 300);
        let published = initiative::Entity::find()
            .filter(initiative::Column::Status.eq(ModerationStatus::Published))
            .count(&database.connection)
            .await
            .unwrap();
        let expected = catalogue
            .initiatives
            .iter()
            .filter(|found| found.status == ModerationStatus::Published)
            .count();
        assert_eq!(published as usize, expected);
        assert_eq!(
            entity::territory::Entity::find()
                .count(&database.connection)
                .await
                .unwrap(),
            2_000
        );
    }
}
