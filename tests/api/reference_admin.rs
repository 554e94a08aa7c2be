//! Keeping reference data clean: who may change it, validation, slugs that keep
//! resolving, deletes refused while referenced unless a replacement is named, and merges.

use entity::enums::{ModerationAction, Role, SubjectType};
use sea_orm::EntityTrait;
use serde_json::{Value, json};

use crate::{
    fixtures::{NewInitiative, audit_log, insert_initiative},
    helpers::{TestApp, error_codes},
};

const UNKNOWN: &str = "01930000-0000-7000-8000-000000000000";
const OTHER_UNKNOWN: &str = "01930000-0000-7000-8000-000000000001";

async fn run(app: &TestApp, token: Option<&str>, query: &str, variables: Value) -> Value {
    match token {
        Some(token) => app.query_as(token, query, variables).await,
        None => app.query_with(query, variables).await,
    }
}

/// The one error code of a response, or `OK`.
fn outcome(body: &Value) -> String {
    error_codes(body)
        .first()
        .cloned()
        .unwrap_or_else(|| "OK".to_owned())
}

/// The first error's `extensions.field`.
fn field(body: &Value) -> &str {
    body["errors"][0]["extensions"]["field"]
        .as_str()
        .unwrap_or_default()
}

struct Tokens {
    partner: String,
    moderator: String,
    admin: String,
}

async fn tokens(app: &TestApp) -> Tokens {
    Tokens {
        partner: app
            .account("afev@exemple.fr", Role::Partner, Some("afev"))
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
    }
}

#[tokio::test]
async fn themes_and_meetings_are_for_moderators_and_admins_the_rest_of_reference_data_for_admins() {
    let app = TestApp::with_demo().await;
    let tokens = tokens(&app).await;
    let theme = app.id_of(r#"theme(slug: "vie-associative")"#).await;
    let organisation = app.id_of(r#"organisation(slug: "afev")"#).await;
    let professional = app.id_of(r#"professional(slug: "johan-chanal")"#).await;
    let territory = app.id_of(r#"territory(slug: "metz")"#).await;
    let meeting = app
        .id_of(r#"meeting(slug: "gouter-visio-dsu-grand-est-2020-05-14")"#)
        .await;
    let unknown = |kind: &str| format!("{kind}:{UNKNOWN}");
    let other = |kind: &str| format!("{kind}:{OTHER_UNKNOWN}");
    // (mutation, variables, whether moderators may).
    let mutations = [
        (
            "mutation { createTheme(input: { name: \"Matrice\" }) { theme { id } } }",
            json!({}),
            true,
        ),
        (
            "mutation ($id: ID!) { updateTheme(input: { id: $id, position: 9 }) { theme { id } } }",
            json!({ "id": theme }),
            true,
        ),
        (
            "mutation ($id: ID!) { deleteTheme(input: { id: $id }) { deletedId } }",
            json!({ "id": unknown("Theme") }),
            true,
        ),
        (
            "mutation ($a: ID!, $b: ID!) { mergeThemes(input: { keptId: $a, mergedId: $b }) { theme { id } } }",
            json!({ "a": unknown("Theme"), "b": other("Theme") }),
            true,
        ),
        (
            "mutation { createOrganisation(input: { name: \"Matrice\", kind: ASSOCIATION }) { organisation { id } } }",
            json!({}),
            false,
        ),
        (
            "mutation ($id: ID!) { updateOrganisation(input: { id: $id, description: \"x\" }) { organisation { id } } }",
            json!({ "id": organisation }),
            false,
        ),
        (
            "mutation ($id: ID!) { deleteOrganisation(input: { id: $id }) { deletedId } }",
            json!({ "id": unknown("Organisation") }),
            false,
        ),
        (
            "mutation ($a: ID!, $b: ID!) { mergeOrganisations(input: { keptId: $a, mergedId: $b }) { organisation { id } } }",
            json!({ "a": unknown("Organisation"), "b": other("Organisation") }),
            false,
        ),
        (
            "mutation { createProfessional(input: { givenName: \"Ma\", familyName: \"Trice\" }) { professional { id } } }",
            json!({}),
            false,
        ),
        (
            "mutation ($id: ID!) { updateProfessional(input: { id: $id, phone: null }) { professional { id } } }",
            json!({ "id": professional }),
            false,
        ),
        (
            "mutation ($id: ID!) { deleteProfessional(input: { id: $id }) { deletedId } }",
            json!({ "id": unknown("Professional") }),
            false,
        ),
        (
            "mutation ($a: ID!, $b: ID!) { mergeProfessionals(input: { keptId: $a, mergedId: $b }) { professional { id } } }",
            json!({ "a": unknown("Professional"), "b": other("Professional") }),
            false,
        ),
        (
            "mutation ($p: ID!, $o: ID!) { createPosition(input: { professionalId: $p, organisationId: $o, jobTitle: \"Chargée de mission\" }) { position { id } } }",
            json!({ "p": professional, "o": organisation }),
            false,
        ),
        (
            "mutation ($id: ID!) { updatePosition(input: { id: $id, field: null }) { position { id } } }",
            json!({ "id": unknown("Position") }),
            false,
        ),
        (
            "mutation ($id: ID!) { deletePosition(id: $id) { deletedId } }",
            json!({ "id": unknown("Position") }),
            false,
        ),
        (
            "mutation { createTerritory(input: { name: \"Matrice\", kind: OTHER }) { territory { id } } }",
            json!({}),
            false,
        ),
        (
            "mutation ($id: ID!) { updateTerritory(input: { id: $id, latitude: 49.12 }) { territory { id } } }",
            json!({ "id": territory }),
            false,
        ),
        (
            "mutation ($id: ID!) { deleteTerritory(input: { id: $id }) { deletedId } }",
            json!({ "id": unknown("Territory") }),
            false,
        ),
        (
            r#"mutation { createMeeting(input: { title: "Matrice", heldOn: "2020-06-11",
                format: VIDEO }) { meeting { id } } }"#,
            json!({}),
            true,
        ),
        (
            "mutation ($id: ID!) { updateMeeting(input: { id: $id, format: HYBRID }) { meeting { id } } }",
            json!({ "id": meeting }),
            true,
        ),
        (
            "mutation ($id: ID!) { deleteMeeting(input: { id: $id }) { deletedId } }",
            json!({ "id": unknown("Meeting") }),
            false,
        ),
    ];
    for (mutation, variables, moderators_may) in mutations {
        for (who, token) in [
            ("anonymous", None),
            ("partner", Some(tokens.partner.as_str())),
            ("moderator", Some(tokens.moderator.as_str())),
            ("admin", Some(tokens.admin.as_str())),
        ] {
            let body = run(&app, token, mutation, variables.clone()).await;
            let code = outcome(&body);
            let allowed = who == "admin" || (who == "moderator" && moderators_may);
            match who {
                "anonymous" => assert_eq!(code, "UNAUTHENTICATED", "{who}: {mutation}"),
                _ if !allowed => assert_eq!(code, "FORBIDDEN", "{who}: {mutation}"),
                _ => assert!(
                    !["FORBIDDEN", "UNAUTHENTICATED", "INTERNAL_SERVER_ERROR"]
                        .contains(&code.as_str()),
                    "{who} may: {mutation} -> {body}"
                ),
            }
        }
    }
}

const CREATE_ORGANISATION: &str = "mutation ($input: CreateOrganisationInput!) {
    createOrganisation(input: $input) { organisation { id slug name website } } }";
const UPDATE_ORGANISATION: &str = "mutation ($input: UpdateOrganisationInput!) {
    updateOrganisation(input: $input) { organisation { id slug name website description } } }";

#[tokio::test]
async fn slugs_are_made_from_names_unique_and_a_renamed_slug_keeps_resolving() {
    let app = TestApp::with_demo().await;
    let admin = tokens(&app).await.admin;
    let create = |name: &str| {
        json!({ "input": { "name": name, "kind": "ASSOCIATION",
                           "website": "https://www.exemple.fr" } })
    };
    let first = app
        .data_as(
            &admin,
            CREATE_ORGANISATION,
            create("Les Petits Débrouillards"),
        )
        .await;
    let first = &first["createOrganisation"]["organisation"];
    assert_eq!(first["slug"], "les-petits-debrouillards");
    let second = app
        .data_as(
            &admin,
            CREATE_ORGANISATION,
            create("Les petits débrouillards !"),
        )
        .await;
    assert_eq!(
        second["createOrganisation"]["organisation"]["slug"],
        "les-petits-debrouillards-2"
    );

    let renamed = app
        .data_as(
            &admin,
            UPDATE_ORGANISATION,
            json!({ "input": { "id": first["id"], "name": "Petits Débrouillards Grand Est",
                               "website": null, "description": "Culture scientifique" } }),
        )
        .await;
    let renamed = &renamed["updateOrganisation"]["organisation"];
    assert_eq!(renamed["slug"], "petits-debrouillards-grand-est");
    assert_eq!(renamed["website"], Value::Null);
    assert_eq!(renamed["description"], "Culture scientifique");
    let data = app
        .data(
            r#"{ old: organisation(slug: "les-petits-debrouillards") { id name }
                 new: organisation(slug: "petits-debrouillards-grand-est") { id } }"#,
        )
        .await;
    assert_eq!(
        data["old"]["id"], first["id"],
        "the old slug still resolves"
    );
    assert_eq!(data["old"]["name"], "Petits Débrouillards Grand Est");
    assert_eq!(data["new"]["id"], first["id"]);
    // Loading the demo again does not bring back a demo organisation an admin renamed.
    let afev = app.id_of(r#"organisation(slug: "afev")"#).await;
    app.data_as(
        &admin,
        UPDATE_ORGANISATION,
        json!({ "input": { "id": afev, "name": "AFEV Grand Est" } }),
    )
    .await;
    let report = communs::demo::load(app.db(), &crate::helpers::test_erasure_key())
        .await
        .unwrap();
    assert!(!report.inserted_anything(), "{report:?}");
    // The old slug is taken: a new organisation gets another one.
    let third = app
        .data_as(
            &admin,
            CREATE_ORGANISATION,
            create("Les Petits Débrouillards"),
        )
        .await;
    assert_eq!(
        third["createOrganisation"]["organisation"]["slug"],
        "les-petits-debrouillards-3"
    );
}

#[tokio::test]
async fn reference_data_is_validated_at_the_edge() {
    let app = TestApp::with_demo().await;
    let admin = tokens(&app).await.admin;
    let moselle = app.id_of(r#"territory(slug: "moselle")"#).await;
    let metz = app.id_of(r#"territory(slug: "metz")"#).await;
    let person = app.id_of(r#"professional(slug: "johan-chanal")"#).await;
    let afev = app.id_of(r#"organisation(slug: "afev")"#).await;
    let cases = [
        (
            "a municipality code has five characters",
            "mutation { createTerritory(input: { name: \"X\", kind: MUNICIPALITY, officialCode: \"5746\" }) { territory { id } } }",
            json!({}),
            "BAD_USER_INPUT",
            "input.officialCode",
        ),
        (
            "a SIREN has nine digits and a valid check digit",
            "mutation { createTerritory(input: { name: \"X\", kind: INTERCOMMUNALITY, officialCode: \"200039866\" }) { territory { id } } }",
            json!({}),
            "BAD_USER_INPUT",
            "input.officialCode",
        ),
        (
            "two municipalities never share a code",
            "mutation { createTerritory(input: { name: \"Metz bis\", kind: MUNICIPALITY, officialCode: \"57463\" }) { territory { id } } }",
            json!({}),
            "CONFLICT",
            "",
        ),
        (
            "a territory cannot lie within what it contains",
            "mutation ($id: ID!, $parent: ID!) { updateTerritory(input: { id: $id, parentIds: [$parent] }) { territory { id } } }",
            json!({ "id": moselle, "parent": metz }),
            "BAD_USER_INPUT",
            "input.parentIds[0]",
        ),
        (
            "nor within itself",
            "mutation ($id: ID!) { updateTerritory(input: { id: $id, parentIds: [$id] }) { territory { id } } }",
            json!({ "id": metz }),
            "BAD_USER_INPUT",
            "input.parentIds[0]",
        ),
        (
            "validity ends after it starts",
            "mutation { createTerritory(input: { name: \"QPV\", kind: OTHER, validFrom: \"2024-01-01\", validTo: \"2015-01-01\" }) { territory { id } } }",
            json!({}),
            "BAD_USER_INPUT",
            "input.validTo",
        ),
        (
            "websites are http(s)",
            "mutation { createOrganisation(input: { name: \"X\", kind: OTHER, website: \"javascript:alert(1)\" }) { organisation { id } } }",
            json!({}),
            "BAD_USER_INPUT",
            "input.website",
        ),
        (
            "names are not blank",
            "mutation { createOrganisation(input: { name: \"   \", kind: OTHER }) { organisation { id } } }",
            json!({}),
            "BAD_USER_INPUT",
            "input.name",
        ),
        (
            "e-mail addresses are valid",
            "mutation { createProfessional(input: { givenName: \"A\", familyName: \"B\", email: \"a.b@\" }) { professional { id } } }",
            json!({}),
            "BAD_USER_INPUT",
            "input.email",
        ),
        (
            "a position ends after it starts",
            "mutation ($p: ID!, $o: ID!) { createPosition(input: { professionalId: $p, organisationId: $o, jobTitle: \"Chargé de mission\", startedOn: \"2021-09-01\", endedOn: \"2020-09-01\" }) { position { id } } }",
            json!({ "p": person, "o": afev }),
            "BAD_USER_INPUT",
            "input.endedOn",
        ),
    ];
    for (rule, mutation, variables, code, expected_field) in cases {
        let body = app.query_as(&admin, mutation, variables).await;
        assert_eq!(outcome(&body), code, "{rule}: {body}");
        if !expected_field.is_empty() {
            assert_eq!(field(&body), expected_field, "{rule}: {body}");
        }
    }
    let territories = app
        .data(r#"{ territories(filter: { nameContains: "X" }) { totalCount } }"#)
        .await;
    assert_eq!(
        territories["territories"]["totalCount"], 0,
        "nothing half-written"
    );
}

#[tokio::test]
async fn a_referenced_row_is_deleted_only_with_a_replacement_that_takes_its_references() {
    let app = TestApp::with_demo().await;
    let admin = tokens(&app).await.admin;
    let theme = app.id_of(r#"theme(slug: "vie-associative")"#).await;
    let replacement = app
        .id_of(r#"theme(slug: "cooperation-et-partenariats")"#)
        .await;
    let delete = "mutation ($id: ID!, $by: ID) {
        deleteTheme(input: { id: $id, replacementId: $by }) { deletedId } }";
    let refused = app
        .query_as(&admin, delete, json!({ "id": theme, "by": null }))
        .await;
    assert_eq!(error_codes(&refused), ["CONFLICT"]);
    let message = refused["errors"][0]["message"].as_str().unwrap();
    assert!(message.contains("initiatives"), "{message}");

    let count = |slug: &'static str| {
        let app = &app;
        async move {
            let data = app
                .data(&format!(
                    r#"{{ theme(slug: "{slug}") {{ id }}
                         initiatives(filter: {{ themeIds: [{id}] }}) {{ totalCount }} }}"#,
                    id = format_args!(
                        "\"{}\"",
                        app.id_of(&format!(r#"theme(slug: "{slug}")"#)).await
                    )
                ))
                .await;
            data["initiatives"]["totalCount"].as_i64().unwrap()
        }
    };
    let before = count("cooperation-et-partenariats").await;
    app.data_as(&admin, delete, json!({ "id": theme, "by": replacement }))
        .await;
    let after = count("cooperation-et-partenariats").await;
    assert!(after > before, "{before} -> {after}");
    let data = app
        .data(r#"{ old: theme(slug: "vie-associative") { slug } }"#)
        .await;
    assert_eq!(data["old"]["slug"], "cooperation-et-partenariats");
    let deleted = audit_log(app.db()).await.into_iter().any(|event| {
        event.action == ModerationAction::Delete && event.subject_type == SubjectType::Theme
    });
    assert!(deleted, "the delete is logged");

    // An unreferenced row goes without a replacement.
    let lonely = app
        .data_as(
            &admin,
            "mutation { createTheme(input: { name: \"Sans usage\" }) { theme { id } } }",
            json!({}),
        )
        .await;
    let lonely = lonely["createTheme"]["theme"]["id"].clone();
    app.data_as(&admin, delete, json!({ "id": lonely, "by": null }))
        .await;
    assert_eq!(
        app.data(r#"{ theme(slug: "sans-usage") { id } }"#).await["theme"],
        Value::Null
    );
}

#[tokio::test]
async fn merging_two_organisations_moves_every_reference_to_the_one_kept() {
    let app = TestApp::with_demo().await;
    let tokens = tokens(&app).await;
    let duplicate = app
        .data_as(
            &tokens.admin,
            CREATE_ORGANISATION,
            json!({ "input": { "name": "AFEV Metz", "kind": "ASSOCIATION" } }),
        )
        .await;
    let duplicate_id = duplicate["createOrganisation"]["organisation"]["id"].clone();
    let initiative = insert_initiative(
        app.db(),
        NewInitiative {
            title: "Soutien scolaire en visio",
            organisations: &["afev"],
            ..Default::default()
        },
    )
    .await;
    let other = insert_initiative(
        app.db(),
        NewInitiative {
            title: "Ateliers numériques",
            ..Default::default()
        },
    )
    .await;
    // Both organisations on one initiative, and the duplicate alone on another.
    for (initiative, slug) in [(initiative, "afev-metz"), (other, "afev-metz")] {
        entity::initiative_organisation::Entity::insert(
            entity::initiative_organisation::ActiveModel {
                initiative_id: sea_orm::Set(initiative),
                organisation_id: sea_orm::Set(
                    communs::store::reference::organisation_id(app.db(), slug)
                        .await
                        .unwrap()
                        .unwrap(),
                ),
                role: sea_orm::Set(entity::enums::OrganisationRole::Partner),
            },
        )
        .exec_without_returning(app.db())
        .await
        .unwrap();
    }
    let kept = app.id_of(r#"organisation(slug: "afev")"#).await;
    let before = app
        .data(&format!(
            r#"{{ initiatives(filter: {{ organisationIds: ["{kept}"] }}) {{ totalCount }} }}"#
        ))
        .await["initiatives"]["totalCount"]
        .as_i64()
        .unwrap();
    let merge = "mutation ($a: ID!, $b: ID!) {
        mergeOrganisations(input: { keptId: $a, mergedId: $b }) { organisation { slug } } }";
    let body = app
        .query_as(
            &tokens.moderator,
            merge,
            json!({ "a": kept, "b": duplicate_id }),
        )
        .await;
    assert_eq!(error_codes(&body), ["FORBIDDEN"]);
    let merged = app
        .data_as(
            &tokens.admin,
            merge,
            json!({ "a": kept, "b": duplicate_id }),
        )
        .await;
    assert_eq!(merged["mergeOrganisations"]["organisation"]["slug"], "afev");
    let data = app
        .data(&format!(
            r#"{{ initiatives(filter: {{ organisationIds: ["{kept}"] }}) {{ totalCount }}
                 old: organisation(slug: "afev-metz") {{ slug }}
                 node(id: "{duplicate_id}") {{ id }} }}"#,
            duplicate_id = duplicate_id.as_str().unwrap()
        ))
        .await;
    assert_eq!(
        data["initiatives"]["totalCount"].as_i64().unwrap(),
        before + 1
    );
    assert_eq!(
        data["old"]["slug"], "afev",
        "the merged slug resolves to the kept one"
    );
    assert_eq!(data["node"], Value::Null);
    let merges: Vec<_> = audit_log(app.db())
        .await
        .into_iter()
        .filter(|event| event.action == ModerationAction::Merge)
        .collect();
    assert_eq!(merges.len(), 1);
    assert_eq!(merges[0].subject_type, SubjectType::Organisation);
}

#[tokio::test]
async fn merging_two_professionals_keeps_their_history_and_the_stricter_visibility() {
    let app = TestApp::with_demo().await;
    let admin = tokens(&app).await.admin;
    let duplicate = app
        .data_as(
            &admin,
            "mutation { createProfessional(input: { givenName: \"Julie\",
                familyName: \"Parachini\", email: \"j.parachini@exemple.fr\",
                contactVisibility: PRIVATE }) { professional { id slug } } }",
            json!({}),
        )
        .await;
    let duplicate = &duplicate["createProfessional"]["professional"];
    assert_eq!(duplicate["slug"], "julie-parachini-2");
    let afev = app.id_of(r#"organisation(slug: "afev")"#).await;
    app.data_as(
        &admin,
        "mutation ($p: ID!, $o: ID!) { createPosition(input: { professionalId: $p,
            organisationId: $o, jobTitle: \"Bénévole\", startedOn: \"2019-01-01\" }) {
            position { id } } }",
        json!({ "p": duplicate["id"], "o": afev }),
    )
    .await;
    let kept = app.id_of(r#"professional(slug: "julie-parachini")"#).await;
    let merged = app
        .data_as(
            &admin,
            "mutation ($a: ID!, $b: ID!) { mergeProfessionals(input: { keptId: $a, mergedId: $b }) {
                professional { slug email currentPositions { jobTitle } } } }",
            json!({ "a": kept, "b": duplicate["id"] }),
        )
        .await;
    let person = &merged["mergeProfessionals"]["professional"];
    assert_eq!(person["slug"], "julie-parachini");
    assert_eq!(person["email"], "j.parachini@exemple.fr", "admins see it");
    let mut titles: Vec<String> = person["currentPositions"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["jobTitle"].as_str().unwrap().to_owned())
        .collect();
    titles.sort();
    assert_eq!(titles, ["Bénévole", "Cohésion sociale"]);
    let public = app
        .data(r#"{ professional(slug: "julie-parachini-2") { slug email } professionals { totalCount } }"#)
        .await;
    assert_eq!(public["professional"]["slug"], "julie-parachini");
    assert_eq!(public["professional"]["email"], Value::Null, "PRIVATE won");
    assert_eq!(public["professionals"]["totalCount"], 8);
}

#[tokio::test]
async fn a_moderator_merges_two_themes_and_their_initiatives_follow() {
    let app = TestApp::with_demo().await;
    let moderator = tokens(&app).await.moderator;
    let kept = app.id_of(r#"theme(slug: "aide-alimentaire")"#).await;
    let merged = app.id_of(r#"theme(slug: "confection-de-masques")"#).await;
    let count = |id: String| {
        let app = &app;
        async move {
            app.data(&format!(
                r#"{{ initiatives(filter: {{ themeIds: ["{id}"] }}) {{ totalCount }} }}"#
            ))
            .await["initiatives"]["totalCount"]
                .as_i64()
                .unwrap()
        }
    };
    let (a, b) = (count(kept.clone()).await, count(merged.clone()).await);
    assert!(a > 0 && b > 0);
    app.data_as(
        &moderator,
        "mutation ($a: ID!, $b: ID!) { mergeThemes(input: { keptId: $a, mergedId: $b }) { theme { id } } }",
        json!({ "a": kept, "b": merged }),
    )
    .await;
    let after = count(kept.clone()).await;
    assert!(after >= a.max(b) && after <= a + b, "{a} + {b} -> {after}");
    let old = app
        .data(r#"{ theme(slug: "confection-de-masques") { slug } }"#)
        .await;
    assert_eq!(old["theme"]["slug"], "aide-alimentaire");
    let self_merge = app
        .query_as(
            &moderator,
            "mutation ($a: ID!) { mergeThemes(input: { keptId: $a, mergedId: $a }) { theme { id } } }",
            json!({ "a": kept }),
        )
        .await;
    assert_eq!(error_codes(&self_merge), ["BAD_USER_INPUT"]);
}

#[tokio::test]
async fn a_failed_merge_changes_nothing() {
    let app = TestApp::with_demo().await;
    let admin = tokens(&app).await.admin;
    let one = app
        .account("une@exemple.fr", Role::Partner, Some("afev"))
        .await;
    let two = app
        .account("deux@exemple.fr", Role::Partner, Some("afev"))
        .await;
    crate::fixtures::link_professional_to_account(app.db(), "julie-parachini", &one.id).await;
    crate::fixtures::link_professional_to_account(app.db(), "julien-piquand", &two.id).await;
    let a = app.id_of(r#"professional(slug: "julie-parachini")"#).await;
    let b = app.id_of(r#"professional(slug: "julien-piquand")"#).await;
    let body = app
        .query_as(
            &admin,
            "mutation ($a: ID!, $b: ID!) { mergeProfessionals(input: { keptId: $a, mergedId: $b }) { professional { id } } }",
            json!({ "a": a, "b": b }),
        )
        .await;
    assert_eq!(error_codes(&body), ["CONFLICT"]);
    let data = app
        .data(r#"{ professional(slug: "julien-piquand") { currentPositions { jobTitle } } }"#)
        .await;
    assert_eq!(
        data["professional"]["currentPositions"][0]["jobTitle"],
        "Rénovation urbaine"
    );
}

const CREATE_MEETING: &str = "mutation ($input: CreateMeetingInput!) {
    createMeeting(input: $input) { meeting { id slug title
        participants { role jobTitle professional { slug } }
        topics { position question } initiatives { slug } } } }";

#[tokio::test]
async fn a_moderator_records_a_meeting_with_its_participants_topics_and_initiatives() {
    let app = TestApp::with_demo().await;
    let tokens = tokens(&app).await;
    let person = |slug: &str| format!(r#"professional(slug: "{slug}")"#);
    let julie = app.id_of(&person("julie-parachini")).await;
    let johan = app.id_of(&person("johan-chanal")).await;
    let initiative = app
        .id_of(r#"initiative(slug: "club-d-echecs-en-mode-virtuel")"#)
        .await;
    let created = app
        .data_as(
            &tokens.moderator,
            CREATE_MEETING,
            json!({ "input": {
                "title": "Goûter visio DSU Grand Est",
                "heldOn": "2020-06-11",
                "format": "VIDEO",
                "participants": [
                    { "professionalId": johan, "role": "FACILITATOR" },
                    { "professionalId": julie, "jobTitle": "Cohésion sociale" },
                ],
                "topics": ["Quelle suite pour les paniers solidaires ?"],
                "initiativeIds": [initiative],
            } }),
        )
        .await;
    let meeting = &created["createMeeting"]["meeting"];
    assert_eq!(meeting["slug"], "gouter-visio-dsu-grand-est-2020-06-11");
    assert_eq!(meeting["participants"][0]["role"], "FACILITATOR");
    assert_eq!(
        meeting["participants"][0]["professional"]["slug"],
        "johan-chanal"
    );
    assert_eq!(meeting["participants"][1]["jobTitle"], "Cohésion sociale");
    assert_eq!(meeting["topics"][0]["position"], 0);
    assert_eq!(
        meeting["initiatives"][0]["slug"],
        "club-d-echecs-en-mode-virtuel"
    );

    let updated = app
        .data_as(
            &tokens.moderator,
            "mutation ($id: ID!, $p: ID!) { updateMeeting(input: { id: $id,
                heldOn: \"2020-06-18\", participants: [{ professionalId: $p }], topics: [] }) {
                meeting { slug participants { professional { slug } } topics { question } } } }",
            json!({ "id": meeting["id"], "p": julie }),
        )
        .await;
    let updated = &updated["updateMeeting"]["meeting"];
    assert_eq!(updated["slug"], "gouter-visio-dsu-grand-est-2020-06-18");
    assert_eq!(updated["participants"].as_array().unwrap().len(), 1);
    assert_eq!(updated["topics"], json!([]));
    let old = app
        .data(r#"{ meeting(slug: "gouter-visio-dsu-grand-est-2020-06-11") { slug } }"#)
        .await;
    assert_eq!(
        old["meeting"]["slug"],
        "gouter-visio-dsu-grand-est-2020-06-18"
    );

    let bad = app
        .query_as(
            &tokens.moderator,
            CREATE_MEETING,
            json!({ "input": { "title": "Doublon", "heldOn": "2020-06-25", "format": "VIDEO",
                "participants": [{ "professionalId": julie }, { "professionalId": julie }] } }),
        )
        .await;
    assert_eq!(field(&bad), "input.participants[1].professionalId", "{bad}");

    let delete = "mutation ($id: ID!, $by: ID) {
        deleteMeeting(input: { id: $id, replacementId: $by }) { deletedId } }";
    let refused = app
        .query_as(
            &tokens.admin,
            delete,
            json!({ "id": meeting["id"], "by": null }),
        )
        .await;
    assert_eq!(
        error_codes(&refused),
        ["CONFLICT"],
        "an initiative was reported there"
    );
    let first = app
        .id_of(r#"meeting(slug: "gouter-visio-dsu-grand-est-2020-05-14")"#)
        .await;
    app.data_as(
        &tokens.admin,
        delete,
        json!({ "id": meeting["id"], "by": first }),
    )
    .await;
    let data = app
        .data(
            r#"{ meetings { totalCount } initiative(slug: "club-d-echecs-en-mode-virtuel") {
            meetings { slug } } }"#,
        )
        .await;
    assert_eq!(data["meetings"]["totalCount"], 1);
    assert_eq!(
        data["initiative"]["meetings"][0]["slug"],
        "gouter-visio-dsu-grand-est-2020-05-14"
    );
}

#[tokio::test]
async fn a_territory_or_a_person_in_use_is_deleted_only_with_a_replacement() {
    let app = TestApp::with_demo().await;
    let admin = tokens(&app).await.admin;
    let metz = app.id_of(r#"territory(slug: "metz")"#).await;
    let moselle = app.id_of(r#"territory(slug: "moselle")"#).await;
    let delete_territory = "mutation ($id: ID!, $by: ID) {
        deleteTerritory(input: { id: $id, replacementId: $by }) { deletedId } }";
    let refused = app
        .query_as(&admin, delete_territory, json!({ "id": metz, "by": null }))
        .await;
    assert_eq!(error_codes(&refused), ["CONFLICT"]);
    let message = refused["errors"][0]["message"].as_str().unwrap();
    assert!(
        message.contains("1 organisations") && message.contains("1 positions"),
        "{message}"
    );
    // A territory cannot be replaced by one it contains.
    let within = app
        .query_as(
            &admin,
            delete_territory,
            json!({ "id": moselle, "by": metz }),
        )
        .await;
    assert_eq!(field(&within), "input.replacementId", "{within}");
    let count = |id: String| {
        let app = &app;
        async move {
            app.data_with(
                "query ($id: ID!) { initiatives(filter: { territoryIds: [$id] }) { totalCount } }",
                json!({ "id": id }),
            )
            .await["initiatives"]["totalCount"]
                .as_i64()
                .unwrap()
        }
    };
    let before = count(moselle.clone()).await;
    app.data_as(
        &admin,
        delete_territory,
        json!({ "id": metz, "by": moselle }),
    )
    .await;
    assert_eq!(
        count(moselle.clone()).await,
        before,
        "Metz's initiatives were already within Moselle"
    );
    let organisation = app
        .data(r#"{ organisation(slug: "ville-de-metz") { territory { slug } } }"#)
        .await;
    assert_eq!(organisation["organisation"]["territory"]["slug"], "moselle");

    let person = app.id_of(r#"professional(slug: "johan-chanal")"#).await;
    let delete_person =
        "mutation ($id: ID!) { deleteProfessional(input: { id: $id }) { deletedId } }";
    let refused = app
        .query_as(&admin, delete_person, json!({ "id": person }))
        .await;
    assert_eq!(error_codes(&refused), ["CONFLICT"]);
    let message = refused["errors"][0]["message"].as_str().unwrap();
    assert!(
        message.contains("1 positions") && message.contains("1 meeting participations"),
        "{message}"
    );
    // Ending a position keeps it, out of the current ones.
    let positions = app
        .data(r#"{ professional(slug: "johan-chanal") { currentPositions { id } } }"#)
        .await;
    let position = positions["professional"]["currentPositions"][0]["id"].clone();
    app.data_as(
        &admin,
        "mutation ($id: ID!) { updatePosition(input: { id: $id, endedOn: \"2021-06-30\" }) {
            position { endedOn } } }",
        json!({ "id": position }),
    )
    .await;
    let current = app
        .data(r#"{ professional(slug: "johan-chanal") { currentPositions { id } } }"#)
        .await;
    assert_eq!(current["professional"]["currentPositions"], json!([]));
}
