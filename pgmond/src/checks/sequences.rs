//! Sequences, and the serial or identity columns they feed, past a share of their range: the
//! range is the sequence's own, or the column's type where that is narrower (a `bigint`
//! sequence feeding an `integer` column fails at the column's limit).

use pgmon_common::api::checks::{CheckKind, CheckSeverity};
use serde_json::json;
use tokio_postgres::Client;

use super::{FamilyOutcome, Found, NOT_EXTENSION, Thresholds, USER_SCHEMA, figures, percent};

fn sequences_sql() -> String {
    format!(
        "SELECT quote_ident(n.nspname) || '.' || quote_ident(c.relname),
                format_type(q.seqtypid, NULL), q.seqmin, q.seqmax, q.seqincrement,
                has_sequence_privilege(c.oid, 'SELECT,USAGE'),
                CASE WHEN has_sequence_privilege(c.oid, 'SELECT,USAGE')
                     THEN pg_sequence_last_value(c.oid) END,
                col.name, col.type
         FROM pg_sequence q
         JOIN pg_class c ON c.oid = q.seqrelid
         JOIN pg_namespace n ON n.oid = c.relnamespace
         LEFT JOIN LATERAL (
             SELECT quote_ident(tn.nspname) || '.' || quote_ident(t.relname) || '.'
                        || quote_ident(a.attname) AS name,
                    format_type(a.atttypid, NULL) AS type
             FROM pg_depend d
             JOIN pg_class t ON t.oid = d.refobjid
             JOIN pg_namespace tn ON tn.oid = t.relnamespace
             JOIN pg_attribute a ON a.attrelid = t.oid AND a.attnum = d.refobjsubid
             WHERE d.classid = 'pg_class'::regclass AND d.objid = c.oid
               AND d.refclassid = 'pg_class'::regclass AND d.deptype IN ('a', 'i')
             LIMIT 1) col ON true
         WHERE {USER_SCHEMA} AND {NOT_EXTENSION}"
    )
}

/// The largest value of an integer type, as `format_type` names it.
fn type_max(name: &str) -> Option<i64> {
    match name {
        "smallint" => Some(i16::MAX.into()),
        "integer" => Some(i32::MAX.into()),
        "bigint" => Some(i64::MAX),
        _ => None,
    }
}

pub async fn run(c: &Client, t: &Thresholds) -> Result<FamilyOutcome, tokio_postgres::Error> {
    let mut out = FamilyOutcome::default();
    let mut hidden = 0;
    for r in c.query(&sequences_sql(), &[]).await? {
        let (name, seq_type, min, max, step): (String, String, i64, i64, i64) =
            (r.get(0), r.get(1), r.get(2), r.get(3), r.get(4));
        let (readable, last): (bool, Option<i64>) = (r.get(5), r.get(6));
        let (column, column_type): (Option<String>, Option<String>) = (r.get(7), r.get(8));
        if !readable {
            hidden += 1;
            continue;
        }
        // Never called: nothing used yet.
        let Some(last) = last else { continue };
        let column_max = column_type.as_deref().and_then(type_max);
        let (used, range, limit) = if step > 0 {
            let limit = column_max.map_or(max, |m| m.min(max));
            (
                (i128::from(last) - i128::from(min)) as f64,
                (i128::from(limit) - i128::from(min)) as f64,
                limit,
            )
        } else {
            let limit = column_max.map_or(min, |m| (-m).max(min));
            (
                (i128::from(max) - i128::from(last)) as f64,
                (i128::from(max) - i128::from(limit)) as f64,
                limit,
            )
        };
        let share = percent(used, range);
        if share < t.sequence_percent as f64 {
            continue;
        }
        let severity = if share >= 90.0 {
            CheckSeverity::Critical
        } else {
            CheckSeverity::Warning
        };
        let mut figures = figures([
            ("last_value", json!(last)),
            ("limit", json!(limit)),
            ("used_percent", json!(share)),
            ("sequence_type", json!(seq_type)),
        ]);
        if let (Some(col), Some(ty)) = (&column, &column_type) {
            figures.insert("column".into(), json!(col));
            figures.insert("column_type".into(), json!(ty));
        }
        let fix = match (&column, column_type.as_deref()) {
            (Some(col), Some("smallint" | "integer")) => {
                let (table, col_name) = col.rsplit_once('.').unwrap_or((col, col));
                format!(
                    "-- Rewrites {table} under an exclusive lock; plan it:\n\
                     ALTER TABLE {table} ALTER COLUMN {col_name} TYPE bigint;\n\
                     ALTER SEQUENCE {name} AS bigint;"
                )
            }
            _ if seq_type != "bigint" => format!("ALTER SEQUENCE {name} AS bigint;"),
            _ => format!("ALTER SEQUENCE {name} MAXVALUE 9223372036854775807;"),
        };
        out.found.push(Found {
            kind: CheckKind::SequenceExhaustion,
            severity,
            object: name,
            figures,
            fix,
        });
    }
    if hidden > 0 {
        out.skipped.push(format!(
            "{hidden} sequences not read: the role has neither USAGE nor SELECT on them"
        ));
    }
    Ok(out)
}
