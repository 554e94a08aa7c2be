//! Liveness and readiness probes.

use std::time::Duration;

use axum::{Json, extract::State, http::StatusCode};
use serde_json::{Value, json};

use super::AppState;
use crate::store::database::is_reachable;

/// The process answers.
pub async fn alive() -> Json<Value> {
    Json(json!({ "status": "ok" }))
}

/// How long `/readyz` waits for the database, whatever `DATABASE_ACQUIRE_TIMEOUT_SECS`: a
/// load balancer's probe gets its answer within a second, outage or not.
const READY_WAIT: Duration = Duration::from_millis(500);

/// The process can serve: its database answers (and its read replica, when it has one). 503 otherwise, so a load balancer stops
/// sending it traffic. Every connection busy for longer than `READY_WAIT` counts as
/// unavailable too: this instance cannot take more now.
pub async fn ready(State(state): State<AppState>) -> (StatusCode, Json<Value>) {
    // Both at once: the wait stays `READY_WAIT`. Without a standby, `reads` is `db`.
    let (primary, reads) = tokio::join!(
        is_reachable(&state.db, READY_WAIT),
        is_reachable(&state.reads, READY_WAIT)
    );
    if primary && reads {
        (StatusCode::OK, Json(json!({ "status": "ok" })))
    } else {
        (
            StatusCode::SERVICE_UNAVAILABLE,
            Json(json!({ "status": "unavailable", "reason": "database unreachable or busy" })),
        )
    }
}
