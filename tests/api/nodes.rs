//! Global ids: `node` and `nodes` resolve any object.

use serde_json::{Value, json};

use crate::helpers::{TestApp, error_codes};

#[tokio::test]
async fn every_object_comes_back_through_node_by_its_id() {
    let app = TestApp::with_demo().await;
    let data = app
        .data(r#"{
            meeting(slug: "gouter-visio-dsu-grand-est-2020-05-14") {
                id participants { id professional { id currentPositions { id } } } topics { id }
                initiatives { id themes { id } territories { id } organisations { organisation { id } } }
            } }"#)
        .await;
    let meeting = &data["meeting"];
    let mut ids = vec![
        meeting["id"].clone(),
        meeting["participants"][0]["id"].clone(),
        meeting["participants"][0]["professional"]["id"].clone(),
        meeting["participants"][0]["professional"]["currentPositions"][0]["id"].clone(),
        meeting["topics"][0]["id"].clone(),
        meeting["initiatives"][0]["id"].clone(),
        meeting["initiatives"][0]["themes"][0]["id"].clone(),
        meeting["initiatives"][0]["territories"][0]["id"].clone(),
    ];
    let with_organisation = meeting["initiatives"]
        .as_array()
        .unwrap()
        .iter()
        .find(|i| !i["organisations"].as_array().unwrap().is_empty())
        .unwrap();
    ids.push(with_organisation["organisations"][0]["organisation"]["id"].clone());

    let found = app
        .data_with(
            "query($ids: [ID!]!) { nodes(ids: $ids) { __typename id } }",
            json!({ "ids": ids }),
        )
        .await;
    let types: Vec<&str> = found["nodes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|node| node["__typename"].as_str().unwrap())
        .collect();
    assert_eq!(
        types,
        [
            "Meeting",
            "MeetingParticipant",
            "Professional",
            "Position",
            "MeetingTopic",
            "Initiative",
            "Theme",
            "Territory",
            "Organisation"
        ]
    );
    for (node, id) in found["nodes"].as_array().unwrap().iter().zip(&ids) {
        assert_eq!(&node["id"], id);
        let single = app
            .data_with(
                "query($id: ID!) { node(id: $id) { id } }",
                json!({ "id": id }),
            )
            .await;
        assert_eq!(&single["node"]["id"], id);
    }
}

#[tokio::test]
async fn an_unknown_id_is_null_and_a_malformed_one_is_bad_input() {
    let app = TestApp::with_demo().await;
    let unknown = app
        .data(r#"{ node(id: "Theme:01936f3e-0000-7000-8000-000000000000") { id } }"#)
        .await;
    assert_eq!(unknown["node"], Value::Null);
    for malformed in [
        "42",
        "Theme:nope",
        "Planet:01936f3e-0000-7000-8000-000000000000",
        "",
    ] {
        let body = app
            .query_with(
                "query($id: ID!) { node(id: $id) { id } }",
                json!({ "id": malformed }),
            )
            .await;
        assert_eq!(error_codes(&body), ["BAD_USER_INPUT"], "{malformed}");
        assert_eq!(body["errors"][0]["extensions"]["field"], "id");
    }
}

#[tokio::test]
async fn nodes_takes_at_most_a_hundred_ids() {
    let app = TestApp::with_demo().await;
    let ids: Vec<String> = (0..101)
        .map(|_| format!("Theme:{}", uuid::Uuid::now_v7()))
        .collect();
    let body = app
        .query_with(
            "query($ids: [ID!]!) { nodes(ids: $ids) { id } }",
            json!({ "ids": ids }),
        )
        .await;
    assert_eq!(error_codes(&body), ["BAD_USER_INPUT"]);
}
