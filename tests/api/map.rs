//! The map: initiatives placed at their territories' points or at a point their writer
//! gave (rounded to about 100 m), lists of a map view, and clusters counting only what the
//! caller may see.

use entity::enums::Role;
use serde_json::{Value, json};

use crate::{
    contributions::{CREATE, UPDATE, approve, draft, ids, moderate, submit},
    helpers::{TestAccount, TestApp, error_codes},
};

const PLACE: &str = "query ($id: ID!) { node(id: $id) { ... on Initiative { place {
    latitude longitude explicit } } } }";

/// Metropolitan France.
fn france() -> Value {
    json!({ "south": 41.3, "west": -5.2, "north": 51.1, "east": 9.6 })
}

async fn place_as(app: &TestApp, account: &TestAccount, id: &str) -> Value {
    app.data_as(&account.token, PLACE, json!({ "id": id }))
        .await["node"]["place"]
        .clone()
}

fn error_field(body: &Value) -> &str {
    body["errors"][0]["extensions"]["field"]
        .as_str()
        .unwrap_or_else(|| panic!("a field error: {body}"))
}

/// A draft of `account` on a theme and the territories of these slugs, with the fields of
/// `extra`: its id.
async fn draft_on(
    app: &TestApp,
    account: &TestAccount,
    title: &str,
    territories: &[&str],
    extra: Value,
) -> String {
    let lookups: Vec<(&str, &str)> = territories
        .iter()
        .map(|slug| ("territory", *slug))
        .collect();
    let mut input = json!({ "title": title, "summary": format!("Résumé : {title}"),
        "themeIds": ids(app, &[("theme", "aide-alimentaire")]).await,
        "territoryIds": ids(app, &lookups).await });
    for (key, value) in extra.as_object().unwrap() {
        input[key] = value.clone();
    }
    let created = app
        .query_as(&account.token, CREATE, json!({ "input": input }))
        .await;
    created["data"]["createInitiative"]["initiative"]["id"]
        .as_str()
        .unwrap_or_else(|| panic!("created: {created}"))
        .to_owned()
}

/// Submits and approves a draft at version 1.
async fn publish(app: &TestApp, partner: &TestAccount, moderator: &TestAccount, id: &str) {
    submit(app, partner, id, 1).await;
    approve(app, moderator, id, None, 2).await;
}

const WITHIN: &str = "query ($within: BoundingBox!) {
    initiatives(filter: { within: $within }, first: 100, orderBy: { field: TITLE }) {
        totalCount nodes { title } } }";

fn titles(data: &Value) -> Vec<&str> {
    data["initiatives"]["nodes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|node| node["title"].as_str().unwrap())
        .collect()
}

const CLUSTERS: &str = "query ($zoom: Int!, $within: BoundingBox!, $filter: InitiativeFilter) {
    initiativeClusters(zoom: $zoom, within: $within, filter: $filter) {
        count point { latitude longitude explicit } bounds { south west north east } } }";

/// The clusters' counts, summed.
fn counted(data: &Value) -> i64 {
    data["initiativeClusters"]
        .as_array()
        .unwrap()
        .iter()
        .map(|cluster| cluster["count"].as_i64().unwrap())
        .sum()
}

#[tokio::test]
async fn an_initiative_sits_at_the_point_of_its_most_local_territories() {
    let app = TestApp::with_demo().await;
    let partner = app
        .account("afev@exemple.fr", Role::Partner, Some("afev"))
        .await;
    let metz = draft_on(&app, &partner, "À Metz", &["metz", "moselle"], json!({})).await;
    assert_eq!(
        place_as(&app, &partner, &metz).await,
        json!({ "latitude": 49.119, "longitude": 6.176, "explicit": false }),
        "the municipality's point, not its department's"
    );
    let marne = draft_on(
        &app,
        &partner,
        "Dans deux villes de la Marne",
        &["chalons-en-champagne", "vitry-le-francois"],
        json!({}),
    )
    .await;
    assert_eq!(
        place_as(&app, &partner, &marne).await,
        json!({ "latitude": 48.841, "longitude": 4.474, "explicit": false }),
        "between the two municipalities, rounded"
    );
    let region = draft_on(&app, &partner, "Dans la région", &["grand-est"], json!({})).await;
    assert_eq!(
        place_as(&app, &partner, &region).await,
        Value::Null,
        "a region has no point"
    );

    let moved = app
        .data_as(
            &partner.token,
            UPDATE,
            json!({ "input": { "id": region, "expectedVersion": 1,
                "territoryIds": ids(&app, &[("territory", "bas-rhin")]).await } }),
        )
        .await;
    assert_eq!(moved["updateInitiative"]["initiative"]["version"], 2);
    assert_eq!(
        place_as(&app, &partner, &region).await,
        json!({ "latitude": 48.573, "longitude": 7.752, "explicit": false }),
        "its place follows its territories"
    );
}

#[tokio::test]
async fn an_explicit_place_is_rounded_to_about_a_hundred_metres_and_null_returns_to_the_territories()
 {
    let app = TestApp::with_demo().await;
    let partner = app
        .account("afev@exemple.fr", Role::Partner, Some("afev"))
        .await;
    let id = draft_on(
        &app,
        &partner,
        "Au pied de l'immeuble",
        &["metz"],
        json!({ "place": { "latitude": 49.107_849_3, "longitude": 6.199_451_2 } }),
    )
    .await;
    assert_eq!(
        place_as(&app, &partner, &id).await,
        json!({ "latitude": 49.108, "longitude": 6.199, "explicit": true })
    );

    let refused = app
        .query_as(
            &partner.token,
            UPDATE,
            json!({ "input": { "id": id, "expectedVersion": 1,
                "place": { "latitude": 95.0, "longitude": 6.2 } } }),
        )
        .await;
    assert_eq!(error_codes(&refused), ["BAD_USER_INPUT"]);
    assert_eq!(error_field(&refused), "input.place.latitude");
    let refused = app
        .query_as(
            &partner.token,
            UPDATE,
            json!({ "input": { "id": id, "expectedVersion": 1,
                "place": { "latitude": 49.1, "longitude": -180.5 } } }),
        )
        .await;
    assert_eq!(error_field(&refused), "input.place.longitude");

    let cleared = app
        .query_as(
            &partner.token,
            UPDATE,
            json!({ "input": { "id": id, "expectedVersion": 1, "place": null } }),
        )
        .await;
    assert!(cleared.get("errors").is_none(), "{cleared}");
    assert_eq!(
        place_as(&app, &partner, &id).await,
        json!({ "latitude": 49.119, "longitude": 6.176, "explicit": false }),
        "Metz's point again"
    );
}

#[tokio::test]
async fn a_place_follows_its_territorys_point_unless_its_writer_gave_one() {
    let app = TestApp::with_demo().await;
    let partner = app
        .account("afev@exemple.fr", Role::Partner, Some("afev"))
        .await;
    let admin = app.account("admin@exemple.fr", Role::Admin, None).await;
    let derived = draft(&app, &partner, "Sur Metz").await;
    let explicit = draft_on(
        &app,
        &partner,
        "Dans un quartier de Metz",
        &["metz"],
        json!({ "place": { "latitude": 49.1, "longitude": 6.2 } }),
    )
    .await;
    let metz = app.id_of("territory(slug: \"metz\")").await;
    let moved = app
        .query_as(
            &admin.token,
            "mutation ($id: ID!) { updateTerritory(input: { id: $id, latitude: 49.1333,
                longitude: 6.1666 }) { territory { latitude } } }",
            json!({ "id": metz }),
        )
        .await;
    assert!(moved.get("errors").is_none(), "{moved}");
    assert_eq!(
        place_as(&app, &partner, &derived).await,
        json!({ "latitude": 49.133, "longitude": 6.167, "explicit": false })
    );
    assert_eq!(
        place_as(&app, &partner, &explicit).await,
        json!({ "latitude": 49.1, "longitude": 6.2, "explicit": true })
    );

    let cleared = app
        .query_as(
            &admin.token,
            "mutation ($id: ID!) { updateTerritory(input: { id: $id, latitude: null,
                longitude: null }) { territory { latitude } } }",
            json!({ "id": metz }),
        )
        .await;
    assert!(cleared.get("errors").is_none(), "{cleared}");
    assert_eq!(place_as(&app, &partner, &derived).await, Value::Null);
}

#[tokio::test]
async fn a_map_view_lists_and_counts_the_initiatives_inside_its_box() {
    let app = TestApp::with_demo().await;
    let partner = app
        .account("afev@exemple.fr", Role::Partner, Some("afev"))
        .await;
    let moderator = app.account("m@exemple.fr", Role::Moderator, None).await;
    let metz = draft_on(&app, &partner, "Jardin à Metz", &["metz"], json!({})).await;
    publish(&app, &partner, &moderator, &metz).await;
    let noumea = draft_on(
        &app,
        &partner,
        "Échanges avec Nouméa",
        &["grand-est"],
        json!({ "place": { "latitude": -22.276, "longitude": 166.458 } }),
    )
    .await;
    publish(&app, &partner, &moderator, &noumea).await;

    let everywhere = app.data_with(WITHIN, json!({ "within": france() })).await;
    assert_eq!(
        titles(&everywhere),
        [
            "Jardin à Metz",
            "Matériel informatique pour des familles ciblées avec les établissements scolaires \
             (CAF 67)"
        ],
        "the demo's initiatives on the region have no place"
    );
    assert_eq!(everywhere["initiatives"]["totalCount"], 2);

    let around_metz = json!({ "south": 49.0, "west": 6.0, "north": 49.2, "east": 6.3 });
    let found = app
        .data_with(WITHIN, json!({ "within": around_metz }))
        .await;
    assert_eq!(titles(&found), ["Jardin à Metz"]);
    assert_eq!(found["initiatives"]["totalCount"], 1);

    let across_the_antimeridian = json!({ "south": -30, "west": 160, "north": -10, "east": -170 });
    let found = app
        .data_with(WITHIN, json!({ "within": across_the_antimeridian }))
        .await;
    assert_eq!(titles(&found), ["Échanges avec Nouméa"]);
    let east_of_it = json!({ "south": -30, "west": 170, "north": -10, "east": -170 });
    let found = app.data_with(WITHIN, json!({ "within": east_of_it })).await;
    assert_eq!(found["initiatives"]["totalCount"], 0);

    let upside_down = app
        .query_with(
            WITHIN,
            json!({ "within": { "south": 49.2, "west": 6.0, "north": 49.0, "east": 6.3 } }),
        )
        .await;
    assert_eq!(error_codes(&upside_down), ["BAD_USER_INPUT"]);
    assert_eq!(error_field(&upside_down), "filter.within.north");
}

#[tokio::test]
async fn clusters_count_only_the_initiatives_the_caller_may_see() {
    let app = TestApp::with_demo().await;
    let partner = app
        .account("afev@exemple.fr", Role::Partner, Some("afev"))
        .await;
    let outsider = app
        .account("irdsu@exemple.fr", Role::Partner, Some("irdsu"))
        .await;
    let moderator = app.account("m@exemple.fr", Role::Moderator, None).await;
    for title in ["Jardin à Metz", "Repas à Metz"] {
        let id = draft_on(&app, &partner, title, &["metz"], json!({})).await;
        publish(&app, &partner, &moderator, &id).await;
    }
    let hidden = draft_on(&app, &outsider, "Brouillon à Metz", &["metz"], json!({})).await;
    assert!(!hidden.is_empty());

    // At zoom 8 a cell is 1.40625° wide: Metz and Strasbourg are in two cells side by side.
    let variables = json!({ "zoom": 8, "within": france() });
    let public = app.data_with(CLUSTERS, variables.clone()).await;
    let cells = public["initiativeClusters"].as_array().unwrap();
    assert_eq!(counted(&public), 3, "{public}");
    assert_eq!(cells.len(), 2, "{public}");
    let metz = cells
        .iter()
        .find(|cell| cell["count"] == 2)
        .unwrap_or_else(|| panic!("a cell of 2: {public}"));
    assert_eq!(metz["point"]["latitude"], 49.119);
    assert_eq!(metz["point"]["longitude"], 6.176);
    assert_eq!(metz["point"]["explicit"], Value::Null);
    assert_eq!(
        metz["bounds"],
        json!({ "south": 47.8125, "west": 5.625, "north": 49.21875, "east": 7.03125 })
    );

    let seen_by_the_drafts_organisation = app
        .data_as(&outsider.token, CLUSTERS, variables.clone())
        .await;
    assert_eq!(counted(&seen_by_the_drafts_organisation), 4);
    let seen_by_another_partner = app
        .data_as(&partner.token, CLUSTERS, variables.clone())
        .await;
    assert_eq!(
        counted(&seen_by_another_partner),
        3,
        "another organisation's draft is not counted"
    );

    let filtered = app
        .data_with(
            CLUSTERS,
            json!({ "zoom": 8, "within": france(), "filter": { "search": "repas metz" } }),
        )
        .await;
    assert_eq!(counted(&filtered), 1);
}

#[tokio::test]
async fn a_zoom_out_of_range_or_a_box_of_too_many_cells_is_refused() {
    let app = TestApp::with_demo().await;
    for (zoom, field) in [(21, "zoom"), (-1, "zoom"), (14, "within")] {
        let refused = app
            .query_with(CLUSTERS, json!({ "zoom": zoom, "within": france() }))
            .await;
        assert_eq!(error_codes(&refused), ["BAD_USER_INPUT"], "zoom {zoom}");
        assert_eq!(error_field(&refused), field, "zoom {zoom}");
    }
    let upside_down = app
        .query_with(
            CLUSTERS,
            json!({ "zoom": 6, "within": { "south": 50, "west": 0, "north": 40, "east": 5 } }),
        )
        .await;
    assert_eq!(error_field(&upside_down), "within.north");
}

#[tokio::test]
async fn a_place_proposed_for_a_published_initiative_waits_for_moderation() {
    let app = TestApp::with_demo().await;
    let partner = app
        .account("afev@exemple.fr", Role::Partner, Some("afev"))
        .await;
    let moderator = app.account("m@exemple.fr", Role::Moderator, None).await;
    let id = draft(&app, &partner, "Jardin à Metz").await;
    publish(&app, &partner, &moderator, &id).await;
    let propose = "mutation ($input: ProposeInitiativeChangeInput!) {
        proposeInitiativeChange(input: $input) { changeProposal { id
            changes { field before after } } } }";
    let proposed = app
        .data_as(
            &partner.token,
            propose,
            json!({ "input": { "id": id, "expectedVersion": 3,
                "place": { "latitude": 49.101_2, "longitude": 6.158_9 } } }),
        )
        .await;
    let proposal = &proposed["proposeInitiativeChange"]["changeProposal"];
    assert_eq!(
        proposal["changes"],
        json!([{ "field": "place", "before": null, "after": "49.101, 6.159" }])
    );
    assert_eq!(
        place_as(&app, &partner, &id).await,
        json!({ "latitude": 49.119, "longitude": 6.176, "explicit": false }),
        "unchanged until approved"
    );
    approve(&app, &moderator, proposal["id"].as_str().unwrap(), None, 1).await;
    assert_eq!(
        place_as(&app, &partner, &id).await,
        json!({ "latitude": 49.101, "longitude": 6.159, "explicit": true })
    );
}

#[tokio::test]
async fn a_territory_file_with_points_moves_the_places_of_the_initiatives_on_them() {
    let app = TestApp::with_demo().await;
    let partner = app
        .account("afev@exemple.fr", Role::Partner, Some("afev"))
        .await;
    let id = draft_on(&app, &partner, "Dans le Bas-Rhin", &["bas-rhin"], json!({})).await;
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("departements.csv");
    std::fs::write(
        &file,
        "DEP;REG;LIBELLE;LATITUDE;LONGITUDE\n67;44;Bas-Rhin;48,5839;7,7462\n",
    )
    .unwrap();
    let output = std::process::Command::new(env!("CARGO_BIN_EXE_communs"))
        .env_clear()
        .env("PATH", std::env::var_os("PATH").unwrap_or_default())
        .env("DATA_DIR", dir.path())
        .env("DATABASE_URL", &app.database_url)
        .current_dir(dir.path())
        .arg("import-territories")
        .arg(&file)
        .output()
        .unwrap();
    assert!(output.status.success(), "{output:?}");
    assert!(
        String::from_utf8_lossy(&output.stdout).contains("1 points moved"),
        "{output:?}"
    );
    assert_eq!(
        place_as(&app, &partner, &id).await,
        json!({ "latitude": 48.584, "longitude": 7.746, "explicit": false })
    );
}

/// The clusters of `view` at `zoom` and the count of the same box, as `token` (or the
/// public) reads them.
async fn map_view(app: &TestApp, token: Option<&str>, zoom: i64, view: &Value) -> Value {
    let query = "query ($zoom: Int!, $within: BoundingBox!) {
        initiativeClusters(zoom: $zoom, within: $within) {
            count point { latitude longitude } bounds { south west north east } }
        initiatives(filter: { within: $within }) { totalCount } }";
    let variables = json!({ "zoom": zoom, "within": view });
    match token {
        Some(token) => app.data_as(token, query, variables).await,
        None => app.data_with(query, variables).await,
    }
}

/// Views whose edges fall on the kept grid's lines, on the points, and across the
/// antimeridian, from the whole world to a few kilometres.
fn views() -> Vec<(i64, Value)> {
    let world = json!({ "south": -90, "west": -180, "north": 90, "east": 180 });
    let views = [
        (0, world.clone()),
        (3, world),
        (5, france()),
        (8, france()),
        (
            12,
            json!({ "south": 45.0, "west": 0.0, "north": 45.5, "east": 0.5 }),
        ),
        (
            12,
            json!({ "south": 44.5, "west": -0.5, "north": 45.0, "east": 0.0 }),
        ),
        (
            10,
            json!({ "south": 44.9, "west": -0.1, "north": 45.1, "east": 0.1 }),
        ),
        (
            13,
            json!({ "south": 49.0, "west": 6.0, "north": 49.2, "east": 6.3 }),
        ),
        (
            4,
            json!({ "south": -40, "west": 150, "north": -10, "east": -170 }),
        ),
    ];
    views.into_iter().collect()
}

/// The public's map (kept cells) against the same views read point by point (a partner of
/// an organisation with nothing unpublished sees what the public sees, counted from the
/// points): both must agree on every view. The public's total count of the world.
async fn kept_cells_agree_with_the_points(app: &TestApp, reader: &TestAccount) -> i64 {
    for (zoom, view) in views() {
        let kept = map_view(app, None, zoom, &view).await;
        let read = map_view(app, Some(&reader.token), zoom, &view).await;
        assert_eq!(kept, read, "zoom {zoom}, {view}");
    }
    let world = map_view(app, None, 0, &views()[0].1).await;
    let total = world["initiatives"]["totalCount"].as_i64().unwrap();
    assert_eq!(counted(&world), total, "one cell holds the world");
    total
}

#[tokio::test]
async fn the_public_map_adds_up_kept_cells_that_follow_every_change() {
    let app = TestApp::with_demo().await;
    let partner = app
        .account("afev@exemple.fr", Role::Partner, Some("afev"))
        .await;
    let moderator = app.account("m@exemple.fr", Role::Moderator, None).await;
    let reader = app
        .account("irdsu@exemple.fr", Role::Partner, Some("irdsu"))
        .await;
    let at_start = kept_cells_agree_with_the_points(&app, &reader).await;

    // On the lines of the kept grid (45° and 0° are cell edges at zoom 12), on the
    // antimeridian, and at Metz through its territory.
    let mut published = Vec::new();
    for (title, place) in [
        (
            "Sur les lignes",
            json!({ "latitude": 45.0, "longitude": 0.0 }),
        ),
        (
            "Sur l'antiméridien",
            json!({ "latitude": -20.0, "longitude": 180.0 }),
        ),
        (
            "Au sud-ouest",
            json!({ "latitude": 44.999, "longitude": -0.001 }),
        ),
    ] {
        let id = draft_on(&app, &partner, title, &["metz"], json!({ "place": place })).await;
        publish(&app, &partner, &moderator, &id).await;
        published.push(id);
    }
    let metz = draft_on(&app, &partner, "Jardin à Metz", &["metz"], json!({})).await;
    publish(&app, &partner, &moderator, &metz).await;
    let draft = draft_on(&app, &partner, "Brouillon", &["metz"], json!({})).await;
    assert!(!draft.is_empty());
    assert_eq!(
        kept_cells_agree_with_the_points(&app, &reader).await,
        at_start + 4,
        "the draft is not counted"
    );
    let corner = map_view(
        &app,
        None,
        12,
        &json!({ "south": 45.0, "west": 0.0, "north": 45.5, "east": 0.5 }),
    )
    .await;
    assert_eq!(corner["initiatives"]["totalCount"], 1, "edges included");
    assert_eq!(counted(&corner), 1);
    let south_west = map_view(
        &app,
        None,
        12,
        &json!({ "south": 44.5, "west": -0.5, "north": 45.0, "east": 0.0 }),
    )
    .await;
    assert_eq!(south_west["initiatives"]["totalCount"], 2, "edges included");
    assert_eq!(
        counted(&south_west),
        2,
        "every cell the view touches, even at a corner, is counted whole"
    );

    // Moved by an approved proposal.
    let propose = "mutation ($input: ProposeInitiativeChangeInput!) {
        proposeInitiativeChange(input: $input) { changeProposal { id } } }";
    let proposed = app
        .data_as(
            &partner.token,
            propose,
            json!({ "input": { "id": published[0], "expectedVersion": 3,
                "place": { "latitude": 48.573, "longitude": 7.752 } } }),
        )
        .await;
    let proposal = proposed["proposeInitiativeChange"]["changeProposal"]["id"]
        .as_str()
        .unwrap();
    let approved = moderate(&app, &moderator, proposal, "APPROVE", None, 1).await;
    assert!(approved["errors"].is_null(), "{approved}");
    assert_eq!(
        kept_cells_agree_with_the_points(&app, &reader).await,
        at_start + 4
    );

    // Withdrawn, then published again.
    let archived = moderate(&app, &moderator, &published[1], "ARCHIVE", None, 3).await;
    assert!(archived["errors"].is_null(), "{archived}");
    assert_eq!(
        kept_cells_agree_with_the_points(&app, &reader).await,
        at_start + 3
    );
    let restored = moderate(&app, &moderator, &published[1], "RESTORE", None, 4).await;
    assert!(restored["errors"].is_null(), "{restored}");
    assert_eq!(
        kept_cells_agree_with_the_points(&app, &reader).await,
        at_start + 4
    );

    // Merged into another, which deletes it.
    let merged = app
        .query_as(
            &moderator.token,
            "mutation ($kept: ID!, $duplicate: ID!) {
                mergeInitiatives(keptId: $kept, duplicateId: $duplicate) { initiative { id } } }",
            json!({ "kept": metz, "duplicate": published[2] }),
        )
        .await;
    assert!(merged["errors"].is_null(), "{merged}");
    assert_eq!(
        kept_cells_agree_with_the_points(&app, &reader).await,
        at_start + 3
    );
}
