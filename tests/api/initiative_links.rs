//! Links between initiatives: written with a draft or proposed on a published initiative,
//! checked (no self-link, no duplicate, no cycle of continuations or parts), and shown only
//! between initiatives the caller may see.

use entity::enums::Role;
use serde_json::{Value, json};

use crate::{
    contributions::{UPDATE, approve, draft, moderate, submit},
    helpers::{TestAccount, TestApp, error_codes},
};

const LINKS: &str = "query ($slug: String!) { initiative(slug: $slug) {
    links { kind note initiative { slug } }
    linkedFrom { kind note initiative { slug } }
    variants { slug } } }";

async fn links_of(app: &TestApp, slug: &str) -> Value {
    app.data_with(LINKS, json!({ "slug": slug })).await["initiative"].clone()
}

async fn links_of_as(app: &TestApp, account: &TestAccount, slug: &str) -> Value {
    app.data_as(&account.token, LINKS, json!({ "slug": slug }))
        .await["initiative"]
        .clone()
}

/// Sets the links of `id` (at `version`) as `account`; the response.
async fn set_links(
    app: &TestApp,
    account: &TestAccount,
    id: &str,
    version: i64,
    links: Value,
) -> Value {
    app.query_as(
        &account.token,
        UPDATE,
        json!({ "input": { "id": id, "expectedVersion": version, "links": links } }),
    )
    .await
}

fn error_field(body: &Value) -> &str {
    body["errors"][0]["extensions"]["field"]
        .as_str()
        .unwrap_or_else(|| panic!("a field error: {body}"))
}

async fn slug_of(app: &TestApp, account: &TestAccount, id: &str) -> String {
    let data = app
        .data_as(
            &account.token,
            "query ($id: ID!) { node(id: $id) { ... on Initiative { slug } } }",
            json!({ "id": id }),
        )
        .await;
    data["node"]["slug"].as_str().unwrap().to_owned()
}

fn slugs(list: &Value) -> Vec<&str> {
    list.as_array()
        .unwrap()
        .iter()
        .map(|item| {
            item["initiative"]["slug"]
                .as_str()
                .or_else(|| item["slug"].as_str())
                .unwrap()
        })
        .collect()
}

#[tokio::test]
async fn the_demo_links_the_actions_the_minutes_report_twice() {
    let app = TestApp::with_demo().await;
    let caf = links_of(&app, "caf-67-materiel-informatique-familles").await;
    assert_eq!(caf["links"][0]["kind"], "VARIANT_OF");
    assert_eq!(
        caf["links"][0]["initiative"]["slug"],
        "acces-internet-eleves-confinement"
    );
    assert!(
        caf["links"][0]["note"]
            .as_str()
            .unwrap()
            .contains("Bas-Rhin")
    );
    assert_eq!(
        slugs(&caf["variants"]),
        ["acces-internet-eleves-confinement"]
    );

    let internet = links_of(&app, "acces-internet-eleves-confinement").await;
    assert_eq!(internet["links"], json!([]));
    assert_eq!(
        slugs(&internet["linkedFrom"]),
        ["caf-67-materiel-informatique-familles"]
    );
    assert_eq!(
        slugs(&internet["variants"]),
        ["caf-67-materiel-informatique-familles"]
    );

    let paniers = links_of(&app, "paniers-solidaires-ccas-producteurs-locaux").await;
    assert_eq!(
        slugs(&paniers["variants"]),
        ["repas-collegiens-conseil-departemental"]
    );
    let linked = app
        .data(
            "{ initiatives(filter: { linkedTo: \"Initiative:none\" }) { totalCount } }"
                .replace(
                    "Initiative:none",
                    &app.id_of("initiative(slug: \"paniers-solidaires-ccas-producteurs-locaux\")")
                        .await,
                )
                .as_str(),
        )
        .await;
    assert_eq!(linked["initiatives"]["totalCount"], 1);
}

#[tokio::test]
async fn a_drafts_links_are_seen_by_its_organisation_and_by_everyone_once_published() {
    let app = TestApp::with_demo().await;
    let partner = app
        .account("afev@exemple.fr", Role::Partner, Some("afev"))
        .await;
    let moderator = app.account("m@exemple.fr", Role::Moderator, None).await;
    let paniers = app
        .id_of("initiative(slug: \"paniers-solidaires-ccas-producteurs-locaux\")")
        .await;
    let id = draft(&app, &partner, "Paniers solidaires à Illkirch").await;
    let linked = set_links(
        &app,
        &partner,
        &id,
        1,
        json!([{ "targetId": paniers, "kind": "VARIANT_OF", "note": "  à Illkirch  " }]),
    )
    .await;
    assert!(linked.get("errors").is_none(), "{linked}");
    let slug = slug_of(&app, &partner, &id).await;

    let own = links_of_as(&app, &partner, &slug).await;
    assert_eq!(own["links"][0]["note"], "à Illkirch");
    assert_eq!(
        slugs(&own["links"]),
        ["paniers-solidaires-ccas-producteurs-locaux"]
    );
    let seen_by_partner =
        links_of_as(&app, &partner, "paniers-solidaires-ccas-producteurs-locaux").await;
    assert!(slugs(&seen_by_partner["variants"]).contains(&slug.as_str()));

    let public = links_of(&app, "paniers-solidaires-ccas-producteurs-locaux").await;
    assert!(
        !slugs(&public["linkedFrom"]).contains(&slug.as_str()),
        "a draft's link is not shown to the public: {public}"
    );
    assert_eq!(
        slugs(&public["variants"]),
        ["repas-collegiens-conseil-departemental"]
    );
    let linked_to_draft =
        "query ($id: ID!) { initiatives(filter: { linkedTo: $id }) { totalCount } }";
    assert_eq!(
        app.data_with(linked_to_draft, json!({ "id": id })).await["initiatives"]["totalCount"],
        0,
        "the links of a draft are not counted for the public"
    );
    assert_eq!(
        app.data_as(&partner.token, linked_to_draft, json!({ "id": id }))
            .await["initiatives"]["totalCount"],
        1
    );

    submit(&app, &partner, &id, 2).await;
    let approved = moderate(&app, &moderator, &id, "APPROVE", None, 3).await;
    assert_eq!(
        approved["data"]["moderate"]["subject"]["status"],
        "PUBLISHED"
    );
    let public = links_of(&app, "paniers-solidaires-ccas-producteurs-locaux").await;
    let published_slug = app
        .data_with(
            "query ($id: ID!) { node(id: $id) { ... on Initiative { slug } } }",
            json!({ "id": id }),
        )
        .await["node"]["slug"]
        .as_str()
        .unwrap()
        .to_owned();
    assert_eq!(
        slugs(&public["linkedFrom"]),
        [
            "repas-collegiens-conseil-departemental",
            published_slug.as_str()
        ]
    );
    assert_eq!(
        slugs(&public["variants"]),
        [
            published_slug.as_str(),
            "repas-collegiens-conseil-departemental"
        ],
        "by title"
    );
}

#[tokio::test]
async fn bad_links_are_refused_by_position_and_nothing_is_written() {
    let app = TestApp::with_demo().await;
    let partner = app
        .account("afev@exemple.fr", Role::Partner, Some("afev"))
        .await;
    let outsider = app
        .account("irdsu@exemple.fr", Role::Partner, Some("irdsu"))
        .await;
    let paniers = app
        .id_of("initiative(slug: \"paniers-solidaires-ccas-producteurs-locaux\")")
        .await;
    let internet = app
        .id_of("initiative(slug: \"acces-internet-eleves-confinement\")")
        .await;
    let id = draft(&app, &partner, "Ordinateurs pour les élèves de Vitry").await;
    let hidden = draft(&app, &outsider, "Un brouillon d'une autre organisation").await;

    let to_itself = set_links(
        &app,
        &partner,
        &id,
        1,
        json!([{ "targetId": id, "kind": "INSPIRED_BY" }]),
    )
    .await;
    assert_eq!(error_codes(&to_itself), ["BAD_USER_INPUT"]);
    assert_eq!(error_field(&to_itself), "input.links[0].targetId");

    let twice = set_links(
        &app,
        &partner,
        &id,
        1,
        json!([
            { "targetId": internet, "kind": "VARIANT_OF" },
            { "targetId": internet, "kind": "VARIANT_OF", "note": "encore" },
        ]),
    )
    .await;
    assert_eq!(error_field(&twice), "input.links[1]");

    let another_organisations_draft = set_links(
        &app,
        &partner,
        &id,
        1,
        json!([
            { "targetId": internet, "kind": "VARIANT_OF" },
            { "targetId": hidden, "kind": "INSPIRED_BY" },
        ]),
    )
    .await;
    assert_eq!(
        error_field(&another_organisations_draft),
        "input.links[1].targetId"
    );
    assert!(
        another_organisations_draft["errors"][0]["message"]
            .as_str()
            .unwrap()
            .contains("does not exist"),
        "a hidden draft is told apart from nothing: {another_organisations_draft}"
    );

    let long_note = set_links(
        &app,
        &partner,
        &id,
        1,
        json!([{ "targetId": paniers, "kind": "INSPIRED_BY", "note": "x".repeat(501) }]),
    )
    .await;
    assert_eq!(error_field(&long_note), "input.links[0].note");

    // CAF 67 already names the internet access as VARIANT_OF: saying it back is refused.
    let moderator = app.account("m@exemple.fr", Role::Moderator, None).await;
    let read = app
        .data("{ initiative(slug: \"acces-internet-eleves-confinement\") { version } }")
        .await;
    let caf = app
        .id_of("initiative(slug: \"caf-67-materiel-informatique-familles\")")
        .await;
    let both_ways = set_links(
        &app,
        &moderator,
        &internet,
        read["initiative"]["version"].as_i64().unwrap(),
        json!([{ "targetId": caf, "kind": "VARIANT_OF" }]),
    )
    .await;
    assert_eq!(error_field(&both_ways), "input.links[0]");

    let kinds_alone = app
        .query("{ initiatives(filter: { linkKinds: [VARIANT_OF] }) { totalCount } }")
        .await;
    assert_eq!(error_codes(&kinds_alone), ["BAD_USER_INPUT"]);

    let slug = slug_of(&app, &partner, &id).await;
    let unchanged = links_of_as(&app, &partner, &slug).await;
    assert_eq!(unchanged["links"], json!([]), "nothing written");
    assert_eq!(
        app.data_as(
            &partner.token,
            "query ($id: ID!) { node(id: $id) { ... on Initiative { version } } }",
            json!({ "id": id })
        )
        .await["node"]["version"],
        1
    );
}

#[tokio::test]
async fn continuations_and_parts_never_lead_back_to_where_they_start() {
    let app = TestApp::with_demo().await;
    let moderator = app.account("m@exemple.fr", Role::Moderator, None).await;
    let mut chain = Vec::new();
    for slug in [
        "petits-dejeuners-livres-familles-isolees",
        "paniers-solidaires-ccas-producteurs-locaux",
        "maintien-marche-local-qpv",
    ] {
        chain.push(app.id_of(&format!("initiative(slug: \"{slug}\")")).await);
    }
    let version_of = |id: String| {
        let app = &app;
        async move {
            app.data_with(
                "query ($id: ID!) { node(id: $id) { ... on Initiative { version } } }",
                json!({ "id": id }),
            )
            .await["node"]["version"]
                .as_i64()
                .unwrap()
        }
    };
    for kind in ["CONTINUATION_OF", "PART_OF"] {
        // a → b → c, then c → a would close the loop.
        for (from, to) in [(0, 1), (1, 2)] {
            let version = version_of(chain[from].clone()).await;
            let linked = set_links(
                &app,
                &moderator,
                &chain[from],
                version,
                json!([{ "targetId": chain[to], "kind": kind }]),
            )
            .await;
            assert!(linked.get("errors").is_none(), "{linked}");
        }
        let version = version_of(chain[2].clone()).await;
        let closing = set_links(
            &app,
            &moderator,
            &chain[2],
            version,
            json!([{ "targetId": chain[0], "kind": kind }]),
        )
        .await;
        assert_eq!(
            error_codes(&closing),
            ["BAD_USER_INPUT"],
            "{kind}: {closing}"
        );
        assert!(
            closing["errors"][0]["message"]
                .as_str()
                .unwrap()
                .contains("cycle")
        );
        // Clear the chain before the next kind.
        for from in [0, 1] {
            let version = version_of(chain[from].clone()).await;
            set_links(&app, &moderator, &chain[from], version, json!([])).await;
        }
    }
    // Inspiration may go both ways.
    for (from, to) in [(0, 1), (1, 0)] {
        let version = version_of(chain[from].clone()).await;
        let linked = set_links(
            &app,
            &moderator,
            &chain[from],
            version,
            json!([{ "targetId": chain[to], "kind": "INSPIRED_BY" }]),
        )
        .await;
        assert!(linked.get("errors").is_none(), "{linked}");
    }
    let filtered = app
        .data_with(
            "query ($id: ID!) { initiatives(filter: { linkedTo: $id, linkKinds: [INSPIRED_BY] }) {
                totalCount } none: initiatives(filter: { linkedTo: $id, linkKinds: [PART_OF] }) {
                totalCount } }",
            json!({ "id": chain[0] }),
        )
        .await;
    assert_eq!(
        filtered["initiatives"]["totalCount"], 1,
        "counted once, whichever holds it"
    );
    assert_eq!(filtered["none"]["totalCount"], 0);
}

#[tokio::test]
async fn a_partner_proposes_links_on_a_published_initiative_and_a_moderator_decides() {
    let app = TestApp::with_demo().await;
    let partner = app
        .account("afev@exemple.fr", Role::Partner, Some("afev"))
        .await;
    let moderator = app.account("m@exemple.fr", Role::Moderator, None).await;
    let mentoring = app
        .data("{ initiative(slug: \"mentorat-a-distance-afev\") { id version } }")
        .await["initiative"]
        .clone();
    let reflection = app
        .id_of("initiative(slug: \"reflexion-accompagnement-scolaire-apres-covid\")")
        .await;
    let propose = "mutation ($input: ProposeInitiativeChangeInput!) {
        proposeInitiativeChange(input: $input) { changeProposal { id status
            changes { field before after } } } }";
    let proposed = app
        .data_as(
            &partner.token,
            propose,
            json!({ "input": { "id": mentoring["id"], "expectedVersion": mentoring["version"],
                "links": [{ "targetId": reflection, "kind": "INSPIRED_BY",
                            "note": "Le mentorat a nourri la réflexion" }] } }),
        )
        .await;
    let proposal = &proposed["proposeInitiativeChange"]["changeProposal"];
    assert_eq!(proposal["changes"][0]["field"], "links");
    assert_eq!(proposal["changes"][0]["before"], Value::Null);
    assert_eq!(
        proposal["changes"][0]["after"],
        format!("INSPIRED_BY {reflection} (Le mentorat a nourri la réflexion)")
    );
    assert_eq!(
        links_of(&app, "mentorat-a-distance-afev").await["links"],
        json!([]),
        "nothing shown until approved"
    );
    approve(&app, &moderator, proposal["id"].as_str().unwrap(), None, 1).await;
    let now = links_of(&app, "mentorat-a-distance-afev").await;
    assert_eq!(
        slugs(&now["links"]),
        ["reflexion-accompagnement-scolaire-apres-covid"]
    );
    let inspired = links_of(&app, "reflexion-accompagnement-scolaire-apres-covid").await;
    assert_eq!(inspired["linkedFrom"][0]["kind"], "INSPIRED_BY");
}
