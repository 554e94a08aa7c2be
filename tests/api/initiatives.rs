//! Listing, filtering, ordering and paging initiatives.

use entity::enums::TerritoryKind;
use serde_json::{Value, json};

use crate::{
    fixtures::{NewInitiative, UNPUBLISHED, insert_initiative, insert_territory},
    helpers::{TestApp, error_codes, strings},
};

const LIST: &str = "query($filter: InitiativeFilter, $orderBy: InitiativeOrder, $first: Int,
    $after: String, $last: Int, $before: String) {
  initiatives(filter: $filter, orderBy: $orderBy, first: $first, after: $after,
              last: $last, before: $before) {
    totalCount
    edges { cursor node { slug title } }
    pageInfo { hasNextPage hasPreviousPage startCursor endCursor }
  }
}";

async fn list(app: &TestApp, variables: Value) -> Value {
    app.data_with(LIST, variables).await["initiatives"].clone()
}

fn slugs(connection: &Value) -> Vec<String> {
    connection["edges"]
        .as_array()
        .unwrap()
        .iter()
        .map(|edge| edge["node"]["slug"].as_str().unwrap().to_owned())
        .collect()
}

#[tokio::test]
async fn pages_follow_each_other_without_overlap_and_count_the_whole_list() {
    let app = TestApp::with_demo().await;
    let order = json!({ "field": "TITLE" });
    let first = list(&app, json!({ "first": 6, "orderBy": order })).await;
    assert_eq!(first["totalCount"], 15);
    assert_eq!(first["pageInfo"]["hasNextPage"], true);
    assert_eq!(first["pageInfo"]["hasPreviousPage"], false);
    let second = list(
        &app,
        json!({ "first": 6, "after": first["pageInfo"]["endCursor"], "orderBy": order }),
    )
    .await;
    let third = list(
        &app,
        json!({ "first": 6, "after": second["pageInfo"]["endCursor"], "orderBy": order }),
    )
    .await;
    assert_eq!(third["pageInfo"]["hasNextPage"], false);
    assert_eq!(second["pageInfo"]["hasPreviousPage"], true);

    let mut all = slugs(&first);
    all.extend(slugs(&second));
    all.extend(slugs(&third));
    let everything = slugs(&list(&app, json!({ "first": 100, "orderBy": order })).await);
    assert_eq!(
        all, everything,
        "three pages of 6 are the list of 15, in order"
    );
}

#[tokio::test]
async fn last_and_before_page_backwards() {
    let app = TestApp::with_demo().await;
    let order = json!({ "field": "TITLE" });
    let everything = slugs(&list(&app, json!({ "first": 100, "orderBy": order })).await);
    let tail = list(&app, json!({ "last": 4, "orderBy": order })).await;
    assert_eq!(slugs(&tail), everything[11..]);
    assert_eq!(tail["pageInfo"]["hasPreviousPage"], true);
    let before_tail = list(
        &app,
        json!({ "last": 4, "before": tail["pageInfo"]["startCursor"], "orderBy": order }),
    )
    .await;
    assert_eq!(slugs(&before_tail), everything[7..11]);
}

#[tokio::test]
async fn a_page_size_outside_one_to_a_hundred_is_bad_input() {
    let app = TestApp::with_demo().await;
    for variables in [
        json!({ "first": 0 }),
        json!({ "first": 101 }),
        json!({ "first": 1000 }),
        json!({ "last": -1 }),
        json!({ "first": 2, "last": 2 }),
        json!({ "after": "not-a-cursor" }),
    ] {
        let body = app.query_with(LIST, variables.clone()).await;
        assert_eq!(
            error_codes(&body),
            ["BAD_USER_INPUT"],
            "{variables}: {body}"
        );
        assert_eq!(body["data"], Value::Null);
    }
}

#[tokio::test]
async fn titles_sort_alphabetically_ignoring_case_and_accents() {
    let app = TestApp::empty().await;
    for title in [
        "Zèbres du quartier",
        "école ouverte",
        "Atelier vélo",
        "Échecs en ligne",
    ] {
        insert_initiative(
            app.db(),
            NewInitiative {
                title,
                ..Default::default()
            },
        )
        .await;
    }
    let ascending = app
        .data(r#"{ initiatives(orderBy: {field: TITLE}) { nodes { title } } }"#)
        .await;
    assert_eq!(
        strings(&ascending["initiatives"]["nodes"], "title"),
        [
            "Atelier vélo",
            "Échecs en ligne",
            "école ouverte",
            "Zèbres du quartier"
        ]
    );
    let descending = app
        .data(r#"{ initiatives(orderBy: {field: TITLE, direction: DESC}) { nodes { title } } }"#)
        .await;
    assert_eq!(
        strings(&descending["initiatives"]["nodes"], "title")[0],
        "Zèbres du quartier"
    );
}

#[tokio::test]
async fn ordering_by_start_date_puts_unknown_dates_last_in_both_directions() {
    let app = TestApp::empty().await;
    for (title, started_on) in [
        ("Sans date", None),
        ("Avril", Some("2020-04-01")),
        ("Mars", Some("2020-03-17")),
    ] {
        insert_initiative(
            app.db(),
            NewInitiative {
                title,
                started_on,
                ..Default::default()
            },
        )
        .await;
    }
    let titles = |direction: &'static str| {
        let app = &app;
        async move {
            let query = format!(
                "{{ initiatives(orderBy: {{field: STARTED_ON, direction: {direction}}}) {{ nodes {{ title }} }} }}"
            );
            strings(&app.data(&query).await["initiatives"]["nodes"], "title")
        }
    };
    assert_eq!(titles("ASC").await, ["Mars", "Avril", "Sans date"]);
    assert_eq!(titles("DESC").await, ["Avril", "Mars", "Sans date"]);
}

#[tokio::test]
async fn filtering_by_a_theme_includes_its_sub_themes() {
    let app = TestApp::with_demo().await;
    let solidarity = app.id_of(r#"theme(slug: "solidarites")"#).await;
    let food = app.id_of(r#"theme(slug: "aide-alimentaire")"#).await;
    let by_parent = list(
        &app,
        json!({ "first": 100, "filter": { "themeIds": [solidarity] } }),
    )
    .await;
    let by_child = list(
        &app,
        json!({ "first": 100, "filter": { "themeIds": [food] } }),
    )
    .await;
    let parent_slugs = slugs(&by_parent);
    assert!(by_child["totalCount"].as_i64().unwrap() >= 3);
    for slug in slugs(&by_child) {
        assert!(
            parent_slugs.contains(&slug),
            "{slug} is under Solidarités too"
        );
    }
    assert!(parent_slugs.contains(&"confection-de-masques".to_owned()));
    assert_eq!(by_parent["totalCount"], parent_slugs.len());
}

#[tokio::test]
async fn filtering_by_a_territory_includes_everything_it_contains_at_any_depth() {
    let app = TestApp::with_demo().await;
    // A QPV in Metz: Grand Est ⊃ Moselle ⊃ Metz Métropole ⊃ Metz ⊃ the neighbourhood.
    insert_territory(
        app.db(),
        "Borny",
        TerritoryKind::PriorityNeighbourhood,
        "QN05701M",
        Some("metz"),
    )
    .await;
    insert_initiative(
        app.db(),
        NewInitiative {
            title: "Jardin partagé à Borny",
            territories: &["borny"],
            ..Default::default()
        },
    )
    .await;
    let count_in = |code: &'static str, kind: &'static str| {
        let app = &app;
        async move {
            let id = app
                .id_of(&format!(r#"territory(code: "{code}", kind: {kind})"#))
                .await;
            let found = list(
                app,
                json!({ "first": 100, "filter": { "territoryIds": [id] } }),
            )
            .await;
            slugs(&found)
        }
    };
    let region = count_in("44", "REGION").await;
    assert_eq!(
        region.len(),
        16,
        "the 15 demo initiatives, CAF 67 in Bas-Rhin included, and Borny"
    );
    let moselle = count_in("57", "DEPARTMENT").await;
    assert_eq!(
        moselle.len(),
        1,
        "only Borny's, four levels down: {moselle:?}"
    );
    let bas_rhin = count_in("67", "DEPARTMENT").await;
    assert_eq!(bas_rhin, ["caf-67-materiel-informatique-familles"]);
    let marne = count_in("51", "DEPARTMENT").await;
    assert!(marne.is_empty());
}

#[tokio::test]
async fn filters_by_organisation_audience_meeting_and_start_dates_combine() {
    let app = TestApp::with_demo().await;
    let afev = app.id_of(r#"organisation(slug: "afev")"#).await;
    let by_afev = list(&app, json!({ "filter": { "organisationIds": [afev] } })).await;
    assert_eq!(slugs(&by_afev), ["mentorat-a-distance-afev"]);

    let allophones = list(&app, json!({ "filter": { "audiences": ["ALLOPHONES"] } })).await;
    assert_eq!(
        slugs(&allophones),
        ["contacts-harmonises-enfants-allophones-familles"]
    );

    let meeting = app
        .id_of(r#"meeting(slug: "gouter-visio-dsu-grand-est-2020-05-14")"#)
        .await;
    let at_meeting = list(&app, json!({ "filter": { "meetingId": meeting } })).await;
    assert_eq!(at_meeting["totalCount"], 15);

    let in_lockdown = list(
        &app,
        json!({ "first": 100, "filter": { "startedFrom": "2020-03-17", "startedTo": "2020-03-17" } }),
    )
    .await;
    let undated = 4;
    assert_eq!(in_lockdown["totalCount"], 15 - undated);
    let later = list(&app, json!({ "filter": { "startedFrom": "2020-03-18" } })).await;
    assert_eq!(later["totalCount"], 0);

    let children_in_lockdown = list(
        &app,
        json!({ "first": 100, "filter": { "audiences": ["CHILDREN"], "startedFrom": "2020-01-01", "meetingId": meeting } }),
    )
    .await;
    let children = list(
        &app,
        json!({ "first": 100, "filter": { "audiences": ["CHILDREN"] } }),
    )
    .await;
    assert!(children_in_lockdown["totalCount"].as_i64() < children["totalCount"].as_i64());
    assert!(children_in_lockdown["totalCount"].as_i64().unwrap() > 0);
}

#[tokio::test]
async fn a_start_range_that_ends_before_it_begins_is_bad_input_naming_the_field() {
    let app = TestApp::with_demo().await;
    let body = app
        .query_with(
            LIST,
            json!({ "filter": { "startedFrom": "2020-05-14", "startedTo": "2020-03-17" } }),
        )
        .await;
    assert_eq!(error_codes(&body), ["BAD_USER_INPUT"]);
    assert_eq!(body["errors"][0]["extensions"]["field"], "filter.startedTo");
}

#[tokio::test]
async fn an_id_of_the_wrong_kind_in_a_filter_is_bad_input() {
    let app = TestApp::with_demo().await;
    let metz = app.id_of(r#"territory(slug: "metz")"#).await;
    let body = app
        .query_with(LIST, json!({ "filter": { "themeIds": [metz] } }))
        .await;
    assert_eq!(error_codes(&body), ["BAD_USER_INPUT"]);
    assert_eq!(
        body["errors"][0]["extensions"]["field"],
        "filter.themeIds[0]"
    );
}

#[tokio::test]
async fn an_initiative_is_found_by_slug_or_id_and_an_unknown_one_is_null() {
    let app = TestApp::with_demo().await;
    let by_slug = app
        .data(r#"{ initiative(slug: "club-d-echecs-en-mode-virtuel") { id title summary startedOn context audiences } }"#)
        .await;
    let initiative = &by_slug["initiative"];
    assert!(initiative["title"].as_str().unwrap().contains("échecs"));
    assert_eq!(initiative["startedOn"], "2020-03-17");
    let id = initiative["id"].as_str().unwrap();
    let by_id = app
        .data_with(
            "query($id: ID!) { initiative(id: $id) { title } }",
            json!({ "id": id }),
        )
        .await;
    assert_eq!(by_id["initiative"]["title"], initiative["title"]);

    let unknown = app
        .data(r#"{ initiative(slug: "n-existe-pas") { id } }"#)
        .await;
    assert_eq!(unknown["initiative"], Value::Null);
    let unknown_id = app
        .data(r#"{ initiative(id: "Initiative:01936f3e-0000-7000-8000-000000000000") { id } }"#)
        .await;
    assert_eq!(unknown_id["initiative"], Value::Null);
}

#[tokio::test]
async fn unpublished_initiatives_are_invisible_to_the_public_everywhere() {
    let app = TestApp::with_demo().await;
    let mut hidden = Vec::new();
    for status in UNPUBLISHED {
        let id = insert_initiative(
            app.db(),
            NewInitiative {
                title: "Brouillon confidentiel",
                status,
                themes: &["aide-alimentaire"],
                territories: &["metz"],
                organisations: &["afev"],
                meetings: &["gouter-visio-dsu-grand-est-2020-05-14"],
                ..Default::default()
            },
        )
        .await;
        hidden.push((id, status));
    }
    let afev = app.id_of(r#"organisation(slug: "afev")"#).await;
    let by_afev = list(&app, json!({ "filter": { "organisationIds": [afev] } })).await;
    assert_eq!(by_afev["totalCount"], 1, "only AFEV's published initiative");
    let everything = list(&app, json!({ "first": 100 })).await;
    assert_eq!(everything["totalCount"], 15);

    let meeting = app
        .data(r#"{ meeting(slug: "gouter-visio-dsu-grand-est-2020-05-14") { initiatives { title } } }"#)
        .await;
    assert_eq!(
        meeting["meeting"]["initiatives"].as_array().unwrap().len(),
        15
    );
    let metz = app
        .data(r#"{ territory(slug: "metz") { initiatives { totalCount } } }"#)
        .await;
    assert_eq!(metz["territory"]["initiatives"]["totalCount"], 0);

    for (id, status) in hidden {
        let global = format!("Initiative:{id}");
        let found = app
            .data_with(
                "query($id: ID!) { node(id: $id) { id } initiative(id: $id) { id } nodes(ids: [$id]) { id } }",
                json!({ "id": global }),
            )
            .await;
        assert_eq!(found["node"], Value::Null, "{status:?}");
        assert_eq!(found["initiative"], Value::Null, "{status:?}");
        assert_eq!(found["nodes"], json!([null]), "{status:?}");
        let by_slug = app
            .data(&format!(
                r#"{{ initiative(slug: "test-{}") {{ id }} }}"#,
                id.simple()
            ))
            .await;
        assert_eq!(by_slug["initiative"], Value::Null, "{status:?}");
    }
}

#[tokio::test]
async fn an_initiative_shows_its_organisations_with_their_roles() {
    let app = TestApp::with_demo().await;
    let data = app
        .data(
            r#"{ initiative(slug: "caf-67-materiel-informatique-familles") {
            organisations { role organisation { name kind territory { name } } }
            leads: organisations(role: LEAD) { organisation { slug } }
            funders: organisations(role: FUNDER) { organisation { slug } }
            territories { name kind } audiences } }"#,
        )
        .await;
    let initiative = &data["initiative"];
    assert_eq!(initiative["organisations"][0]["role"], "LEAD");
    assert_eq!(
        initiative["organisations"][0]["organisation"]["kind"],
        "PUBLIC_BODY"
    );
    assert_eq!(
        initiative["leads"][0]["organisation"]["slug"],
        "caf-du-bas-rhin"
    );
    assert_eq!(initiative["funders"], json!([]));
    assert_eq!(initiative["territories"][0]["name"], "Bas-Rhin");
    assert!(
        initiative["audiences"]
            .as_array()
            .unwrap()
            .contains(&json!("FAMILIES"))
    );
}

#[tokio::test]
async fn the_newest_publications_come_first_by_default() {
    let app = TestApp::empty().await;
    for (title, day) in [
        ("Mai", "2020-05-14"),
        ("Juin", "2020-06-02"),
        ("Avril", "2020-04-20"),
    ] {
        insert_initiative(
            app.db(),
            NewInitiative {
                title,
                published_on: Some(day),
                ..Default::default()
            },
        )
        .await;
    }
    let default = app
        .data("{ initiatives { nodes { title publishedAt } } }")
        .await;
    assert_eq!(
        strings(&default["initiatives"]["nodes"], "title"),
        ["Juin", "Mai", "Avril"]
    );
    assert_eq!(
        default["initiatives"]["nodes"][0]["publishedAt"],
        "2020-06-02T12:00:00Z"
    );
    let oldest_first = app
        .data("{ initiatives(orderBy: {field: PUBLISHED_AT, direction: ASC}) { nodes { title } } }")
        .await;
    assert_eq!(
        strings(&oldest_first["initiatives"]["nodes"], "title"),
        ["Avril", "Mai", "Juin"]
    );
}

#[tokio::test]
async fn a_forged_cursor_is_bad_input_not_a_crash() {
    use base64::{Engine, engine::general_purpose::URL_SAFE_NO_PAD};
    let app = TestApp::with_demo().await;
    for offset in ["18446744073709551615", "9223372036854775807", "-1"] {
        let cursor = URL_SAFE_NO_PAD.encode(format!("offset:{offset}"));
        for argument in ["after", "before"] {
            let body = app.query_with(LIST, json!({ argument: cursor })).await;
            assert_eq!(error_codes(&body), ["BAD_USER_INPUT"], "{offset}");
            assert_eq!(body["errors"][0]["extensions"]["field"], argument);
        }
    }
}

#[tokio::test]
async fn a_date_outside_four_digit_years_is_bad_input() {
    let app = TestApp::with_demo().await;
    for date in ["+99999-01-01", "2020-5-14", "14/05/2020"] {
        let body = app
            .query(&format!(
                r#"{{ initiatives(filter: {{startedFrom: "{date}"}}) {{ totalCount }} }}"#
            ))
            .await;
        assert_eq!(error_codes(&body), ["BAD_USER_INPUT"], "{date}: {body}");
        let message = body["errors"][0]["message"].as_str().unwrap();
        assert!(
            message.contains(date) && message.contains("YYYY-MM-DD"),
            "{message}"
        );
    }
}
