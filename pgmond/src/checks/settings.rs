//! Settings worth a look, as facts: the value and where it comes from. Server-wide ones are
//! read once a run; a table's own `autovacuum_enabled = false` in each database.

use pgmon_common::api::checks::{CheckKind, CheckSeverity};
use serde_json::json;
use tokio_postgres::Client;

use super::{FamilyOutcome, Found, NOT_EXTENSION, USER_SCHEMA, figures};

/// (setting, the value that is a problem, how much, why).
const RISKY: &[(&str, &str, CheckSeverity, &str)] = &[
    (
        "fsync",
        "off",
        CheckSeverity::Critical,
        "a crash can corrupt the cluster",
    ),
    (
        "full_page_writes",
        "off",
        CheckSeverity::Critical,
        "a crash can leave torn pages",
    ),
    (
        "autovacuum",
        "off",
        CheckSeverity::Critical,
        "nothing vacuums or freezes tables but by hand",
    ),
    (
        "track_counts",
        "off",
        CheckSeverity::Critical,
        "autovacuum cannot tell which tables need it",
    ),
    (
        "zero_damaged_pages",
        "on",
        CheckSeverity::Warning,
        "damaged pages are silently emptied",
    ),
    (
        "ignore_checksum_failure",
        "on",
        CheckSeverity::Warning,
        "checksum failures are read past",
    ),
];

/// The server-wide settings, read on any database.
pub async fn server_settings(c: &Client) -> Result<Vec<Found>, tokio_postgres::Error> {
    let names: Vec<&str> = RISKY.iter().map(|r| r.0).collect();
    let rows = c
        .query(
            "SELECT name, setting, source, coalesce(sourcefile, ''), sourceline
             FROM pg_settings WHERE name = ANY ($1)",
            &[&names],
        )
        .await?;
    let mut found = Vec::new();
    for r in rows {
        let (name, value, source, file): (String, String, String, String) =
            (r.get(0), r.get(1), r.get(2), r.get(3));
        let line: Option<i32> = r.get(4);
        let Some((_, bad, severity, why)) = RISKY
            .iter()
            .find(|(n, bad, ..)| *n == name && *bad == value)
        else {
            continue;
        };
        let good = if *bad == "off" { "on" } else { "off" };
        found.push(Found {
            kind: CheckKind::Setting,
            severity: *severity,
            object: name.clone(),
            figures: figures([
                ("value", json!(value)),
                ("source", json!(source)),
                ("sourcefile", json!(file)),
                ("sourceline", json!(line)),
            ]),
            fix: format!(
                "-- {name} = {value}: {why}. Set where it comes from ({source}), or:\n\
                 ALTER SYSTEM SET {name} = {good};\nSELECT pg_reload_conf();"
            ),
        });
    }
    Ok(found)
}

fn tables_sql() -> String {
    format!(
        "SELECT quote_ident(n.nspname) || '.' || quote_ident(c.relname), o
         FROM pg_class c
         JOIN pg_namespace n ON n.oid = c.relnamespace
         CROSS JOIN LATERAL unnest(c.reloptions) o
         WHERE c.relkind IN ('r', 'm') AND o ~* '^autovacuum_enabled=(false|off|no|0)$'
           AND {USER_SCHEMA} AND {NOT_EXTENSION}"
    )
}

/// Tables with autovacuum switched off for them.
pub async fn tables(c: &Client) -> Result<FamilyOutcome, tokio_postgres::Error> {
    let found = c
        .query(&tables_sql(), &[])
        .await?
        .iter()
        .map(|r| {
            let (name, option): (String, String) = (r.get(0), r.get(1));
            Found {
                kind: CheckKind::Setting,
                severity: CheckSeverity::Warning,
                object: name.clone(),
                figures: figures([("value", json!(option)), ("source", json!("table"))]),
                fix: format!(
                    "-- Autovacuum neither vacuums nor analyzes {name} (only the forced \
                     anti-wraparound vacuum still runs).\nALTER TABLE {name} RESET (autovacuum_enabled);"
                ),
            }
        })
        .collect();
    Ok(FamilyOutcome {
        found,
        skipped: Vec::new(),
    })
}
