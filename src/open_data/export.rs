//! The formats of the open-data exports. Each is written piece by piece: its opening, then
//! each page of initiatives, then its end, so that an export is streamed as it is read.

use serde_json::{Value, json};

use super::Publication;
use crate::{domain::time::rfc3339, store::open_data::PublishedInitiative};

/// A format of the exports.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    /// CSV, UTF-8 with a byte order mark (so that spreadsheets read the accents), with `,`
    /// or `;` between values.
    Csv { separator: u8 },
    /// One JSON document: the licence, then the initiatives.
    Json,
    /// JSON Lines: one initiative per line.
    JsonLines,
    /// A GeoJSON feature collection: each initiative at the point of its most local
    /// territory with a known point (no geometry otherwise).
    GeoJson,
}

/// The columns of the CSV export, in order (documented in `docs/open-data.md`).
pub const CSV_COLUMNS: [&str; 18] = [
    "id",
    "slug",
    "title",
    "summary",
    "description",
    "started_on",
    "ended_on",
    "published_at",
    "changed_at",
    "audiences",
    "themes",
    "territories",
    "territory_codes",
    "organisations",
    "contacts",
    "latitude",
    "longitude",
    "url",
];

/// Between the values of a list in one CSV cell.
const LIST_SEPARATOR: &str = " | ";

impl Format {
    pub fn media_type(self) -> &'static str {
        match self {
            Self::Csv { .. } => "text/csv; charset=utf-8",
            Self::Json => "application/json",
            Self::JsonLines => "application/jsonl; charset=utf-8",
            Self::GeoJson => "application/geo+json",
        }
    }

    /// The file name offered to save it as.
    pub fn file_name(self) -> &'static str {
        match self {
            Self::Csv { .. } => "initiatives.csv",
            Self::Json => "initiatives.json",
            Self::JsonLines => "initiatives.jsonl",
            Self::GeoJson => "initiatives.geojson",
        }
    }

    /// What comes before the first initiative.
    pub fn opening(self, publication: &Publication) -> Vec<u8> {
        let licence = json!({ "name": publication.licence, "url": publication.licence_url });
        match self {
            Self::Csv { separator } => {
                let mut bytes = "\u{feff}".as_bytes().to_vec();
                bytes.extend(csv_line(
                    separator,
                    CSV_COLUMNS.iter().map(|c| c.to_string()),
                ));
                bytes
            }
            Self::Json => format!(
                "{{\"publisher\":{},\"licence\":{licence},\"initiatives\":[",
                Value::from(publication.publisher.as_str())
            )
            .into_bytes(),
            Self::JsonLines => Vec::new(),
            Self::GeoJson => {
                format!("{{\"type\":\"FeatureCollection\",\"licence\":{licence},\"features\":[")
                    .into_bytes()
            }
        }
    }

    /// A page of initiatives; `first` when nothing was written before it.
    pub fn page(
        self,
        initiatives: &[PublishedInitiative],
        publication: &Publication,
        first: bool,
    ) -> Vec<u8> {
        let mut bytes = Vec::new();
        for (index, initiative) in initiatives.iter().enumerate() {
            match self {
                Self::Csv { separator } => {
                    bytes.extend(csv_line(separator, csv_row(initiative, publication)))
                }
                Self::Json | Self::GeoJson => {
                    if !(first && index == 0) {
                        bytes.push(b',');
                    }
                    let item = match self {
                        Self::GeoJson => feature(initiative, publication),
                        _ => document(initiative, publication),
                    };
                    bytes.extend(item.to_string().into_bytes());
                }
                Self::JsonLines => {
                    bytes.extend(document(initiative, publication).to_string().into_bytes());
                    bytes.push(b'\n');
                }
            }
        }
        bytes
    }

    /// What comes after the last initiative.
    pub fn end(self) -> &'static [u8] {
        match self {
            Self::Json | Self::GeoJson => b"]}\n",
            Self::Csv { .. } | Self::JsonLines => b"",
        }
    }
}

fn csv_line(separator: u8, values: impl IntoIterator<Item = String>) -> Vec<u8> {
    let mut writer = csv::WriterBuilder::new()
        .delimiter(separator)
        .terminator(csv::Terminator::CRLF)
        .from_writer(Vec::new());
    // Writing to memory fails only on a bug of the csv crate.
    writer
        .write_record(values.into_iter().map(|value| neutralised(&value)))
        .expect("a CSV record written to memory");
    writer.into_inner().unwrap_or_default()
}

/// A cell a spreadsheet would read as a formula (`=`, `+`, `-`, `@` first) gets a leading
/// apostrophe: a text from a contributor must never run as a formula on a reader's machine.
fn neutralised(value: &str) -> String {
    match value.chars().next() {
        Some('=' | '+' | '-' | '@') => format!("'{value}"),
        _ => value.to_owned(),
    }
}

fn csv_row(initiative: &PublishedInitiative, publication: &Publication) -> Vec<String> {
    let point = initiative.point();
    vec![
        format!("Initiative:{}", initiative.id),
        initiative.slug.clone(),
        initiative.title.clone(),
        initiative.summary.clone(),
        initiative.description.clone().unwrap_or_default(),
        date(initiative.started_on),
        date(initiative.ended_on),
        initiative.published_at.map(rfc3339).unwrap_or_default(),
        rfc3339(initiative.changed_at),
        list(
            initiative
                .audiences
                .iter()
                .map(|audience| audience.as_str().to_owned()),
        ),
        list(initiative.themes.iter().cloned()),
        list(
            initiative
                .territories
                .iter()
                .map(|territory| territory.name.clone()),
        ),
        list(
            initiative
                .territories
                .iter()
                .map(|territory| territory.official_code.clone().unwrap_or_default()),
        ),
        list(initiative.organisations.iter().cloned()),
        list(initiative.contacts.iter().map(|contact| {
            let details: Vec<&str> = [contact.email.as_deref(), contact.phone.as_deref()]
                .into_iter()
                .flatten()
                .collect();
            if details.is_empty() {
                contact.name.clone()
            } else {
                format!("{} ({})", contact.name, details.join(", "))
            }
        })),
        point
            .map(|(latitude, _)| latitude.to_string())
            .unwrap_or_default(),
        point
            .map(|(_, longitude)| longitude.to_string())
            .unwrap_or_default(),
        publication.page_of(&initiative.slug).unwrap_or_default(),
    ]
}

fn date(day: Option<chrono::NaiveDate>) -> String {
    day.map(|day| day.to_string()).unwrap_or_default()
}

fn list(values: impl Iterator<Item = String>) -> String {
    values.collect::<Vec<_>>().join(LIST_SEPARATOR)
}

/// An initiative as a JSON object, with the API's names and global ids.
fn document(initiative: &PublishedInitiative, publication: &Publication) -> Value {
    json!({
        "id": format!("Initiative:{}", initiative.id),
        "slug": initiative.slug,
        "title": initiative.title,
        "summary": initiative.summary,
        "description": initiative.description,
        "startedOn": initiative.started_on,
        "endedOn": initiative.ended_on,
        "publishedAt": initiative.published_at.map(rfc3339),
        "changedAt": rfc3339(initiative.changed_at),
        "audiences": initiative.audiences.iter().map(|audience| audience.as_str()).collect::<Vec<_>>(),
        "themes": initiative.themes,
        "territories": initiative.territories.iter().map(|territory| json!({
            "name": territory.name,
            "kind": territory.kind.as_str(),
            "officialCode": territory.official_code,
            "latitude": territory.point.map(|(latitude, _)| latitude),
            "longitude": territory.point.map(|(_, longitude)| longitude),
        })).collect::<Vec<_>>(),
        "organisations": initiative.organisations,
        "contacts": initiative.contacts.iter().map(|contact| json!({
            "name": contact.name,
            "email": contact.email,
            "phone": contact.phone,
        })).collect::<Vec<_>>(),
        "url": publication.page_of(&initiative.slug),
    })
}

/// An initiative as a GeoJSON feature: longitude first, as GeoJSON orders coordinates.
fn feature(initiative: &PublishedInitiative, publication: &Publication) -> Value {
    let geometry = match initiative.point() {
        Some((latitude, longitude)) => {
            json!({ "type": "Point", "coordinates": [longitude, latitude] })
        }
        None => Value::Null,
    };
    json!({
        "type": "Feature",
        "id": format!("Initiative:{}", initiative.id),
        "geometry": geometry,
        "properties": document(initiative, publication),
    })
}
