//! Introspection within bounds: the lists of introspection (`fields`, `interfaces`,
//! `possibleTypes`, `inputFields`) nested in each other multiply by the schema's fan-out, so
//! that a query of 150 bytes would answer a hundred megabytes. Such queries are refused
//! before they run, with QUERY_LIMIT_EXCEEDED and no SQL; what real tools send still runs.

use std::time::{Duration, Instant};

use serde_json::{Value, json};

use crate::helpers::{TestApp, error_codes};

/// The body of a query refused for `limit`, after checking that it ran no SQL and took no
/// time (the real figure is a few milliseconds; this only catches a runaway).
async fn refused(app: &TestApp, query: &str, limit: &str) -> Value {
    let before = app.statements();
    let started = Instant::now();
    let body = app.query(query).await;
    assert!(
        started.elapsed() < Duration::from_secs(2),
        "{query}: {:?}",
        started.elapsed()
    );
    assert_eq!(
        error_codes(&body),
        ["QUERY_LIMIT_EXCEEDED"],
        "{query}: {body}"
    );
    assert_eq!(
        body["errors"][0]["extensions"]["limit"], limit,
        "{query}: {body}"
    );
    assert!(body["data"].is_null(), "{body}");
    assert_eq!(app.statements(), before, "no SQL for a refused query");
    body
}

/// `possibleTypes` and `interfaces` in turn, `levels` times, under `__type(name: "Node")`.
fn alternating(levels: usize) -> String {
    let mut selection = "name".to_owned();
    for level in (0..levels).rev() {
        let list = if level % 2 == 0 {
            "possibleTypes"
        } else {
            "interfaces"
        };
        selection = format!("{list} {{ name {selection} }}");
    }
    format!("{{ __type(name: \"Node\") {{ {selection} }} }}")
}

#[tokio::test]
async fn possible_types_and_interfaces_in_turn_are_refused_at_once_without_sql() {
    let app = TestApp::with_demo().await;
    let query = alternating(6);
    assert!(query.len() < 200, "{} bytes", query.len());
    let body = refused(&app, &query, "introspectionDepth").await;
    assert_eq!(body["errors"][0]["extensions"]["max"], 2);
    let message = body["errors"][0]["message"].as_str().unwrap();
    assert!(message.contains("introspection lists"), "{message}");
    // Two levels, as tools send them, run.
    let data = app.data(&alternating(2)).await;
    assert!(
        !data["__type"]["possibleTypes"]
            .as_array()
            .unwrap()
            .is_empty()
    );
}

#[tokio::test]
async fn every_shape_that_nests_introspection_lists_is_refused() {
    let app = TestApp::with_demo().await;
    for query in [
        "{ __schema { types { fields { type { fields { type { fields { name } } } } } } } }",
        "{ __schema { types { possibleTypes { fields { type { possibleTypes { name } } } } } } }",
        "{ __schema { types { fields { type { ofType { ofType { fields { type { ofType {
           interfaces { name } } } } } } } } } } }",
        "{ __schema { directives { args { type { inputFields { type { inputFields { type {
           inputFields { name } } } } } } } } } }",
        "{ __schema { types { interfaces { possibleTypes { interfaces { name } } } } } }",
        // Through fragments, named and inline.
        "{ __type(name: \"Query\") { ...Lists } }
         fragment Lists on __Type { fields { type { ...More } } }
         fragment More on __Type { ... on __Type { fields { args { type { fields { name } } } } } }",
    ] {
        refused(&app, query, "introspectionDepth").await;
    }
}

#[tokio::test]
async fn many_introspection_roots_are_refused() {
    let app = TestApp::with_demo().await;
    let schemas: Vec<String> = (0..20)
        .map(|n| format!("s{n}: __schema {{ types {{ name fields {{ name args {{ name }} }} }} }}"))
        .collect();
    refused(
        &app,
        &format!("{{ {} }}", schemas.join(" ")),
        "introspectionRoots",
    )
    .await;

    // `__type` of every type, aliased.
    let data = app.data("{ __schema { types { name } } }").await;
    let types: Vec<String> = data["__schema"]["types"]
        .as_array()
        .unwrap()
        .iter()
        .take(15)
        .enumerate()
        .map(|(n, ty)| {
            format!(
                "t{n}: __type(name: \"{}\") {{ fields {{ name type {{ name fields {{ name }} }} }} }}",
                ty["name"].as_str().unwrap()
            )
        })
        .collect();
    let body = refused(
        &app,
        &format!("{{ {} }}", types.join(" ")),
        "introspectionRoots",
    )
    .await;
    assert_eq!(body["errors"][0]["extensions"]["max"], 2);

    // A fragment with a root, spread again and again.
    refused(
        &app,
        "{ ...Root ...Root ...Root } fragment Root on Query { __schema { types { name } } }",
        "introspectionRoots",
    )
    .await;
}

#[tokio::test]
async fn the_introspection_limits_are_settings() {
    let app = TestApp::with_demo_and_settings(|settings| {
        settings.protection.query_limits.max_introspection_depth = 3;
        settings.protection.query_limits.max_introspection_roots = 3;
    })
    .await;
    app.data(&alternating(3)).await;
    app.data(
        "{ a: __type(name: \"Query\") { name } b: __type(name: \"Node\") { name }
        c: __schema { queryType { name } } }",
    )
    .await;
    refused(&app, &alternating(4), "introspectionDepth").await;
}

/// The introspection query of graphql-js, `getIntrospectionQuery({ descriptions: true,
/// specifiedByUrl: true, directiveIsRepeatable: true, schemaDescription: true,
/// inputValueDeprecation: true, oneOf: true })`, as GraphiQL and the code generators send it.
const GRAPHQL_JS_INTROSPECTION: &str = "
query IntrospectionQuery {
  __schema {
    description
    queryType { name kind }
    mutationType { name kind }
    subscriptionType { name kind }
    types {
      ...FullType
    }
    directives {
      name
      description
      isRepeatable
      locations
      args(includeDeprecated: true) {
        ...InputValue
      }
    }
  }
}
fragment FullType on __Type {
  kind
  name
  description
  specifiedByURL
  isOneOf
  fields(includeDeprecated: true) {
    name
    description
    args(includeDeprecated: true) {
      ...InputValue
    }
    type {
      ...TypeRef
    }
    isDeprecated
    deprecationReason
  }
  inputFields(includeDeprecated: true) {
    ...InputValue
  }
  interfaces {
    ...TypeRef
  }
  enumValues(includeDeprecated: true) {
    name
    description
    isDeprecated
    deprecationReason
  }
  possibleTypes {
    ...TypeRef
  }
}
fragment InputValue on __InputValue {
  name
  description
  type { ...TypeRef }
  defaultValue
  isDeprecated
  deprecationReason
}
fragment TypeRef on __Type {
  kind
  name
  ofType {
    name
    kind
    ofType {
      name
      kind
      ofType {
        name
        kind
        ofType {
          name
          kind
          ofType {
            name
            kind
            ofType {
              name
              kind
              ofType {
                name
                kind
                ofType {
                  name
                  kind
                  ofType {
                    name
                    kind
                  }
                }
              }
            }
          }
        }
      }
    }
  }
}
";

#[tokio::test]
async fn the_full_introspection_query_of_graphql_js_answers() {
    let app = TestApp::with_demo().await;
    let body = app
        .post_graphql(json!({ "query": GRAPHQL_JS_INTROSPECTION }))
        .await
        .json::<Value>()
        .await
        .unwrap();
    assert!(body.get("errors").is_none(), "{body:#}");
    let schema = &body["data"]["__schema"];
    assert_eq!(schema["queryType"]["name"], "Query");
    let types = schema["types"].as_array().unwrap();
    let node = types.iter().find(|ty| ty["name"] == "Node").unwrap();
    assert!(!node["possibleTypes"].as_array().unwrap().is_empty());
    assert!(!schema["directives"].as_array().unwrap().is_empty());
}
