//! Moderators decide: every transition for every role, the queue with its warnings, the
//! audit log, and concurrent decisions.

use entity::enums::{ModerationStatus, Role};
use serde_json::{Value, json};

use crate::{
    contributions::{MODERATE, UPDATE, draft, moderate, submit},
    fixtures::{NewInitiative, insert_initiative},
    helpers::{TestApp, error_codes},
};

const ALL_STATUSES: [ModerationStatus; 6] = [
    ModerationStatus::Draft,
    ModerationStatus::Submitted,
    ModerationStatus::ChangesRequested,
    ModerationStatus::Published,
    ModerationStatus::Rejected,
    ModerationStatus::Archived,
];

/// The status a decision leads to from `from`, as the design's state machine says.
fn expected(action: &str, from: ModerationStatus) -> Option<&'static str> {
    use ModerationStatus::*;
    match (action, from) {
        ("APPROVE", Submitted) => Some("PUBLISHED"),
        ("REJECT", Submitted) => Some("REJECTED"),
        ("REQUEST_CHANGES", Submitted) => Some("CHANGES_REQUESTED"),
        ("ARCHIVE", Published) => Some("ARCHIVED"),
        ("RESTORE", Archived) => Some("PUBLISHED"),
        _ => None,
    }
}

#[tokio::test]
async fn every_decision_from_every_state_by_every_role() {
    let app = TestApp::with_demo().await;
    let partner = app
        .account("afev@exemple.fr", Role::Partner, Some("afev"))
        .await;
    let moderator = app.account("m@exemple.fr", Role::Moderator, None).await;
    let admin = app.account("a@exemple.fr", Role::Admin, None).await;
    for (action, decider) in ["APPROVE", "REJECT", "REQUEST_CHANGES", "ARCHIVE", "RESTORE"]
        .into_iter()
        .flat_map(|action| [(action, &moderator), (action, &admin)])
    {
        for from in ALL_STATUSES {
            let id = insert_initiative(
                app.db(),
                NewInitiative {
                    title: &format!("{action} depuis {}", from.as_str()),
                    status: from,
                    owner: Some("afev"),
                    ..NewInitiative::default()
                },
            )
            .await;
            let id = format!("Initiative:{id}");
            let variables = json!({ "id": id, "action": action, "comment": "Motif", "version": 1 });
            let anonymous = app.query_with(MODERATE, variables.clone()).await;
            assert_eq!(error_codes(&anonymous), ["UNAUTHENTICATED"]);
            let by_partner = app
                .query_as(&partner.token, MODERATE, variables.clone())
                .await;
            assert_eq!(
                error_codes(&by_partner),
                ["FORBIDDEN"],
                "{action} by its author"
            );
            // Moderators and admins: the same state machine.
            let body = app.query_as(&decider.token, MODERATE, variables).await;
            match expected(action, from) {
                Some(to) => {
                    assert_eq!(body["data"]["moderate"]["subject"]["status"], to, "{body}");
                }
                None => assert_eq!(
                    error_codes(&body),
                    ["INVALID_TRANSITION"],
                    "{action} from {from:?}: {body}"
                ),
            }
        }
    }
}

#[tokio::test]
async fn authors_submit_from_draft_or_changes_requested_only_and_others_cannot() {
    let app = TestApp::with_demo().await;
    let partner = app
        .account("afev@exemple.fr", Role::Partner, Some("afev"))
        .await;
    let other = app
        .account("irdsu@exemple.fr", Role::Partner, Some("irdsu"))
        .await;
    for from in ALL_STATUSES {
        let id = insert_initiative(
            app.db(),
            NewInitiative {
                title: &format!("Soumission depuis {}", from.as_str()),
                status: from,
                themes: &["aide-alimentaire"],
                territories: &["metz"],
                owner: Some("afev"),
                ..NewInitiative::default()
            },
        )
        .await;
        let id = format!("Initiative:{id}");
        let by_other = submit(&app, &other, &id, 1).await;
        let hidden = from != ModerationStatus::Published;
        assert_eq!(
            error_codes(&by_other),
            [if hidden { "NOT_FOUND" } else { "FORBIDDEN" }],
            "another organisation, {from:?}"
        );
        let body = submit(&app, &partner, &id, 1).await;
        if matches!(
            from,
            ModerationStatus::Draft | ModerationStatus::ChangesRequested
        ) {
            assert_eq!(
                body["data"]["submitInitiative"]["initiative"]["status"],
                "SUBMITTED"
            );
        } else {
            assert_eq!(error_codes(&body), ["INVALID_TRANSITION"], "{from:?}");
        }
    }
}

#[tokio::test]
async fn another_organisation_cannot_tell_a_draft_exists() {
    let app = TestApp::with_demo().await;
    let partner = app
        .account("afev@exemple.fr", Role::Partner, Some("afev"))
        .await;
    let other = app
        .account("irdsu@exemple.fr", Role::Partner, Some("irdsu"))
        .await;
    let id = draft(&app, &partner, "Projet confidentiel").await;
    let update = app
        .query_as(
            &other.token,
            UPDATE,
            json!({ "input": { "id": id, "expectedVersion": 1, "title": "Pris" } }),
        )
        .await;
    let unknown = app
        .query_as(
            &other.token,
            UPDATE,
            json!({ "input": { "id": format!("Initiative:{}", uuid::Uuid::now_v7()),
                "expectedVersion": 1, "title": "Pris" } }),
        )
        .await;
    assert_eq!(error_codes(&update), ["NOT_FOUND"]);
    assert_eq!(
        update["errors"][0]["message"], unknown["errors"][0]["message"],
        "the same answer as for an id that does not exist"
    );
    let events = app
        .data_as(
            &other.token,
            "query ($id: ID!) { moderationEvents(subjectId: $id) { action } }",
            json!({ "id": id }),
        )
        .await;
    assert_eq!(events["moderationEvents"], json!([]));
    let node = app
        .data_as(
            &other.token,
            "query ($id: ID!) { node(id: $id) { id } }",
            json!({ "id": id }),
        )
        .await;
    assert_eq!(node["node"], Value::Null);
}

#[tokio::test]
async fn the_queue_lists_submissions_oldest_first_with_personal_data_warnings() {
    let app = TestApp::with_demo().await;
    let partner = app
        .account("afev@exemple.fr", Role::Partner, Some("afev"))
        .await;
    let moderator = app.account("m@exemple.fr", Role::Moderator, None).await;
    let first = draft(&app, &partner, "Première soumission").await;
    let second = draft(&app, &partner, "Seconde soumission").await;
    let never = draft(&app, &partner, "Jamais soumise").await;
    app.data_as(
        &partner.token,
        UPDATE,
        json!({ "input": { "id": second, "expectedVersion": 1,
            "description": "Inscriptions : marie.dupont@exemple.fr ou 06 12 34 56 78." } }),
    )
    .await;
    submit(&app, &partner, &first, 1).await;
    submit(&app, &partner, &second, 2).await;
    let queue = app
        .data_as(
            &moderator.token,
            "{ moderationQueue { totalCount nodes {
                kind status submittedAt organisation { slug } author { email }
                subject { ... on Initiative { id title } }
                warnings { field kind excerpt } } } }",
            json!({}),
        )
        .await;
    let queue = &queue["moderationQueue"];
    assert_eq!(
        queue["totalCount"], 2,
        "drafts are not in the queue: {queue}"
    );
    let nodes = queue["nodes"].as_array().unwrap();
    assert_eq!(nodes[0]["subject"]["id"], first.as_str());
    assert_eq!(nodes[1]["subject"]["id"], second.as_str());
    assert_eq!(nodes[0]["warnings"], json!([]));
    assert_eq!(
        nodes[1]["warnings"],
        json!([
            { "field": "description", "kind": "EMAIL", "excerpt": "marie.dupont@exemple.fr" },
            { "field": "description", "kind": "PHONE", "excerpt": "06 12 34 56 78" },
        ])
    );
    assert_eq!(nodes[1]["author"]["email"], "afev@exemple.fr");
    assert_ne!(nodes[1]["subject"]["id"], never.as_str());
    for who in [None, Some(&partner)] {
        let body = match who {
            None => app.query("{ moderationQueue { totalCount } }").await,
            Some(account) => {
                app.query_as(
                    &account.token,
                    "{ moderationQueue { totalCount } }",
                    json!({}),
                )
                .await
            }
        };
        assert_eq!(
            error_codes(&body),
            [if who.is_none() {
                "UNAUTHENTICATED"
            } else {
                "FORBIDDEN"
            }]
        );
    }
}

#[tokio::test]
async fn a_moderator_edits_a_published_initiative_directly_and_it_is_logged() {
    let app = TestApp::with_demo().await;
    let moderator = app.account("m@exemple.fr", Role::Moderator, None).await;
    let initiative = app
        .data("{ initiative(slug: \"club-d-echecs-en-mode-virtuel\") { id version } }")
        .await["initiative"]
        .clone();
    let edited = app
        .data_as(
            &moderator.token,
            UPDATE,
            json!({ "input": { "id": initiative["id"], "expectedVersion": initiative["version"],
                "outcomes": "Le club compte 30 joueurs en ligne." } }),
        )
        .await;
    assert_eq!(
        edited["updateInitiative"]["initiative"]["status"],
        "PUBLISHED"
    );
    let events = app
        .data_as(
            &moderator.token,
            "query ($id: ID!) { moderationEvents(subjectId: $id) {
                action fromStatus toStatus actor { email } } }",
            json!({ "id": initiative["id"] }),
        )
        .await;
    assert_eq!(
        events["moderationEvents"],
        json!([{ "action": "EDIT", "fromStatus": "PUBLISHED", "toStatus": "PUBLISHED",
                 "actor": { "email": "m@exemple.fr" } }])
    );
}

#[tokio::test]
async fn of_fifty_simultaneous_approvals_exactly_one_succeeds() {
    let app = TestApp::with_demo().await;
    let partner = app
        .account("afev@exemple.fr", Role::Partner, Some("afev"))
        .await;
    let moderator = app.account("m@exemple.fr", Role::Moderator, None).await;
    let id = draft(&app, &partner, "Approbation disputée").await;
    submit(&app, &partner, &id, 1).await;
    let attempts = (0..50).map(|_| moderate(&app, &moderator, &id, "APPROVE", None, 2));
    let bodies = futures_util::future::join_all(attempts).await;
    let succeeded = bodies
        .iter()
        .filter(|body| body["data"]["moderate"]["subject"]["status"] == "PUBLISHED")
        .count();
    let conflicts = bodies
        .iter()
        .filter(|body| error_codes(body) == ["CONFLICT"])
        .count();
    assert_eq!(succeeded, 1);
    assert_eq!(
        conflicts,
        49,
        "{:?}",
        bodies.iter().map(error_codes).collect::<Vec<_>>()
    );
    let events = app
        .data_as(
            &moderator.token,
            "query ($id: ID!) { moderationEvents(subjectId: $id) { action } }",
            json!({ "id": id }),
        )
        .await;
    let approvals = events["moderationEvents"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|event| event["action"] == "APPROVE")
        .count();
    assert_eq!(approvals, 1);
}

const QUEUE_ITEM: &str = "query ($id: ID!) { node(id: $id) {
    __typename ... on ModerationItem { id status subject { ... on Initiative { id status } } } } }";

#[tokio::test]
async fn a_queue_item_keeps_its_id_and_node_shows_it_as_it_is_after_an_approval() {
    let app = TestApp::with_demo().await;
    let partner = app
        .account("afev@exemple.fr", Role::Partner, Some("afev"))
        .await;
    let other = app
        .account("irdsu@exemple.fr", Role::Partner, Some("irdsu"))
        .await;
    let moderator = app.account("m@exemple.fr", Role::Moderator, None).await;
    let initiative = draft(&app, &partner, "Un goûter partagé").await;
    submit(&app, &partner, &initiative, 1).await;
    let queue = "{ moderationQueue { nodes { id subject { ... on Initiative { id } } } } }";
    let first_read = app.data_as(&moderator.token, queue, json!({})).await;
    let second_read = app.data_as(&moderator.token, queue, json!({})).await;
    assert_eq!(first_read, second_read, "ids are stable between two reads");
    let item = &first_read["moderationQueue"]["nodes"][0];
    assert_eq!(item["subject"]["id"], initiative.as_str());
    let id = item["id"].as_str().unwrap().to_owned();
    assert!(id.starts_with("ModerationItem:"), "{id}");

    let approved = moderate(&app, &moderator, &initiative, "APPROVE", None, 2).await;
    assert_eq!(
        approved["data"]["moderate"]["subject"]["status"],
        "PUBLISHED"
    );
    let after = app
        .data_as(&moderator.token, QUEUE_ITEM, json!({ "id": id }))
        .await;
    assert_eq!(
        after["node"],
        json!({ "__typename": "ModerationItem", "id": id, "status": "PUBLISHED",
                "subject": { "id": initiative, "status": "PUBLISHED" } })
    );
    // Its organisation's partners follow it, as they do through moderationQueueChanged.
    let by_author = app
        .data_as(&partner.token, QUEUE_ITEM, json!({ "id": id }))
        .await;
    assert_eq!(by_author["node"]["status"], "PUBLISHED");
    // Anyone else sees no item, even of a published initiative.
    let anonymous = app.data_with(QUEUE_ITEM, json!({ "id": id })).await;
    assert_eq!(anonymous["node"], Value::Null);
    let by_other = app
        .data_as(&other.token, QUEUE_ITEM, json!({ "id": id }))
        .await;
    assert_eq!(by_other["node"], Value::Null);
}

const LOG: &str = "query ($id: ID!, $first: Int, $after: String) {
    moderationLog(subjectId: $id, first: $first, after: $after) {
        totalCount
        edges { cursor node { id action toStatus } }
        pageInfo { hasNextPage endCursor } } }";

#[tokio::test]
async fn the_moderation_log_pages_its_entries_each_with_a_stable_id_that_node_fetches() {
    let app = TestApp::with_demo().await;
    let partner = app
        .account("afev@exemple.fr", Role::Partner, Some("afev"))
        .await;
    let other = app
        .account("irdsu@exemple.fr", Role::Partner, Some("irdsu"))
        .await;
    let moderator = app.account("m@exemple.fr", Role::Moderator, None).await;
    let initiative = draft(&app, &partner, "Un atelier vélo").await;
    submit(&app, &partner, &initiative, 1).await;
    moderate(&app, &moderator, &initiative, "APPROVE", None, 2).await;

    let first_page = app
        .data_as(
            &moderator.token,
            LOG,
            json!({ "id": initiative, "first": 2 }),
        )
        .await["moderationLog"]
        .clone();
    assert_eq!(first_page["totalCount"], 3);
    assert_eq!(first_page["pageInfo"]["hasNextPage"], true);
    let second_page = app
        .data_as(
            &moderator.token,
            LOG,
            json!({ "id": initiative, "first": 2, "after": first_page["pageInfo"]["endCursor"] }),
        )
        .await["moderationLog"]
        .clone();
    assert_eq!(second_page["pageInfo"]["hasNextPage"], false);
    let entries: Vec<Value> = first_page["edges"]
        .as_array()
        .unwrap()
        .iter()
        .chain(second_page["edges"].as_array().unwrap())
        .map(|edge| edge["node"].clone())
        .collect();
    let actions: Vec<&str> = entries
        .iter()
        .map(|entry| entry["action"].as_str().unwrap())
        .collect();
    assert_eq!(actions, ["CREATE", "SUBMIT", "APPROVE"]);

    // The deprecated list holds the same entries, with the same ids.
    let listed = app
        .data_as(
            &moderator.token,
            "query ($id: ID!) { moderationEvents(subjectId: $id) { id action toStatus } }",
            json!({ "id": initiative }),
        )
        .await;
    assert_eq!(listed["moderationEvents"], json!(entries));

    let approval = &entries[2];
    let entry = "query ($id: ID!) { node(id: $id) { ... on ModerationEvent { id action } } }";
    for reader in [&moderator, &partner] {
        let found = app
            .data_as(&reader.token, entry, json!({ "id": approval["id"] }))
            .await;
        assert_eq!(
            found["node"],
            json!({ "id": approval["id"], "action": "APPROVE" })
        );
    }
    let by_other = app
        .data_as(&other.token, entry, json!({ "id": approval["id"] }))
        .await;
    assert_eq!(by_other["node"], Value::Null);
    let anonymous = app.data_with(entry, json!({ "id": approval["id"] })).await;
    assert_eq!(anonymous["node"], Value::Null);
    // Another organisation's partner reads an empty log, as from the old list.
    let empty = app
        .data_as(&other.token, LOG, json!({ "id": initiative }))
        .await;
    assert_eq!(
        empty["moderationLog"],
        json!({ "totalCount": 0, "edges": [],
                "pageInfo": { "hasNextPage": false, "endCursor": null } })
    );
}
