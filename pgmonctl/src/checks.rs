//! `pgmonctl checks [SERVER]`: the health checks' findings, most severe first (for one server
//! each fix under its object), then what could not be checked; `--run` runs them on SERVER
//! first. JSON is the API's answer in the fleet's
//! shape (`{checks, runs}`), whichever was asked.

use pgmon_common::api::checks::ChecksQuery;

use crate::backend::Backend;
use crate::cli::ChecksArgs;
use crate::error::CliError;
use crate::output::{Column, Printer, col, safe};

const COLUMNS: &[Column] = &[
    col("SEVERITY", "severity"),
    col("KIND", "kind"),
    col("SERVER", "server"),
    col("DATABASE", "database"),
    col("OBJECT", "object"),
    col("SINCE", "first_seen"),
];

pub async fn run(b: &impl Backend, args: ChecksArgs, out: &Printer) -> Result<(), CliError> {
    let query = ChecksQuery {
        severity: args.severity,
        kind: args.kind,
        server: args.server.clone(),
        database: args.database,
        resolved: args.resolved.then_some(true),
    };
    let found = b.checks(args.server.as_deref(), &query, args.run).await?;
    if out.is_json() {
        out.record(&found)?;
        return Ok(());
    }
    if found.checks.is_empty() {
        out.line("No findings.")?;
    } else {
        out.list(&found.checks, COLUMNS)?;
    }
    // For one server, each fix to review under its object.
    if args.server.is_some() {
        for f in &found.checks {
            let at = f
                .database
                .as_deref()
                .map(|d| format!(" ({d})"))
                .unwrap_or_default();
            out.line(&format!(
                "\n{} {}{}:",
                f.kind.as_str(),
                safe(&f.object),
                safe(&at)
            ))?;
            for line in f.fix.lines() {
                out.line(&format!("  {}", safe(line)))?;
            }
        }
    }
    for run in &found.runs {
        if run.ran_at.is_none() {
            out.line(&format!("{}: not checked yet", safe(&run.server)))?;
        }
        for e in &run.errors {
            out.line(&format!(
                "{} {}: {} could not run: {}",
                safe(&run.server),
                safe(e.database.as_deref().unwrap_or("-")),
                safe(&e.check),
                safe(&e.message)
            ))?;
        }
    }
    Ok(())
}
