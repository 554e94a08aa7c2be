//! The demo dataset: the 14 May 2020 meeting, faithfully.

use serde_json::{Value, json};

use crate::helpers::{TestApp, strings};

const MEETING: &str = r#"meeting(slug: "gouter-visio-dsu-grand-est-2020-05-14")"#;

#[tokio::test]
async fn the_demo_meeting_lists_the_eight_people_present_with_their_roles() {
    let app = TestApp::with_demo().await;
    let data = app
        .data(&format!(
            "{{ {MEETING} {{ title heldOn format organiser {{ name }}
                participants {{ role jobTitle professional {{ fullName }} }} }} }}"
        ))
        .await;
    let meeting = &data["meeting"];
    assert_eq!(meeting["heldOn"], "2020-05-14");
    assert_eq!(meeting["format"], "VIDEO");
    assert_eq!(
        meeting["organiser"]["name"],
        "Citoyens et Territoires Grand Est"
    );
    let participants = meeting["participants"].as_array().unwrap();
    let with_role = |role: &str| -> Vec<String> {
        participants
            .iter()
            .filter(|p| p["role"] == role)
            .map(|p| p["professional"]["fullName"].as_str().unwrap().to_owned())
            .collect()
    };
    assert_eq!(
        with_role("PARTICIPANT"),
        [
            "Séverine Aubry",
            "Christine Chevallay",
            "Charline Guirnao",
            "Julie Parachini",
            "Julien Piquand",
            "Marie-Hélène Pourel"
        ]
    );
    assert_eq!(
        with_role("FACILITATOR"),
        ["Claire Poinsignon", "Johan Chanal"]
    );
    let chevallay = participants
        .iter()
        .find(|p| p["professional"]["fullName"] == "Christine Chevallay")
        .unwrap();
    assert_eq!(chevallay["jobTitle"], "Directrice des solidarités");
}

#[tokio::test]
async fn the_demo_meeting_keeps_its_questions_for_next_time_in_order() {
    let app = TestApp::with_demo().await;
    let data = app
        .data(&format!(
            "{{ {MEETING} {{ agenda summary topics {{ position question }} }} }}"
        ))
        .await;
    let meeting = &data["meeting"];
    assert!(meeting["agenda"].as_str().unwrap().contains("confinement"));
    assert!(
        meeting["summary"]
            .as_str()
            .unwrap()
            .contains("On a fait du commun")
    );
    let topics = meeting["topics"].as_array().unwrap();
    assert_eq!(topics.len(), 5);
    let positions: Vec<i64> = topics
        .iter()
        .map(|t| t["position"].as_i64().unwrap())
        .collect();
    assert_eq!(positions, [1, 2, 3, 4, 5]);
    assert!(
        topics[0]["question"]
            .as_str()
            .unwrap()
            .contains("rentrée scolaire")
    );
    assert!(
        topics[4]["question"]
            .as_str()
            .unwrap()
            .contains("dynamiques partenariales")
    );
}

#[tokio::test]
async fn every_initiative_of_the_minutes_is_published_and_linked_to_the_meeting() {
    let app = TestApp::with_demo().await;
    let data = app
        .data(&format!(
            "{{ {MEETING} {{ initiatives {{ title status themes {{ name }} territories {{ name }}
                meetings {{ slug }} place {{ latitude longitude explicit }} }} }} }}"
        ))
        .await;
    let initiatives = data["meeting"]["initiatives"].as_array().unwrap();
    assert_eq!(initiatives.len(), 15);
    for initiative in initiatives {
        assert_eq!(initiative["status"], "PUBLISHED");
        assert!(
            !initiative["themes"].as_array().unwrap().is_empty(),
            "{initiative}"
        );
        assert!(
            !initiative["territories"].as_array().unwrap().is_empty(),
            "{initiative}"
        );
        assert_eq!(
            initiative["meetings"][0]["slug"],
            "gouter-visio-dsu-grand-est-2020-05-14"
        );
        // The minutes place most actions in the whole region, which has no point: only
        // those on a department or below are on the map.
        let on_the_region = initiative["territories"] == json!([{ "name": "Grand Est" }]);
        assert_eq!(initiative["place"].is_null(), on_the_region, "{initiative}");
    }
    let placed: Vec<_> = initiatives
        .iter()
        .filter(|initiative| !initiative["place"].is_null())
        .map(|initiative| &initiative["place"])
        .collect();
    assert_eq!(
        placed,
        [&json!({ "latitude": 48.573, "longitude": 7.752, "explicit": false })],
        "the CAF of the Bas-Rhin, at Strasbourg"
    );
    let titles = strings(&data["meeting"]["initiatives"], "title").join(" | ");
    for told in [
        "club d'échecs",
        "masques",
        "Petits-déjeuners",
        "AFEV",
        "CAF",
    ] {
        assert!(titles.contains(told), "{told} missing from {titles}");
    }
}

#[tokio::test]
async fn the_demo_invents_no_contact_details() {
    let app = TestApp::with_demo().await;
    let data = app
        .data("{ professionals(first: 100) { totalCount nodes { email phone } } }")
        .await;
    assert_eq!(data["professionals"]["totalCount"], 8);
    for person in data["professionals"]["nodes"].as_array().unwrap() {
        assert_eq!(person["email"], Value::Null);
        assert_eq!(person["phone"], Value::Null);
    }
}

#[tokio::test]
async fn loading_the_demo_twice_changes_nothing() {
    let app = TestApp::with_demo().await;
    let counts = "{ initiatives { totalCount } territories { totalCount }
        organisations { totalCount } professionals { totalCount } meetings { totalCount } }";
    let before = app.data(counts).await;
    let report = communs::demo::load(app.db(), &crate::helpers::test_erasure_key())
        .await
        .unwrap();
    assert!(!report.inserted_anything(), "{report:?}");
    assert_eq!(app.data(counts).await, before);
    assert_eq!(before["initiatives"]["totalCount"], 15);
    assert_eq!(before["territories"]["totalCount"], 11);
}
