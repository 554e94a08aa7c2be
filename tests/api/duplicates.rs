//! Duplicates decided once: a pair decided not duplicates is no longer suggested, and a
//! merge moves everything to the initiative kept, whose slug the duplicate's now leads to.

use chrono::Utc;
use entity::enums::{InitiativeLinkKind, ModerationStatus, Role};
use sea_orm::{EntityTrait, Set};
use serde_json::{Value, json};
use uuid::Uuid;

use crate::{
    contributions::draft,
    fixtures::{NewInitiative, add_initiative_contact, insert_experience, insert_initiative},
    helpers::{TestAccount, TestApp, error_codes},
};

const SIMILAR: &str = "query ($title: String!, $summary: String, $initiativeId: ID) {
    similarInitiatives(title: $title, summary: $summary, initiativeId: $initiativeId) {
        initiative { slug } } }";

const MARK: &str = "mutation ($a: ID!, $b: ID!, $comment: String) {
    markNotDuplicate(a: $a, b: $b, comment: $comment) {
        initiative { id } other { id } decidedAt } }";

const MERGE: &str = "mutation ($kept: ID!, $duplicate: ID!, $comment: String) {
    mergeInitiatives(keptId: $kept, duplicateId: $duplicate, comment: $comment) {
        initiative { id version } } }";

const LOG: &str = "query ($id: ID!) { moderationLog(subjectId: $id) { edges { node {
    action comment relatedInitiative { id } } } } }";

const MASKS: &str = "confection-de-masques";

fn gid(id: Uuid) -> String {
    format!("Initiative:{id}")
}

async fn suggested(app: &TestApp, account: &TestAccount, initiative: Option<&str>) -> Vec<String> {
    app.data_as(
        &account.token,
        SIMILAR,
        json!({
            "title": "Fabrication de masques en tissu",
            "summary": "Des bénévoles cousent des masques pour les habitants.",
            "initiativeId": initiative,
        }),
    )
    .await["similarInitiatives"]
        .as_array()
        .unwrap()
        .iter()
        .map(|found| found["initiative"]["slug"].as_str().unwrap().to_owned())
        .collect()
}

async fn mark(app: &TestApp, account: &TestAccount, a: &str, b: &str, comment: &str) -> Value {
    app.query_as(
        &account.token,
        MARK,
        json!({ "a": a, "b": b, "comment": comment }),
    )
    .await
}

/// The NOT_DUPLICATE and MERGE entries of the log of `id`, as `account` reads it.
async fn decisions_in_log(app: &TestApp, account: &TestAccount, id: &str) -> Vec<Value> {
    app.data_as(&account.token, LOG, json!({ "id": id })).await["moderationLog"]["edges"]
        .as_array()
        .unwrap()
        .iter()
        .map(|edge| edge["node"].clone())
        .filter(|node| node["action"] == "NOT_DUPLICATE" || node["action"] == "MERGE")
        .collect()
}

async fn link(app: &TestApp, from: Uuid, to: Uuid, kind: InitiativeLinkKind) {
    entity::initiative_link::Entity::insert(entity::initiative_link::ActiveModel {
        from_id: Set(from),
        to_id: Set(to),
        kind: Set(kind),
        note: Set(None),
        created_at: Set(Utc::now()),
    })
    .exec_without_returning(app.db())
    .await
    .unwrap();
}

fn published(title: &'static str, owner: Option<&'static str>) -> NewInitiative<'static> {
    NewInitiative {
        title,
        owner,
        themes: &["aide-alimentaire"],
        territories: &["metz"],
        ..NewInitiative::default()
    }
}

#[tokio::test]
async fn a_pair_marked_not_duplicate_is_no_longer_suggested() {
    let app = TestApp::with_demo().await;
    let partner = app
        .account("afev@exemple.fr", Role::Partner, Some("afev"))
        .await;
    let masks = app.id_of(&format!("initiative(slug: \"{MASKS}\")")).await;
    let own = draft(&app, &partner, "Fabrication de masques en tissu").await;
    assert!(
        suggested(&app, &partner, Some(&own))
            .await
            .contains(&MASKS.to_owned())
    );

    let marked = mark(&app, &partner, &own, &masks, "Des blouses, pas des masques").await;
    assert!(marked.get("errors").is_none(), "{marked}");
    assert_eq!(marked["data"]["markNotDuplicate"]["other"]["id"], masks);

    let found = suggested(&app, &partner, Some(&own)).await;
    assert!(!found.contains(&MASKS.to_owned()), "{found:?}");
    assert!(
        suggested(&app, &partner, None)
            .await
            .contains(&MASKS.to_owned()),
        "without initiativeId nothing changes"
    );

    // The same pair again, either way round: the first decision, logged once.
    let again = mark(&app, &partner, &masks, &own, "encore").await;
    assert_eq!(
        again["data"]["markNotDuplicate"]["decidedAt"],
        marked["data"]["markNotDuplicate"]["decidedAt"]
    );
    let log = decisions_in_log(&app, &partner, &own).await;
    assert_eq!(log.len(), 1, "{log:?}");
    assert_eq!(log[0]["relatedInitiative"]["id"], masks);
    assert_eq!(log[0]["comment"], "Des blouses, pas des masques");

    let itself = mark(&app, &partner, &own, &own, "").await;
    assert_eq!(error_codes(&itself), ["BAD_USER_INPUT"]);
}

#[tokio::test]
async fn an_initiative_being_edited_is_not_suggested_to_itself() {
    let app = TestApp::with_demo().await;
    let moderator = app.account("m@exemple.fr", Role::Moderator, None).await;
    let masks = app.id_of(&format!("initiative(slug: \"{MASKS}\")")).await;
    let found = suggested(&app, &moderator, Some(&masks)).await;
    assert!(!found.is_empty());
    assert!(!found.contains(&MASKS.to_owned()), "{found:?}");
}

#[tokio::test]
async fn a_partner_cannot_mark_a_pair_it_cannot_see() {
    let app = TestApp::with_demo().await;
    let irdsu = app
        .account("irdsu@exemple.fr", Role::Partner, Some("irdsu"))
        .await;
    let hidden = insert_initiative(
        app.db(),
        NewInitiative {
            status: ModerationStatus::Draft,
            ..published("Brouillon de l'AFEV", Some("afev"))
        },
    )
    .await;
    let own = insert_initiative(app.db(), published("Action de l'IRDSU", Some("irdsu"))).await;
    let theirs = insert_initiative(app.db(), published("Action de l'AFEV", Some("afev"))).await;
    let other = insert_initiative(app.db(), published("Action sans partenaire", None)).await;

    let unseen = mark(&app, &irdsu, &gid(own), &gid(hidden), "").await;
    assert_eq!(error_codes(&unseen), ["NOT_FOUND"], "{unseen}");
    let not_its_own = mark(&app, &irdsu, &gid(theirs), &gid(other), "").await;
    assert_eq!(error_codes(&not_its_own), ["FORBIDDEN"], "{not_its_own}");
    let anonymous = app
        .query_with(MARK, json!({ "a": gid(own), "b": gid(theirs) }))
        .await;
    assert_eq!(error_codes(&anonymous), ["UNAUTHENTICATED"]);
    let allowed = mark(&app, &irdsu, &gid(own), &gid(theirs), "").await;
    assert!(allowed.get("errors").is_none(), "{allowed}");
}

#[tokio::test]
async fn the_log_of_the_other_initiative_says_nothing_of_a_draft_its_readers_cannot_see() {
    let app = TestApp::with_demo().await;
    let afev = app
        .account("afev@exemple.fr", Role::Partner, Some("afev"))
        .await;
    let irdsu = app
        .account("irdsu@exemple.fr", Role::Partner, Some("irdsu"))
        .await;
    let moderator = app.account("m@exemple.fr", Role::Moderator, None).await;
    let theirs =
        gid(insert_initiative(app.db(), published("Action de l'IRDSU", Some("irdsu"))).await);
    let own = draft(&app, &afev, "Notre projet secret").await;
    let marked = mark(&app, &afev, &own, &theirs, "Notre projet secret est autre").await;
    assert!(marked.get("errors").is_none(), "{marked}");

    let seen_by_irdsu = decisions_in_log(&app, &irdsu, &theirs).await;
    assert_eq!(seen_by_irdsu.len(), 1);
    assert_eq!(seen_by_irdsu[0]["action"], "NOT_DUPLICATE");
    assert_eq!(seen_by_irdsu[0]["relatedInitiative"], Value::Null);
    assert_eq!(seen_by_irdsu[0]["comment"], Value::Null);

    let seen_by_moderator = decisions_in_log(&app, &moderator, &theirs).await;
    assert_eq!(seen_by_moderator[0]["relatedInitiative"]["id"], own);
    assert_eq!(
        seen_by_moderator[0]["comment"],
        "Notre projet secret est autre"
    );
}

/// A kept and a duplicate initiative, the duplicate with an experience, a contact, a link
/// to a third initiative and a continuation from the kept one: (kept, duplicate, third,
/// experience).
async fn a_duplicate(app: &TestApp) -> (Uuid, Uuid, Uuid, Uuid) {
    let kept = insert_initiative(app.db(), published("Repair café de Metz", None)).await;
    let duplicate =
        insert_initiative(app.db(), published("Repair café à Metz", Some("afev"))).await;
    let third = insert_initiative(app.db(), published("Repair café de Nancy", None)).await;
    let experience = insert_experience(
        app.db(),
        duplicate,
        "Un an de réparations",
        ModerationStatus::Published,
    )
    .await;
    add_initiative_contact(app.db(), duplicate, "severine-aubry").await;
    link(app, duplicate, third, InitiativeLinkKind::InspiredBy).await;
    link(app, kept, duplicate, InitiativeLinkKind::ContinuationOf).await;
    (kept, duplicate, third, experience)
}

async fn merge(app: &TestApp, account: &TestAccount, kept: Uuid, duplicate: Uuid) -> Value {
    app.query_as(
        &account.token,
        MERGE,
        json!({ "kept": gid(kept), "duplicate": gid(duplicate), "comment": "Le même café" }),
    )
    .await
}

#[tokio::test]
async fn merging_moves_experiences_links_and_contacts_to_the_kept_initiative() {
    let app = TestApp::with_demo().await;
    let moderator = app.account("m@exemple.fr", Role::Moderator, None).await;
    let (kept, duplicate, third, _) = a_duplicate(&app).await;

    let merged = merge(&app, &moderator, kept, duplicate).await;
    assert!(merged.get("errors").is_none(), "{merged}");
    assert_eq!(
        merged["data"]["mergeInitiatives"]["initiative"]["version"],
        2
    );

    let seen = app
        .data_as(
            &moderator.token,
            "query ($id: ID!) { node(id: $id) { ... on Initiative {
                experiences { title } contacts { slug } themes { slug }
                links { kind initiative { id } } linkedFrom { kind initiative { id } } } } }",
            json!({ "id": gid(kept) }),
        )
        .await["node"]
        .clone();
    assert_eq!(
        seen["experiences"],
        json!([{ "title": "Un an de réparations" }])
    );
    assert_eq!(seen["contacts"], json!([{ "slug": "severine-aubry" }]));
    assert_eq!(seen["themes"], json!([{ "slug": "aide-alimentaire" }]));
    assert_eq!(
        seen["links"],
        json!([{ "kind": "INSPIRED_BY", "initiative": { "id": gid(third) } }]),
        "the continuation of itself is dropped"
    );
    assert_eq!(seen["linkedFrom"], json!([]));
    let gone = app
        .data_as(
            &moderator.token,
            "query ($id: ID!) { node(id: $id) { id } }",
            json!({ "id": gid(duplicate) }),
        )
        .await;
    assert_eq!(gone["node"], Value::Null);
}

#[tokio::test]
async fn the_duplicates_slug_resolves_to_the_kept_initiative_after_a_merge() {
    let app = TestApp::with_demo().await;
    let moderator = app.account("m@exemple.fr", Role::Moderator, None).await;
    let (kept, duplicate, _, _) = a_duplicate(&app).await;
    let old_slug = format!("test-{}", duplicate.simple());
    let by_slug = "query ($slug: String!) { initiative(slug: $slug) { id title } }";
    let before = app.data_with(by_slug, json!({ "slug": old_slug })).await;
    assert_eq!(before["initiative"]["id"], gid(duplicate));

    let merged = merge(&app, &moderator, kept, duplicate).await;
    assert!(merged.get("errors").is_none(), "{merged}");

    let after = app.data_with(by_slug, json!({ "slug": old_slug })).await;
    assert_eq!(after["initiative"]["id"], gid(kept));
    assert_eq!(after["initiative"]["title"], "Repair café de Metz");
}

#[tokio::test]
async fn a_merge_is_logged_and_told_on_the_change_stream() {
    let app = TestApp::with_demo().await;
    let moderator = app.account("m@exemple.fr", Role::Moderator, None).await;
    let (kept, duplicate, third, experience) = a_duplicate(&app).await;
    let from_now = app.data("{ changesCursor }").await["changesCursor"]
        .as_str()
        .unwrap()
        .to_owned();

    let merged = merge(&app, &moderator, kept, duplicate).await;
    assert!(merged.get("errors").is_none(), "{merged}");

    let log = decisions_in_log(&app, &moderator, &gid(kept)).await;
    assert_eq!(log.len(), 1, "{log:?}");
    assert_eq!(log[0]["action"], "MERGE");
    assert_eq!(log[0]["comment"], "Le même café");

    let changes = app
        .data_with(
            "query ($after: String) { changes(after: $after) { edges { node {
                kind subjectId } } } }",
            json!({ "after": from_now }),
        )
        .await["changes"]["edges"]
        .as_array()
        .unwrap()
        .iter()
        .map(|edge| {
            (
                edge["node"]["kind"].as_str().unwrap().to_owned(),
                edge["node"]["subjectId"].as_str().unwrap().to_owned(),
            )
        })
        .collect::<Vec<_>>();
    for expected in [
        ("INITIATIVE_UPDATED".to_owned(), gid(kept)),
        ("INITIATIVE_UNPUBLISHED".to_owned(), gid(duplicate)),
        (
            "EXPERIENCE_UPDATED".to_owned(),
            format!("Experience:{experience}"),
        ),
        ("INITIATIVE_UPDATED".to_owned(), gid(third)),
    ] {
        assert!(changes.contains(&expected), "{expected:?} in {changes:?}");
    }
}

#[tokio::test]
async fn partners_cannot_merge() {
    let app = TestApp::with_demo().await;
    let partner = app
        .account("afev@exemple.fr", Role::Partner, Some("afev"))
        .await;
    let (kept, duplicate, _, _) = a_duplicate(&app).await;
    let refused = merge(&app, &partner, kept, duplicate).await;
    assert_eq!(error_codes(&refused), ["FORBIDDEN"], "{refused}");
    let still_there = app
        .data_with(
            "query ($id: ID!) { node(id: $id) { id } }",
            json!({ "id": gid(duplicate) }),
        )
        .await;
    assert_eq!(still_there["node"]["id"], gid(duplicate));
}

#[tokio::test]
async fn a_published_initiative_is_never_merged_into_a_draft() {
    let app = TestApp::with_demo().await;
    let moderator = app.account("m@exemple.fr", Role::Moderator, None).await;
    let draft = insert_initiative(
        app.db(),
        NewInitiative {
            status: ModerationStatus::Draft,
            ..published("Repair café de Metz (brouillon)", Some("afev"))
        },
    )
    .await;
    let public = insert_initiative(app.db(), published("Repair café de Metz", None)).await;
    let refused = merge(&app, &moderator, draft, public).await;
    assert_eq!(error_codes(&refused), ["BAD_USER_INPUT"], "{refused}");
    assert_eq!(refused["errors"][0]["extensions"]["field"], "keptId");
    let still_public = app
        .data_with(
            "query ($id: ID!) { node(id: $id) { id } }",
            json!({ "id": gid(public) }),
        )
        .await;
    assert_eq!(still_public["node"]["id"], gid(public));
}
