//! The two exposition formats. `prometheus-client` writes OpenMetrics 1.0; the Prometheus text
//! format 0.0.4 (what a scrape without `Accept: application/openmetrics-text` gets, and what
//! `promtool check metrics` reads) differs from it only in its comment lines, which are
//! rewritten here: a counter's family is named with its `_total` suffix, an info metric is a
//! gauge named `..._info`, and there are no `# UNIT` or `# EOF` lines.

use std::fmt::Write;

use prometheus_client::encoding::{EncodeLabelValue, LabelValueEncoder};

pub const OPENMETRICS: &str = "application/openmetrics-text; version=1.0.0; charset=utf-8";
pub const TEXT: &str = "text/plain; version=0.0.4; charset=utf-8";

/// Whether a scraper that sent `accept` wants OpenMetrics.
pub fn wants_openmetrics(accept: &str) -> bool {
    accept
        .split(',')
        .any(|part| part.trim().starts_with("application/openmetrics-text"))
}

/// OpenMetrics text as Prometheus text 0.0.4. Only comment lines change: the samples between
/// them are copied a family at a time.
pub fn to_text(openmetrics: &str) -> String {
    let mut out = String::with_capacity(openmetrics.len());
    // A family's HELP comes before its TYPE, and its name depends on the type.
    let mut help: Option<&str> = None;
    let mut rest = openmetrics;
    while !rest.is_empty() {
        if !rest.starts_with('#') {
            let samples = rest.find("\n#").map_or(rest.len(), |i| i + 1);
            out.push_str(&rest[..samples]);
            rest = &rest[samples..];
            continue;
        }
        let end = rest.find('\n').map_or(rest.len(), |i| i + 1);
        let line = rest[..end].trim_end_matches('\n');
        rest = &rest[end..];
        if let Some(rest) = line.strip_prefix("# HELP ") {
            help = Some(rest);
        } else if let Some(rest) = line.strip_prefix("# TYPE ") {
            let (name, kind) = rest.rsplit_once(' ').unwrap_or((rest, "untyped"));
            let (name, kind) = match kind {
                "counter" => (format!("{name}_total"), "counter"),
                "info" => (format!("{name}_info"), "gauge"),
                "gauge" | "histogram" | "summary" => (name.to_owned(), kind),
                _ => (name.to_owned(), "untyped"),
            };
            if let Some(text) = help.take() {
                let text = text.split_once(' ').map_or("", |(_, t)| t);
                let _ = writeln!(out, "# HELP {name} {text}");
            }
            let _ = writeln!(out, "# TYPE {name} {kind}");
        }
    }
    out
}

/// A label value, escaped as both formats require (`\`, `"` and newlines); the crate writes
/// values as given, and a database name may hold any of them.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct Escaped<'a>(pub &'a str);

impl EncodeLabelValue for Escaped<'_> {
    fn encode(&self, encoder: &mut LabelValueEncoder) -> Result<(), std::fmt::Error> {
        let mut rest = self.0;
        while let Some(i) = rest.find(['\\', '"', '\n']) {
            encoder.write_str(&rest[..i])?;
            encoder.write_str(match rest.as_bytes()[i] {
                b'\\' => "\\\\",
                b'"' => "\\\"",
                _ => "\\n",
            })?;
            rest = &rest[i + 1..];
        }
        encoder.write_str(rest)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn comment_lines_follow_the_text_format() {
        let om = "# HELP pgmon_up Whether it answered.\n# TYPE pgmon_up gauge\npgmon_up{server=\"a\"} 1\n\
                  # HELP pgmon_database_deadlocks Deadlocks.\n# TYPE pgmon_database_deadlocks counter\n\
                  pgmon_database_deadlocks_total{server=\"a\"} 2\n\
                  # HELP pgmon_database_size Size.\n# TYPE pgmon_database_size_bytes gauge\n\
                  # UNIT pgmon_database_size_bytes bytes\npgmon_database_size_bytes 7\n\
                  # HELP pgmon_build pgmond.\n# TYPE pgmon_build info\npgmon_build_info{version=\"1\"} 1\n# EOF\n";
        let text = to_text(om);
        assert_eq!(
            text,
            "# HELP pgmon_up Whether it answered.\n# TYPE pgmon_up gauge\npgmon_up{server=\"a\"} 1\n\
             # HELP pgmon_database_deadlocks_total Deadlocks.\n# TYPE pgmon_database_deadlocks_total counter\n\
             pgmon_database_deadlocks_total{server=\"a\"} 2\n\
             # HELP pgmon_database_size_bytes Size.\n# TYPE pgmon_database_size_bytes gauge\n\
             pgmon_database_size_bytes 7\n\
             # HELP pgmon_build_info pgmond.\n# TYPE pgmon_build_info gauge\npgmon_build_info{version=\"1\"} 1\n"
        );
        assert!(wants_openmetrics(
            "application/openmetrics-text;version=1.0.0,text/plain;q=0.5"
        ));
        assert!(!wants_openmetrics(
            "text/plain;version=0.0.4;q=0.5,*/*;q=0.1"
        ));
    }
}
