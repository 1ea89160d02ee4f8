//! `GET/PUT /settings` (admin): the collector's intervals and retention.

use axum::Json;
use axum::extract::State;
use pgmon_common::api::settings::{Settings, SettingsUpdate};
use serde_json::json;

use super::ApiError;
use super::extract::JsonBody;
use crate::auth::{Admin, Auth};
use crate::state::AppState;

/// The collector's settings.
///
/// Intervals, retention and the analysis thresholds.
#[utoipa::path(
    get, path = "/settings", tag = "settings",
    responses((status = 200, body = Settings), Auth<Admin>)
)]
pub async fn get(_: Auth<Admin>, State(state): State<AppState>) -> Json<Settings> {
    Json(state.collector.settings())
}

/// Change the collector's settings.
///
/// Fields left out keep their value; intervals are 0 (off) or 10 to 86,400 seconds. Recorded in the
/// audit trail.
#[utoipa::path(
    put, path = "/settings", tag = "settings",
    request_body = SettingsUpdate,
    responses((status = 200, body = Settings), Auth<Admin>)
)]
pub async fn update(
    Auth(caller, ..): Auth<Admin>,
    State(state): State<AppState>,
    JsonBody(update): JsonBody<SettingsUpdate>,
) -> Result<Json<Settings>, ApiError> {
    if let Some((field, why)) = update.out_of_range() {
        return Err(ApiError::validation(
            vec![json!("body"), json!(field)],
            "value_error",
            why,
        ));
    }
    let now = state.collector.change_settings(update).await?;
    tracing::info!(actor = %caller.actor(), settings = ?now, "settings changed");
    Ok(Json(now))
}
