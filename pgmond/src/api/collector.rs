//! The collector's state: `GET /collector/status`.

use axum::Json;
use axum::extract::State;
use pgmon_common::api::history::CollectorStatus;

use super::ApiError;
use crate::auth::{Auth, Viewer};
use crate::state::AppState;

/// The collector's state.
///
/// Per server: last sample, last error, legacy import progress.
#[utoipa::path(
    get, path = "/collector/status", tag = "monitoring",
    responses((status = 200, body = CollectorStatus), Auth<Viewer>)
)]
pub async fn status(
    _: Auth<Viewer>,
    State(state): State<AppState>,
) -> Result<Json<CollectorStatus>, ApiError> {
    let snapshot = state.fleet.get();
    Ok(Json(state.collector.status(&snapshot.servers).await?))
}
