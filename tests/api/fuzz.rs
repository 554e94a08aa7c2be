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

#[tokio::test]
async fn random_and_mutated_requests_never_get_a_5xx() {
    let app = TestApp::with_demo_and_settings(|settings| {
        settings.protection.rate_limit_per_address = 0;
    })
    .await;
    let seed = std::env::var("FUZZ_SEED")
        .ok()
        .and_then(|seed| seed.parse().ok())
        .unwrap_or_else(|| fastrand::u64(..));
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
        assert!(
            serde_json::from_str::<Value>(&text).is_ok(),
            "FUZZ_SEED={seed} round {round}: not JSON for {shown}: {text}"
        );
    }
    assert_eq!(app.get("/healthz").await.status(), StatusCode::OK);
    app.data("{ themes { name } }").await;
}
