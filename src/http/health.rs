//! Liveness and readiness probes.

use axum::{Json, extract::State, http::StatusCode};
use serde_json::{Value, json};

use super::AppState;
use crate::store::database::is_reachable;

/// The process answers.
pub async fn alive() -> Json<Value> {
    Json(json!({ "status": "ok" }))
}

/// The process can serve: its database answers. 503 otherwise, so a load balancer stops
/// sending it traffic.
pub async fn ready(State(state): State<AppState>) -> (StatusCode, Json<Value>) {
    if is_reachable(&state.db).await {
        (StatusCode::OK, Json(json!({ "status": "ok" })))
    } else {
        (
            StatusCode::SERVICE_UNAVAILABLE,
            Json(json!({ "status": "unavailable", "reason": "database unreachable" })),
        )
    }
}
