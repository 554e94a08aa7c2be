//! What a caller asks of the catalogue: filters and ordering, validated.

use chrono::NaiveDate;
use entity::enums::{Audience, InitiativeLinkKind};
use uuid::Uuid;

use super::{place::BoundingBox, search::Search};
use crate::error::AppError;

/// A validated initiative filter. Empty lists mean "no constraint".
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct InitiativeFilter {
    /// Initiatives whose text matches this French full-text search.
    pub search: Option<Search>,
    /// Initiatives with any of these themes or their sub-themes.
    pub theme_ids: Vec<Uuid>,
    /// Initiatives on any of these territories or anything they contain, at any depth.
    pub territory_ids: Vec<Uuid>,
    /// Initiatives with any of these organisations, whatever their role.
    pub organisation_ids: Vec<Uuid>,
    /// Initiatives for any of these audiences.
    pub audiences: Vec<Audience>,
    /// Initiatives reported at this meeting.
    pub meeting_id: Option<Uuid>,
    /// Start date range, inclusive on both ends.
    pub started: DateRange,
    /// Initiatives linked to this one, whichever holds the link.
    pub linked_to: Option<LinkedTo>,
    /// Initiatives whose place is inside this box.
    pub within: Option<BoundingBox>,
}

/// Initiatives linked to `id`, in either direction, by links of `kinds` (any kind when
/// empty).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LinkedTo {
    pub id: Uuid,
    pub kinds: Vec<InitiativeLinkKind>,
}

impl InitiativeFilter {
    /// The search, when it is the filter's only criterion.
    pub fn search_alone(&self) -> Option<&Search> {
        let search = self.search.as_ref()?;
        let alone = Self {
            search: Some(search.clone()),
            ..Self::default()
        };
        (*self == alone).then_some(search)
    }

    /// The theme and the territory the filter asks for, when it names at most one of each
    /// and at least one: the public's kept facets answer such a filter.
    pub fn facet(&self) -> Option<Facet> {
        let one = |ids: &[Uuid]| match ids {
            [] => Some(None),
            [id] => Some(Some(*id)),
            _ => None,
        };
        let facet = Facet {
            theme: one(&self.theme_ids)?,
            territory: one(&self.territory_ids)?,
        };
        (facet.theme.is_some() || facet.territory.is_some()).then_some(facet)
    }

    /// Whether the filter asks for nothing but its [`Self::facet`].
    pub fn facet_alone(&self) -> bool {
        self.facet().is_some()
            && *self
                == Self {
                    theme_ids: self.theme_ids.clone(),
                    territory_ids: self.territory_ids.clone(),
                    ..Self::default()
                }
    }
}

/// A theme (with its sub-themes) and a territory (with everything it contains); `None`
/// is any.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Facet {
    pub theme: Option<Uuid>,
    pub territory: Option<Uuid>,
}

/// An inclusive date range whose ends are in order.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct DateRange {
    pub from: Option<NaiveDate>,
    pub to: Option<NaiveDate>,
}

impl DateRange {
    /// Parses a range; `to_field` names the end for the error when the ends are reversed.
    pub fn new(
        from: Option<NaiveDate>,
        to: Option<NaiveDate>,
        to_field: &str,
    ) -> Result<Self, AppError> {
        match (from, to) {
            (Some(from), Some(to)) if to < from => Err(AppError::bad_input(
                to_field,
                format!("{to} is before the start of the range ({from})"),
            )),
            _ => Ok(Self { from, to }),
        }
    }
}

/// The order of an initiative list.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct InitiativeOrder {
    pub field: InitiativeOrderField,
    pub descending: bool,
}

impl Default for InitiativeOrder {
    /// Newest publications first, what a catalogue's home page shows.
    fn default() -> Self {
        Self {
            field: InitiativeOrderField::PublishedAt,
            descending: true,
        }
    }
}

impl InitiativeOrder {
    /// The order of a list: the one asked for, else the best matches first when searching,
    /// else the default. Relevance without a search is refused, naming `field`.
    pub fn resolve(
        asked: Option<Self>,
        filter: &InitiativeFilter,
        field: &str,
    ) -> Result<Self, AppError> {
        match asked {
            Some(order) if order.field == InitiativeOrderField::Relevance => {
                if filter.search.is_none() {
                    Err(AppError::bad_input(
                        field,
                        "RELEVANCE orders the results of a search: give `filter.search`",
                    ))
                } else {
                    Ok(order)
                }
            }
            Some(order) => Ok(order),
            None if filter.search.is_some() => Ok(Self {
                field: InitiativeOrderField::Relevance,
                descending: false,
            }),
            None => Ok(Self::default()),
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum InitiativeOrderField {
    PublishedAt,
    Title,
    StartedOn,
    /// Rank in a search: ascending is the best match first.
    Relevance,
}

#[cfg(test)]
mod tests {
    use super::*;

    fn date(text: &str) -> Option<NaiveDate> {
        Some(text.parse().unwrap())
    }

    #[test]
    fn a_facet_is_one_theme_or_one_territory_or_one_of_each() {
        let (theme, territory) = (Uuid::new_v4(), Uuid::new_v4());
        let filter = |themes: Vec<Uuid>, territories: Vec<Uuid>| InitiativeFilter {
            theme_ids: themes,
            territory_ids: territories,
            ..Default::default()
        };
        assert_eq!(
            filter(vec![theme], vec![territory]).facet(),
            Some(Facet {
                theme: Some(theme),
                territory: Some(territory)
            })
        );
        assert_eq!(
            filter(vec![], vec![territory]).facet(),
            Some(Facet {
                theme: None,
                territory: Some(territory)
            })
        );
        assert_eq!(filter(vec![], vec![]).facet(), None);
        assert_eq!(filter(vec![theme, theme], vec![]).facet(), None);
        assert!(filter(vec![theme], vec![]).facet_alone());
        let searched = InitiativeFilter {
            search: Search::parse("search", "masques").unwrap(),
            ..filter(vec![theme], vec![])
        };
        assert!(searched.facet().is_some() && !searched.facet_alone());
    }

    #[test]
    fn a_range_ending_before_it_starts_is_refused_naming_its_end() {
        let error =
            DateRange::new(date("2020-05-14"), date("2020-03-17"), "filter.startedTo").unwrap_err();
        assert_eq!(error.code(), "BAD_USER_INPUT");
        assert!(error.public_message().starts_with("filter.startedTo"));
    }

    #[test]
    fn a_search_is_ordered_by_relevance_unless_told_otherwise() {
        let searching = InitiativeFilter {
            search: Search::parse("search", "masques").unwrap(),
            ..Default::default()
        };
        let relevance = InitiativeOrder {
            field: InitiativeOrderField::Relevance,
            descending: false,
        };
        assert_eq!(
            InitiativeOrder::resolve(None, &searching, "orderBy").unwrap(),
            relevance
        );
        assert_eq!(
            InitiativeOrder::resolve(None, &InitiativeFilter::default(), "orderBy").unwrap(),
            InitiativeOrder::default()
        );
        let error = InitiativeOrder::resolve(
            Some(relevance),
            &InitiativeFilter::default(),
            "orderBy.field",
        )
        .unwrap_err();
        assert_eq!(error.code(), "BAD_USER_INPUT");
    }

    #[test]
    fn open_and_single_day_ranges_are_accepted() {
        assert!(DateRange::new(date("2020-05-14"), None, "to").is_ok());
        assert!(DateRange::new(None, date("2020-05-14"), "to").is_ok());
        assert!(DateRange::new(date("2020-05-14"), date("2020-05-14"), "to").is_ok());
    }
}
