//! The SDL contract: `schema.graphql` is generated from the code, and everything in it is
//! described for the frontend developers who read it.

use async_graphql::{
    Positioned, Value as ConstValue,
    parser::{
        parse_schema,
        types::{ConstDirective, FieldDefinition, TypeKind, TypeSystemDefinition},
    },
};
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

/// The built-in scalars, which SDL does not declare.
const BUILT_IN_SCALARS: [&str; 5] = ["Int", "Float", "String", "Boolean", "ID"];

/// The reason of a `@deprecated` among `directives`.
fn deprecation(directives: &[Positioned<ConstDirective>]) -> Option<String> {
    directives
        .iter()
        .find(|directive| directive.node.name.node == "deprecated")
        .map(|directive| match directive.node.get_argument("reason") {
            Some(reason) => match &reason.node {
                ConstValue::String(reason) => reason.clone(),
                other => other.to_string(),
            },
            None => "No longer supported".to_owned(),
        })
}

fn deprecated_suffix(reason: Option<String>) -> String {
    reason.map_or_else(String::new, |reason| format!(" @deprecated({reason})"))
}

/// What `schema.graphql` declares, one line per type, field, argument, input field and enum
/// value: kinds, types, interfaces, union members, deprecations and `@specifiedBy`.
fn shape_of_schema_graphql() -> Vec<String> {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/schema.graphql");
    let document = parse_schema(std::fs::read_to_string(path).unwrap()).unwrap();
    let mut shape = Vec::new();
    for definition in document.definitions {
        let TypeSystemDefinition::Type(definition) = definition else {
            continue;
        };
        let definition = definition.node;
        let name = definition.name.node.to_string();
        let fields = |shape: &mut Vec<String>, fields: &[Positioned<FieldDefinition>]| {
            for field in fields {
                let field = &field.node;
                shape.push(format!(
                    "field {name}.{}: {}{}",
                    field.name.node,
                    field.ty.node,
                    deprecated_suffix(deprecation(&field.directives))
                ));
                for arg in &field.arguments {
                    shape.push(format!(
                        "arg {name}.{}({}): {}",
                        field.name.node, arg.node.name.node, arg.node.ty.node
                    ));
                }
            }
        };
        match &definition.kind {
            TypeKind::Scalar => {
                let url = definition
                    .directives
                    .iter()
                    .find(|directive| directive.node.name.node == "specifiedBy")
                    .and_then(|directive| directive.node.get_argument("url"))
                    .and_then(|url| match &url.node {
                        ConstValue::String(url) => Some(url.clone()),
                        _ => None,
                    });
                shape.push(format!("scalar {name} specifiedBy {url:?}"));
            }
            TypeKind::Object(object) => {
                let mut interfaces: Vec<String> = object
                    .implements
                    .iter()
                    .map(|i| i.node.to_string())
                    .collect();
                interfaces.sort();
                shape.push(format!("object {name} implements {interfaces:?}"));
                fields(&mut shape, &object.fields);
            }
            TypeKind::Interface(interface) => {
                shape.push(format!("interface {name}"));
                fields(&mut shape, &interface.fields);
            }
            TypeKind::Union(union) => {
                let mut members: Vec<String> =
                    union.members.iter().map(|m| m.node.to_string()).collect();
                members.sort();
                shape.push(format!("union {name} = {members:?}"));
            }
            TypeKind::Enum(enumeration) => {
                shape.push(format!("enum {name}"));
                for value in &enumeration.values {
                    shape.push(format!(
                        "value {name}.{}{}",
                        value.node.value.node,
                        deprecated_suffix(deprecation(&value.node.directives))
                    ));
                }
            }
            TypeKind::InputObject(input) => {
                shape.push(format!("input {name}"));
                for field in &input.fields {
                    shape.push(format!(
                        "input field {name}.{}: {}",
                        field.node.name.node, field.node.ty.node
                    ));
                }
            }
        }
    }
    shape.sort();
    shape
}

const SHAPE: &str = "fragment TypeRef on __Type {
  kind name ofType { kind name ofType { kind name ofType { kind name ofType { kind name } } } }
}
{ __schema { types {
  kind name specifiedByURL interfaces { name } possibleTypes { name }
  fields(includeDeprecated: true) {
    name isDeprecated deprecationReason type { ...TypeRef } args { name type { ...TypeRef } }
  }
  inputFields { name type { ...TypeRef } }
  enumValues(includeDeprecated: true) { name isDeprecated deprecationReason }
} } }";

/// An introspected type reference as SDL writes it: `[String!]!`.
fn type_ref(ty: &Value) -> String {
    match ty["kind"].as_str().unwrap() {
        "NON_NULL" => format!("{}!", type_ref(&ty["ofType"])),
        "LIST" => format!("[{}]", type_ref(&ty["ofType"])),
        _ => ty["name"].as_str().unwrap().to_owned(),
    }
}

fn deprecated(item: &Value) -> String {
    deprecated_suffix((item["isDeprecated"] == true).then(|| {
        item["deprecationReason"]
            .as_str()
            .unwrap_or_default()
            .to_owned()
    }))
}

fn names(list: &Value) -> Vec<String> {
    let mut names: Vec<String> = list
        .as_array()
        .into_iter()
        .flatten()
        .map(|item| item["name"].as_str().unwrap().to_owned())
        .collect();
    names.sort();
    names
}

/// What the served schema answers to introspection, in the lines of
/// [`shape_of_schema_graphql`].
async fn shape_of_served_schema(app: &TestApp) -> Vec<String> {
    let data = app.data(SHAPE).await;
    let mut shape = Vec::new();
    for ty in data["__schema"]["types"].as_array().unwrap() {
        let name = ty["name"].as_str().unwrap();
        if name.starts_with("__") || BUILT_IN_SCALARS.contains(&name) {
            continue;
        }
        match ty["kind"].as_str().unwrap() {
            "SCALAR" => shape.push(format!(
                "scalar {name} specifiedBy {:?}",
                ty["specifiedByURL"].as_str()
            )),
            "OBJECT" => shape.push(format!(
                "object {name} implements {:?}",
                names(&ty["interfaces"])
            )),
            "INTERFACE" => shape.push(format!("interface {name}")),
            "UNION" => shape.push(format!("union {name} = {:?}", names(&ty["possibleTypes"]))),
            "ENUM" => shape.push(format!("enum {name}")),
            "INPUT_OBJECT" => shape.push(format!("input {name}")),
            other => panic!("{name} is a {other}"),
        }
        for field in ty["fields"].as_array().into_iter().flatten() {
            let field_name = field["name"].as_str().unwrap();
            shape.push(format!(
                "field {name}.{field_name}: {}{}",
                type_ref(&field["type"]),
                deprecated(field)
            ));
            for arg in field["args"].as_array().unwrap() {
                shape.push(format!(
                    "arg {name}.{field_name}({}): {}",
                    arg["name"].as_str().unwrap(),
                    type_ref(&arg["type"])
                ));
            }
        }
        for input in ty["inputFields"].as_array().into_iter().flatten() {
            shape.push(format!(
                "input field {name}.{}: {}",
                input["name"].as_str().unwrap(),
                type_ref(&input["type"])
            ));
        }
        for value in ty["enumValues"].as_array().into_iter().flatten() {
            shape.push(format!(
                "value {name}.{}{}",
                value["name"].as_str().unwrap(),
                deprecated(value)
            ));
        }
    }
    shape.sort();
    shape
}

/// The schema drift test's other half: `schema.graphql` must not only be what the code
/// prints, but what the running server answers (types, fields, arguments, deprecations,
/// and the `specifiedByURL` of the scalars, which the SDL export used to leave out).
#[tokio::test]
async fn schema_graphql_says_what_the_served_schema_answers_to_introspection() {
    let app = TestApp::empty().await;
    let served = shape_of_served_schema(&app).await;
    let checked_in = shape_of_schema_graphql();
    let missing: Vec<&String> = served
        .iter()
        .filter(|line| !checked_in.contains(line))
        .collect();
    let extra: Vec<&String> = checked_in
        .iter()
        .filter(|line| !served.contains(line))
        .collect();
    assert!(
        missing.is_empty() && extra.is_empty(),
        "served but not in schema.graphql: {missing:#?}\nin schema.graphql but not served: {extra:#?}"
    );
    for scalar in ["Date", "DateTime"] {
        let line = served
            .iter()
            .find(|line| line.starts_with(&format!("scalar {scalar} ")))
            .unwrap();
        assert!(line.contains("specifiedBy Some(\"https://"), "{line}");
    }
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
