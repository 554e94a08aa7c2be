//! Answers to anonymous queries, kept for a while.
//!
//! Most of what a catalogue serves is the same few public queries, asked again and again:
//! a resource website's home page, an initiative's page, a theme's list. Every anonymous
//! caller sees the same catalogue (published initiatives, public contact details), so the
//! answer to an anonymous query is the same for all of them until something is written.
//! It is kept as the bytes sent, keyed by the query, its operation and its variables, and
//! served from memory until a mutation runs on this instance or for `RESPONSE_CACHE_SECS`
//! at most (what other instances and the command line write shows by then).
//!
//! Only answers without errors are kept (an error names its request). A request with an
//! `Authorization` header is never answered from here: a signed-in caller may see more.

use std::time::Duration;

use async_graphql::{Request, Response, Variables};
use axum::{
    body::Bytes,
    http::{StatusCode, header},
    response::{IntoResponse, Response as HttpResponse},
};

use super::{
    graphql_endpoint::Outcome,
    negotiation::MediaType,
    response_body::{Unwritten, write_within},
};
use crate::{monitoring, store::memo::Memo};

/// At most this many answers are kept; past it, all are dropped.
const MAX_ANSWERS: usize = 1_024;

/// Larger answers are not kept, so that the memory they hold stays bounded
/// (`MAX_ANSWERS` × this at worst).
const MAX_ANSWER_BYTES: usize = 64 * 1024;

/// An answer as sent to any anonymous caller: its body.
#[derive(Clone)]
pub struct KeptAnswer {
    body: Bytes,
}

impl KeptAnswer {
    /// The answer as sent for `response`, when it has data and no error (an error names its
    /// request) and fits in `max_bytes`: whether to keep it is [`fits`](Self::fits).
    pub fn of(response: &Response, max_bytes: usize) -> Result<Self, NotKept> {
        if !response.is_ok() || matches!(response.data, async_graphql::Value::Null) {
            return Err(NotKept::NotPublic);
        }
        let body = write_within(response, max_bytes).map_err(NotKept::Unwritten)?;
        Ok(Self { body: body.into() })
    }

    /// The answer's bytes.
    pub fn body(&self) -> &[u8] {
        &self.body
    }

    /// Whether the answer is small enough to keep.
    pub fn fits(&self) -> bool {
        self.body.len() <= MAX_ANSWER_BYTES
    }

    /// The answer, in the negotiated media type.
    pub fn respond(&self, media: MediaType) -> HttpResponse {
        let mut http = (StatusCode::OK, self.body.clone()).into_response();
        http.extensions_mut().insert(Outcome::ok());
        http.headers_mut()
            .insert(header::CONTENT_TYPE, media.header_value());
        http
    }
}

/// Why an answer is not one to keep.
pub enum NotKept {
    /// It has errors, or no data.
    NotPublic,
    /// It could not be written (over `MAX_RESPONSE_BYTES`).
    Unwritten(Unwritten),
}

/// The answers to anonymous queries, shared by every request.
pub struct PublicResponses(Memo<KeptAnswer>);

impl PublicResponses {
    /// Keeps answers for `keep_for`; zero keeps none.
    pub fn new(keep_for: Duration) -> Self {
        Self(Memo::new(keep_for, MAX_ANSWERS))
    }

    /// Forgets every answer: something may have been written.
    pub fn catalogue_changed(&self) {
        self.0.catalogue_changed();
    }

    /// Keeps answers from now on, or (`false`) forgets every answer and keeps none.
    pub fn keep(&self, keeping: bool) {
        self.0.keep(keeping);
    }

    /// The key of `request`'s answer, when it may be answered from here at all.
    pub fn key(&self, request: &Request, signed_in: bool) -> Option<String> {
        if signed_in || !self.0.keeps() {
            return None;
        }
        Some(key(
            &request.query,
            request.operation_name.as_deref(),
            &request.variables,
        ))
    }

    /// The answer kept under `key`, if any.
    pub fn get(&self, key: &str) -> Option<KeptAnswer> {
        let kept = self.0.get(key);
        monitoring::kept_answer(kept.is_some());
        kept
    }

    /// The answer under `key`, run by `run` when none is kept, once however many ask for
    /// it meanwhile. `run` gives the HTTP response itself when its answer is not to be kept.
    pub async fn get_or_run<F>(&self, key: String, run: F) -> Result<KeptAnswer, HttpResponse>
    where
        F: Future<Output = Result<KeptAnswer, HttpResponse>>,
    {
        self.0.get_or_compute(key, run).await
    }
}

/// The operation name and the variables, each after its length, then the query: no two
/// requests share a key unless all three are the same.
fn key(query: &str, operation_name: Option<&str>, variables: &Variables) -> String {
    let operation = operation_name.unwrap_or_default();
    let variables = serde_json::to_string(variables).unwrap_or_default();
    format!(
        "{}:{operation}{}:{variables}{query}",
        operation.len(),
        variables.len()
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn variables(json: serde_json::Value) -> Variables {
        Variables::from_json(json)
    }

    #[test]
    fn the_same_query_with_other_variables_or_operation_has_another_key() {
        let query = "query Page($slug: String!) { initiative(slug: $slug) { id } }";
        let one = key(query, None, &variables(serde_json::json!({"slug": "a"})));
        let other = key(query, None, &variables(serde_json::json!({"slug": "b"})));
        let named = key(
            query,
            Some("Page"),
            &variables(serde_json::json!({"slug": "a"})),
        );
        assert_ne!(one, other);
        assert_ne!(one, named);
        assert_eq!(
            one,
            key(query, None, &variables(serde_json::json!({"slug": "a"})))
        );
    }

    #[test]
    fn a_signed_in_request_has_no_key() {
        let responses = PublicResponses::new(Duration::from_secs(10));
        let request = Request::new("{ themes { name } }");
        assert!(responses.key(&request, true).is_none());
        assert!(responses.key(&request, false).is_some());
        let off = PublicResponses::new(Duration::ZERO);
        assert!(off.key(&request, false).is_none());
    }
}
