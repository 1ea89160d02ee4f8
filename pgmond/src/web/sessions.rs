//! A server's sessions: the list with waits and durations, the blocking tree, and cancel or
//! terminate after a page that names what will be ended (operators; `force` for admins).

use std::collections::HashMap;
use std::sync::Arc;

use axum::Router;
use axum::extract::{Path, Query};
use axum::http::{Method, StatusCode};
use axum::response::Response;
use axum::routing::get;
use maud::{Markup, html};
use pgmon_common::api::activity::{Backend, BlockingNode, ServerActivity};
use pgmon_common::users::Role;
use serde::Deserialize;

use super::Console;
use super::layout::{Who, csrf_field, long_text, notice, opt, page, seconds, time};
use super::server::{Tab, heading, segment, start};
use super::session::{Leave, Visit, see_other};

const EVERY: u32 = 5;

pub fn routes() -> Router<Arc<Console>> {
    Router::new()
        .route("/ui/server/{name}/sessions", get(list))
        .route(
            "/ui/server/{name}/sessions/{pid}/{action}",
            get(confirm).post(act),
        )
}

/// What the page calls each action, by the API's name.
fn verb(action: &str) -> Option<(&'static str, &'static str)> {
    match action {
        "cancel" => Some(("Cancel query", "cancelled")),
        "terminate" => Some(("Terminate session", "terminated")),
        _ => None,
    }
}

fn actions(server: &str, pid: i32) -> Markup {
    let base = format!("/ui/server/{}/sessions/{pid}", segment(server));
    html! {
        a href=(format!("{base}/cancel")) aria-label=(format!("Cancel the query of {pid}")) { "Cancel…" }
        " "
        a href=(format!("{base}/terminate")) aria-label=(format!("Terminate session {pid}")) { "Terminate…" }
    }
}

fn wait(b: &Backend) -> String {
    match (&b.wait_event_type, &b.wait_event) {
        (Some(t), Some(e)) => format!("{t}: {e}"),
        (Some(t), None) => t.clone(),
        _ => "—".into(),
    }
}

fn node(n: &BlockingNode, by_pid: &HashMap<i32, &Backend>, server: &str, may_act: bool) -> Markup {
    let b = by_pid.get(&n.pid);
    html! {
        li {
            div.node {
                strong { "pid " (n.pid) }
                @if let Some(b) = b {
                    span { (opt(b.usename.as_deref())) "@" (opt(b.datname.as_deref())) }
                    span.muted { (opt(b.application_name.as_deref())) }
                    span { "since " (time(b.query_start.as_deref())) }
                }
                @if let Some(w) = &n.waiting_for {
                    span.sev-warning { "waits for " (w.mode) " on " (w.relation.as_deref().unwrap_or(&w.locktype)) }
                } @else {
                    span.sev-critical { "blocks " (n.blocks.len()) }
                }
                @if may_act { span { (actions(server, n.pid)) } }
            }
            @if let Some(b) = b { (long_text(b.query.as_deref(), 120, None)) }
            @if !n.blocks.is_empty() {
                ul { @for child in &n.blocks { (node(child, by_pid, server, may_act)) } }
            }
        }
    }
}

#[derive(Deserialize, Default)]
pub struct Done {
    #[serde(default)]
    done: String,
    /// Text, read as a number below: a query string edited by hand is ignored, not refused.
    #[serde(default)]
    pid: String,
}

async fn list(
    mut v: Visit,
    Path(name): Path<String>,
    Query(done): Query<Done>,
) -> Result<Markup, Leave> {
    let (who, status) = start(&mut v, &name).await?;
    let a: ServerActivity = v
        .get(&format!("/server/{}/activity", segment(&name)))
        .await?;
    let may_act = who.role >= Role::Operator;
    let by_pid: HashMap<i32, &Backend> = a.sessions.iter().map(|b| (b.pid, b)).collect();
    let body = html! {
        (heading(&status, Tab::Sessions))
        @if let (Some((_, past)), Ok(pid)) = (verb(&done.done), done.pid.parse::<i32>()) {
            (notice(true, &format!("Session {pid}: {past}.")))
        }
        (super::layout::live_controls(EVERY))
        div #activity data-live-part {
            @if let Some(e) = &a.error { (notice(false, e)) }
            @for f in &a.findings { p.sev-warning { (f.message) } }
            h2 { "Blocking tree" }
            @if a.blocking.is_empty() { p.empty { "No session blocks another." } }
            @else { ul.tree aria-label="Blocking tree" { @for n in &a.blocking { (node(n, &by_pid, &name, may_act)) } } }
            h2 { "Sessions (" (a.sessions.len()) ")" }
            @if a.sessions.is_empty() && a.error.is_none() { p.empty { "No client session but pgmon's own." } }
            @else { div.scroll { table.wide.cards {
                thead { tr {
                    th scope="col" { "pid" } th scope="col" { "User / database" } th.optional scope="col" { "Application / client" }
                    th scope="col" { "State" } th scope="col" { "Wait" } th.num scope="col" { "Query for" } th.num.optional scope="col" { "Transaction for" }
                    th scope="col" { "Query" } @if may_act { th scope="col" { "Action" } }
                } }
                tbody { @for b in &a.sessions { tr {
                    td data-label="pid" { (b.pid) @if !b.blocked_by.is_empty() { br; span.sev-warning { "blocked by " (b.blocked_by.iter().map(|p| p.to_string()).collect::<Vec<_>>().join(", ")) } } }
                    td data-label="User / database" { (opt(b.usename.as_deref())) br; span.muted { (opt(b.datname.as_deref())) } }
                    td.optional data-label="Application / client" { (opt(b.application_name.as_deref())) br; span.muted { (opt(b.client_addr.as_deref())) } }
                    td data-label="State" { (opt(b.state.as_deref())) }
                    td data-label="Wait" { (wait(b)) }
                    td.num data-label="Query for" { (seconds(b.query_seconds)) }
                    td.num.optional data-label="Transaction for" { (seconds(b.xact_seconds)) }
                    td data-label="Query" { (long_text(b.query.as_deref(), 120, Some(b.pid.to_string()))) }
                    @if may_act { td data-label="Action" { @if actionable(b, &who) { (actions(&name, b.pid)) } } }
                } } }
            } } }
        }
    };
    Ok(page(&who, None, &format!("{name}: sessions"), EVERY, body))
}

/// Whether the page offers actions on `b`: a client's session to an operator, any backend to
/// an admin (who may force).
fn actionable(b: &Backend, who: &Who) -> bool {
    who.role >= Role::Admin || b.backend_type.as_deref() == Some("client backend")
}

async fn confirm(
    mut v: Visit,
    Path((name, pid, action)): Path<(String, String, String)>,
) -> Result<Markup, Leave> {
    let Some((label, _)) = verb(&action) else {
        return Err(Leave::Failed {
            status: StatusCode::NOT_FOUND,
            detail: "No such action".into(),
        });
    };
    let (who, status) = start(&mut v, &name).await?;
    let a: ServerActivity = v
        .get(&format!("/server/{}/activity", segment(&name)))
        .await?;
    let found = pid
        .parse::<i32>()
        .ok()
        .and_then(|p| a.sessions.iter().find(|b| b.pid == p));
    let Some(b) = found else {
        return Err(Leave::Failed {
            status: StatusCode::NOT_FOUND,
            detail: format!("Session {pid} is not (or no longer) on {name}"),
        });
    };
    let back = format!("/ui/server/{}/sessions", segment(&name));
    let body = html! {
        (heading(&status, Tab::Sessions))
        h2 { (label) "?" }
        dl.facts {
            dt { "pid" } dd { (b.pid) }
            dt { "User" } dd { (opt(b.usename.as_deref())) }
            dt { "Database" } dd { (opt(b.datname.as_deref())) }
            dt { "Application" } dd { (opt(b.application_name.as_deref())) }
            dt { "Query started" } dd { (time(b.query_start.as_deref())) }
            dt { "State" } dd { (opt(b.state.as_deref())) }
            dt { "Query" } dd { pre { code.query { (b.query.as_deref().unwrap_or("")) } } }
        }
        form method="post" {
            (csrf_field(&who.csrf))
            @if who.role >= Role::Admin {
                p { label { input type="checkbox" name="force" value="true"; " Force (a backend that is not a client's, such as a walsender)" } }
            }
            p {
                button.danger type="submit" { (label) " " (b.pid) }
                " "
                a href=(back) { "Back to the sessions" }
            }
        }
    };
    Ok(page(&who, None, &format!("{label} {pid}"), 0, body))
}

#[derive(Deserialize)]
pub struct ActForm {
    csrf: String,
    #[serde(default)]
    force: String,
}

async fn act(
    mut v: Visit,
    Path((name, pid, action)): Path<(String, String, String)>,
    axum::Form(f): axum::Form<ActForm>,
) -> Result<Response, Leave> {
    v.check(&f.csrf)?;
    let (Some(_), Ok(pid)) = (verb(&action), pid.parse::<i32>()) else {
        return Err(Leave::Failed {
            status: StatusCode::NOT_FOUND,
            detail: "No such action".into(),
        });
    };
    let force = if f.force == "true" { "?force=true" } else { "" };
    let path = format!("/server/{}/backends/{pid}/{action}{force}", segment(&name));
    let a = v.call(Method::POST, &path, None).await?;
    a.success()?;
    Ok(see_other(&format!(
        "/ui/server/{}/sessions?done={action}&pid={pid}",
        segment(&name)
    )))
}
