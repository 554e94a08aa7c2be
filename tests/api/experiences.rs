//! Experiences (*retours d'expérience*): the public sees the published ones of published
//! initiatives, and nothing else.

use entity::enums::ModerationStatus;
use serde_json::{Value, json};

use crate::{
    fixtures::{NewInitiative, UNPUBLISHED, insert_experience, insert_initiative},
    helpers::{TestApp, strings},
};

#[tokio::test]
async fn an_initiative_shows_only_its_published_experiences() {
    let app = TestApp::with_demo().await;
    let initiative = insert_initiative(
        app.db(),
        NewInitiative {
            title: "Club d'échecs en ligne",
            ..Default::default()
        },
    )
    .await;
    let published =
        insert_experience(app.db(), initiative, "À Vitry", ModerationStatus::Published).await;
    let mut hidden = Vec::new();
    for status in UNPUBLISHED {
        hidden.push(insert_experience(app.db(), initiative, "Brouillon", status).await);
    }
    let data = app
        .data_with(
            "query($id: ID!) { initiative(id: $id) { experiences { id title body status initiative { title } } } }",
            json!({ "id": format!("Initiative:{initiative}") }),
        )
        .await;
    let experiences = &data["initiative"]["experiences"];
    assert_eq!(strings(experiences, "title"), ["À Vitry"]);
    assert_eq!(experiences[0]["status"], "PUBLISHED");
    assert_eq!(experiences[0]["id"], format!("Experience:{published}"));
    assert_eq!(
        experiences[0]["initiative"]["title"],
        "Club d'échecs en ligne"
    );

    let ids: Vec<String> = hidden.iter().map(|id| format!("Experience:{id}")).collect();
    let found = app
        .data_with(
            "query($ids: [ID!]!) { nodes(ids: $ids) { id } }",
            json!({ "ids": ids }),
        )
        .await;
    assert_eq!(found["nodes"], json!([null, null, null, null, null]));
}

#[tokio::test]
async fn a_published_experience_of_a_hidden_initiative_stays_hidden() {
    let app = TestApp::with_demo().await;
    let archived = insert_initiative(
        app.db(),
        NewInitiative {
            title: "Initiative archivée",
            status: ModerationStatus::Archived,
            ..Default::default()
        },
    )
    .await;
    let experience = insert_experience(
        app.db(),
        archived,
        "Retour publié",
        ModerationStatus::Published,
    )
    .await;
    let found = app
        .data_with(
            "query($id: ID!) { node(id: $id) { id ... on Experience { title body } } }",
            json!({ "id": format!("Experience:{experience}") }),
        )
        .await;
    assert_eq!(found["node"], Value::Null);
}
