//! The rules: what each looks at in a server's newest sample (and its health-check findings),
//! its defaults, and the exceptions an admin set (`alert_rules.json`). Evaluation reads memory
//! only: the sample the collector just took, never a monitored server.

use std::collections::BTreeMap;

use pgmon_common::api::alerts::{AlertSeverity, Rule, RuleUpdate};
use pgmon_common::api::checks::{CheckSeverity, ServerChecks};
use pgmon_common::api::settings::Settings;

use crate::collector::LatestSample;

const MIB: f64 = 1024.0 * 1024.0;

/// What pgmon keeps with an alert when it fires.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Evidence {
    /// The error of the failed sample.
    LastError,
    /// The sessions and the blocking tree (read from the server once, when it fires).
    Activity,
    /// The replication view of the sample.
    Replication,
    None,
}

/// A rule's fixed facts.
pub struct Def {
    pub id: &'static str,
    pub description: &'static str,
    pub severity: AlertSeverity,
    pub for_seconds: u64,
    pub unit: &'static str,
    /// Its threshold in `unit` when no rule setting gives one.
    pub threshold: fn(&Settings) -> f64,
    pub evidence: Evidence,
    /// Judged on failed samples (the others keep their state while a server cannot be read).
    pub on_failure: bool,
}

pub const DEFS: &[Def] = &[
    Def {
        id: "server_down",
        description: "The server cannot be reached (connection refused, timed out, shut down) \
                      for `threshold` samples in a row",
        severity: AlertSeverity::Critical,
        for_seconds: 0,
        unit: "samples",
        threshold: |s| s.down_samples as f64,
        evidence: Evidence::LastError,
        on_failure: true,
    },
    Def {
        id: "collection_failing",
        description: "The server answers but sampling it fails (permissions, a query error) for \
                      `threshold` samples in a row",
        severity: AlertSeverity::Warning,
        for_seconds: 0,
        unit: "samples",
        threshold: |s| s.down_samples as f64,
        evidence: Evidence::LastError,
        on_failure: true,
    },
    Def {
        id: "replication_lag_bytes",
        description: "A standby replays this far behind its primary",
        severity: AlertSeverity::Warning,
        for_seconds: 60,
        unit: "MiB",
        threshold: |s| s.replication_lag_mib as f64,
        evidence: Evidence::Replication,
        on_failure: false,
    },
    Def {
        id: "replication_lag_seconds",
        description: "A standby replays this many seconds behind its primary",
        severity: AlertSeverity::Warning,
        for_seconds: 60,
        unit: "seconds",
        threshold: |s| s.replication_lag_seconds as f64,
        evidence: Evidence::Replication,
        on_failure: false,
    },
    Def {
        id: "slot_retaining_wal",
        description: "An inactive replication slot holds back this much WAL",
        severity: AlertSeverity::Warning,
        for_seconds: 300,
        unit: "MiB",
        threshold: |s| s.slot_retained_mib as f64,
        evidence: Evidence::Replication,
        on_failure: false,
    },
    Def {
        id: "wraparound",
        description: "A database's age(datfrozenxid) past this share of autovacuum_freeze_max_age",
        severity: AlertSeverity::Critical,
        for_seconds: 0,
        unit: "percent",
        threshold: |s| s.wraparound_percent as f64,
        evidence: Evidence::None,
        on_failure: false,
    },
    Def {
        id: "long_transaction",
        description: "A transaction open this long",
        severity: AlertSeverity::Warning,
        for_seconds: 0,
        unit: "seconds",
        threshold: |s| s.long_transaction_seconds as f64,
        evidence: Evidence::Activity,
        on_failure: false,
    },
    Def {
        id: "idle_in_transaction",
        description: "A session idle in a transaction this long",
        severity: AlertSeverity::Warning,
        for_seconds: 0,
        unit: "seconds",
        threshold: |s| s.idle_in_transaction_seconds as f64,
        evidence: Evidence::Activity,
        on_failure: false,
    },
    Def {
        id: "long_query",
        description: "A query running this long",
        severity: AlertSeverity::Warning,
        for_seconds: 0,
        unit: "seconds",
        threshold: |s| s.long_query_seconds as f64,
        evidence: Evidence::Activity,
        on_failure: false,
    },
    Def {
        id: "lock_wait",
        description: "A session waiting this long on a lock another holds",
        severity: AlertSeverity::Critical,
        for_seconds: 0,
        unit: "seconds",
        threshold: |s| s.lock_wait_seconds as f64,
        evidence: Evidence::Activity,
        on_failure: false,
    },
    Def {
        id: "connections",
        description: "Client sessions past this share of max_connections",
        severity: AlertSeverity::Warning,
        for_seconds: 120,
        unit: "percent",
        threshold: |s| s.connections_percent as f64,
        evidence: Evidence::Activity,
        on_failure: false,
    },
    Def {
        id: "disk_free",
        description: "The data directory's file system has less than this share free (SSH)",
        severity: AlertSeverity::Critical,
        for_seconds: 0,
        unit: "percent",
        threshold: |s| s.disk_free_percent as f64,
        evidence: Evidence::None,
        on_failure: false,
    },
    Def {
        id: "certificate_expiry",
        description: "The server's TLS certificate (as pgmon's last handshake saw it) expires \
                      within this many days",
        severity: AlertSeverity::Warning,
        for_seconds: 0,
        unit: "days",
        threshold: |s| s.certificate_days as f64,
        evidence: Evidence::None,
        on_failure: false,
    },
    Def {
        id: "health_finding",
        description: "The health checks found problems of a kind at least this severe \
                      (1 warning, 2 critical)",
        severity: AlertSeverity::Warning,
        for_seconds: 0,
        unit: "severity",
        threshold: |_| 2.0,
        evidence: Evidence::None,
        on_failure: false,
    },
];

pub fn def(id: &str) -> Option<&'static Def> {
    DEFS.iter().find(|d| d.id == id)
}

/// Puts update `u` of a rule over what an admin set before (`c`, as `alert_rules.json` keeps
/// it: the same shape, every field optional); `servers` replaces the exceptions.
pub fn merge(c: &mut RuleUpdate, u: RuleUpdate) {
    c.enabled = u.enabled.or(c.enabled);
    c.severity = u.severity.or(c.severity);
    c.for_seconds = u.for_seconds.or(c.for_seconds);
    c.threshold = u.threshold.or(c.threshold);
    if u.servers.is_some() {
        c.servers = u.servers;
    }
}

/// Every rule's changes, by rule id.
pub type RuleConfigs = BTreeMap<String, RuleUpdate>;

/// Longest `for` an admin may give: a week.
pub const MAX_FOR_SECONDS: u64 = 604_800;

/// Checks an update of rule `id`: the field at fault and why.
pub fn check_update(id: &str, u: &RuleUpdate) -> Result<(), (Vec<String>, String)> {
    let Some(d) = def(id) else {
        return Err((
            vec!["path".into(), "rule".into()],
            format!("no rule {id:?}"),
        ));
    };
    let bad_threshold = |t: f64| !t.is_finite() || t < 0.0 || (d.unit == "percent" && t > 100.0);
    if u.threshold.is_some_and(bad_threshold) {
        return Err((
            vec!["body".into(), "threshold".into()],
            format!("must be a number from 0 (in {}){}", d.unit, percent_note(d)),
        ));
    }
    if u.for_seconds.is_some_and(|f| f > MAX_FOR_SECONDS) {
        return Err((
            vec!["body".into(), "for_seconds".into()],
            format!("must be at most {MAX_FOR_SECONDS}"),
        ));
    }
    for (name, o) in u.servers.iter().flatten() {
        if o.threshold.is_some_and(bad_threshold) {
            return Err((
                vec![
                    "body".into(),
                    "servers".into(),
                    name.clone(),
                    "threshold".into(),
                ],
                format!("must be a number from 0 (in {}){}", d.unit, percent_note(d)),
            ));
        }
    }
    Ok(())
}

fn percent_note(d: &Def) -> &'static str {
    if d.unit == "percent" { " to 100" } else { "" }
}

/// A rule as in force, for `GET /alerts/rules`.
pub fn view(d: &Def, c: Option<&RuleUpdate>, s: &Settings) -> Rule {
    Rule {
        rule: d.id.into(),
        description: d.description.into(),
        enabled: c.and_then(|c| c.enabled).unwrap_or(true),
        severity: c.and_then(|c| c.severity).unwrap_or(d.severity),
        for_seconds: c.and_then(|c| c.for_seconds).unwrap_or(d.for_seconds),
        threshold: Some(c.and_then(|c| c.threshold).unwrap_or((d.threshold)(s))),
        unit: d.unit.into(),
        servers: c.and_then(|c| c.servers.clone()).unwrap_or_default(),
    }
}

/// What a rule found about one thing in one sample.
pub struct Candidate {
    pub rule: &'static Def,
    pub labels: BTreeMap<String, String>,
    pub value: f64,
    pub summary: String,
}

/// Everything the rules look at for one server.
pub struct Subject<'a> {
    pub server: &'a str,
    pub sample: &'a LatestSample,
    pub checks: Option<&'a ServerChecks>,
}

/// The rules for one server: each with its threshold, and whether it is on.
fn in_force<'a>(
    configs: &'a RuleConfigs,
    s: &'a Settings,
    server: &'a str,
) -> impl Iterator<Item = (&'static Def, f64, bool)> + 'a {
    DEFS.iter().map(move |d| {
        let c = configs.get(d.id);
        let o = c.and_then(|c| c.servers.as_ref()?.get(server));
        let enabled = o
            .and_then(|o| o.enabled)
            .or(c.and_then(|c| c.enabled))
            .unwrap_or(true);
        let threshold = o
            .and_then(|o| o.threshold)
            .or(c.and_then(|c| c.threshold))
            .unwrap_or((d.threshold)(s));
        (d, threshold, enabled)
    })
}

fn labels(server: &str, more: &[(&str, &str)]) -> BTreeMap<String, String> {
    let mut l = BTreeMap::from([("server".to_owned(), server.to_owned())]);
    for (k, v) in more {
        l.insert((*k).to_owned(), (*v).to_owned());
    }
    l
}

/// What the rules find in `subject`, and which rules were judged (a rule not judged keeps its
/// alerts as they are).
pub fn evaluate(
    subject: &Subject<'_>,
    configs: &RuleConfigs,
    s: &Settings,
) -> (Vec<Candidate>, Vec<&'static str>) {
    let mut out = Vec::new();
    let mut judged = Vec::new();
    let server = subject.server;
    for (d, threshold, enabled) in in_force(configs, s, server) {
        if !enabled {
            // Switched off: what it had open resolves.
            judged.push(d.id);
            continue;
        }
        let failed = subject.sample.outcome.as_ref().err();
        if failed.is_some() && !d.on_failure {
            continue;
        }
        judged.push(d.id);
        let mut found = |more: &[(&str, &str)], value: f64, summary: String| {
            out.push(Candidate {
                rule: d,
                labels: labels(server, more),
                value,
                summary,
            });
        };
        match (d.id, &subject.sample.outcome) {
            ("server_down" | "collection_failing", Err(error)) => {
                // Fewer failures in a row than the threshold decide nothing: an open alert
                // stays (after a restart the count starts again), only a good sample resolves.
                if (subject.sample.failures_in_row as f64) < threshold.max(1.0) {
                    judged.pop();
                    continue;
                }
                let down = subject.sample.unreachable;
                if down == (d.id == "server_down") {
                    let what = if down { "is down" } else { "cannot be sampled" };
                    found(
                        &[],
                        subject.sample.failures_in_row as f64,
                        format!(
                            "{server} {what}: {error} ({} failed samples in a row)",
                            subject.sample.failures_in_row
                        ),
                    );
                }
            }
            (_, Err(_)) => {}
            (id, Ok(live)) => judge_live(id, threshold, server, live, subject, &mut found),
        }
    }
    (out, judged)
}

fn judge_live(
    id: &str,
    threshold: f64,
    server: &str,
    live: &crate::collector::Live,
    subject: &Subject<'_>,
    found: &mut impl FnMut(&[(&str, &str)], f64, String),
) {
    let r = &live.replication;
    match id {
        "replication_lag_bytes" => {
            for snd in &r.senders {
                let name = standby_name(snd);
                if let Some(b) = snd.replay_lag_bytes.filter(|b| *b as f64 > threshold * MIB) {
                    let mib = b as f64 / MIB;
                    found(
                        &[("standby", &name)],
                        mib,
                        format!("standby {name} of {server} replays {mib:.1} MiB behind"),
                    );
                }
            }
            if let Some(b) = r.standby.as_ref().and_then(|s| s.replay_lag_bytes) {
                let mib = b as f64 / MIB;
                if mib > threshold {
                    found(
                        &[],
                        mib,
                        format!("{server} has {mib:.1} MiB of WAL received but not replayed"),
                    );
                }
            }
        }
        "replication_lag_seconds" => {
            for snd in &r.senders {
                let name = standby_name(snd);
                if let Some(s) = snd.replay_lag_seconds.filter(|s| *s > threshold) {
                    found(
                        &[("standby", &name)],
                        s,
                        format!("standby {name} of {server} replays {s:.0} s behind"),
                    );
                }
            }
            // A standby's delay grows with the clock on an idle primary: only while WAL waits.
            if let Some(st) = r.standby.as_ref().filter(|s| s.replay_lag_bytes > Some(0))
                && let Some(s) = st.replay_delay_seconds.filter(|s| *s > threshold)
            {
                found(
                    &[],
                    s,
                    format!("{server} replays {s:.0} s behind its primary"),
                );
            }
        }
        "slot_retaining_wal" => {
            for slot in r.slots.iter().filter(|s| !s.active) {
                if let Some(b) = slot.retained_bytes.filter(|b| *b as f64 > threshold * MIB) {
                    let mib = b as f64 / MIB;
                    found(
                        &[("slot", &slot.slot_name)],
                        mib,
                        format!(
                            "inactive slot {} on {server} holds back {mib:.1} MiB of WAL",
                            slot.slot_name
                        ),
                    );
                }
            }
        }
        "wraparound" => {
            let max_age = live.observed.freeze_max_age.unwrap_or(200_000_000).max(1) as f64;
            for db in &live.observed.databases {
                if let Some(age) = db.figures.age_max {
                    let pct = age as f64 * 100.0 / max_age;
                    if pct > threshold {
                        found(
                            &[("database", &db.datname)],
                            pct,
                            format!(
                                "database {} on {server} is at xid age {age} ({pct:.0} % of \
                                 autovacuum_freeze_max_age)",
                                db.datname
                            ),
                        );
                    }
                }
            }
        }
        "long_transaction" | "idle_in_transaction" | "long_query" | "lock_wait" => {
            let (age, what) = match id {
                "long_transaction" => (live.ages.transaction, "a transaction open"),
                "idle_in_transaction" => (
                    live.ages.idle_in_transaction,
                    "a session idle in transaction",
                ),
                "long_query" => (live.ages.query, "a query running"),
                _ => (live.ages.lock_wait, "a session waiting on a lock"),
            };
            if let Some(a) = age.filter(|a| *a > threshold) {
                found(&[], a, format!("{server} has {what} for {a:.0} s"));
            }
        }
        "connections" => {
            let c = &live.observed.connections;
            let used = (c.active + c.idle + c.idle_in_transaction + c.other) as f64;
            let max = live.observed.max_connections.max(1) as f64;
            let pct = used * 100.0 / max;
            if pct > threshold {
                found(
                    &[],
                    pct,
                    format!("{server} has {used} client sessions, {pct:.0} % of max_connections"),
                );
            }
        }
        "disk_free" => {
            if let Some((free, total)) = live.observed.disk.filter(|(_, t)| *t > 0) {
                let pct = free as f64 * 100.0 / total as f64;
                if pct < threshold {
                    found(
                        &[],
                        pct,
                        format!("{server}'s data directory has {pct:.1} % free"),
                    );
                }
            }
        }
        "certificate_expiry" => {
            if let Some(t) = live.certificate_expiry {
                let days = (t - subject.sample.at) as f64 / 86_400.0;
                if days < threshold {
                    let at = chrono::DateTime::from_timestamp(t, 0).unwrap_or_default();
                    found(
                        &[],
                        days,
                        format!(
                            "{server}'s TLS certificate expires in {days:.1} days ({})",
                            at.format("%Y-%m-%d %H:%M UTC")
                        ),
                    );
                }
            }
        }
        "health_finding" => {
            let floor = if threshold >= 2.0 {
                CheckSeverity::Critical
            } else {
                CheckSeverity::Warning
            };
            let mut kinds: BTreeMap<&'static str, usize> = BTreeMap::new();
            for f in subject.checks.iter().flat_map(|c| &c.checks) {
                if f.severity >= floor {
                    *kinds.entry(f.kind.as_str()).or_default() += 1;
                }
            }
            for (kind, n) in kinds {
                found(
                    &[("kind", kind)],
                    n as f64,
                    format!("the health checks of {server} found {n} × {kind}"),
                );
            }
        }
        _ => {}
    }
}

fn standby_name(s: &pgmon_common::api::replication::Sender) -> String {
    s.application_name
        .clone()
        .filter(|n| !n.is_empty())
        .or_else(|| s.client_addr.clone())
        .unwrap_or_else(|| format!("pid {}", s.pid))
}
