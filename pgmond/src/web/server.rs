//! A server's pages: the overview (status, history charts, databases), a database's page, and
//! the tabs for replication, statements, health-check findings and the analysis. Sessions
//! and their actions are in `sessions`.

use std::sync::Arc;

use axum::Router;
use axum::extract::{Path, Query};
use axum::http::Method;
use axum::response::Response;
use axum::routing::get;
use chrono::{DateTime, Duration, Utc};
use maud::{Markup, html};
use pgmon_common::api::ServerStatus;
use pgmon_common::api::analysis::ServerAnalysis;
use pgmon_common::api::checks::ServerChecks;
use pgmon_common::api::databases::ServerDatabases;
use pgmon_common::api::fleet::{ServerTimeline, TimelinePoint};
use pgmon_common::api::history::{DbHistory, DbInfo};
use pgmon_common::api::replication::ServerReplication;
use pgmon_common::api::statements::ServerStatements;
use pgmon_common::users::Role;
use serde::Deserialize;

use super::Console;
use super::chart::{Series, chart};
use super::layout::{Who, bytes, csrf_field, epoch, long_text, notice, opt, page, seconds, time};
use super::session::{Leave, Visit, see_other};

pub fn routes() -> Router<Arc<Console>> {
    Router::new()
        .route("/ui/server/{name}", get(overview))
        .route("/ui/server/{name}/db/{db}", get(database))
        .route("/ui/server/{name}/replication", get(replication))
        .route("/ui/server/{name}/statements", get(statements))
        .route("/ui/server/{name}/checks", get(checks).post(run_checks))
        .route("/ui/server/{name}/analysis", get(analysis))
}

/// `s` as one path segment: every byte but the unreserved ones percent-encoded.
pub fn segment(s: &str) -> String {
    s.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'.' | b'_' | b'~' => {
                (b as char).to_string()
            }
            _ => format!("%{b:02X}"),
        })
        .collect()
}

/// The server's tabs.
#[derive(Clone, Copy, PartialEq, Eq)]
pub enum Tab {
    Overview,
    Sessions,
    Replication,
    Statements,
    Checks,
    Analysis,
}

/// The status line and tabs at the top of each of a server's pages.
pub fn heading(status: &ServerStatus, current: Tab) -> Markup {
    let base = format!("/ui/server/{}", segment(&status.name));
    let tabs = [
        (Tab::Overview, String::new(), "Overview"),
        (Tab::Sessions, "/sessions".to_owned(), "Sessions"),
        (Tab::Replication, "/replication".to_owned(), "Replication"),
        (Tab::Statements, "/statements".to_owned(), "Statements"),
        (Tab::Checks, "/checks".to_owned(), "Findings"),
        (Tab::Analysis, "/analysis".to_owned(), "Analysis"),
    ];
    let ok = status.status.starts_with("ok");
    html! {
        h1 { (status.name) }
        div #status data-live-part {
            dl.facts {
                dt { "Status" }
                dd class=(if ok { "status-ok" } else { "status-bad" }) {
                    (status.status)
                    @if let Some(since) = status.down_since { " since " (epoch(since)) }
                }
                dt { "Address" } dd { (status.host) ":" (status.port) " as " (status.user) }
                dt { "Version" } dd { (status.version.as_deref().unwrap_or("—")) }
                dt { "Uptime" } dd { (seconds(status.uptime_hours.map(|h| h * 3600.0))) }
                dt { "Disk free" } dd {
                    (bytes(status.free_space.and_then(|b| i64::try_from(b).ok())))
                    " of " (bytes(status.total_space.and_then(|b| i64::try_from(b).ok())))
                }
                dt { "Checked" } dd { (epoch(status.timestamp)) }
            }
        }
        nav.tabs aria-label="Server" {
            ul {
                @for (tab, tail, label) in &tabs {
                    li {
                        @if *tab == current {
                            a href=(format!("{base}{tail}")) aria-current="page" { (label) }
                        } @else {
                            a href=(format!("{base}{tail}")) { (label) }
                        }
                    }
                }
            }
        }
    }
}

/// Who is visiting and the server's status: what every server page starts with.
pub async fn start(v: &mut Visit, name: &str) -> Result<(Who, ServerStatus), Leave> {
    let who = v.who().await?;
    let status: ServerStatus = v.get(&format!("/servers/{}", segment(name))).await?;
    Ok((who, status))
}

/// A history range: one of the presets, or custom ends (`from`/`to` in UTC, which the
/// script fills from the browser's local `from_local`/`to_local`; without the script those
/// are taken as UTC).
#[derive(Deserialize, Default)]
pub struct Range {
    #[serde(default)]
    range: String,
    #[serde(default)]
    from: String,
    #[serde(default)]
    to: String,
    #[serde(default)]
    from_local: String,
    #[serde(default)]
    to_local: String,
}

const PRESETS: &[(&str, &str, i64)] = &[
    ("1h", "1 hour", 3_600),
    ("24h", "24 hours", 86_400),
    ("7d", "7 days", 7 * 86_400),
    ("30d", "30 days", 30 * 86_400),
    ("1y", "1 year", 365 * 86_400),
];

fn parse_end(utc: &str, local: &str) -> Option<DateTime<Utc>> {
    if let Ok(t) = DateTime::parse_from_rfc3339(utc) {
        return Some(t.with_timezone(&Utc));
    }
    chrono::NaiveDateTime::parse_from_str(local, "%Y-%m-%dT%H:%M")
        .ok()
        .map(|t| t.and_utc())
}

impl Range {
    /// The window's ends, and the query string the history endpoints take.
    fn window(&self) -> (DateTime<Utc>, DateTime<Utc>, String) {
        let now = Utc::now();
        let (start, end) = if self.range == "custom" {
            let end = parse_end(&self.to, &self.to_local).unwrap_or(now);
            let start = parse_end(&self.from, &self.from_local).unwrap_or(end - Duration::days(1));
            (start.min(end), end.max(start))
        } else {
            let span = PRESETS
                .iter()
                .find(|p| p.0 == self.range)
                .map_or(86_400, |p| p.2);
            (now - Duration::seconds(span), now)
        };
        let query = form_urlencoded::Serializer::new(String::new())
            .append_pair(
                "start_date",
                &start.to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
            )
            .append_pair(
                "end_date",
                &end.to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
            )
            .finish();
        (start, end, query)
    }

    fn picker(&self, action: &str) -> Markup {
        let current = if self.range.is_empty() {
            "24h"
        } else {
            self.range.as_str()
        };
        html! {
            form.range method="get" action=(action) data-range {
                label { "Range"
                    select name="range" {
                        @for (value, label, _) in PRESETS {
                            option value=(value) selected[current == *value] { (label) }
                        }
                        option value="custom" selected[current == "custom"] { "Custom" }
                    }
                }
                label { "From (custom)" input type="datetime-local" name="from_local" value=(self.from_local); }
                label { "To (custom)" input type="datetime-local" name="to_local" value=(self.to_local); }
                input type="hidden" name="from" value="";
                input type="hidden" name="to" value="";
                button type="submit" { "Show" }
            }
        }
    }
}

fn count(v: f64) -> String {
    if v.fract() == 0.0 || v >= 100.0 {
        format!("{v:.0}")
    } else {
        format!("{v:.2}")
    }
}

fn byte_unit(v: f64) -> String {
    bytes(Some(v as i64))
}

fn percent(v: f64) -> String {
    format!("{:.1} %", v * 100.0)
}

fn per_second(v: f64) -> String {
    format!("{} /s", count(v))
}

fn secs(ts: &str) -> i64 {
    DateTime::parse_from_rfc3339(ts).map_or(0, |t| t.timestamp())
}

const NO_HISTORY: &str = "No history in this range yet: the collector's first sample of a new \
     server lands within its collection interval, and charts fill from there.";

fn timeline_charts(t: &ServerTimeline, span: (i64, i64)) -> Markup {
    let pick = |f: fn(&TimelinePoint) -> Option<f64>| {
        t.points
            .iter()
            .map(|p| (secs(&p.ts), f(p)))
            .collect::<Vec<_>>()
    };
    type Figure = fn(&TimelinePoint) -> Option<f64>;
    let by_state: [(&str, Figure); 5] = [
        ("all (by database)", |p| p.sessions),
        ("active", |p| p.active),
        ("idle", |p| p.idle),
        ("idle in transaction", |p| p.idle_in_transaction),
        ("other", |p| p.other),
    ];
    let sessions = by_state.map(|(label, f)| Series {
        label,
        points: pick(f),
    });
    html! {
        div.charts {
            (chart("Sessions by state", count, &sessions, span, NO_HISTORY))
            (chart("Total size", byte_unit, &[Series { label: "all databases", points: pick(|p| p.total_bytes.map(|b| b as f64)) }], span, NO_HISTORY))
            (chart("Commits and rollbacks", per_second, &[
                Series { label: "commits", points: pick(|p| p.commits_per_second) },
                Series { label: "rollbacks", points: pick(|p| p.rollbacks_per_second) },
            ], span, NO_HISTORY))
            (chart("Cache hit ratio", percent, &[Series { label: "hit ratio", points: pick(|p| p.cache_hit_ratio) }], span, NO_HISTORY))
            (chart("Disk free", byte_unit, &[Series { label: "free", points: pick(|p| p.disk_free.map(|b| b as f64)) }], span,
                "No disk figures in this range: they are read over SSH (set the server's SSH access) by the collector."))
        }
    }
}

async fn overview(
    mut v: Visit,
    Path(name): Path<String>,
    Query(range): Query<Range>,
) -> Result<Markup, Leave> {
    let (who, status) = start(&mut v, &name).await?;
    let enc = segment(&name);
    let (t0, t1, query) = range.window();
    let timeline: ServerTimeline = v.get(&format!("/server/{enc}/timeline?{query}")).await?;
    let dbs: ServerDatabases = v.get(&format!("/server/{enc}/databases")).await?;
    let alerts: pgmon_common::api::alerts::AlertList = v.get("/alerts").await?;
    let here = format!("/ui/server/{enc}");
    let body = html! {
        (heading(&status, Tab::Overview))
        (super::alerts::firing(&alerts.alerts, Some(&name)))
        h2 { "History" }
        (range.picker(&here))
        p.muted { "Buckets: " (timeline.aggregation) ", " (time(Some(&timeline.start))) " to " (time(Some(&timeline.end))) }
        (timeline_charts(&timeline, (t0.timestamp(), t1.timestamp())))
        h2 { "Databases" }
        div #databases data-live-part {
            @if let Some(e) = &dbs.error { (notice(false, e)) }
            @if dbs.databases.is_empty() && dbs.error.is_none() { p.empty { "No database to show." } }
            @else {
                div.scroll { table {
                    thead { tr {
                        th scope="col" { "Database" } th.num scope="col" { "Size" } th.num scope="col" { "Sessions" }
                        th.num scope="col" { "Commits" } th.num scope="col" { "Rollbacks" } th.num scope="col" { "Cache hit" }
                        th.num scope="col" { "Deadlocks" } th.num scope="col" { "XID age" }
                    } }
                    tbody { @for d in &dbs.databases { tr {
                        td { a href=(format!("{here}/db/{}", segment(&d.datname))) { (d.datname) } }
                        td.num { (bytes(d.size_bytes)) }
                        td.num { (opt(d.numbackends)) }
                        td.num { (opt(d.xact_commit)) }
                        td.num { (opt(d.xact_rollback)) }
                        td.num { (d.cache_hit_ratio.map_or_else(|| "—".to_owned(), |r| format!("{:.1} %", r * 100.0))) }
                        td.num { (opt(d.deadlocks)) }
                        td.num { (d.frozen_xid_age) }
                    } } }
                } }
            }
        }
    };
    Ok(page(&who, None, &name, 15, body))
}

async fn database(
    mut v: Visit,
    Path((name, db)): Path<(String, String)>,
    Query(range): Query<Range>,
) -> Result<Markup, Leave> {
    let (who, status) = start(&mut v, &name).await?;
    let (enc, dbenc) = (segment(&name), segment(&db));
    let info: DbInfo = v.get(&format!("/server/{enc}/db/{dbenc}")).await?;
    let (t0, t1, query) = range.window();
    let h: DbHistory = v
        .get(&format!("/server/{enc}/db/{dbenc}/stats?{query}"))
        .await?;
    let span = (t0.timestamp(), t1.timestamp());
    let pts = |f: &dyn Fn(&pgmon_common::api::history::DbPoint) -> Option<f64>| {
        h.timeline
            .iter()
            .map(|p| (secs(&p.ts), f(p)))
            .collect::<Vec<_>>()
    };
    // Commits are cumulative: the rate is the change between points.
    let mut commits = Vec::new();
    for pair in h.timeline.windows(2) {
        let (a, b) = (&pair[0], &pair[1]);
        let dt = secs(&b.ts) - secs(&a.ts);
        let rate = match (a.commits, b.commits) {
            (Some(x), Some(y)) if y >= x && dt > 0 => Some((y - x) as f64 / dt as f64),
            _ => None,
        };
        commits.push((secs(&b.ts), rate));
    }
    let body = html! {
        (heading(&status, Tab::Overview))
        h2 { "Database " (db) }
        dl.facts {
            dt { "Size" } dd { (bytes(info.size_mb.map(|m| (m * 1024.0 * 1024.0) as i64))) }
            dt { "Sessions" } dd { (info.connections) }
            dt { "Commits" } dd { (info.commits) }
            dt { "Last sample" } dd { (time(info.last_update.as_deref())) }
        }
        (range.picker(&format!("/ui/server/{enc}/db/{dbenc}")))
        div.charts {
            (chart("Sessions", count, &[Series { label: "sessions", points: pts(&|p| p.connections.map(|c| c as f64)) }], span, NO_HISTORY))
            (chart("Size", byte_unit, &[Series { label: "size", points: pts(&|p| p.size_mb.map(|m| m * 1024.0 * 1024.0)) }], span, NO_HISTORY))
            (chart("Commits", per_second, &[Series { label: "commits", points: commits }], span, NO_HISTORY))
            (chart("Rollbacks per bucket", count, &[Series { label: "rollbacks", points: pts(&|p| p.increases.rollbacks.map(|r| r as f64)) }], span, NO_HISTORY))
            (chart("Cache hit ratio", percent, &[Series { label: "hit ratio", points: pts(&|p| match (p.increases.blks_hit, p.increases.blks_read) {
                (Some(h), Some(r)) if h + r > 0 => Some(h as f64 / (h + r) as f64),
                _ => None,
            }) }], span, NO_HISTORY))
            (chart("Transaction ID age", count, &[Series { label: "age(datfrozenxid)", points: pts(&|p| p.frozen_xid_age.map(|a| a as f64)) }], span, NO_HISTORY))
        }
    };
    Ok(page(&who, None, &format!("{db} on {name}"), 0, body))
}

async fn replication(mut v: Visit, Path(name): Path<String>) -> Result<Markup, Leave> {
    let (who, status) = start(&mut v, &name).await?;
    let r: ServerReplication = v
        .get(&format!("/server/{}/replication", segment(&name)))
        .await?;
    let body = html! {
        (heading(&status, Tab::Replication))
        (super::layout::live_controls(15))
        div #replication data-live-part {
            @if let Some(e) = &r.error { (notice(false, e)) }
            @for f in &r.findings { p.sev-warning { (f.message) } }
            p { "Role: " (match r.in_recovery { Some(true) => "standby", Some(false) => "primary", None => "unknown" }) }
            @if let Some(s) = &r.standby {
                h2 { "This standby" }
                dl.facts {
                    dt { "Receiver" } dd { (opt(s.receiver_status.as_deref())) " from " (opt(s.sender_host.as_deref())) ":" (opt(s.sender_port)) }
                    dt { "Replay lag" } dd { (bytes(s.replay_lag_bytes)) ", " (seconds(s.replay_delay_seconds)) }
                    dt { "Last replay" } dd { (time(s.last_replay_at.as_deref())) }
                    dt { "Replay paused" } dd { (if s.replay_paused { "yes" } else { "no" }) }
                }
            }
            h2 { "Standbys" }
            @if r.senders.is_empty() { p.empty { "No standby streams from this server." } } @else {
                div.scroll { table {
                    thead { tr { th { "Standby" } th { "State" } th { "Sync" } th.num { "Replay lag" } th.num { "Lag time" } th { "Since" } } }
                    tbody { @for s in &r.senders { tr {
                        td { (opt(s.application_name.as_deref())) br; span.muted { (opt(s.client_addr.as_deref())) " pid " (s.pid) } }
                        td { (opt(s.state.as_deref())) } td { (opt(s.sync_state.as_deref())) }
                        td.num { (bytes(s.replay_lag_bytes)) } td.num { (seconds(s.replay_lag_seconds)) }
                        td { (time(s.backend_start.as_deref())) }
                    } } }
                } }
            }
            h2 { "Replication slots" }
            @if r.slots.is_empty() { p.empty { "No replication slot." } } @else {
                div.scroll { table {
                    thead { tr { th { "Slot" } th { "Type" } th { "Active" } th.num { "WAL retained" } th { "WAL status" } } }
                    tbody { @for s in &r.slots { tr {
                        td { (s.slot_name) } td { (opt(s.slot_type.as_deref())) }
                        td class=(if s.active { "status-ok" } else { "status-bad" }) { (if s.active { "active" } else { "inactive" }) }
                        td.num { (bytes(s.retained_bytes)) } td { (opt(s.wal_status.as_deref())) }
                    } } }
                } }
            }
        }
    };
    Ok(page(&who, None, &format!("{name}: replication"), 15, body))
}

#[derive(Deserialize, Default)]
pub struct Order {
    #[serde(default)]
    order: String,
}

async fn statements(
    mut v: Visit,
    Path(name): Path<String>,
    Query(o): Query<Order>,
) -> Result<Markup, Leave> {
    let (who, status) = start(&mut v, &name).await?;
    let orders = [
        ("total_time", "Total time"),
        ("calls", "Calls"),
        ("mean_time", "Mean time"),
    ];
    let order = orders
        .iter()
        .find(|x| x.0 == o.order)
        .map_or("total_time", |x| x.0);
    let s: ServerStatements = v
        .get(&format!(
            "/server/{}/statements?order={order}&limit=50",
            segment(&name)
        ))
        .await?;
    let body = html! {
        (heading(&status, Tab::Statements))
        form.filters method="get" {
            label { "Order by" select name="order" {
                @for (value, label) in &orders { option value=(value) selected[*value == order] { (label) } }
            } }
            button type="submit" { "Show" }
        }
        @if let Some(e) = &s.error { (notice(false, e)) }
        @if let Some(h) = &s.hint { p.muted { (h) } }
        p.muted { "Between the two newest snapshots" @if let Some(i) = s.interval_seconds { " (" (seconds(Some(i))) ")" } ", taken " (time(s.taken_at.as_deref())) }
        @if s.statements.is_empty() && s.error.is_none() { p.empty { "No statement ran between the two newest snapshots." } }
        @else { div.scroll { table {
            thead { tr { th { "Query" } th { "User / database" } th.num { "Calls" } th.num { "Total ms" } th.num { "Mean ms" } th.num { "Rows" } } }
            tbody { @for st in &s.statements { tr {
                td { (long_text(st.query.as_deref(), 160, None)) }
                td { (opt(st.usename.as_deref())) " / " (opt(st.datname.as_deref())) }
                td.num { (st.calls) } td.num { (format!("{:.1}", st.total_time_ms)) }
                td.num { (st.mean_time_ms.map_or_else(|| "—".to_owned(), |m| format!("{m:.2}"))) }
                td.num { (st.rows) }
            } } }
        } } }
    };
    Ok(page(&who, None, &format!("{name}: statements"), 0, body))
}

async fn checks(mut v: Visit, Path(name): Path<String>) -> Result<Markup, Leave> {
    let (who, status) = start(&mut v, &name).await?;
    let c: ServerChecks = v.get(&format!("/server/{}/checks", segment(&name))).await?;
    let body = html! {
        (heading(&status, Tab::Checks))
        p.muted { "Last run " (time(c.ran_at.as_deref())) @if let Some(ms) = c.duration_ms { " in " (ms) " ms" } }
        @if who.role >= Role::Operator {
            form method="post" {
                (csrf_field(&who.csrf))
                button type="submit" { "Run the checks now" }
            }
        }
        @for e in &c.errors { (notice(false, &format!("{} on {}: {}", e.check, e.database.as_deref().unwrap_or("the server"), e.message))) }
        @if c.ran_at.is_none() { p.empty { "The checks have not run on this server yet: they run within minutes of its first sample, then every checks interval (Settings)." } }
        @else if c.checks.is_empty() { p.empty { "No open finding." } }
        @else { div.scroll { table {
            thead { tr { th { "Severity" } th { "Kind" } th { "Database" } th { "Object" } th { "Fix" } th { "Since" } } }
            tbody { @for f in &c.checks { tr {
                td class=(format!("sev-{}", f.severity.as_str())) { (f.severity.as_str()) }
                td { (format!("{:?}", f.kind)) }
                td { (opt(f.database.as_deref())) }
                td { (f.object) }
                td { code.query { (f.fix) } }
                td { (time(Some(&f.first_seen))) }
            } } }
        } } }
    };
    Ok(page(&who, None, &format!("{name}: findings"), 0, body))
}

async fn run_checks(
    mut v: Visit,
    Path(name): Path<String>,
    axum::Form(f): axum::Form<super::sign_in::Csrf>,
) -> Result<Response, Leave> {
    v.check(&f.csrf)?;
    let path = format!("/server/{}/checks", segment(&name));
    let a = v.call(Method::POST, &path, None).await?;
    a.success()?;
    Ok(see_other(&format!("/ui{path}")))
}

async fn analysis(mut v: Visit, Path(name): Path<String>) -> Result<Markup, Leave> {
    let (who, status) = start(&mut v, &name).await?;
    let a: ServerAnalysis = v
        .get(&format!("/server/{}/analysis", segment(&name)))
        .await?;
    let body = html! {
        (heading(&status, Tab::Analysis))
        p.muted { "From pgmon's history, " (time(Some(&a.generated_at))) }
        h2 { "Findings" }
        @if a.findings.is_empty() { p.empty { "Nothing stands out." } }
        @else { ul { @for f in &a.findings { li { strong { (f.datname) } ": " (f.detail) } } } }
        h2 { "Databases" }
        div.scroll { table {
            thead { tr { th { "Database" } th.num { "Size" } th.num { "Sessions" } th.num { "Growth / day" } th.num { "XID age" } th { "Last connection" } } }
            tbody { @for d in &a.databases { tr {
                td { (d.datname) }
                td.num { (bytes(d.size_mb.map(|m| (m * 1024.0 * 1024.0) as i64))) }
                td.num { (opt(d.connections)) }
                td.num { (d.growth_mb_per_day.map_or_else(|| "—".to_owned(), |g| format!("{g:.1} MiB"))) }
                td.num { (opt(d.frozen_age)) }
                td { (time(d.last_connection.as_deref())) }
            } } }
        } }
    };
    Ok(page(&who, None, &format!("{name}: analysis"), 0, body))
}
