//! The one printer of every command: the API's JSON for scripts, or a table for people. Tables
//! show times as dates, durations and sizes in units, and background sessions by that name;
//! JSON keeps the API's raw values.

use std::io::{self, Write};

use comfy_table::{ContentArrangement, Table, presets};
use serde::Serialize;
use serde_json::Value;

use crate::cli::OutputFormat;

/// A list column: its header and the JSON field it shows.
pub struct Column {
    pub header: &'static str,
    pub field: &'static str,
}

pub const fn col(header: &'static str, field: &'static str) -> Column {
    Column { header, field }
}

pub struct Printer {
    pub format: OutputFormat,
}

impl Printer {
    pub fn is_json(&self) -> bool {
        self.format == OutputFormat::Json
    }

    /// A list: one row per item with the given columns.
    pub fn list<T: Serialize>(&self, items: &[T], columns: &[Column]) -> io::Result<()> {
        let values: Vec<Value> = items.iter().map(to_value).collect();
        if self.format == OutputFormat::Json {
            return write_json(&Value::Array(values));
        }
        let mut table = new_table();
        table.set_header(columns.iter().map(|c| c.header));
        for v in &values {
            table.add_row(columns.iter().map(|c| human(c.field, &v[c.field])));
        }
        write_line(&table.to_string())
    }

    /// One object: a field/value table.
    pub fn record<T: Serialize>(&self, item: &T) -> io::Result<()> {
        let value = to_value(item);
        if self.format == OutputFormat::Json {
            return write_json(&value);
        }
        let mut table = new_table();
        if let Value::Object(map) = &value {
            for (k, v) in map {
                table.add_row([&*safe(k), &human(k, v)]);
            }
        }
        write_line(&table.to_string())
    }

    /// A line of text for people (escaped by the caller).
    pub fn line(&self, text: &str) -> io::Result<()> {
        write_line(text)
    }

    /// A confirmation such as `{"message": "..."}`: the text alone in table mode.
    pub fn message<T: Serialize>(&self, item: &T) -> io::Result<()> {
        let value = to_value(item);
        match (&self.format, value.get("message").and_then(Value::as_str)) {
            (OutputFormat::Table, Some(text)) => write_line(&safe(text)),
            _ => write_json(&value),
        }
    }
}

fn to_value<T: Serialize>(item: &T) -> Value {
    serde_json::to_value(item).unwrap_or(Value::Null)
}

fn new_table() -> Table {
    let mut t = Table::new();
    t.load_style(presets::UTF8_FULL_CONDENSED)
        .set_content_arrangement(ContentArrangement::Dynamic);
    t
}

/// How field `field` reads in a table cell.
fn human(field: &str, v: &Value) -> String {
    match (field, v) {
        ("timestamp", Value::Number(n)) => n
            .as_f64()
            .and_then(|t| chrono::DateTime::from_timestamp(t as i64, 0))
            .map(|t| t.format("%Y-%m-%d %H:%M:%S UTC").to_string())
            .unwrap_or_else(|| n.to_string()),
        ("uptime_hours", Value::Number(n)) => n.as_f64().map(uptime).unwrap_or_default(),
        ("free_space" | "total_space", Value::Number(n)) => {
            n.as_f64().map(human_bytes).unwrap_or_default()
        }
        // PostgreSQL's background processes have no state; the API counts them as "None".
        ("connections", Value::Object(map)) => map
            .iter()
            .map(|(k, v)| {
                let k = if k == "None" { "background" } else { k };
                format!("{k}={}", cell(v))
            })
            .collect::<Vec<_>>()
            .join(", "),
        _ => cell(v),
    }
}

/// Hours as `2d 3h`, or `5.2h` under a day.
pub fn uptime(hours: f64) -> String {
    let days = (hours / 24.0).floor();
    if days >= 1.0 {
        format!("{days}d {:.0}h", hours - days * 24.0)
    } else {
        format!("{hours:.1}h")
    }
}

pub use pgmon_common::units::human_bytes;

/// `text` as it may reach a terminal: control characters (C0, DEL, C1: escape sequences,
/// newlines that would break a row) and the bidirectional overrides that reorder what is
/// shown are written as escapes (`\n`, `\u{1b}`). Names and queries come from anyone who can
/// reach a monitored database or the API; `--output json` is left as the API sends it.
pub fn safe(text: &str) -> std::borrow::Cow<'_, str> {
    let hostile =
        |c: char| c.is_control() || matches!(c, '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}');
    if !text.chars().any(hostile) {
        return std::borrow::Cow::Borrowed(text);
    }
    let mut out = String::with_capacity(text.len() + 8);
    for c in text.chars() {
        match c {
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            c if hostile(c) => out.push_str(&format!("\\u{{{:x}}}", u32::from(c))),
            c => out.push(c),
        }
    }
    std::borrow::Cow::Owned(out)
}

/// How a JSON value reads in a table cell.
fn cell(v: &Value) -> String {
    match v {
        Value::Null => "-".into(),
        Value::Bool(true) => "yes".into(),
        Value::Bool(false) => "no".into(),
        Value::String(s) => safe(s).into_owned(),
        Value::Number(n) => n.to_string(),
        Value::Array(items) => items.iter().map(cell).collect::<Vec<_>>().join(", "),
        Value::Object(map) => map
            .iter()
            .map(|(k, v)| format!("{}={}", safe(k), cell(v)))
            .collect::<Vec<_>>()
            .join(", "),
    }
}

fn write_json(value: &Value) -> io::Result<()> {
    let text = serde_json::to_string_pretty(value).map_err(io::Error::other)?;
    write_line(&text)
}

fn write_line(text: &str) -> io::Result<()> {
    let mut out = io::stdout().lock();
    writeln!(out, "{text}")?;
    out.flush()
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    /// Escapes, newlines, bidirectional overrides become visible escapes; plain text and
    /// other languages pass as they are.
    fn hostile_text_is_escaped() {
        assert_eq!(safe("app_main"), "app_main");
        assert_eq!(safe("база данных"), "база данных");
        assert_eq!(safe("a\nb\"c\u{1b}[31mred"), "a\\nb\"c\\u{1b}[31mred");
        assert_eq!(safe("x\u{202e}y\u{9b}"), "x\\u{202e}y\\u{9b}");
        assert_eq!(cell(&json!("db\tname")), "db\\tname");
    }

    #[test]
    /// Times, durations, sizes and background sessions read at a glance; other values as
    /// they are, null as `-`.
    fn human_cells() {
        assert_eq!(
            human("timestamp", &json!(1764345600.5)),
            "2025-11-28 16:00:00 UTC"
        );
        assert_eq!(human("uptime_hours", &json!(50.0)), "2d 2h");
        assert_eq!(uptime(5.25), "5.2h");
        assert_eq!(human("free_space", &json!(53687091200u64)), "50.0 GiB");
        assert_eq!(human_bytes(512.0), "512 B");
        assert_eq!(human_bytes(1536.0), "1.5 KiB");
        assert_eq!(
            human("connections", &json!({"None": 5, "active": 1})),
            "background=5, active=1"
        );
        assert_eq!(human("ssh", &Value::Null), "-");
    }
}
