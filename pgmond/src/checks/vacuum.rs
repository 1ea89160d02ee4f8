//! Vacuum and analyze falling behind (dead rows, rows changed since the last analyze), and
//! relations nearest the forced anti-wraparound vacuum: the age of `relfrozenxid` and
//! `relminmxid` against the freeze limits in force for the table (its own storage parameter
//! where lower, as autovacuum takes it).

use pgmon_common::api::checks::{CheckKind, CheckSeverity};
use serde_json::json;
use tokio_postgres::Client;

use super::{
    FamilyOutcome, Found, NOT_EXTENSION, Thresholds, USER_SCHEMA, figures, percent, reloption,
};
use crate::history::window::iso;

fn tables_sql() -> String {
    // A table's own limit counts only where lower, as autovacuum takes it.
    let option = |name: &str| {
        let global = format!("current_setting('{name}')::int8");
        format!("least({}, {global})", reloption("c", name, &global))
    };
    format!(
        "SELECT quote_ident(n.nspname) || '.' || quote_ident(c.relname),
                coalesce(s.n_live_tup, 0), coalesce(s.n_dead_tup, 0),
                coalesce(s.n_mod_since_analyze, 0),
                greatest(s.last_vacuum, s.last_autovacuum),
                greatest(s.last_analyze, s.last_autoanalyze),
                age(c.relfrozenxid)::int8, mxid_age(c.relminmxid)::int8,
                {}, {}
         FROM pg_class c
         JOIN pg_namespace n ON n.oid = c.relnamespace
         LEFT JOIN pg_stat_user_tables s ON s.relid = c.oid
         WHERE c.relkind IN ('r', 'm') AND {USER_SCHEMA} AND {NOT_EXTENSION}",
        option("autovacuum_freeze_max_age"),
        option("autovacuum_multixact_freeze_max_age"),
    )
}

pub async fn run(c: &Client, t: &Thresholds) -> Result<FamilyOutcome, tokio_postgres::Error> {
    type Time = Option<chrono::DateTime<chrono::Utc>>;
    let mut out = FamilyOutcome::default();
    for r in c.query(&tables_sql(), &[]).await? {
        let (name, live, dead, changed): (String, i64, i64, i64) =
            (r.get(0), r.get(1), r.get(2), r.get(3));
        let (vacuumed, analyzed): (Time, Time) = (r.get(4), r.get(5));
        let (xid_age, mxid_age, xid_max, mxid_max): (i64, i64, i64, i64) =
            (r.get(6), r.get(7), r.get(8), r.get(9));
        let many = |rows: i64| {
            rows as u64 >= t.vacuum_rows
                && percent(rows as f64, live.max(1) as f64) >= t.vacuum_percent as f64
        };
        let (vacuum, analyze) = (many(dead), many(changed));
        if vacuum || analyze {
            let fix = match (vacuum, analyze) {
                (true, _) => format!("VACUUM (ANALYZE, VERBOSE) {name};"),
                _ => format!("ANALYZE (VERBOSE) {name};"),
            };
            out.found.push(Found {
                kind: CheckKind::VacuumOverdue,
                severity: CheckSeverity::Warning,
                object: name.clone(),
                figures: figures([
                    ("n_live_tup", json!(live)),
                    ("n_dead_tup", json!(dead)),
                    ("n_mod_since_analyze", json!(changed)),
                    ("last_vacuum", json!(iso(vacuumed))),
                    ("last_analyze", json!(iso(analyzed))),
                    (
                        "reason",
                        json!(if vacuum {
                            "dead rows"
                        } else {
                            "changes since analyze"
                        }),
                    ),
                ]),
                fix: format!(
                    "-- Then see why autovacuum falls behind on it (autovacuum_enabled, long \
                     transactions, cost limits).\n{fix}"
                ),
            });
        }
        let xid_share = percent(xid_age as f64, xid_max as f64);
        let mxid_share = percent(mxid_age as f64, mxid_max as f64);
        let share = xid_share.max(mxid_share);
        if share >= t.wraparound_percent as f64 {
            out.found.push(Found {
                kind: CheckKind::Wraparound,
                severity: if share >= 90.0 {
                    CheckSeverity::Critical
                } else {
                    CheckSeverity::Warning
                },
                object: name.clone(),
                figures: figures([
                    ("xid_age", json!(xid_age)),
                    ("autovacuum_freeze_max_age", json!(xid_max)),
                    ("xid_percent", json!(xid_share)),
                    ("mxid_age", json!(mxid_age)),
                    ("autovacuum_multixact_freeze_max_age", json!(mxid_max)),
                    ("mxid_percent", json!(mxid_share)),
                ]),
                fix: format!(
                    "-- Freezes it now rather than in a forced anti-wraparound vacuum; a long \
                     transaction or a stale replication slot can hold it back.\n\
                     VACUUM (FREEZE, VERBOSE) {name};"
                ),
            });
        }
    }
    Ok(out)
}
