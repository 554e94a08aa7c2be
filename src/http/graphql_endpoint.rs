//! `/graphql`: one operation per request (no batches), queries over GET, everything over
//! POST. Every error carries `extensions.code` and the request id. The guard in front of
//! this handler (`guard.rs`) has already counted the client against its rate and chosen the
//! response's media type.

use async_graphql::{
    ParseRequestError, Response,
    parser::types::{ExecutableDocument, OperationType},
};
use std::{net::IpAddr, sync::Arc, time::Instant};

use axum::{
    Extension, Json,
    extract::State,
    http::{HeaderMap, HeaderValue, Method, StatusCode, header},
    response::{IntoResponse, Response as HttpResponse},
};
use serde_json::{Value as JsonValue, json};

use super::{
    AppState, REQUEST_ID_HEADER,
    error_answer::{ErrorAnswer, error},
    field_order::order_fields,
    graphql_request::GraphqlRequest,
    http_caching::private_unless_public,
    negotiation::MediaType,
    public_responses::{KeptAnswer, NotKept},
    response_body::write_within,
};
use crate::{
    accounts,
    domain::caller::Caller,
    error::{AppError, UNAVAILABLE_RETRY_AFTER_SECS},
    graphql::{
        context::{RequestOrigin, RequestState},
        input_policy::{ArgumentPositions, INPUT_TYPES, InputRefusal},
        limits::Refusal,
    },
    monitoring,
    store::batching::{BatchQueue, Batched},
};

/// How a GraphQL request ended, for the metrics: `ok`, or the code of its first error.
/// Every answer of the endpoint carries it in its extensions.
#[derive(Debug, Clone)]
pub struct Outcome(pub String);

impl Outcome {
    pub fn ok() -> Self {
        Self("ok".to_owned())
    }

    /// The code of `response`'s first error, or `ok`.
    fn of(response: &Response) -> Self {
        match response.errors.first() {
            None => Self::ok(),
            Some(error) => Self(
                match error
                    .extensions
                    .as_ref()
                    .and_then(|extensions| extensions.get("code"))
                {
                    Some(async_graphql::Value::String(code)) => code.clone(),
                    _ => "INTERNAL_SERVER_ERROR".to_owned(),
                },
            ),
        }
    }
}

/// The client address the guard decided on, for the handler (login throttling).
#[derive(Debug, Clone, Copy)]
pub struct ClientAddress(pub Option<IpAddr>);

/// A request that is not a GraphQL request we accept, as a GraphQL-shaped error.
#[derive(Debug)]
pub struct RequestRefused {
    status: StatusCode,
    code: &'static str,
    message: String,
    /// More `extensions`, such as the limit a query went over.
    details: Vec<(&'static str, JsonValue)>,
    /// Seconds for `Retry-After`.
    retry_after: Option<u64>,
}

impl From<ParseRequestError> for RequestRefused {
    fn from(error: ParseRequestError) -> Self {
        let (status, message) = match error {
            ParseRequestError::PayloadTooLarge => {
                return Self::new(
                    StatusCode::PAYLOAD_TOO_LARGE,
                    "PAYLOAD_TOO_LARGE",
                    "the request body is too large",
                );
            }
            ParseRequestError::UnsupportedBatch => (
                StatusCode::BAD_REQUEST,
                "batched requests are not supported: send one operation per request".to_owned(),
            ),
            ParseRequestError::InvalidRequest(cause) => (
                StatusCode::BAD_REQUEST,
                format!("the body is not a GraphQL request: {cause}"),
            ),
            ParseRequestError::MissingFiles
            | ParseRequestError::MissingOperatorsPart
            | ParseRequestError::MissingMapPart
            | ParseRequestError::NotUpload
            | ParseRequestError::InvalidMultipart(_)
            | ParseRequestError::InvalidFilesMap(_) => (
                StatusCode::BAD_REQUEST,
                "file uploads are not supported".to_owned(),
            ),
            // Unreadable bodies, and whatever a later async-graphql adds.
            _ => (
                StatusCode::BAD_REQUEST,
                "the request could not be read as a GraphQL request".to_owned(),
            ),
        };
        Self::new(status, "BAD_REQUEST", message)
    }
}

/// Needed by the extractor; the handlers answer through [`RequestRefused::respond`].
impl IntoResponse for RequestRefused {
    fn into_response(self) -> HttpResponse {
        self.respond("", MediaType::Json)
    }
}

impl RequestRefused {
    pub fn new(status: StatusCode, code: &'static str, message: impl Into<String>) -> Self {
        Self {
            status,
            code,
            message: message.into(),
            details: Vec::new(),
            retry_after: None,
        }
    }

    /// Too many requests: retry after `seconds`.
    pub fn rate_limited(seconds: u64) -> Self {
        let mut refused = Self::new(
            StatusCode::TOO_MANY_REQUESTS,
            "RATE_LIMITED",
            format!("too many requests; retry in {seconds} seconds"),
        );
        refused.details.push(("retryAfterSeconds", json!(seconds)));
        refused.retry_after = Some(seconds);
        refused
    }

    /// A document refused before it runs, like a validation error: 200 under
    /// `application/json`, 400 under `application/graphql-response+json`.
    fn in_document(refusal: Refusal, media: MediaType) -> Self {
        let status = match media {
            MediaType::Json => StatusCode::OK,
            MediaType::GraphqlResponse => StatusCode::BAD_REQUEST,
        };
        let message = refusal.message();
        match refusal {
            Refusal::Exceeded { limit, max, .. } => {
                let mut refused = Self::new(status, "QUERY_LIMIT_EXCEEDED", message);
                refused.details.push(("limit", json!(limit.name())));
                refused.details.push(("max", json!(max)));
                refused
            }
            Refusal::FragmentCycle(_) => Self::new(status, "GRAPHQL_VALIDATION_FAILED", message),
        }
    }

    /// A value refused by the input policy, before the document runs: answered as
    /// async-graphql answers a value that does not fit its type.
    fn input(refusal: InputRefusal, media: MediaType) -> Self {
        let status = match media {
            MediaType::Json => StatusCode::OK,
            MediaType::GraphqlResponse => StatusCode::BAD_REQUEST,
        };
        let (code, field, message) = match refusal {
            InputRefusal::BadInput { field, message } => ("BAD_USER_INPUT", field, message),
            InputRefusal::QuotedEnum { field, message } => {
                ("GRAPHQL_VALIDATION_FAILED", field, message)
            }
        };
        let mut refused = Self::new(status, code, message);
        refused.details.push(("field", json!(field)));
        refused
    }

    pub fn respond(self, request_id: &str, media: MediaType) -> HttpResponse {
        let extensions = std::iter::once(("code", json!(self.code)))
            .chain(self.details)
            .chain([("requestId", json!(request_id))]);
        let errors = [error(self.message, extensions)];
        let mut response = (self.status, Json(ErrorAnswer::refused(&errors))).into_response();
        response
            .extensions_mut()
            .insert(Outcome(self.code.to_owned()));
        let headers = response.headers_mut();
        headers.insert(header::CONTENT_TYPE, media.header_value());
        if self.status == StatusCode::UNAUTHORIZED {
            headers.insert(
                header::WWW_AUTHENTICATE,
                HeaderValue::from_static("Bearer error=\"invalid_token\""),
            );
        }
        if let Some(seconds) = self.retry_after {
            headers.insert(header::RETRY_AFTER, HeaderValue::from(seconds));
        }
        response
    }

    /// The database cannot serve now: 503, retry after `Retry-After`.
    fn unavailable(message: String) -> Self {
        let mut refused = Self::new(
            StatusCode::SERVICE_UNAVAILABLE,
            "SERVICE_UNAVAILABLE",
            message,
        );
        refused
            .details
            .push(("retryAfterSeconds", json!(UNAVAILABLE_RETRY_AFTER_SECS)));
        refused.retry_after = Some(UNAVAILABLE_RETRY_AFTER_SECS);
        refused
    }

    /// A request whose credentials are present but not valid: it is refused as a whole,
    /// never run as anonymous.
    fn unauthenticated(message: String) -> Self {
        Self::new(StatusCode::UNAUTHORIZED, "UNAUTHENTICATED", message)
    }
}

/// Who the request comes from: anonymous without an `Authorization` header, the account
/// of a valid bearer token, the tool of a valid API key (`cmk_…`), or a refusal.
async fn caller(state: &AppState, headers: &HeaderMap) -> Result<Caller, RequestRefused> {
    let Some(value) = headers.get(header::AUTHORIZATION) else {
        return Ok(Caller::Anonymous);
    };
    let token = value
        .to_str()
        .ok()
        .and_then(|value| {
            let (scheme, token) = value.trim().split_once(' ')?;
            scheme.eq_ignore_ascii_case("bearer").then(|| token.trim())
        })
        .filter(|token| !token.is_empty())
        .ok_or_else(|| {
            RequestRefused::unauthenticated(
                "the Authorization header must be `Bearer <token>`".to_owned(),
            )
        })?;
    match accounts::authenticate(&state.db, &state.tokens, token).await {
        Ok(caller) => Ok(caller),
        Err(AppError::Unauthenticated(message)) => Err(RequestRefused::unauthenticated(message)),
        Err(error) => {
            let unavailable = matches!(error, AppError::Unavailable(_));
            // Logs the cause.
            let error = async_graphql::Error::from(error);
            if unavailable {
                return Err(RequestRefused::unavailable(error.message));
            }
            Err(RequestRefused::new(
                StatusCode::INTERNAL_SERVER_ERROR,
                "INTERNAL_SERVER_ERROR",
                error.message,
            ))
        }
    }
}

pub(crate) fn request_id(headers: &HeaderMap) -> String {
    headers
        .get(REQUEST_ID_HEADER)
        .and_then(|value| value.to_str().ok())
        .unwrap_or_default()
        .to_owned()
}

/// What the guard learnt about a request.
type Guarded = (Extension<ClientAddress>, Extension<MediaType>);

pub async fn post(
    State(state): State<AppState>,
    (Extension(client), Extension(media)): Guarded,
    headers: HeaderMap,
    request: Result<GraphqlRequest, RequestRefused>,
) -> HttpResponse {
    let request_id = request_id(&headers);
    let mut response = match request {
        Ok(GraphqlRequest(request)) => {
            execute(
                &state,
                request,
                Method::POST,
                &headers,
                client,
                media,
                &request_id,
            )
            .await
        }
        Err(refused) => refused.respond(&request_id, media),
    };
    private_unless_public(&mut response);
    response
}

/// GET carries queries only: a mutation must not run from a link or a prefetch.
pub async fn get(
    State(state): State<AppState>,
    (Extension(client), Extension(media)): Guarded,
    headers: HeaderMap,
    request: Result<GraphqlRequest, RequestRefused>,
) -> HttpResponse {
    let request_id = request_id(&headers);
    let mut response = match request {
        Ok(GraphqlRequest(request)) => {
            execute(
                &state,
                request,
                Method::GET,
                &headers,
                client,
                media,
                &request_id,
            )
            .await
        }
        Err(refused) => refused.respond(&request_id, media),
    };
    private_unless_public(&mut response);
    response
}

/// The type of the operation the request would run, when the document names it.
fn operation_type(document: &ExecutableDocument, name: Option<&str>) -> Option<OperationType> {
    let operation = match name {
        Some(name) => {
            document
                .operations
                .iter()
                .find(|(candidate, _)| candidate.map(|n| n.as_str()) == Some(name))?
                .1
        }
        None => document.operations.iter().next()?.1,
    };
    Some(operation.node.ty)
}

/// Answers a request (`answer`) and, when metrics are recorded, counts it by operation name
/// and outcome, with how long it took.
async fn execute(
    state: &AppState,
    request: async_graphql::Request,
    method: Method,
    headers: &HeaderMap,
    client: ClientAddress,
    media: MediaType,
    request_id: &str,
) -> HttpResponse {
    if !monitoring::recording() {
        return answer(
            state, request, method, headers, client, media, request_id, &mut None,
        )
        .await;
    }
    let started = Instant::now();
    let named = request.operation_name.clone();
    // A kept answer is sent without parsing: its document was parsed when it was computed.
    let query = named.is_none().then(|| request.query.clone());
    let mut document = None;
    let response = answer(
        state,
        request,
        method,
        headers,
        client,
        media,
        request_id,
        &mut document,
    )
    .await;
    let document = document.or_else(|| {
        query
            .as_deref()
            .and_then(|query| state.documents.already_parsed(query))
    });
    let operation = match named {
        Some(name) => monitoring::operation_label(Some(&name)),
        // The name the document gives its one operation.
        None => {
            let mut operations = document
                .iter()
                .flat_map(|document| document.operations.iter());
            match (operations.next(), operations.next()) {
                (Some((name, _)), None) => {
                    monitoring::operation_label(name.map(|name| name.as_str()))
                }
                _ => monitoring::operation_label(None),
            }
        }
    };
    let outcome = response
        .extensions()
        .get::<Outcome>()
        .map_or("ok", |outcome| outcome.0.as_str());
    monitoring::graphql_request(operation, outcome, started.elapsed());
    response
}

/// Checks a request against the limits, then runs it, or answers it from the kept public
/// answers (`public_responses`). The query is parsed once, here, or found already parsed
/// (`parsed_documents`): for our own uses (limits, field order) and for the engine; its
/// document is left in `parsed`.
#[allow(clippy::too_many_arguments)]
async fn answer(
    state: &AppState,
    mut request: async_graphql::Request,
    method: Method,
    headers: &HeaderMap,
    ClientAddress(client): ClientAddress,
    media: MediaType,
    request_id: &str,
    parsed: &mut Option<Arc<ExecutableDocument>>,
) -> HttpResponse {
    if let Err(refused) = state.persisted_queries.resolve(&mut request) {
        return refused.respond(request_id, media);
    }
    if request.query.trim().is_empty() {
        return RequestRefused::new(
            StatusCode::BAD_REQUEST,
            "BAD_REQUEST",
            "no query: send a GraphQL document in `query`",
        )
        .respond(request_id, media);
    }
    let signed_in = headers.contains_key(header::AUTHORIZATION);
    // What HTTP caches may keep: an anonymous answer to a query sent with GET.
    let public = |answer: KeptAnswer| {
        if method == Method::GET && !signed_in {
            state
                .http_caching
                .public_answer(answer.respond(media), answer.body(), media, headers)
        } else {
            answer.respond(media)
        }
    };
    // Only queries that ran within the limits are kept: a kept answer needs no more checks.
    let kept_key = state.responses.key(&request, signed_in);
    if let Some(kept) = kept_key.as_deref().and_then(|key| state.responses.get(key)) {
        return public(kept);
    }
    let limits = &state.protection.query_limits;
    if let Err(refusal) = limits.check_text(&request.query) {
        return RequestRefused::in_document(refusal, media).respond(request_id, media);
    }
    let document = state.documents.parse(&request.query);
    parsed.clone_from(&document);
    let mut operation = None;
    let mut positions = ArgumentPositions::default();
    if let Some(document) = &document {
        if let Err(refusal) = limits.check_document(document, &request.variables) {
            return RequestRefused::in_document(refusal, media).respond(request_id, media);
        }
        positions = match INPUT_TYPES.check(
            document,
            request.operation_name.as_deref(),
            &request.variables,
        ) {
            Ok(positions) => positions,
            Err(refusal) => {
                return RequestRefused::input(refusal, media).respond(request_id, media);
            }
        };
        operation = operation_type(document, request.operation_name.as_deref());
        if method == Method::GET
            && operation.is_some_and(|operation| operation != OperationType::Query)
        {
            let mut response = RequestRefused::new(
                StatusCode::METHOD_NOT_ALLOWED,
                "METHOD_NOT_ALLOWED",
                "only queries may be sent with GET; use POST",
            )
            .respond(request_id, media);
            response
                .headers_mut()
                .insert(header::ALLOW, HeaderValue::from_static("POST"));
            return response;
        }
        if operation == Some(OperationType::Subscription) {
            return RequestRefused::new(
                StatusCode::BAD_REQUEST,
                "BAD_REQUEST",
                "subscriptions are served over WebSocket on /graphql, in the \
                 graphql-transport-ws protocol",
            )
            .respond(request_id, media);
        }
        request.set_parsed_query(ExecutableDocument::clone(document));
    }
    let caller = match caller(state, headers).await {
        Ok(caller) => caller,
        Err(refused) => return refused.respond(request_id, media),
    };
    // Each account, and each API key, counts against a rate of its own.
    let rates = &state.protection.rate_limiter;
    let over = match &caller {
        Caller::Anonymous => Ok(()),
        Caller::Account(account) => rates.check_account(account.id),
        Caller::Key(key) => rates.check_key(key.id),
    };
    if let Err(seconds) = over {
        return RequestRefused::rate_limited(seconds).respond(request_id, media);
    }
    let origin = RequestOrigin { caller, client };
    let reading_only = operation == Some(OperationType::Query);
    let run = run(
        state,
        request,
        origin,
        document.as_deref(),
        &positions,
        reading_only,
        request_id,
    );
    let max_bytes = state.protection.max_response_bytes;
    match kept_key {
        Some(key) if operation == Some(OperationType::Query) => {
            let answer = state.responses.get_or_run(key, async {
                let response = run.await;
                match KeptAnswer::of(&response, max_bytes) {
                    Ok(answer) if answer.fits() => Ok(answer),
                    // Sent as already written, not kept.
                    Ok(too_large) => Err(public(too_large)),
                    Err(NotKept::Unwritten(unwritten)) => Err(unwritten.respond(request_id, media)),
                    Err(NotKept::NotPublic) => Err(respond(response, media, max_bytes, request_id)),
                }
            });
            match answer.await {
                Ok(kept) => public(kept),
                Err(response) => response,
            }
        }
        _ => {
            let response = run.await;
            // A mutation, or a document that did not parse (nothing ran then).
            if operation.is_none_or(|operation| operation == OperationType::Mutation) {
                // What it wrote is committed: what is read from now on must see it, and
                // the stream has news for this replica's listeners.
                state.catalogue_changed();
                state.changes.wake();
            }
            if operation == Some(OperationType::Query)
                && !signed_in
                && let Ok(answer) = KeptAnswer::of(&response, max_bytes)
            {
                return public(answer);
            }
            respond(response, media, max_bytes, request_id)
        }
    }
}

/// Runs a request within the limits: its response, fields in query order, errors labelled.
/// Only a request `reading_only` reads themes, territories and organisations kept in memory.
async fn run(
    state: &AppState,
    request: async_graphql::Request,
    origin: RequestOrigin,
    document: Option<&ExecutableDocument>,
    positions: &ArgumentPositions,
    reading_only: bool,
    request_id: &str,
) -> Response {
    // Kept to order the response's fields.
    let operation_name = request.operation_name.clone();
    let variables = request.variables.clone();
    let batches = BatchQueue::default();
    // Anonymous queries may read a standby: they see what was committed up to its lag. A
    // signed-in caller (or a tool with a key) always reads the primary, and so sees its own
    // writes at once.
    let db = if reading_only && origin.caller.is_anonymous() {
        &state.reads
    } else {
        &state.db
    };
    let request = request.data(RequestState::new(
        origin,
        db.clone(),
        state.tokens.clone(),
        state.erasure_key.clone(),
        state.stats.clone(),
        // A mutation reads back what it wrote: never rows kept from before it.
        reading_only.then_some(&*state.reference),
        &batches,
    ));
    let request = request.data(state.webhooks.clone());
    let mut response = Batched::new(state.schema.execute(request), batches).await;
    if !matches!(response.data, async_graphql::Value::Null)
        && let Some(document) = document
    {
        order_fields(
            &mut response.data,
            document,
            operation_name.as_deref(),
            &variables,
        );
    }
    label_errors(&mut response, request_id, document.is_some(), positions);
    response
}

/// The response in the negotiated media type. Under `application/graphql-response+json`, a
/// request that did not run (parse, validation or variable errors: no data, no error with
/// a path) is a 400 without a `data` entry; under `application/json` it is a 200. An answer
/// over `max_bytes` is replaced by `RESPONSE_TOO_LARGE`.
fn respond(
    response: Response,
    media: MediaType,
    max_bytes: usize,
    request_id: &str,
) -> HttpResponse {
    let not_run = matches!(response.data, async_graphql::Value::Null)
        && !response.errors.is_empty()
        && response.errors.iter().all(|error| error.path.is_empty());
    // Serialised as is: a `serde_json::Value` would sort the fields, which are in query order.
    let unavailable = response.errors.iter().any(|error| {
        error.extensions.as_ref().is_some_and(|extensions| {
            matches!(extensions.get("code"),
                Some(async_graphql::Value::String(code)) if code == "SERVICE_UNAVAILABLE")
        })
    });
    let (status, body) = if unavailable {
        // Whatever else it holds, the answer is incomplete for a reason that passes: the
        // client (or a proxy) retries it as a whole.
        (
            StatusCode::SERVICE_UNAVAILABLE,
            write_within(&response, max_bytes),
        )
    } else if not_run && media == MediaType::GraphqlResponse {
        let errors = ErrorAnswer::refused(&response.errors);
        (StatusCode::BAD_REQUEST, write_within(&errors, max_bytes))
    } else {
        (StatusCode::OK, write_within(&response, max_bytes))
    };
    let body = match body {
        Ok(body) => body,
        Err(unwritten) => return unwritten.respond(request_id, media),
    };
    let mut http = (status, body).into_response();
    http.extensions_mut().insert(Outcome::of(&response));
    http.headers_mut()
        .insert(header::CONTENT_TYPE, media.header_value());
    if unavailable {
        http.headers_mut().insert(
            header::RETRY_AFTER,
            HeaderValue::from(UNAVAILABLE_RETRY_AFTER_SECS),
        );
    }
    http
}

/// Gives every error a code and the request id. Errors from resolvers already carry their
/// code; the others come from parsing or validating the query. A value that does not fit
/// its type names its argument: from the message, or else from where the error stands.
pub(super) fn label_errors(
    response: &mut Response,
    request_id: &str,
    query_parses: bool,
    positions: &ArgumentPositions,
) {
    for error in &mut response.errors {
        let has_code = error
            .extensions
            .as_ref()
            .is_some_and(|extensions| extensions.get("code").is_some());
        let extensions = error.extensions.get_or_insert_with(Default::default);
        if !has_code {
            let code = fallback_code(&error.message, query_parses);
            extensions.set("code", code);
            let field = argument_named_in(&error.message).or_else(|| {
                error
                    .locations
                    .iter()
                    .find_map(|pos| positions.at(*pos))
                    .map(str::to_owned)
            });
            if code == "BAD_USER_INPUT"
                && let Some(field) = field
            {
                extensions.set("field", field.as_str());
            }
        }
        extensions.set("requestId", request_id);
    }
}

fn fallback_code(message: &str, query_parses: bool) -> &'static str {
    if !query_parses {
        "GRAPHQL_PARSE_FAILED"
    } else if message.contains("Invalid value") || message.contains("Failed to parse") {
        // A value that does not fit its type: an unknown enum value, a malformed date...
        "BAD_USER_INPUT"
    } else {
        "GRAPHQL_VALIDATION_FAILED"
    }
}

/// The argument an async-graphql input error names (`Invalid value for argument "x.y.0"`),
/// written as our own errors write it (`x.y[0]`).
fn argument_named_in(message: &str) -> Option<String> {
    let start = message.find("argument \"")? + "argument \"".len();
    let length = message[start..].find('"')?;
    let path =
        message[start..start + length]
            .split('.')
            .fold(String::new(), |mut field, segment| {
                if segment.parse::<usize>().is_ok() {
                    field.push_str(&format!("[{segment}]"));
                } else {
                    if !field.is_empty() {
                        field.push('.');
                    }
                    field.push_str(segment);
                }
                field
            });
    Some(path)
}
