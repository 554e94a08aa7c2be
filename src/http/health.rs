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

/// The process can serve: its database answers. 503 otherwise, so a load balancer stops
/// sending it traffic. Every connection busy for longer than `READY_WAIT` counts as
/// unavailable too: this instance cannot take more now.
pub async fn ready(State(state): State<AppState>) -> (StatusCode, Json<Value>) {
    if is_reachable(&state.db, READY_WAIT).await {
        (StatusCode::OK, Json(json!({ "status": "ok" })))
    } else {
        (
            StatusCode::SERVICE_UNAVAILABLE,
            Json(json!({ "status": "unavailable", "reason": "database unreachable or busy" })),
        )
    }
}
