//! People's data rights: contact visibility chosen by the person or an admin, a copy of
//! everything held about them, and erasure that leaves nothing of them in the API.

use entity::enums::{ContactVisibility, ModerationAction, Role, SubjectType};
use serde_json::{Value, json};

use crate::{
    fixtures::{
        NewInitiative, add_initiative_contact, audit_log, insert_initiative,
        link_professional_to_account, set_contact_details,
    },
    helpers::{TestApp, error_codes},
};

const PERSON: &str = "julie-parachini";
const EMAIL: &str = "julie-parachini@exemple.fr";

const SET_VISIBILITY: &str = "mutation ($id: ID!, $visibility: ContactVisibility!) {
    setContactVisibility(input: { professionalId: $id, visibility: $visibility }) {
        contactVisibility professional { slug email } } }";
const EXPORT: &str = "query ($id: ID!) { exportPersonalData(professionalId: $id) }";
const ERASE: &str = "mutation ($id: ID!) { erasePersonalData(professionalId: $id) {
    erasedId anonymousParticipations positionsRemoved contactsRemoved accountErased } }";

/// Runs `query` as the account of `token`, or anonymously.
async fn run(app: &TestApp, token: Option<&str>, query: &str, variables: Value) -> Value {
    match token {
        Some(token) => app.query_as(token, query, variables).await,
        None => app.query_with(query, variables).await,
    }
}

struct People {
    /// The person's own account (a partner).
    own: String,
    partner: String,
    moderator: String,
    admin: String,
    person_id: String,
}

async fn people(app: &TestApp) -> People {
    let own = app
        .account("julie@exemple.fr", Role::Partner, Some("ville-de-metz"))
        .await;
    link_professional_to_account(app.db(), PERSON, &own.id).await;
    set_contact_details(app.db(), PERSON, ContactVisibility::Private).await;
    People {
        own: own.token,
        partner: app
            .account("autre@exemple.fr", Role::Partner, Some("afev"))
            .await
            .token,
        moderator: app
            .account("moderation@exemple.fr", Role::Moderator, None)
            .await
            .token,
        admin: app
            .account("admin@exemple.fr", Role::Admin, None)
            .await
            .token,
        person_id: app
            .id_of(&format!(r#"professional(slug: "{PERSON}")"#))
            .await,
    }
}

#[tokio::test]
async fn the_person_or_an_admin_changes_contact_visibility_and_everyone_sees_it_at_once() {
    let app = TestApp::with_demo().await;
    let people = people(&app).await;
    let email = |data: Value| data["professional"]["email"].clone();
    let public_view = || async {
        email(
            app.data(&format!(
                r#"{{ professional(slug: "{PERSON}") {{ email }} }}"#
            ))
            .await,
        )
    };
    assert_eq!(public_view().await, Value::Null);

    for (who, token, expected) in [
        ("anonymous", None, Some("UNAUTHENTICATED")),
        ("another partner", Some(&people.partner), Some("FORBIDDEN")),
        ("a moderator", Some(&people.moderator), Some("FORBIDDEN")),
        ("the person", Some(&people.own), None),
        ("an admin", Some(&people.admin), None),
    ] {
        let body = run(
            &app,
            token.map(String::as_str),
            SET_VISIBILITY,
            json!({ "id": people.person_id, "visibility": "PUBLIC" }),
        )
        .await;
        match expected {
            Some(code) => assert_eq!(error_codes(&body), [code], "{who}: {body}"),
            None => {
                assert!(body.get("errors").is_none(), "{who}: {body}");
                assert_eq!(
                    body["data"]["setContactVisibility"]["contactVisibility"],
                    "PUBLIC"
                );
                assert_eq!(public_view().await, EMAIL, "{who}");
                // Back to private for the next caller.
                run(
                    &app,
                    token.map(String::as_str),
                    SET_VISIBILITY,
                    json!({ "id": people.person_id, "visibility": "PRIVATE" }),
                )
                .await;
                assert_eq!(public_view().await, Value::Null, "{who}");
            }
        }
    }
    let changes = audit_log(app.db())
        .await
        .into_iter()
        .filter(|event| event.action == ModerationAction::ChangeVisibility)
        .count();
    assert_eq!(changes, 4, "each change is logged");
}

#[tokio::test]
async fn the_person_or_an_admin_gets_everything_held_about_the_person_as_one_document() {
    let app = TestApp::with_demo().await;
    let people = people(&app).await;
    let initiative = insert_initiative(
        app.db(),
        NewInitiative {
            title: "Maraude numérique",
            ..Default::default()
        },
    )
    .await;
    add_initiative_contact(app.db(), initiative, PERSON).await;
    for (who, token, expected) in [
        ("anonymous", None, Some("UNAUTHENTICATED")),
        ("another partner", Some(&people.partner), Some("FORBIDDEN")),
        ("a moderator", Some(&people.moderator), Some("FORBIDDEN")),
        ("the person", Some(&people.own), None),
        ("an admin", Some(&people.admin), None),
    ] {
        let body = run(
            &app,
            token.map(String::as_str),
            EXPORT,
            json!({ "id": people.person_id }),
        )
        .await;
        if let Some(code) = expected {
            assert_eq!(error_codes(&body), [code], "{who}: {body}");
            assert_eq!(body["data"], Value::Null, "{who}");
            continue;
        }
        assert!(body.get("errors").is_none(), "{who}: {body}");
        let document = &body["data"]["exportPersonalData"];
        assert_eq!(document["professional"]["familyName"], "Parachini");
        assert_eq!(document["professional"]["email"], EMAIL);
        assert_eq!(document["professional"]["contactVisibility"], "PRIVATE");
        assert_eq!(document["account"]["email"], "julie@exemple.fr");
        assert!(document["account"].get("passwordHash").is_none());
        assert_eq!(document["positions"][0]["jobTitle"], "Cohésion sociale");
        assert_eq!(document["positions"][0]["organisation"], "Ville de Metz");
        assert_eq!(
            document["meetingParticipations"][0]["meetingSlug"],
            "gouter-visio-dsu-grand-est-2020-05-14"
        );
        assert_eq!(
            document["initiativeContacts"][0]["initiative"],
            "Maraude numérique"
        );
    }
    let unknown = app
        .query_as(
            &people.admin,
            EXPORT,
            json!({ "id": "Professional:01930000-0000-7000-8000-000000000000" }),
        )
        .await;
    assert_eq!(error_codes(&unknown), ["NOT_FOUND"]);
}

#[tokio::test]
async fn only_admins_erase_personal_data() {
    let app = TestApp::with_demo().await;
    let people = people(&app).await;
    for (who, token, code) in [
        ("anonymous", None, "UNAUTHENTICATED"),
        ("the person", Some(&people.own), "FORBIDDEN"),
        ("another partner", Some(&people.partner), "FORBIDDEN"),
        ("a moderator", Some(&people.moderator), "FORBIDDEN"),
    ] {
        let body = run(
            &app,
            token.map(String::as_str),
            ERASE,
            json!({ "id": people.person_id }),
        )
        .await;
        assert_eq!(error_codes(&body), [code], "{who}: {body}");
    }
    let data = app
        .data(&format!(
            r#"{{ professional(slug: "{PERSON}") {{ familyName }} }}"#
        ))
        .await;
    assert_eq!(
        data["professional"]["familyName"], "Parachini",
        "still there"
    );
}

/// Everything the public API and a partner can reach about people, as one text.
async fn crawl(app: &TestApp, token: Option<&str>, person_id: &str) -> String {
    let query = r#"query ($id: ID!) {
        professionals(first: 100) { totalCount nodes { id slug givenName familyName fullName
            email phone currentPositions { id jobTitle organisation { name } } } }
        bySlug: professional(slug: "julie-parachini") { id }
        byId: professional(id: $id) { id }
        node(id: $id) { id }
        meetings(first: 100) { nodes { participants { id role jobTitle
            professional { id fullName email phone } } } }
        initiatives(first: 100) { nodes { slug contacts { id fullName email phone } } }
        search: initiatives(filter: { search: "Parachini" }) { totalCount }
    }"#;
    let body = run(app, token, query, json!({ "id": person_id })).await;
    assert!(body.get("errors").is_none(), "{body}");
    body.to_string()
}

#[tokio::test]
async fn after_an_erasure_no_query_returns_anything_of_the_person() {
    let app = TestApp::with_demo().await;
    let people = people(&app).await;
    let initiative = insert_initiative(
        app.db(),
        NewInitiative {
            title: "Maraude numérique",
            ..Default::default()
        },
    )
    .await;
    add_initiative_contact(app.db(), initiative, PERSON).await;
    app.data_as(
        &people.admin,
        SET_VISIBILITY,
        json!({ "id": people.person_id, "visibility": "PUBLIC" }),
    )
    .await;
    let uuid = people
        .person_id
        .trim_start_matches("Professional:")
        .to_owned();
    let before = crawl(&app, None, &people.person_id).await;
    for trace in ["Parachini", EMAIL, uuid.as_str()] {
        assert!(
            before.contains(trace),
            "the crawl reaches the person before: {trace}"
        );
    }

    let erased = app
        .data_as(&people.admin, ERASE, json!({ "id": people.person_id }))
        .await;
    let report = &erased["erasePersonalData"];
    assert_eq!(report["anonymousParticipations"], 1);
    assert_eq!(report["positionsRemoved"], 1);
    assert_eq!(report["contactsRemoved"], 1);
    assert_eq!(report["accountErased"], true);

    for (who, token) in [
        ("the public", None),
        ("a partner", Some(people.partner.as_str())),
    ] {
        let after = crawl(&app, token, &people.person_id).await;
        for trace in [
            "Parachini",
            "parachini",
            EMAIL,
            "03 87 00 00 00",
            uuid.as_str(),
        ] {
            assert!(
                !after.contains(trace),
                "{who} still reaches {trace}: {after}"
            );
        }
    }
    // Not even admins find the person's account any more, and its token is revoked.
    let accounts = app
        .data_as(
            &people.admin,
            "{ users(first: 100) { nodes { email displayName } } }",
            json!({}),
        )
        .await
        .to_string();
    assert!(!accounts.contains("julie@exemple.fr"), "{accounts}");
    let own = app
        .post_graphql_as(&people.own, json!({ "query": "{ me { email } }" }))
        .await;
    assert_eq!(own.status(), reqwest::StatusCode::UNAUTHORIZED);
    // The meeting keeps an anonymous trace: it had one more participant.
    let data = app
        .data(
            r#"{ meeting(slug: "gouter-visio-dsu-grand-est-2020-05-14") {
                participants { role jobTitle professional { slug } } } }"#,
        )
        .await;
    let participants = data["meeting"]["participants"].as_array().unwrap();
    assert_eq!(participants.len(), 8, "{participants:?}");
    let anonymous: Vec<&Value> = participants
        .iter()
        .filter(|p| p["professional"].is_null())
        .collect();
    assert_eq!(anonymous.len(), 1);
    assert_eq!(anonymous[0]["role"], "PARTICIPANT");
    assert_eq!(anonymous[0]["jobTitle"], Value::Null);

    // The erasure is logged, without the erased data.
    let log = audit_log(app.db()).await;
    let erasure = log
        .iter()
        .find(|event| event.action == ModerationAction::Erase)
        .expect("the erasure is logged");
    assert_eq!(erasure.subject_type, SubjectType::Professional);
    for event in &log {
        let comment = event.comment.clone().unwrap_or_default();
        assert!(
            !comment.contains("Parachini") && !comment.contains(EMAIL),
            "{comment}"
        );
    }
    // Erasing twice finds no one.
    let again = app
        .query_as(&people.admin, ERASE, json!({ "id": people.person_id }))
        .await;
    assert_eq!(error_codes(&again), ["NOT_FOUND"]);
}

const MEETING: &str = "gouter-visio-dsu-grand-est-2020-05-14";

/// What an admin sees of the people: how many, their slugs and names, and their positions.
async fn people_as_admin(app: &TestApp, admin: &str) -> Value {
    app.data_as(
        admin,
        "{ professionals(first: 100) { totalCount nodes { slug familyName
            currentPositions { jobTitle organisation { slug } } } } }",
        json!({}),
    )
    .await
}

#[tokio::test]
async fn an_erased_demo_professional_and_their_position_stay_erased_when_the_demo_is_seeded_again()
{
    let app = TestApp::with_demo().await;
    let admin = app
        .account("admin@exemple.fr", Role::Admin, None)
        .await
        .token;
    let person_id = app
        .id_of(&format!(r#"professional(slug: "{PERSON}")"#))
        .await;
    let before = people_as_admin(&app, &admin).await;
    assert!(before.to_string().contains("Cohésion sociale"), "{before}");
    app.data_as(&admin, ERASE, json!({ "id": person_id })).await;
    let erased = people_as_admin(&app, &admin).await;
    assert_eq!(
        erased["professionals"]["totalCount"],
        before["professionals"]["totalCount"].as_i64().unwrap() - 1
    );

    let key = crate::helpers::test_erasure_key();
    let report = communs::demo::load(app.db(), &key).await.unwrap();
    assert!(!report.inserted_anything(), "{report:?}");
    // The person and their one position.
    assert_eq!(report.skipped_erased, 2, "{report:?}");
    let after = people_as_admin(&app, &admin).await;
    assert_eq!(after, erased);
    for trace in ["Parachini", PERSON, "Cohésion sociale"] {
        assert!(
            !after.to_string().contains(trace),
            "{trace} is back: {after}"
        );
    }
    let found = app
        .data_as(
            &admin,
            &format!(r#"{{ professional(slug: "{PERSON}") {{ id }} }}"#),
            json!({}),
        )
        .await;
    assert_eq!(found["professional"], Value::Null);

    // Seeding a second time changes nothing either.
    let meeting = format!(
        r#"{{ meeting(slug: "{MEETING}") {{ participants {{ role jobTitle professional {{ slug }} }} }} }}"#
    );
    let participants = app.data_as(&admin, &meeting, json!({})).await;
    assert_eq!(communs::demo::load(app.db(), &key).await.unwrap(), report);
    assert_eq!(people_as_admin(&app, &admin).await, erased);
    assert_eq!(app.data_as(&admin, &meeting, json!({})).await, participants);
}

#[tokio::test]
async fn a_meeting_seeded_anew_keeps_an_erased_persons_participation_anonymous() {
    let app = TestApp::with_demo().await;
    let admin = app
        .account("admin@exemple.fr", Role::Admin, None)
        .await
        .token;
    let person_id = app
        .id_of(&format!(r#"professional(slug: "{PERSON}")"#))
        .await;
    app.data_as(&admin, ERASE, json!({ "id": person_id })).await;
    // The meeting is removed behind the API's back (with its participants and topics), so
    // that the seed loads it anew.
    use sea_orm::ConnectionTrait;
    app.db()
        .execute_unprepared(&format!("DELETE FROM meeting WHERE slug = '{MEETING}'"))
        .await
        .unwrap();

    let report = communs::demo::load(app.db(), &crate::helpers::test_erasure_key())
        .await
        .unwrap();
    assert_eq!(report.meetings, 1, "{report:?}");
    assert_eq!(report.professionals, 0, "{report:?}");
    // The person, their position, their participation.
    assert_eq!(report.skipped_erased, 3, "{report:?}");
    let data = app
        .data_as(
            &admin,
            &format!(
                r#"{{ meeting(slug: "{MEETING}") {{ topics {{ question }}
                    participants {{ role jobTitle professional {{ slug familyName }} }} }} }}"#
            ),
            json!({}),
        )
        .await;
    let participants = data["meeting"]["participants"].as_array().unwrap();
    assert_eq!(participants.len(), 8, "{participants:?}");
    let anonymous: Vec<&Value> = participants
        .iter()
        .filter(|p| p["professional"].is_null())
        .collect();
    assert_eq!(anonymous.len(), 1, "{participants:?}");
    assert_eq!(anonymous[0]["role"], "PARTICIPANT");
    assert_eq!(anonymous[0]["jobTitle"], Value::Null);
    assert!(!data.to_string().contains("Parachini"), "{data}");
    assert!(!data["meeting"]["topics"].as_array().unwrap().is_empty());
}

#[tokio::test]
async fn the_tombstones_hold_no_name_email_or_phone_and_cover_former_slugs() {
    let app = TestApp::with_demo().await;
    let people = people(&app).await;
    // Renamed first: the demo slug is now a former slug.
    let renamed = app
        .data_as(
            &people.admin,
            "mutation ($id: ID!) { updateProfessional(input: { id: $id,
                familyName: \"Parachini-Weber\" }) { professional { slug } } }",
            json!({ "id": people.person_id }),
        )
        .await;
    let new_slug = renamed["updateProfessional"]["professional"]["slug"]
        .as_str()
        .unwrap()
        .to_owned();
    assert_ne!(new_slug, PERSON);
    app.data_as(&people.admin, ERASE, json!({ "id": people.person_id }))
        .await;

    use sea_orm::EntityTrait;
    use sha2::Digest;
    let tombstones = entity::erasure_tombstone::Entity::find()
        .all(app.db())
        .await
        .unwrap();
    // One for the slug, one for the former (demo) slug.
    assert_eq!(tombstones.len(), 2, "{tombstones:?}");
    let held = format!("{tombstones:?}").to_lowercase();
    let uuid = people.person_id.trim_start_matches("Professional:");
    for trace in [
        "julie",
        "parachini",
        EMAIL,
        "03 87 00 00 00",
        "0387000000",
        "julie@exemple.fr",
        uuid,
    ] {
        assert!(!held.contains(trace), "a tombstone holds {trace}: {held}");
    }
    // Keyed: not the bare hash of a slug, which anyone holding the seed file could compute.
    for slug in [PERSON, new_slug.as_str()] {
        let bare = sha2::Sha256::digest(slug.as_bytes())
            .iter()
            .map(|byte| format!("{byte:02x}"))
            .collect::<String>();
        assert!(!held.contains(&bare), "{slug} is hashed without a key");
    }

    let report = communs::demo::load(app.db(), &crate::helpers::test_erasure_key())
        .await
        .unwrap();
    assert!(!report.inserted_anything(), "{report:?}");
    let found = app
        .data_as(
            &people.admin,
            &format!(r#"{{ professional(slug: "{PERSON}") {{ id }} }}"#),
            json!({}),
        )
        .await;
    assert_eq!(found["professional"], Value::Null);
}

/// Every string of `value` under a key ending in `At` or named `at`, with its key.
fn instants(value: &Value, found: &mut Vec<(String, String)>) {
    match value {
        Value::Object(fields) => {
            for (key, field) in fields {
                if let (true, Some(text)) = (key == "at" || key.ends_with("At"), field.as_str()) {
                    found.push((key.clone(), text.to_owned()));
                }
                instants(field, found);
            }
        }
        Value::Array(items) => items.iter().for_each(|item| instants(item, found)),
        _ => {}
    }
}

#[tokio::test]
async fn the_export_writes_every_instant_as_the_date_time_scalar_does() {
    let app = TestApp::with_demo().await;
    let people = people(&app).await;
    let body = run(
        &app,
        Some(&people.own),
        EXPORT,
        json!({ "id": people.person_id }),
    )
    .await;
    let mut found = Vec::new();
    instants(&body["data"]["exportPersonalData"], &mut found);
    assert!(found.len() >= 3, "{found:?}");
    for (key, text) in &found {
        // RFC 3339 in UTC with `Z`, to the second: `2020-05-14T16:30:00Z`.
        assert!(
            text.len() == 20 && text.ends_with('Z') && text.as_bytes()[10] == b'T',
            "{key}: {text}"
        );
        assert!(
            chrono::DateTime::parse_from_rfc3339(text).is_ok(),
            "{key}: {text}"
        );
    }
    let scalar = app
        .data("{ initiatives(first: 1) { nodes { publishedAt } } }")
        .await;
    let published = scalar["initiatives"]["nodes"][0]["publishedAt"]
        .as_str()
        .unwrap();
    assert!(
        published.len() == 20 && published.ends_with('Z'),
        "{published}"
    );
}
