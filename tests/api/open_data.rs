//! The published catalogue without an account: the Atom feed of publications and the
//! open-data exports, read as a feed reader, a spreadsheet and a GIS tool would read them.

use entity::enums::{ContactVisibility, ModerationStatus, Role, TerritoryKind};
use reqwest::{StatusCode, header};
use serde_json::{Value, json};

use crate::{
    contributions::publish,
    fixtures::{
        NewInitiative, add_initiative_contact, insert_initiative, insert_territory,
        set_contact_details,
    },
    helpers::{TestApp, strings},
};

/// The titles of the published initiatives a GraphQL query with `filter` finds.
async fn titles_through_graphql(app: &TestApp, filter: Value) -> Vec<String> {
    let data = app
        .data_with(
            "query($filter: InitiativeFilter) { initiatives(first: 100, filter: $filter) { nodes { title } } }",
            json!({ "filter": filter }),
        )
        .await;
    sorted(strings(&data["initiatives"]["nodes"], "title"))
}

fn sorted(mut values: Vec<String>) -> Vec<String> {
    values.sort();
    values
}

async fn feed(app: &TestApp, query: &str) -> feed_rs::model::Feed {
    let response = app.get(&format!("/feeds/initiatives.atom{query}")).await;
    assert_eq!(response.status(), StatusCode::OK);
    assert_eq!(
        response.headers()[header::CONTENT_TYPE],
        "application/atom+xml; charset=utf-8"
    );
    let xml = response.bytes().await.unwrap();
    feed_rs::parser::parse(xml.as_ref()).expect("a valid Atom feed")
}

fn entry_titles(feed: &feed_rs::model::Feed) -> Vec<String> {
    feed.entries
        .iter()
        .map(|entry| entry.title.as_ref().expect("a title").content.clone())
        .collect()
}

/// The body of an export, checked to be a download of the right type.
async fn export(app: &TestApp, file: &str, media_type: &str) -> String {
    let response = app.get(&format!("/exports/{file}")).await;
    assert_eq!(response.status(), StatusCode::OK, "{file}");
    let headers = response.headers().clone();
    assert_eq!(headers[header::CONTENT_TYPE], media_type);
    let saved_as = file.split('?').next().unwrap();
    assert_eq!(
        headers[header::CONTENT_DISPOSITION],
        format!("attachment; filename=\"{saved_as}\"").as_str()
    );
    assert!(
        headers[header::LINK]
            .to_str()
            .unwrap()
            .ends_with("; rel=\"license\""),
        "the licence is linked"
    );
    response.text().await.unwrap()
}

async fn json_export(app: &TestApp, query: &str) -> Value {
    let body = export(app, &format!("initiatives.json{query}"), "application/json").await;
    serde_json::from_str(&body).expect("one JSON document")
}

fn json_titles(document: &Value) -> Vec<String> {
    sorted(strings(&document["initiatives"], "title"))
}

#[tokio::test]
async fn the_feed_is_valid_atom_with_the_publications_newest_first_and_ids_that_never_change() {
    let app = TestApp::with_demo().await;
    insert_initiative(
        app.db(),
        NewInitiative {
            title: "Jardin partagé en attente de relecture",
            status: ModerationStatus::Submitted,
            ..NewInitiative::default()
        },
    )
    .await;
    insert_initiative(
        app.db(),
        NewInitiative {
            title: "Permanence d'écrivain public",
            published_on: Some("2030-01-15"),
            ..NewInitiative::default()
        },
    )
    .await;

    let first = feed(&app, "").await;
    assert_eq!(first.feed_type, feed_rs::model::FeedType::Atom);
    let titles = entry_titles(&first);
    assert_eq!(
        sorted(titles.clone()),
        titles_through_graphql(&app, json!({})).await,
        "every published initiative, and no draft"
    );
    assert_eq!(
        titles[0], "Permanence d'écrivain public",
        "the newest first"
    );
    assert!(
        first
            .entries
            .iter()
            .all(|entry| entry.id.starts_with("urn:uuid:") && entry.updated.is_some())
    );

    let again = feed(&app, "").await;
    assert_eq!(again.id, first.id);
    assert_eq!(
        again
            .entries
            .iter()
            .map(|entry| &entry.id)
            .collect::<Vec<_>>(),
        first
            .entries
            .iter()
            .map(|entry| &entry.id)
            .collect::<Vec<_>>()
    );
}

#[tokio::test]
async fn the_feed_writes_its_instants_as_the_date_time_scalar_does() {
    let app = TestApp::with_demo().await;
    let xml = app
        .get("/feeds/initiatives.atom")
        .await
        .text()
        .await
        .unwrap();
    let mut instants = Vec::new();
    for tag in ["updated", "published"] {
        for piece in xml.split(&format!("<{tag}>")).skip(1) {
            instants.push(piece.split('<').next().unwrap().to_owned());
        }
    }
    assert!(instants.len() > 2, "{xml}");
    for instant in instants {
        assert!(
            instant.len() == 20 && instant.ends_with('Z'),
            "RFC 3339 in UTC with Z, to the second: {instant}"
        );
    }
}

#[tokio::test]
async fn the_feed_answers_not_modified_until_something_is_published() {
    let app = TestApp::with_demo().await;
    let moderator = app.account("m@exemple.fr", Role::Moderator, None).await;
    let response = app.get("/feeds/initiatives.atom").await;
    let etag = response.headers()[header::ETAG]
        .to_str()
        .unwrap()
        .to_owned();

    let revalidated = app
        .client
        .get(format!("{}/feeds/initiatives.atom", app.address))
        .header(header::IF_NONE_MATCH, &etag)
        .send()
        .await
        .unwrap();
    assert_eq!(revalidated.status(), StatusCode::NOT_MODIFIED);
    assert_eq!(revalidated.headers()[header::ETAG], etag.as_str());
    assert!(revalidated.bytes().await.unwrap().is_empty());

    let waiting = insert_initiative(
        app.db(),
        NewInitiative {
            title: "Café des parents au collège",
            status: ModerationStatus::Submitted,
            ..NewInitiative::default()
        },
    )
    .await;
    publish(&app, &moderator, waiting).await;
    let changed = app
        .client
        .get(format!("{}/feeds/initiatives.atom", app.address))
        .header(header::IF_NONE_MATCH, &etag)
        .send()
        .await
        .unwrap();
    assert_eq!(changed.status(), StatusCode::OK);
    assert_ne!(changed.headers()[header::ETAG], etag.as_str());
    let xml = changed.bytes().await.unwrap();
    let feed = feed_rs::parser::parse(xml.as_ref()).unwrap();
    assert_eq!(entry_titles(&feed)[0], "Café des parents au collège");
}

#[tokio::test]
async fn a_feed_of_a_department_by_its_code_holds_the_initiatives_of_what_it_contains() {
    let app = TestApp::with_demo().await;
    for (title, territory) in [
        ("Club d'échecs en ligne", "metz"),
        ("Collecte de jouets", "moselle"),
        ("Maraude du soir", "marne"),
    ] {
        insert_initiative(
            app.db(),
            NewInitiative {
                title,
                territories: &[territory],
                ..NewInitiative::default()
            },
        )
        .await;
    }
    let moselle = app.id_of(r#"territory(slug: "moselle")"#).await;
    let expected = titles_through_graphql(&app, json!({ "territoryIds": [moselle] })).await;
    assert_eq!(expected, ["Club d'échecs en ligne", "Collecte de jouets"]);

    let by_code = feed(&app, "?territory=57").await;
    assert_eq!(sorted(entry_titles(&by_code)), expected);
    let by_slug = feed(&app, "?territory=moselle").await;
    assert_eq!(by_slug.id, by_code.id, "one selection, one feed");

    let theme = app
        .id_of(r#"theme(slug: "education-et-reussite-educative")"#)
        .await;
    let by_theme = feed(&app, "?theme=education-et-reussite-educative").await;
    assert_eq!(
        sorted(entry_titles(&by_theme)),
        titles_through_graphql(&app, json!({ "themeIds": [theme] })).await,
        "sub-themes included"
    );
}

#[tokio::test]
async fn an_unknown_theme_or_territory_is_refused_with_a_code_naming_it() {
    let app = TestApp::with_demo().await;
    insert_territory(
        app.db(),
        "Quartier de test",
        TerritoryKind::Other,
        "57",
        None,
    )
    .await;
    for (path, names) in [
        ("/feeds/initiatives.atom?theme=jardinage", "jardinage"),
        ("/exports/initiatives.csv?territory=99999", "99999"),
        ("/exports/initiatives.json?territory=57", "moselle"),
        ("/exports/initiatives.csv?separator=tab", "semicolon"),
    ] {
        let response = app.get(path).await;
        assert_eq!(response.status(), StatusCode::BAD_REQUEST, "{path}");
        let body: Value = response.json().await.unwrap();
        assert_eq!(body["errors"][0]["extensions"]["code"], "BAD_USER_INPUT");
        let message = body["errors"][0]["message"].as_str().unwrap();
        assert!(message.contains(names), "{path}: {message}");
    }

    let response = app.get("/exports/initiatives.xlsx").await;
    assert_eq!(response.status(), StatusCode::NOT_FOUND);
    let body: Value = response.json().await.unwrap();
    assert_eq!(body["errors"][0]["extensions"]["code"], "NOT_FOUND");
}

#[tokio::test]
async fn the_csv_export_opens_in_a_spreadsheet_with_either_separator() {
    let app = TestApp::with_demo().await;
    let expected = titles_through_graphql(&app, json!({})).await;

    for (query, separator) in [("", b','), ("?separator=semicolon", b';')] {
        let body = export(
            &app,
            &format!("initiatives.csv{query}"),
            "text/csv; charset=utf-8",
        )
        .await;
        let text = body
            .strip_prefix('\u{feff}')
            .expect("a byte order mark, for spreadsheets to read the accents");
        let mut reader = csv::ReaderBuilder::new()
            .delimiter(separator)
            .from_reader(text.as_bytes());
        let columns: Vec<String> = reader
            .headers()
            .unwrap()
            .iter()
            .map(str::to_owned)
            .collect();
        assert_eq!(columns[..4], ["id", "slug", "title", "summary"]);
        let title = columns.iter().position(|column| column == "title").unwrap();
        let themes = columns
            .iter()
            .position(|column| column == "themes")
            .unwrap();
        let rows: Vec<csv::StringRecord> = reader.records().map(Result::unwrap).collect();
        assert!(rows.iter().all(|row| row.len() == columns.len()));
        assert_eq!(
            sorted(rows.iter().map(|row| row[title].to_owned()).collect()),
            expected
        );
        assert!(
            rows.iter()
                .any(|row| row[themes].contains("Continuité pédagogique")),
            "theme names, accents kept"
        );
    }
}

#[tokio::test]
async fn a_cell_a_spreadsheet_would_run_as_a_formula_is_written_as_text() {
    let app = TestApp::with_demo().await;
    insert_initiative(
        app.db(),
        NewInitiative {
            title: "=HYPERLINK(\"http://exemple.invalid\")",
            ..NewInitiative::default()
        },
    )
    .await;
    let body = export(&app, "initiatives.csv", "text/csv; charset=utf-8").await;
    let mut reader = csv::Reader::from_reader(body.trim_start_matches('\u{feff}').as_bytes());
    let titles: Vec<String> = reader
        .records()
        .map(|row| row.unwrap()[2].to_owned())
        .collect();
    assert!(titles.contains(&"'=HYPERLINK(\"http://exemple.invalid\")".to_owned()));
    assert!(!titles.iter().any(|title| title.starts_with('=')));
}

#[tokio::test]
async fn the_json_json_lines_and_geojson_exports_hold_the_same_initiatives() {
    let app = TestApp::with_demo().await;
    insert_initiative(
        app.db(),
        NewInitiative {
            title: "Club d'échecs en ligne",
            territories: &["metz", "moselle"],
            ..NewInitiative::default()
        },
    )
    .await;
    let expected = titles_through_graphql(&app, json!({})).await;

    let document = json_export(&app, "").await;
    assert_eq!(document["licence"]["name"], "Licence Ouverte 2.0");
    assert_eq!(json_titles(&document), expected);

    let lines = export(
        &app,
        "initiatives.jsonl",
        "application/jsonl; charset=utf-8",
    )
    .await;
    let lines: Vec<Value> = lines
        .lines()
        .map(|line| serde_json::from_str(line).expect("one initiative per line"))
        .collect();
    assert_eq!(sorted(strings(&Value::from(lines), "title")), expected);

    let geojson: Value =
        serde_json::from_str(&export(&app, "initiatives.geojson", "application/geo+json").await)
            .unwrap();
    assert_eq!(geojson["type"], "FeatureCollection");
    let features = geojson["features"].as_array().unwrap();
    assert_eq!(features.len(), expected.len());
    let metz = features
        .iter()
        .find(|feature| {
            feature["properties"]["territories"]
                .as_array()
                .unwrap()
                .iter()
                .any(|territory| territory["officialCode"] == "57463")
        })
        .expect("an initiative in Metz");
    let [longitude, latitude] = metz["geometry"]["coordinates"]
        .as_array()
        .unwrap()
        .iter()
        .map(|value| value.as_f64().unwrap())
        .collect::<Vec<_>>()[..]
    else {
        panic!("a point: {metz}")
    };
    assert!((49.0..49.2).contains(&latitude) && (6.1..6.3).contains(&longitude));
    let regional = features
        .iter()
        .find(|feature| {
            feature["properties"]["territories"]
                .as_array()
                .unwrap()
                .iter()
                .all(|territory| territory["latitude"].is_null())
        })
        .expect("an initiative of the region as a whole");
    assert!(regional["geometry"].is_null(), "no point is made up");
}

#[tokio::test]
async fn exports_show_a_contacts_details_only_when_they_are_public_and_never_a_draft() {
    let app = TestApp::with_demo().await;
    set_contact_details(app.db(), "julie-parachini", ContactVisibility::Public).await;
    set_contact_details(app.db(), "julien-piquand", ContactVisibility::Members).await;
    set_contact_details(app.db(), "severine-aubry", ContactVisibility::Private).await;
    let published = insert_initiative(
        app.db(),
        NewInitiative {
            title: "Atelier vélo solidaire",
            ..NewInitiative::default()
        },
    )
    .await;
    for person in ["julie-parachini", "julien-piquand", "severine-aubry"] {
        add_initiative_contact(app.db(), published, person).await;
    }
    insert_initiative(
        app.db(),
        NewInitiative {
            title: "Brouillon d'une fête de quartier",
            status: ModerationStatus::Draft,
            owner: Some("afev"),
            ..NewInitiative::default()
        },
    )
    .await;

    let document = json_export(&app, "").await;
    let workshop = document["initiatives"]
        .as_array()
        .unwrap()
        .iter()
        .find(|initiative| initiative["title"] == "Atelier vélo solidaire")
        .unwrap();
    let contacts = &workshop["contacts"];
    assert_eq!(contacts.as_array().unwrap().len(), 3, "{contacts}");
    for contact in contacts.as_array().unwrap() {
        let public = contact["name"] == "Julie Parachini";
        assert_eq!(contact["email"].is_string(), public, "{contact}");
        assert_eq!(contact["phone"].is_string(), public, "{contact}");
    }

    for (file, media_type) in [
        ("initiatives.csv", "text/csv; charset=utf-8"),
        ("initiatives.jsonl", "application/jsonl; charset=utf-8"),
        ("initiatives.geojson", "application/geo+json"),
    ] {
        let body = export(&app, file, media_type).await;
        assert!(body.contains("julie-parachini@exemple.fr"), "{file}");
        for private in ["julien-piquand@exemple.fr", "severine-aubry@exemple.fr"] {
            assert!(!body.contains(private), "{file} shows {private}");
        }
        assert!(!body.contains("Brouillon d'une fête de quartier"), "{file}");
    }
}

#[tokio::test]
async fn an_export_larger_than_a_page_holds_each_initiative_once() {
    let app = TestApp::empty().await;
    for number in 0..1_203 {
        insert_initiative(
            app.db(),
            NewInitiative {
                title: &format!("Initiative numéro {number:04}"),
                ..NewInitiative::default()
            },
        )
        .await;
    }
    let lines = export(
        &app,
        "initiatives.jsonl",
        "application/jsonl; charset=utf-8",
    )
    .await;
    let titles: Vec<String> = lines
        .lines()
        .map(|line| {
            serde_json::from_str::<Value>(line).unwrap()["title"]
                .as_str()
                .unwrap()
                .to_owned()
        })
        .collect();
    assert_eq!(titles.len(), 1_203);
    let mut distinct = titles.clone();
    distinct.sort();
    distinct.dedup();
    assert_eq!(distinct.len(), 1_203);
}

#[tokio::test]
async fn with_every_export_place_taken_an_export_is_refused_and_the_api_still_answers() {
    let app = TestApp::with_demo_and_settings(|settings| settings.max_concurrent_exports = 0).await;
    let response = app.get("/exports/initiatives.csv").await;
    assert_eq!(response.status(), StatusCode::SERVICE_UNAVAILABLE);
    assert_eq!(response.headers()[header::RETRY_AFTER], "60");
    let body: Value = response.json().await.unwrap();
    assert_eq!(body["errors"][0]["extensions"]["code"], "OVERLOADED");

    let data = app.data("{ initiatives(first: 1) { totalCount } }").await;
    assert!(data["initiatives"]["totalCount"].as_i64().unwrap() > 0);
    assert_eq!(
        app.get("/feeds/initiatives.atom").await.status(),
        StatusCode::OK
    );
}
