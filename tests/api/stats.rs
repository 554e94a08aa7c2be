//! Dashboard counts, which must agree with the lists they count.

use chrono::{Datelike, NaiveDate};
use entity::enums::{Audience, ModerationStatus, Role};
use serde_json::{Value, json};

use crate::{
    contributions::publish,
    fixtures::{NewInitiative, UNPUBLISHED, insert_initiative},
    helpers::{TestApp, error_codes},
};

const STATS: &str = "query($filter: InitiativeFilter, $kind: TerritoryKind!) {
  stats(filter: $filter) {
    total
    byTheme { count theme { id slug parent { id } } }
    byTerritory(kind: $kind) { count territory { id slug kind } }
    byStartMonth { month count }
    byAudience { audience count }
    byOrganisationKind { kind count }
  }
}";

async fn stats(app: &TestApp, filter: &Value, kind: &str) -> Value {
    app.data_with(STATS, json!({ "filter": filter, "kind": kind }))
        .await["stats"]
        .clone()
}

async fn total_count(app: &TestApp, filter: &Value) -> i64 {
    app.data_with(
        "query($filter: InitiativeFilter) { initiatives(filter: $filter) { totalCount } }",
        json!({ "filter": filter }),
    )
    .await["initiatives"]["totalCount"]
        .as_i64()
        .unwrap()
}

/// `filter` with `extra` criteria added (an extra list replaces none of the filter's own:
/// the tests below never combine the two).
fn narrowed(filter: &Value, extra: Value) -> Value {
    let mut narrowed = filter.as_object().cloned().unwrap_or_default();
    for (key, value) in extra.as_object().unwrap() {
        assert!(!narrowed.contains_key(key), "{key} is already filtered on");
        narrowed.insert(key.clone(), value.clone());
    }
    Value::Object(narrowed)
}

fn last_day_of(month: &str) -> String {
    let first = NaiveDate::parse_from_str(&format!("{month}-01"), "%Y-%m-%d").unwrap();
    let next = if first.month() == 12 {
        NaiveDate::from_ymd_opt(first.year() + 1, 1, 1)
    } else {
        NaiveDate::from_ymd_opt(first.year(), first.month() + 1, 1)
    }
    .unwrap();
    next.pred_opt().unwrap().to_string()
}

/// Every figure of `stats(filter)`, at each territory kind, is the `totalCount` of the list
/// narrowed to its bucket; and every bucket with initiatives is there.
async fn assert_stats_agree_with_lists(app: &TestApp, filter: Value) {
    let stats = stats(app, &filter, "DEPARTMENT").await;
    assert_eq!(stats["total"], total_count(app, &filter).await, "total");

    let themes = app.data("{ themes { id } }").await;
    let mut listed = 0;
    for theme in themes["themes"].as_array().unwrap() {
        let expected = total_count(
            app,
            &narrowed(&filter, json!({ "themeIds": [theme["id"]] })),
        )
        .await;
        let bucket = stats["byTheme"]
            .as_array()
            .unwrap()
            .iter()
            .find(|bucket| bucket["theme"]["id"] == theme["id"]);
        match bucket {
            Some(bucket) => {
                assert_eq!(bucket["count"], expected, "theme {}", theme["id"]);
                listed += 1;
            }
            None => assert_eq!(expected, 0, "theme {} is missing", theme["id"]),
        }
    }
    assert_eq!(
        listed,
        stats["byTheme"].as_array().unwrap().len(),
        "only top-level themes"
    );

    for kind in ["REGION", "DEPARTMENT", "INTERCOMMUNALITY", "MUNICIPALITY"] {
        let at_kind = self::stats(app, &filter, kind).await;
        let territories = app
            .data(&format!(
                "{{ territories(first: 100, filter: {{kinds: [{kind}]}}) {{ nodes {{ id }} }} }}"
            ))
            .await;
        let buckets = at_kind["byTerritory"].as_array().unwrap();
        for territory in territories["territories"]["nodes"].as_array().unwrap() {
            let expected = total_count(
                app,
                &narrowed(&filter, json!({ "territoryIds": [territory["id"]] })),
            )
            .await;
            let bucket = buckets
                .iter()
                .find(|bucket| bucket["territory"]["id"] == territory["id"]);
            assert_eq!(
                bucket.map_or(json!(0), |bucket| bucket["count"].clone()),
                expected,
                "{kind} {}",
                territory["id"]
            );
        }
        for bucket in buckets {
            assert_eq!(bucket["territory"]["kind"], kind);
        }
    }

    let months = stats["byStartMonth"].as_array().unwrap();
    let mut dated = 0;
    for bucket in months {
        let month = bucket["month"].as_str().unwrap();
        let expected = total_count(
            app,
            &narrowed(
                &filter,
                json!({ "startedFrom": format!("{month}-01"), "startedTo": last_day_of(month) }),
            ),
        )
        .await;
        assert_eq!(bucket["count"], expected, "month {month}");
        dated += expected;
    }
    let all_dated = total_count(
        app,
        &narrowed(&filter, json!({ "startedFrom": "0001-01-01" })),
    )
    .await;
    assert_eq!(dated, all_dated, "every dated initiative is in one month");
    let sorted: Vec<&str> = months
        .iter()
        .map(|b| b["month"].as_str().unwrap())
        .collect();
    let mut in_order = sorted.clone();
    in_order.sort();
    assert_eq!(sorted, in_order, "months in order");

    for audience in [
        "CHILDREN",
        "YOUTH",
        "FAMILIES",
        "ELDERLY",
        "ISOLATED_PEOPLE",
        "ALLOPHONES",
        "INHABITANTS",
        "PROFESSIONALS",
    ] {
        let expected =
            total_count(app, &narrowed(&filter, json!({ "audiences": [audience] }))).await;
        let bucket = stats["byAudience"]
            .as_array()
            .unwrap()
            .iter()
            .find(|bucket| bucket["audience"] == audience);
        assert_eq!(
            bucket.map_or(json!(0), |bucket| bucket["count"].clone()),
            expected,
            "{audience}"
        );
    }

    let organisations = app
        .data("{ organisations(first: 100) { nodes { id kind } } }")
        .await;
    let organisations = organisations["organisations"]["nodes"].as_array().unwrap();
    for kind in [
        "LOCAL_AUTHORITY",
        "STATE_SERVICE",
        "PUBLIC_BODY",
        "ASSOCIATION",
        "RESOURCE_CENTRE",
        "NETWORK",
        "COMPANY",
        "OTHER",
    ] {
        let ids: Vec<&Value> = organisations
            .iter()
            .filter(|organisation| organisation["kind"] == kind)
            .map(|organisation| &organisation["id"])
            .collect();
        let expected = if ids.is_empty() {
            0
        } else {
            total_count(app, &narrowed(&filter, json!({ "organisationIds": ids }))).await
        };
        let bucket = stats["byOrganisationKind"]
            .as_array()
            .unwrap()
            .iter()
            .find(|bucket| bucket["kind"] == kind);
        assert_eq!(
            bucket.map_or(json!(0), |bucket| bucket["count"].clone()),
            expected,
            "{kind}"
        );
    }
}

#[tokio::test]
async fn the_demo_counts_agree_with_the_lists() {
    let app = TestApp::with_demo().await;
    assert_stats_agree_with_lists(&app, json!({})).await;
    assert_stats_agree_with_lists(&app, json!({ "search": "confinement" })).await;
    assert_stats_agree_with_lists(&app, json!({ "search": "familles" })).await;

    let all = stats(&app, &json!({}), "REGION").await;
    assert_eq!(all["total"], 15);
    assert_eq!(all["byTerritory"][0]["territory"]["slug"], "grand-est");
    assert_eq!(all["byTerritory"][0]["count"], 15);
    assert_eq!(
        all["byStartMonth"],
        json!([{ "month": "2020-03", "count": 11 }])
    );
    let departments = stats(&app, &json!({}), "DEPARTMENT").await;
    assert_eq!(
        departments["byTerritory"],
        json!([{ "count": 1, "territory": { "id": departments["byTerritory"][0]["territory"]["id"], "slug": "bas-rhin", "kind": "DEPARTMENT" } }]),
        "the others are placed on the whole region"
    );
    // Solidarités rolls up food aid, masks and volunteering: the mask-making initiative has
    // two of them and counts once.
    let solidarity = all["byTheme"]
        .as_array()
        .unwrap()
        .iter()
        .find(|bucket| bucket["theme"]["slug"] == "solidarites")
        .unwrap();
    assert_eq!(solidarity["count"], 4);
}

#[tokio::test]
async fn generated_counts_agree_with_the_lists() {
    let app = TestApp::with_demo().await;
    let themes = [
        "inclusion-numerique",
        "acces-au-materiel-et-a-la-connexion",
        "continuite-pedagogique",
        "accompagnement-scolaire",
        "maintien-du-lien-avec-les-habitants",
        "vie-associative",
        "aide-alimentaire",
        "confection-de-masques",
        "mobilisation-citoyenne-et-benevole",
        "cooperation-et-partenariats",
    ];
    let territories = [
        "grand-est",
        "marne",
        "moselle",
        "bas-rhin",
        "metz-metropole",
        "metz",
        "chalons-en-champagne",
        "vitry-le-francois",
        "illkirch-graffenstaden",
        "eurometropole-de-strasbourg",
    ];
    let organisations = [
        "afev",
        "caf-du-bas-rhin",
        "ville-de-metz",
        "irdsu",
        "metz-metropole",
    ];
    let audiences = [
        Audience::Children,
        Audience::Youth,
        Audience::Families,
        Audience::Elderly,
        Audience::Inhabitants,
    ];
    let words = [
        "jardin",
        "masques",
        "repas",
        "numérique",
        "soutien scolaire",
    ];
    let mut rng = fastrand::Rng::with_seed(20_200_514);
    fn pick<T: Copy>(rng: &mut fastrand::Rng, from: &[T], most: usize) -> Vec<T> {
        let mut picked: Vec<T> = Vec::new();
        for _ in 0..rng.usize(0..=most) {
            picked.push(from[rng.usize(0..from.len())]);
        }
        picked
    }
    for index in 0..150 {
        let mut chosen_themes = pick(&mut rng, &themes, 3);
        chosen_themes.sort();
        chosen_themes.dedup();
        let mut chosen_territories = pick(&mut rng, &territories, 2);
        chosen_territories.sort();
        chosen_territories.dedup();
        let mut chosen_organisations = pick(&mut rng, &organisations, 2);
        chosen_organisations.sort();
        chosen_organisations.dedup();
        let mut chosen_audiences = pick(&mut rng, &audiences, 3);
        chosen_audiences.sort();
        chosen_audiences.dedup();
        let started_on = rng.bool().then(|| {
            format!(
                "{}-{:02}-{:02}",
                rng.i32(2019..=2021),
                rng.u32(1..=12),
                rng.u32(1..=28)
            )
        });
        let status = if rng.u8(0..10) < 8 {
            ModerationStatus::Published
        } else {
            UNPUBLISHED[rng.usize(0..UNPUBLISHED.len())]
        };
        let title = format!("Action {index} : {}", words[rng.usize(0..words.len())]);
        insert_initiative(
            app.db(),
            NewInitiative {
                title: &title,
                status,
                started_on: started_on.as_deref(),
                themes: &chosen_themes,
                territories: &chosen_territories,
                organisations: &chosen_organisations,
                audiences: &chosen_audiences,
                ..Default::default()
            },
        )
        .await;
    }
    assert_stats_agree_with_lists(&app, json!({})).await;
    assert_stats_agree_with_lists(&app, json!({ "search": "masques" })).await;
    assert_stats_agree_with_lists(&app, json!({ "search": "\"soutien scolaire\"" })).await;
}

#[tokio::test]
async fn unpublished_initiatives_never_count() {
    let app = TestApp::with_demo().await;
    let before = stats(&app, &json!({}), "MUNICIPALITY").await;
    for status in UNPUBLISHED {
        insert_initiative(
            app.db(),
            NewInitiative {
                title: "Brouillon confidentiel",
                status,
                started_on: Some("2021-06-01"),
                themes: &["aide-alimentaire"],
                territories: &["metz"],
                organisations: &["afev"],
                audiences: &[Audience::Elderly],
                ..Default::default()
            },
        )
        .await;
    }
    assert_eq!(stats(&app, &json!({}), "MUNICIPALITY").await, before);
    let searched = stats(&app, &json!({ "search": "brouillon" }), "REGION").await;
    assert_eq!(searched["total"], 0);
}

#[tokio::test]
async fn stats_cost_one_statement_per_figure_whatever_the_catalogue() {
    let app = TestApp::with_demo().await;
    let before = app.statements();
    stats(&app, &json!({ "search": "confinement" }), "REGION").await;
    let spent = app.statements() - before;
    // Total and five breakdowns, then the themes and territories of the buckets.
    assert!(spent <= 8, "{spent} statements");
}

#[tokio::test]
async fn figures_are_kept_until_a_mutation_and_never_shared_between_scopes() {
    let app = TestApp::with_demo_and_settings(|settings| {
        settings.stats_cache = std::time::Duration::from_secs(60);
    })
    .await;
    let partner = app
        .account("afev@exemple.fr", Role::Partner, Some("afev"))
        .await;
    let moderator = app.account("m@exemple.fr", Role::Moderator, None).await;
    let id = insert_initiative(
        app.db(),
        NewInitiative {
            title: "Jardin en attente de publication",
            status: ModerationStatus::Submitted,
            owner: Some("afev"),
            ..NewInitiative::default()
        },
    )
    .await;
    let total = "{ stats { total } }";
    let public = app.data(total).await["stats"]["total"].as_i64().unwrap();

    let before = app.statements();
    assert_eq!(app.data(total).await["stats"]["total"], public);
    assert_eq!(
        app.statements() - before,
        0,
        "read again, served from memory"
    );

    let own = app.data_as(&partner.token, total, json!({})).await;
    assert_eq!(
        own["stats"]["total"],
        public + 1,
        "the partner counts its submission"
    );
    assert_eq!(
        app.data(total).await["stats"]["total"],
        public,
        "others do not"
    );

    publish(&app, &moderator, id).await;
    assert_eq!(
        app.data(total).await["stats"]["total"],
        public + 1,
        "the publication shows at once"
    );
}

#[tokio::test]
async fn stats_refuse_the_filters_lists_refuse() {
    let app = TestApp::with_demo().await;
    let body = app
        .query_with(
            STATS,
            json!({ "filter": { "search": "x".repeat(10_000) }, "kind": "REGION" }),
        )
        .await;
    assert_eq!(error_codes(&body), ["BAD_USER_INPUT"]);
    assert_eq!(body["errors"][0]["extensions"]["field"], "filter.search");
}
