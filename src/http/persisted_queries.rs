//! Automatic persisted queries, in the protocol Apollo's `PersistedQueryLink` speaks: a
//! client sends the SHA-256 hash of its query in `extensions.persistedQuery` and no query;
//! when this instance does not know the hash, it answers `PERSISTED_QUERY_NOT_FOUND` and
//! the client sends the query once more with its hash, which registers it. Mobile apps then
//! send short GET URLs, which HTTP caches can keep.
//!
//! The queries are kept in memory, per instance, up to a bound: an instance that does not
//! know a hash (started since, another replica, or evicted it) asks for the query again,
//! and the client's link does that without its user noticing. Nothing is lost when it
//! forgets, so nothing needs sharing between replicas.

use std::{
    collections::{HashMap, VecDeque},
    sync::{Arc, Mutex},
};

use async_graphql::{Request, Value};
use axum::http::StatusCode;
use sha2::{Digest, Sha256};

use super::graphql_endpoint::RequestRefused;

/// At most this many queries are kept; past it, the oldest registered is forgotten.
const MAX_QUERIES: usize = 4_096;

/// At most this many bytes of query text are kept, all queries together.
const MAX_BYTES: usize = 16 * 1024 * 1024;

/// The only version of the protocol there is.
const VERSION: i64 = 1;

/// The queries registered by their hash, shared by every request of this instance.
pub struct PersistedQueries {
    enabled: bool,
    kept: Mutex<Kept>,
}

#[derive(Default)]
struct Kept {
    by_hash: HashMap<String, Arc<str>>,
    /// Hashes in the order they were registered, the oldest first.
    order: VecDeque<String>,
    bytes: usize,
}

impl PersistedQueries {
    /// Persisted queries as the setting says: `enabled` false answers every hash-only
    /// request `PERSISTED_QUERY_NOT_SUPPORTED`, and the client falls back to full queries.
    pub fn new(enabled: bool) -> Self {
        Self {
            enabled,
            kept: Mutex::default(),
        }
    }

    /// Gives `request` its query when it names one by hash, registers the query it sends
    /// with its hash, or refuses it. A request without `persistedQuery` passes unchanged.
    pub fn resolve(&self, request: &mut Request) -> Result<(), RequestRefused> {
        let Some(extension) = request.extensions.0.get("persistedQuery") else {
            return Ok(());
        };
        let has_query = !request.query.trim().is_empty();
        if !self.enabled {
            if has_query {
                // The query is there: the hash adds nothing this instance needs.
                return Ok(());
            }
            return Err(RequestRefused::new(
                StatusCode::OK,
                "PERSISTED_QUERY_NOT_SUPPORTED",
                "PersistedQueryNotSupported",
            ));
        }
        let hash = requested_hash(extension)?;
        if has_query {
            if sha256_hex(&request.query) != hash {
                return Err(RequestRefused::new(
                    StatusCode::BAD_REQUEST,
                    "BAD_REQUEST",
                    "`extensions.persistedQuery.sha256Hash` is not the SHA-256 hash of the query",
                ));
            }
            self.register(hash, &request.query);
            return Ok(());
        }
        match self.query_of(&hash) {
            Some(query) => {
                request.query = query.to_string();
                Ok(())
            }
            // Status 200: the client's link reads the error and sends the query.
            None => Err(RequestRefused::new(
                StatusCode::OK,
                "PERSISTED_QUERY_NOT_FOUND",
                "PersistedQueryNotFound",
            )),
        }
    }

    fn query_of(&self, hash: &str) -> Option<Arc<str>> {
        let kept = self
            .kept
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        kept.by_hash.get(hash).cloned()
    }

    fn register(&self, hash: String, query: &str) {
        if query.len() > MAX_BYTES {
            return;
        }
        let mut kept = self
            .kept
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        if kept.by_hash.contains_key(&hash) {
            return;
        }
        while kept.by_hash.len() >= MAX_QUERIES || kept.bytes + query.len() > MAX_BYTES {
            let Some(oldest) = kept.order.pop_front() else {
                break;
            };
            if let Some(forgotten) = kept.by_hash.remove(&oldest) {
                kept.bytes -= forgotten.len();
            }
        }
        kept.bytes += query.len();
        kept.order.push_back(hash.clone());
        kept.by_hash.insert(hash, Arc::from(query));
    }
}

/// The hash `persistedQuery` names, in lower case, when it is `{version: 1, sha256Hash}`.
fn requested_hash(extension: &Value) -> Result<String, RequestRefused> {
    let malformed = || {
        RequestRefused::new(
            StatusCode::BAD_REQUEST,
            "BAD_REQUEST",
            "`extensions.persistedQuery` must be `{\"version\": 1, \"sha256Hash\": \"<64 \
             hexadecimal digits>\"}`",
        )
    };
    let Value::Object(fields) = extension else {
        return Err(malformed());
    };
    match fields.get("version") {
        Some(Value::Number(version)) if version.as_i64() == Some(VERSION) => {}
        Some(Value::Number(_)) => {
            return Err(RequestRefused::new(
                StatusCode::BAD_REQUEST,
                "BAD_REQUEST",
                "only version 1 of persisted queries is supported",
            ));
        }
        _ => return Err(malformed()),
    }
    match fields.get("sha256Hash") {
        Some(Value::String(hash))
            if hash.len() == 64 && hash.bytes().all(|byte| byte.is_ascii_hexdigit()) =>
        {
            Ok(hash.to_ascii_lowercase())
        }
        _ => Err(malformed()),
    }
}

fn sha256_hex(text: &str) -> String {
    format!("{:x}", Sha256::digest(text.as_bytes()))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn request(query: &str, hash: &str) -> Request {
        let mut request = Request::new(query);
        let extension = serde_json::json!({ "version": 1, "sha256Hash": hash });
        request.extensions.0.insert(
            "persistedQuery".to_owned(),
            Value::from_json(extension).unwrap(),
        );
        request
    }

    #[test]
    fn past_the_bound_the_oldest_query_is_forgotten_first() {
        let queries = PersistedQueries::new(true);
        let texts: Vec<String> = (0..=MAX_QUERIES)
            .map(|n| format!("{{ q{n}: themes {{ name }} }}"))
            .collect();
        for text in &texts {
            queries
                .resolve(&mut request(text, &sha256_hex(text)))
                .unwrap();
        }
        assert!(queries.query_of(&sha256_hex(&texts[0])).is_none());
        assert!(queries.query_of(&sha256_hex(&texts[1])).is_some());
        assert!(queries.query_of(&sha256_hex(&texts[MAX_QUERIES])).is_some());
    }

    #[test]
    fn a_hash_in_capitals_names_the_same_query() {
        let queries = PersistedQueries::new(true);
        let text = "{ themes { name } }";
        let hash = sha256_hex(text);
        queries.resolve(&mut request(text, &hash)).unwrap();
        let mut by_hash = request("", &hash.to_ascii_uppercase());
        queries.resolve(&mut by_hash).unwrap();
        assert_eq!(by_hash.query, text);
    }
}
