//! `/feeds/initiatives.atom` and `/exports/initiatives.{csv,json,jsonl,geojson}`: the
//! published catalogue without an account. Each request counts against the client's rate
//! like a GraphQL request; an export also takes one of `MAX_CONCURRENT_EXPORTS` places for
//! as long as it streams, so that a few large exports never take the connections the API
//! needs. Both read where anonymous queries read.

use std::{net::SocketAddr, sync::Arc};

use axum::{
    body::{Body, Bytes},
    extract::{ConnectInfo, Path, RawQuery, Request, State},
    http::{HeaderMap, HeaderValue, StatusCode, header},
    response::{IntoResponse, Response},
};
use base64::Engine;
use futures_util::stream;
use sha2::{Digest, Sha256};
use tokio::sync::OwnedSemaphorePermit;
use uuid::Uuid;

use super::{
    AppState,
    client::client_address,
    graphql_endpoint::{RequestRefused, request_id},
    http_caching::none_match,
    negotiation::MediaType,
};
use crate::{
    error::AppError,
    open_data::{Selection, atom, export::Format},
    store::open_data,
};

/// Initiatives read at once while an export streams.
const EXPORT_PAGE: u64 = 500;
/// How long caches may keep a feed or an export: readers poll feeds, and exports are
/// nightly imports, so a minute of delay costs nothing and spares the database.
const CACHE_CONTROL: &str = "public, max-age=60";

/// The Atom feed of the last publications, with `ETag` and `If-None-Match`.
pub async fn feed(State(state): State<AppState>, request: Request) -> Response {
    let request_id = request_id(request.headers());
    let query = match admitted(&state, &request) {
        Ok(query) => query,
        Err(refused) => return refused.respond(&request_id, MediaType::Json),
    };
    let answer = async {
        let selection = Selection::read(&state.reads, &query).await?;
        let initiatives = open_data::newest(&state.reads, &selection.filter, atom::ENTRIES).await?;
        Ok::<_, AppError>(atom::feed(&initiatives, &selection, &state.publication))
    }
    .await;
    let xml = match answer {
        Ok(xml) => xml,
        Err(error) => return refused(error).respond(&request_id, MediaType::Json),
    };
    let etag = format!(
        "\"{}\"",
        base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(Sha256::digest(xml.as_bytes()))
    );
    let mut headers = HeaderMap::new();
    headers.insert(
        header::CACHE_CONTROL,
        HeaderValue::from_static(CACHE_CONTROL),
    );
    if let Ok(value) = HeaderValue::from_str(&etag) {
        headers.insert(header::ETAG, value);
    }
    if none_match(request.headers(), &etag) {
        return (StatusCode::NOT_MODIFIED, headers).into_response();
    }
    headers.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/atom+xml; charset=utf-8"),
    );
    (headers, xml).into_response()
}

/// An export of the published catalogue, streamed page by page.
pub async fn export(
    State(state): State<AppState>,
    Path(file): Path<String>,
    request: Request,
) -> Response {
    let request_id = request_id(request.headers());
    let query = match admitted(&state, &request) {
        Ok(query) => query,
        Err(refused) => return refused.respond(&request_id, MediaType::Json),
    };
    let separator = query
        .iter()
        .find(|(name, _)| name == "separator")
        .map(|(_, value)| value.as_str());
    let format = match (file.as_str(), separator) {
        ("initiatives.csv", None | Some("comma")) => Format::Csv { separator: b',' },
        ("initiatives.csv", Some("semicolon")) => Format::Csv { separator: b';' },
        ("initiatives.csv", Some(_)) => {
            return refused(AppError::bad_input(
                "separator",
                "expected `comma` (the default) or `semicolon`",
            ))
            .respond(&request_id, MediaType::Json);
        }
        ("initiatives.json", _) => Format::Json,
        ("initiatives.jsonl", _) => Format::JsonLines,
        ("initiatives.geojson", _) => Format::GeoJson,
        _ => {
            return RequestRefused::new(StatusCode::NOT_FOUND, "NOT_FOUND", "no such export")
                .respond(&request_id, MediaType::Json);
        }
    };
    let selection = match Selection::read(&state.reads, &query).await {
        Ok(selection) => selection,
        Err(error) => return refused(error).respond(&request_id, MediaType::Json),
    };
    let Ok(permit) = Arc::clone(&state.exports).try_acquire_owned() else {
        let mut response = RequestRefused::new(
            StatusCode::SERVICE_UNAVAILABLE,
            "OVERLOADED",
            "the exports allowed at once are running; retry in a minute",
        )
        .respond(&request_id, MediaType::Json);
        response
            .headers_mut()
            .insert(header::RETRY_AFTER, HeaderValue::from(60));
        return response;
    };
    let mut headers = HeaderMap::new();
    headers.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static(format.media_type()),
    );
    headers.insert(
        header::CACHE_CONTROL,
        HeaderValue::from_static(CACHE_CONTROL),
    );
    if let Ok(value) =
        HeaderValue::from_str(&format!("attachment; filename=\"{}\"", format.file_name()))
    {
        headers.insert(header::CONTENT_DISPOSITION, value);
    }
    if let Ok(value) = HeaderValue::from_str(&format!(
        "<{}>; rel=\"license\"",
        state.publication.licence_url
    )) {
        headers.insert(header::LINK, value);
    }
    let pages = Pages {
        state,
        selection,
        format,
        after: None,
        step: Step::Opening,
        _permit: permit,
    };
    let body = Body::from_stream(stream::unfold(pages, Pages::next));
    (headers, body).into_response()
}

/// Where an export stands.
enum Step {
    Opening,
    /// Pages read; `first` while no initiative was written.
    Pages {
        first: bool,
    },
    Done,
}

/// An export as it streams: it holds its place among the exports until dropped.
struct Pages {
    state: AppState,
    selection: Selection,
    format: Format,
    after: Option<Uuid>,
    step: Step,
    _permit: OwnedSemaphorePermit,
}

impl Pages {
    async fn next(mut self) -> Option<(Result<Bytes, std::io::Error>, Self)> {
        match self.step {
            Step::Opening => {
                self.step = Step::Pages { first: true };
                let opening = self.format.opening(&self.state.publication);
                Some((Ok(Bytes::from(opening)), self))
            }
            Step::Pages { first } => {
                let page = open_data::page(
                    &self.state.reads,
                    &self.selection.filter,
                    self.after,
                    EXPORT_PAGE,
                )
                .await;
                match page {
                    Ok(page) if page.is_empty() => {
                        self.step = Step::Done;
                        Some((Ok(Bytes::from_static(self.format.end())), self))
                    }
                    Ok(page) => {
                        self.after = page.last().map(|initiative| initiative.id);
                        self.step = Step::Pages { first: false };
                        let bytes = self.format.page(&page, &self.state.publication, first);
                        Some((Ok(Bytes::from(bytes)), self))
                    }
                    Err(error) => {
                        // The status is sent already: cutting the body is how the client
                        // learns the export is incomplete.
                        tracing::error!(?error, "an export stopped");
                        self.step = Step::Done;
                        Some((Err(std::io::Error::other("the export stopped")), self))
                    }
                }
            }
            Step::Done => None,
        }
    }
}

/// The query string's pairs, once the client is within its rate.
fn admitted(state: &AppState, request: &Request) -> Result<Vec<(String, String)>, RequestRefused> {
    let peer = request
        .extensions()
        .get::<ConnectInfo<SocketAddr>>()
        .map(|ConnectInfo(address)| *address);
    let protection = &state.protection;
    if let Some(address) = client_address(peer, request.headers(), &protection.trusted_proxies)
        && let Err(seconds) = protection.rate_limiter.check_address(address)
    {
        return Err(RequestRefused::rate_limited(seconds));
    }
    let RawQuery(query) = RawQuery(request.uri().query().map(str::to_owned));
    Ok(query
        .map(|query| {
            form_urlencoded::parse(query.as_bytes())
                .into_owned()
                .collect()
        })
        .unwrap_or_default())
}

fn refused(error: AppError) -> RequestRefused {
    match error {
        AppError::BadInput { field, message } => RequestRefused::new(
            StatusCode::BAD_REQUEST,
            "BAD_USER_INPUT",
            format!("{field}: {message}"),
        ),
        other => {
            let (status, code) = match other.code() {
                "SERVICE_UNAVAILABLE" => (StatusCode::SERVICE_UNAVAILABLE, "SERVICE_UNAVAILABLE"),
                _ => (StatusCode::INTERNAL_SERVER_ERROR, "INTERNAL_SERVER_ERROR"),
            };
            tracing::error!(error = ?other, "an open-data request failed");
            RequestRefused::new(status, code, "the catalogue could not be read; retry later")
        }
    }
}
