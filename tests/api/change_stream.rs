//! Every write tells the change stream what it changed, in its own transaction: the right
//! kind, subject and audience, ids only; nothing when it fails; in commit order.

use std::{process::Command, time::Duration};

use communs::events::{self, Audience, Change, ChangeKind, Subject, outbox};
use entity::{change_event, enums::Role};
use sea_orm::{EntityTrait, TransactionTrait};
use serde_json::{Value, json};
use uuid::Uuid;

use crate::{
    contributions::{UPDATE, draft, ids, moderate, submit},
    fixtures::link_professional_to_account,
    helpers::{TEST_ERASURE_KEY, TEST_PASSWORD, TestApp, error_codes},
};

const BINARY: &str = env!("CARGO_BIN_EXE_communs");

/// Where the stream is now: changes after it are the ones a test makes.
async fn position(app: &TestApp) -> i64 {
    outbox::last_sequence(app.db()).await.unwrap()
}

/// The changes appended after `after`, each as `KIND Type:uuid AUDIENCE`, in order.
async fn changes_after(app: &TestApp, after: i64) -> Vec<String> {
    let page = outbox::read_after(app.db(), after, 10_000).await.unwrap();
    page.changes
        .iter()
        .map(|change| {
            let audience = match change.audience {
                Audience::Public => "PUBLIC".to_owned(),
                Audience::Moderators => "MODERATORS".to_owned(),
                Audience::Organisation(id) => format!("ORGANISATION:{id}"),
            };
            format!(
                "{} {}:{} {audience}",
                change.kind.name(),
                change.subject_type,
                change.subject_id
            )
        })
        .collect()
}

/// `KIND Type:uuid AUDIENCE` of a change a test expects, from a global id.
fn expected(kind: &str, global_id: &str, audience: &str) -> String {
    format!("{kind} {global_id} {audience}")
}

fn uuid_of(global_id: &str) -> Uuid {
    global_id.split_once(':').unwrap().1.parse().unwrap()
}

async fn organisation(app: &TestApp, slug: &str) -> String {
    let id = app.id_of(&format!("organisation(slug: \"{slug}\")")).await;
    format!("ORGANISATION:{}", uuid_of(&id))
}

/// Runs a mutation that must succeed as `token`; its `data`.
async fn run(app: &TestApp, token: &str, query: &str, variables: Value) -> Value {
    app.data_as(token, query, variables).await
}

#[tokio::test]
async fn an_initiative_tells_its_organisation_until_published_and_everyone_after() {
    let app = TestApp::with_demo().await;
    let partner = app
        .account("afev@exemple.fr", Role::Partner, Some("afev"))
        .await;
    let moderator = app.account("m@exemple.fr", Role::Moderator, None).await;
    let afev = organisation(&app, "afev").await;
    let start = position(&app).await;

    let id = draft(&app, &partner, "Jardin partagé au pied des tours").await;
    run(
        &app,
        &partner.token,
        UPDATE,
        json!({ "input": { "id": id, "expectedVersion": 1, "title": "Jardin partagé" } }),
    )
    .await;
    assert!(submit(&app, &partner, &id, 2).await["errors"].is_null());
    assert!(moderate(&app, &moderator, &id, "APPROVE", None, 3).await["errors"].is_null());
    run(
        &app,
        &moderator.token,
        UPDATE,
        json!({ "input": { "id": id, "expectedVersion": 4, "title": "Jardin des tours" } }),
    )
    .await;
    assert!(moderate(&app, &moderator, &id, "ARCHIVE", None, 5).await["errors"].is_null());

    assert_eq!(
        changes_after(&app, start).await,
        [
            expected("CONTRIBUTION_EDITED", &id, &afev),
            expected("CONTRIBUTION_EDITED", &id, &afev),
            expected("CONTRIBUTION_SUBMITTED", &id, &afev),
            expected("CONTRIBUTION_DECIDED", &id, &afev),
            expected("INITIATIVE_PUBLISHED", &id, "PUBLIC"),
            expected("INITIATIVE_UPDATED", &id, "PUBLIC"),
            expected("CONTRIBUTION_DECIDED", &id, &afev),
            expected("INITIATIVE_UNPUBLISHED", &id, "PUBLIC"),
        ]
    );
}

#[tokio::test]
async fn experiences_and_proposals_tell_their_authors_and_then_everyone() {
    let app = TestApp::with_demo().await;
    let partner = app
        .account("afev@exemple.fr", Role::Partner, Some("afev"))
        .await;
    let moderator = app.account("m@exemple.fr", Role::Moderator, None).await;
    let afev = organisation(&app, "afev").await;
    let initiative = app
        .id_of("initiative(slug: \"club-d-echecs-en-mode-virtuel\")")
        .await;
    let start = position(&app).await;

    let created = run(
        &app,
        &partner.token,
        "mutation ($input: CreateExperienceInput!) {
            createExperience(input: $input) { experience { id } } }",
        json!({ "input": { "initiativeId": initiative, "title": "À Vitry", "body": "Repris." } }),
    )
    .await;
    let experience = created["createExperience"]["experience"]["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let edit = "mutation ($id: ID!, $version: Int!) { updateExperience(input: {
        id: $id, expectedVersion: $version, body: \"Repris en ligne.\" }) { experience { id } } }";
    run(
        &app,
        &partner.token,
        edit,
        json!({ "id": experience, "version": 1 }),
    )
    .await;
    run(
        &app,
        &partner.token,
        "mutation ($id: ID!) { submitExperience(input: { id: $id, expectedVersion: 2 }) {
            experience { id } } }",
        json!({ "id": experience }),
    )
    .await;
    assert!(moderate(&app, &moderator, &experience, "APPROVE", None, 3).await["errors"].is_null());
    run(
        &app,
        &moderator.token,
        edit,
        json!({ "id": experience, "version": 4 }),
    )
    .await;
    assert!(moderate(&app, &moderator, &experience, "ARCHIVE", None, 5).await["errors"].is_null());

    // AFEV takes part in the demo's mentoring initiative.
    let mentoring = app
        .data("{ initiatives(filter: { search: \"afev\" }) { nodes { id version } } }")
        .await["initiatives"]["nodes"][0]
        .clone();
    let proposed = run(
        &app,
        &partner.token,
        "mutation ($input: ProposeInitiativeChangeInput!) {
            proposeInitiativeChange(input: $input) { changeProposal { id } } }",
        json!({ "input": { "id": mentoring["id"], "expectedVersion": mentoring["version"],
            "summary": "Un mentorat à distance." } }),
    )
    .await;
    let proposal = proposed["proposeInitiativeChange"]["changeProposal"]["id"]
        .as_str()
        .unwrap()
        .to_owned();
    assert!(moderate(&app, &moderator, &proposal, "APPROVE", None, 1).await["errors"].is_null());

    let mentoring = mentoring["id"].as_str().unwrap();
    assert_eq!(
        changes_after(&app, start).await,
        [
            expected("CONTRIBUTION_EDITED", &experience, &afev),
            expected("CONTRIBUTION_EDITED", &experience, &afev),
            expected("CONTRIBUTION_SUBMITTED", &experience, &afev),
            expected("CONTRIBUTION_DECIDED", &experience, &afev),
            expected("EXPERIENCE_PUBLISHED", &experience, "PUBLIC"),
            expected("EXPERIENCE_UPDATED", &experience, "PUBLIC"),
            expected("CONTRIBUTION_DECIDED", &experience, &afev),
            expected("EXPERIENCE_UNPUBLISHED", &experience, "PUBLIC"),
            expected("CONTRIBUTION_SUBMITTED", &proposal, &afev),
            expected("CONTRIBUTION_DECIDED", &proposal, &afev),
            expected("INITIATIVE_UPDATED", mentoring, "PUBLIC"),
        ]
    );
}

#[tokio::test]
async fn reference_data_changes_are_public_and_a_merge_names_both_rows() {
    let app = TestApp::with_demo().await;
    let admin = app.account("admin@exemple.fr", Role::Admin, None).await;
    let demo = ids(
        &app,
        &[
            ("theme", "aide-alimentaire"),
            ("professional", "julie-parachini"),
            ("organisation", "afev"),
            ("territory", "metz"),
        ],
    )
    .await;
    let start = position(&app).await;

    let theme = run(
        &app,
        &admin.token,
        "mutation { createTheme(input: { name: \"Matrice\" }) { theme { id } } }",
        json!({}),
    )
    .await["createTheme"]["theme"]["id"]
        .as_str()
        .unwrap()
        .to_owned();
    run(
        &app,
        &admin.token,
        "mutation ($id: ID!) { updateTheme(input: { id: $id, position: 9 }) { theme { id } } }",
        json!({ "id": theme }),
    )
    .await;
    run(
        &app,
        &admin.token,
        "mutation ($a: ID!, $b: ID!) { mergeThemes(input: { keptId: $a, mergedId: $b }) {
            theme { id } } }",
        json!({ "a": demo[0], "b": theme }),
    )
    .await;
    let position_id = run(
        &app,
        &admin.token,
        "mutation ($p: ID!, $o: ID!) { createPosition(input: { professionalId: $p,
            organisationId: $o, jobTitle: \"Chargée de mission\" }) { position { id } } }",
        json!({ "p": demo[1], "o": demo[2] }),
    )
    .await["createPosition"]["position"]["id"]
        .as_str()
        .unwrap()
        .to_owned();
    run(
        &app,
        &admin.token,
        "mutation ($id: ID!) { deletePosition(id: $id) { deletedId } }",
        json!({ "id": position_id }),
    )
    .await;
    run(
        &app,
        &admin.token,
        "mutation ($id: ID!) { updateProfessional(input: { id: $id,
            contactVisibility: PUBLIC }) { professional { id } } }",
        json!({ "id": demo[1] }),
    )
    .await;
    run(
        &app,
        &admin.token,
        "mutation ($id: ID!) { updateTerritory(input: { id: $id, latitude: 49.12 }) {
            territory { id } } }",
        json!({ "id": demo[3] }),
    )
    .await;
    let meeting = run(
        &app,
        &admin.token,
        r#"mutation { createMeeting(input: { title: "Matrice", heldOn: "2020-06-11",
            format: VIDEO }) { meeting { id } } }"#,
        json!({}),
    )
    .await["createMeeting"]["meeting"]["id"]
        .as_str()
        .unwrap()
        .to_owned();
    run(
        &app,
        &admin.token,
        "mutation ($id: ID!) { deleteMeeting(input: { id: $id }) { deletedId } }",
        json!({ "id": meeting }),
    )
    .await;

    let changed = |id: &str| expected("REFERENCE_CHANGED", id, "PUBLIC");
    assert_eq!(
        changes_after(&app, start).await,
        [
            changed(&theme),
            changed(&theme),
            changed(&demo[0]),
            changed(&theme),
            changed(&position_id),
            changed(&demo[1]),
            changed(&position_id),
            changed(&demo[1]),
            changed(&demo[1]),
            expected("CONTACT_VISIBILITY_CHANGED", &demo[1], "PUBLIC"),
            changed(&demo[3]),
            changed(&meeting),
            changed(&meeting),
        ]
    );
}

#[tokio::test]
async fn erasure_visibility_and_accounts_are_told_with_ids_only_and_logins_are_not_changes_but_revocations_are()
 {
    let app = TestApp::with_demo().await;
    let admin = app.account("admin@exemple.fr", Role::Admin, None).await;
    let own = app
        .account("julie@exemple.fr", Role::Partner, Some("ville-de-metz"))
        .await;
    link_professional_to_account(app.db(), "julie-parachini", &own.id).await;
    let person = app.id_of(r#"professional(slug: "julie-parachini")"#).await;
    let start = position(&app).await;

    // Logging in and revoking one's tokens change nothing anyone else sees.
    let login = app
        .query_with(
            "mutation ($email: String!, $password: String!) {
                login(input: { email: $email, password: $password }) { token } }",
            json!({ "email": "julie@exemple.fr", "password": TEST_PASSWORD }),
        )
        .await;
    let token = login["data"]["login"]["token"].as_str().unwrap().to_owned();
    run(
        &app,
        &token,
        "mutation ($id: ID!) { setContactVisibility(input: { professionalId: $id,
            visibility: PUBLIC }) { contactVisibility } }",
        json!({ "id": person }),
    )
    .await;
    run(
        &app,
        &token,
        "mutation { logoutEverywhere { user { id } } }",
        json!({}),
    )
    .await;
    let created = run(
        &app,
        &admin.token,
        "mutation { createUser(input: { email: \"nouvelle@exemple.fr\",
            displayName: \"Nouvelle Personne\", role: MODERATOR }) { user { id } } }",
        json!({}),
    )
    .await["createUser"]["user"]["id"]
        .as_str()
        .unwrap()
        .to_owned();
    run(
        &app,
        &admin.token,
        "mutation ($id: ID!) { updateUser(input: { id: $id, displayName: \"Autre Nom\" }) {
            user { id } } }",
        json!({ "id": created }),
    )
    .await;
    run(
        &app,
        &admin.token,
        "mutation ($id: ID!) { deactivateUser(id: $id) { user { id } } }",
        json!({ "id": created }),
    )
    .await;
    run(
        &app,
        &admin.token,
        "mutation ($id: ID!) { erasePersonalData(professionalId: $id) { erasedId } }",
        json!({ "id": person }),
    )
    .await;

    assert_eq!(
        changes_after(&app, start).await,
        [
            expected("CONTACT_VISIBILITY_CHANGED", &person, "PUBLIC"),
            // Logging out everywhere revokes the account's tokens.
            expected("ACCOUNT_CHANGED", &own.id, "MODERATORS"),
            expected("ACCOUNT_CHANGED", &created, "MODERATORS"),
            expected("ACCOUNT_CHANGED", &created, "MODERATORS"),
            expected("ACCOUNT_CHANGED", &created, "MODERATORS"),
            expected("PERSON_ERASED", &person, "PUBLIC"),
            expected("ACCOUNT_CHANGED", &own.id, "MODERATORS"),
        ]
    );
    // Nothing personal in what was stored: every column, as stored.
    let stored = format!(
        "{:?}",
        change_event::Entity::find().all(app.db()).await.unwrap()
    );
    for personal in [
        "julie",
        "Julie",
        "Parachini",
        "exemple",
        "Nouvelle",
        "Autre Nom",
    ] {
        assert!(!stored.contains(personal), "{personal} in {stored}");
    }
}

#[tokio::test]
async fn a_failed_mutation_leaves_no_change_even_after_it_started_writing() {
    let app = TestApp::with_demo().await;
    let partner = app
        .account("afev@exemple.fr", Role::Partner, Some("afev"))
        .await;
    let outsider = app
        .account("irdsu@exemple.fr", Role::Partner, Some("irdsu"))
        .await;
    let admin = app.account("admin@exemple.fr", Role::Admin, None).await;
    let id = draft(&app, &partner, "Atelier vélo").await;
    let demo = ids(&app, &[("territory", "metz"), ("territory", "moselle")]).await;
    let start = position(&app).await;

    let stale = app
        .query_as(
            &partner.token,
            UPDATE,
            json!({ "input": { "id": id, "expectedVersion": 7, "title": "Vélo" } }),
        )
        .await;
    assert_eq!(error_codes(&stale), ["CONFLICT"]);
    let forbidden = app
        .query_as(
            &outsider.token,
            UPDATE,
            json!({ "input": { "id": id, "expectedVersion": 1, "title": "Vélo" } }),
        )
        .await;
    assert!(
        error_codes(&forbidden) == ["FORBIDDEN"] || error_codes(&forbidden) == ["NOT_FOUND"],
        "{forbidden}"
    );
    let denied = app
        .query_as(
            &partner.token,
            "mutation { createTheme(input: { name: \"Matrice\" }) { theme { id } } }",
            json!({}),
        )
        .await;
    assert_eq!(error_codes(&denied), ["FORBIDDEN"]);
    // The parents are replaced before the coordinates are checked: a write had started.
    let late = app
        .query_as(
            &admin.token,
            "mutation ($id: ID!, $parent: ID!) { updateTerritory(input: { id: $id,
                parentIds: [$parent], latitude: 123.0 }) { territory { id } } }",
            json!({ "id": demo[0], "parent": demo[1] }),
        )
        .await;
    assert_eq!(error_codes(&late), ["BAD_USER_INPUT"]);
    assert_eq!(late["errors"][0]["extensions"]["field"], "input.latitude");
    assert_eq!(changes_after(&app, start).await, Vec::<String>::new());
    assert_eq!(position(&app).await, start);
}

/// A change about a fresh subject, to tell two writers apart.
fn change_about(id: Uuid) -> Change {
    Change::new(
        ChangeKind::ReferenceChanged,
        Subject::of("Theme", id),
        Audience::Public,
    )
}

#[tokio::test]
async fn a_writer_that_took_a_sequence_first_and_commits_last_is_never_skipped_by_a_reader() {
    let app = TestApp::with_demo().await;
    let start = position(&app).await;
    let (first, second) = (Uuid::now_v7(), Uuid::now_v7());

    // A reader that polls throughout, moving its position as a follower does.
    let (stop, mut stopped) = tokio::sync::oneshot::channel::<()>();
    let reader_db = app.db().clone();
    let reader = tokio::spawn(async move {
        let mut at = start;
        let mut seen = Vec::new();
        loop {
            let page = outbox::read_after(&reader_db, at, 100).await.unwrap();
            seen.extend(page.changes.iter().map(|change| change.subject_id));
            at = page.position.unwrap_or(at);
            if stopped.try_recv().is_ok() {
                return seen;
            }
            tokio::time::sleep(Duration::from_millis(5)).await;
        }
    });

    let early = app.db().begin().await.unwrap();
    events::record(&early, &[change_about(first)], chrono::Utc::now())
        .await
        .unwrap();
    let late_db = app.db().clone();
    let late = tokio::spawn(async move {
        let txn = late_db.begin().await.unwrap();
        events::record(&txn, &[change_about(second)], chrono::Utc::now())
            .await
            .unwrap();
        txn.commit().await.unwrap();
    });
    tokio::time::sleep(Duration::from_millis(400)).await;
    assert!(
        !late.is_finished(),
        "the second writer waits for the first to commit"
    );
    early.commit().await.unwrap();
    late.await.unwrap();
    // The reader reads once more after both commits, then stops.
    tokio::time::sleep(Duration::from_millis(50)).await;
    stop.send(()).unwrap();
    let seen = reader.await.unwrap();

    assert_eq!(
        seen,
        [first, second],
        "the reader saw both, in commit order"
    );
    let page = outbox::read_after(app.db(), start, 10).await.unwrap();
    let sequences: Vec<(Uuid, i64)> = page
        .changes
        .iter()
        .map(|change| (change.subject_id, change.sequence))
        .collect();
    assert_eq!(sequences.len(), 2);
    assert_eq!(sequences[0].0, first);
    assert!(sequences[0].1 < sequences[1].1, "{sequences:?}");
}

/// Runs `communs ARGS` on the test's database; its standard output.
fn communs(app: &TestApp, args: &[&str]) -> String {
    let dir = tempfile::tempdir().unwrap();
    let output = Command::new(BINARY)
        .env_clear()
        .env("PATH", std::env::var_os("PATH").unwrap_or_default())
        .env("ERASURE_KEY", TEST_ERASURE_KEY)
        .env("DATA_DIR", dir.path())
        .env("DATABASE_URL", &app.database_url)
        .env("LOG_FORMAT", "json")
        .current_dir(dir.path())
        .args(args)
        .output()
        .unwrap();
    assert!(output.status.success(), "{args:?}: {output:?}");
    String::from_utf8(output.stdout).unwrap()
}

/// How many changes of each `KIND Type AUDIENCE` there are after `after`.
async fn counted(app: &TestApp, after: i64) -> std::collections::BTreeMap<String, usize> {
    let mut counts = std::collections::BTreeMap::new();
    for change in changes_after(app, after).await {
        let mut words = change.split(' ');
        let kind = words.next().unwrap();
        let subject_type = words.next().unwrap().split(':').next().unwrap();
        let audience = words.next().unwrap();
        *counts
            .entry(format!("{kind} {subject_type} {audience}"))
            .or_default() += 1;
    }
    counts
}

#[tokio::test]
async fn seed_demo_tells_each_row_it_created_once_and_nothing_the_second_time() {
    let app = TestApp::empty().await;
    communs(&app, &["seed-demo"]);
    let data = app
        .data(
            "{ initiatives { totalCount } themes { id } organisations { totalCount }
               meetings { totalCount } }",
        )
        .await;
    let counts = counted(&app, 0).await;
    assert_eq!(
        counts["INITIATIVE_PUBLISHED Initiative PUBLIC"] as i64,
        data["initiatives"]["totalCount"].as_i64().unwrap()
    );
    assert_eq!(
        counts["REFERENCE_CHANGED Organisation PUBLIC"] as i64,
        data["organisations"]["totalCount"].as_i64().unwrap()
    );
    assert_eq!(
        counts["REFERENCE_CHANGED Meeting PUBLIC"] as i64,
        data["meetings"]["totalCount"].as_i64().unwrap()
    );
    for kind in ["Territory", "Theme", "Professional", "Position"] {
        assert!(
            counts
                .get(&format!("REFERENCE_CHANGED {kind} PUBLIC"))
                .is_some_and(|count| *count > 0),
            "{kind}: {counts:?}"
        );
    }
    assert!(
        counts
            .keys()
            .all(|key| key.ends_with("PUBLIC") && !key.contains("00000000-0000")),
        "{counts:?}"
    );
    let after_first = position(&app).await;
    let second = communs(&app, &["seed-demo"]);
    assert!(second.contains("nothing to do"), "{second}");
    assert_eq!(position(&app).await, after_first);
}

#[tokio::test]
async fn import_territories_tells_each_territory_it_created_or_changed() {
    let app = TestApp::empty().await;
    let samples = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/data/territories");
    communs(
        &app,
        &[
            "import-territories",
            &format!("{samples}/v_region_2024.csv"),
        ],
    );
    let regions = app
        .data("{ territories(filter: { kinds: [REGION] }, first: 100) { nodes { id } } }")
        .await;
    let mut region_ids: Vec<String> = regions["territories"]["nodes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|node| expected("REFERENCE_CHANGED", node["id"].as_str().unwrap(), "PUBLIC"))
        .collect();
    region_ids.sort();
    let mut changes = changes_after(&app, 0).await;
    changes.sort();
    assert!(!changes.is_empty());
    assert_eq!(changes, region_ids);

    let after_first = position(&app).await;
    communs(
        &app,
        &[
            "import-territories",
            &format!("{samples}/v_region_2024.csv"),
        ],
    );
    assert_eq!(
        position(&app).await,
        after_first,
        "a second import changes nothing"
    );
}
