//! The analysis of a server's databases (`GET /server/{name}/analysis`): the store gathers the
//! facts of each database, and the rules here judge them against the settings' thresholds.
//!
//! Every rule needs history that reaches back its number of days: a database first seen
//! yesterday is neither unused nor static yet. Sessions count only when a sample saw them
//! (pgmon's own left out), so a database used only between samples can look unused: with the
//! default 10-minute interval, that is a database nobody keeps a session on.

use pgmon_common::api::analysis::{
    AnalysisThresholds, DatabaseAnalysis, Finding, FindingKind, ServerAnalysis,
};
use pgmon_common::api::settings::Settings;

use super::answers::MIB;
use super::window::iso_micros;

const DAY: i64 = 86_400;
/// A growth rate is extrapolated only from sizes at least this far apart.
const MIN_GROWTH_SPAN: i64 = 3_600;
/// PostgreSQL's default, until a sample has read the server's.
const DEFAULT_FREEZE_MAX_AGE: i64 = 200_000_000;

/// What the store knows of one existing database; times in seconds since the epoch.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct DbFacts {
    pub datname: String,
    pub since: Option<i64>,
    pub last: Option<i64>,
    pub connections: Option<i64>,
    pub size: Option<i64>,
    pub frozen_age: Option<i64>,
    pub last_connection: Option<i64>,
    /// Within the last `static_days`: at least two samples, with the same commits and size.
    pub unchanged: bool,
    /// The first and the newest sized sample within the last `growth_window_days`, as
    /// (time, bytes).
    pub growth: Option<((i64, i64), (i64, i64))>,
}

/// The windows the store gathers facts over, as the earliest time each starts.
#[derive(Clone, Copy, Debug)]
pub struct FactWindows {
    pub static_from: i64,
    pub growth_from: i64,
}

impl FactWindows {
    pub fn new(now: i64, s: &Settings) -> FactWindows {
        FactWindows {
            static_from: now - days(s.static_days),
            growth_from: now - days(s.growth_window_days),
        }
    }
}

fn days(n: u64) -> i64 {
    i64::try_from(n).unwrap_or(i64::MAX / DAY) * DAY
}

fn iso(t: i64) -> String {
    iso_micros(t * 1_000_000)
}

fn growth_per_day(f: &DbFacts) -> Option<f64> {
    let ((t0, s0), (t1, s1)) = f.growth?;
    (t1 - t0 >= MIN_GROWTH_SPAN).then(|| (s1 - s0) as f64 / MIB / ((t1 - t0) as f64 / DAY as f64))
}

/// The findings on `dbs` at `now`.
pub fn judge(
    server: &str,
    now: i64,
    s: &Settings,
    freeze_max_age: Option<i64>,
    dbs: Vec<DbFacts>,
) -> ServerAnalysis {
    let freeze_max_age = freeze_max_age.unwrap_or(DEFAULT_FREEZE_MAX_AGE);
    let wraparound_age =
        freeze_max_age.saturating_mul(i64::try_from(s.wraparound_percent).unwrap_or(100)) / 100;
    let covers = |f: &DbFacts, n: u64| f.since.is_some_and(|t| t <= now - days(n));
    let mut findings = Vec::new();
    let databases = dbs
        .into_iter()
        .map(|f| {
            let growth = growth_per_day(&f);
            let mut found = |kind: FindingKind, detail: String| {
                findings.push(Finding {
                    datname: f.datname.clone(),
                    kind,
                    detail,
                });
                kind
            };
            let mut flags = Vec::new();
            let idle_since = f.last_connection.or(f.since);
            if covers(&f, s.unused_days)
                && idle_since.is_some_and(|t| t < now - days(s.unused_days))
            {
                flags.push(found(
                    FindingKind::Unused,
                    match f.last_connection {
                        Some(t) => format!(
                            "no client session for {} days (last seen {})",
                            (now - t) / DAY,
                            iso(t)
                        ),
                        None => format!(
                            "no client session in {} days of history",
                            (now - f.since.unwrap_or(now)) / DAY
                        ),
                    },
                ));
            }
            if covers(&f, s.static_days) && f.unchanged {
                flags.push(found(
                    FindingKind::Static,
                    format!("no commit and no size change in {} days", s.static_days),
                ));
            }
            if let Some(g) = growth.filter(|g| *g > s.growth_mb_per_day as f64) {
                flags.push(found(
                    FindingKind::FastGrowing,
                    format!(
                        "grows {g:.1} MiB a day over the last {} days (threshold {})",
                        s.growth_window_days, s.growth_mb_per_day
                    ),
                ));
            }
            if let Some(age) = f.frozen_age.filter(|a| *a > wraparound_age) {
                flags.push(found(
                    FindingKind::NearWraparound,
                    format!(
                        "age(datfrozenxid) {age} is over {}% of autovacuum_freeze_max_age \
                         ({freeze_max_age}); vacuum it before PostgreSQL has to",
                        s.wraparound_percent
                    ),
                ));
            }
            DatabaseAnalysis {
                size_mb: f.size.map(|b| b as f64 / MIB),
                connections: f.connections,
                frozen_age: f.frozen_age,
                history_since: f.since.map(iso),
                last_sample: f.last.map(iso),
                last_connection: f.last_connection.map(iso),
                growth_mb_per_day: growth,
                flags,
                datname: f.datname,
            }
        })
        .collect();
    ServerAnalysis {
        server: server.to_owned(),
        generated_at: iso(now),
        thresholds: AnalysisThresholds {
            unused_days: s.unused_days,
            static_days: s.static_days,
            growth_window_days: s.growth_window_days,
            growth_mb_per_day: s.growth_mb_per_day,
            wraparound_percent: s.wraparound_percent,
        },
        autovacuum_freeze_max_age: freeze_max_age,
        wraparound_age,
        databases,
        findings,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const NOW: i64 = 1_800_000_000;

    fn db(name: &str) -> DbFacts {
        DbFacts {
            datname: name.into(),
            since: Some(NOW - 90 * DAY),
            last: Some(NOW),
            connections: Some(2),
            size: Some(100 << 20),
            frozen_age: Some(1_000),
            last_connection: Some(NOW),
            unchanged: false,
            growth: Some(((NOW - 7 * DAY, 100 << 20), (NOW, 100 << 20))),
        }
    }

    fn kinds(a: &ServerAnalysis, name: &str) -> Vec<FindingKind> {
        a.databases
            .iter()
            .find(|d| d.datname == name)
            .unwrap()
            .flags
            .clone()
    }

    #[test]
    fn a_busy_database_is_not_flagged() {
        let a = judge("s", NOW, &Settings::DEFAULT, None, vec![db("app")]);
        assert!(a.findings.is_empty(), "{:?}", a.findings);
        assert_eq!(a.databases[0].growth_mb_per_day, Some(0.0));
        assert_eq!(a.wraparound_age, 100_000_000);
    }

    #[test]
    fn each_rule_flags_on_its_own_threshold() {
        let s = Settings::DEFAULT;
        let unused = DbFacts {
            last_connection: Some(NOW - 31 * DAY),
            ..db("unused")
        };
        let never = DbFacts {
            last_connection: None,
            ..db("never")
        };
        let recent_unused = DbFacts {
            since: Some(NOW - 2 * DAY),
            last_connection: None,
            unchanged: true,
            ..db("new")
        };
        let quiet = DbFacts {
            unchanged: true,
            ..db("quiet")
        };
        let growing = DbFacts {
            growth: Some(((NOW - 2 * DAY, 0), (NOW, 4 << 30))),
            ..db("growing")
        };
        let too_short = DbFacts {
            growth: Some(((NOW - 60, 0), (NOW, 4 << 30))),
            ..db("short")
        };
        let old = DbFacts {
            frozen_age: Some(60_000),
            ..db("old")
        };
        let a = judge(
            "s",
            NOW,
            &s,
            Some(100_000),
            vec![unused, never, recent_unused, quiet, growing, too_short, old],
        );
        assert_eq!(kinds(&a, "unused"), [FindingKind::Unused]);
        assert_eq!(kinds(&a, "never"), [FindingKind::Unused]);
        assert_eq!(kinds(&a, "new"), [], "two days of history prove nothing");
        assert_eq!(kinds(&a, "quiet"), [FindingKind::Static]);
        assert_eq!(kinds(&a, "growing"), [FindingKind::FastGrowing]);
        assert_eq!(
            a.databases[4].growth_mb_per_day,
            Some(2048.0),
            "4 GiB in 2 days"
        );
        assert_eq!(kinds(&a, "short"), [], "a minute is no rate");
        assert_eq!(kinds(&a, "old"), [FindingKind::NearWraparound]);
        assert_eq!(a.wraparound_age, 50_000);
        assert_eq!(a.findings.len(), 5);
        assert!(
            a.findings[0].detail.contains("31 days"),
            "{:?}",
            a.findings[0]
        );
    }

    #[test]
    fn thresholds_come_from_the_settings() {
        let s = Settings {
            unused_days: 40,
            growth_mb_per_day: 4096,
            wraparound_percent: 90,
            ..Settings::DEFAULT
        };
        let unused = DbFacts {
            last_connection: Some(NOW - 31 * DAY),
            ..db("unused")
        };
        let growing = DbFacts {
            growth: Some(((NOW - 2 * DAY, 0), (NOW, 4 << 30))),
            ..db("growing")
        };
        let old = DbFacts {
            frozen_age: Some(60_000),
            ..db("old")
        };
        let a = judge("s", NOW, &s, Some(100_000), vec![unused, growing, old]);
        assert!(a.findings.is_empty(), "{:?}", a.findings);
        assert_eq!(a.thresholds.unused_days, 40);
    }
}
