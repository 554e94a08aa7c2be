//! `communs import-territories`: the official geography from the INSEE COG files, the
//! intercommunality composition and the 2024 QPV list, with small sample files made for
//! these tests (`tests/data/territories/`).

use std::process::{Command, Output};

use serde_json::{Value, json};

use crate::helpers::TestApp;

const BINARY: &str = env!("CARGO_BIN_EXE_communs");
const SAMPLES: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/data/territories");

/// Runs `communs import-territories SAMPLE [--strict]` on the test's database.
fn import(app: &TestApp, sample: &str, strict: bool) -> Output {
    let dir = tempfile::tempdir().unwrap();
    let mut command = Command::new(BINARY);
    command
        .env_clear()
        .env("PATH", std::env::var_os("PATH").unwrap_or_default())
        .env("DATA_DIR", dir.path())
        .env("DATABASE_URL", &app.database_url)
        .env("LOG_FORMAT", "json")
        .current_dir(dir.path())
        .arg("import-territories")
        .arg(format!("{SAMPLES}/{sample}"));
    if strict {
        command.arg("--strict");
    }
    command.output().unwrap()
}

fn stdout(output: &Output) -> String {
    String::from_utf8_lossy(&output.stdout).into_owned()
}

fn stderr(output: &Output) -> String {
    String::from_utf8_lossy(&output.stderr).into_owned()
}

/// Imports a sample that must succeed; its standard output.
fn imported(app: &TestApp, sample: &str) -> String {
    let output = import(app, sample, false);
    assert!(output.status.success(), "{sample}: {output:?}");
    stdout(&output)
}

const TERRITORY: &str = "query ($code: String!, $kind: TerritoryKind!) {
    territory(code: $code, kind: $kind) { name slug validTo
        parents { kind officialCode } } }";

async fn territory(app: &TestApp, kind: &str, code: &str) -> Value {
    app.data_with(TERRITORY, json!({ "code": code, "kind": kind }))
        .await["territory"]
        .clone()
}

fn parent_codes(territory: &Value, kind: &str) -> Vec<String> {
    let mut codes: Vec<String> = territory["parents"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|parent| parent["kind"] == kind)
        .map(|parent| parent["officialCode"].as_str().unwrap().to_owned())
        .collect();
    codes.sort();
    codes
}

const FILES: [&str; 5] = [
    "v_region_2024.csv",
    "v_departement_2024.csv",
    "v_commune_2024.csv",
    "epci_composition_2024.csv",
    "qpv_2024.csv",
];

#[tokio::test]
async fn the_official_files_load_the_geography_and_a_second_import_changes_nothing() {
    let app = TestApp::empty().await;
    for file in FILES {
        let output = imported(&app, file);
        assert!(output.contains("created"), "{file}: {output}");
    }
    let counts = app
        .data(
            "{ regions: territories(filter: { kinds: [REGION] }) { totalCount }
               departments: territories(filter: { kinds: [DEPARTMENT] }) { totalCount }
               municipalities: territories(filter: { kinds: [MUNICIPALITY] }) { totalCount }
               epci: territories(filter: { kinds: [INTERCOMMUNALITY] }) { totalCount }
               qpv: territories(filter: { kinds: [PRIORITY_NEIGHBOURHOOD] }) { totalCount } }",
        )
        .await;
    // Delegated municipalities and Paris's arrondissements are not municipalities.
    for (kind, count) in [
        ("regions", 2),
        ("departments", 5),
        ("municipalities", 8),
        ("epci", 2),
        ("qpv", 3),
    ] {
        assert_eq!(counts[kind]["totalCount"], count, "{kind}");
    }
    let metz = territory(&app, "MUNICIPALITY", "57463").await;
    assert_eq!(metz["name"], "Metz");
    assert_eq!(parent_codes(&metz, "DEPARTMENT"), ["57"]);
    assert_eq!(parent_codes(&metz, "INTERCOMMUNALITY"), ["200039865"]);
    let moselle = territory(&app, "DEPARTMENT", "57").await;
    assert_eq!(parent_codes(&moselle, "REGION"), ["44"]);
    let epci = territory(&app, "INTERCOMMUNALITY", "200039865").await;
    assert_eq!(epci["name"], "Metz Métropole");
    assert_eq!(parent_codes(&epci, "DEPARTMENT"), ["57"]);
    let straddling = territory(&app, "PRIORITY_NEIGHBOURHOOD", "QN05702M").await;
    assert_eq!(
        parent_codes(&straddling, "MUNICIPALITY"),
        ["57463", "57672"],
        "a QPV may straddle two municipalities"
    );
    // The whole chain: a filter on the region reaches the QPV.
    let region = app.id_of(r#"territory(code: "44", kind: REGION)"#).await;
    let within = app
        .data_with(
            "query ($id: ID!) { territories(filter: { withinId: $id,
                kinds: [PRIORITY_NEIGHBOURHOOD] }) { totalCount } }",
            json!({ "id": region }),
        )
        .await;
    assert_eq!(within["territories"]["totalCount"], 3);

    let before = app
        .data("{ territories(first: 100) { nodes { id slug name validTo } } }")
        .await;
    for file in FILES {
        let output = imported(&app, file);
        assert!(
            output.contains("the territories already matched the lines read: nothing changed"),
            "{file}: {output}"
        );
    }
    let after = app
        .data("{ territories(first: 100) { nodes { id slug name validTo } } }")
        .await;
    assert_eq!(before, after, "a second import changes nothing");
}

#[tokio::test]
async fn the_demo_territories_are_matched_by_code_not_duplicated() {
    let app = TestApp::with_demo().await;
    for file in &FILES[..3] {
        imported(&app, file);
    }
    let metz = app
        .data(r#"{ territories(filter: { nameContains: "metz", kinds: [MUNICIPALITY] }) { nodes { slug } } }"#)
        .await;
    let slugs: Vec<&str> = metz["territories"]["nodes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|node| node["slug"].as_str().unwrap())
        .collect();
    assert_eq!(slugs, ["metz", "montigny-les-metz"]);
}

#[tokio::test]
async fn rows_of_kinds_communs_does_not_hold_are_counted_with_their_reason() {
    let app = TestApp::empty().await;
    for file in &FILES[..2] {
        imported(&app, file);
    }
    let summary = imported(&app, "v_commune_2024.csv");
    assert!(summary.contains("8 lines read"), "{summary}");
    assert!(
        summary.contains("1 rows not imported: delegated municipalities (COMD)"),
        "{summary}"
    );
    assert!(
        summary.contains("1 rows not imported: municipal arrondissements (ARM)"),
        "{summary}"
    );
}

#[tokio::test]
async fn malformed_lines_are_reported_by_number_and_the_rest_is_imported_unless_strict() {
    let app = TestApp::empty().await;
    for file in &FILES[..2] {
        imported(&app, file);
    }
    let strict = import(&app, "v_commune_2024_malformed.csv", true);
    assert!(!strict.status.success());
    let errors = stderr(&strict);
    for line in [3, 4, 5] {
        assert!(
            errors.contains(&format!(
                "v_commune_2024_malformed.csv:{line}: malformed line"
            )),
            "line {line}: {errors}"
        );
    }
    assert!(errors.contains("nothing imported"), "{errors}");
    let count = || async {
        app.data("{ territories(filter: { kinds: [MUNICIPALITY] }) { totalCount } }")
            .await["territories"]["totalCount"]
            .clone()
    };
    assert_eq!(count().await, 0, "--strict imports nothing");

    let lenient = import(&app, "v_commune_2024_malformed.csv", false);
    assert!(lenient.status.success(), "{lenient:?}");
    let errors = stderr(&lenient);
    assert!(
        errors.contains("v_commune_2024_malformed.csv:3: malformed line (5746)"),
        "the code is given even when it is what is wrong: {errors}"
    );
    assert!(
        errors.contains("v_commune_2024_malformed.csv:4: malformed line (57480): LIBELLE")
            || errors.contains("v_commune_2024_malformed.csv:4: malformed line (57480)"),
        "{errors}"
    );
    let summary = stdout(&lenient);
    assert!(summary.contains("2 lines read"), "{summary}");
    assert!(
        summary.contains("3 malformed lines not imported"),
        "{summary}"
    );
    assert!(!summary.contains("nothing changed"), "{summary}");
    assert_eq!(count().await, 2, "the well-formed lines are imported");
}

#[tokio::test]
async fn a_code_gone_from_a_later_file_is_no_longer_valid_but_kept_and_a_new_name_renames() {
    let app = TestApp::with_demo().await;
    for file in FILES {
        imported(&app, file);
    }
    let output = imported(&app, "v_commune_2025.csv");
    assert!(output.contains("1 renamed"), "{output}");
    assert!(output.contains("2 no longer valid"), "{output}");
    let today = chrono::Utc::now().date_naive().to_string();
    // Vitry-le-François is the area of a demo organisation: it stays, marked.
    let vitry = territory(&app, "MUNICIPALITY", "51649").await;
    assert_eq!(vitry["validTo"], today);
    let organisation = app
        .data(
            r#"{ organisation(slug: "education-nationale-rep-vitry-le-francois") {
                territory { officialCode validTo } } }"#,
        )
        .await;
    assert_eq!(
        organisation["organisation"]["territory"]["officialCode"],
        "51649"
    );
    let woippy = territory(&app, "MUNICIPALITY", "57672").await;
    assert_eq!(woippy["validTo"], today);
    let montigny = territory(&app, "MUNICIPALITY", "57480").await;
    assert_eq!(montigny["name"], "Montigny-lès-Metz-la-Neuve");
    assert_eq!(montigny["slug"], "montigny-les-metz-la-neuve");
    assert_eq!(montigny["validTo"], Value::Null);
    let old = app
        .data(r#"{ territory(slug: "montigny-les-metz") { officialCode } }"#)
        .await;
    assert_eq!(
        old["territory"]["officialCode"], "57480",
        "the old slug resolves"
    );

    // Woippy comes back: valid again.
    let output = imported(&app, "v_commune_2024.csv");
    assert!(output.contains("2 valid again"), "{output}");
    assert_eq!(
        territory(&app, "MUNICIPALITY", "57672").await["validTo"],
        Value::Null
    );
}

#[test]
fn an_unknown_file_is_refused_with_its_header() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("other.csv");
    std::fs::write(&file, "a,b,c\n1,2,3\n").unwrap();
    let output = Command::new(BINARY)
        .env_clear()
        .env("PATH", std::env::var_os("PATH").unwrap_or_default())
        .env("DATA_DIR", dir.path())
        .current_dir(dir.path())
        .arg("import-territories")
        .arg(&file)
        .output()
        .unwrap();
    assert!(!output.status.success());
    assert!(stderr(&output).contains("unknown file"), "{output:?}");
}

#[tokio::test]
async fn names_with_terminal_escapes_or_overrides_are_refused_lines_never_stored() {
    let app = TestApp::empty().await;
    let output = import(&app, "v_region_2024_controls.csv", false);
    assert!(output.status.success(), "{output:?}");
    let errors = stderr(&output);
    for (line, code) in [(3, "11"), (4, "32"), (5, "53")] {
        assert!(
            errors.contains(&format!(
                "v_region_2024_controls.csv:{line}: malformed line ({code})"
            )),
            "line {line}: {errors}"
        );
    }
    assert!(stdout(&output).contains("3 malformed lines not imported"));
    let names = app
        .data("{ territories(filter: { kinds: [REGION] }) { nodes { name } } }")
        .await;
    assert_eq!(
        names["territories"]["nodes"],
        json!([{ "name": "Grand Est" }])
    );
}
