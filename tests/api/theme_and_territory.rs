//! A public list on a theme and a territory reads the kept facets (the published
//! initiatives per theme and territory pair); everyone else's lists walk the hierarchies.
//! The public's dashboards of the whole catalogue or of a territory read kept counts.
//! Both must answer the same, whatever changes: publications, withdrawals, approved
//! proposals, a sub-theme moved, a territory's parents replaced, an organisation's kind,
//! merges.

use std::collections::BTreeMap;

use entity::enums::Role;
use serde_json::{Value, json};

use crate::{
    contributions::{approve, moderate, submit},
    helpers::{TestAccount, TestApp},
};

/// Every theme's (top-level or not) and territory's slug and id, sorted by slug.
async fn reference(app: &TestApp) -> (Vec<(String, String)>, Vec<(String, String)>) {
    let data = app
        .data(
            "{ themes { id slug children { id slug } } territories(first: 100) { nodes { id slug } } }",
        )
        .await;
    let themes: Vec<Value> = data["themes"]
        .as_array()
        .unwrap()
        .iter()
        .flat_map(|theme| std::iter::once(theme).chain(theme["children"].as_array().unwrap()))
        .cloned()
        .collect();
    let pairs = |list: &Value| {
        let mut pairs: Vec<(String, String)> = list
            .as_array()
            .unwrap()
            .iter()
            .map(|node| {
                (
                    node["slug"].as_str().unwrap().to_owned(),
                    node["id"].as_str().unwrap().to_owned(),
                )
            })
            .collect();
        pairs.sort();
        pairs
    };
    (pairs(&json!(themes)), pairs(&data["territories"]["nodes"]))
}

/// One document asking, for one theme (or none), every territory's (or none's) list and
/// dashboard.
fn document(theme: Option<&str>, territories: &[Option<&str>]) -> String {
    let ids = |id: Option<&str>| id.map_or("[]".to_owned(), |id| format!("[\"{id}\"]"));
    let fields: Vec<String> = territories
        .iter()
        .enumerate()
        .map(|(n, territory)| {
            let filter = format!(
                "{{ themeIds: {}, territoryIds: {} }}",
                ids(theme),
                ids(*territory)
            );
            format!(
                "l{n}: initiatives(filter: {filter}, first: 100) {{ totalCount nodes {{ id }} }} \
                 p{n}: initiatives(filter: {filter}, last: 2) \
                     {{ nodes {{ id }} pageInfo {{ hasNextPage hasPreviousPage }} }} \
                 s{n}: stats(filter: {filter}) {{ total byTheme {{ theme {{ slug }} count }} \
                     byTerritory(kind: DEPARTMENT) {{ territory {{ slug }} count }} \
                     intercommunalities: byTerritory(kind: INTERCOMMUNALITY) \
                         {{ territory {{ slug }} count }} \
                     byStartMonth {{ month count }} byAudience {{ audience count }} \
                     byOrganisationKind {{ kind count }} }}"
            )
        })
        .collect();
    format!("{{ {} }}", fields.join(" "))
}

/// For every theme and none, every territory and none, the public's list (its rows in
/// order, its last page, its count) and dashboard equal a partner's, which walks the
/// hierarchies. The public counts, keyed by (theme, territory) slugs, "*" for none.
async fn kept_facets_agree(app: &TestApp, reader: &TestAccount) -> BTreeMap<(String, String), i64> {
    let (themes, territories) = reference(app).await;
    let mut counts = BTreeMap::new();
    let any = ("*".to_owned(), String::new());
    let territory_ids: Vec<Option<&str>> = std::iter::once(None)
        .chain(territories.iter().map(|(_, id)| Some(id.as_str())))
        .collect();
    let territory_slugs: Vec<&str> = std::iter::once(&any)
        .chain(territories.iter())
        .map(|(slug, _)| slug.as_str())
        .collect();
    for (theme_slug, theme_id) in std::iter::once(&any).chain(themes.iter()) {
        let theme = (!theme_id.is_empty()).then_some(theme_id.as_str());
        // Three fields per territory, at most 20 at the root of a query.
        let (mut public, mut partner) = (json!({}), json!({}));
        for (chunk, ids) in territory_ids.chunks(6).enumerate() {
            let query = document(theme, ids);
            let answers = [
                app.data(&query).await,
                app.data_as(&reader.token, &query, json!({})).await,
            ];
            for (answer, into) in answers.into_iter().zip([&mut public, &mut partner]) {
                for (key, value) in answer.as_object().unwrap() {
                    let (field, n) = key.split_at(1);
                    let n: usize = n.parse().unwrap();
                    into[format!("{field}{}", chunk * 6 + n)] = value.clone();
                }
            }
        }
        for (n, territory_slug) in territory_slugs.iter().enumerate() {
            let pair = format!("{theme_slug} × {territory_slug}");
            for field in ["l", "p", "s"] {
                let key = format!("{field}{n}");
                assert_eq!(public[&key], partner[&key], "{key}: {pair}");
            }
            let total = public[format!("l{n}")]["totalCount"].as_i64().unwrap();
            let listed = public[format!("l{n}")]["nodes"].as_array().unwrap().len();
            assert_eq!(total as usize, listed, "{pair}");
            assert_eq!(public[format!("s{n}")]["total"], total, "{pair}");
            counts.insert((theme_slug.clone(), (*territory_slug).to_owned()), total);
        }
    }
    counts
}

fn count(counts: &BTreeMap<(String, String), i64>, theme: &str, territory: &str) -> i64 {
    counts[&(theme.to_owned(), territory.to_owned())]
}

async fn id_of(app: &TestApp, root: &str, slug: &str) -> String {
    app.id_of(&format!("{root}(slug: \"{slug}\")")).await
}

#[tokio::test]
async fn a_public_list_on_a_theme_and_a_territory_follows_every_change() {
    let app = TestApp::with_demo().await;
    let partner = app
        .account("afev@exemple.fr", Role::Partner, Some("afev"))
        .await;
    let moderator = app.account("m@exemple.fr", Role::Moderator, None).await;
    let admin = app.account("a@exemple.fr", Role::Admin, None).await;
    let reader = app
        .account("irdsu@exemple.fr", Role::Partner, Some("irdsu"))
        .await;
    let start = kept_facets_agree(&app, &reader).await;
    assert!(count(&start, "*", "grand-est") > 0);

    // Published on Metz (in Moselle and in Metz Métropole) with a sub-theme; a draft
    // beside it is nowhere until it is published too.
    let sub_theme = id_of(&app, "theme", "continuite-pedagogique").await;
    let metz = id_of(&app, "territory", "metz").await;
    let create = "mutation ($input: CreateInitiativeInput!) {
        createInitiative(input: $input) { initiative { id } } }";
    let mut created = Vec::new();
    for title in ["Cours par téléphone", "Atelier à Metz"] {
        let data = app
            .data_as(
                &partner.token,
                create,
                json!({ "input": { "title": title, "summary": "Résumé.",
                    "themeIds": [sub_theme], "territoryIds": [metz] } }),
            )
            .await;
        created.push(
            data["createInitiative"]["initiative"]["id"]
                .as_str()
                .unwrap()
                .to_owned(),
        );
    }
    let published = created[0].clone();
    submit(&app, &partner, &published, 1).await;
    approve(&app, &moderator, &published, None, 2).await;
    let after = kept_facets_agree(&app, &reader).await;
    for (theme, territory) in [
        ("continuite-pedagogique", "metz"),
        ("education-et-reussite-educative", "metz-metropole"),
        ("education-et-reussite-educative", "grand-est"),
        ("*", "moselle"),
        ("continuite-pedagogique", "*"),
    ] {
        assert_eq!(
            count(&after, theme, territory),
            count(&start, theme, territory) + 1,
            "{theme} × {territory}"
        );
    }
    assert_eq!(count(&after, "*", "marne"), count(&start, "*", "marne"));

    // Moved to another theme and territory by an approved proposal.
    let proposed = app
        .data_as(
            &partner.token,
            "mutation ($input: ProposeInitiativeChangeInput!) {
                proposeInitiativeChange(input: $input) { changeProposal { id } } }",
            json!({ "input": { "id": published, "expectedVersion": 3,
                "startedOn": "2020-04-06", "audiences": ["FAMILIES", "ELDERLY"],
                "themeIds": [id_of(&app, "theme", "aide-alimentaire").await],
                "territoryIds": [id_of(&app, "territory", "vitry-le-francois").await] } }),
        )
        .await;
    let proposal = proposed["proposeInitiativeChange"]["changeProposal"]["id"]
        .as_str()
        .unwrap();
    let approved = moderate(&app, &moderator, proposal, "APPROVE", None, 1).await;
    assert!(approved["errors"].is_null(), "{approved}");
    let moved = kept_facets_agree(&app, &reader).await;
    assert_eq!(count(&moved, "*", "moselle"), count(&start, "*", "moselle"));
    assert_eq!(count(&moved, "*", "marne"), count(&start, "*", "marne") + 1);
    assert_eq!(
        count(&moved, "solidarites", "marne"),
        count(&start, "solidarites", "marne") + 1
    );

    // The organisation it involves becomes another kind of organisation.
    let afev = id_of(&app, "organisation", "afev").await;
    let kinds = "mutation ($id: ID!, $kind: OrganisationKind!) {
        updateOrganisation(input: { id: $id, kind: $kind }) { organisation { id } } }";
    app.data_as(
        &admin.token,
        kinds,
        json!({ "id": afev, "kind": "COMPANY" }),
    )
    .await;
    assert_eq!(kept_facets_agree(&app, &reader).await, moved);
    app.data_as(
        &admin.token,
        kinds,
        json!({ "id": afev, "kind": "ASSOCIATION" }),
    )
    .await;

    // Withdrawn, then published again.
    let archived = moderate(&app, &moderator, &published, "ARCHIVE", None, 4).await;
    assert!(archived["errors"].is_null(), "{archived}");
    assert_eq!(kept_facets_agree(&app, &reader).await, start);
    let restored = moderate(&app, &moderator, &published, "RESTORE", None, 5).await;
    assert!(restored["errors"].is_null(), "{restored}");
    assert_eq!(kept_facets_agree(&app, &reader).await, moved);

    // A sub-theme moved under another theme takes its initiatives along.
    app.data_as(
        &admin.token,
        "mutation ($id: ID!, $parent: ID!) { updateTheme(input: { id: $id,
                parentId: $parent }) { theme { id } } }",
        json!({ "id": id_of(&app, "theme", "aide-alimentaire").await,
                "parent": id_of(&app, "theme", "education-et-reussite-educative").await }),
    )
    .await;
    let regrouped = kept_facets_agree(&app, &reader).await;
    assert!(
        count(&regrouped, "education-et-reussite-educative", "marne")
            > count(&moved, "education-et-reussite-educative", "marne")
    );

    // Metz lies in nothing any more, then in both again.
    let moselle = id_of(&app, "territory", "moselle").await;
    let metropole = id_of(&app, "territory", "metz-metropole").await;
    let parents = "mutation ($id: ID!, $parents: [ID!]) { updateTerritory(input: { id: $id,
        parentIds: $parents }) { territory { id } } }";
    let at_metz = created[1].clone();
    submit(&app, &partner, &at_metz, 1).await;
    approve(&app, &moderator, &at_metz, None, 2).await;
    let regrouped = kept_facets_agree(&app, &reader).await;
    assert!(count(&regrouped, "*", "metz-metropole") > 0);
    app.data_as(&admin.token, parents, json!({ "id": metz, "parents": [] }))
        .await;
    let apart = kept_facets_agree(&app, &reader).await;
    assert_eq!(count(&apart, "*", "metz-metropole"), 0);
    assert!(count(&apart, "*", "moselle") < count(&regrouped, "*", "moselle"));
    app.data_as(
        &admin.token,
        parents,
        json!({ "id": metz, "parents": [moselle, metropole] }),
    )
    .await;
    assert_eq!(kept_facets_agree(&app, &reader).await, regrouped);

    // A top-level theme merged into another brings its sub-themes and initiatives.
    app.data_as(
        &admin.token,
        "mutation ($kept: ID!, $merged: ID!) { mergeThemes(input: { keptId: $kept,
                mergedId: $merged }) { theme { id } } }",
        json!({ "kept": id_of(&app, "theme", "solidarites").await,
                "merged": id_of(&app, "theme", "lien-social-et-acces-aux-droits").await }),
    )
    .await;
    let fused = kept_facets_agree(&app, &reader).await;
    assert!(
        count(&fused, "solidarites", "grand-est") >= count(&regrouped, "solidarites", "grand-est")
    );

    // An initiative merged into another, which deletes it.
    app.data_as(
        &moderator.token,
        "mutation ($kept: ID!, $duplicate: ID!) {
                mergeInitiatives(keptId: $kept, duplicateId: $duplicate) { initiative { id } } }",
        json!({ "kept": id_of(&app, "initiative", "confection-de-masques").await,
                "duplicate": published }),
    )
    .await;
    let last = kept_facets_agree(&app, &reader).await;
    assert_eq!(count(&last, "*", "*"), count(&fused, "*", "*") - 1);
}
