//! `pgmonctl metrics`: the daemon's `/metrics` as a table (series, labels, value), or as JSON
//! records, for people without Prometheus.

use std::collections::BTreeMap;

use serde::Serialize;

use crate::backend::Backend;
use crate::error::CliError;
use crate::output::{Column, Printer, col};

const COLUMNS: &[Column] = &[
    col("SERIES", "series"),
    col("LABELS", "labels"),
    col("VALUE", "value"),
];

#[derive(Debug, PartialEq, Serialize)]
struct Sample {
    series: String,
    labels: BTreeMap<String, String>,
    value: String,
}

pub async fn run(b: &impl Backend, filter: Option<&str>, out: &Printer) -> Result<(), CliError> {
    let text = b.metrics().await?;
    let mut samples: Vec<Sample> = text
        .lines()
        .filter_map(parse)
        .filter(|s| filter.is_none_or(|f| matches(&s.series, f)))
        .collect();
    // The fleet first: pgmond's own HTTP counters are what a DBA looks at last.
    samples.sort_by_key(|s| s.series.starts_with("pgmon_http_"));
    if out.is_json() {
        return Ok(out.record(&samples)?);
    }
    let rows: Vec<serde_json::Value> = samples
        .iter()
        .map(|s| {
            let labels: Vec<String> = s.labels.iter().map(|(k, v)| format!("{k}={v}")).collect();
            serde_json::json!({"series": s.series, "labels": labels.join(" "), "value": s.value})
        })
        .collect();
    Ok(out.list(&rows, COLUMNS)?)
}

/// Whether `filter` names `series` by whole `_`-separated words: `up` is `pgmon_up`, not
/// `pgmon_db_tup_inserted`; `replication` is every replication series.
fn matches(series: &str, filter: &str) -> bool {
    format!("_{series}_").contains(&format!("_{}_", filter.trim_matches('_')))
}

/// One sample line of the text format: `name{a="x",b="y"} value`; comments give none.
fn parse(line: &str) -> Option<Sample> {
    if line.starts_with('#') || line.trim().is_empty() {
        return None;
    }
    let name_end = line.find(['{', ' '])?;
    let series = line[..name_end].to_owned();
    let mut labels = BTreeMap::new();
    let mut rest = &line[name_end..];
    if let Some(body) = rest.strip_prefix('{') {
        let (mut key, mut value, mut in_value, mut escaped) =
            (String::new(), String::new(), false, false);
        let mut end = None;
        for (i, c) in body.char_indices() {
            match (in_value, escaped, c) {
                (true, true, c) => {
                    value.push(if c == 'n' { '\n' } else { c });
                    escaped = false;
                }
                (true, false, '\\') => escaped = true,
                (true, false, '"') => {
                    labels.insert(std::mem::take(&mut key), std::mem::take(&mut value));
                    in_value = false;
                }
                (true, false, c) => value.push(c),
                (false, _, '"') => in_value = true,
                (false, _, '}') => {
                    end = Some(i);
                    break;
                }
                (false, _, '=' | ',') => {}
                (false, _, c) => key.push(c),
            }
        }
        rest = &body[end? + 1..];
    }
    let value = rest.split_whitespace().next()?.to_owned();
    Some(Sample {
        series,
        labels,
        value,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    /// `--match` takes whole words of the name.
    fn filters_match_whole_words() {
        assert!(matches("pgmon_up", "up"));
        assert!(!matches("pgmon_db_tup_inserted", "up"));
        assert!(matches("pgmon_replication_replay_lag_bytes", "replication"));
        assert!(matches("pgmon_replication_replay_lag_bytes", "replay_lag"));
        assert!(matches("pgmon_up", "pgmon_up"));
    }

    #[test]
    fn samples_are_read_with_escaped_labels() {
        let s =
            parse(r#"pgmon_database_size_bytes{server="a",datname="we\"ird\\db"} 8192"#).unwrap();
        assert_eq!(s.series, "pgmon_database_size_bytes");
        assert_eq!(s.labels["datname"], r#"we"ird\db"#);
        assert_eq!(s.labels["server"], "a");
        assert_eq!(s.value, "8192");
        let plain = parse("pgmon_servers 3").unwrap();
        assert!(plain.labels.is_empty());
        assert_eq!(plain.value, "3");
        assert_eq!(parse("# HELP pgmon_up x"), None);
        assert_eq!(parse(""), None);
    }
}
