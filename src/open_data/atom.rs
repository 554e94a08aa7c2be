//! The Atom 1.0 feed of publications: the initiatives published last, newest first. An
//! entry's id never changes (`urn:uuid:` and the initiative's id), and its `updated` is its
//! newest public change in the change stream, so a feed reader shows an initiative again
//! when it changed, and only then.

use atom_syndication::{
    Category, Content, Entry, Feed, FixedDateTime, Generator, Link, Person, Text,
};

use super::{Publication, Selection};
use crate::{domain::time::rfc3339, store::open_data::PublishedInitiative};

/// Entries in the feed: readers poll it, they do not page through it.
pub const ENTRIES: u64 = 50;

/// The feed of `initiatives` (newest first) for `selection`, as XML.
pub fn feed(
    initiatives: &[PublishedInitiative],
    selection: &Selection,
    publication: &Publication,
) -> String {
    let updated = initiatives
        .iter()
        .map(|initiative| initiative.changed_at)
        .max()
        .unwrap_or_default();
    let mut title = "Communs — initiatives publiées".to_owned();
    if !selection.named.is_empty() {
        title.push_str(&format!(" ({})", selection.named.join(", ")));
    }
    let feed = Feed {
        title: Text::plain(title),
        // The same selection, however written, is the same feed.
        id: format!("urn:communs:feed:initiatives:{}", selection.named.join(":")),
        updated: FixedDateTime::from(updated),
        authors: vec![Person {
            name: publication.publisher.clone(),
            email: None,
            uri: publication.site_url.clone(),
            ..Person::default()
        }],
        rights: Some(Text::plain(format!(
            "{} ({})",
            publication.licence, publication.licence_url
        ))),
        generator: Some(Generator {
            value: "Communs".to_owned(),
            uri: None,
            version: Some(env!("CARGO_PKG_VERSION").to_owned()),
        }),
        lang: Some("fr".to_owned()),
        entries: initiatives
            .iter()
            .map(|initiative| entry(initiative, publication))
            .collect(),
        ..Feed::default()
    };
    with_utc_instants(feed.to_string())
}

/// `xml` with the instants of its `updated` and `published` elements written as everywhere
/// else (`2020-05-14T16:30:00Z`): the Atom writer gives them as `+00:00`.
fn with_utc_instants(mut xml: String) -> String {
    for tag in ["updated", "published"] {
        let (open, close) = (format!("<{tag}>"), format!("</{tag}>"));
        let mut out = String::with_capacity(xml.len());
        let mut rest = xml.as_str();
        while let Some(start) = rest.find(&open) {
            let value_start = start + open.len();
            let Some(length) = rest[value_start..].find(&close) else {
                break;
            };
            let value = &rest[value_start..value_start + length];
            out.push_str(&rest[..value_start]);
            match chrono::DateTime::parse_from_rfc3339(value) {
                Ok(at) => out.push_str(&rfc3339(at.with_timezone(&chrono::Utc))),
                Err(_) => out.push_str(value),
            }
            rest = &rest[value_start + length..];
        }
        out.push_str(rest);
        xml = out;
    }
    xml
}

fn entry(initiative: &PublishedInitiative, publication: &Publication) -> Entry {
    let mut text = initiative.summary.clone();
    if let Some(description) = &initiative.description {
        text.push_str("\n\n");
        text.push_str(description);
    }
    Entry {
        id: format!("urn:uuid:{}", initiative.id),
        title: Text::plain(initiative.title.clone()),
        updated: FixedDateTime::from(initiative.changed_at),
        published: initiative.published_at.map(FixedDateTime::from),
        summary: Some(Text::plain(initiative.summary.clone())),
        content: Some(Content {
            value: Some(text),
            content_type: Some("text".to_owned()),
            ..Content::default()
        }),
        links: publication
            .page_of(&initiative.slug)
            .map(|href| Link {
                href,
                rel: "alternate".to_owned(),
                mime_type: Some("text/html".to_owned()),
                ..Link::default()
            })
            .into_iter()
            .collect(),
        categories: initiative
            .themes
            .iter()
            .map(|theme| Category {
                term: theme.clone(),
                ..Category::default()
            })
            .chain(initiative.territories.iter().map(|territory| Category {
                term: territory.name.clone(),
                label: Some(territory.kind.as_str().to_owned()),
                ..Category::default()
            }))
            .collect(),
        ..Entry::default()
    }
}
