//! Table and B-tree index bloat, estimated from `pg_class` (pages and rows as the last
//! VACUUM or ANALYZE counted them) and `pg_stats` (each column's average width and share of
//! NULLs): the pages the rows would fill when packed as PostgreSQL packs them, against the
//! pages there are. pgmon's own estimate; its method and its error against `pgstattuple` are in
//! docs/checks.md.

use std::collections::HashMap;

use pgmon_common::api::checks::{CheckKind, CheckSeverity};
use serde_json::json;
use tokio_postgres::Client;

use super::{
    FamilyOutcome, Found, NOT_EXTENSION, Thresholds, USER_SCHEMA, figures, key_words, percent,
    reloption,
};

/// Every column's statistics the role can see, by table and column number.
const COLUMNS: &str = "
    SELECT c.oid::int8, a.attnum::int4, ((1 - s.null_frac) * s.avg_width)::float8,
           s.null_frac > 0
    FROM pg_stats s
    JOIN pg_namespace n ON n.nspname = s.schemaname
    JOIN pg_class c ON c.relnamespace = n.oid AND c.relname = s.tablename
    JOIN pg_attribute a ON a.attrelid = c.oid AND a.attname = s.attname
    WHERE NOT s.inherited AND n.nspname <> 'information_schema' AND n.nspname !~ '^pg_'";

fn tables_sql() -> String {
    format!(
        "SELECT c.oid::int8, quote_ident(n.nspname) || '.' || quote_ident(c.relname),
                c.relpages::int8, c.reltuples::float8, ({})::int4,
                (SELECT count(*) FROM pg_attribute a
                 WHERE a.attrelid = c.oid AND a.attnum > 0 AND NOT a.attisdropped)::int4,
                has_table_privilege(c.oid, 'SELECT'),
                current_setting('block_size')::int8
         FROM pg_class c
         JOIN pg_namespace n ON n.oid = c.relnamespace
         WHERE c.relkind IN ('r', 'm') AND c.relpages > 0 AND {USER_SCHEMA} AND {NOT_EXTENSION}",
        reloption("c", "fillfactor", "100")
    )
}

fn indexes_sql() -> String {
    format!(
        "SELECT c.oid::int8, quote_ident(n.nspname) || '.' || quote_ident(ci.relname),
                quote_ident(n.nspname) || '.' || quote_ident(c.relname),
                ci.relpages::int8, ci.reltuples::float8, ({})::int4,
                i.indkey::text, i.indnkeyatts::int4
         FROM pg_index i
         JOIN pg_class ci ON ci.oid = i.indexrelid
         JOIN pg_class c ON c.oid = i.indrelid
         JOIN pg_namespace n ON n.oid = c.relnamespace
         JOIN pg_am am ON am.oid = ci.relam
         WHERE am.amname = 'btree' AND i.indisvalid AND i.indexprs IS NULL
           AND ci.relpages > 1 AND c.relkind IN ('r', 'm') AND {USER_SCHEMA} AND {NOT_EXTENSION}",
        reloption("ci", "fillfactor", "90")
    )
}

const MAXALIGN: f64 = 8.0;
const PAGE_HEADER: f64 = 24.0;
const LINE_POINTER: f64 = 4.0;
const TUPLE_HEADER: f64 = 23.0;
const INDEX_TUPLE_HEADER: f64 = 8.0;
/// A B-tree page's special space.
const BTREE_SPECIAL: f64 = 16.0;

fn align(n: f64) -> f64 {
    (n / MAXALIGN).ceil() * MAXALIGN
}

/// The pages `rows` rows of `width` bytes of data each (with a NULL bitmap for `natts`
/// columns when any may be NULL) fill at `fillfactor`.
pub fn table_pages(
    rows: f64,
    width: f64,
    natts: i32,
    nulls: bool,
    fillfactor: i32,
    block: f64,
) -> f64 {
    let bitmap = if nulls {
        (f64::from(natts) / 8.0).ceil()
    } else {
        0.0
    };
    let row = align(TUPLE_HEADER + bitmap) + align(width) + LINE_POINTER;
    let usable = (block - PAGE_HEADER) * f64::from(fillfactor.clamp(10, 100)) / 100.0;
    let per_page = (usable / row).floor().max(1.0);
    (rows / per_page).ceil()
}

/// The pages a B-tree of `rows` entries with keys of `width` bytes fills at `fillfactor`
/// (leaf pages and the metapage; inner pages are about 1 % more and left out).
pub fn btree_pages(rows: f64, width: f64, fillfactor: i32, block: f64) -> f64 {
    let entry = align(INDEX_TUPLE_HEADER + width) + LINE_POINTER;
    let usable =
        (block - PAGE_HEADER - BTREE_SPECIAL) * f64::from(fillfactor.clamp(10, 100)) / 100.0;
    let per_page = (usable / entry).floor().max(1.0);
    (rows / per_page).ceil() + 1.0
}

pub async fn run(c: &Client, t: &Thresholds) -> Result<FamilyOutcome, tokio_postgres::Error> {
    // (width, may be NULL) of each column the role can see.
    let mut columns: HashMap<i64, HashMap<i32, (f64, bool)>> = HashMap::new();
    for r in c.query(COLUMNS, &[]).await? {
        columns
            .entry(r.get(0))
            .or_default()
            .insert(r.get(1), (r.get(2), r.get(3)));
    }
    let mut out = FamilyOutcome::default();
    let (mut hidden, mut block) = (0, 8192.0);
    for r in c.query(&tables_sql(), &[]).await? {
        let (oid, name, pages, rows): (i64, String, i64, f64) =
            (r.get(0), r.get(1), r.get(2), r.get(3));
        let (fillfactor, natts, readable): (i32, i32, bool) = (r.get(4), r.get(5), r.get(6));
        block = r.get::<_, i64>(7) as f64;
        let stats = columns.get(&oid);
        if !readable {
            hidden += 1;
            continue;
        }
        // Never analyzed (or analyzed before columns were added): no estimate.
        let Some(stats) = stats.filter(|s| s.len() == usize::try_from(natts).unwrap_or(0)) else {
            continue;
        };
        if rows < 0.0 {
            continue;
        }
        let width: f64 = stats.values().map(|(w, _)| w).sum();
        let nulls = stats.values().any(|(_, n)| *n);
        let expected = table_pages(rows, width, natts, nulls, fillfactor, block);
        if let Some(found) = judge(
            CheckKind::TableBloat,
            &name,
            None,
            pages,
            expected,
            block,
            t,
        ) {
            out.found.push(found);
        }
    }
    for r in c.query(&indexes_sql(), &[]).await? {
        let (table_oid, name, table, pages, rows): (i64, String, String, i64, f64) =
            (r.get(0), r.get(1), r.get(2), r.get(3), r.get(4));
        let fillfactor: i32 = r.get(5);
        let nkeys = usize::try_from(r.get::<_, i32>(7)).unwrap_or(0);
        let Some(stats) = columns.get(&table_oid) else {
            continue;
        };
        let keys: Vec<i32> = key_words(r.get(6), nkeys)
            .iter()
            .filter_map(|k| k.parse().ok())
            .collect();
        let widths: Option<Vec<f64>> = keys.iter().map(|k| stats.get(k).map(|s| s.0)).collect();
        let Some(widths) = widths.filter(|_| rows >= 0.0) else {
            continue;
        };
        let expected = btree_pages(rows, widths.iter().sum(), fillfactor, block);
        if let Some(found) = judge(
            CheckKind::IndexBloat,
            &name,
            Some(&table),
            pages,
            expected,
            block,
            t,
        ) {
            out.found.push(found);
        }
    }
    if hidden > 0 {
        out.skipped.push(format!(
            "{hidden} tables (and their indexes) not estimated: the role may not read them, so \
             pg_stats hides their statistics (grant SELECT on them, or pg_read_all_data)"
        ));
    }
    Ok(out)
}

/// A finding when the waste passes both thresholds.
fn judge(
    kind: CheckKind,
    name: &str,
    table: Option<&str>,
    pages: i64,
    expected: f64,
    block: f64,
    t: &Thresholds,
) -> Option<Found> {
    let size = pages as f64 * block;
    let waste = (pages as f64 - expected).max(0.0) * block;
    let share = percent(waste, size);
    if share < t.bloat_percent as f64 || waste < t.bloat_min_bytes as f64 {
        return None;
    }
    let fix = match kind {
        CheckKind::TableBloat => format!(
            "-- Rewrites the table under an exclusive lock (pg_repack does it online):\n\
             VACUUM (FULL, ANALYZE, VERBOSE) {name};"
        ),
        _ => format!("REINDEX INDEX CONCURRENTLY {name};"),
    };
    let mut figures = figures([
        ("bytes", json!(size as i64)),
        ("wasted_bytes", json!(waste as i64)),
        ("wasted_percent", json!(share)),
        ("expected_bytes", json!((expected * block) as i64)),
    ]);
    if let Some(table) = table {
        figures.insert("table".into(), json!(table));
    }
    Some(Found {
        kind,
        severity: CheckSeverity::Warning,
        object: name.to_owned(),
        figures,
        fix,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn packed_pages() {
        // 100,000 rows of two int4 columns: 24 + 8 + 4 = 36 bytes a row, 226 a page.
        assert_eq!(table_pages(100_000.0, 8.0, 2, false, 100, 8192.0), 443.0);
        // Half-full pages at fillfactor 50.
        assert_eq!(table_pages(100_000.0, 8.0, 2, false, 50, 8192.0), 885.0);
        // An int4 key: 16 + 4 bytes an entry, 366 a leaf page at 90 %, plus the metapage.
        assert_eq!(btree_pages(100_000.0, 4.0, 90, 8192.0), 275.0);
    }
}
