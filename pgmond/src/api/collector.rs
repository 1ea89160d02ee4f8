//! The collector's state: `GET /collector/status`.

use axum::Json;
use axum::extract::State;
use pgmon_common::api::ErrorBody;
use pgmon_common::api::history::CollectorStatus;

use super::ApiError;
use crate::auth::{Auth, Viewer};
use crate::state::AppState;

#[utoipa::path(
    get, path = "/collector/status", tag = "monitoring", security(("bearer" = [])),
    responses((status = 200, body = CollectorStatus), (status = 401, body = ErrorBody))
)]
pub async fn status(
    _: Auth<Viewer>,
    State(state): State<AppState>,
) -> Result<Json<CollectorStatus>, ApiError> {
    let snapshot = state.fleet.get();
    Ok(Json(state.collector.status(&snapshot.servers).await?))
}
