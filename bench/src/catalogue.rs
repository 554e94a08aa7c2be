//! A large catalogue built in memory from a seed: the same seed gives the same rows, ids
//! included, so two runs (and two databases) are compared on the same data.

use std::collections::{HashMap, HashSet};

use chrono::{DateTime, Duration, NaiveDate, TimeZone, Utc};
use communs::domain::{
    place::derived,
    text::{person_sort_key, slugify, sort_key},
};
use entity::{
    enums::{
        Audience, ContactVisibility, MeetingFormat, ModerationStatus, OrganisationKind,
        OrganisationRole, ParticipantRole, TerritoryKind,
    },
    *,
};
use fastrand::Rng;
use uuid::Uuid;

use crate::vocabulary::*;

/// How big a catalogue to build.
#[derive(Debug, Clone, Copy)]
pub struct Size {
    pub initiatives: usize,
    pub organisations: usize,
    pub professionals: usize,
    pub meetings: usize,
}

/// Every row of the catalogue, grouped by table.
#[derive(Default)]
pub struct Catalogue {
    pub territories: Vec<territory::Model>,
    pub territory_parents: Vec<territory_parent::Model>,
    pub themes: Vec<theme::Model>,
    pub organisations: Vec<organisation::Model>,
    pub professionals: Vec<professional::Model>,
    pub positions: Vec<position::Model>,
    pub meetings: Vec<meeting::Model>,
    pub participants: Vec<meeting_participant::Model>,
    pub topics: Vec<meeting_topic::Model>,
    pub initiatives: Vec<initiative::Model>,
    pub initiative_themes: Vec<initiative_theme::Model>,
    pub initiative_territories: Vec<initiative_territory::Model>,
    pub initiative_organisations: Vec<initiative_organisation::Model>,
    pub initiative_audiences: Vec<initiative_audience::Model>,
    pub initiative_contacts: Vec<initiative_contact::Model>,
    pub initiative_meetings: Vec<initiative_meeting::Model>,
}

/// The places an initiative can be on, by level.
#[derive(Default)]
struct Places {
    /// (id, code, whether in the Grand Est region).
    departments: Vec<(Uuid, &'static str, bool)>,
    /// Per department (same order), its intercommunalities.
    intercommunalities: Vec<Vec<Uuid>>,
    /// (id, name, department index).
    municipalities: Vec<(Uuid, String, usize)>,
    /// Per department (same order), its municipalities.
    towns_of: Vec<Vec<Uuid>>,
    /// Per department (same order), its priority neighbourhoods.
    neighbourhoods_of: Vec<Vec<Uuid>>,
}

/// Territories: regions, departments, then intercommunalities, municipalities and priority
/// neighbourhoods up to this total.
const TERRITORIES: usize = 2_000;
const INTERCOMMUNALITIES_PER_DEPARTMENT: usize = 3;
const NEIGHBOURHOODS_PER_DEPARTMENT: usize = 2;

/// Share of initiatives in the Grand Est departments, where the network began.
const GRAND_EST_SHARE: f64 = 0.4;

struct Builder {
    rng: Rng,
    slugs: HashSet<String>,
    catalogue: Catalogue,
    places: Places,
    /// Sub-theme ids, in the order of [`ACTIVITIES`].
    sub_themes: Vec<Uuid>,
    /// Organisation ids with their municipality index.
    organisations: Vec<(Uuid, usize)>,
    /// Territory names by id.
    names: HashMap<Uuid, String>,
}

pub fn build(seed: u64, size: Size) -> Catalogue {
    let mut builder = Builder {
        rng: Rng::with_seed(seed),
        slugs: HashSet::new(),
        catalogue: Catalogue::default(),
        places: Places::default(),
        sub_themes: Vec::new(),
        organisations: Vec::new(),
        names: HashMap::new(),
    };
    builder.territories();
    builder.themes();
    builder.organisations(size.organisations);
    builder.professionals(size.professionals);
    builder.meetings(size.meetings);
    builder.initiatives(size.initiatives);
    let mut catalogue = builder.catalogue;
    place(&mut catalogue, seed);
    catalogue
}

/// Gives the territories points and the initiatives the places Communs derives from them
/// (`domain::place::derived`), for the map. The points come from their own generator, so
/// the rest of the catalogue is the same as without them. Departments lie in metropolitan
/// France (those of Grand Est in its north-east), the territories below each around the
/// one they lie in; regions have none.
fn place(catalogue: &mut Catalogue, seed: u64) {
    let mut rng = Rng::with_seed(seed ^ 0x006d_6170);
    let parent_of: HashMap<Uuid, Uuid> = catalogue
        .territory_parents
        .iter()
        .map(|link| (link.child_id, link.parent_id))
        .collect();
    let region_of_grand_est = catalogue
        .territories
        .iter()
        .find(|territory| {
            territory.kind == TerritoryKind::Region
                && territory.official_code.as_deref() == Some("44")
        })
        .map(|territory| territory.id);
    let mut points: HashMap<Uuid, (f64, f64)> = HashMap::new();
    let mut between = |from: f64, to: f64| from + rng.f64() * (to - from);
    // Parents come before their children in the list.
    for territory in &mut catalogue.territories {
        let parent = parent_of
            .get(&territory.id)
            .and_then(|parent| points.get(parent).copied());
        let spread = match territory.kind {
            TerritoryKind::Region => continue,
            TerritoryKind::Department => {
                let grand_est = parent_of.get(&territory.id) == region_of_grand_est.as_ref();
                let point = if grand_est {
                    (between(47.6, 49.9), between(4.0, 7.6))
                } else {
                    (between(43.2, 50.6), between(-1.8, 7.0))
                };
                territory.latitude = Some(point.0);
                territory.longitude = Some(point.1);
                points.insert(territory.id, point);
                continue;
            }
            TerritoryKind::Intercommunality => 0.25,
            TerritoryKind::Municipality => 0.15,
            _ => 0.02,
        };
        let Some((latitude, longitude)) = parent else {
            continue;
        };
        let point = (
            latitude + between(-spread, spread),
            longitude + between(-spread, spread),
        );
        territory.latitude = Some(point.0);
        territory.longitude = Some(point.1);
        points.insert(territory.id, point);
    }
    let kinds: HashMap<Uuid, TerritoryKind> = catalogue
        .territories
        .iter()
        .map(|territory| (territory.id, territory.kind))
        .collect();
    let mut on: HashMap<Uuid, Vec<(TerritoryKind, f64, f64)>> = HashMap::new();
    for link in &catalogue.initiative_territories {
        if let Some((latitude, longitude)) = points.get(&link.territory_id) {
            on.entry(link.initiative_id).or_default().push((
                kinds[&link.territory_id],
                *latitude,
                *longitude,
            ));
        }
    }
    for initiative in &mut catalogue.initiatives {
        let place = derived(on.remove(&initiative.id).unwrap_or_default());
        initiative.latitude = place.map(|point| point.latitude());
        initiative.longitude = place.map(|point| point.longitude());
    }
}

/// A fixed instant: generated rows are dated from it, not from the clock.
fn epoch() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 11, 1, 0, 0, 0).unwrap()
}

fn date(year: i32, month: u32, day: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(year, month, day).unwrap()
}

impl Builder {
    fn id(&mut self) -> Uuid {
        uuid::Builder::from_random_bytes(self.rng.u128(..).to_le_bytes()).into_uuid()
    }

    fn pick<T: Copy>(&mut self, items: &[T]) -> T {
        items[self.rng.usize(..items.len())]
    }

    /// An organisation, with the index of its municipality.
    fn organisation(&mut self) -> (Uuid, usize) {
        self.organisations[self.rng.usize(..self.organisations.len())]
    }

    /// A slug for `name` no other row of any table uses (the tables' slugs are unique each;
    /// keeping them unique across tables costs nothing and keeps the code simple).
    fn slug(&mut self, name: &str) -> String {
        let base = slugify(name);
        let mut slug = base.clone();
        let mut suffix = 2;
        while !self.slugs.insert(slug.clone()) {
            slug = format!("{base}-{suffix}");
            suffix += 1;
        }
        slug
    }

    fn territory(
        &mut self,
        name: &str,
        kind: TerritoryKind,
        code: String,
        parent: Option<Uuid>,
    ) -> Uuid {
        let id = self.id();
        let slug = self.slug(name);
        self.names.insert(id, name.to_owned());
        self.catalogue.territories.push(territory::Model {
            id,
            name: name.to_owned(),
            sort_name: sort_key(name),
            slug,
            kind,
            official_code: Some(code),
            latitude: None,
            longitude: None,
            valid_from: None,
            valid_to: None,
            created_at: epoch(),
            updated_at: epoch(),
        });
        if let Some(parent_id) = parent {
            self.catalogue
                .territory_parents
                .push(territory_parent::Model {
                    child_id: id,
                    parent_id,
                });
        }
        id
    }

    fn town_name(&mut self) -> String {
        let root = self.pick(TOWN_ROOTS);
        match self.rng.u8(..10) {
            0 => format!("{}{root}", self.pick(TOWN_SAINTS)),
            1..=3 => format!("{root}{}", self.pick(TOWN_PLACES)),
            _ => root.to_owned(),
        }
    }

    fn territories(&mut self) {
        let mut regions = Vec::new();
        for (code, name) in REGIONS {
            let id = self.territory(name, TerritoryKind::Region, (*code).into(), None);
            regions.push((*code, id));
        }
        for (code, name, region) in DEPARTMENTS {
            let parent = regions.iter().find(|(r, _)| r == region).map(|(_, id)| *id);
            let id = self.territory(name, TerritoryKind::Department, (*code).into(), parent);
            self.places.departments.push((id, code, *region == "44"));
        }
        let departments = self.places.departments.clone();
        let fixed = REGIONS.len()
            + departments.len()
                * (1 + INTERCOMMUNALITIES_PER_DEPARTMENT + NEIGHBOURHOODS_PER_DEPARTMENT);
        let municipalities = TERRITORIES - fixed;
        for (index, (department, code, _)) in departments.iter().enumerate() {
            let mut epcis = Vec::new();
            for number in 0..INTERCOMMUNALITIES_PER_DEPARTMENT {
                let town = self.town_name();
                let name = match number {
                    0 => format!("Communauté d'agglomération de {town}"),
                    _ => format!("Communauté de communes de {town}"),
                };
                let siren = format!("2{:08}", self.rng.u32(..100_000_000));
                epcis.push(self.territory(
                    &name,
                    TerritoryKind::Intercommunality,
                    siren,
                    Some(*department),
                ));
            }
            self.places.intercommunalities.push(epcis);
            // Municipalities, spread evenly over the departments.
            let count = municipalities / departments.len()
                + usize::from(index < municipalities % departments.len());
            let mut towns = Vec::with_capacity(count);
            for number in 0..count {
                let name = self.town_name();
                let epci = self.places.intercommunalities[index]
                    [number % INTERCOMMUNALITIES_PER_DEPARTMENT];
                let id = self.territory(
                    &name,
                    TerritoryKind::Municipality,
                    format!("{code}{:03}", number + 1),
                    Some(epci),
                );
                self.places.municipalities.push((id, name, index));
                towns.push(id);
            }
            self.places.towns_of.push(towns);
        }
        // Each department's first municipalities hold its priority neighbourhoods.
        for index in 0..departments.len() {
            let towns: Vec<(Uuid, String)> = self
                .places
                .municipalities
                .iter()
                .filter(|(_, _, department)| *department == index)
                .take(NEIGHBOURHOODS_PER_DEPARTMENT)
                .map(|(id, name, _)| (*id, name.clone()))
                .collect();
            let mut neighbourhoods = Vec::with_capacity(towns.len());
            for (number, (town, town_name)) in towns.into_iter().enumerate() {
                let name = format!("{} ({town_name})", self.pick(NEIGHBOURHOODS));
                let code = format!("QN{:03}{:03}", index + 1, number + 1);
                let id = self.territory(
                    &name,
                    TerritoryKind::PriorityNeighbourhood,
                    code,
                    Some(town),
                );
                neighbourhoods.push(id);
            }
            self.places.neighbourhoods_of.push(neighbourhoods);
        }
    }

    fn themes(&mut self) {
        for (position, (name, children)) in THEMES.iter().enumerate() {
            let parent = self.theme(name, None, position);
            for (position, child) in children.iter().enumerate() {
                let id = self.theme(child, Some(parent), position);
                self.sub_themes.push(id);
            }
        }
    }

    fn theme(&mut self, name: &str, parent_id: Option<Uuid>, position: usize) -> Uuid {
        let id = self.id();
        let slug = self.slug(name);
        self.catalogue.themes.push(theme::Model {
            id,
            name: name.to_owned(),
            sort_name: sort_key(name),
            slug,
            description: None,
            parent_id,
            position: position as i32,
            created_at: epoch(),
            updated_at: epoch(),
        });
        id
    }

    fn organisations(&mut self, count: usize) {
        for _ in 0..count {
            let town = self.rng.usize(..self.places.municipalities.len());
            let (territory_id, town_name, department) = self.places.municipalities[town].clone();
            let department_name = DEPARTMENTS[department].1;
            let (kind, name) = match self.rng.u8(..20) {
                0..=2 => (
                    OrganisationKind::LocalAuthority,
                    format!("Ville de {town_name}"),
                ),
                3 => (
                    OrganisationKind::StateService,
                    format!("Délégation du préfet ({department_name})"),
                ),
                4 => (
                    OrganisationKind::PublicBody,
                    format!("CAF ({department_name})"),
                ),
                5 => (
                    OrganisationKind::ResourceCentre,
                    format!("Centre de ressources politique de la ville ({department_name})"),
                ),
                6 => (
                    OrganisationKind::Network,
                    format!("Réseau des acteurs de {town_name}"),
                ),
                7 => (
                    OrganisationKind::Company,
                    format!("Bailleur social de {town_name}"),
                ),
                _ => (
                    OrganisationKind::Association,
                    format!("{} de {town_name}", self.pick(ASSOCIATION_NAMES)),
                ),
            };
            let id = self.id();
            let slug = self.slug(&name);
            self.catalogue.organisations.push(organisation::Model {
                id,
                name: name.clone(),
                sort_name: sort_key(&name),
                slug: slug.clone(),
                kind,
                territory_id: Some(territory_id),
                website: Some(format!("https://{slug}.exemple.fr")),
                description: None,
                created_at: epoch(),
                updated_at: epoch(),
            });
            self.organisations.push((id, town));
        }
    }

    fn professionals(&mut self, count: usize) {
        for number in 0..count {
            let given_name = self.pick(GIVEN_NAMES);
            let family_name = self.pick(FAMILY_NAMES);
            let id = self.id();
            let slug = self.slug(&format!("{given_name} {family_name}"));
            let (organisation_id, town) = self.organisation();
            let contact_visibility = match self.rng.u8(..10) {
                0..=2 => ContactVisibility::Public,
                3..=6 => ContactVisibility::Members,
                _ => ContactVisibility::Private,
            };
            self.catalogue.professionals.push(professional::Model {
                id,
                given_name: given_name.to_owned(),
                family_name: family_name.to_owned(),
                sort_name: person_sort_key(family_name, given_name),
                slug: slug.clone(),
                email: Some(format!("{slug}@exemple.fr")),
                phone: Some(format!(
                    "03 87 {:02} {:02} {:02}",
                    number / 10_000 % 100,
                    number / 100 % 100,
                    number % 100
                )),
                contact_visibility,
                user_id: None,
                created_at: epoch(),
                updated_at: epoch(),
            });
            let position_id = self.id();
            let job_title = self.pick(JOB_TITLES).to_owned();
            self.catalogue.positions.push(position::Model {
                id: position_id,
                professional_id: id,
                organisation_id,
                job_title,
                field: None,
                territory_id: Some(self.places.municipalities[town].0),
                started_on: Some(date(2010 + self.rng.i32(0..15), 9, 1)),
                ended_on: None,
                created_at: epoch(),
                updated_at: epoch(),
            });
        }
    }

    fn meetings(&mut self, count: usize) {
        for number in 0..count {
            let department = self.rng.usize(..DEPARTMENTS.len());
            let held_on = date(2019, 1, 7) + Duration::days(self.rng.i64(0..2_500));
            let title = format!(
                "Rencontre des professionnel·les du DSU ({}) n°{}",
                DEPARTMENTS[department].1,
                number + 1
            );
            let id = self.id();
            let slug = self.slug(&format!("{title} {held_on}"));
            let format = self.pick(&[
                MeetingFormat::InPerson,
                MeetingFormat::Video,
                MeetingFormat::Hybrid,
            ]);
            let organiser = self.organisation().0;
            let summary = self.pick(CONTEXTS).to_owned();
            self.catalogue.meetings.push(meeting::Model {
                id,
                title,
                slug,
                held_on,
                format,
                organiser_id: Some(organiser),
                agenda: Some("Tour de table, puis échanges sur les questions posées.".to_owned()),
                summary: Some(summary),
                created_at: epoch(),
                updated_at: epoch(),
            });
            let mut present = HashSet::new();
            for position in 0..4 + self.rng.usize(..9) {
                let person = self.rng.usize(..self.catalogue.professionals.len());
                if !present.insert(person) {
                    continue;
                }
                let role = if position == 0 {
                    ParticipantRole::Facilitator
                } else {
                    ParticipantRole::Participant
                };
                let participant_id = self.id();
                self.catalogue
                    .participants
                    .push(meeting_participant::Model {
                        id: participant_id,
                        meeting_id: id,
                        professional_id: Some(self.catalogue.professionals[person].id),
                        role,
                        job_title: Some(self.catalogue.positions[person].job_title.clone()),
                        position: position as i32,
                        created_at: epoch(),
                        updated_at: epoch(),
                    });
            }
            let first = self.rng.usize(..QUESTIONS.len());
            for position in 0..2 + self.rng.usize(..3) {
                let topic_id = self.id();
                self.catalogue.topics.push(meeting_topic::Model {
                    id: topic_id,
                    meeting_id: id,
                    position: position as i32 + 1,
                    question: QUESTIONS[(first + position) % QUESTIONS.len()].to_owned(),
                    created_at: epoch(),
                    updated_at: epoch(),
                });
            }
        }
    }

    /// A department index, Grand Est ones more often.
    fn department(&mut self) -> usize {
        let grand_est = self.rng.f64() < GRAND_EST_SHARE;
        loop {
            let index = self.rng.usize(..self.places.departments.len());
            if self.places.departments[index].2 == grand_est {
                return index;
            }
        }
    }

    /// Where an initiative is: mostly a town or a neighbourhood, sometimes wider.
    fn place(&mut self, department: usize) -> Uuid {
        match self.rng.u8(..10) {
            0 => self.places.departments[department].0,
            1 => self.pick(&self.places.intercommunalities[department].clone()),
            2..=3 => {
                let here = &self.places.neighbourhoods_of[department];
                here[self.rng.usize(..here.len())]
            }
            _ => {
                let here = &self.places.towns_of[department];
                here[self.rng.usize(..here.len())]
            }
        }
    }

    fn status(&mut self) -> ModerationStatus {
        match self.rng.u8(..100) {
            0..=59 => ModerationStatus::Published,
            60..=71 => ModerationStatus::Draft,
            72..=81 => ModerationStatus::Submitted,
            82..=86 => ModerationStatus::ChangesRequested,
            87..=91 => ModerationStatus::Rejected,
            _ => ModerationStatus::Archived,
        }
    }

    fn initiatives(&mut self, count: usize) {
        let audiences = [
            Audience::Children,
            Audience::Youth,
            Audience::Families,
            Audience::Elderly,
            Audience::IsolatedPeople,
            Audience::Allophones,
            Audience::Inhabitants,
            Audience::Professionals,
        ];
        let first_publication = Utc.with_ymd_and_hms(2020, 5, 14, 18, 0, 0).unwrap();
        let span = (epoch() - first_publication).num_seconds();
        for _ in 0..count {
            let id = self.id();
            let theme = self.rng.usize(..self.sub_themes.len());
            let activity = self.pick(&ACTIVITIES[theme]);
            let department = self.department();
            let place = self.place(department);
            let place_name = self.names[&place].clone();
            let opening = self.pick(TITLE_OPENINGS);
            let mut title = if opening.is_empty() {
                let mut chars = activity.chars();
                let first = chars
                    .next()
                    .map(|c| c.to_uppercase().to_string())
                    .unwrap_or_default();
                format!("{first}{}", chars.as_str())
            } else {
                format!("{opening} {activity}")
            };
            if self.rng.bool() {
                title = format!("{title} à {place_name}");
            }
            let carrier = self.pick(CARRIERS);
            let for_whom = self.pick(FOR_WHOM);
            let summary = format!("{carrier} propose {activity} pour {for_whom}.");
            let description = format!(
                "{} {} {}",
                self.pick(CONTEXTS),
                self.pick(CONTEXTS),
                format_args!("L'action se déroule à {place_name}.")
            );
            let status = self.status();
            let published_at = (status == ModerationStatus::Published)
                .then(|| first_publication + Duration::seconds(self.rng.i64(0..span)));
            let written = published_at
                .unwrap_or_else(|| first_publication + Duration::seconds(self.rng.i64(0..span)));
            let slug =
                if status == ModerationStatus::Published || status == ModerationStatus::Archived {
                    self.slug(&title)
                } else {
                    // As a new contribution's: the title with a part of its own id.
                    let simple = id.simple().to_string();
                    format!("{}-{}", slugify(&title), &simple[simple.len() - 8..])
                };
            let started_on = date(2015, 1, 1) + Duration::days(self.rng.i64(0..4_300));
            let ended_on = self
                .rng
                .bool()
                .then(|| started_on + Duration::days(30 + self.rng.i64(0..700)));
            let (lead, _) = self.organisation();
            let context = self.rng.bool().then(|| self.pick(CONTEXTS).to_owned());
            let outcomes = self.rng.bool().then(|| self.pick(OUTCOMES).to_owned());
            let continuation = self.rng.bool().then(|| self.pick(CONTINUATIONS).to_owned());
            self.catalogue.initiatives.push(initiative::Model {
                id,
                title: title.clone(),
                title_sort: sort_key(&title),
                slug,
                summary,
                description: Some(description),
                started_on: Some(started_on),
                ended_on,
                context,
                outcomes,
                continuation,
                status,
                organisation_id: Some(lead),
                submitted_by: None,
                submitted_at: (status != ModerationStatus::Draft).then_some(written),
                published_at,
                version: 1,
                // Derived from its territories once they are all chosen (see `place`).
                latitude: None,
                longitude: None,
                place_explicit: false,
                created_at: written - Duration::days(3),
                updated_at: written,
            });
            // Themes: the activity's, and sometimes one or two more.
            let mut themes = vec![self.sub_themes[theme]];
            for _ in 0..self.rng.usize(..3) {
                let other = self.pick(&self.sub_themes.clone()[..]);
                if !themes.contains(&other) {
                    themes.push(other);
                }
            }
            for theme_id in themes {
                self.catalogue
                    .initiative_themes
                    .push(initiative_theme::Model {
                        initiative_id: id,
                        theme_id,
                    });
            }
            let mut places = vec![place];
            if self.rng.u8(..5) == 0 {
                let other = self.place(department);
                if other != place {
                    places.push(other);
                }
            }
            for territory_id in places {
                self.catalogue
                    .initiative_territories
                    .push(initiative_territory::Model {
                        initiative_id: id,
                        territory_id,
                    });
            }
            let mut organisations = vec![(lead, OrganisationRole::Lead)];
            for _ in 0..self.rng.usize(..3) {
                let (other, _) = self.organisation();
                if organisations.iter().all(|(known, _)| *known != other) {
                    let role = self.pick(&[OrganisationRole::Partner, OrganisationRole::Funder]);
                    organisations.push((other, role));
                }
            }
            for (organisation_id, role) in organisations {
                self.catalogue
                    .initiative_organisations
                    .push(initiative_organisation::Model {
                        initiative_id: id,
                        organisation_id,
                        role,
                    });
            }
            let mut chosen = Vec::new();
            for _ in 0..1 + self.rng.usize(..3) {
                let audience = self.pick(&audiences);
                if !chosen.contains(&audience) {
                    chosen.push(audience);
                }
            }
            for audience in chosen {
                self.catalogue
                    .initiative_audiences
                    .push(initiative_audience::Model {
                        initiative_id: id,
                        audience,
                    });
            }
            if self.rng.u8(..3) == 0 {
                let person = self.rng.usize(..self.catalogue.professionals.len());
                let professional_id = self.catalogue.professionals[person].id;
                self.catalogue
                    .initiative_contacts
                    .push(initiative_contact::Model {
                        initiative_id: id,
                        professional_id,
                    });
            }
            if self.rng.u8(..10) == 0 && !self.catalogue.meetings.is_empty() {
                let meeting = self.rng.usize(..self.catalogue.meetings.len());
                let meeting_id = self.catalogue.meetings[meeting].id;
                self.catalogue
                    .initiative_meetings
                    .push(initiative_meeting::Model {
                        initiative_id: id,
                        meeting_id,
                    });
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use std::collections::HashSet;

    use super::*;

    const SMALL: Size = Size {
        initiatives: 2_000,
        organisations: 300,
        professionals: 500,
        meetings: 20,
    };

    #[test]
    fn the_same_seed_gives_the_same_catalogue_ids_included() {
        let (first, second) = (build(7, SMALL), build(7, SMALL));
        let ids = |catalogue: &Catalogue| -> Vec<Uuid> {
            catalogue.initiatives.iter().map(|found| found.id).collect()
        };
        assert_eq!(ids(&first), ids(&second));
        assert_eq!(first.initiatives[10].title, second.initiatives[10].title);
        assert_ne!(ids(&first), ids(&build(8, SMALL)));
    }

    #[test]
    fn territories_form_a_graph_from_regions_down_to_neighbourhoods() {
        let catalogue = build(7, SMALL);
        assert_eq!(catalogue.territories.len(), TERRITORIES);
        let parents: HashSet<Uuid> = catalogue
            .territory_parents
            .iter()
            .map(|link| link.child_id)
            .collect();
        for territory in &catalogue.territories {
            assert_eq!(
                parents.contains(&territory.id),
                territory.kind != TerritoryKind::Region,
                "{} ({:?})",
                territory.name,
                territory.kind
            );
        }
        let kinds: HashSet<TerritoryKind> = catalogue.territories.iter().map(|t| t.kind).collect();
        assert_eq!(kinds.len(), 5);
    }

    #[test]
    fn themes_have_two_levels_and_most_initiatives_are_published() {
        let catalogue = build(7, SMALL);
        assert_eq!(catalogue.themes.len(), 40);
        assert_eq!(
            catalogue
                .themes
                .iter()
                .filter(|theme| theme.parent_id.is_none())
                .count(),
            8
        );
        let published = catalogue
            .initiatives
            .iter()
            .filter(|found| found.status == ModerationStatus::Published)
            .count();
        let share = published as f64 / catalogue.initiatives.len() as f64;
        assert!((0.55..0.65).contains(&share), "{share}");
        let slugs: HashSet<&str> = catalogue
            .initiatives
            .iter()
            .map(|found| found.slug.as_str())
            .collect();
        assert_eq!(slugs.len(), catalogue.initiatives.len(), "slugs are unique");
    }
}
