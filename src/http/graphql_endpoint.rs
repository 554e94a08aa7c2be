//! `/graphql`: one operation per request (no batches), queries over GET, everything over
//! POST. Every error carries `extensions.code` and the request id.

use async_graphql::{
    ParseRequestError, Response,
    parser::{
        parse_query,
        types::{ExecutableDocument, OperationType},
    },
};
use async_graphql_axum::{GraphQLRequest, GraphQLResponse};
use std::net::{IpAddr, SocketAddr};

use axum::{
    Extension, Json,
    extract::{ConnectInfo, State},
    http::{HeaderMap, HeaderValue, StatusCode, header},
    response::{IntoResponse, Response as HttpResponse},
};
use serde_json::json;

use super::{AppState, REQUEST_ID_HEADER, field_order::order_fields};
use crate::{
    accounts,
    domain::caller::Caller,
    error::AppError,
    graphql::context::{RequestOrigin, RequestState},
    store::batching::{BatchQueue, Batched},
};

/// The peer address of the connection, when the server was started with it.
type Peer = Option<Extension<ConnectInfo<SocketAddr>>>;

/// A request that is not a GraphQL request we accept, as a GraphQL-shaped error.
pub struct RequestRefused {
    status: StatusCode,
    code: &'static str,
    message: String,
}

impl From<ParseRequestError> for RequestRefused {
    fn from(error: ParseRequestError) -> Self {
        let (status, message) = match error {
            ParseRequestError::PayloadTooLarge => {
                return Self {
                    status: StatusCode::PAYLOAD_TOO_LARGE,
                    code: "PAYLOAD_TOO_LARGE",
                    message: "the request body is too large".to_owned(),
                };
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
        Self {
            status,
            code: "BAD_REQUEST",
            message,
        }
    }
}

/// Needed by the extractor; the handlers answer through [`RequestRefused::with_request_id`].
impl IntoResponse for RequestRefused {
    fn into_response(self) -> HttpResponse {
        self.with_request_id("")
    }
}

impl RequestRefused {
    fn with_request_id(self, request_id: &str) -> HttpResponse {
        let body = json!({
            "errors": [{
                "message": self.message,
                "extensions": { "code": self.code, "requestId": request_id },
            }]
        });
        let mut response = (self.status, Json(body)).into_response();
        if self.status == StatusCode::UNAUTHORIZED {
            response.headers_mut().insert(
                header::WWW_AUTHENTICATE,
                HeaderValue::from_static("Bearer error=\"invalid_token\""),
            );
        }
        response
    }

    /// A request whose credentials are present but not valid: it is refused as a whole,
    /// never run as anonymous.
    fn unauthenticated(message: String) -> Self {
        Self {
            status: StatusCode::UNAUTHORIZED,
            code: "UNAUTHENTICATED",
            message,
        }
    }
}

/// Who the request comes from: anonymous without an `Authorization` header, the account
/// of a valid bearer token, or a refusal.
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
            let error = async_graphql::Error::from(error);
            Err(RequestRefused {
                status: StatusCode::INTERNAL_SERVER_ERROR,
                code: "INTERNAL_SERVER_ERROR",
                message: error.message,
            })
        }
    }
}

fn client_address(peer: Peer) -> Option<IpAddr> {
    peer.map(|Extension(ConnectInfo(address))| address.ip())
}

fn request_id(headers: &HeaderMap) -> String {
    headers
        .get(REQUEST_ID_HEADER)
        .and_then(|value| value.to_str().ok())
        .unwrap_or_default()
        .to_owned()
}

pub async fn post(
    State(state): State<AppState>,
    peer: Peer,
    headers: HeaderMap,
    request: Result<GraphQLRequest<RequestRefused>, RequestRefused>,
) -> HttpResponse {
    let request_id = request_id(&headers);
    match request {
        Ok(request) => {
            let request = request.into_inner();
            let document = parse_query(&request.query).ok();
            execute(&state, request, document, &headers, peer, &request_id).await
        }
        Err(refused) => refused.with_request_id(&request_id),
    }
}

/// GET carries queries only: a mutation must not run from a link or a prefetch.
pub async fn get(
    State(state): State<AppState>,
    peer: Peer,
    headers: HeaderMap,
    request: Result<GraphQLRequest<RequestRefused>, RequestRefused>,
) -> HttpResponse {
    let request_id = request_id(&headers);
    let request = match request {
        Ok(request) => request.into_inner(),
        Err(refused) => return refused.with_request_id(&request_id),
    };
    let document = parse_query(&request.query).ok();
    if let Some(operation) = document
        .as_ref()
        .and_then(|document| operation_type(document, request.operation_name.as_deref()))
        && operation != OperationType::Query
    {
        return RequestRefused {
            status: StatusCode::METHOD_NOT_ALLOWED,
            code: "METHOD_NOT_ALLOWED",
            message: "only queries may be sent with GET; use POST".to_owned(),
        }
        .with_request_id(&request_id);
    }
    execute(&state, request, document, &headers, peer, &request_id).await
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

/// Runs a request whose query was parsed once by the handler (`document` is `None` when it
/// does not parse): async-graphql parses it again for itself, but our own uses share this.
async fn execute(
    state: &AppState,
    request: async_graphql::Request,
    document: Option<ExecutableDocument>,
    headers: &HeaderMap,
    peer: Peer,
    request_id: &str,
) -> HttpResponse {
    if request.query.trim().is_empty() {
        return RequestRefused {
            status: StatusCode::BAD_REQUEST,
            code: "BAD_REQUEST",
            message: "no query: send a GraphQL document in `query`".to_owned(),
        }
        .with_request_id(request_id);
    }
    let caller = match caller(state, headers).await {
        Ok(caller) => caller,
        Err(refused) => return refused.with_request_id(request_id),
    };
    // Kept to order the response's fields.
    let operation_name = request.operation_name.clone();
    let variables = request.variables.clone();
    let batches = BatchQueue::default();
    let request = request.data(RequestState::new(
        RequestOrigin {
            caller,
            client: client_address(peer),
        },
        state.db.clone(),
        state.tokens.clone(),
        &batches,
    ));
    let mut response = Batched::new(state.schema.execute(request), batches).await;
    if !matches!(response.data, async_graphql::Value::Null)
        && let Some(document) = &document
    {
        order_fields(
            &mut response.data,
            document,
            operation_name.as_deref(),
            &variables,
        );
    }
    label_errors(&mut response, request_id, document.is_some());
    GraphQLResponse::from(response).into_response()
}

/// Gives every error a code and the request id. Errors from resolvers already carry their
/// code; the others come from parsing or validating the query.
fn label_errors(response: &mut Response, request_id: &str, query_parses: bool) {
    for error in &mut response.errors {
        let has_code = error
            .extensions
            .as_ref()
            .is_some_and(|extensions| extensions.get("code").is_some());
        let extensions = error.extensions.get_or_insert_with(Default::default);
        if !has_code {
            let code = fallback_code(&error.message, query_parses);
            extensions.set("code", code);
            if code == "BAD_USER_INPUT"
                && let Some(field) = argument_named_in(&error.message)
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
