//! The changes feed: what a mirror or a mobile app follows, each caller seeing only the
//! changes it may see, page by page, and told to resynchronise once it is behind what is
//! kept.

use chrono::{Duration, Utc};
use communs::events::{feed::ChangeCursor, outbox};
use entity::enums::{ModerationStatus, Role};
use serde_json::{Value, json};

use crate::{
    contributions::{draft, moderate, submit},
    fixtures::{NewInitiative, insert_initiative},
    helpers::{TestAccount, TestApp, error_codes},
};

const CHANGES: &str = "query ($after: String, $first: Int) {
    changes(after: $after, first: $first) {
        edges { cursor node {
            sequence kind occurredAt subjectId
            subject { id ... on Initiative { title status } } } }
        pageInfo { hasNextPage endCursor } } }";

const CHANGES_CURSOR: &str = "{ changesCursor }";

/// The `changes` of a response.
fn feed(body: &Value) -> &Value {
    assert!(body.get("errors").is_none(), "unexpected errors: {body:#}");
    &body["data"]["changes"]
}

/// The edges' nodes of a page.
fn nodes(page: &Value) -> Vec<Value> {
    page["edges"]
        .as_array()
        .unwrap_or_else(|| panic!("no edges: {page}"))
        .iter()
        .map(|edge| edge["node"].clone())
        .collect()
}

/// `(kind, subjectId)` of each change of a page.
fn kinds_and_subjects(page: &Value) -> Vec<(String, String)> {
    nodes(page)
        .iter()
        .map(|node| {
            (
                node["kind"].as_str().unwrap().to_owned(),
                node["subjectId"].as_str().unwrap().to_owned(),
            )
        })
        .collect()
}

async fn read(app: &TestApp, caller: Option<&TestAccount>, variables: Value) -> Value {
    match caller {
        Some(account) => app.query_as(&account.token, CHANGES, variables).await,
        None => app.query_with(CHANGES, variables).await,
    }
}

async fn changes_cursor(app: &TestApp) -> String {
    app.data(CHANGES_CURSOR).await["changesCursor"]
        .as_str()
        .unwrap()
        .to_owned()
}

/// A submitted initiative of `owner` (a slug): its global id.
async fn submitted(app: &TestApp, title: &str, owner: &str) -> String {
    let id = insert_initiative(
        app.db(),
        NewInitiative {
            title,
            status: ModerationStatus::Submitted,
            owner: Some(owner),
            ..NewInitiative::default()
        },
    )
    .await;
    format!("Initiative:{id}")
}

/// A moderator's decision that must succeed: the subject's version after it.
async fn decide(
    app: &TestApp,
    moderator: &TestAccount,
    id: &str,
    action: &str,
    version: i64,
) -> i64 {
    let body = moderate(app, moderator, id, action, Some("Motif"), version).await;
    assert!(body.get("errors").is_none(), "{action}: {body:#}");
    body["data"]["moderate"]["subject"]["version"]
        .as_i64()
        .unwrap()
}

#[tokio::test]
async fn an_approved_initiative_reaches_the_anonymous_feed_with_its_subject() {
    let app = TestApp::with_demo().await;
    let partner = app
        .account("afev@exemple.fr", Role::Partner, Some("afev"))
        .await;
    let moderator = app.account("m@exemple.fr", Role::Moderator, None).await;
    let from_now = changes_cursor(&app).await;
    let id = draft(&app, &partner, "Jardin partagé du quartier").await;
    assert!(submit(&app, &partner, &id, 1).await.get("errors").is_none());
    let version = app
        .data_as(
            &partner.token,
            "query ($id: ID!) { node(id: $id) { ... on Initiative { version } } }",
            json!({ "id": id }),
        )
        .await["node"]["version"]
        .as_i64()
        .unwrap();
    decide(&app, &moderator, &id, "APPROVE", version).await;

    let body = read(&app, None, json!({ "after": from_now })).await;
    let page = feed(&body);
    assert_eq!(
        kinds_and_subjects(page),
        [("INITIATIVE_PUBLISHED".to_owned(), id.clone())],
        "the public sees the publication, not the decision: {page:#}"
    );
    let change = &nodes(page)[0];
    assert_eq!(change["subject"]["id"], id.as_str());
    assert_eq!(change["subject"]["title"], "Jardin partagé du quartier");
    assert_eq!(change["subject"]["status"], "PUBLISHED");
    assert!(change["occurredAt"].as_str().unwrap().ends_with('Z'));
    assert_eq!(page["pageInfo"]["hasNextPage"], false);

    // Asked again from where it stopped, the reader gets nothing new and keeps its place.
    let end = page["pageInfo"]["endCursor"].as_str().unwrap();
    let body = read(&app, None, json!({ "after": end })).await;
    let again = feed(&body);
    assert!(nodes(again).is_empty(), "{again:#}");
    assert_eq!(again["pageInfo"]["endCursor"], end);
    assert_eq!(changes_cursor(&app).await, end);
}

#[tokio::test]
async fn pages_read_with_first_and_after_give_every_change_once_in_order() {
    let app = TestApp::with_demo().await;
    let moderator = app.account("m@exemple.fr", Role::Moderator, None).await;
    let from_now = changes_cursor(&app).await;
    for title in ["Première", "Deuxième", "Troisième"] {
        let id = submitted(&app, title, "afev").await;
        decide(&app, &moderator, &id, "APPROVE", 1).await;
    }
    let body = read(
        &app,
        Some(&moderator),
        json!({ "after": from_now, "first": 100 }),
    )
    .await;
    let whole = nodes(feed(&body));
    assert_eq!(
        whole.len(),
        6,
        "a decision and a publication each: {whole:#?}"
    );

    let mut paged = Vec::new();
    let mut after = from_now.clone();
    let mut pages = 0;
    loop {
        let body = read(
            &app,
            Some(&moderator),
            json!({ "after": after, "first": 4 }),
        )
        .await;
        let page = feed(&body).clone();
        pages += 1;
        let found = nodes(&page);
        let edges = page["edges"].as_array().unwrap();
        if let Some(last) = edges.last() {
            assert_eq!(last["cursor"], page["pageInfo"]["endCursor"]);
        }
        paged.extend(found);
        after = page["pageInfo"]["endCursor"].as_str().unwrap().to_owned();
        if page["pageInfo"]["hasNextPage"] == false {
            break;
        }
        assert_eq!(edges.len(), 4, "a page with more to come is full");
        assert!(pages < 10, "runaway paging");
    }
    assert_eq!(pages, 2);
    assert_eq!(paged, whole);
    let sequences: Vec<i64> = whole
        .iter()
        .map(|node| node["sequence"].as_i64().unwrap())
        .collect();
    assert!(
        sequences.windows(2).all(|pair| pair[0] < pair[1]),
        "{sequences:?}"
    );

    // The public sees the three publications, oldest first; their subjects are loaded
    // together, whatever the page size.
    let statements = app.statements();
    let body = read(&app, None, json!({ "after": from_now, "first": 2 })).await;
    let spent = app.statements() - statements;
    assert!(spent <= 4, "{spent} statements for a page of the feed");
    let page = feed(&body);
    let titles: Vec<&str> = page["edges"]
        .as_array()
        .unwrap()
        .iter()
        .map(|edge| edge["node"]["subject"]["title"].as_str().unwrap())
        .collect();
    assert_eq!(titles, ["Première", "Deuxième"]);
    assert_eq!(page["pageInfo"]["hasNextPage"], true);
}

#[tokio::test]
async fn a_partner_sees_its_organisations_decisions_and_never_another_organisations() {
    let app = TestApp::with_demo().await;
    let afev = app
        .account("afev@exemple.fr", Role::Partner, Some("afev"))
        .await;
    let irdsu = app
        .account("irdsu@exemple.fr", Role::Partner, Some("irdsu"))
        .await;
    let moderator = app.account("m@exemple.fr", Role::Moderator, None).await;
    let from_now = changes_cursor(&app).await;
    let first = submitted(&app, "Premier projet de l'AFEV", "afev").await;
    let secret = submitted(&app, "Projet confidentiel de l'IRDSU", "irdsu").await;
    let second = submitted(&app, "Second projet de l'AFEV", "afev").await;
    // Decided in this order, so that the other organisation's decision falls between.
    for id in [&first, &secret, &second] {
        decide(&app, &moderator, id, "REQUEST_CHANGES", 1).await;
    }
    let decided = |ids: &[&String]| -> Vec<(String, String)> {
        ids.iter()
            .map(|id| ("CONTRIBUTION_DECIDED".to_owned(), (*id).clone()))
            .collect()
    };

    let body = read(&app, Some(&afev), json!({ "after": from_now })).await;
    let page = feed(&body);
    assert_eq!(
        kinds_and_subjects(page),
        decided(&[&first, &second]),
        "{page:#}"
    );
    for change in nodes(page) {
        assert_eq!(change["subject"]["status"], "CHANGES_REQUESTED");
    }
    // Page by page, the other organisation's decision neither shortens a page nor shows
    // in whether another follows.
    let body = read(&app, Some(&afev), json!({ "after": from_now, "first": 1 })).await;
    let one = feed(&body);
    assert_eq!(kinds_and_subjects(one), decided(&[&first]));
    assert_eq!(one["pageInfo"]["hasNextPage"], true);
    let body = read(
        &app,
        Some(&afev),
        json!({ "after": one["pageInfo"]["endCursor"], "first": 1 }),
    )
    .await;
    let two = feed(&body);
    assert_eq!(kinds_and_subjects(two), decided(&[&second]));
    assert_eq!(two["pageInfo"]["hasNextPage"], false);
    let body = read(&app, Some(&afev), json!({ "after": from_now, "first": 2 })).await;
    assert_eq!(feed(&body)["pageInfo"]["hasNextPage"], false);

    let body = read(&app, Some(&irdsu), json!({ "after": from_now })).await;
    assert_eq!(kinds_and_subjects(feed(&body)), decided(&[&secret]));
    let body = read(&app, None, json!({ "after": from_now })).await;
    assert!(
        nodes(feed(&body)).is_empty(),
        "the public sees no decision: {body:#}"
    );
    let body = read(&app, Some(&moderator), json!({ "after": from_now })).await;
    assert_eq!(
        kinds_and_subjects(feed(&body)),
        decided(&[&first, &secret, &second])
    );
}

#[tokio::test]
async fn an_archived_initiative_is_unpublished_for_the_public_with_its_id_and_no_subject() {
    let app = TestApp::with_demo().await;
    let moderator = app.account("m@exemple.fr", Role::Moderator, None).await;
    let from_now = changes_cursor(&app).await;
    let id = submitted(&app, "Initiative bientôt archivée", "afev").await;
    let version = decide(&app, &moderator, &id, "APPROVE", 1).await;
    decide(&app, &moderator, &id, "ARCHIVE", version).await;

    let body = read(&app, None, json!({ "after": from_now })).await;
    let page = feed(&body);
    assert_eq!(
        kinds_and_subjects(page),
        [
            ("INITIATIVE_PUBLISHED".to_owned(), id.clone()),
            ("INITIATIVE_UNPUBLISHED".to_owned(), id.clone()),
        ],
        "{page:#}"
    );
    for change in nodes(page) {
        assert_eq!(
            change["subject"],
            Value::Null,
            "the public no longer sees it"
        );
    }
    // A moderator still sees what it became.
    let body = read(&app, Some(&moderator), json!({ "after": from_now })).await;
    let last = nodes(feed(&body)).pop().unwrap();
    assert_eq!(last["kind"], "INITIATIVE_UNPUBLISHED");
    assert_eq!(last["subject"]["status"], "ARCHIVED");
}

#[tokio::test]
async fn a_reader_behind_what_is_kept_is_told_to_resynchronise() {
    let app = TestApp::with_demo().await;
    let moderator = app.account("m@exemple.fr", Role::Moderator, None).await;
    let from_start = changes_cursor(&app).await;
    for title in ["Ancienne", "Récente"] {
        let id = submitted(&app, title, "afev").await;
        decide(&app, &moderator, &id, "APPROVE", 1).await;
    }
    let body = read(&app, None, json!({ "after": from_start, "first": 1 })).await;
    let caught_up = feed(&body)["pageInfo"]["endCursor"].clone();
    let body = read(&app, None, json!({ "after": caught_up })).await;
    let at_the_end = feed(&body)["pageInfo"]["endCursor"].clone();

    // Everything but the newest change is older than the retention.
    let kept = stored_changes(&app).await;
    let removed = outbox::prune(app.db(), Utc::now() + Duration::minutes(1))
        .await
        .unwrap();
    assert_eq!(removed, kept - 1);

    for behind in [&from_start, caught_up.as_str().unwrap()] {
        let body = read(&app, None, json!({ "after": behind, "first": 5 })).await;
        assert_eq!(error_codes(&body), ["CHANGES_EXPIRED"], "{body:#}");
        let message = body["errors"][0]["message"].as_str().unwrap();
        assert!(
            message.contains("reload everything") && message.contains("changesCursor"),
            "{message}"
        );
    }
    // A reader that kept up, or starts afresh, reads on.
    let body = read(&app, None, json!({ "after": at_the_end, "first": 5 })).await;
    assert!(nodes(feed(&body)).is_empty());
    let fresh = changes_cursor(&app).await;
    let body = read(&app, None, json!({ "after": fresh, "first": 5 })).await;
    assert!(nodes(feed(&body)).is_empty());
    // A position beyond the stream's end is not of this stream.
    let beyond = ChangeCursor(1_000_000).encode();
    let body = read(&app, None, json!({ "after": beyond })).await;
    assert_eq!(error_codes(&body), ["CHANGES_EXPIRED"], "{body:#}");
}

#[tokio::test]
async fn a_cursor_not_issued_by_the_feed_or_a_bad_page_size_is_bad_user_input() {
    let app = TestApp::with_demo().await;
    for (variables, field) in [
        (json!({ "after": "garbage" }), "after"),
        (json!({ "after": "" }), "after"),
        // A cursor of another list.
        (json!({ "after": "b2Zmc2V0OjA" }), "after"),
        (json!({ "first": 0 }), "first"),
        (json!({ "first": 101 }), "first"),
    ] {
        let body = read(&app, None, variables.clone()).await;
        assert_eq!(
            error_codes(&body),
            ["BAD_USER_INPUT"],
            "{variables}: {body:#}"
        );
        assert_eq!(
            body["errors"][0]["extensions"]["field"], field,
            "{variables}"
        );
    }
}

#[tokio::test]
async fn replicas_pruning_at_once_remove_each_change_once_and_keep_the_position() {
    let app = TestApp::with_demo().await;
    let moderator = app.account("m@exemple.fr", Role::Moderator, None).await;
    for title in ["Une", "Deux", "Trois"] {
        let id = submitted(&app, title, "afev").await;
        decide(&app, &moderator, &id, "APPROVE", 1).await;
    }
    let end = changes_cursor(&app).await;
    let kept = stored_changes(&app).await;
    let before = Utc::now() + Duration::minutes(1);
    let (one, two, three) = tokio::join!(
        outbox::prune(app.db(), before),
        outbox::prune(app.db(), before),
        outbox::prune(app.db(), before),
    );
    let removed = one.unwrap() + two.unwrap() + three.unwrap();
    assert_eq!(removed, kept - 1, "every change but the newest, each once");
    assert_eq!(changes_cursor(&app).await, end);
    let body = read(&app, None, json!({ "after": end })).await;
    assert!(nodes(feed(&body)).is_empty(), "{body:#}");
}

/// How many changes the outbox holds.
async fn stored_changes(app: &TestApp) -> u64 {
    use sea_orm::{EntityTrait, PaginatorTrait};
    entity::change_event::Entity::find()
        .count(app.db())
        .await
        .unwrap()
}

#[tokio::test]
async fn an_erased_person_is_told_to_mirrors_by_id_with_nothing_of_their_data() {
    let app = TestApp::with_demo().await;
    let admin = app.account("admin@exemple.fr", Role::Admin, None).await;
    let person = app.id_of(r#"professional(slug: "julie-parachini")"#).await;
    let from = changes_cursor(&app).await;
    let erased = app
        .query_as(
            &admin.token,
            "mutation ($id: ID!) { erasePersonalData(professionalId: $id) { erasedId } }",
            json!({ "id": person }),
        )
        .await;
    assert!(erased.get("errors").is_none(), "{erased}");

    let query = "query ($after: String) { changes(after: $after) { edges { node {
        kind subjectId subject { id ... on Professional { fullName } } } } } }";
    for caller in [None, Some(&admin)] {
        let body = match caller {
            Some(account) => {
                app.query_as(&account.token, query, json!({ "after": from }))
                    .await
            }
            None => app.query_with(query, json!({ "after": from })).await,
        };
        assert!(body.get("errors").is_none(), "{body}");
        let edges = body["data"]["changes"]["edges"].as_array().unwrap();
        let erasure = edges
            .iter()
            .map(|edge| &edge["node"])
            .find(|node| node["kind"] == "PERSON_ERASED")
            .unwrap_or_else(|| panic!("the erasure is in the feed: {body}"));
        assert_eq!(erasure["subjectId"], person, "a mirror deletes by this id");
        // What the feed says of the person now is what the catalogue holds: no name.
        let text = body.to_string();
        for personal in ["Julie", "Parachini"] {
            assert!(!text.contains(personal), "{personal} in {text}");
        }
    }
}
