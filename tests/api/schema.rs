//! The SDL contract: `schema.graphql` is generated from the code, and everything in it is
//! described for the frontend developers who read it.

use serde_json::Value;

use crate::helpers::TestApp;

#[test]
fn schema_graphql_is_what_print_schema_prints() {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/schema.graphql");
    let generated = communs::graphql::sdl();
    if std::env::var_os("UPDATE_SCHEMA").is_some() {
        std::fs::write(path, &generated).unwrap();
    }
    let checked_in = std::fs::read_to_string(path).unwrap_or_default();
    assert!(
        checked_in == generated,
        "schema.graphql is stale: run `cargo run -- print-schema > schema.graphql` \
         (or `UPDATE_SCHEMA=1 cargo test schema`) and commit it"
    );
}

/// The `@specifiedBy(url:)` of each scalar `schema.graphql` declares, by name.
fn specified_by_in_schema_graphql() -> Vec<(String, Option<String>)> {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/schema.graphql");
    let sdl = std::fs::read_to_string(path).unwrap();
    sdl.lines()
        .filter_map(|line| line.strip_prefix("scalar "))
        .map(|rest| {
            let (name, directives) = rest.split_once(' ').unwrap_or((rest, ""));
            let url = directives
                .split_once("@specifiedBy(url: \"")
                .and_then(|(_, after)| after.split_once('"'))
                .map(|(url, _)| url.to_owned());
            (name.to_owned(), url)
        })
        .collect()
}

#[tokio::test]
async fn the_scalars_of_schema_graphql_are_specified_by_what_the_served_schema_says() {
    let app = TestApp::empty().await;
    let data = app
        .data("{ __schema { types { name kind specifiedByURL } } }")
        .await;
    let mut served: Vec<(String, Option<String>)> = data["__schema"]["types"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|ty| ty["kind"] == "SCALAR")
        .map(|ty| {
            (
                ty["name"].as_str().unwrap().to_owned(),
                ty["specifiedByURL"].as_str().map(str::to_owned),
            )
        })
        // The built-in scalars are not declared in SDL.
        .filter(|(name, _)| !["Int", "Float", "String", "Boolean", "ID"].contains(&name.as_str()))
        .collect();
    served.sort();
    let mut checked_in = specified_by_in_schema_graphql();
    checked_in.sort();
    assert_eq!(checked_in, served);
    assert!(
        served
            .iter()
            .any(|(name, url)| name == "DateTime" && url.is_some()),
        "{served:?}"
    );
}

const INTROSPECTION: &str = "{ __schema { types {
  name kind description
  fields(includeDeprecated: true) { name description args { name description } }
  inputFields { name description }
  enumValues(includeDeprecated: true) { name description }
} } }";

fn described(item: &Value) -> bool {
    item["description"]
        .as_str()
        .is_some_and(|text| !text.trim().is_empty())
}

#[tokio::test]
async fn every_type_field_argument_and_enum_value_has_a_description() {
    let app = TestApp::empty().await;
    let data = app.data(INTROSPECTION).await;
    let mut missing = Vec::new();
    for ty in data["__schema"]["types"].as_array().unwrap() {
        let name = ty["name"].as_str().unwrap();
        // Introspection types and the built-in `ID` scalar are described by the GraphQL spec.
        if name.starts_with("__") || name == "ID" {
            continue;
        }
        if !described(ty) {
            missing.push(name.to_owned());
        }
        for field in ty["fields"].as_array().into_iter().flatten() {
            let field_name = format!("{name}.{}", field["name"].as_str().unwrap());
            if !described(field) {
                missing.push(field_name.clone());
            }
            for arg in field["args"].as_array().into_iter().flatten() {
                if !described(arg) {
                    missing.push(format!("{field_name}({})", arg["name"].as_str().unwrap()));
                }
            }
        }
        for input in ty["inputFields"].as_array().into_iter().flatten() {
            if !described(input) {
                missing.push(format!("{name}.{}", input["name"].as_str().unwrap()));
            }
        }
        for value in ty["enumValues"].as_array().into_iter().flatten() {
            if !described(value) {
                missing.push(format!("{name}::{}", value["name"].as_str().unwrap()));
            }
        }
    }
    assert!(missing.is_empty(), "undocumented: {missing:#?}");
}
