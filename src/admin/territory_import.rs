//! `communs import-territories FILE`: loads an official territory file (see
//! `domain::territory_file`) in one transaction. Territories are matched by kind and
//! official code: a new code is created, a new name renames (the old slug keeps
//! resolving), a code that came back is valid again, and a code of the file's kind that is
//! no longer in the file gets `valid_to` (it is never deleted: initiatives may refer to
//! it); this is skipped when lines are malformed. The parents of the kind the file gives (the region of a department, the
//! department of a municipality, the intercommunality of a municipality, the
//! municipalities of a QPV) are replaced by the file's. A second import of the same file
//! changes nothing. A file with `latitude` and `longitude` columns also sets the
//! territories' points, and the places of the initiatives on them follow.

use std::collections::{BTreeSet, HashMap, HashSet};

use chrono::{NaiveDate, Utc};
use entity::{enums::TerritoryKind, slug_alias, territory, territory_parent};
use sea_orm::{ColumnTrait, DatabaseConnection, EntityTrait, QueryFilter, Set, TransactionTrait};
use uuid::Uuid;

use crate::{
    domain::{
        place::Point,
        reference::slug_from,
        territory_file::{Malformed, TerritoryFile},
        text::sort_key,
    },
    error::AppResult,
    events,
    store::{curation::ReferenceKind, places},
};

/// Rows written per statement.
const CHUNK: usize = 500;

/// What an import did.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ImportReport {
    /// False when `--strict` refused a file with malformed lines: nothing was written.
    pub applied: bool,
    pub created: usize,
    pub renamed: usize,
    /// Codes that had been marked no longer valid and are in the file again.
    pub revalidated: usize,
    /// Codes of the file's kind no longer in the file, now marked no longer valid (only
    /// when no line is malformed).
    pub expired: usize,
    pub links_added: usize,
    pub links_removed: usize,
    /// Territories whose point the file gives anew (the places of their initiatives
    /// follow).
    pub moved: usize,
    pub malformed: Vec<Malformed>,
    /// Lines naming a parent that is not in the database (import the bigger areas first).
    pub unknown_parents: Vec<(usize, String)>,
}

impl ImportReport {
    /// Whether the import wrote nothing.
    pub fn changed_nothing(&self) -> bool {
        self.created
            + self.renamed
            + self.revalidated
            + self.expired
            + self.links_added
            + self.links_removed
            + self.moved
            == 0
    }
}

/// One territory the file describes, with its parents of one kind.
struct Wanted {
    line: usize,
    name: String,
    parent_kind: Option<TerritoryKind>,
    parent_codes: BTreeSet<String>,
    point: Option<Point>,
}

/// Slugs in use, to give new and renamed territories unique ones without a query each.
struct Slugs(HashSet<String>);

impl Slugs {
    fn allocate(&mut self, name: &str, code: &str) -> String {
        let base = slug_from(name);
        let mut candidate = base.clone();
        if self.0.contains(&candidate) {
            candidate = format!("{base}-{}", code.to_lowercase());
        }
        let mut n = 2;
        while self.0.contains(&candidate) {
            candidate = format!("{base}-{}-{n}", code.to_lowercase());
            n += 1;
        }
        self.0.insert(candidate.clone());
        candidate
    }
}

#[tracing::instrument(skip_all, fields(kind = file.kind.describe()))]
pub async fn import(
    db: &DatabaseConnection,
    file: TerritoryFile,
    strict: bool,
    today: NaiveDate,
) -> AppResult<ImportReport> {
    let mut report = ImportReport {
        malformed: file.malformed.clone(),
        ..ImportReport::default()
    };
    if strict && !report.malformed.is_empty() {
        return Ok(report);
    }
    let kind = file.kind.territory_kind();
    // The territories of the file, by code; the composition file lists each
    // intercommunality once per member municipality.
    let mut wanted: HashMap<String, Wanted> = HashMap::new();
    let mut members: Vec<(usize, String, String)> = Vec::new();
    for line in &file.lines {
        let entry = wanted.entry(line.code.clone()).or_insert_with(|| Wanted {
            line: line.line,
            name: line.name.clone(),
            parent_kind: line.parent_kind,
            parent_codes: BTreeSet::new(),
            point: None,
        });
        entry.name.clone_from(&line.name);
        entry.point = line.point.or(entry.point);
        entry.parent_codes.extend(line.parent_codes.iter().cloned());
        if let Some(member) = &line.member {
            members.push((line.line, member.clone(), line.code.clone()));
        }
    }

    let txn = db.begin().await?;
    let all = territory::Entity::find().all(&txn).await?;
    let mut slugs = Slugs(all.iter().map(|t| t.slug.clone()).collect());
    slugs.0.extend(
        slug_alias::Entity::find()
            .filter(slug_alias::Column::Kind.eq(ReferenceKind::Territory.table()))
            .all(&txn)
            .await?
            .into_iter()
            .map(|alias| alias.slug),
    );
    let mut by_code: HashMap<(TerritoryKind, String), territory::Model> = all
        .into_iter()
        .filter_map(|t| Some(((t.kind, t.official_code.clone()?), t)))
        .collect();
    let now = Utc::now();
    // Every territory created or changed, for the change stream.
    let mut changed: BTreeSet<Uuid> = BTreeSet::new();
    // Territories whose point changed: the places of their initiatives follow.
    let mut moved: Vec<Uuid> = Vec::new();

    // Territories: create, rename, make valid again.
    let mut codes: Vec<&String> = wanted.keys().collect();
    codes.sort();
    let mut new_rows = Vec::new();
    for code in codes {
        let item = &wanted[code];
        match by_code.get(&(kind, code.clone())) {
            Some(existing) => {
                let renamed = existing.name != item.name;
                let revalidated = existing.valid_to.is_some();
                let point = item
                    .point
                    .map(|point| (Some(point.latitude()), Some(point.longitude())))
                    .filter(|point| *point != (existing.latitude, existing.longitude));
                if !renamed && !revalidated && point.is_none() {
                    continue;
                }
                let mut row: territory::ActiveModel = existing.clone().into();
                if renamed {
                    let slug = slugs.allocate(&item.name, code);
                    slug_alias::Entity::insert(slug_alias::ActiveModel {
                        kind: Set(ReferenceKind::Territory.table().to_owned()),
                        slug: Set(existing.slug.clone()),
                        target_id: Set(existing.id),
                        created_at: Set(now),
                    })
                    .exec_without_returning(&txn)
                    .await?;
                    row.slug = Set(slug);
                    row.name = Set(item.name.clone());
                    row.sort_name = Set(sort_key(&item.name));
                    report.renamed += 1;
                }
                if revalidated {
                    row.valid_to = Set(None);
                    report.revalidated += 1;
                }
                if let Some((latitude, longitude)) = point {
                    row.latitude = Set(latitude);
                    row.longitude = Set(longitude);
                    moved.push(existing.id);
                }
                row.updated_at = Set(now);
                let updated = territory::Entity::update(row).exec(&txn).await?;
                changed.insert(updated.id);
                by_code.insert((kind, code.clone()), updated);
            }
            None => {
                let model = territory::Model {
                    id: Uuid::now_v7(),
                    name: item.name.clone(),
                    sort_name: sort_key(&item.name),
                    slug: slugs.allocate(&item.name, code),
                    kind,
                    official_code: Some(code.clone()),
                    latitude: item.point.map(|point| point.latitude()),
                    longitude: item.point.map(|point| point.longitude()),
                    valid_from: None,
                    valid_to: None,
                    created_at: now,
                    updated_at: now,
                };
                by_code.insert((kind, code.clone()), model.clone());
                new_rows.push(model);
            }
        }
    }
    report.created = new_rows.len();
    changed.extend(new_rows.iter().map(|row| row.id));
    for chunk in new_rows.chunks(CHUNK) {
        territory::Entity::insert_many(chunk.iter().cloned().map(territory::ActiveModel::from))
            .exec_without_returning(&txn)
            .await?;
    }

    // Parents of the kind the file gives: (child, parent kind) -> wanted parent ids.
    let mut wanted_parents: HashMap<(Uuid, TerritoryKind), (usize, BTreeSet<Uuid>)> =
        HashMap::new();
    let resolve = |line: usize, kind: TerritoryKind, code: &str, report: &mut ImportReport| {
        let found = by_code.get(&(kind, code.to_owned())).map(|t| t.id);
        if found.is_none() {
            report
                .unknown_parents
                .push((line, format!("no {} has the code {code}", kind.as_str())));
        }
        found
    };
    for (code, item) in &wanted {
        let Some(parent_kind) = item.parent_kind else {
            continue;
        };
        let child = resolve(item.line, kind, code, &mut report).expect("just written");
        let parents: BTreeSet<Uuid> = item
            .parent_codes
            .iter()
            .filter_map(|parent| resolve(item.line, parent_kind, parent, &mut report))
            .collect();
        wanted_parents.insert((child, parent_kind), (item.line, parents));
    }
    for (line, member, code) in &members {
        let Some(municipality) = resolve(*line, TerritoryKind::Municipality, member, &mut report)
        else {
            continue;
        };
        let epci = resolve(*line, kind, code, &mut report).expect("just written");
        wanted_parents
            .entry((municipality, kind))
            .or_insert_with(|| (*line, BTreeSet::new()))
            .1
            .insert(epci);
    }
    let kind_of: HashMap<Uuid, TerritoryKind> = by_code.values().map(|t| (t.id, t.kind)).collect();
    let children: Vec<Uuid> = wanted_parents.keys().map(|(child, _)| *child).collect();
    let mut existing: HashMap<(Uuid, TerritoryKind), BTreeSet<Uuid>> = HashMap::new();
    for chunk in children.chunks(CHUNK) {
        let links = territory_parent::Entity::find()
            .filter(territory_parent::Column::ChildId.is_in(chunk.iter().copied()))
            .all(&txn)
            .await?;
        for link in links {
            if let Some(parent_kind) = kind_of.get(&link.parent_id) {
                existing
                    .entry((link.child_id, *parent_kind))
                    .or_default()
                    .insert(link.parent_id);
            }
        }
    }
    let mut added = Vec::new();
    for ((child, parent_kind), (_, parents)) in &wanted_parents {
        let before = existing.remove(&(*child, *parent_kind)).unwrap_or_default();
        for gone in before.difference(parents) {
            territory_parent::Entity::delete_by_id((*child, *gone))
                .exec(&txn)
                .await?;
            report.links_removed += 1;
            changed.insert(*child);
        }
        for new in parents.difference(&before) {
            changed.insert(*child);
            added.push(territory_parent::ActiveModel {
                child_id: Set(*child),
                parent_id: Set(*new),
            });
        }
    }
    report.links_added = added.len();
    for chunk in added.chunks(CHUNK) {
        territory_parent::Entity::insert_many(chunk.to_vec())
            .exec_without_returning(&txn)
            .await?;
    }

    // Codes gone from the file: no longer valid. Not while lines are malformed: a line
    // that could not be read must not make its territory look gone.
    let present: HashSet<&str> = wanted.keys().map(String::as_str).collect();
    let gone: Vec<Uuid> = if report.malformed.is_empty() {
        by_code
            .iter()
            .filter(|((k, code), t)| {
                *k == kind && t.valid_to.is_none() && !present.contains(code.as_str())
            })
            .map(|(_, t)| t.id)
            .collect()
    } else {
        Vec::new()
    };
    report.expired = gone.len();
    changed.extend(gone.iter().copied());
    for chunk in gone.chunks(CHUNK) {
        territory::Entity::update_many()
            .col_expr(
                territory::Column::ValidTo,
                sea_orm::sea_query::Expr::value(Some(today)),
            )
            .col_expr(
                territory::Column::UpdatedAt,
                sea_orm::sea_query::Expr::value(now),
            )
            .filter(territory::Column::Id.is_in(chunk.iter().copied()))
            .exec(&txn)
            .await?;
    }
    report.moved = moved.len();
    places::refresh_on_territories(&txn, &moved).await?;
    let changed: Vec<Uuid> = changed.into_iter().collect();
    events::record(
        &txn,
        &events::reference_changes(super::node_type(ReferenceKind::Territory), &changed),
        now,
    )
    .await?;
    txn.commit().await?;
    report.applied = true;
    report.unknown_parents.sort();
    report.unknown_parents.dedup();
    tracing::info!(
        created = report.created,
        renamed = report.renamed,
        expired = report.expired,
        malformed = report.malformed.len(),
        "territories imported"
    );
    Ok(report)
}
