//! The fleet page: every server at a glance from `GET /fleet`, filtered and sorted by the
//! query string (so a refresh, a link or a bookmark shows the same), refreshing on its own.

use axum::extract::Query;
use maud::{Markup, html};
use pgmon_common::api::alerts::AlertList;
use pgmon_common::api::fleet::{FleetOverview, FleetServer};
use serde::Deserialize;

use super::layout::{Section, bytes, epoch, page, time};
use super::session::{Leave, Visit};

/// Seconds between refreshes of the list (pgmond answers from memory).
const EVERY: u32 = 10;

#[derive(Deserialize, Default)]
pub struct View {
    #[serde(default)]
    q: String,
    #[serde(default)]
    status: String,
    #[serde(default)]
    sort: String,
}

const SORTS: &[(&str, &str)] = &[
    ("name", "Name"),
    ("status", "Status (not ok first)"),
    ("sessions", "Sessions"),
    ("size", "Total size"),
    ("disk", "Disk free"),
    ("findings", "Findings"),
];

fn sort(list: &mut [FleetServer], by: &str) {
    let sessions = |s: &FleetServer| s.sessions.map_or(0, |c| c.total());
    let findings = |s: &FleetServer| (s.findings.critical, s.findings.warning, s.findings.info);
    match by {
        "status" => list.sort_by(|a, b| a.ok.cmp(&b.ok).then(a.name.cmp(&b.name))),
        "sessions" => list.sort_by_key(|s| std::cmp::Reverse(sessions(s))),
        "size" => list.sort_by_key(|s| std::cmp::Reverse(s.total_bytes)),
        "disk" => list.sort_by_key(|s| s.disk_free.unwrap_or(i64::MAX)),
        "findings" => list.sort_by_key(|s| std::cmp::Reverse(findings(s))),
        _ => list.sort_by(|a, b| a.name.cmp(&b.name)),
    }
}

fn status_class(s: &FleetServer) -> &'static str {
    if s.ok {
        "status-ok"
    } else if s.status == pgmon_common::api::STATUS_PENDING {
        "status-pending"
    } else {
        "status-bad"
    }
}

fn row(s: &FleetServer) -> Markup {
    let href = format!("/ui/server/{}", super::server::segment(&s.name));
    html! {
        tr {
            td data-label="Server" { a href=(href) { (s.name) } br; span.muted { (s.host) ":" (s.port) } }
            td data-label="Status" class=(status_class(s)) {
                (s.status)
                @if let Some(since) = s.down_since { br; span.muted { "since " (epoch(since)) } }
            }
            td.optional data-label="Version" { (s.version.as_deref().unwrap_or("—")) }
            td.num.optional data-label="Uptime" { (super::layout::seconds(s.uptime_hours.map(|h| h * 3600.0))) }
            td.num data-label="Sessions / max" {
                @if let Some(c) = s.sessions {
                    @let max = s.max_connections.unwrap_or(0);
                    span title=(format!("active {}, idle {}, idle in transaction {}, other {}", c.active, c.idle, c.idle_in_transaction, c.other)) {
                        (c.total()) " / " (max)
                    }
                    @if max > 0 {
                        br;
                        meter min="0" max=(max) high=(max * 8 / 10) value=(c.total()) aria-label=(format!("{} of {max} connections", c.total())) {}
                    }
                    br;
                    span.muted { (c.active) " active, " (c.idle_in_transaction) " idle in tx" }
                } @else { "—" }
            }
            td.num data-label="Total size" { (bytes(s.total_bytes)) }
            td.num data-label="Disk free" {
                (bytes(s.disk_free))
                @if let (Some(f), Some(t)) = (s.disk_free, s.disk_total) {
                    @if t > 0 { br; span.muted { (f * 100 / t) " % free" } }
                }
            }
            td.num data-label="Findings" {
                @if s.findings.critical > 0 { span.sev-critical { (s.findings.critical) " critical" } br; }
                @if s.findings.warning > 0 { span.sev-warning { (s.findings.warning) " warning" } br; }
                @if s.findings.critical + s.findings.warning == 0 { span.muted { (s.findings.info) " info" } }
            }
            td.optional data-label="Last sample" { (time(s.last_sample.as_deref())) }
        }
    }
}

pub async fn show(mut v: Visit, Query(view): Query<View>) -> Result<Markup, Leave> {
    let who = v.who().await?;
    let fleet: FleetOverview = v.get("/fleet").await?;
    let alerts: AlertList = v.get("/alerts").await?;
    let total = fleet.servers.len();
    let down = fleet.servers.iter().filter(|s| !s.ok).count();
    let needle = view.q.to_lowercase();
    let mut list: Vec<FleetServer> = fleet
        .servers
        .into_iter()
        .filter(|s| needle.is_empty() || s.name.to_lowercase().contains(&needle))
        .filter(|s| match view.status.as_str() {
            "ok" => s.ok,
            "not-ok" => !s.ok,
            _ => true,
        })
        .collect();
    sort(&mut list, &view.sort);
    let may_add = who.role >= pgmon_common::users::Role::Operator;
    let body = html! {
        h1 { "Fleet" }
        form.filters method="get" action="/ui/" role="search" {
            label { "Name contains" input name="q" value=(view.q) type="search"; }
            label { "Status"
                select name="status" {
                    @for (value, label) in [("", "All"), ("ok", "Ok"), ("not-ok", "Not ok")] {
                        option value=(value) selected[view.status == value] { (label) }
                    }
                }
            }
            label { "Sort by"
                select name="sort" {
                    @for (value, label) in SORTS {
                        option value=(value) selected[view.sort == *value] { (label) }
                    }
                }
            }
            button type="submit" { "Show" }
        }
        (super::layout::live_controls(EVERY))
        div #fleet data-live-part {
            (super::alerts::firing(&alerts.alerts, None))
            p.muted { (total) " servers, " (down) " not ok; showing " (list.len()) }
            @if total == 0 {
                div.empty {
                    p { "No servers yet." }
                    @if may_add {
                        p { a href="/ui/admin/servers/new" { "Add the first server" } " (its connection is tested before it is saved), or run "
                            code { "pgmonctl servers add NAME --host HOST --user USER" } "." }
                    } @else {
                        p { "An operator or admin adds servers; they will show here." }
                    }
                }
            } @else if list.is_empty() {
                p.empty { "No server matches these filters." }
            } @else {
                div.scroll {
                    table.wide.cards {
                        caption.muted { "Servers (figures from pgmond's memory)" }
                        thead { tr {
                            th scope="col" { "Server" } th scope="col" { "Status" }
                            th.optional scope="col" { "Version" } th.num.optional scope="col" { "Uptime" }
                            th.num scope="col" { "Sessions / max" } th.num scope="col" { "Total size" }
                            th.num scope="col" { "Disk free" } th.num scope="col" { "Findings" }
                            th.optional scope="col" { "Last sample" }
                        } }
                        tbody { @for s in &list { (row(s)) } }
                    }
                }
            }
        }
    };
    Ok(page(&who, Some(Section::Fleet), "Fleet", EVERY, body))
}
