//! The history of published initiatives: a revision for each change of what the public
//! sees, who made it (the account and the comment only for the initiative's partners and
//! moderators), what changed, and the initiative as it was.

use entity::enums::Role;
use serde_json::{Value, json};

use crate::{
    contributions::{UPDATE, approve, draft, moderate, submit},
    fixtures::link_professional_to_account,
    helpers::{TestAccount, TestApp},
};

const MENTORING: &str = "mentorat-a-distance-afev";

const HISTORY: &str = "query ($id: ID!, $first: Int, $after: String) {
    node(id: $id) { ... on Initiative {
        revisions(first: $first, after: $after) {
            totalCount pageInfo { hasNextPage endCursor }
            nodes { number role organisation { slug } author { email displayName } comment
                changes { field before after } initiative { title summary themes { slug } } } } } } }";

const PROPOSE: &str = "mutation ($input: ProposeInitiativeChangeInput!) {
    proposeInitiativeChange(input: $input) { changeProposal { id } } }";

/// The history of the initiative `id` as `account` (or the public) reads it.
async fn history(app: &TestApp, account: Option<&TestAccount>, id: &str) -> Value {
    history_page(app, account, id, json!({ "id": id })).await
}

async fn history_page(
    app: &TestApp,
    account: Option<&TestAccount>,
    id: &str,
    variables: Value,
) -> Value {
    let mut variables = variables;
    variables["id"] = json!(id);
    let data = match account {
        Some(account) => app.data_as(&account.token, HISTORY, variables).await,
        None => app.data_with(HISTORY, variables).await,
    };
    data["node"]["revisions"].clone()
}

fn fields(revision: &Value) -> Vec<&str> {
    revision["changes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|change| change["field"].as_str().unwrap())
        .collect()
}

/// The demo's mentoring initiative: its id, version and summary.
async fn mentoring(app: &TestApp) -> (String, i64, String) {
    let found = app
        .data(&format!(
            "{{ initiative(slug: \"{MENTORING}\") {{ id version summary }} }}"
        ))
        .await["initiative"]
        .clone();
    (
        found["id"].as_str().unwrap().to_owned(),
        found["version"].as_i64().unwrap(),
        found["summary"].as_str().unwrap().to_owned(),
    )
}

/// AFEV proposes `summary` for the mentoring initiative and `moderator` approves it with
/// `comment`.
async fn approved_proposal(
    app: &TestApp,
    partner: &TestAccount,
    moderator: &TestAccount,
    summary: &str,
    comment: &str,
) {
    let (id, version, _) = mentoring(app).await;
    let proposed = app
        .data_as(
            &partner.token,
            PROPOSE,
            json!({ "input": { "id": id, "expectedVersion": version, "summary": summary } }),
        )
        .await;
    let proposal = proposed["proposeInitiativeChange"]["changeProposal"]["id"]
        .as_str()
        .unwrap()
        .to_owned();
    approve(app, moderator, &proposal, Some(comment), 1).await;
}

#[tokio::test]
async fn publishing_an_initiative_starts_its_history_with_what_its_partners_wrote() {
    let app = TestApp::with_demo().await;
    let partner = app
        .account("afev@exemple.fr", Role::Partner, Some("afev"))
        .await;
    let moderator = app.account("m@exemple.fr", Role::Moderator, None).await;
    let id = draft(&app, &partner, "Jardins partagés au pied des immeubles").await;
    assert_eq!(
        history(&app, Some(&partner), &id).await["totalCount"],
        0,
        "a draft has no history"
    );
    submit(&app, &partner, &id, 1).await;
    moderate(&app, &moderator, &id, "APPROVE", Some("Bienvenue !"), 2).await;

    let public = history(&app, None, &id).await;
    assert_eq!(public["totalCount"], 1);
    let first = &public["nodes"][0];
    assert_eq!(first["number"], 1);
    assert_eq!(first["role"], "PARTNER");
    assert_eq!(first["organisation"]["slug"], "afev");
    assert_eq!(first["author"], Value::Null, "the public sees no account");
    assert_eq!(first["comment"], Value::Null, "nor the moderator's comment");
    assert_eq!(
        fields(first),
        ["title", "summary", "themeIds", "territoryIds"]
    );
    assert_eq!(first["changes"][0]["before"], Value::Null);
    assert_eq!(
        first["changes"][0]["after"],
        "Jardins partagés au pied des immeubles"
    );

    let own = history(&app, Some(&partner), &id).await;
    assert_eq!(own["nodes"][0]["author"]["email"], "afev@exemple.fr");
    assert_eq!(own["nodes"][0]["comment"], "Bienvenue !");
}

#[tokio::test]
async fn an_approved_proposal_is_a_revision_of_its_writer_showing_only_what_changed() {
    let app = TestApp::with_demo().await;
    let partner = app
        .account("afev@exemple.fr", Role::Partner, Some("afev"))
        .await;
    let outsider = app
        .account("irdsu@exemple.fr", Role::Partner, Some("irdsu"))
        .await;
    let moderator = app.account("m@exemple.fr", Role::Moderator, None).await;
    let (id, _, summary) = mentoring(&app).await;
    assert_eq!(
        history(&app, None, &id).await["totalCount"],
        0,
        "the demo was loaded before any change"
    );

    approved_proposal(
        &app,
        &partner,
        &moderator,
        "Un mentorat à distance, poursuivi en 2021.",
        "Merci pour la mise à jour",
    )
    .await;

    let public = history(&app, None, &id).await;
    assert_eq!(public["totalCount"], 2);
    let latest = &public["nodes"][0];
    assert_eq!(latest["number"], 2);
    assert_eq!(latest["role"], "PARTNER");
    assert_eq!(latest["organisation"]["slug"], "afev");
    assert_eq!(
        latest["changes"],
        json!([{ "field": "summary", "before": summary,
            "after": "Un mentorat à distance, poursuivi en 2021." }])
    );
    assert_eq!(latest["author"], Value::Null);
    assert_eq!(latest["comment"], Value::Null);
    let baseline = &public["nodes"][1];
    assert_eq!(baseline["number"], 1);
    assert_eq!(baseline["role"], "BASELINE");
    assert_eq!(baseline["organisation"], Value::Null);
    assert_eq!(baseline["initiative"]["summary"], summary.as_str());

    for (who, reader, sees) in [
        ("its partner", &partner, true),
        ("a moderator", &moderator, true),
        ("another organisation", &outsider, false),
    ] {
        let read = history(&app, Some(reader), &id).await;
        let latest = &read["nodes"][0];
        if sees {
            assert_eq!(latest["author"]["email"], "afev@exemple.fr", "{who}");
            assert_eq!(latest["comment"], "Merci pour la mise à jour", "{who}");
        } else {
            assert_eq!(latest["author"], Value::Null, "{who}");
            assert_eq!(latest["comment"], Value::Null, "{who}");
        }
    }
}

#[tokio::test]
async fn a_revision_gives_the_initiative_as_it_was_for_citations() {
    let app = TestApp::with_demo().await;
    let partner = app
        .account("afev@exemple.fr", Role::Partner, Some("afev"))
        .await;
    let moderator = app.account("m@exemple.fr", Role::Moderator, None).await;
    let (id, _, original) = mentoring(&app).await;
    for summary in [
        "Deuxième version du résumé.",
        "Troisième version du résumé.",
    ] {
        approved_proposal(&app, &partner, &moderator, summary, "ok").await;
    }
    let cite = "query ($id: ID!, $number: Int!) { node(id: $id) { ... on Initiative {
        summary revision(number: $number) { number changes { field before after }
            initiative { summary title themes { slug } } } } } }";
    let as_it_was = |number: i64| {
        let app = &app;
        let id = id.clone();
        async move {
            app.data_with(cite, json!({ "id": id, "number": number }))
                .await["node"]
                .clone()
        }
    };
    let now = as_it_was(2).await;
    assert_eq!(now["summary"], "Troisième version du résumé.");
    assert_eq!(
        now["revision"]["initiative"]["summary"],
        "Deuxième version du résumé."
    );
    assert_eq!(
        now["revision"]["changes"][0]["before"],
        original.as_str(),
        "a revision shows what it changed from the one before"
    );
    assert_eq!(
        as_it_was(1).await["revision"]["initiative"]["summary"],
        original.as_str()
    );
    assert_eq!(
        as_it_was(1).await["revision"]["initiative"]["themes"],
        json!([
            { "slug": "education-et-reussite-educative" },
            { "slug": "maintien-du-lien-avec-les-habitants" }
        ])
    );
    assert_eq!(as_it_was(4).await["revision"], Value::Null);

    // Newest first, a page at a time; the last of a page still shows what it changed.
    let page = history_page(&app, None, &id, json!({ "first": 1 })).await;
    assert_eq!(page["nodes"][0]["number"], 3);
    assert_eq!(page["pageInfo"]["hasNextPage"], true);
    let next = history_page(
        &app,
        None,
        &id,
        json!({ "first": 1, "after": page["pageInfo"]["endCursor"] }),
    )
    .await;
    assert_eq!(next["nodes"][0]["number"], 2);
    assert_eq!(fields(&next["nodes"][0]), ["summary"]);
}

#[tokio::test]
async fn a_moderators_edit_is_a_revision_and_a_change_of_contacts_alone_is_not() {
    let app = TestApp::with_demo().await;
    let moderator = app.account("m@exemple.fr", Role::Moderator, None).await;
    let (id, version, _) = mentoring(&app).await;
    let edit = |version: i64, input: Value| {
        let mut input = input;
        input["id"] = json!(id);
        input["expectedVersion"] = json!(version);
        app.data_as(&moderator.token, UPDATE, json!({ "input": input }))
    };
    edit(
        version,
        json!({ "summary": "Corrigé par la modération.",
            "place": { "latitude": 49.11963, "longitude": 6.17634 } }),
    )
    .await;
    edit(version + 1, json!({ "contactIds": [] })).await;

    let read = history(&app, Some(&moderator), &id).await;
    assert_eq!(read["totalCount"], 2, "{read}");
    assert_eq!(read["nodes"][0]["role"], "MODERATOR");
    assert_eq!(read["nodes"][0]["author"]["email"], "m@exemple.fr");
    assert_eq!(fields(&read["nodes"][0]), ["summary", "place"]);
    assert_eq!(read["nodes"][0]["changes"][1]["after"], "49.12, 6.176");
}

#[tokio::test]
async fn merging_a_theme_revises_the_published_initiatives_that_used_it() {
    let app = TestApp::with_demo().await;
    let admin = app.account("admin@exemple.fr", Role::Admin, None).await;
    let kept = app.id_of("theme(slug: \"aide-alimentaire\")").await;
    let merged = app
        .id_of("theme(slug: \"mobilisation-citoyenne-et-benevole\")")
        .await;
    let breakfasts = app
        .id_of("initiative(slug: \"petits-dejeuners-livres-familles-isolees\")")
        .await;
    app.data_as(
        &admin.token,
        "mutation ($a: ID!, $b: ID!) { mergeThemes(input: { keptId: $a, mergedId: $b }) {
            theme { id } } }",
        json!({ "a": kept, "b": merged }),
    )
    .await;

    let read = history(&app, Some(&admin), &breakfasts).await;
    assert_eq!(read["totalCount"], 2);
    let merge = &read["nodes"][0];
    assert_eq!(merge["role"], "ADMIN");
    assert_eq!(fields(merge), ["themeIds"]);
    assert_eq!(merge["changes"][0]["before"], format!("{kept}, {merged}"));
    assert_eq!(merge["changes"][0]["after"], kept.as_str());
    assert!(
        merge["comment"]
            .as_str()
            .unwrap()
            .contains("mobilisation-citoyenne-et-benevole")
    );
    assert_eq!(
        read["nodes"][1]["initiative"]["themes"]
            .as_array()
            .unwrap()
            .len(),
        1,
        "the baseline shows the themes that still exist"
    );
}

#[tokio::test]
async fn an_erased_persons_name_does_not_survive_in_the_history() {
    let app = TestApp::with_demo().await;
    let julie = app
        .account("julie@exemple.fr", Role::Partner, Some("ville-de-metz"))
        .await;
    link_professional_to_account(app.db(), "julie-parachini", &julie.id).await;
    let colleague = app
        .account("collegue@exemple.fr", Role::Partner, Some("ville-de-metz"))
        .await;
    let moderator = app.account("m@exemple.fr", Role::Moderator, None).await;
    let admin = app.account("admin@exemple.fr", Role::Admin, None).await;
    let id = draft(&app, &julie, "Ateliers numériques au centre social").await;
    submit(&app, &julie, &id, 1).await;
    moderate(&app, &moderator, &id, "APPROVE", None, 2).await;
    let before = history(&app, Some(&moderator), &id).await;
    assert_eq!(before["nodes"][0]["author"]["email"], "julie@exemple.fr");
    let colleagues = history(&app, Some(&colleague), &id).await;
    assert_eq!(
        colleagues["nodes"][0]["author"],
        Value::Null,
        "partners see no one else's account"
    );

    let person = app.id_of("professional(slug: \"julie-parachini\")").await;
    app.data_as(
        &admin.token,
        "mutation ($id: ID!) { erasePersonalData(professionalId: $id) { erasedId } }",
        json!({ "id": person }),
    )
    .await;

    for reader in [Some(&colleague), Some(&moderator), None] {
        let after = history(&app, reader, &id).await;
        assert_eq!(after["totalCount"], 1);
        let shown = after.to_string();
        assert!(!shown.contains("julie"), "{shown}");
        assert_eq!(after["nodes"][0]["organisation"]["slug"], "ville-de-metz");
    }
    let after = history(&app, Some(&moderator), &id).await;
    assert_eq!(after["nodes"][0]["author"]["displayName"], "Compte effacé");
}

#[tokio::test]
async fn merging_a_duplicate_is_a_revision_of_the_kept_initiative() {
    let app = TestApp::with_demo().await;
    let moderator = app.account("m@exemple.fr", Role::Moderator, None).await;
    let kept = app
        .id_of("initiative(slug: \"repas-collegiens-conseil-departemental\")")
        .await;
    let duplicate = app
        .id_of("initiative(slug: \"paniers-solidaires-ccas-producteurs-locaux\")")
        .await;
    let merged = app
        .query_as(
            &moderator.token,
            "mutation ($kept: ID!, $duplicate: ID!) {
                mergeInitiatives(keptId: $kept, duplicateId: $duplicate,
                    comment: \"Deux fiches pour une même action\") { initiative { id } } }",
            json!({ "kept": kept, "duplicate": duplicate }),
        )
        .await;
    assert!(merged.get("errors").is_none(), "{merged}");

    let read = history(&app, Some(&moderator), &kept).await;
    assert_eq!(read["totalCount"], 2, "a baseline, then the merge: {read}");
    let merge = &read["nodes"][0];
    assert_eq!(merge["role"], "MODERATOR");
    assert_eq!(merge["comment"], "Deux fiches pour une même action");
    assert_eq!(fields(merge), ["audiences"]);
    assert_eq!(merge["changes"][0]["before"], "YOUTH");
    assert_eq!(merge["changes"][0]["after"], "YOUTH, INHABITANTS");
}

#[tokio::test]
async fn a_list_shows_each_initiatives_latest_revision_as_its_own_history_does() {
    let app = TestApp::with_demo().await;
    let partner = app
        .account("afev@exemple.fr", Role::Partner, Some("afev"))
        .await;
    let moderator = app.account("m@exemple.fr", Role::Moderator, None).await;
    for summary in [
        "Un mentorat poursuivi en 2021.",
        "Un mentorat poursuivi en 2022.",
    ] {
        approved_proposal(&app, &partner, &moderator, summary, "Merci").await;
    }
    let (id, ..) = mentoring(&app).await;

    let list = app
        .data(
            "{ initiatives(first: 100) { nodes { id revisions(first: 1) {
                totalCount pageInfo { hasNextPage }
                nodes { number changes { field before after } } } } } }",
        )
        .await;
    let nodes = list["initiatives"]["nodes"].as_array().unwrap();
    assert!(nodes.len() > 1, "{list}");
    for node in nodes {
        let revisions = &node["revisions"];
        if node["id"] == id.as_str() {
            assert_eq!(revisions["totalCount"], 3);
            assert_eq!(revisions["pageInfo"]["hasNextPage"], true);
            assert_eq!(
                revisions["nodes"],
                json!([{ "number": 3, "changes": [{ "field": "summary",
                    "before": "Un mentorat poursuivi en 2021.",
                    "after": "Un mentorat poursuivi en 2022." }] }]),
                "what the latest changed, from the revision after the page"
            );
        } else {
            assert_eq!(revisions["totalCount"], 0, "{node}");
            assert_eq!(revisions["nodes"], json!([]));
        }
        let alone = history_page(
            &app,
            None,
            node["id"].as_str().unwrap(),
            json!({ "first": 1 }),
        )
        .await;
        assert_eq!(
            alone["nodes"][0]["number"], revisions["nodes"][0]["number"],
            "{node}"
        );
    }

    let oldest = app
        .data_with(
            "query ($id: ID!) { node(id: $id) { ... on Initiative {
                revisions(last: 1) { totalCount pageInfo { hasPreviousPage }
                    nodes { number role } } } } }",
            json!({ "id": id }),
        )
        .await;
    assert_eq!(
        oldest["node"]["revisions"],
        json!({ "totalCount": 3, "pageInfo": { "hasPreviousPage": true },
            "nodes": [{ "number": 1, "role": "BASELINE" }] }),
        "read from the end"
    );
}
