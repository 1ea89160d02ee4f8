//! The one printer of every command: the API's JSON for scripts, or a table for people.

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
            table.add_row(columns.iter().map(|c| cell(&v[c.field])));
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
                table.add_row([k.as_str(), &cell(v)]);
            }
        }
        write_line(&table.to_string())
    }

    /// A confirmation such as `{"message": "..."}`: the text alone in table mode.
    pub fn message<T: Serialize>(&self, item: &T) -> io::Result<()> {
        let value = to_value(item);
        match (&self.format, value.get("message").and_then(Value::as_str)) {
            (OutputFormat::Table, Some(text)) => write_line(text),
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

/// How a JSON value reads in a table cell.
fn cell(v: &Value) -> String {
    match v {
        Value::Null => "-".into(),
        Value::Bool(true) => "yes".into(),
        Value::Bool(false) => "no".into(),
        Value::String(s) => s.clone(),
        Value::Number(n) => n.to_string(),
        Value::Array(items) => items.iter().map(cell).collect::<Vec<_>>().join(", "),
        Value::Object(map) => map
            .iter()
            .map(|(k, v)| format!("{k}={}", cell(v)))
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
