//! French full-text search: the examples of the issue, on both backends.

use std::time::Duration;

use entity::enums::{Audience, ModerationStatus, Role};
use sea_orm::{ActiveValue::Set, ConnectionTrait, DbBackend, EntityTrait, TransactionTrait};
use serde_json::{Value, json};

use crate::{
    contributions::publish,
    fixtures::{NewInitiative, UNPUBLISHED, insert_initiative},
    helpers::{TestApp, error_codes},
};

const SEARCH: &str = "query($filter: InitiativeFilter, $orderBy: InitiativeOrder, $first: Int,
    $after: String) {
  initiatives(filter: $filter, orderBy: $orderBy, first: $first, after: $after) {
    totalCount
    nodes { slug title }
    edges { snippet }
    pageInfo { hasNextPage endCursor }
  }
}";

async fn search_with(app: &TestApp, filter: Value) -> Value {
    app.data_with(SEARCH, json!({ "filter": filter, "first": 100 }))
        .await["initiatives"]
        .clone()
}

async fn search(app: &TestApp, text: &str) -> Value {
    search_with(app, json!({ "search": text })).await
}

fn slugs(connection: &Value) -> Vec<String> {
    connection["nodes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|node| node["slug"].as_str().unwrap().to_owned())
        .collect()
}

/// Every page of a search, `size` initiatives each, following the cursors to the end.
async fn pages(app: &TestApp, text: &str, size: usize) -> Vec<Value> {
    let mut pages = Vec::new();
    let mut after = Value::Null;
    loop {
        let page = app
            .data_with(
                SEARCH,
                json!({ "filter": { "search": text }, "first": size, "after": after }),
            )
            .await["initiatives"]
            .clone();
        let more = page["pageInfo"]["hasNextPage"] == true;
        after = page["pageInfo"]["endCursor"].clone();
        pages.push(page);
        if !more {
            return pages;
        }
    }
}

async fn found(app: &TestApp, text: &str) -> Vec<String> {
    let connection = search(app, text).await;
    let slugs = slugs(&connection);
    assert_eq!(
        connection["totalCount"],
        slugs.len(),
        "the count of `{text}` is the length of its list"
    );
    slugs
}

#[tokio::test]
async fn a_search_ignores_case_and_accents() {
    let app = TestApp::with_demo().await;
    for text in ["echecs", "échecs", "ÉCHECS", "Echec"] {
        assert_eq!(
            found(&app, text).await,
            ["club-d-echecs-en-mode-virtuel"],
            "{text}"
        );
    }
}

#[tokio::test]
async fn singular_finds_plural_and_plural_finds_singular() {
    let app = TestApp::with_demo().await;
    assert!(
        found(&app, "masque")
            .await
            .contains(&"confection-de-masques".to_owned())
    );
    let computers = found(&app, "ordinateur").await;
    assert!(computers.contains(&"acces-internet-eleves-confinement".to_owned()));
    insert_initiative(
        app.db(),
        NewInitiative {
            title: "Prêt d'un ordinateur portable",
            ..Default::default()
        },
    )
    .await;
    let plural = found(&app, "ordinateurs").await;
    assert_eq!(plural.len(), computers.len() + 1, "{plural:?}");
}

#[tokio::test]
async fn hyphens_and_apostrophes_separate_words() {
    let app = TestApp::with_demo().await;
    for text in ["petit-dejeuner", "petits déjeuners", "PETIT-DÉJEUNER"] {
        assert_eq!(
            found(&app, text).await,
            ["petits-dejeuners-livres-familles-isolees"],
            "{text}"
        );
    }
    for text in ["l'AFEV", "afev", "l’AFEV"] {
        assert_eq!(
            found(&app, text).await,
            ["mentorat-a-distance-afev"],
            "{text}"
        );
    }
}

#[tokio::test]
async fn stop_words_and_symbols_alone_find_nothing_and_blank_finds_everything() {
    let app = TestApp::with_demo().await;
    for text in ["les", "de la", "l'", "?!", "« »", "- -", "\"\""] {
        assert_eq!(search(&app, text).await["totalCount"], 0, "{text}");
    }
    for text in ["", "   ", "\t\n"] {
        assert_eq!(search(&app, text).await["totalCount"], 15, "{text:?}");
    }
    // Stop words beside a real word do not widen or narrow it.
    assert_eq!(
        found(&app, "le club des échecs").await,
        ["club-d-echecs-en-mode-virtuel"]
    );
}

#[tokio::test]
async fn several_words_must_all_match() {
    let app = TestApp::with_demo().await;
    assert_eq!(
        found(&app, "paniers producteurs").await,
        ["paniers-solidaires-ccas-producteurs-locaux"]
    );
    assert!(found(&app, "masques producteurs").await.is_empty());
    let lockdown = found(&app, "confinement").await.len();
    let meals = found(&app, "confinement repas").await;
    assert!(!meals.is_empty() && meals.len() < lockdown, "{meals:?}");
}

#[tokio::test]
async fn a_quoted_phrase_must_match_as_consecutive_words_in_order() {
    let app = TestApp::with_demo().await;
    assert_eq!(
        found(&app, "\"club d'échecs\"").await,
        ["club-d-echecs-en-mode-virtuel"]
    );
    assert_eq!(
        found(&app, "\"mode virtuel\"").await,
        ["club-d-echecs-en-mode-virtuel"]
    );
    assert!(found(&app, "\"échecs club\"").await.is_empty());
    assert!(found(&app, "\"club virtuel\"").await.is_empty());
    // The same words, unquoted, are found apart.
    assert_eq!(
        found(&app, "club virtuel").await,
        ["club-d-echecs-en-mode-virtuel"]
    );
}

#[tokio::test]
async fn a_phrase_never_spans_the_title_and_the_text() {
    let app = TestApp::empty().await;
    insert_initiative(
        app.db(),
        NewInitiative {
            title: "Jardin partagé",
            description: Some("Potager collectif au pied des immeubles."),
            ..Default::default()
        },
    )
    .await;
    assert_eq!(found(&app, "\"partage potager\"").await.len(), 0);
    assert_eq!(found(&app, "\"potager collectif\"").await.len(), 1);
    assert_eq!(found(&app, "partagé potager").await.len(), 1);
}

#[tokio::test]
async fn a_search_combines_with_the_other_filters() {
    let app = TestApp::with_demo().await;
    let everything = found(&app, "confinement").await;
    let for_children = search_with(
        &app,
        json!({ "search": "confinement", "audiences": ["CHILDREN"] }),
    )
    .await;
    let children = search_with(&app, json!({ "audiences": ["CHILDREN"] })).await;
    let expected: Vec<String> = slugs(&children)
        .into_iter()
        .filter(|slug| everything.contains(slug))
        .collect();
    let mut combined = slugs(&for_children);
    combined.sort();
    let mut expected = expected;
    expected.sort();
    assert_eq!(combined, expected);
    assert_eq!(for_children["totalCount"], expected.len());

    let bas_rhin = app.id_of(r#"territory(slug: "bas-rhin")"#).await;
    let in_bas_rhin = search_with(
        &app,
        json!({ "search": "informatique", "territoryIds": [bas_rhin] }),
    )
    .await;
    assert_eq!(
        slugs(&in_bas_rhin),
        ["caf-67-materiel-informatique-familles"]
    );
    let started_later = search_with(
        &app,
        json!({ "search": "informatique", "startedFrom": "2021-01-01" }),
    )
    .await;
    assert_eq!(started_later["totalCount"], 0);
}

#[tokio::test]
async fn results_come_by_relevance_by_default_with_stable_pages() {
    let app = TestApp::with_demo().await;
    // The title match comes before the initiatives that only mention masks in their text.
    insert_initiative(
        app.db(),
        NewInitiative {
            title: "Distribution de gel",
            description: Some("Du gel et quelques masques distribués au marché."),
            ..Default::default()
        },
    )
    .await;
    let masks = found(&app, "masques").await;
    assert_eq!(masks.len(), 2, "{masks:?}");
    assert_eq!(masks[0], "confection-de-masques");

    let by_default = found(&app, "confinement").await;
    let explicit = slugs(
        &app.data_with(
            SEARCH,
            json!({ "filter": { "search": "confinement" }, "orderBy": { "field": "RELEVANCE" }, "first": 100 }),
        )
        .await["initiatives"],
    );
    assert_eq!(by_default, explicit);
    let reversed = slugs(
        &app.data_with(
            SEARCH,
            json!({ "filter": { "search": "confinement" }, "orderBy": { "field": "RELEVANCE", "direction": "DESC" }, "first": 100 }),
        )
        .await["initiatives"],
    );
    assert_eq!(
        reversed,
        by_default.iter().rev().cloned().collect::<Vec<_>>()
    );

    // Pages of 4 follow each other without overlap, in the same order, again and again.
    let paged: Vec<String> = pages(&app, "confinement", 4)
        .await
        .iter()
        .flat_map(slugs)
        .collect();
    assert_eq!(paged, by_default);
    assert_eq!(found(&app, "confinement").await, by_default);

    let by_title = app
        .data_with(
            SEARCH,
            json!({ "filter": { "search": "masques" }, "orderBy": { "field": "TITLE" }, "first": 100 }),
        )
        .await;
    assert_eq!(
        slugs(&by_title["initiatives"])[0],
        "confection-de-masques",
        "« Confection » before « Distribution »"
    );
}

#[tokio::test]
async fn every_page_of_a_search_counts_all_its_matches_in_two_statements() {
    let app = TestApp::with_demo().await;
    let all = found(&app, "confinement").await;
    assert!(all.len() > 4, "{all:?}");
    let page = |variables: Value| {
        let app = &app;
        async move {
            app.data_with(
                "query($first: Int, $after: String, $last: Int, $before: String) {
                  initiatives(filter: { search: \"confinement\" }, first: $first,
                      after: $after, last: $last, before: $before) {
                    totalCount
                    nodes { slug }
                    pageInfo { hasNextPage hasPreviousPage startCursor endCursor }
                  }
                }",
                variables,
            )
            .await["initiatives"]
                .clone()
        }
    };

    let before = app.statements();
    let first = page(json!({ "first": 4 })).await;
    assert_eq!(
        app.statements() - before,
        2,
        "the page's ids with the count, then the page's initiatives"
    );
    assert_eq!(first["totalCount"], all.len());
    assert_eq!(slugs(&first), all[..4]);
    assert_eq!(first["pageInfo"]["hasNextPage"], true);

    let rest = page(json!({ "first": 100, "after": first["pageInfo"]["endCursor"] })).await;
    assert_eq!(rest["totalCount"], all.len());
    assert_eq!(slugs(&rest), all[4..]);
    assert_eq!(rest["pageInfo"]["hasNextPage"], false);

    let past = page(json!({ "first": 4, "after": rest["pageInfo"]["endCursor"] })).await;
    assert_eq!(slugs(&past), Vec::<String>::new());
    assert_eq!(
        past["totalCount"],
        all.len(),
        "counted past the last match too"
    );

    let last = page(json!({ "last": 2 })).await;
    assert_eq!(slugs(&last), all[all.len() - 2..]);
    let before_last = page(json!({ "last": 2, "before": last["pageInfo"]["startCursor"] })).await;
    assert_eq!(slugs(&before_last), all[all.len() - 4..all.len() - 2]);
    assert_eq!(before_last["totalCount"], all.len());
}

#[tokio::test]
async fn a_search_is_ranked_once_until_a_mutation_and_never_shared_between_scopes() {
    let app = TestApp::with_demo_and_settings(|settings| {
        settings.stats_cache = Duration::from_secs(60);
    })
    .await;
    let partner = app
        .account("afev@exemple.fr", Role::Partner, Some("afev"))
        .await;
    let moderator = app.account("m@exemple.fr", Role::Moderator, None).await;
    let submitted = insert_initiative(
        app.db(),
        NewInitiative {
            title: "Masques en attente de publication",
            status: ModerationStatus::Submitted,
            owner: Some("afev"),
            ..Default::default()
        },
    )
    .await;
    let public = found(&app, "masques").await;
    assert_eq!(public, ["confection-de-masques"]);

    let before = app.statements();
    assert_eq!(found(&app, "masques").await, public);
    assert_eq!(
        app.statements() - before,
        1,
        "asked again, only the page's initiatives are read"
    );

    let own = app
        .data_as(
            &partner.token,
            SEARCH,
            json!({ "filter": { "search": "masques" }, "first": 100 }),
        )
        .await;
    assert_eq!(
        own["initiatives"]["totalCount"], 2,
        "the partner finds its submission"
    );
    assert_eq!(found(&app, "masques").await, public, "others do not");

    // Pages cut from a kept ranking follow each other without overlap, in its order, each
    // with the count of all.
    let all = found(&app, "confinement").await;
    let pages = pages(&app, "confinement", 4).await;
    assert!(pages.iter().all(|page| page["totalCount"] == all.len()));
    let paged: Vec<String> = pages.iter().flat_map(slugs).collect();
    assert_eq!(paged, all);

    publish(&app, &moderator, submitted).await;
    assert_eq!(
        found(&app, "masques").await.len(),
        2,
        "the publication is found at once"
    );
}

#[tokio::test]
async fn relevance_without_a_search_is_bad_input() {
    let app = TestApp::with_demo().await;
    for filter in [json!(null), json!({ "search": "  " })] {
        let body = app
            .query_with(
                SEARCH,
                json!({ "filter": filter, "orderBy": { "field": "RELEVANCE" } }),
            )
            .await;
        assert_eq!(error_codes(&body), ["BAD_USER_INPUT"], "{body}");
        assert_eq!(body["errors"][0]["extensions"]["field"], "orderBy.field");
    }
}

#[tokio::test]
async fn a_ten_thousand_character_search_is_bad_input() {
    let app = TestApp::with_demo().await;
    for text in ["masques ".repeat(1250), "a".repeat(201)] {
        let body = app
            .query_with(SEARCH, json!({ "filter": { "search": text } }))
            .await;
        assert_eq!(error_codes(&body), ["BAD_USER_INPUT"]);
        assert_eq!(body["errors"][0]["extensions"]["field"], "filter.search");
        assert_eq!(body["data"], Value::Null);
    }
    let longest = "é".repeat(200);
    assert_eq!(search(&app, &longest).await["totalCount"], 0);
}

#[tokio::test]
async fn a_snippet_shows_where_the_search_matched_with_marks_and_escaped_text() {
    let app = TestApp::with_demo().await;
    let chess = search(&app, "echecs").await;
    let snippet = chess["edges"][0]["snippet"].as_str().unwrap();
    assert!(snippet.contains("<mark>échecs</mark>"), "{snippet}");
    assert!(
        !snippet.contains('\''),
        "apostrophes are escaped: {snippet}"
    );
    assert!(snippet.contains("d&#39;<mark>échecs</mark>"), "{snippet}");

    insert_initiative(
        app.db(),
        NewInitiative {
            title: "Atelier <script>alert(1)</script> & masques",
            ..Default::default()
        },
    )
    .await;
    let masks = search(&app, "atelier").await;
    assert_eq!(
        masks["edges"][0]["snippet"],
        "Résumé de « <mark>Atelier</mark> &lt;script&gt;alert(1)&lt;/script&gt; &amp; masques »"
    );

    let unsearched = app
        .data(
            r#"{ initiatives(first: 3) { edges { snippet } }
                 territory(slug: "grand-est") { initiatives(first: 3) { edges { snippet } } } }"#,
        )
        .await;
    let edges = unsearched["initiatives"]["edges"]
        .as_array()
        .unwrap()
        .iter();
    let of_territory = unsearched["territory"]["initiatives"]["edges"]
        .as_array()
        .unwrap();
    assert!(!of_territory.is_empty());
    for edge in edges.chain(of_territory) {
        assert_eq!(edge["snippet"], Value::Null);
    }
}

#[tokio::test]
async fn the_snippet_belongs_to_the_searched_edge_and_the_initiative_field_is_deprecated() {
    let app = TestApp::with_demo().await;
    let searched = app
        .data(
            r#"{ initiatives(filter: {search: "echecs"}) {
                   edges { snippet node { id snippet } } } }"#,
        )
        .await;
    let edge = &searched["initiatives"]["edges"][0];
    assert!(
        edge["snippet"].as_str().unwrap().contains("<mark>"),
        "{edge}"
    );
    // The deprecated field still answers as before, until it is removed.
    assert_eq!(edge["node"]["snippet"], edge["snippet"]);
    // Read elsewhere, the same initiative has no snippet: a normalised cache merging the two
    // would wipe it, which is why it lives on the edge.
    let elsewhere = app
        .data_with(
            "query($id: ID!) { node(id: $id) { ... on Initiative { snippet } } }",
            json!({ "id": edge["node"]["id"] }),
        )
        .await;
    assert_eq!(elsewhere["node"]["snippet"], Value::Null);

    let fields = app
        .data(
            r#"{ __type(name: "Initiative") {
                   fields(includeDeprecated: true) { name isDeprecated deprecationReason } } }"#,
        )
        .await;
    let snippet = fields["__type"]["fields"]
        .as_array()
        .unwrap()
        .iter()
        .find(|field| field["name"] == "snippet")
        .unwrap();
    assert_eq!(snippet["isDeprecated"], true);
    let reason = snippet["deprecationReason"].as_str().unwrap();
    assert!(reason.contains("edges { snippet }"), "{reason}");
}

#[tokio::test]
async fn unpublished_initiatives_are_never_found() {
    let app = TestApp::with_demo().await;
    for status in UNPUBLISHED {
        insert_initiative(
            app.db(),
            NewInitiative {
                title: "Brouillon secret sur les masques",
                status,
                audiences: &[Audience::Children],
                ..Default::default()
            },
        )
        .await;
    }
    assert!(found(&app, "brouillon").await.is_empty());
    assert_eq!(found(&app, "masques").await, ["confection-de-masques"]);
}

#[tokio::test]
async fn an_edit_is_found_at_once_and_a_deleted_initiative_leaves_the_index() {
    let app = TestApp::empty().await;
    let id = insert_initiative(
        app.db(),
        NewInitiative {
            title: "Jardin partagé",
            ..Default::default()
        },
    )
    .await;
    assert_eq!(found(&app, "jardin").await.len(), 1);

    let txn = app.db().begin().await.unwrap();
    entity::initiative::Entity::update(entity::initiative::ActiveModel {
        id: Set(id),
        title: Set("Verger collectif".to_owned()),
        summary: Set("Des arbres fruitiers plantés par les habitants.".to_owned()),
        ..Default::default()
    })
    .exec(&txn)
    .await
    .unwrap();
    communs::store::search::index_initiative(&txn, id)
        .await
        .unwrap_or_else(|_| panic!("reindexed"));
    txn.commit().await.unwrap();
    assert!(found(&app, "jardin").await.is_empty());
    assert_eq!(found(&app, "vergers fruitiers").await.len(), 1);

    // An edit rolled back leaves the index as it was.
    let txn = app.db().begin().await.unwrap();
    entity::initiative::Entity::update(entity::initiative::ActiveModel {
        id: Set(id),
        title: Set("Autre chose".to_owned()),
        ..Default::default()
    })
    .exec(&txn)
    .await
    .unwrap();
    communs::store::search::index_initiative(&txn, id)
        .await
        .unwrap_or_else(|_| panic!("reindexed"));
    txn.rollback().await.unwrap();
    assert_eq!(found(&app, "verger").await.len(), 1);

    entity::initiative::Entity::delete_by_id(id)
        .exec(app.db())
        .await
        .unwrap();
    assert!(found(&app, "verger").await.is_empty());
    let row = app
        .db()
        .query_one_raw(sea_orm::Statement::from_string(
            app.db().get_database_backend(),
            "SELECT COUNT(*) AS n FROM initiative_search",
        ))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(row.try_get::<i64>("", "n").unwrap(), 0);
}

#[tokio::test]
async fn initiatives_written_before_the_index_existed_are_indexed_at_start() {
    let app = TestApp::with_demo().await;
    let backend = app.db().get_database_backend();
    let forget = match backend {
        DbBackend::Postgres => "DELETE FROM initiative_search",
        _ => "DELETE FROM initiative_search_entry",
    };
    app.db().execute_unprepared(forget).await.unwrap();
    assert!(found(&app, "masques").await.is_empty());
    app.database.migrate().await.unwrap();
    assert_eq!(found(&app, "masques").await, ["confection-de-masques"]);
    assert_eq!(found(&app, "confinement").await.len(), 15);
}

#[tokio::test]
async fn a_published_status_is_what_makes_an_indexed_initiative_visible() {
    let app = TestApp::empty().await;
    let id = insert_initiative(
        app.db(),
        NewInitiative {
            title: "Ludothèque mobile",
            status: ModerationStatus::Submitted,
            ..Default::default()
        },
    )
    .await;
    assert!(found(&app, "ludotheque").await.is_empty());
    entity::initiative::Entity::update(entity::initiative::ActiveModel {
        id: Set(id),
        status: Set(ModerationStatus::Published),
        published_at: Set(Some(chrono::Utc::now())),
        ..Default::default()
    })
    .exec(app.db())
    .await
    .unwrap();
    assert_eq!(found(&app, "ludothèques").await.len(), 1);

    // Written behind the API's back too: the index follows the status, both ways.
    entity::initiative::Entity::update(entity::initiative::ActiveModel {
        id: Set(id),
        status: Set(ModerationStatus::Archived),
        ..Default::default()
    })
    .exec(app.db())
    .await
    .unwrap();
    assert!(found(&app, "ludotheque").await.is_empty());
}

#[tokio::test]
async fn a_very_long_text_is_indexed_to_its_end() {
    let app = TestApp::empty().await;
    let description = format!(
        "{} conclusion {}",
        "atelier ".repeat(20_000),
        "z".repeat(5_000)
    );
    insert_initiative(
        app.db(),
        NewInitiative {
            title: "Un très long récit",
            description: Some(&description),
            ..Default::default()
        },
    )
    .await;
    assert_eq!(found(&app, "conclusion").await.len(), 1);
    assert_eq!(found(&app, "ateliers récit").await.len(), 1);
}

#[tokio::test]
async fn engine_syntax_in_a_search_is_only_words() {
    let app = TestApp::with_demo().await;
    for text in [
        "title",
        "body: masques",
        "NEAR(club échecs)",
        "masques AND OR NOT",
        "masques*",
        "^masques",
        "'masqu' | 'x'",
        "masques'; DROP TABLE initiative; --",
        "masques\\",
        "(masques",
    ] {
        let body = app
            .query_with(SEARCH, json!({ "filter": { "search": text } }))
            .await;
        assert!(body.get("errors").is_none(), "{text}: {body}");
    }
    // Operators are words like others, which every result must hold.
    assert!(found(&app, "masques AND OR NOT").await.is_empty());
    for text in ["masques*", "^masques", "(masques", "masques\\"] {
        assert_eq!(found(&app, text).await, ["confection-de-masques"], "{text}");
    }
    assert_eq!(
        found(&app, "masques'; DROP TABLE initiative; --")
            .await
            .len(),
        0
    );
    assert_eq!(found(&app, "confinement").await.len(), 15);
}
