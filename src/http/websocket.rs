//! Subscriptions over WebSocket on `/graphql`, in `graphql-transport-ws` (the protocol of
//! the `graphql-ws` client). async-graphql's engine speaks the protocol; around it, this
//! module authenticates `connection_init`, keeps the limits (connections per client
//! address, subscriptions per connection, time to initialise, keep-alive pings), turns a
//! refused or failed subscription into the protocol's `error` message, and closes every
//! socket cleanly when the server stops.

use std::{
    collections::{HashMap, HashSet},
    net::IpAddr,
    sync::{Arc, Mutex, OnceLock, PoisonError},
    time::Duration,
};

use async_graphql::{
    Data, ErrorExtensionValues, Executor, Request, Response, ServerError,
    futures_util::stream::BoxStream,
    http::{WebSocket as Engine, WebSocketProtocols as Protocols, WsMessage},
    parser::types::OperationType,
};
use axum::{
    Extension,
    extract::{
        FromRequest, FromRequestParts, Request as HttpRequest, State, WebSocketUpgrade,
        ws::{CloseFrame, Message, WebSocket},
    },
    http::{HeaderMap, StatusCode, header},
    response::{IntoResponse, Response as HttpResponse},
};
use chrono::Utc;
use futures_util::{SinkExt, StreamExt, future, stream};
use serde::{Deserialize, Serialize};
use serde_json::{Value as JsonValue, json};
use tokio::sync::{broadcast, mpsc, watch};

use super::{
    AppState,
    error_answer::error,
    graphql_endpoint::{self, ClientAddress, RequestRefused, label_errors, request_id},
    graphql_request::GraphqlRequest,
    negotiation::MediaType,
};
use crate::{
    accounts,
    domain::caller::Caller,
    error::AppError,
    events::{ChangeKind, ChangeStream},
    graphql::{
        context::{RequestOrigin, RequestState},
        input_policy::{INPUT_TYPES, InputRefusal},
        limits::Refusal,
        subscription::Live,
    },
    monitoring,
    store::batching::{BatchQueue, BatchedStream},
};

/// The one WebSocket sub-protocol served.
const PROTOCOL: &str = "graphql-transport-ws";

/// The WebSocket connections open per client address.
#[derive(Default)]
pub struct Sockets {
    per_address: Mutex<HashMap<IpAddr, usize>>,
}

/// A connection counted against its client address, until it is dropped.
struct SocketPermit {
    sockets: Arc<Sockets>,
    address: Option<IpAddr>,
}

impl Sockets {
    fn admit(self: &Arc<Self>, address: Option<IpAddr>, max: usize) -> Option<SocketPermit> {
        if let Some(address) = address {
            let mut open = self
                .per_address
                .lock()
                .unwrap_or_else(PoisonError::into_inner);
            let count = open.entry(address).or_default();
            if *count >= max {
                return None;
            }
            *count += 1;
        }
        Some(SocketPermit {
            sockets: self.clone(),
            address,
        })
    }
}

impl Drop for SocketPermit {
    fn drop(&mut self) {
        if let Some(address) = self.address {
            let mut open = self
                .sockets
                .per_address
                .lock()
                .unwrap_or_else(PoisonError::into_inner);
            if let Some(count) = open.get_mut(&address) {
                *count -= 1;
                if *count == 0 {
                    open.remove(&address);
                }
            }
        }
    }
}

fn wants_websocket(headers: &HeaderMap) -> bool {
    headers
        .get(header::UPGRADE)
        .and_then(|value| value.to_str().ok())
        .is_some_and(|value| value.eq_ignore_ascii_case("websocket"))
}

/// GET `/graphql`: a WebSocket upgrade for subscriptions, or else a query.
pub async fn get_or_upgrade(
    State(state): State<AppState>,
    Extension(client): Extension<ClientAddress>,
    Extension(media): Extension<MediaType>,
    request: HttpRequest,
) -> HttpResponse {
    if !wants_websocket(request.headers()) {
        let headers = request.headers().clone();
        let graphql = GraphqlRequest::from_request(request, &state).await;
        return graphql_endpoint::get(
            State(state),
            (Extension(client), Extension(media)),
            headers,
            graphql,
        )
        .await;
    }
    let request_id = request_id(request.headers());
    let (mut parts, _) = request.into_parts();
    let offered = parts
        .headers
        .get_all(header::SEC_WEBSOCKET_PROTOCOL)
        .iter()
        .filter_map(|value| value.to_str().ok())
        .flat_map(|value| value.split(','))
        .any(|protocol| protocol.trim() == PROTOCOL);
    if !offered {
        return RequestRefused::new(
            StatusCode::BAD_REQUEST,
            "BAD_REQUEST",
            format!("subscriptions speak `{PROTOCOL}`: offer it in Sec-WebSocket-Protocol"),
        )
        .respond(&request_id, media);
    }
    let upgrade = match WebSocketUpgrade::from_request_parts(&mut parts, &state).await {
        Ok(upgrade) => upgrade,
        Err(rejection) => return rejection.into_response(),
    };
    let limits = state.protection.subscriptions;
    let Some(permit) = state
        .sockets
        .admit(client.0, limits.connections_per_address)
    else {
        return RequestRefused::new(
            StatusCode::TOO_MANY_REQUESTS,
            "TOO_MANY_CONNECTIONS",
            format!(
                "at most {} WebSocket connections per client address: close one first",
                limits.connections_per_address
            ),
        )
        .respond(&request_id, media);
    };
    upgrade
        .protocols([PROTOCOL])
        .max_message_size(state.protection.body_limit_bytes)
        .on_upgrade(move |socket| async move {
            let open = monitoring::Active::websocket();
            serve(socket, state, client.0).await;
            drop(open);
            drop(permit);
        })
}

/// Who a connection's subscriptions run as, once it is initialised.
struct Session {
    caller: Caller,
    credentials: watch::Receiver<bool>,
}

/// What the connection knows of its subscriptions, for the limits and the protocol.
#[derive(Default)]
struct Book {
    /// The subscriptions running.
    active: HashSet<String>,
    /// The subscriptions that ended with an `error`: no `complete` follows one.
    failed: HashSet<String>,
    acknowledged: bool,
    /// Why `connection_init` was refused.
    refused: Option<String>,
}

type SharedBook = Arc<Mutex<Book>>;

fn book(shared: &SharedBook) -> std::sync::MutexGuard<'_, Book> {
    shared.lock().unwrap_or_else(PoisonError::into_inner)
}

/// The `type` and `id` of a protocol message.
#[derive(Deserialize)]
struct Head {
    #[serde(rename = "type")]
    kind: String,
    id: Option<String>,
}

/// A `next` message of the engine, as far as telling a failed subscription goes.
#[derive(Deserialize)]
struct Next {
    payload: NextPayload,
}

#[derive(Deserialize)]
struct NextPayload {
    #[serde(default)]
    data: JsonValue,
    #[serde(default)]
    errors: Vec<ServerError>,
}

/// The protocol's `error` message, its errors written as every answer writes them.
#[derive(Serialize)]
struct ErrorMessage<'a> {
    id: &'a str,
    #[serde(rename = "type")]
    kind: &'static str,
    payload: &'a [ServerError],
}

impl<'a> ErrorMessage<'a> {
    fn text(id: &'a str, errors: &'a [ServerError]) -> String {
        let message = Self {
            id,
            kind: "error",
            payload: errors,
        };
        serde_json::to_string(&message).unwrap_or_default()
    }
}

fn close(code: u16, reason: impl Into<String>) -> Message {
    // A close frame's reason holds at most 123 bytes.
    let mut reason: String = reason.into();
    if reason.len() > 123 {
        let mut end = 120;
        while !reason.is_char_boundary(end) {
            end -= 1;
        }
        reason.truncate(end);
        reason.push('…');
    }
    Message::Close(Some(CloseFrame {
        code,
        reason: reason.into(),
    }))
}

/// A client message: passed on to the engine, or answered here (a subscription over the
/// limit, an id already in use).
fn admit(
    shared: &SharedBook,
    direct: &mpsc::UnboundedSender<Message>,
    per_connection: usize,
    bytes: &[u8],
) -> Option<Vec<u8>> {
    let Ok(head) = serde_json::from_slice::<Head>(bytes) else {
        // The engine closes the connection on what it cannot read.
        return Some(bytes.to_vec());
    };
    let mut book = book(shared);
    match (head.kind.as_str(), head.id) {
        ("subscribe", Some(id)) if book.acknowledged => {
            if book.active.contains(&id) {
                let _ = direct.send(close(4409, format!("Subscriber for {id} already exists")));
                return None;
            }
            if book.active.len() >= per_connection {
                let errors = [error(
                    format!(
                        "at most {per_connection} subscriptions per connection: complete one \
                         first"
                    ),
                    [
                        ("code", json!("TOO_MANY_SUBSCRIPTIONS")),
                        ("max", json!(per_connection)),
                    ],
                )];
                let _ = direct.send(Message::Text(ErrorMessage::text(&id, &errors).into()));
                return None;
            }
            book.failed.remove(&id);
            book.active.insert(id);
        }
        ("complete", Some(id)) => {
            book.active.remove(&id);
        }
        _ => {}
    }
    Some(bytes.to_vec())
}

/// A message of the engine, as sent: a refused or failed subscription (a `next` without
/// data) becomes the protocol's `error`, and its `complete` is dropped.
fn outgoing(shared: &SharedBook, text: String) -> Option<String> {
    let Ok(head) = serde_json::from_str::<Head>(&text) else {
        return Some(text);
    };
    let mut book = book(shared);
    match (head.kind.as_str(), head.id) {
        ("connection_ack", _) => book.acknowledged = true,
        // The client holds the subscription over once it had an `error`.
        ("next", Some(id)) if book.failed.contains(&id) => return None,
        ("next", Some(id)) => {
            let Ok(Next { payload }) = serde_json::from_str::<Next>(&text) else {
                return Some(text);
            };
            let failed = payload.data.is_null() && !payload.errors.is_empty();
            if failed {
                book.active.remove(&id);
                let error = ErrorMessage::text(&id, &payload.errors);
                book.failed.insert(id);
                return Some(error);
            }
        }
        ("complete", Some(id)) => {
            if book.failed.remove(&id) {
                return None;
            }
            book.active.remove(&id);
        }
        _ => {}
    }
    Some(text)
}

/// Serves one connection until either side closes it or the server stops.
async fn serve(socket: WebSocket, state: AppState, client: Option<IpAddr>) {
    let limits = state.protection.subscriptions;
    let (mut sink, incoming) = socket.split();
    let shared = SharedBook::default();
    let (direct, mut directed) = mpsc::unbounded_channel::<Message>();
    let input = incoming
        .take_while(|message| future::ready(message.is_ok()))
        .filter_map({
            let shared = shared.clone();
            move |message| {
                future::ready(match message {
                    Ok(Message::Text(text)) => {
                        admit(&shared, &direct, limits.per_connection, text.as_bytes())
                    }
                    Ok(Message::Binary(bytes)) => {
                        admit(&shared, &direct, limits.per_connection, &bytes)
                    }
                    _ => None,
                })
            }
        });
    let session = Arc::new(OnceLock::new());
    let executor = LiveExecutor {
        state: state.clone(),
        session: session.clone(),
        client,
    };
    let engine = Engine::new(executor, input, Protocols::GraphQLWS)
        .on_connection_init({
            let (state, shared) = (state.clone(), shared.clone());
            move |payload| initialise(state, session, shared, payload)
        })
        // Any message resets it, the pongs to our pings included.
        .keepalive_timeout(limits.keepalive * 2);
    futures_util::pin_mut!(engine);
    let init_over = tokio::time::sleep(limits.init_timeout);
    futures_util::pin_mut!(init_over);
    let stopping = stopped(state.stopping.clone());
    futures_util::pin_mut!(stopping);
    let mut pings = tokio::time::interval_at(
        tokio::time::Instant::now() + limits.keepalive,
        limits.keepalive,
    );
    pings.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        let acknowledged = book(&shared).acknowledged;
        let message = tokio::select! {
            message = engine.next() => match message {
                Some(WsMessage::Text(text)) => match outgoing(&shared, text) {
                    Some(text) => Message::Text(text.into()),
                    None => continue,
                },
                Some(WsMessage::Close(code, reason)) => match book(&shared).refused.take() {
                    // The protocol's codes: a refused `connection_init`, a `subscribe`
                    // before the acknowledgement, a message that is not the protocol's.
                    Some(refusal) => close(4403, refusal),
                    None if code == 1011 && !acknowledged => close(4401, "Unauthorized"),
                    None if code == 1002 => close(4400, reason),
                    None => close(code, reason),
                },
                None => break,
            },
            Some(message) = directed.recv() => message,
            () = &mut init_over, if !acknowledged => {
                close(4408, "Connection initialisation timeout")
            }
            _ = pings.tick(), if acknowledged => {
                Message::Text(json!({ "type": "ping" }).to_string().into())
            }
            () = &mut stopping => close(1001, "the server is shutting down: reconnect"),
        };
        let closing = matches!(message, Message::Close(_));
        if sink.send(message).await.is_err() || closing {
            break;
        }
    }
    let _ = sink.close().await;
}

/// Resolves once the server starts to stop (never, when nothing will stop it).
async fn stopped(mut stopping: watch::Receiver<bool>) {
    if stopping.wait_for(|stopping| *stopping).await.is_err() {
        future::pending::<()>().await;
    }
}

/// `connection_init`: its payload's `Authorization` (`Bearer <token>`) names the caller of
/// the connection's subscriptions, checked as the HTTP endpoint checks the header; none is
/// the public. A token that is not valid refuses the connection (4403), and so does any API
/// key: keys are for HTTP requests, each checked on its own, never held open.
async fn initialise(
    state: AppState,
    session: Arc<OnceLock<Session>>,
    shared: SharedBook,
    payload: JsonValue,
) -> async_graphql::Result<Data> {
    let refuse = |message: String| {
        book(&shared).refused = Some(message.clone());
        async_graphql::Error::new(message)
    };
    let authorization = payload
        .get("Authorization")
        .or_else(|| payload.get("authorization"));
    let token = match authorization {
        None | Some(JsonValue::Null) => None,
        Some(value) => Some(
            value
                .as_str()
                .and_then(|value| {
                    let (scheme, token) = value.trim().split_once(' ')?;
                    scheme.eq_ignore_ascii_case("bearer").then(|| token.trim())
                })
                .filter(|token| !token.is_empty())
                .ok_or_else(|| refuse("`Authorization` must be `Bearer <token>`".to_owned()))?
                .to_owned(),
        ),
    };
    let (caller, credentials) = match token {
        None => (Caller::Anonymous, watch::channel(true).1),
        Some(token) => match accounts::authenticate_until(&state.db, &state.tokens, &token).await {
            Ok((caller, refused_after)) => {
                let (valid, credentials) = watch::channel(true);
                tokio::spawn(watch_credentials(
                    Credentials {
                        state: state.clone(),
                        token,
                        caller: caller.clone(),
                        refused_after,
                    },
                    state.protection.subscriptions.token_recheck,
                    state.changes.subscribe(),
                    valid,
                ));
                (caller, credentials)
            }
            Err(error) => {
                let message = match &error {
                    AppError::Unauthenticated(message) => message.clone(),
                    other => other.public_message(),
                };
                return Err(refuse(message));
            }
        },
    };
    let _ = session.set(Session {
        caller,
        credentials,
    });
    Ok(Data::default())
}

/// A connection's token and what it proved.
struct Credentials {
    state: AppState,
    token: String,
    caller: Caller,
    refused_after: chrono::DateTime<Utc>,
}

/// Checks a connection's token again when it expires, when its account changes, and every
/// `recheck`; turns `valid` false (ending the connection's subscriptions) once it no longer
/// proves the same caller. Stops with the connection.
async fn watch_credentials(
    credentials: Credentials,
    recheck: Duration,
    mut changes: broadcast::Receiver<std::sync::Arc<crate::events::Committed>>,
    valid: watch::Sender<bool>,
) {
    let account = credentials.caller.account().map(|account| account.id);
    loop {
        // Tokens are refused from the second after `refused_after`.
        let until_refused = (credentials.refused_after + chrono::Duration::seconds(1) - Utc::now())
            .to_std()
            .unwrap_or_default();
        let deadline = tokio::time::Instant::now()
            + until_refused.min(recheck).max(Duration::from_millis(100));
        loop {
            tokio::select! {
                () = valid.closed() => return,
                () = tokio::time::sleep_until(deadline) => break,
                received = changes.recv() => match received {
                    Ok(change) if change.kind == ChangeKind::AccountChanged
                        && Some(change.subject_id) == account => break,
                    Ok(_) => {}
                    Err(broadcast::error::RecvError::Lagged(_)) => break,
                    Err(broadcast::error::RecvError::Closed) => return,
                },
            }
        }
        let state = &credentials.state;
        match accounts::authenticate(&state.db, &state.tokens, &credentials.token).await {
            Ok(caller) if caller == credentials.caller => {}
            Ok(_) | Err(AppError::Unauthenticated(_)) => {
                valid.send_replace(false);
                return;
            }
            Err(error) => {
                tracing::warn!(
                    error = %error.public_message(),
                    "a subscription's token could not be checked again; retrying"
                );
            }
        }
    }
}

/// The engine's executor for one connection: each subscription runs as the connection's
/// caller, within the limits of HTTP requests, with loaders of its own.
#[derive(Clone)]
struct LiveExecutor {
    state: AppState,
    session: Arc<OnceLock<Session>>,
    client: Option<IpAddr>,
}

/// A response made of one error with `code` (and more extensions).
fn refusal(message: String, code: &str, details: &[(&str, async_graphql::Value)]) -> Response {
    let mut error = ServerError::new(message, None);
    let mut extensions = ErrorExtensionValues::default();
    extensions.set("code", code);
    for (name, value) in details {
        extensions.set(*name, value.clone());
    }
    error.extensions = Some(extensions);
    Response::from_errors(vec![error])
}

impl LiveExecutor {
    fn subscribe(&self, mut request: Request) -> BoxStream<'static, Response> {
        let state = &self.state;
        let request_id = uuid::Uuid::now_v7().to_string();
        let refused = |mut response: Response| {
            label_errors(&mut response, &request_id, true, &Default::default());
            stream::once(future::ready(response)).boxed()
        };
        let limits = &state.protection.query_limits;
        let in_document = |refusal_: Refusal| {
            let message = refusal_.message();
            match refusal_ {
                Refusal::Exceeded { limit, max, .. } => refusal(
                    message,
                    "QUERY_LIMIT_EXCEEDED",
                    &[("limit", limit.name().into()), ("max", (max as u64).into())],
                ),
                Refusal::FragmentCycle(_) => refusal(message, "GRAPHQL_VALIDATION_FAILED", &[]),
            }
        };
        if let Err(refusal_) = limits.check_text(&request.query) {
            return refused(in_document(refusal_));
        }
        let mut positions = Default::default();
        let document = state.documents.parse(&request.query);
        if let Some(document) = &document {
            if let Err(refusal_) = limits.check_document(document, &request.variables) {
                return refused(in_document(refusal_));
            }
            positions = match INPUT_TYPES.check(
                document,
                request.operation_name.as_deref(),
                &request.variables,
            ) {
                Ok(positions) => positions,
                Err(InputRefusal::BadInput { field, message }) => {
                    return refused(refusal(
                        message,
                        "BAD_USER_INPUT",
                        &[("field", field.into())],
                    ));
                }
                Err(InputRefusal::QuotedEnum { field, message }) => {
                    return refused(refusal(
                        message,
                        "GRAPHQL_VALIDATION_FAILED",
                        &[("field", field.into())],
                    ));
                }
            };
            let operation = match request.operation_name.as_deref() {
                Some(name) => document
                    .operations
                    .iter()
                    .find(|(candidate, _)| candidate.map(|n| n.as_str()) == Some(name))
                    .map(|(_, operation)| operation.node.ty),
                None => document
                    .operations
                    .iter()
                    .next()
                    .map(|(_, operation)| operation.node.ty),
            };
            if operation.is_some_and(|operation| operation != OperationType::Subscription) {
                return refused(refusal(
                    "this connection carries subscriptions: send queries and mutations over \
                     HTTP"
                        .to_owned(),
                    "BAD_REQUEST",
                    &[],
                ));
            }
            request.set_parsed_query(async_graphql::parser::types::ExecutableDocument::clone(
                document,
            ));
        }
        let Some(session) = self.session.get() else {
            return refused(refusal(
                "send connection_init first".to_owned(),
                "UNAUTHENTICATED",
                &[],
            ));
        };
        // Each subscription counts against the client's rates, as a request does.
        let rates = &state.protection.rate_limiter;
        let over = self
            .client
            .and_then(|address| rates.check_address(address).err())
            .or_else(|| {
                let account = session.caller.account()?;
                rates.check_account(account.id).err()
            });
        if let Some(seconds) = over {
            return refused(refusal(
                format!("too many requests; retry in {seconds} seconds"),
                "RATE_LIMITED",
                &[("retryAfterSeconds", seconds.into())],
            ));
        }
        let queue = BatchQueue::default();
        // The changes are read from where anonymous queries read, so an anonymous
        // subscriber reads each change's subject there too: it is in it already.
        let db = match session.caller.account() {
            None => &state.reads,
            Some(_) => &state.db,
        };
        let request = request
            .data(RequestState::live(
                RequestOrigin {
                    caller: session.caller.clone(),
                    client: self.client,
                },
                db.clone(),
                state.tokens.clone(),
                state.erasure_key.clone(),
                state.stats.clone(),
                &queue,
            ))
            .data(Live {
                changes: ChangeStream::clone(&state.changes),
                credentials: session.credentials.clone(),
            });
        let parses = document.is_some();
        // Counted as running until the stream is dropped: completed, failed or closed.
        let running = monitoring::Active::subscription();
        BatchedStream::new(state.schema.execute_stream(request), queue)
            .map(move |mut response| {
                let _running = &running;
                label_errors(&mut response, &request_id, parses, &positions);
                response
            })
            .boxed()
    }
}

impl Executor for LiveExecutor {
    async fn execute(&self, request: Request) -> Response {
        self.subscribe(request)
            .next()
            .await
            .unwrap_or_else(Response::default)
    }

    fn execute_stream(
        &self,
        request: Request,
        _session_data: Option<Arc<Data>>,
    ) -> BoxStream<'static, Response> {
        self.subscribe(request)
    }
}
