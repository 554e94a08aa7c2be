//! What HTTP caches (a browser's, a CDN in front of the service) may do with an answer of
//! `/graphql`.
//!
//! Only an anonymous query sent with GET, answered without an error, may be kept by any
//! cache: `Cache-Control: public, max-age=HTTP_CACHE_MAX_AGE_SECS`, with an `ETag`. A cache
//! revalidates with `If-None-Match` and gets `304 Not Modified` while the answer is the
//! same. Every other answer (a signed-in caller's, a mutation's, an error, anything sent
//! with POST, which caches do not reuse) is `private, no-store`.
//!
//! The `ETag` is the hash of the answer's bytes and of its media type: it changes exactly
//! when the answer does. Revalidation is cheap because the answer itself is usually kept
//! in memory (`public_responses`), until the change stream says something was written.

use std::time::Duration;

use axum::{
    body::Body,
    http::{HeaderMap, HeaderValue, StatusCode, header},
    response::{IntoResponse, Response as HttpResponse},
};
use base64::Engine;
use sha2::{Digest, Sha256};

use super::negotiation::MediaType;

/// What changes an answer of `/graphql` for the same URL: its media type, and whether the
/// caller is signed in (a shared cache must not give a signed-in caller the public answer).
const VARY: &str = "accept, authorization";

const PRIVATE: &str = "private, no-store";

/// How long caches may keep public answers.
#[derive(Debug, Clone, Copy)]
pub struct HttpCaching {
    max_age: Duration,
}

impl HttpCaching {
    pub fn new(max_age: Duration) -> Self {
        Self { max_age }
    }

    /// `Cache-Control` of a public answer: kept `max_age`, or (zero) revalidated each time.
    fn public(&self) -> HeaderValue {
        let seconds = self.max_age.as_secs();
        if seconds == 0 {
            HeaderValue::from_static("public, no-cache")
        } else {
            HeaderValue::from_str(&format!("public, max-age={seconds}"))
                .unwrap_or(HeaderValue::from_static("public, no-cache"))
        }
    }

    /// Marks `response` as an answer any cache may keep, or answers 304 when the request's
    /// `If-None-Match` names it already.
    pub fn public_answer(
        &self,
        mut response: HttpResponse,
        body: &[u8],
        media: MediaType,
        request: &HeaderMap,
    ) -> HttpResponse {
        let etag = etag(body, media);
        if none_match(request, &etag) {
            response = (StatusCode::NOT_MODIFIED, Body::empty()).into_response();
        }
        let headers = response.headers_mut();
        headers.insert(header::CACHE_CONTROL, self.public());
        headers.insert(header::VARY, HeaderValue::from_static(VARY));
        if let Ok(value) = HeaderValue::from_str(&etag) {
            headers.insert(header::ETAG, value);
        }
        response
    }
}

/// Marks `response` as one no cache may keep, unless it was marked public already.
pub fn private_unless_public(response: &mut HttpResponse) {
    let headers = response.headers_mut();
    if !headers.contains_key(header::ETAG) {
        headers.insert(header::CACHE_CONTROL, HeaderValue::from_static(PRIVATE));
        headers.insert(header::VARY, HeaderValue::from_static(VARY));
    }
}

/// A strong validator of `body` as sent in `media`.
fn etag(body: &[u8], media: MediaType) -> String {
    let mut hash = Sha256::new();
    hash.update(media.header_value().as_bytes());
    hash.update([0]);
    hash.update(body);
    let digest = hash.finalize();
    format!(
        "\"{}\"",
        base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(&digest[..18])
    )
}

/// Whether `If-None-Match` names `etag`, or is `*`. Weak comparison, as RFC 9110 asks for
/// `If-None-Match`.
pub(super) fn none_match(request: &HeaderMap, etag: &str) -> bool {
    request
        .get_all(header::IF_NONE_MATCH)
        .iter()
        .filter_map(|value| value.to_str().ok())
        .flat_map(|value| value.split(','))
        .map(|tag| tag.trim().trim_start_matches("W/"))
        .any(|tag| tag == etag || tag == "*")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_same_bytes_in_another_media_type_have_another_etag() {
        let body = br#"{"data":{"themes":[]}}"#;
        assert_ne!(
            etag(body, MediaType::Json),
            etag(body, MediaType::GraphqlResponse)
        );
        assert_eq!(etag(body, MediaType::Json), etag(body, MediaType::Json));
    }

    #[test]
    fn if_none_match_names_an_etag_among_others_or_weakly() {
        let tag = etag(b"x", MediaType::Json);
        let mut request = HeaderMap::new();
        request.insert(
            header::IF_NONE_MATCH,
            HeaderValue::from_str(&format!("\"other\", W/{tag}")).unwrap(),
        );
        assert!(none_match(&request, &tag));
        assert!(!none_match(&HeaderMap::new(), &tag));
    }
}
