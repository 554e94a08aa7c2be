//! Partners contribute: initiatives and experiences from draft to submission, and changes
//! proposed to published initiatives.

use entity::enums::Role;
use serde_json::{Value, json};

use crate::helpers::{TestAccount, TestApp, error_codes};

pub const CREATE: &str = "mutation ($input: CreateInitiativeInput!) {
    createInitiative(input: $input) { initiative { id slug status version title summary
        description startedOn endedOn context outcomes continuation audiences
        themes { slug } territories { slug } organisations { role organisation { slug } }
        contacts { slug } meetings { slug } } } }";

pub const UPDATE: &str = "mutation ($input: UpdateInitiativeInput!) {
    updateInitiative(input: $input) { initiative { id status version title summary
        description startedOn outcomes themes { slug } } } }";

pub const SUBMIT: &str = "mutation ($id: ID!, $version: Int!) {
    submitInitiative(input: { id: $id, expectedVersion: $version }) {
        initiative { id status version submittedAt } } }";

pub const MODERATE: &str = "mutation ($id: ID!, $action: ModerationDecision!, $comment: String,
        $version: Int!) {
    moderate(input: { subjectId: $id, action: $action, comment: $comment,
        expectedVersion: $version }) {
        subject {
            ... on Initiative { id status version }
            ... on Experience { id status version }
            ... on ChangeProposal { id status version } } } }";

/// The ids of demo reference data, by slug.
pub async fn ids(app: &TestApp, lookups: &[(&str, &str)]) -> Vec<String> {
    let mut found = Vec::new();
    for (root, slug) in lookups {
        found.push(app.id_of(&format!("{root}(slug: \"{slug}\")")).await);
    }
    found
}

/// A draft initiative of `partner` on a theme and a territory, ready to submit: its id.
pub async fn draft(app: &TestApp, partner: &TestAccount, title: &str) -> String {
    let ids = ids(app, &[("theme", "aide-alimentaire"), ("territory", "metz")]).await;
    let data = app
        .data_as(
            &partner.token,
            CREATE,
            json!({ "input": {
                "title": title, "summary": format!("Résumé : {title}"),
                "themeIds": [ids[0]], "territoryIds": [ids[1]],
            } }),
        )
        .await;
    data["createInitiative"]["initiative"]["id"]
        .as_str()
        .unwrap()
        .to_owned()
}

/// Submits `id` (at version `version`) as `account`; the response.
pub async fn submit(app: &TestApp, account: &TestAccount, id: &str, version: i64) -> Value {
    app.query_as(
        &account.token,
        SUBMIT,
        json!({ "id": id, "version": version }),
    )
    .await
}

/// A moderator's approval of `id` at `version`, which must publish it.
pub async fn approve(
    app: &TestApp,
    moderator: &TestAccount,
    id: &str,
    comment: Option<&str>,
    version: i64,
) {
    let approved = moderate(app, moderator, id, "APPROVE", comment, version).await;
    assert_eq!(
        approved["data"]["moderate"]["subject"]["status"], "PUBLISHED",
        "{approved}"
    );
}

/// A moderator's decision; the response.
pub async fn moderate(
    app: &TestApp,
    account: &TestAccount,
    id: &str,
    action: &str,
    comment: Option<&str>,
    version: i64,
) -> Value {
    app.query_as(
        &account.token,
        MODERATE,
        json!({ "id": id, "action": action, "comment": comment, "version": version }),
    )
    .await
}

/// Approves a submitted initiative, inserted at version 1, as `moderator`, and checks that
/// it is published.
pub async fn publish(app: &TestApp, moderator: &TestAccount, initiative: uuid::Uuid) {
    approve(app, moderator, &format!("Initiative:{initiative}"), None, 1).await;
}

#[tokio::test]
async fn a_partner_creates_a_draft_with_every_field_that_only_its_organisation_sees() {
    let app = TestApp::with_demo().await;
    let partner = app
        .account("afev@exemple.fr", Role::Partner, Some("afev"))
        .await;
    let other = app
        .account("irdsu@exemple.fr", Role::Partner, Some("irdsu"))
        .await;
    let ids = ids(
        &app,
        &[
            ("theme", "accompagnement-scolaire"),
            ("territory", "metz"),
            ("organisation", "afev"),
            ("organisation", "ville-de-metz"),
            ("professional", "julie-parachini"),
            ("meeting", "gouter-visio-dsu-grand-est-2020-05-14"),
        ],
    )
    .await;
    let data = app
        .data_as(
            &partner.token,
            CREATE,
            json!({ "input": {
                "title": "Tutorat en ligne des collégiens",
                "summary": "Des étudiants accompagnent des collégiens par visio.",
                "description": "Chaque semaine, une heure de tutorat.",
                "startedOn": "2020-04-01", "endedOn": "2020-07-03",
                "context": "Confinement", "outcomes": "40 collégiens suivis",
                "continuation": "Repris à la rentrée",
                "audiences": ["YOUTH", "FAMILIES"],
                "themeIds": [ids[0]], "territoryIds": [ids[1]],
                "organisations": [
                    { "organisationId": ids[2], "role": "LEAD" },
                    { "organisationId": ids[3], "role": "FUNDER" }],
                "contactIds": [ids[4]], "meetingIds": [ids[5]],
            } }),
        )
        .await;
    let initiative = &data["createInitiative"]["initiative"];
    assert_eq!(initiative["status"], "DRAFT");
    assert_eq!(initiative["version"], 1);
    let draft_slug = initiative["slug"].as_str().unwrap();
    assert!(
        draft_slug.starts_with("tutorat-en-ligne-des-collegiens-"),
        "a draft's slug owes nothing to other initiatives: {draft_slug}"
    );
    assert_eq!(initiative["startedOn"], "2020-04-01");
    assert_eq!(initiative["continuation"], "Repris à la rentrée");
    assert_eq!(initiative["audiences"], json!(["FAMILIES", "YOUTH"]));
    assert_eq!(initiative["themes"][0]["slug"], "accompagnement-scolaire");
    assert_eq!(initiative["organisations"].as_array().unwrap().len(), 2);
    assert_eq!(initiative["contacts"][0]["slug"], "julie-parachini");
    assert_eq!(
        initiative["meetings"][0]["slug"],
        "gouter-visio-dsu-grand-est-2020-05-14"
    );

    let slug = initiative["slug"].as_str().unwrap();
    let query = format!(
        "{{ bySlug: initiative(slug: \"{slug}\") {{ id }}
            initiatives(filter: {{ search: \"tutorat collegiens\" }}) {{ totalCount }}
            stats {{ total }} }}"
    );
    let own = app.data_as(&partner.token, &query, json!({})).await;
    assert!(own["bySlug"]["id"].is_string());
    assert_eq!(own["initiatives"]["totalCount"], 1);
    for body in [
        app.query(&query).await,
        app.query_as(&other.token, &query, json!({})).await,
    ] {
        assert_eq!(body["data"]["bySlug"], Value::Null, "{body}");
        assert_eq!(body["data"]["initiatives"]["totalCount"], 0);
        assert_eq!(
            body["data"]["stats"]["total"].as_i64().unwrap() + 1,
            own["stats"]["total"].as_i64().unwrap(),
            "not counted for others"
        );
    }
}

#[tokio::test]
async fn an_update_changes_only_what_is_sent_and_null_clears() {
    let app = TestApp::with_demo().await;
    let partner = app
        .account("afev@exemple.fr", Role::Partner, Some("afev"))
        .await;
    let id = draft(&app, &partner, "Paniers solidaires").await;
    let first = app
        .data_as(
            &partner.token,
            UPDATE,
            json!({ "input": { "id": id, "expectedVersion": 1,
                "description": "Une description", "outcomes": "Des résultats",
                "startedOn": "2020-03-17" } }),
        )
        .await;
    assert_eq!(first["updateInitiative"]["initiative"]["version"], 2);
    let second = app
        .data_as(
            &partner.token,
            UPDATE,
            json!({ "input": { "id": id, "expectedVersion": 2, "description": null } }),
        )
        .await;
    let initiative = &second["updateInitiative"]["initiative"];
    assert_eq!(initiative["description"], Value::Null, "null clears");
    assert_eq!(initiative["outcomes"], "Des résultats", "not sent: kept");
    assert_eq!(initiative["startedOn"], "2020-03-17");
    assert_eq!(initiative["title"], "Paniers solidaires");
    assert_eq!(initiative["themes"][0]["slug"], "aide-alimentaire");

    let stale = app
        .query_as(
            &partner.token,
            UPDATE,
            json!({ "input": { "id": id, "expectedVersion": 2, "title": "Autre titre" } }),
        )
        .await;
    assert_eq!(error_codes(&stale), ["CONFLICT"]);
}

#[tokio::test]
async fn bad_contributions_are_refused_by_field_and_nothing_is_written() {
    let app = TestApp::with_demo().await;
    let partner = app
        .account("afev@exemple.fr", Role::Partner, Some("afev"))
        .await;
    let moderator = app.account("m@exemple.fr", Role::Moderator, None).await;
    let metz = app.id_of("territory(slug: \"metz\")").await;
    let unknown_theme = format!("Theme:{}", uuid::Uuid::now_v7());
    let cases = [
        (json!({ "title": " ", "summary": "S" }), "input.title"),
        (
            json!({ "title": "T", "summary": "x".repeat(501) }),
            "input.summary",
        ),
        (
            json!({ "title": "T", "summary": "S", "startedOn": "2020-05-01",
                    "endedOn": "2020-04-01" }),
            "input.endedOn",
        ),
        (
            json!({ "title": "T", "summary": "S", "territoryIds": [metz],
                    "themeIds": [unknown_theme] }),
            "input.themeIds",
        ),
        (
            json!({ "title": "T", "summary": "S", "territoryIds": ["Theme:0190"] }),
            "input.territoryIds[0]",
        ),
    ];
    for (input, field) in cases {
        let body = app
            .query_as(&partner.token, CREATE, json!({ "input": input }))
            .await;
        assert_eq!(error_codes(&body), ["BAD_USER_INPUT"], "{input}: {body}");
        assert_eq!(body["errors"][0]["extensions"]["field"], field, "{body}");
    }
    let all = app
        .data_as(&moderator.token, "{ stats { total } }", json!({}))
        .await;
    assert_eq!(all["stats"]["total"], 15, "only the demo's initiatives");
}

#[tokio::test]
async fn submitting_needs_a_theme_and_a_territory_and_locks_the_draft() {
    let app = TestApp::with_demo().await;
    let partner = app
        .account("afev@exemple.fr", Role::Partner, Some("afev"))
        .await;
    let bare = app
        .data_as(
            &partner.token,
            CREATE,
            json!({ "input": { "title": "Sans thème", "summary": "Résumé" } }),
        )
        .await;
    let bare_id = bare["createInitiative"]["initiative"]["id"]
        .as_str()
        .unwrap();
    let refused = submit(&app, &partner, bare_id, 1).await;
    assert_eq!(error_codes(&refused), ["BAD_USER_INPUT"]);
    assert!(
        refused["errors"][0]["message"]
            .as_str()
            .unwrap()
            .contains("theme")
    );

    let id = draft(&app, &partner, "Petits-déjeuners livrés").await;
    let submitted = submit(&app, &partner, &id, 1).await;
    let initiative = &submitted["data"]["submitInitiative"]["initiative"];
    assert_eq!(initiative["status"], "SUBMITTED", "{submitted}");
    assert!(initiative["submittedAt"].is_string());
    let locked = app
        .query_as(
            &partner.token,
            UPDATE,
            json!({ "input": { "id": id, "expectedVersion": 2, "title": "Modifié" } }),
        )
        .await;
    assert_eq!(error_codes(&locked), ["INVALID_TRANSITION"]);
    assert_eq!(
        error_codes(&submit(&app, &partner, &id, 2).await),
        ["INVALID_TRANSITION"]
    );
}

#[tokio::test]
async fn submit_approve_publishes_and_the_initiative_is_found_and_counted_at_once() {
    let app = TestApp::with_demo().await;
    let partner = app
        .account("afev@exemple.fr", Role::Partner, Some("afev"))
        .await;
    let moderator = app.account("m@exemple.fr", Role::Moderator, None).await;
    let id = draft(&app, &partner, "Cinéma en plein air pour les familles").await;
    submit(&app, &partner, &id, 1).await;
    let query = "{ initiatives(filter: { search: \"cinema plein air\" }) { totalCount }
                   stats { total } }";
    let before = app.data(query).await;
    assert_eq!(before["initiatives"]["totalCount"], 0);
    approve(&app, &moderator, &id, None, 2).await;
    let after = app.data(query).await;
    assert_eq!(after["initiatives"]["totalCount"], 1);
    assert_eq!(
        after["stats"]["total"].as_i64().unwrap(),
        before["stats"]["total"].as_i64().unwrap() + 1
    );
    let archived = moderate(&app, &moderator, &id, "ARCHIVE", None, 3).await;
    assert_eq!(
        archived["data"]["moderate"]["subject"]["status"],
        "ARCHIVED"
    );
    assert_eq!(
        app.data(query).await,
        before,
        "archived: gone from search and counts"
    );
}

#[tokio::test]
async fn changes_requested_go_back_to_the_authors_with_the_comment_and_come_back() {
    let app = TestApp::with_demo().await;
    let partner = app
        .account("afev@exemple.fr", Role::Partner, Some("afev"))
        .await;
    let moderator = app.account("m@exemple.fr", Role::Moderator, None).await;
    let id = draft(&app, &partner, "Atelier couture").await;
    submit(&app, &partner, &id, 1).await;
    let no_comment = moderate(&app, &moderator, &id, "REQUEST_CHANGES", None, 2).await;
    assert_eq!(error_codes(&no_comment), ["BAD_USER_INPUT"]);
    assert_eq!(
        no_comment["errors"][0]["extensions"]["field"],
        "input.comment"
    );
    let sent_back = moderate(
        &app,
        &moderator,
        &id,
        "REQUEST_CHANGES",
        Some("Précisez le public visé"),
        2,
    )
    .await;
    assert_eq!(
        sent_back["data"]["moderate"]["subject"]["status"],
        "CHANGES_REQUESTED"
    );
    let events = app
        .data_as(
            &partner.token,
            "query ($id: ID!) { moderationEvents(subjectId: $id) {
                action fromStatus toStatus comment } }",
            json!({ "id": id }),
        )
        .await;
    let events = events["moderationEvents"].as_array().unwrap();
    let actions: Vec<&str> = events
        .iter()
        .map(|e| e["action"].as_str().unwrap())
        .collect();
    assert_eq!(actions, ["CREATE", "SUBMIT", "REQUEST_CHANGES"]);
    assert_eq!(events[2]["comment"], "Précisez le public visé");
    app.data_as(
        &partner.token,
        UPDATE,
        json!({ "input": { "id": id, "expectedVersion": 3, "audiences": ["FAMILIES"] } }),
    )
    .await;
    let resubmitted = submit(&app, &partner, &id, 4).await;
    assert_eq!(
        resubmitted["data"]["submitInitiative"]["initiative"]["status"],
        "SUBMITTED"
    );
}

#[tokio::test]
async fn an_experience_of_a_published_initiative_goes_through_moderation() {
    let app = TestApp::with_demo().await;
    let partner = app
        .account("afev@exemple.fr", Role::Partner, Some("afev"))
        .await;
    let moderator = app.account("m@exemple.fr", Role::Moderator, None).await;
    let initiative = app
        .id_of("initiative(slug: \"club-d-echecs-en-mode-virtuel\")")
        .await;
    let create = "mutation ($input: CreateExperienceInput!) {
        createExperience(input: $input) { experience { id status version } } }";
    let draft_initiative = draft(&app, &partner, "Brouillon").await;
    let refused = app
        .query_as(
            &partner.token,
            create,
            json!({ "input": { "initiativeId": draft_initiative, "title": "T", "body": "B" } }),
        )
        .await;
    assert_eq!(error_codes(&refused), ["BAD_USER_INPUT"]);
    let created = app
        .data_as(
            &partner.token,
            create,
            json!({ "input": { "initiativeId": initiative,
                "title": "Le club à Vitry", "body": "Nous avons repris l'idée en ligne." } }),
        )
        .await;
    let experience = &created["createExperience"]["experience"];
    assert_eq!(experience["status"], "DRAFT");
    let id = experience["id"].as_str().unwrap();
    let public =
        "query ($id: ID!) { node(id: $id) { ... on Initiative { experiences { title } } } }";
    let count = |data: Value| data["node"]["experiences"].as_array().unwrap().len();
    let before = count(app.data_with(public, json!({ "id": initiative })).await);
    let submitted = app
        .data_as(
            &partner.token,
            "mutation ($id: ID!) { submitExperience(input: { id: $id, expectedVersion: 1 }) {
                experience { status } } }",
            json!({ "id": id }),
        )
        .await;
    assert_eq!(
        submitted["submitExperience"]["experience"]["status"],
        "SUBMITTED"
    );
    let approved = moderate(&app, &moderator, id, "APPROVE", None, 2).await;
    assert_eq!(
        approved["data"]["moderate"]["subject"]["status"],
        "PUBLISHED"
    );
    let after = count(app.data_with(public, json!({ "id": initiative })).await);
    assert_eq!(after, before + 1);
}

#[tokio::test]
async fn a_proposed_change_leaves_the_published_version_until_approved() {
    let app = TestApp::with_demo().await;
    // AFEV leads the mentoring initiative of the demo.
    let partner = app
        .account("afev@exemple.fr", Role::Partner, Some("afev"))
        .await;
    let outsider = app
        .account("irdsu@exemple.fr", Role::Partner, Some("irdsu"))
        .await;
    let moderator = app.account("m@exemple.fr", Role::Moderator, None).await;
    let slug = app
        .data("{ initiatives(filter: { search: \"afev\" }) { nodes { slug } } }")
        .await["initiatives"]["nodes"][0]["slug"]
        .as_str()
        .unwrap()
        .to_owned();
    let read = format!("{{ initiative(slug: \"{slug}\") {{ id version summary outcomes }} }}");
    let published = app.data(&read).await["initiative"].clone();
    let id = published["id"].as_str().unwrap();
    let version = published["version"].as_i64().unwrap();
    let propose = "mutation ($input: ProposeInitiativeChangeInput!) {
        proposeInitiativeChange(input: $input) { changeProposal { id status version
            changes { field before after } } } }";
    let input = json!({ "input": { "id": id, "expectedVersion": version,
        "summary": "Un mentorat à distance, poursuivi en 2021.", "outcomes": null } });
    let refused = app.query_as(&outsider.token, propose, input.clone()).await;
    assert_eq!(error_codes(&refused), ["FORBIDDEN"]);
    let proposed = app.data_as(&partner.token, propose, input).await;
    let proposal = &proposed["proposeInitiativeChange"]["changeProposal"];
    assert_eq!(proposal["status"], "SUBMITTED");
    let changes = proposal["changes"].as_array().unwrap();
    assert_eq!(changes[0]["field"], "summary");
    assert_eq!(changes[0]["before"], published["summary"]);
    assert_eq!(
        changes[0]["after"],
        "Un mentorat à distance, poursuivi en 2021."
    );
    assert_eq!(changes[1]["field"], "outcomes");
    assert_eq!(changes[1]["after"], Value::Null);
    assert_eq!(
        app.data(&read).await["initiative"],
        published,
        "unchanged until approved"
    );

    let queue = app
        .data_as(
            &moderator.token,
            "{ moderationQueue(filter: { kinds: [CHANGE_PROPOSAL] }) {
                totalCount nodes { kind organisation { slug } author { email }
                    changes { field } } } }",
            json!({}),
        )
        .await;
    let item = &queue["moderationQueue"]["nodes"][0];
    assert_eq!(queue["moderationQueue"]["totalCount"], 1);
    assert_eq!(item["kind"], "CHANGE_PROPOSAL");
    assert_eq!(item["organisation"]["slug"], "afev");
    assert_eq!(item["author"]["email"], "afev@exemple.fr");
    assert_eq!(item["changes"].as_array().unwrap().len(), 2);

    let proposal_id = proposal["id"].as_str().unwrap();
    approve(&app, &moderator, proposal_id, None, 1).await;
    let now = app.data(&read).await["initiative"].clone();
    assert_eq!(now["summary"], "Un mentorat à distance, poursuivi en 2021.");
    assert_eq!(now["outcomes"], Value::Null);
    assert_eq!(now["version"].as_i64().unwrap(), version + 1);
    let found = app
        .data("{ initiatives(filter: { search: \"poursuivi 2021\" }) { totalCount } }")
        .await;
    assert_eq!(found["initiatives"]["totalCount"], 1, "searchable at once");
}

#[tokio::test]
async fn a_proposal_made_on_an_older_version_cannot_be_approved() {
    let app = TestApp::with_demo().await;
    let partner = app
        .account("afev@exemple.fr", Role::Partner, Some("afev"))
        .await;
    let moderator = app.account("m@exemple.fr", Role::Moderator, None).await;
    let id = draft(&app, &partner, "Jardins partagés").await;
    submit(&app, &partner, &id, 1).await;
    moderate(&app, &moderator, &id, "APPROVE", None, 2).await;
    let propose = "mutation ($input: ProposeInitiativeChangeInput!) {
        proposeInitiativeChange(input: $input) { changeProposal { id } } }";
    let first = app
        .data_as(
            &partner.token,
            propose,
            json!({ "input": { "id": id, "expectedVersion": 3, "summary": "Premier" } }),
        )
        .await;
    let second = app
        .data_as(
            &partner.token,
            propose,
            json!({ "input": { "id": id, "expectedVersion": 3, "summary": "Second" } }),
        )
        .await;
    let first = first["proposeInitiativeChange"]["changeProposal"]["id"]
        .as_str()
        .unwrap();
    let second = second["proposeInitiativeChange"]["changeProposal"]["id"]
        .as_str()
        .unwrap();
    moderate(&app, &moderator, first, "APPROVE", None, 1).await;
    let stale = moderate(&app, &moderator, second, "APPROVE", None, 1).await;
    assert_eq!(error_codes(&stale), ["CONFLICT"]);
    let rejected = moderate(&app, &moderator, second, "REJECT", Some("Dépassé"), 1).await;
    assert_eq!(
        rejected["data"]["moderate"]["subject"]["status"],
        "REJECTED"
    );
}

#[tokio::test]
async fn merging_organisations_moves_their_pending_proposals_too() {
    let app = TestApp::with_demo().await;
    let partner = app
        .account("afev@exemple.fr", Role::Partner, Some("afev"))
        .await;
    let moderator = app.account("m@exemple.fr", Role::Moderator, None).await;
    let admin = app.account("a@exemple.fr", Role::Admin, None).await;
    let id = draft(&app, &partner, "Jardins partagés").await;
    submit(&app, &partner, &id, 1).await;
    moderate(&app, &moderator, &id, "APPROVE", None, 2).await;
    let proposed = app
        .data_as(
            &partner.token,
            "mutation ($id: ID!) { proposeInitiativeChange(input: {
                id: $id, expectedVersion: 3, summary: \"Nouveau résumé\" }) {
                changeProposal { id } } }",
            json!({ "id": id }),
        )
        .await;
    let proposal = proposed["proposeInitiativeChange"]["changeProposal"]["id"].clone();
    let [afev, irdsu] = <[String; 2]>::try_from(
        ids(&app, &[("organisation", "afev"), ("organisation", "irdsu")]).await,
    )
    .unwrap();
    let refused = app
        .query_as(
            &admin.token,
            "mutation ($id: ID!) { deleteOrganisation(input: { id: $id }) { __typename } }",
            json!({ "id": afev }),
        )
        .await;
    assert_eq!(error_codes(&refused), ["CONFLICT"]);
    assert!(
        refused["errors"][0]["message"]
            .as_str()
            .unwrap()
            .contains("change proposals"),
        "{refused}"
    );
    app.data_as(
        &admin.token,
        "mutation ($kept: ID!, $merged: ID!) {
            mergeOrganisations(input: { keptId: $kept, mergedId: $merged }) { __typename } }",
        json!({ "kept": irdsu, "merged": afev }),
    )
    .await;
    let moved = app
        .data_as(
            &moderator.token,
            "query ($id: ID!) { node(id: $id) { ... on ChangeProposal { organisation { slug } } } }",
            json!({ "id": proposal }),
        )
        .await;
    assert_eq!(moved["node"]["organisation"]["slug"], "irdsu");
}

#[tokio::test]
async fn a_drafts_slug_reveals_no_hidden_namesake_and_publication_gives_the_readable_one() {
    let app = TestApp::with_demo().await;
    let afev = app
        .account("afev@exemple.fr", Role::Partner, Some("afev"))
        .await;
    let irdsu = app
        .account("irdsu@exemple.fr", Role::Partner, Some("irdsu"))
        .await;
    let moderator = app.account("m@exemple.fr", Role::Moderator, None).await;
    let hidden = draft(&app, &irdsu, "Distribution de masques").await;
    let own = draft(&app, &afev, "Distribution de masques").await;
    let slug_of = |id: String, token: String| {
        let app = &app;
        async move {
            app.data_as(
                &token,
                "query ($id: ID!) { node(id: $id) { ... on Initiative { slug } } }",
                json!({ "id": id }),
            )
            .await["node"]["slug"]
                .as_str()
                .unwrap()
                .to_owned()
        }
    };
    let own_slug = slug_of(own.clone(), afev.token.clone()).await;
    assert!(
        own_slug.starts_with("distribution-de-masques-"),
        "{own_slug}"
    );
    assert!(!own_slug.ends_with("-2"), "{own_slug}");
    for (id, author) in [(&own, &afev), (&hidden, &irdsu)] {
        submit(&app, author, id, 1).await;
        moderate(&app, &moderator, id, "APPROVE", None, 2).await;
    }
    assert_eq!(
        slug_of(own, afev.token.clone()).await,
        "distribution-de-masques"
    );
    assert_eq!(
        slug_of(hidden, afev.token.clone()).await,
        "distribution-de-masques-2"
    );
}

#[tokio::test]
async fn exporting_ones_own_data_does_not_show_another_organisations_drafts() {
    let app = TestApp::with_demo().await;
    let julie = app
        .account("julie@exemple.fr", Role::Partner, Some("afev"))
        .await;
    let irdsu = app
        .account("irdsu@exemple.fr", Role::Partner, Some("irdsu"))
        .await;
    let admin = app.account("a@exemple.fr", Role::Admin, None).await;
    crate::fixtures::link_professional_to_account(app.db(), "julie-parachini", &julie.id).await;
    let person = app.id_of("professional(slug: \"julie-parachini\")").await;
    let hidden = draft(&app, &irdsu, "Projet confidentiel de l'IRDSU").await;
    app.data_as(
        &irdsu.token,
        UPDATE,
        json!({ "input": { "id": hidden, "expectedVersion": 1, "contactIds": [person] } }),
    )
    .await;
    let export = "query ($id: ID!) { exportPersonalData(professionalId: $id) }";
    let titles = |data: Value| -> Vec<String> {
        data["exportPersonalData"]["initiativeContacts"]
            .as_array()
            .unwrap()
            .iter()
            .map(|contact| contact["initiative"].as_str().unwrap().to_owned())
            .collect()
    };
    let own = titles(
        app.data_as(&julie.token, export, json!({ "id": person }))
            .await,
    );
    let full = titles(
        app.data_as(&admin.token, export, json!({ "id": person }))
            .await,
    );
    assert!(!own.iter().any(|title| title.contains("IRDSU")), "{own:?}");
    assert!(full.iter().any(|title| title.contains("IRDSU")), "{full:?}");
}

#[tokio::test]
async fn a_proposal_shows_its_changed_lists_as_they_are_and_as_they_would_be() {
    let app = TestApp::with_demo().await;
    let partner = app
        .account("afev@exemple.fr", Role::Partner, Some("afev"))
        .await;
    let moderator = app.account("m@exemple.fr", Role::Moderator, None).await;
    let id = draft(&app, &partner, "Jardins partagés").await;
    submit(&app, &partner, &id, 1).await;
    moderate(&app, &moderator, &id, "APPROVE", None, 2).await;
    let [food, school, afev] = <[String; 3]>::try_from(
        ids(
            &app,
            &[
                ("theme", "aide-alimentaire"),
                ("theme", "accompagnement-scolaire"),
                ("organisation", "afev"),
            ],
        )
        .await,
    )
    .unwrap();
    let proposed = app
        .data_as(
            &partner.token,
            "mutation ($input: ProposeInitiativeChangeInput!) {
                proposeInitiativeChange(input: $input) { changeProposal {
                    changes { field before after } } } }",
            json!({ "input": { "id": id, "expectedVersion": 3,
                "themeIds": [school],
                "organisations": [{ "organisationId": afev, "role": "LEAD" }] } }),
        )
        .await;
    let changes = &proposed["proposeInitiativeChange"]["changeProposal"]["changes"];
    assert_eq!(
        changes,
        &json!([
            { "field": "themeIds", "before": food, "after": school },
            { "field": "organisations", "before": null, "after": format!("{afev} (LEAD)") },
        ])
    );
}
