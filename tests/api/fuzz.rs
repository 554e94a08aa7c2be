//! Random and mutated documents and variables sent to `/graphql`: whatever comes in, the
//! answer is a JSON body with a status under 500, and the server goes on serving.
//! The seed is random and printed on failure; `FUZZ_SEED` replays one.

use reqwest::StatusCode;
use serde_json::{Map, Value, json};

use crate::helpers::TestApp;

/// Valid documents to start from.
const CORPUS: &[&str] = &[
    "query($first: Int, $after: String) { initiatives(first: $first, after: $after) {
        totalCount edges { cursor node { title slug themes { name } territories { name } } }
        pageInfo { hasNextPage endCursor } } }",
    "query($slug: String!) { initiative(slug: $slug) { title audiences
        organisations { role organisation { name } } } }",
    "query($id: ID!) { node(id: $id) { id ... on Theme { name } ... on Territory { name } } }",
    "query($ids: [ID!]!) { nodes(ids: $ids) { id } }",
    "{ territories(filter: { nameContains: \"metz\" }) { nodes { name children { name } } } }",
    "query($q: String) { initiatives(filter: { search: $q }) { nodes { title } } }",
    "{ meetings { nodes { title participants { role professional { fullName } } topics { question } } } }",
    "fragment Card on Initiative { title summary } query { initiatives(first: 3) { nodes { ...Card } } }",
    "query Named($skip: Boolean!) { themes { name @skip(if: $skip) slug children { name } } }",
    "mutation($email: String!, $password: String!) { login(input: { email: $email, password: $password }) { token } }",
    "{ me { email } }",
];

/// Pieces inserted into documents.
const PIECES: &[&str] = &[
    "{",
    "}",
    "(",
    ")",
    "[",
    "]",
    "...",
    "...Card",
    "... on Query",
    "@skip(if: $skip)",
    "@include(if: true)",
    "@deprecated",
    "$x",
    "$first",
    "\"",
    "\"\"\"",
    "\\u0000",
    "\\",
    "é",
    "😀",
    "\u{0}",
    "99999999999999999999999",
    "-1",
    "1e999",
    "0.5",
    "null",
    "true",
    "fragment F on Query { themes { name } }",
    "...F",
    "query",
    "mutation",
    "subscription",
    "__typename",
    "__schema { types { name } }",
    ":",
    "=",
    "!",
    "#",
    "\n",
    "node(id: \"x\")",
    "first: -5",
    "after: \"zz\"",
    "last: 1000",
    "a: ",
    "b: themes",
    ",",
    "&",
    "|",
    "@",
    "initiatives(filter: { startedFrom: \"2020-02-30\" })",
    "initiatives(filter: { audiences: [\"CHILDREN\"] })",
    "territories(filter: { nameContains: \"\\u202e\\u001b[2J\" })",
    "initiatives(first: 4294967296)",
    "{ themes { name } }",
];

fn mutate(rng: &mut fastrand::Rng, document: &str) -> String {
    let mut text: Vec<char> = document.chars().collect();
    for _ in 0..rng.usize(1..=4) {
        let at = rng.usize(0..=text.len());
        match rng.u8(0..5) {
            0 if !text.is_empty() => {
                let end = (at + rng.usize(1..20)).min(text.len());
                text.drain(at.min(end)..end);
            }
            1 if !text.is_empty() => {
                let start = rng.usize(0..text.len());
                let end = (start + rng.usize(1..40)).min(text.len());
                let copy: Vec<char> = text[start..end].to_vec();
                let times = rng.usize(1..4);
                for _ in 0..times {
                    text.splice(at..at, copy.iter().copied());
                }
            }
            2 if text.len() > 1 => {
                let (last, other) = (text.len() - 1, rng.usize(0..text.len()));
                text.swap(at.min(last), other);
            }
            3 => {
                let random: String = (0..rng.usize(1..8)).map(|_| rng.char(..)).collect();
                text.splice(at..at, random.chars());
            }
            _ => {
                let piece = PIECES[rng.usize(0..PIECES.len())];
                text.splice(at..at, piece.chars());
            }
        }
    }
    text.into_iter().collect()
}

fn random_value(rng: &mut fastrand::Rng, depth: usize) -> Value {
    match rng.u8(0..if depth > 3 { 6 } else { 8 }) {
        0 => Value::Null,
        1 => json!(rng.bool()),
        2 => json!(rng.i64(..)),
        3 => json!(rng.f64() * 1e300),
        4 => json!(rng.i32(-3..200)),
        5 => {
            let length = if rng.bool() {
                rng.usize(0..10)
            } else {
                rng.usize(0..3000)
            };
            json!((0..length).map(|_| rng.char(..)).collect::<String>())
        }
        6 => Value::Array(
            (0..rng.usize(0..5))
                .map(|_| random_value(rng, depth + 1))
                .collect(),
        ),
        _ => {
            let mut object = Map::new();
            for key in ["search", "themeIds", "audiences", "x", "startedFrom"] {
                if rng.bool() {
                    object.insert(key.to_owned(), random_value(rng, depth + 1));
                }
            }
            Value::Object(object)
        }
    }
}

fn random_variables(rng: &mut fastrand::Rng) -> Value {
    match rng.u8(0..10) {
        0 => Value::Null,
        1 => json!("not an object"),
        2 => json!([1, 2]),
        _ => {
            let mut variables = Map::new();
            for name in [
                "first", "after", "slug", "id", "ids", "q", "skip", "email", "password", "x",
            ] {
                if rng.u8(0..3) > 0 {
                    variables.insert(name.to_owned(), random_value(rng, 0));
                }
            }
            Value::Object(variables)
        }
    }
}

/// The seed of a random test: `FUZZ_SEED` to replay one, a new one otherwise.
fn fuzz_seed() -> u64 {
    std::env::var("FUZZ_SEED")
        .ok()
        .and_then(|seed| seed.parse().ok())
        .unwrap_or_else(|| fastrand::u64(..))
}

#[tokio::test]
async fn random_and_mutated_requests_never_get_a_5xx() {
    let app = TestApp::with_demo_and_settings(|settings| {
        settings.protection.rate_limit_per_address = 0;
    })
    .await;
    let seed = fuzz_seed();
    let mut rng = fastrand::Rng::with_seed(seed);
    for round in 0..1500 {
        let base = CORPUS[rng.usize(0..CORPUS.len())];
        let query = if rng.u8(0..10) == 0 {
            base.to_owned()
        } else {
            mutate(&mut rng, base)
        };
        let variables = if rng.u8(0..4) == 0 {
            json!({ "first": 2, "slug": "confection-de-masques", "skip": false })
        } else {
            random_variables(&mut rng)
        };
        let mut body = json!({ "query": query, "variables": variables });
        if rng.u8(0..5) == 0 {
            body["operationName"] = random_value(&mut rng, 3);
        }
        let shown: String = body.to_string().chars().take(400).collect();
        let over_get = query.len() + variables.to_string().len() < 2000 && rng.u8(0..4) == 0;
        let response = if over_get {
            app.client
                .get(format!("{}/graphql", app.address))
                .query(&[
                    ("query", query.as_str()),
                    ("variables", &variables.to_string()),
                ])
                .send()
                .await
        } else {
            app.client
                .post(format!("{}/graphql", app.address))
                .header("content-type", "application/json")
                .body(body.to_string())
                .send()
                .await
        };
        let response = response.unwrap_or_else(|error| {
            panic!("FUZZ_SEED={seed} round {round}: no answer ({error}) to {shown}")
        });
        let status = response.status();
        let text = response.text().await.unwrap();
        assert!(
            !status.is_server_error(),
            "FUZZ_SEED={seed} round {round}: {status} for {shown}: {text}"
        );
        let answer = serde_json::from_str::<Value>(&text);
        assert!(
            answer.is_ok(),
            "FUZZ_SEED={seed} round {round}: not JSON for {shown}: {text}"
        );
        for error in answer.unwrap()["errors"].as_array().into_iter().flatten() {
            let extensions = &error["extensions"];
            assert_ne!(
                extensions["code"], "INTERNAL_SERVER_ERROR",
                "FUZZ_SEED={seed} round {round}: {shown}: {text}"
            );
            assert!(
                extensions["code"] != "BAD_USER_INPUT" || extensions["field"].is_string(),
                "FUZZ_SEED={seed} round {round}: BAD_USER_INPUT without a field for {shown}: {text}"
            );
        }
    }
    assert_eq!(app.get("/healthz").await.status(), StatusCode::OK);
    app.data("{ themes { name } }").await;
}

/// Every type of the schema, as introspection tells it.
const INTROSPECTION: &str = "{ __schema { queryType { name } mutationType { name }
    types { kind name possibleTypes { name }
        fields { name args { name type { ...Ref } defaultValue } type { ...Ref } }
        inputFields { name type { ...Ref } defaultValue }
        enumValues { name } } } }
    fragment Ref on __Type { kind name ofType { kind name ofType { kind name
        ofType { kind name ofType { kind name } } } } }";

/// A type as a field or an argument refers to it.
#[derive(Debug, Clone)]
enum TypeRef {
    NonNull(Box<TypeRef>),
    List(Box<TypeRef>),
    Named(String),
}

impl TypeRef {
    fn of(json: &Value) -> Self {
        match json["kind"].as_str() {
            Some("NON_NULL") => Self::NonNull(Box::new(Self::of(&json["ofType"]))),
            Some("LIST") => Self::List(Box::new(Self::of(&json["ofType"]))),
            _ => Self::Named(json["name"].as_str().unwrap_or_default().to_owned()),
        }
    }

    fn base(&self) -> &str {
        match self {
            Self::NonNull(inner) | Self::List(inner) => inner.base(),
            Self::Named(name) => name,
        }
    }

    /// As written in a variable definition.
    fn written(&self) -> String {
        match self {
            Self::NonNull(inner) => format!("{}!", inner.written()),
            Self::List(inner) => format!("[{}]", inner.written()),
            Self::Named(name) => name.clone(),
        }
    }
}

/// One step from the root to a field: a field (with its required arguments) or a fragment.
#[derive(Debug, Clone)]
enum Step {
    Field(String),
    On(String),
}

/// A place in an argument's value: a field of an input, or the first item of a list.
#[derive(Debug, Clone)]
enum Place {
    Field(String),
    First,
}

/// A scalar or enum within an argument: where it is, and its type.
#[derive(Debug, Clone)]
struct Leaf {
    places: Vec<Place>,
    /// The field name an error gives it: `input.organisations[0].organisationId`.
    field: String,
    type_name: String,
}

struct Introspected {
    types: std::collections::HashMap<String, Value>,
    roots: Vec<(&'static str, String)>,
}

impl Introspected {
    async fn of(app: &TestApp) -> Self {
        let data = app.data(INTROSPECTION).await;
        let schema = &data["__schema"];
        let types = schema["types"]
            .as_array()
            .unwrap()
            .iter()
            .map(|ty| (ty["name"].as_str().unwrap().to_owned(), ty.clone()))
            .collect();
        let mut roots = vec![(
            "query",
            schema["queryType"]["name"].as_str().unwrap().to_owned(),
        )];
        if let Some(mutation) = schema["mutationType"]["name"].as_str() {
            roots.push(("mutation", mutation.to_owned()));
        }
        Self { types, roots }
    }

    fn kind(&self, name: &str) -> &str {
        self.types[name]["kind"].as_str().unwrap_or_default()
    }

    fn list<'a>(&'a self, name: &str, key: &str) -> impl Iterator<Item = &'a Value> {
        self.types[name][key].as_array().into_iter().flatten()
    }

    /// A valid value of `ty`, with the required fields of inputs only.
    fn dummy(&self, ty: &TypeRef) -> Value {
        match ty {
            TypeRef::NonNull(inner) => self.dummy(inner),
            TypeRef::List(inner) => json!([self.dummy(inner)]),
            TypeRef::Named(name) => match (self.kind(name), name.as_str()) {
                ("ENUM", _) => self.types[name]["enumValues"][0]["name"].clone(),
                ("INPUT_OBJECT", _) => {
                    let mut object = Map::new();
                    for field in self.list(name, "inputFields") {
                        let field_type = TypeRef::of(&field["type"]);
                        if matches!(field_type, TypeRef::NonNull(_))
                            && field["defaultValue"].is_null()
                        {
                            object.insert(
                                field["name"].as_str().unwrap().to_owned(),
                                self.dummy(&field_type),
                            );
                        }
                    }
                    Value::Object(object)
                }
                (_, "Int") => json!(1),
                (_, "Float") => json!(1.5),
                (_, "Boolean") => json!(true),
                (_, "Date") => json!("2020-01-01"),
                (_, "DateTime") => json!("2020-01-01T00:00:00Z"),
                (_, "JSON") => json!({}),
                _ => json!("x"),
            },
        }
    }

    /// A valid value of `ty` holding `value` at `places`.
    fn value_with(&self, ty: &TypeRef, places: &[Place], value: &Value) -> Value {
        let Some((place, rest)) = places.split_first() else {
            return value.clone();
        };
        match (ty, place) {
            (TypeRef::NonNull(inner), _) => self.value_with(inner, places, value),
            (TypeRef::List(inner), Place::First) => json!([self.value_with(inner, rest, value)]),
            (TypeRef::Named(name), Place::Field(field)) => {
                let mut object = self.dummy(ty);
                let field_type = self
                    .list(name, "inputFields")
                    .find(|candidate| candidate["name"] == field.as_str())
                    .map(|candidate| TypeRef::of(&candidate["type"]))
                    .unwrap();
                object[field.as_str()] = self.value_with(&field_type, rest, value);
                object
            }
            _ => unreachable!("{ty:?} at {place:?}"),
        }
    }

    /// `value` as a GraphQL literal of type `ty`: enum values unquoted, but for a
    /// `{ "quoted": value }` put where an enum is expected.
    fn literal(&self, ty: &TypeRef, value: &Value) -> String {
        let inner = match ty {
            TypeRef::NonNull(inner) => return self.literal(inner, value),
            TypeRef::List(inner) => Some(&**inner),
            TypeRef::Named(_) => None,
        };
        match value {
            Value::Array(items) => {
                let item_type = inner.unwrap_or(ty);
                let items: Vec<String> = items
                    .iter()
                    .map(|item| self.literal(item_type, item))
                    .collect();
                format!("[{}]", items.join(", "))
            }
            Value::Object(fields) if self.kind(ty.base()) == "INPUT_OBJECT" => {
                let fields: Vec<String> = fields
                    .iter()
                    .map(|(name, item)| {
                        let field_type = self
                            .list(ty.base(), "inputFields")
                            .find(|candidate| candidate["name"] == name.as_str())
                            .map(|candidate| TypeRef::of(&candidate["type"]))
                            .unwrap();
                        format!("{name}: {}", self.literal(&field_type, item))
                    })
                    .collect();
                format!("{{{}}}", fields.join(", "))
            }
            Value::Object(quoted) if self.kind(ty.base()) == "ENUM" => {
                graphql_string(quoted["quoted"].as_str().unwrap_or_default())
            }
            Value::String(text) if self.kind(ty.base()) == "ENUM" => text.clone(),
            Value::String(text) => graphql_string(text),
            other => other.to_string(),
        }
    }

    /// The scalars and enums within a value of `ty`.
    fn leaves(&self, ty: &TypeRef, places: Vec<Place>, field: String, depth: usize) -> Vec<Leaf> {
        match ty {
            TypeRef::NonNull(inner) => self.leaves(inner, places, field, depth),
            TypeRef::List(inner) => {
                let mut places = places;
                places.push(Place::First);
                self.leaves(inner, places, format!("{field}[0]"), depth)
            }
            TypeRef::Named(name) if self.kind(name) == "INPUT_OBJECT" => {
                if depth > 4 {
                    return Vec::new();
                }
                self.list(name, "inputFields")
                    .flat_map(|input| {
                        let input_name = input["name"].as_str().unwrap();
                        let mut places = places.clone();
                        places.push(Place::Field(input_name.to_owned()));
                        self.leaves(
                            &TypeRef::of(&input["type"]),
                            places,
                            format!("{field}.{input_name}"),
                            depth + 1,
                        )
                    })
                    .collect()
            }
            TypeRef::Named(name) => vec![Leaf {
                places,
                field,
                type_name: name.clone(),
            }],
        }
    }

    /// The required arguments of `field`, as literals, but for `except`.
    fn required_arguments(&self, field: &Value, except: Option<&str>) -> Vec<String> {
        field["args"]
            .as_array()
            .into_iter()
            .flatten()
            .filter(|arg| arg["name"].as_str() != except)
            .filter(|arg| arg["type"]["kind"] == "NON_NULL" && arg["defaultValue"].is_null())
            .map(|arg| {
                let ty = TypeRef::of(&arg["type"]);
                format!(
                    "{}: {}",
                    arg["name"].as_str().unwrap(),
                    self.literal(&ty, &self.dummy(&ty))
                )
            })
            .collect()
    }

    /// How each object type is reached from a root, by the first path found.
    fn paths(&self) -> Vec<(String, &'static str, Vec<Step>)> {
        let mut reached: Vec<(String, &'static str, Vec<Step>)> = Vec::new();
        let mut queue: std::collections::VecDeque<(String, &'static str, Vec<Step>)> = self
            .roots
            .iter()
            .map(|(operation, root)| (root.clone(), *operation, Vec::new()))
            .collect();
        while let Some((name, operation, steps)) = queue.pop_front() {
            if reached.iter().any(|(seen, ..)| *seen == name) {
                continue;
            }
            for possible in self.list(&name, "possibleTypes") {
                let possible = possible["name"].as_str().unwrap().to_owned();
                let mut steps = steps.clone();
                steps.push(Step::On(possible.clone()));
                queue.push_back((possible, operation, steps));
            }
            for field in self.list(&name, "fields") {
                let returns = TypeRef::of(&field["type"]).base().to_owned();
                if matches!(self.kind(&returns), "OBJECT" | "INTERFACE" | "UNION") {
                    let arguments = self.required_arguments(field, None);
                    let written = match arguments.is_empty() {
                        true => field["name"].as_str().unwrap().to_owned(),
                        false => format!(
                            "{}({})",
                            field["name"].as_str().unwrap(),
                            arguments.join(", ")
                        ),
                    };
                    let mut steps = steps.clone();
                    steps.push(Step::Field(written));
                    queue.push_back((returns, operation, steps));
                }
            }
            reached.push((name, operation, steps));
        }
        reached
    }
}

/// A GraphQL string literal, every control and format character escaped.
fn graphql_string(text: &str) -> String {
    let mut literal = String::from("\"");
    for c in text.chars() {
        match c {
            '"' => literal.push_str("\\\""),
            '\\' => literal.push_str("\\\\"),
            c if c.is_control() || ('\u{2000}'..='\u{206f}').contains(&c) => {
                literal.push_str(&format!("\\u{:04X}", u32::from(c)))
            }
            c => literal.push(c),
        }
    }
    literal.push('"');
    literal
}

/// One argument value to send, and what the answer must be.
struct Case {
    document: String,
    variables: Value,
    code: &'static str,
    field: String,
}

/// Every argument of every field reachable in the schema, and each scalar or enum in it, with
/// the value `make` gives for it (if any): as a variable and written in the document.
fn cases(
    schema: &Introspected,
    mut make: impl FnMut(&Leaf, usize) -> Vec<(Value, bool, &'static str)>,
) -> Vec<Case> {
    let mut cases = Vec::new();
    let mut counter = 0;
    for (type_name, operation, steps) in schema.paths() {
        for field in schema.list(&type_name, "fields") {
            let field_name = field["name"].as_str().unwrap();
            let returns = TypeRef::of(&field["type"]);
            let selection = match schema.kind(returns.base()) {
                "OBJECT" | "INTERFACE" | "UNION" => " { __typename }",
                _ => "",
            };
            for arg in field["args"].as_array().into_iter().flatten() {
                let arg_name = arg["name"].as_str().unwrap();
                let arg_type = TypeRef::of(&arg["type"]);
                let others = schema.required_arguments(field, Some(arg_name));
                for leaf in schema.leaves(&arg_type, Vec::new(), arg_name.to_owned(), 0) {
                    counter += 1;
                    for (bad, as_variable, code) in make(&leaf, counter) {
                        let value = schema.value_with(&arg_type, &leaf.places, &bad);
                        let (written, definitions, variables) = if as_variable {
                            (
                                "$v".to_owned(),
                                format!("($v: {})", arg_type.written()),
                                json!({ "v": value }),
                            )
                        } else {
                            (schema.literal(&arg_type, &value), String::new(), json!({}))
                        };
                        let mut arguments = vec![format!("{arg_name}: {written}")];
                        arguments.extend(others.iter().cloned());
                        let mut inner =
                            format!("{field_name}({}){selection}", arguments.join(", "));
                        for step in steps.iter().rev() {
                            inner = match step {
                                Step::Field(written) => format!("{written} {{ {inner} }}"),
                                Step::On(on) => format!("... on {on} {{ {inner} }}"),
                            };
                        }
                        cases.push(Case {
                            document: format!("{operation} {definitions} {{ {inner} }}"),
                            variables,
                            code,
                            field: leaf.field.clone(),
                        });
                    }
                }
            }
        }
    }
    cases
}

/// Sends every case: each is refused with its code and field, never run, never a 5xx.
async fn refused_as_expected(app: &TestApp, cases: Vec<Case>) -> usize {
    let sent = cases.len();
    for case in cases {
        let body = app.query_with(&case.document, case.variables.clone()).await;
        let error = &body["errors"][0];
        assert!(
            error["extensions"]["code"] == case.code
                && error["extensions"]["field"] == case.field.as_str(),
            "expected {} on {} for {} with {}: {body}",
            case.code,
            case.field,
            case.document,
            case.variables,
        );
        assert!(body["data"].is_null(), "{}: {body}", case.document);
    }
    sent
}

/// Characters the input policy refuses in every string.
const REFUSED: &[&str] = &[
    "\u{0}",
    "\u{1b}[2J",
    "\u{7}",
    "\u{7f}",
    "\u{85}",
    "\u{9b}31m",
    "\u{202e}",
    "\u{2067}",
];

#[tokio::test]
async fn every_string_of_the_schema_refuses_nul_and_control_characters_naming_its_field() {
    let app = TestApp::with_demo_and_settings(|settings| {
        settings.protection.rate_limit_per_address = 0;
    })
    .await;
    let schema = Introspected::of(&app).await;
    let cases = cases(&schema, |leaf, counter| {
        let bad = json!(format!("a{}b", REFUSED[counter % REFUSED.len()]));
        match leaf.type_name.as_str() {
            "Int" | "Float" | "Boolean" => Vec::new(),
            // A JSON string is an enum value in a variable; a literal string is not one.
            _ if schema.kind(&leaf.type_name) == "ENUM" => vec![(bad, true, "BAD_USER_INPUT")],
            _ => vec![
                (bad.clone(), true, "BAD_USER_INPUT"),
                (bad, false, "BAD_USER_INPUT"),
            ],
        }
    });
    let sent = refused_as_expected(&app, cases).await;
    // Every root field with a string argument and more: the walk did reach the schema.
    assert!(sent > 300, "only {sent} cases");
}

#[tokio::test]
async fn every_string_of_the_schema_has_a_length_limit_named_in_its_refusal() {
    let app = TestApp::with_demo_and_settings(|settings| {
        settings.protection.rate_limit_per_address = 0;
    })
    .await;
    let schema = Introspected::of(&app).await;
    let too_long = json!("a".repeat(20_001));
    let cases = cases(&schema, |leaf, _| match leaf.type_name.as_str() {
        "String" | "ID" => vec![(too_long.clone(), true, "BAD_USER_INPUT")],
        _ => Vec::new(),
    });
    assert!(refused_as_expected(&app, cases).await > 100);
}

#[tokio::test]
async fn every_enum_scalar_and_int_of_the_schema_is_checked_naming_its_field() {
    let app = TestApp::with_demo_and_settings(|settings| {
        settings.protection.rate_limit_per_address = 0;
    })
    .await;
    let schema = Introspected::of(&app).await;
    let cases = cases(&schema, |leaf, _| {
        let name = leaf.type_name.as_str();
        let bad = match name {
            "Int" => json!(1_i64 << 40),
            "Date" => json!("2020-02-30"),
            "DateTime" => json!("yesterday"),
            _ if schema.kind(name) == "ENUM" => {
                // Quoted in the document: a validation error, as the specification says.
                let value = &schema.types[name]["enumValues"][0]["name"];
                return vec![(
                    json!({ "quoted": value }),
                    false,
                    "GRAPHQL_VALIDATION_FAILED",
                )];
            }
            _ => return Vec::new(),
        };
        vec![
            (bad.clone(), true, "BAD_USER_INPUT"),
            (bad, false, "BAD_USER_INPUT"),
        ]
    });
    assert!(refused_as_expected(&app, cases).await > 50);
}

/// A random introspection document: roots (`__schema`, `__type`, aliased or in fragments)
/// with lists that lead to more types (`possibleTypes`, `interfaces`, `fields { type }`,
/// `inputFields { type }`, `ofType`) nested at random.
fn random_introspection(rng: &mut fastrand::Rng) -> String {
    fn nested(rng: &mut fastrand::Rng, depth: usize) -> String {
        if depth == 0 {
            return "name".to_owned();
        }
        let inner = nested(rng, depth - 1);
        match rng.u8(0..6) {
            0 => format!("name possibleTypes {{ {inner} }}"),
            1 => format!("name interfaces {{ {inner} }}"),
            2 => format!("name fields {{ name type {{ {inner} }} }}"),
            3 => format!("name inputFields {{ name type {{ {inner} }} }}"),
            4 => format!("name ofType {{ {inner} }}"),
            _ => format!("... on __Type {{ name possibleTypes {{ {inner} }} }}"),
        }
    }
    let roots = rng.usize(1..5);
    let mut fields = Vec::new();
    for index in 0..roots {
        let depth = rng.usize(1..9);
        let body = nested(rng, depth);
        fields.push(if rng.bool() {
            format!("r{index}: __type(name: \"Node\") {{ {body} }}")
        } else {
            format!("r{index}: __schema {{ types {{ {body} }} }}")
        });
    }
    format!("{{ {} }}", fields.join(" "))
}

#[tokio::test]
async fn introspection_of_any_shape_is_refused_before_it_runs_or_answers_within_the_caps() {
    let app = TestApp::with_demo_and_settings(|settings| {
        settings.protection.rate_limit_per_address = 0;
    })
    .await;
    let seed = fuzz_seed();
    let mut rng = fastrand::Rng::with_seed(seed);
    for round in 0..150 {
        let query = random_introspection(&mut rng);
        let before = app.statements();
        let started = std::time::Instant::now();
        let response = app.post_graphql(json!({ "query": query })).await;
        assert!(
            response.status().as_u16() < 500,
            "FUZZ_SEED={seed} round {round}: {query}"
        );
        let text = response.text().await.unwrap();
        // 8 MiB is the default cap on any answer.
        assert!(text.len() <= 8 * 1024 * 1024, "FUZZ_SEED={seed}: {query}");
        let body: Value = serde_json::from_str(&text).unwrap();
        let codes = crate::helpers::error_codes(&body);
        if codes.is_empty() {
            // What runs is small: the limits let through only shapes real tools send.
            assert!(
                started.elapsed() < std::time::Duration::from_secs(5),
                "FUZZ_SEED={seed} round {round}: {:?} for {query}",
                started.elapsed()
            );
        } else {
            assert_eq!(
                codes,
                ["QUERY_LIMIT_EXCEEDED"],
                "FUZZ_SEED={seed} round {round}: {query}: {body}"
            );
            assert_eq!(app.statements(), before, "no SQL for a refused query");
        }
    }
}
