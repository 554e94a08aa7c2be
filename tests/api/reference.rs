//! Territories, themes, organisations, professionals and meetings.

use serde_json::{Value, json};

use crate::helpers::{TestApp, error_codes, strings};

#[tokio::test]
async fn a_territory_is_found_by_its_official_code_with_its_parents_and_children() {
    let app = TestApp::with_demo().await;
    let data = app
        .data(r#"{ metz: territory(code: "57463") { name kind officialCode latitude
                      parents { name kind } children { name } }
                   region: territory(code: "44", kind: REGION) { name children { name kind } }
                   epci: territory(code: "200039865", kind: INTERCOMMUNALITY) { name children { name } } }"#)
        .await;
    let metz = &data["metz"];
    assert_eq!(metz["name"], "Metz");
    assert_eq!(metz["kind"], "MUNICIPALITY");
    assert!(metz["latitude"].as_f64().unwrap() > 49.0);
    assert_eq!(
        strings(&metz["parents"], "name"),
        ["Metz Métropole", "Moselle"]
    );
    assert_eq!(metz["children"], json!([]));
    assert_eq!(
        strings(&data["region"]["children"], "name"),
        ["Bas-Rhin", "Marne", "Meurthe-et-Moselle", "Moselle"]
    );
    assert_eq!(strings(&data["epci"]["children"], "name"), ["Metz"]);
}

#[tokio::test]
async fn territories_can_be_listed_within_another_by_kind_and_name() {
    let app = TestApp::with_demo().await;
    let region = app.id_of(r#"territory(slug: "grand-est")"#).await;
    let municipalities = app
        .data_with(
            "query($region: ID!) { territories(filter: {withinId: $region, kinds: [MUNICIPALITY]}) {
                totalCount nodes { name officialCode } } }",
            json!({ "region": region }),
        )
        .await;
    assert_eq!(municipalities["territories"]["totalCount"], 4);
    assert_eq!(
        strings(&municipalities["territories"]["nodes"], "officialCode"),
        ["51108", "67218", "57463", "51649"]
    );
    let by_name = app
        .data(r#"{ territories(filter: {nameContains: "MOSELLE"}) { nodes { name } } }"#)
        .await;
    assert_eq!(
        strings(&by_name["territories"]["nodes"], "name"),
        ["Meurthe-et-Moselle", "Moselle"]
    );
    let wildcard = app
        .data(r#"{ territories(filter: {nameContains: "%"}) { totalCount } }"#)
        .await;
    assert_eq!(
        wildcard["territories"]["totalCount"], 0,
        "% is a character, not a wildcard"
    );
}

#[tokio::test]
async fn a_territory_lists_the_initiatives_of_everything_it_contains() {
    let app = TestApp::with_demo().await;
    let data = app
        .data(r#"{ territory(code: "67", kind: DEPARTMENT) { initiatives { totalCount nodes { slug } } } }"#)
        .await;
    assert_eq!(data["territory"]["initiatives"]["totalCount"], 1);
    let region = app
        .data(r#"{ territory(slug: "grand-est") { initiatives(first: 5) { totalCount nodes { slug } } } }"#)
        .await;
    assert_eq!(region["territory"]["initiatives"]["totalCount"], 15);
    assert_eq!(
        region["territory"]["initiatives"]["nodes"]
            .as_array()
            .unwrap()
            .len(),
        5
    );
}

#[tokio::test]
async fn territory_takes_exactly_one_way_of_naming_it() {
    let app = TestApp::with_demo().await;
    let body = app
        .query(r#"{ territory(slug: "metz", code: "57463") { name } }"#)
        .await;
    assert_eq!(error_codes(&body), ["BAD_USER_INPUT"]);
    let body = app.query("{ territory { name } }").await;
    assert_eq!(error_codes(&body), ["BAD_USER_INPUT"]);
    let unknown = app.data(r#"{ territory(code: "99999") { name } }"#).await;
    assert_eq!(unknown["territory"], Value::Null);
}

#[tokio::test]
async fn themes_form_a_two_level_tree_in_display_order() {
    let app = TestApp::with_demo().await;
    let data = app
        .data("{ themes { name position parent { name } children { name slug position parent { slug } } } }")
        .await;
    let themes = data["themes"].as_array().unwrap();
    assert_eq!(themes.len(), 6);
    let positions: Vec<i64> = themes
        .iter()
        .map(|t| t["position"].as_i64().unwrap())
        .collect();
    assert_eq!(positions, [1, 2, 3, 4, 5, 6]);
    let sub_themes: usize = themes
        .iter()
        .map(|theme| theme["children"].as_array().unwrap().len())
        .sum();
    assert_eq!(sub_themes, 9);
    for theme in themes {
        assert_eq!(theme["parent"], Value::Null);
    }
    let solidarity = themes.iter().find(|t| t["name"] == "Solidarités").unwrap();
    assert!(strings(&solidarity["children"], "slug").contains(&"aide-alimentaire".to_owned()));
    assert_eq!(solidarity["children"][0]["parent"]["slug"], "solidarites");
}

#[tokio::test]
async fn organisations_are_listed_by_name_and_filtered_by_kind() {
    let app = TestApp::with_demo().await;
    let data = app
        .data(r#"{ all: organisations(first: 100) { totalCount nodes { name } }
                   associations: organisations(filter: {kinds: [ASSOCIATION]}) { nodes { slug website } }
                   metz: organisation(slug: "metz-metropole") { name kind territory { officialCode } } }"#)
        .await;
    assert_eq!(data["all"]["totalCount"], 10);
    let names = strings(&data["all"]["nodes"], "name");
    let mut sorted = names.clone();
    sorted.sort_by_key(|name| communs::domain::text::sort_key(name));
    assert_eq!(names, sorted, "alphabetical, ignoring case and accents");
    let position = |prefix: &str| names.iter().position(|n| n.starts_with(prefix)).unwrap();
    assert!(position("Éducation nationale") < position("IRDSU"));
    assert_eq!(data["associations"]["nodes"][0]["slug"], "afev");
    assert_eq!(data["metz"]["kind"], "LOCAL_AUTHORITY");
    assert_eq!(data["metz"]["territory"]["officialCode"], "200039865");
}

#[tokio::test]
async fn professionals_show_their_current_positions() {
    let app = TestApp::with_demo().await;
    let data = app
        .data(r#"{ professional(slug: "julien-piquand") { fullName currentPositions {
                    jobTitle field organisation { name } territory { name } professional { slug } } } }"#)
        .await;
    let person = &data["professional"];
    assert_eq!(person["fullName"], "Julien Piquand");
    let position = &person["currentPositions"][0];
    assert_eq!(position["organisation"]["name"], "Metz Métropole");
    assert_eq!(position["field"], "rénovation urbaine");
    assert_eq!(position["professional"]["slug"], "julien-piquand");
}

#[tokio::test]
async fn meetings_are_listed_most_recent_first() {
    let app = TestApp::with_demo().await;
    let data = app
        .data("{ meetings { totalCount nodes { slug heldOn format } } }")
        .await;
    assert_eq!(data["meetings"]["totalCount"], 1);
    assert_eq!(data["meetings"]["nodes"][0]["heldOn"], "2020-05-14");
}

#[tokio::test]
async fn each_territory_of_a_list_pages_its_own_initiatives() {
    let app = TestApp::with_demo().await;
    let data = app
        .data(
            "{ territories(first: 100) { nodes { id slug initiatives(first: 2) {
            totalCount nodes { slug } pageInfo { hasNextPage endCursor } } } } }",
        )
        .await;
    for territory in data["territories"]["nodes"].as_array().unwrap() {
        let expected = app
            .data_with(
                "query($id: ID!) { initiatives(first: 100, filter: {territoryIds: [$id]}) {
                    totalCount nodes { slug } } }",
                json!({ "id": territory["id"] }),
            )
            .await;
        let all = strings(&expected["initiatives"]["nodes"], "slug");
        let page = &territory["initiatives"];
        assert_eq!(
            page["totalCount"], expected["initiatives"]["totalCount"],
            "{territory}"
        );
        let first_page = strings(&page["nodes"], "slug");
        assert_eq!(first_page, all[..all.len().min(2)], "{territory}");
        assert_eq!(page["pageInfo"]["hasNextPage"], all.len() > 2);
        if all.len() > 2 {
            let next = app
                .data_with(
                    "query($slug: String!, $after: String!) { territory(slug: $slug) {
                        initiatives(first: 2, after: $after) { nodes { slug } } } }",
                    json!({ "slug": territory["slug"], "after": page["pageInfo"]["endCursor"] }),
                )
                .await;
            assert_eq!(
                strings(&next["territory"]["initiatives"]["nodes"], "slug"),
                all[2..all.len().min(4)]
            );
        }
    }
}

#[tokio::test]
async fn names_are_found_whatever_their_case_and_accents() {
    let app = TestApp::with_demo().await;
    for text in ["Éducation", "éducation", "EDUCATION", "education nationale"] {
        let data = app
            .data_with(
                "query($text: String!) { organisations(filter: {nameContains: $text}) { nodes { slug } } }",
                json!({ "text": text }),
            )
            .await;
        assert_eq!(
            strings(&data["organisations"]["nodes"], "slug"),
            ["education-nationale-rep-vitry-le-francois"],
            "{text}"
        );
    }
    let data = app
        .data(r#"{ territories(filter: {nameContains: "chalons"}) { nodes { name } } }"#)
        .await;
    assert_eq!(
        strings(&data["territories"]["nodes"], "name"),
        ["Châlons-en-Champagne"]
    );
}

#[tokio::test]
async fn a_code_shared_by_two_kinds_needs_its_kind() {
    use crate::fixtures::insert_territory;
    use entity::enums::TerritoryKind;

    let app = TestApp::with_demo().await;
    insert_territory(
        app.db(),
        "Loire-Atlantique",
        TerritoryKind::Department,
        "44",
        None,
    )
    .await;
    let body = app.query(r#"{ territory(code: "44") { name } }"#).await;
    assert_eq!(error_codes(&body), ["BAD_USER_INPUT"]);
    assert_eq!(body["errors"][0]["extensions"]["field"], "kind");
    let data = app
        .data(
            r#"{ region: territory(code: "44", kind: REGION) { name }
                   department: territory(code: "44", kind: DEPARTMENT) { name } }"#,
        )
        .await;
    assert_eq!(data["region"]["name"], "Grand Est");
    assert_eq!(data["department"]["name"], "Loire-Atlantique");
}
