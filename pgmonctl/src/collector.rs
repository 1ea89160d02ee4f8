//! `pgmonctl settings` and `pgmonctl collector`: the built-in collector's schedule and state.

use pgmon_common::api::settings::LIMITS;
use serde_json::{Value, json};

use crate::backend::Backend;
use crate::cli::{CollectorCommand, SettingsCommand};
use crate::error::CliError;
use crate::output::{Column, Printer, col};

const STATUS_COLUMNS: &[Column] = &[
    col("SERVER", "name"),
    col("EVERY", "interval"),
    col("LAST SAMPLE", "last_sample"),
    col("TOOK", "took"),
    col("SAMPLES", "samples"),
    col("ROWS", "rows_stored"),
    col("LEGACY IMPORT", "import"),
    col("LAST ERROR", "last_error"),
];

pub async fn settings(
    b: &impl Backend,
    cmd: SettingsCommand,
    out: &Printer,
) -> Result<(), CliError> {
    let now = match cmd {
        SettingsCommand::Show => b.settings().await?,
        SettingsCommand::Set { update } => {
            if update.is_empty() {
                let flags: Vec<String> = LIMITS
                    .iter()
                    .map(|(name, ..)| format!("--{}", name.replace('_', "-")))
                    .collect();
                return Err(CliError::Usage(format!(
                    "nothing to set: give one or more of {}",
                    flags.join(", ")
                )));
            }
            b.change_settings(*update).await?
        }
    };
    Ok(out.record(&now)?)
}

pub async fn run(b: &impl Backend, cmd: CollectorCommand, out: &Printer) -> Result<(), CliError> {
    match cmd {
        CollectorCommand::Status => {
            let status = b.collector_status().await?;
            if out.is_json() {
                return Ok(out.record(&status)?);
            }
            let rows: Vec<Value> = status
                .servers
                .iter()
                .map(|s| {
                    let import = &s.legacy_import;
                    let state = serde_json::to_value(import.state).unwrap_or_default();
                    json!({
                        "name": s.name,
                        "interval": match s.interval { 0 => "off".to_owned(), n => format!("{n}s") },
                        "last_sample": s.last_sample,
                        "took": s.last_duration_ms.map(|ms| format!("{ms} ms")),
                        "samples": s.samples,
                        "rows_stored": s.rows_stored,
                        "import": match import.rows_imported {
                            0 => state.as_str().unwrap_or_default().replace('_', " "),
                            n => format!("{} ({n} rows)", state.as_str().unwrap_or_default().replace('_', " ")),
                        },
                        "last_error": s.last_error,
                    })
                })
                .collect();
            Ok(out.list(&rows, STATUS_COLUMNS)?)
        }
    }
}
