//! Who may do what: every operation of the API against every kind of caller.

use entity::enums::{ContactVisibility, ModerationStatus, Role};
use serde_json::{Value, json};

use crate::{
    fixtures::{NewInitiative, insert_initiative, set_contact_details},
    helpers::{TEST_PASSWORD, TestApp, error_codes},
};

/// The kinds of callers.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Who {
    Anonymous,
    Partner,
    OtherPartner,
    Moderator,
    Admin,
    /// An admin whose account was deactivated after its token was issued.
    Deactivated,
}

const EVERYONE: [Who; 6] = [
    Who::Anonymous,
    Who::Partner,
    Who::OtherPartner,
    Who::Moderator,
    Who::Admin,
    Who::Deactivated,
];

struct Callers {
    partner: String,
    other_partner: String,
    moderator: String,
    admin: String,
    deactivated: String,
    /// A partner of the same organisation, whose account the admin operations change.
    target_id: String,
}

async fn callers(app: &TestApp) -> Callers {
    let token = |email: &'static str, role, organisation| async move {
        app.account(email, role, organisation).await.token
    };
    let target = app
        .account("cible@exemple.fr", Role::Partner, Some("afev"))
        .await;
    let admin = token("admin@exemple.fr", Role::Admin, None).await;
    let deactivated = app.account("ancien@exemple.fr", Role::Admin, None).await;
    app.data_as(
        &admin,
        "mutation ($id: ID!) { deactivateUser(id: $id) { user { id } } }",
        json!({ "id": deactivated.id }),
    )
    .await;
    Callers {
        partner: token("afev@exemple.fr", Role::Partner, Some("afev")).await,
        other_partner: token("irdsu@exemple.fr", Role::Partner, Some("irdsu")).await,
        moderator: token("moderation@exemple.fr", Role::Moderator, None).await,
        admin,
        deactivated: deactivated.token,
        target_id: target.id,
    }
}

async fn run(app: &TestApp, callers: &Callers, who: Who, query: &str, variables: Value) -> Value {
    let token = match who {
        Who::Anonymous => return app.query_with(query, variables).await,
        Who::Partner => &callers.partner,
        Who::OtherPartner => &callers.other_partner,
        Who::Moderator => &callers.moderator,
        Who::Admin => &callers.admin,
        Who::Deactivated => {
            let body = json!({ "query": query, "variables": variables });
            let response = app.post_graphql_as(&callers.deactivated, body).await;
            assert_eq!(response.status(), 401, "a deactivated account: {query}");
            return response.json().await.unwrap();
        }
    };
    app.query_as(token, query, variables).await
}

/// The error code a caller gets, or "OK".
fn outcome(body: &Value) -> String {
    error_codes(body)
        .first()
        .cloned()
        .unwrap_or_else(|| "OK".to_owned())
}

#[tokio::test]
async fn only_admins_manage_accounts() {
    let app = TestApp::with_demo().await;
    let callers = callers(&app).await;
    let afev = app.id_of(r#"organisation(slug: "afev")"#).await;
    let operations: Vec<(&str, String, Value)> = vec![
        ("users", "{ users { totalCount } }".to_owned(), json!({})),
        (
            "createUser",
            "mutation ($email: String!, $org: ID!) { createUser(input: {
                email: $email, displayName: \"X\", role: PARTNER, organisationId: $org }) {
                user { id } } }"
                .to_owned(),
            json!({ "org": afev }),
        ),
        (
            "updateUser",
            "mutation ($id: ID!) { updateUser(input: { id: $id, displayName: \"Y\" }) {
                user { id } } }"
                .to_owned(),
            json!({ "id": callers.target_id }),
        ),
        (
            "deactivateUser",
            "mutation ($id: ID!) { deactivateUser(id: $id) { user { id } } }".to_owned(),
            json!({ "id": callers.target_id }),
        ),
        (
            "reactivateUser",
            "mutation ($id: ID!) { reactivateUser(id: $id) { user { id } } }".to_owned(),
            json!({ "id": callers.target_id }),
        ),
    ];
    for (name, query, mut variables) in operations {
        for who in EVERYONE {
            variables["email"] = json!(format!("{name}-{who:?}@exemple.fr").to_lowercase());
            let body = run(&app, &callers, who, &query, variables.clone()).await;
            let expected = match who {
                Who::Anonymous | Who::Deactivated => "UNAUTHENTICATED",
                Who::Admin => "OK",
                Who::Partner | Who::OtherPartner | Who::Moderator => "FORBIDDEN",
            };
            assert_eq!(outcome(&body), expected, "{name} by {who:?}: {body}");
        }
    }
}

#[tokio::test]
async fn every_account_manages_its_own_credentials_and_the_public_has_none() {
    let app = TestApp::with_demo().await;
    let callers = callers(&app).await;
    for who in EVERYONE {
        let signed_out = matches!(who, Who::Anonymous | Who::Deactivated);
        let me = run(&app, &callers, who, "{ me { email } }", json!({})).await;
        if who == Who::Deactivated {
            assert_eq!(outcome(&me), "UNAUTHENTICATED");
        } else {
            assert_eq!(outcome(&me), "OK");
            assert_eq!(me["data"]["me"].is_null(), who == Who::Anonymous, "{who:?}");
        }

        // A new password that is too short: the access check passes, the value does not.
        let change = run(
            &app,
            &callers,
            who,
            "mutation ($current: String!) { changePassword(input: {
                currentPassword: $current, newPassword: \"court\" }) { token } }",
            json!({ "current": TEST_PASSWORD }),
        )
        .await;
        let expected = if signed_out {
            "UNAUTHENTICATED"
        } else {
            "BAD_USER_INPUT"
        };
        assert_eq!(outcome(&change), expected, "changePassword by {who:?}");

        let logout = run(
            &app,
            &callers,
            who,
            "mutation { logoutEverywhere { user { email } } }",
            json!({}),
        )
        .await;
        let expected = if signed_out { "UNAUTHENTICATED" } else { "OK" };
        assert_eq!(outcome(&logout), expected, "logoutEverywhere by {who:?}");
    }
}

#[tokio::test]
async fn drafts_are_seen_by_their_organisation_and_moderators_only_on_every_path() {
    let app = TestApp::with_demo().await;
    let callers = callers(&app).await;
    let mut drafts = Vec::new();
    for (index, status) in crate::fixtures::UNPUBLISHED.into_iter().enumerate() {
        drafts.push(
            insert_initiative(
                app.db(),
                NewInitiative {
                    title: &format!("Brouillon {index} de l'AFEV"),
                    status,
                    territories: &["metz"],
                    owner: Some("afev"),
                    ..NewInitiative::default()
                },
            )
            .await,
        );
    }
    let unowned = insert_initiative(
        app.db(),
        NewInitiative {
            title: "Brouillon sans organisation",
            status: ModerationStatus::Draft,
            territories: &["metz"],
            ..NewInitiative::default()
        },
    )
    .await;
    let public = app.data("{ initiatives { totalCount } }").await["initiatives"]["totalCount"]
        .as_i64()
        .unwrap();
    let query = "query ($ids: [ID!]!, $slug: String!) {
        initiatives { totalCount }
        territory(slug: \"metz\") { initiatives { totalCount } }
        nodes(ids: $ids) { id }
        bySlug: initiative(slug: $slug) { id }
    }";
    let draft_slug = format!("test-{}", drafts[0].simple());
    let ids: Vec<String> = drafts
        .iter()
        .chain([&unowned])
        .map(|id| format!("Initiative:{id}"))
        .collect();
    for who in EVERYONE {
        let variables = json!({ "ids": ids, "slug": draft_slug });
        let body = run(&app, &callers, who, query, variables).await;
        if who == Who::Deactivated {
            assert_eq!(outcome(&body), "UNAUTHENTICATED");
            continue;
        }
        assert_eq!(outcome(&body), "OK", "{body}");
        let data = &body["data"];
        assert_eq!(
            data["bySlug"].is_null(),
            matches!(who, Who::Anonymous | Who::OtherPartner),
            "initiative(slug) by {who:?}"
        );
        let seen = match who {
            Who::Anonymous | Who::OtherPartner | Who::Deactivated => 0,
            Who::Partner => drafts.len(),
            Who::Moderator | Who::Admin => drafts.len() + 1,
        };
        assert_eq!(
            data["initiatives"]["totalCount"].as_i64().unwrap(),
            public + seen as i64,
            "{who:?}"
        );
        let found = data["nodes"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|node| !node.is_null())
            .count();
        assert_eq!(found, seen, "node by {who:?}");
        let in_metz = data["territory"]["initiatives"]["totalCount"]
            .as_i64()
            .unwrap();
        let public_in_metz = app
            .data("{ territory(slug: \"metz\") { initiatives { totalCount } } }")
            .await["territory"]["initiatives"]["totalCount"]
            .as_i64()
            .unwrap();
        assert_eq!(
            in_metz,
            public_in_metz + seen as i64,
            "territory count by {who:?}"
        );
    }
}

#[tokio::test]
async fn contact_details_follow_the_persons_choice_for_every_caller_on_every_path() {
    let app = TestApp::with_demo().await;
    let callers = callers(&app).await;
    set_contact_details(app.db(), "julie-parachini", ContactVisibility::Public).await;
    set_contact_details(app.db(), "julien-piquand", ContactVisibility::Members).await;
    set_contact_details(app.db(), "severine-aubry", ContactVisibility::Private).await;
    let ids: Vec<String> = {
        let mut ids = Vec::new();
        for slug in ["julie-parachini", "julien-piquand", "severine-aubry"] {
            ids.push(app.id_of(&format!("professional(slug: \"{slug}\")")).await);
        }
        ids
    };
    let query = "query ($ids: [ID!]!) {
        one: professional(slug: \"severine-aubry\") { slug email phone }
        list: professionals(first: 100) { nodes { slug email phone } }
        nodes(ids: $ids) { ... on Professional { slug email phone } }
        meeting(slug: \"gouter-visio-dsu-grand-est-2020-05-14\") {
            participants { professional { slug email phone } } }
        initiatives(first: 100) { nodes { contacts { slug email phone } } }
    }";
    for who in EVERYONE {
        let body = run(&app, &callers, who, query, json!({ "ids": ids })).await;
        if who == Who::Deactivated {
            assert_eq!(outcome(&body), "UNAUTHENTICATED");
            continue;
        }
        assert_eq!(outcome(&body), "OK", "{body}");
        let mut people: Vec<&Value> = vec![&body["data"]["one"]];
        people.extend(body["data"]["list"]["nodes"].as_array().unwrap());
        people.extend(body["data"]["nodes"].as_array().unwrap());
        people.extend(
            body["data"]["meeting"]["participants"]
                .as_array()
                .unwrap()
                .iter()
                .map(|participant| &participant["professional"])
                .filter(|person| !person.is_null()),
        );
        for initiative in body["data"]["initiatives"]["nodes"].as_array().unwrap() {
            people.extend(initiative["contacts"].as_array().unwrap());
        }
        for person in people {
            let visible = match person["slug"].as_str().unwrap() {
                "julie-parachini" => true,
                "julien-piquand" => who != Who::Anonymous,
                "severine-aubry" => matches!(who, Who::Moderator | Who::Admin),
                _ => continue,
            };
            assert_eq!(!person["email"].is_null(), visible, "{who:?}: {person}");
            assert_eq!(!person["phone"].is_null(), visible, "{who:?}: {person}");
        }
    }
}

#[tokio::test]
async fn a_person_sees_their_own_private_contact_details() {
    let app = TestApp::with_demo().await;
    let severine = app
        .account("severine@exemple.fr", Role::Partner, Some("afev"))
        .await;
    set_contact_details(app.db(), "severine-aubry", ContactVisibility::Private).await;
    crate::fixtures::link_professional_to_account(app.db(), "severine-aubry", &severine.id).await;
    let query = "{ professional(slug: \"severine-aubry\") { email } }";
    let other = app
        .account("paul@exemple.fr", Role::Partner, Some("afev"))
        .await;
    assert_eq!(
        app.data_as(&severine.token, query, json!({})).await["professional"]["email"],
        "severine-aubry@exemple.fr"
    );
    assert_eq!(
        app.data_as(&other.token, query, json!({})).await["professional"]["email"],
        Value::Null
    );
}

#[tokio::test]
async fn an_organisations_draft_experience_is_seen_by_its_partners_and_moderators_only() {
    let app = TestApp::with_demo().await;
    let callers = callers(&app).await;
    let initiative = insert_initiative(
        app.db(),
        NewInitiative {
            title: "Initiative publiée",
            ..NewInitiative::default()
        },
    )
    .await;
    let draft = crate::fixtures::insert_experience(
        app.db(),
        initiative,
        "Retour en cours d'écriture",
        ModerationStatus::Draft,
    )
    .await;
    crate::fixtures::set_experience_organisation(app.db(), draft, "afev").await;
    let query = "query ($id: ID!, $draft: ID!) {
        node(id: $id) { ... on Initiative { experiences { title } } }
        draft: node(id: $draft) { id } }";
    let variables = json!({
        "id": format!("Initiative:{initiative}"),
        "draft": format!("Experience:{draft}"),
    });
    for who in EVERYONE {
        let body = run(&app, &callers, who, query, variables.clone()).await;
        if who == Who::Deactivated {
            continue;
        }
        let sees = matches!(who, Who::Partner | Who::Moderator | Who::Admin);
        let experiences = body["data"]["node"]["experiences"].as_array().unwrap();
        assert_eq!(experiences.len(), usize::from(sees), "{who:?}: {body}");
        assert_eq!(!body["data"]["draft"].is_null(), sees, "{who:?}");
    }
}

#[tokio::test]
async fn every_account_contributes_and_only_moderators_read_the_queue() {
    let app = TestApp::with_demo().await;
    let callers = callers(&app).await;
    let create = "mutation ($title: String!) { createInitiative(input: {
        title: $title, summary: \"Résumé\" }) { initiative { status } } }";
    let queue = "{ moderationQueue { totalCount } }";
    for who in EVERYONE {
        let created = run(
            &app,
            &callers,
            who,
            create,
            json!({ "title": format!("Par {who:?}") }),
        )
        .await;
        let expected = match who {
            Who::Anonymous | Who::Deactivated => "UNAUTHENTICATED",
            _ => "OK",
        };
        assert_eq!(outcome(&created), expected, "createInitiative by {who:?}");
        let listed = run(&app, &callers, who, queue, json!({})).await;
        let expected = match who {
            Who::Anonymous | Who::Deactivated => "UNAUTHENTICATED",
            Who::Partner | Who::OtherPartner => "FORBIDDEN",
            Who::Moderator | Who::Admin => "OK",
        };
        assert_eq!(outcome(&listed), expected, "moderationQueue by {who:?}");
    }
}
