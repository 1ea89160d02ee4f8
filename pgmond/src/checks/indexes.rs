//! Indexes: unused, duplicate or redundant, invalid, and large tables read mostly by
//! sequential scans (a missing index).

use std::collections::BTreeMap;

use pgmon_common::api::checks::{CheckKind, CheckSeverity};
use serde_json::json;
use tokio_postgres::Client;

use super::{
    FamilyOutcome, Found, NOT_EXTENSION, Thresholds, USER_SCHEMA, figures, key_words, percent,
};
use crate::history::window::iso;

fn indexes_sql() -> String {
    format!(
        "SELECT quote_ident(n.nspname) || '.' || quote_ident(ci.relname),
                quote_ident(n.nspname) || '.' || quote_ident(c.relname),
                i.indexrelid::int8, i.indrelid::int8, i.indisunique, i.indisprimary, i.indisvalid,
                EXISTS (SELECT 1 FROM pg_constraint k WHERE k.conindid = i.indexrelid),
                i.indnkeyatts::int4, i.indnatts::int4,
                i.indkey::text, i.indclass::text, i.indcollation::text, i.indoption::text,
                coalesce(pg_get_expr(i.indexprs, i.indrelid), ''),
                coalesce(pg_get_expr(i.indpred, i.indrelid), ''),
                am.amname::text, pg_relation_size(i.indexrelid), coalesce(s.idx_scan, 0)
         FROM pg_index i
         JOIN pg_class ci ON ci.oid = i.indexrelid
         JOIN pg_class c ON c.oid = i.indrelid
         JOIN pg_namespace n ON n.oid = c.relnamespace
         JOIN pg_am am ON am.oid = ci.relam
         LEFT JOIN pg_stat_user_indexes s ON s.indexrelid = i.indexrelid
         WHERE c.relkind IN ('r', 'm') AND {USER_SCHEMA} AND {NOT_EXTENSION}
         ORDER BY 1"
    )
}

/// Large tables scanned sequentially at least this often are candidates for an index (an
/// index build scans its table once: a few scans say nothing).
const MIN_SEQ_SCANS: i64 = 100;

fn seq_scans_sql() -> String {
    format!(
        "SELECT quote_ident(n.nspname) || '.' || quote_ident(c.relname),
                s.seq_scan, s.seq_tup_read, coalesce(s.idx_scan, 0), s.n_live_tup,
                pg_relation_size(c.oid)
         FROM pg_stat_user_tables s
         JOIN pg_class c ON c.oid = s.relid
         JOIN pg_namespace n ON n.oid = c.relnamespace
         WHERE s.n_live_tup >= $1 AND s.seq_scan >= {MIN_SEQ_SCANS} AND {USER_SCHEMA}
           AND {NOT_EXTENSION}"
    )
}

/// An index as the rules compare it.
struct Index {
    name: String,
    table: String,
    oid: i64,
    table_oid: i64,
    unique: bool,
    primary: bool,
    valid: bool,
    backs_constraint: bool,
    /// Key columns with their operator class, collation and sort option, in order.
    keys: Vec<(String, String, String, String)>,
    has_include: bool,
    expressions: String,
    predicate: String,
    method: String,
    bytes: i64,
    scans: i64,
}

impl Index {
    /// Dropping it loses nothing a constraint or a unique rule needs.
    fn droppable(&self) -> bool {
        !self.unique && !self.primary && !self.backs_constraint
    }
}

pub async fn run(c: &Client, t: &Thresholds) -> Result<FamilyOutcome, tokio_postgres::Error> {
    let reset: Option<chrono::DateTime<chrono::Utc>> = c
        .query_one(
            "SELECT stats_reset FROM pg_stat_database WHERE datname = current_database()",
            &[],
        )
        .await?
        .get(0);
    let list: Vec<Index> = c
        .query(&indexes_sql(), &[])
        .await?
        .iter()
        .map(|r| {
            let nkeys = usize::try_from(r.get::<_, i32>(8)).unwrap_or(0);
            let natts: i32 = r.get(9);
            let cols = key_words(r.get(10), nkeys);
            let classes = key_words(r.get(11), nkeys);
            let collations = key_words(r.get(12), nkeys);
            let options = key_words(r.get(13), nkeys);
            let keys = (0..cols.len())
                .map(|k| {
                    let at = |v: &Vec<String>| v.get(k).cloned().unwrap_or_default();
                    (at(&cols), at(&classes), at(&collations), at(&options))
                })
                .collect();
            Index {
                name: r.get(0),
                table: r.get(1),
                oid: r.get(2),
                table_oid: r.get(3),
                unique: r.get(4),
                primary: r.get(5),
                valid: r.get(6),
                backs_constraint: r.get(7),
                keys,
                has_include: natts != r.get::<_, i32>(8),
                expressions: r.get(14),
                predicate: r.get(15),
                method: r.get(16),
                bytes: r.get(17),
                scans: r.get(18),
            }
        })
        .collect();
    let mut out = FamilyOutcome::default();
    let reset = iso(reset).unwrap_or_default();
    for ix in &list {
        if !ix.valid {
            out.found.push(Found {
                kind: CheckKind::InvalidIndex,
                severity: CheckSeverity::Warning,
                object: ix.name.clone(),
                figures: figures([("table", json!(ix.table)), ("index_bytes", json!(ix.bytes))]),
                fix: format!(
                    "-- A failed CREATE INDEX CONCURRENTLY left it: it costs every write and \
                     serves no read.\nREINDEX INDEX CONCURRENTLY {};",
                    ix.name
                ),
            });
        } else if ix.scans == 0 && ix.droppable() {
            out.found.push(Found {
                kind: CheckKind::UnusedIndex,
                severity: CheckSeverity::Warning,
                object: ix.name.clone(),
                figures: figures([
                    ("table", json!(ix.table)),
                    ("index_bytes", json!(ix.bytes)),
                    ("idx_scan", json!(0)),
                    ("stats_reset", json!(reset)),
                ]),
                fix: format!(
                    "-- No scan since the statistics were reset{}; check standbys too (their \
                     scans are not counted here).\nDROP INDEX CONCURRENTLY {};",
                    if reset.is_empty() {
                        String::new()
                    } else {
                        format!(" ({reset})")
                    },
                    ix.name
                ),
            });
        }
    }
    out.found.extend(duplicates(&list));
    for r in c
        .query(&seq_scans_sql(), &[&(t.missing_index_rows as i64)])
        .await?
    {
        let (table, seq, read, idx, live, bytes): (String, i64, i64, i64, i64, i64) =
            (r.get(0), r.get(1), r.get(2), r.get(3), r.get(4), r.get(5));
        // Mostly sequential, and each scan reads a large table's worth of rows.
        let share = percent(idx as f64, (seq + idx) as f64);
        if share >= 95.0 || (read / seq.max(1)) < t.missing_index_rows as i64 {
            continue;
        }
        out.found.push(Found {
            kind: CheckKind::MissingIndex,
            severity: CheckSeverity::Info,
            object: table.clone(),
            figures: figures([
                ("seq_scan", json!(seq)),
                ("seq_tup_read", json!(read)),
                ("idx_scan", json!(idx)),
                ("index_scan_percent", json!(share)),
                ("n_live_tup", json!(live)),
                ("table_bytes", json!(bytes)),
            ]),
            fix: format!(
                "-- {table} is read by whole-table scans: find the queries that read it \
                 (pg_stat_statements) and index the columns they filter on:\n\
                 -- CREATE INDEX CONCURRENTLY ON {table} (<column>);"
            ),
        });
    }
    Ok(out)
}

/// Indexes with the same key columns (operator classes, collations, order) as another of the
/// same table, or whose columns begin another B-tree's, with the same expressions and
/// predicate. Of two equal ones the droppable one is reported (the newer when both are).
fn duplicates(list: &[Index]) -> Vec<Found> {
    let mut by_table: BTreeMap<i64, Vec<&Index>> = BTreeMap::new();
    for ix in list.iter().filter(|i| i.valid) {
        by_table.entry(ix.table_oid).or_default().push(ix);
    }
    let mut out = Vec::new();
    for group in by_table.values() {
        for a in group {
            let covering = group.iter().find(|b| {
                if a.oid == b.oid
                    || a.method != b.method
                    || a.expressions != b.expressions
                    || a.predicate != b.predicate
                    || a.has_include
                    || !a.droppable()
                    || !b.keys.starts_with(&a.keys)
                {
                    return false;
                }
                let equal = a.keys.len() == b.keys.len();
                // Of two equal droppable ones, only the newer goes.
                let tie = equal && b.droppable() && b.oid > a.oid;
                (equal || a.method == "btree") && !tie
            });
            let Some(b) = covering else { continue };
            let equal = a.keys.len() == b.keys.len();
            out.push(Found {
                kind: CheckKind::DuplicateIndex,
                severity: CheckSeverity::Warning,
                object: a.name.clone(),
                figures: figures([
                    ("table", json!(a.table)),
                    ("covered_by", json!(b.name)),
                    ("index_bytes", json!(a.bytes)),
                    (
                        "reason",
                        json!(if equal {
                            "same columns"
                        } else {
                            "its columns begin the other's"
                        }),
                    ),
                ]),
                fix: format!(
                    "-- {} serves every query {} can.\nDROP INDEX CONCURRENTLY {};",
                    b.name, a.name, a.name
                ),
            });
        }
    }
    out
}
