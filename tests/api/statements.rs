//! No N+1: a request runs the same small number of SQL statements whatever its page size.

use std::time::Duration;

use crate::{
    fixtures::{NewInitiative, insert_initiative},
    helpers::TestApp,
};

const PAGE_WITH_RELATIONS: &str = "query($first: Int!) {
  initiatives(first: $first, orderBy: {field: TITLE}) {
    totalCount
    nodes {
      title audiences
      themes { name parent { name } }
      territories { name parents { name } }
      organisations { role organisation { name territory { name } } }
      meetings { title organiser { name } }
      contacts { fullName currentPositions { jobTitle organisation { name } } }
      experiences { title }
    }
  }
}";

async fn statements_for(app: &TestApp, first: usize) -> u64 {
    let before = app.statements();
    let data = app
        .data_with(PAGE_WITH_RELATIONS, serde_json::json!({ "first": first }))
        .await;
    assert_eq!(
        data["initiatives"]["nodes"].as_array().unwrap().len(),
        first
    );
    app.statements() - before
}

#[tokio::test]
async fn pages_of_five_and_a_hundred_initiatives_cost_the_same_few_statements() {
    let app = TestApp::with_demo().await;
    for index in 0..100 {
        let title = format!("Initiative générée {index:03}");
        insert_initiative(
            app.db(),
            NewInitiative {
                title: &title,
                themes: &["aide-alimentaire", "vie-associative"],
                territories: &["metz", "moselle"],
                organisations: &["afev"],
                meetings: &["gouter-visio-dsu-grand-est-2020-05-14"],
                ..Default::default()
            },
        )
        .await;
    }
    let five = statements_for(&app, 5).await;
    let hundred = statements_for(&app, 100).await;
    // The list and its count, then one batched query per relation and level: audiences,
    // themes (with their links), parent themes, territories (with their links), parent
    // links, parents, organisations (with their links and roles), territories of
    // organisations, meeting links, meetings, organisers, contact links, experiences.
    // Contacts and their positions are absent here, so not queried. When two relations
    // served by one loader reach it in the same poll of the request, one batch serves
    // both, so a page may cost one statement less, whatever its size.
    for (size, statements) in [(5, five), (100, hundred)] {
        assert!(
            (13..=15).contains(&statements),
            "{statements} statements for a page of {size}"
        );
    }
}

const TERRITORIES_WITH_INITIATIVES: &str = "query($first: Int!) {
  territories(first: $first) {
    nodes { name initiatives(first: 3) { totalCount nodes { title themes { name } } } }
  }
}";

#[tokio::test]
async fn listing_territories_with_their_initiatives_does_not_query_per_territory() {
    let app = TestApp::with_demo().await;
    let mut counts = Vec::new();
    for first in [2, 11] {
        let before = app.statements();
        let data = app
            .data_with(
                TERRITORIES_WITH_INITIATIVES,
                serde_json::json!({ "first": first }),
            )
            .await;
        assert_eq!(
            data["territories"]["nodes"].as_array().unwrap().len(),
            first
        );
        counts.push(app.statements() - before);
    }
    assert_eq!(counts[0], counts[1], "{counts:?}");
}

const SEARCHED_PAGE: &str = "query($first: Int!) {
  initiatives(first: $first, filter: {search: \"confinement\"}) {
    totalCount
    edges { snippet node { title themes { name } } }
  }
}";

#[tokio::test]
async fn snippets_of_a_searched_page_cost_no_statement_per_result() {
    let app = TestApp::with_demo().await;
    let mut counts = Vec::new();
    for first in [2, 15] {
        let before = app.statements();
        let data = app
            .data_with(SEARCHED_PAGE, serde_json::json!({ "first": first }))
            .await;
        let edges = data["initiatives"]["edges"].as_array().unwrap();
        assert_eq!(edges.len(), first);
        assert!(edges.iter().all(|edge| edge["snippet"].is_string()));
        counts.push(app.statements() - before);
    }
    assert_eq!(counts[0], counts[1], "{counts:?}");
}

#[tokio::test]
async fn similar_initiatives_cost_the_same_whatever_how_many_are_asked() {
    let app = TestApp::with_demo().await;
    let mut counts = Vec::new();
    for first in [1, 20] {
        let before = app.statements();
        app.data_with(
            "query($first: Int) { similarInitiatives(title: \"Confinement et familles\", first: $first) { score initiative { title themes { name } } } }",
            serde_json::json!({ "first": first }),
        )
        .await;
        counts.push(app.statements() - before);
    }
    assert_eq!(counts[0], counts[1], "{counts:?}");
}

#[tokio::test]
async fn the_moderation_queue_costs_the_same_statements_for_three_items_or_thirty() {
    use entity::enums::{ModerationStatus, Role};
    let app = TestApp::with_demo().await;
    let moderator = app.account("m@exemple.fr", Role::Moderator, None).await;
    let queue = "query ($first: Int!) { moderationQueue(first: $first) { totalCount nodes {
        kind status organisation { name } author { email } changes { field } warnings { kind }
        subject { ... on Initiative { title themes { name } } } } } }";
    for index in 0..30 {
        insert_initiative(
            app.db(),
            NewInitiative {
                title: &format!("Soumission {index:02}"),
                status: ModerationStatus::Submitted,
                themes: &["aide-alimentaire"],
                owner: Some("afev"),
                ..Default::default()
            },
        )
        .await;
    }
    let mut counts = Vec::new();
    for first in [3, 30] {
        let before = app.statements();
        let data = app
            .data_as(
                &moderator.token,
                queue,
                serde_json::json!({ "first": first }),
            )
            .await;
        assert_eq!(
            data["moderationQueue"]["nodes"].as_array().unwrap().len(),
            first
        );
        counts.push(app.statements() - before);
    }
    assert_eq!(counts[0], counts[1], "{counts:?}");
}

const PUBLIC_LIST: &str = "{ initiatives(first: 20) { nodes { title slug publishedAt
    themes { name } territories { name }
    organisations(role: LEAD) { organisation { name } } } } }";

/// The demo app keeping themes, territories and organisations read for a minute.
async fn app_keeping_reference_rows() -> TestApp {
    TestApp::with_demo_and_settings(|settings| {
        settings.reference_cache = Duration::from_secs(60);
    })
    .await
}

/// The statements one public list costs, checking that it holds the demo's 15 initiatives.
async fn statements_for_the_public_list(app: &TestApp) -> u64 {
    let before = app.statements();
    let data = app.data(PUBLIC_LIST).await;
    assert_eq!(data["initiatives"]["nodes"].as_array().unwrap().len(), 15);
    app.statements() - before
}

#[tokio::test]
async fn the_public_list_costs_four_statements_then_one_once_its_reference_rows_are_kept() {
    let app = app_keeping_reference_rows().await;
    // The page with the links of its initiatives, then the themes, the territories and the
    // organisations they lead to.
    assert_eq!(statements_for_the_public_list(&app).await, 4);
    // The page with its links alone: the rows they lead to are kept.
    assert_eq!(statements_for_the_public_list(&app).await, 1);
}

#[tokio::test]
async fn without_keeping_reference_rows_the_public_list_costs_four_statements_every_time() {
    let app = TestApp::with_demo().await;
    for _ in 0..2 {
        assert_eq!(statements_for_the_public_list(&app).await, 4);
    }
}

#[tokio::test]
async fn a_list_read_through_edges_reads_its_links_with_its_page() {
    let app = app_keeping_reference_rows().await;
    statements_for_the_public_list(&app).await;
    let before = app.statements();
    let data = app
        .data(
            "{ initiatives(first: 20) { edges { node { ...relations } } } }
             fragment relations on Initiative { themes { name } territories { name } }",
        )
        .await;
    assert_eq!(app.statements() - before, 1);
    let edges = data["initiatives"]["edges"].as_array().unwrap();
    assert_eq!(edges.len(), 15);
    assert!(
        edges
            .iter()
            .all(|edge| !edge["node"]["territories"].as_array().unwrap().is_empty())
    );
}

#[tokio::test]
async fn an_initiative_page_by_slug_costs_one_statement_once_its_reference_rows_are_kept() {
    let app = app_keeping_reference_rows().await;
    let page = r#"{ initiative(slug: "confection-de-masques") { title
        themes { name } territories { name } organisations { role organisation { name } } } }"#;
    let first = app.data(page).await;
    let before = app.statements();
    let again = app.data(page).await;
    assert_eq!(app.statements() - before, 1);
    assert_eq!(first, again);
    assert!(!again["initiative"]["themes"].as_array().unwrap().is_empty());
    assert!(
        !again["initiative"]["territories"]
            .as_array()
            .unwrap()
            .is_empty()
    );
}

#[tokio::test]
async fn a_theme_renamed_on_this_instance_shows_renamed_at_once() {
    use entity::enums::Role;
    let app = app_keeping_reference_rows().await;
    let moderator = app.account("m@exemple.fr", Role::Moderator, None).await;
    let theme = app.id_of(r#"theme(slug: "vie-associative")"#).await;
    let names = |data: serde_json::Value| -> Vec<String> {
        data["initiatives"]["nodes"]
            .as_array()
            .unwrap()
            .iter()
            .flat_map(|node| node["themes"].as_array().unwrap().clone())
            .map(|theme| theme["name"].as_str().unwrap().to_owned())
            .collect()
    };
    assert!(names(app.data(PUBLIC_LIST).await).contains(&"Vie associative".to_owned()));

    let renamed = app
        .data_as(
            &moderator.token,
            "mutation ($id: ID!) { updateTheme(input: { id: $id, name: \"Vie des associations\" }) { theme { name } } }",
            serde_json::json!({ "id": theme }),
        )
        .await;
    assert_eq!(
        renamed["updateTheme"]["theme"]["name"],
        "Vie des associations"
    );
    let after = names(app.data(PUBLIC_LIST).await);
    assert!(
        after.contains(&"Vie des associations".to_owned()),
        "{after:?}"
    );
    assert!(!after.contains(&"Vie associative".to_owned()));
}

#[tokio::test]
async fn a_mutation_reads_back_what_it_changed_even_where_rows_are_kept() {
    use entity::enums::Role;
    let app = app_keeping_reference_rows().await;
    let admin = app.account("admin@exemple.fr", Role::Admin, None).await;
    let bas_rhin = app.id_of(r#"territory(slug: "bas-rhin")"#).await;
    let on_bas_rhin =
        r#"{ territory(slug: "bas-rhin") { initiatives { nodes { territories { name } } } } }"#;
    let names = |territory: &serde_json::Value| -> Vec<String> {
        territory["initiatives"]["nodes"]
            .as_array()
            .unwrap()
            .iter()
            .flat_map(|node| node["territories"].as_array().unwrap().clone())
            .map(|place| place["name"].as_str().unwrap().to_owned())
            .collect()
    };
    let before = names(&app.data(on_bas_rhin).await["territory"]);
    assert!(before.contains(&"Bas-Rhin".to_owned()), "{before:?}");

    let renamed = app
        .data_as(
            &admin.token,
            "mutation ($id: ID!) { updateTerritory(input: { id: $id, name: \"Alsace du Nord et du Sud\" }) {
                territory { initiatives { nodes { territories { name } } } } } }",
            serde_json::json!({ "id": bas_rhin }),
        )
        .await;
    let after = names(&renamed["updateTerritory"]["territory"]);
    assert!(
        after.contains(&"Alsace du Nord et du Sud".to_owned()),
        "{after:?}"
    );
    assert!(!after.contains(&"Bas-Rhin".to_owned()), "{after:?}");
}
