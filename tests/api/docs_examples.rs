//! The examples of the README, of `docs/api.md` and of `docs/open-data.md`, run in order as a newcomer pastes them:
//! against the real `communs` binary serving the demo dataset, the shell examples with bash
//! (`cargo run --` being that binary), the GraphQL ones posted to `/graphql`. Where a doc shows
//! an answer, the answer must be that one, ids and times aside.
//!
//! How to run an example is written in the doc itself, for readers, and for this test in an
//! HTML comment just above the block, which a rendered page does not show:
//! `<!-- example: {"token": "$TOKEN", "variables": {"id": "$INITIATIVE"},
//! "keep": {"REGION": "/data/territory/id"}} -->` sends the query with the shell's `$TOKEN`
//! and `$INITIATIVE`, then keeps a value of the answer (a JSON pointer) as `$REGION` for the
//! next examples.
//!
//! An answer as shown may leave things out with `…`: in a list, the items before it are the
//! first ones of the real list and those after it its last ones; at the end of a string, the
//! rest of the string. Global ids, times and the id part of a draft's slug differ from one
//! database to another: the shown ones stand for any.

use std::{
    io::{BufRead, BufReader},
    path::Path,
    process::{Child, Command, Stdio},
    time::Duration,
};

use regex::Regex;
use serde_json::{Map, Value, json};

use crate::helpers::{TEST_ERASURE_KEY, TEST_JWT_SECRET, TestApp};

const BINARY: &str = env!("CARGO_BIN_EXE_communs");

#[tokio::test]
async fn every_example_of_the_readme_and_the_api_tour_answers_as_shown() {
    let session = Session::start().await;
    let mut examples = examples_of("README.md");
    examples.extend(examples_of("docs/api.md"));
    examples.extend(examples_of("docs/open-data.md"));
    examples.extend(examples_of("docs/frontends.md"));
    examples.extend(examples_of("docs/webhooks.md"));
    examples.extend(examples_of("docs/notifications.md"));
    examples.extend(examples_of("docs/api-keys.md"));
    let mut checked = 0;
    for example in &examples {
        let answer = session.run(example).await;
        if let (Some(answer), Some(shown)) = (answer, &example.shown) {
            let shown = parse_shown(shown)
                .unwrap_or_else(|error| panic!("{}: the shown answer: {error}", example.place));
            let mut path = String::new();
            if let Err(difference) = agrees(&shown, &answer, &mut path) {
                panic!(
                    "{}: the answer differs from the doc at {path}: {difference}\n\
                     answer: {answer}",
                    example.place
                );
            }
            checked += 1;
        }
    }
    let shown = examples
        .iter()
        .filter(|example| example.shown.is_some())
        .count();
    assert_eq!(checked, shown, "every answer shown is compared");
    assert!(shown >= 20, "the docs' answers are found");
}

#[test]
fn the_apollo_client_the_frontends_page_shows_is_the_file_the_ci_runs() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let page = std::fs::read_to_string(root.join("docs/frontends.md")).unwrap();
    let file = std::fs::read_to_string(root.join("docs/frontends/apollo.mjs")).unwrap();
    let shown = page
        .split("```js\n")
        .nth(1)
        .and_then(|rest| rest.split("```").next())
        .expect("the page shows a js block");
    assert_eq!(
        shown, file,
        "docs/frontends.md shows docs/frontends/apollo.mjs as it is"
    );
}

/// A block of a doc that is run.
struct Example {
    /// `README.md:123`, for messages.
    place: String,
    kind: Language,
    code: String,
    /// The `<!-- example: … -->` just above.
    how: Value,
    /// The answer the doc shows just below, if any.
    shown: Option<String>,
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Language {
    Shell,
    Graphql,
}

/// The shell and GraphQL blocks of a doc, each with its directions and its shown answer.
fn examples_of(doc: &str) -> Vec<Example> {
    let text = std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join(doc))
        .expect("the doc exists");
    let lines: Vec<&str> = text.lines().collect();
    let mut blocks = Vec::new(); // (first line, language, code)
    let mut directions = Vec::new(); // the `<!-- example -->` above each block
    let mut pending = Value::Null;
    let mut i = 0;
    while i < lines.len() {
        let line = lines[i];
        if let Some(how) = line
            .trim()
            .strip_prefix("<!-- example:")
            .and_then(|rest| rest.strip_suffix("-->"))
        {
            pending = serde_json::from_str(how)
                .unwrap_or_else(|error| panic!("{doc}:{}: {error}", i + 1));
        } else if let Some(language) = line.strip_prefix("```") {
            let start = i + 1;
            let mut end = start;
            while !lines[end].starts_with("```") {
                end += 1;
            }
            blocks.push((
                start,
                language.trim().to_owned(),
                lines[start..end].join("\n"),
            ));
            directions.push(std::mem::take(&mut pending));
            i = end;
        } else if !line.trim().is_empty() {
            pending = Value::Null;
        }
        i += 1;
    }
    let adjacent = |previous_end: usize, next_start: usize| {
        lines[previous_end..next_start - 1]
            .iter()
            .all(|line| line.trim().is_empty() || line.starts_with("```"))
    };
    let mut examples = Vec::new();
    for (index, (start, language, code)) in blocks.iter().enumerate() {
        let kind = match language.as_str() {
            "sh" => Language::Shell,
            "graphql" => Language::Graphql,
            _ => continue,
        };
        let end = start + code.lines().count();
        let shown = blocks.get(index + 1).and_then(|(next, language, answer)| {
            (language == "json" && adjacent(end, *next)).then(|| answer.clone())
        });
        examples.push(Example {
            place: format!("{doc}:{start}"),
            kind,
            code: code.clone(),
            how: directions[index].clone(),
            shown,
        });
    }
    examples
}

/// The binary serving the demo, and the shell the examples run in.
struct Session {
    server: Server,
    /// The examples' working folder, with the shell's variables kept in `state.sh`.
    work: tempfile::TempDir,
    client: reqwest::Client,
    /// Holds the PostgreSQL database, when the suite runs there.
    _app: Option<TestApp>,
}

impl Session {
    /// What a newcomer has after `cargo run`: on SQLite the embedded default, which loads
    /// the demo on its first start; on PostgreSQL an empty database, filled by `seed-demo`.
    async fn start() -> Self {
        let work = tempfile::tempdir().expect("a working folder");
        let mut settings: Vec<(&str, String)> = vec![
            ("PATH", std::env::var("PATH").unwrap_or_default()),
            ("HOME", work.path().display().to_string()),
            ("RUST_LOG", "warn".to_owned()),
            (
                "COMMUNS_NEW_PASSWORD",
                "le mot de passe de l'exemple".to_owned(),
            ),
        ];
        let app = match std::env::var("TEST_DATABASE_URL") {
            Ok(url) if url.starts_with("postgres") => {
                let app = TestApp::empty().await;
                settings.push(("DATABASE_URL", app.database_url.clone()));
                settings.push(("ERASURE_KEY", TEST_ERASURE_KEY.to_owned()));
                settings.push(("JWT_SECRET", TEST_JWT_SECRET.to_owned()));
                let seeded = Command::new(BINARY)
                    .env_clear()
                    .envs(settings.iter().map(|(name, value)| (name, value)))
                    .arg("seed-demo")
                    .output()
                    .expect("seed-demo runs");
                assert!(seeded.status.success(), "{seeded:?}");
                Some(app)
            }
            _ => {
                settings.push(("DATA_DIR", work.path().join("data").display().to_string()));
                None
            }
        };
        let state: String = settings
            .iter()
            .map(|(name, value)| format!("export {name}={}\n", shell_quoted(value)))
            .collect();
        std::fs::write(work.path().join("state.sh"), state).unwrap();
        let server = Server::start(&settings);
        Self {
            server,
            work,
            client: reqwest::Client::new(),
            _app: app,
        }
    }

    /// Runs `example`: its answer, when it gives one.
    async fn run(&self, example: &Example) -> Option<Value> {
        match example.kind {
            Language::Shell => self.run_shell(example),
            Language::Graphql => Some(self.run_graphql(example).await),
        }
    }

    fn run_shell(&self, example: &Example) -> Option<Value> {
        let code = example.code.trim();
        // Starting the server and the test suite are what this test does around the others.
        if code == "cargo run" || code.contains("cargo test") {
            return None;
        }
        let binary = shell_quoted(BINARY);
        let code = example
            .code
            .replace("http://localhost:8080", &self.server.url)
            .replace("cargo run -q --", &binary)
            .replace("cargo run --", &binary);
        let state = self.work.path().join("state.sh");
        let script = format!(
            "set -eo pipefail\nset -a\nsource {state}\n{code}\nexport -p > {state}\n",
            state = shell_quoted(&state.display().to_string()),
        );
        let output = Command::new("bash")
            .arg("-c")
            .arg(script)
            .env_clear()
            .current_dir(self.work.path())
            .stdin(Stdio::null())
            .output()
            .expect("bash runs");
        assert!(
            output.status.success(),
            "{}: the example fails: {}",
            example.place,
            String::from_utf8_lossy(&output.stderr)
        );
        let stdout = String::from_utf8(output.stdout).expect("UTF-8 output");
        example.shown.as_ref().map(|_| {
            serde_json::from_str(stdout.trim()).unwrap_or_else(|error| {
                panic!(
                    "{}: the output is not JSON ({error}): {stdout}",
                    example.place
                )
            })
        })
    }

    async fn run_graphql(&self, example: &Example) -> Value {
        let mut request = self
            .client
            .post(format!("{}/graphql", self.server.url))
            .json(&json!({
                "query": example.code,
                "variables": self.expanded(&example.how["variables"]),
            }));
        if let Some(token) = self.expanded(&example.how["token"]).as_str() {
            request = request.bearer_auth(token);
        }
        let answer: Value = request
            .send()
            .await
            .expect("the request is sent")
            .json()
            .await
            .expect("a JSON answer");
        if let Some(keep) = example.how["keep"].as_object() {
            let mut state = std::fs::read_to_string(self.work.path().join("state.sh")).unwrap();
            for (name, pointer) in keep {
                let value = answer
                    .pointer(pointer.as_str().unwrap())
                    .and_then(Value::as_str)
                    .unwrap_or_else(|| panic!("{}: no {pointer} in {answer}", example.place));
                state.push_str(&format!("export {name}={}\n", shell_quoted(value)));
            }
            std::fs::write(self.work.path().join("state.sh"), state).unwrap();
        }
        answer
    }

    /// `value` with each string `$NAME` replaced by the shell variable's value.
    fn expanded(&self, value: &Value) -> Value {
        match value {
            Value::String(text) if text.starts_with('$') => {
                let output = Command::new("bash")
                    .arg("-c")
                    .arg(format!("source state.sh; printf %s \"{text}\""))
                    .env_clear()
                    .current_dir(self.work.path())
                    .output()
                    .expect("bash runs");
                let expanded = String::from_utf8(output.stdout).unwrap();
                assert!(!expanded.is_empty(), "{text} is set by an earlier example");
                Value::String(expanded)
            }
            Value::Object(fields) => Value::Object(
                fields
                    .iter()
                    .map(|(name, value)| (name.clone(), self.expanded(value)))
                    .collect(),
            ),
            other => other.clone(),
        }
    }
}

/// The `communs` binary serving on a free port.
struct Server {
    child: Child,
    url: String,
}

impl Server {
    fn start(settings: &[(&str, String)]) -> Self {
        let mut child = Command::new(BINARY)
            .env_clear()
            .envs(settings.iter().map(|(name, value)| (name, value)))
            .env("LISTEN_ADDR", "127.0.0.1:0")
            .env("LOG_FORMAT", "json")
            .env("RUST_LOG", "info")
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .expect("the server starts");
        let stderr = child.stderr.take().unwrap();
        let (address_tx, address_rx) = std::sync::mpsc::channel();
        std::thread::spawn(move || {
            for line in BufReader::new(stderr).lines().map_while(Result::ok) {
                if line.contains("Communs is serving")
                    && let Ok(event) = serde_json::from_str::<Value>(&line)
                    && let Some(address) = event["address"].as_str()
                {
                    let _ = address_tx.send(address.to_owned());
                }
            }
        });
        let address = address_rx
            .recv_timeout(Duration::from_secs(60))
            .expect("the server announces its address");
        Self {
            child,
            url: format!("http://{address}"),
        }
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn shell_quoted(text: &str) -> String {
    format!("'{}'", text.replace('\'', r"'\''"))
}

/// What the docs write for "and more": a list item, or the end of a string.
const ELIDED: &str = "…";

/// The answer as a doc shows it: JSON, where a bare `…` stands for left-out list items.
fn parse_shown(shown: &str) -> Result<Value, serde_json::Error> {
    let mut json = String::with_capacity(shown.len());
    let mut in_string = false;
    let mut escaped = false;
    // After a bare `…`, which the docs write without a comma before the next item.
    let mut after_elision = false;
    for c in shown.chars() {
        if in_string {
            in_string = escaped || c != '"';
            escaped = !escaped && c == '\\';
        } else if c == '…' {
            json.push_str("\"…\"");
            after_elision = true;
            continue;
        } else if !c.is_whitespace() {
            if after_elision && !matches!(c, ',' | ']' | '}') {
                json.push(',');
            }
            after_elision = false;
            in_string = c == '"';
        }
        json.push(c);
    }
    serde_json::from_str(&json)
}

/// Whether `actual` is what `shown` shows; the difference otherwise, at `path`.
fn agrees(shown: &Value, actual: &Value, path: &mut String) -> Result<(), String> {
    match (shown, actual) {
        (Value::Object(shown), Value::Object(actual)) => agree_objects(shown, actual, path),
        (Value::Array(shown), Value::Array(actual)) => {
            let (head, tail) = match shown.iter().position(|item| item == ELIDED) {
                Some(at) => (&shown[..at], &shown[at + 1..]),
                None if shown.len() == actual.len() => (&shown[..], &[][..]),
                None => {
                    return Err(format!(
                        "{} items shown, {} answered",
                        shown.len(),
                        actual.len()
                    ));
                }
            };
            if actual.len() < head.len() + tail.len() {
                return Err(format!("only {} items answered", actual.len()));
            }
            let pairs = head.iter().zip(actual).enumerate().chain(
                tail.iter()
                    .zip(&actual[actual.len() - tail.len()..])
                    .enumerate()
                    .map(|(index, pair)| (actual.len() - tail.len() + index, pair)),
            );
            for (index, (shown, actual)) in pairs {
                let length = path.len();
                path.push_str(&format!("[{index}]"));
                agrees(shown, actual, path)?;
                path.truncate(length);
            }
            Ok(())
        }
        (Value::String(shown), Value::String(actual)) if same_text(shown, actual) => Ok(()),
        (Value::Number(shown), Value::Number(actual)) if shown.as_f64() == actual.as_f64() => {
            Ok(())
        }
        (shown, actual) if shown == actual => Ok(()),
        (shown, actual) => Err(format!("shown {shown}, answered {actual}")),
    }
}

fn agree_objects(
    shown: &Map<String, Value>,
    actual: &Map<String, Value>,
    path: &mut String,
) -> Result<(), String> {
    let shown_keys: Vec<&String> = shown.keys().collect();
    let actual_keys: Vec<&String> = actual.keys().collect();
    if shown_keys != actual_keys {
        return Err(format!(
            "fields {shown_keys:?} shown, {actual_keys:?} answered"
        ));
    }
    for (key, value) in shown {
        let length = path.len();
        path.push_str(&format!(".{key}"));
        agrees(value, &actual[key], path)?;
        path.truncate(length);
    }
    Ok(())
}

/// Whether two strings agree: equal, the same but for an id or a time, or `actual` starting
/// with what `shown` gives before a final `…`.
fn same_text(shown: &str, actual: &str) -> bool {
    if shown == actual {
        return true;
    }
    if let Some(start) = shown.strip_suffix(ELIDED)
        && actual.starts_with(start)
    {
        return true;
    }
    let masks = masks();
    let masked = |text: &str| {
        masks.iter().fold(text.to_owned(), |text, (mask, by)| {
            mask.replace_all(&text, *by).into_owned()
        })
    };
    masked(shown) == masked(actual)
}

/// What differs from one database to another, or from one run to another.
fn masks() -> Vec<(Regex, &'static str)> {
    vec![
        // A global id: `Initiative:` and a UUID.
        (
            Regex::new(
                r"^([A-Za-z]+):[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$",
            )
            .unwrap(),
            "$1:<id>",
        ),
        // A time.
        (
            Regex::new(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})$")
                .unwrap(),
            "<time>",
        ),
        // A draft's slug ends with a part of its id.
        (
            Regex::new(r"^([a-z0-9-]+)-[0-9a-f]{8}$").unwrap(),
            "$1-<id>",
        ),
    ]
}

#[test]
fn a_shown_answer_stands_for_the_answers_it_describes() {
    let shown = parse_shown(
        r#"{"data": {"list": [1, 2, …, 9], "token": "eyJ0…", "id": "Theme:01a21410-98ab-7788-9980-bbc8d6c970d0", "text": "…a quote…"}}"#,
    )
    .unwrap();
    let answer = json!({"data": {"list": [1, 2, 5, 7, 9], "token": "eyJ0eXAi",
        "id": "Theme:0193c4f1-0000-7000-8000-000000000001", "text": "…a quote…"}});
    assert_eq!(agrees(&shown, &answer, &mut String::new()), Ok(()));
    for wrong in [
        json!({"data": {"list": [1, 3, 5, 9], "token": "eyJ0eXAi",
            "id": "Theme:0193c4f1-0000-7000-8000-000000000001", "text": "…a quote…"}}),
        json!({"data": {"list": [1, 2, 9], "token": "eyJ1",
            "id": "Theme:0193c4f1-0000-7000-8000-000000000001", "text": "…a quote…"}}),
        json!({"data": {"list": [1, 2, 9], "token": "eyJ0eXAi",
            "id": "Territory:0193c4f1-0000-7000-8000-000000000001", "text": "…a quote…"}}),
        json!({"data": {"list": [1, 2, 9], "token": "eyJ0eXAi",
            "id": "Theme:0193c4f1-0000-7000-8000-000000000001", "text": "a quote…"}}),
        json!({"data": {"list": [1, 2, 9], "token": "eyJ0eXAi"}}),
    ] {
        assert!(
            agrees(&shown, &wrong, &mut String::new()).is_err(),
            "{wrong}"
        );
    }
}
