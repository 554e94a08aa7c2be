//! « This may already exist »: published initiatives close to a draft.

use serde_json::{Value, json};

use crate::{
    fixtures::{NewInitiative, UNPUBLISHED, insert_initiative},
    helpers::{TestApp, error_codes},
};

const SIMILAR: &str =
    "query($title: String!, $summary: String, $territoryIds: [ID!], $first: Int) {
  similarInitiatives(title: $title, summary: $summary, territoryIds: $territoryIds, first: $first) {
    score
    initiative { slug title }
  }
}";

async fn similar(app: &TestApp, variables: Value) -> Vec<(String, f64)> {
    app.data_with(SIMILAR, variables).await["similarInitiatives"]
        .as_array()
        .unwrap()
        .iter()
        .map(|found| {
            (
                found["initiative"]["slug"].as_str().unwrap().to_owned(),
                found["score"].as_f64().unwrap(),
            )
        })
        .collect()
}

fn slugs(found: &[(String, f64)]) -> Vec<&str> {
    found.iter().map(|(slug, _)| slug.as_str()).collect()
}

#[tokio::test]
async fn a_draft_about_sewing_masks_finds_the_mask_making_initiative_first() {
    let app = TestApp::with_demo().await;
    let found = similar(
        &app,
        json!({
            "title": "Fabrication de masques en tissu",
            "summary": "Des bénévoles cousent des masques pour les habitants du quartier."
        }),
    )
    .await;
    assert_eq!(found[0].0, "confection-de-masques", "{found:?}");
    assert!(found.len() <= 5, "five by default");
    for pair in found.windows(2) {
        assert!(pair[0].1 >= pair[1].1, "closest first: {found:?}");
    }
    for (_, score) in &found {
        assert!((0.0..=1.0).contains(score), "{found:?}");
    }
}

#[tokio::test]
async fn a_draft_about_computers_for_pupils_finds_both_computer_initiatives() {
    let app = TestApp::with_demo().await;
    let found = similar(
        &app,
        json!({
            "title": "Des ordinateurs pour les élèves",
            "summary": "Prêt d'ordinateurs et de tablettes aux familles pendant le confinement \
                        pour suivre l'école à la maison.",
            "first": 2
        }),
    )
    .await;
    let mut top = slugs(&found);
    top.sort();
    assert_eq!(
        top,
        [
            "acces-internet-eleves-confinement",
            "caf-67-materiel-informatique-familles"
        ]
    );
}

#[tokio::test]
async fn a_draft_of_an_online_chess_club_finds_the_chess_club() {
    let app = TestApp::with_demo().await;
    let found = similar(&app, json!({ "title": "Club d'échecs en ligne" })).await;
    assert_eq!(found[0].0, "club-d-echecs-en-mode-virtuel");
    assert!(found[0].1 > 0.5, "{found:?}");
    for (_, score) in &found[1..] {
        assert!(*score < found[0].1);
    }
}

#[tokio::test]
async fn an_initiative_on_the_drafts_area_ranks_higher() {
    let app = TestApp::with_demo().await;
    for territory in ["metz", "chalons-en-champagne"] {
        insert_initiative(
            app.db(),
            NewInitiative {
                title: "Jardin partagé au pied des immeubles",
                territories: &[territory],
                ..Default::default()
            },
        )
        .await;
    }
    let draft_in = |department: &'static str| {
        let app = &app;
        async move {
            let id = app
                .id_of(&format!(r#"territory(slug: "{department}")"#))
                .await;
            let found = similar(
                app,
                json!({ "title": "Un jardin partagé", "territoryIds": [id], "first": 2 }),
            )
            .await;
            assert!(found[0].1 > found[1].1, "{found:?}");
            let first: String = app
                .data(&format!(
                    r#"{{ initiative(slug: "{}") {{ territories {{ slug }} }} }}"#,
                    found[0].0
                ))
                .await["initiative"]["territories"][0]["slug"]
                .as_str()
                .unwrap()
                .to_owned();
            first
        }
    };
    assert_eq!(draft_in("moselle").await, "metz");
    assert_eq!(draft_in("marne").await, "chalons-en-champagne");
}

#[tokio::test]
async fn unpublished_initiatives_are_never_suggested() {
    let app = TestApp::with_demo().await;
    for status in UNPUBLISHED {
        insert_initiative(
            app.db(),
            NewInitiative {
                title: "Ludothèque itinérante",
                status,
                ..Default::default()
            },
        )
        .await;
    }
    assert!(
        similar(&app, json!({ "title": "Ludothèque itinérante" }))
            .await
            .is_empty()
    );
}

#[tokio::test]
async fn a_draft_of_common_words_only_finds_nothing() {
    let app = TestApp::with_demo().await;
    assert!(
        similar(&app, json!({ "title": "Les de la", "summary": "?" }))
            .await
            .is_empty()
    );
}

#[tokio::test]
async fn an_overlong_draft_or_a_bad_page_size_is_bad_input() {
    let app = TestApp::with_demo().await;
    for (variables, field) in [
        (json!({ "title": "a".repeat(301) }), "title"),
        (
            json!({ "title": "masques", "summary": "b".repeat(2001) }),
            "summary",
        ),
        (json!({ "title": "masques", "first": 0 }), "first"),
        (json!({ "title": "masques", "first": 21 }), "first"),
        (
            json!({ "title": "masques", "territoryIds": ["Theme:01936f3e-0000-7000-8000-000000000000"] }),
            "territoryIds[0]",
        ),
    ] {
        let body = app.query_with(SIMILAR, variables).await;
        assert_eq!(error_codes(&body), ["BAD_USER_INPUT"], "{body}");
        assert_eq!(body["errors"][0]["extensions"]["field"], field);
    }
}
