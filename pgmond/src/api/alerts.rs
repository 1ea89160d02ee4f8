//! Alerts (SPEC B9): what fires (from memory), what fired (the store), channels (admin),
//! silences (operator), rules (admin) and a test notification. Changes are audited by the
//! route, as every change is.

use axum::Json;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use pgmon_common::api::Message;
use pgmon_common::api::alerts::{
    AlertHistory, AlertList, Channel, ChannelList, ChannelSpec, HistoryQuery, Rule, RuleList,
    RuleUpdate, Silence, SilenceList, SilenceNew, TestOutcome, TestRequest,
};

use super::ApiError;
use super::extract::{JsonBody, QueryParams};
use crate::auth::{Admin, Auth, Operator, Viewer};
use crate::state::AppState;

/// Alerts pending or firing now.
///
/// From pgmond's memory (with replicas, the servers others judge from the shared store),
/// most severe first; `silenced` ones show but notify no one.
#[utoipa::path(
    get, path = "/alerts", tag = "alerts",
    responses((status = 200, body = AlertList), Auth<Viewer>)
)]
pub async fn list(_: Auth<Viewer>, State(state): State<AppState>) -> Json<AlertList> {
    Json(state.alerts.list().await)
}

/// Alerts that fired, newest first.
///
/// Each with its end, the evidence kept when it fired (the sessions and blocking tree, the
/// replication view or the last error) and every notification sent for it with its delivery.
/// Kept `alert_retention_days` after they resolve.
#[utoipa::path(
    get, path = "/alerts/history", tag = "alerts", params(HistoryQuery),
    responses((status = 200, body = AlertHistory), Auth<Viewer>)
)]
pub async fn history(
    _: Auth<Viewer>,
    State(state): State<AppState>,
    QueryParams(q): QueryParams<HistoryQuery>,
) -> Result<Json<AlertHistory>, ApiError> {
    Ok(Json(state.alerts.history(q).await?))
}

/// Notification channels.
///
/// No secret is ever shown: `secret_set`, `password_set` and the header names say what is set.
#[utoipa::path(
    get, path = "/alerts/channels", tag = "alerts",
    responses((status = 200, body = ChannelList), Auth<Viewer>)
)]
pub async fn channels(_: Auth<Viewer>, State(state): State<AppState>) -> Json<ChannelList> {
    Json(state.alerts.channels().await)
}

/// Add a notification channel.
///
/// A webhook (`url`, `headers`, `secret` for an HMAC signature, `text` for Slack-style
/// bodies), an e-mail channel (its SMTP server must answer before it is saved) or an
/// Alertmanager (`url`). Secrets are stored encrypted.
#[utoipa::path(
    post, path = "/alerts/channels", tag = "alerts", request_body = ChannelSpec,
    responses((status = 201, body = Channel), Auth<Admin>)
)]
pub async fn add_channel(
    _: Auth<Admin>,
    State(state): State<AppState>,
    JsonBody(spec): JsonBody<ChannelSpec>,
) -> Result<(StatusCode, Json<Channel>), ApiError> {
    let saved = state.alerts.save_channel(spec, None).await?;
    Ok((StatusCode::CREATED, Json(saved)))
}

/// Replace a notification channel.
///
/// The whole channel as for `POST`; a secret left out (or a header given an empty value)
/// keeps the one stored.
#[utoipa::path(
    put, path = "/alerts/channels/{name}", tag = "alerts",
    params(("name" = String, Path)), request_body = ChannelSpec,
    responses((status = 200, body = Channel), Auth<Admin>)
)]
pub async fn replace_channel(
    _: Auth<Admin>,
    State(state): State<AppState>,
    Path(name): Path<String>,
    JsonBody(spec): JsonBody<ChannelSpec>,
) -> Result<Json<Channel>, ApiError> {
    Ok(Json(state.alerts.save_channel(spec, Some(&name)).await?))
}

/// Remove a notification channel.
///
/// Notifications still owed to it are given up.
#[utoipa::path(
    delete, path = "/alerts/channels/{name}", tag = "alerts",
    params(("name" = String, Path)),
    responses((status = 200, body = Message), Auth<Admin>)
)]
pub async fn delete_channel(
    _: Auth<Admin>,
    State(state): State<AppState>,
    Path(name): Path<String>,
) -> Result<Json<Message>, ApiError> {
    state.alerts.delete_channel(&name).await?;
    Ok(Json(Message {
        message: format!("Channel {name} deleted"),
    }))
}

/// Silences running now, and those ended in the last day.
#[utoipa::path(
    get, path = "/alerts/silences", tag = "alerts",
    responses((status = 200, body = SilenceList), Auth<Viewer>)
)]
pub async fn silences(_: Auth<Viewer>, State(state): State<AppState>) -> Json<SilenceList> {
    Json(state.alerts.silences())
}

/// Silence alerts until a time.
///
/// Alerts matching every matcher given (`server` and `database` take `*` patterns) still show,
/// as silenced; nothing is sent for them until the silence ends. `until` is required.
#[utoipa::path(
    post, path = "/alerts/silences", tag = "alerts", request_body = SilenceNew,
    responses((status = 201, body = Silence), Auth<Operator>)
)]
pub async fn add_silence(
    Auth(caller, ..): Auth<Operator>,
    State(state): State<AppState>,
    JsonBody(new): JsonBody<SilenceNew>,
) -> Result<(StatusCode, Json<Silence>), ApiError> {
    let silence = state.alerts.add_silence(new, caller.actor()).await?;
    Ok((StatusCode::CREATED, Json(silence)))
}

/// End a silence now.
#[utoipa::path(
    delete, path = "/alerts/silences/{id}", tag = "alerts",
    params(("id" = i64, Path)),
    responses((status = 200, body = Message), Auth<Operator>)
)]
pub async fn expire_silence(
    _: Auth<Operator>,
    State(state): State<AppState>,
    Path(id): Path<i64>,
) -> Result<Json<Message>, ApiError> {
    state.alerts.expire_silence(id).await?;
    Ok(Json(Message {
        message: format!("Silence {id} expired"),
    }))
}

/// Send a test notification.
///
/// Now, to one channel, outside the outbox: the answer says whether it was delivered.
#[utoipa::path(
    post, path = "/alerts/test", tag = "alerts", request_body = TestRequest,
    responses((status = 200, body = TestOutcome), Auth<Admin>)
)]
pub async fn test(
    _: Auth<Admin>,
    State(state): State<AppState>,
    JsonBody(req): JsonBody<TestRequest>,
) -> Result<Json<TestOutcome>, ApiError> {
    Ok(Json(state.alerts.test(&req.channel).await?))
}

/// The alert rules as in force.
///
/// A rule's threshold is its own where an admin set one, else the matching setting of
/// `/settings`; `servers` holds per-server exceptions.
#[utoipa::path(
    get, path = "/alerts/rules", tag = "alerts",
    responses((status = 200, body = RuleList), Auth<Viewer>)
)]
pub async fn rules(_: Auth<Viewer>, State(state): State<AppState>) -> Json<RuleList> {
    Json(state.alerts.rules_view(&state.collector.settings()).await)
}

/// Change a rule.
///
/// Switch it off or on, its severity, `for_seconds`, threshold (never negative; percentages
/// at most 100) and per-server exceptions (`servers` replaces them all).
#[utoipa::path(
    put, path = "/alerts/rules/{rule}", tag = "alerts",
    params(("rule" = String, Path)), request_body = RuleUpdate,
    responses((status = 200, body = Rule), Auth<Admin>)
)]
pub async fn update_rule(
    _: Auth<Admin>,
    State(state): State<AppState>,
    Path(rule): Path<String>,
    JsonBody(update): JsonBody<RuleUpdate>,
) -> Result<Json<Rule>, ApiError> {
    let settings = state.collector.settings();
    Ok(Json(
        state.alerts.update_rule(&rule, update, &settings).await?,
    ))
}
