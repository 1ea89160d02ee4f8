//! `pgmonctl audit`: the daemon's audit trail, newest first; `--follow` then prints what comes
//! after, oldest first, a line each (a JSON object a line with `--output json`).

use std::collections::HashSet;
use std::time::Duration;

use pgmon_common::api::audit::{AuditEntry, AuditQuery};

use crate::backend::Backend;
use crate::cli::AuditArgs;
use crate::error::CliError;
use crate::output::{Column, Printer, col};

const COLUMNS: &[Column] = &[
    col("TIME", "time"),
    col("ACTOR", "actor"),
    col("SOURCE", "source"),
    col("ACTION", "action"),
    col("TARGET", "target"),
    col("OUTCOME", "outcome"),
    col("STATUS", "status"),
];
/// How often `--follow` asks for new entries.
const POLL: Duration = Duration::from_secs(2);

pub async fn run(b: &impl Backend, args: AuditArgs, out: &Printer) -> Result<(), CliError> {
    let mut query = AuditQuery {
        actor: args.actor,
        action: args.action,
        target: args.target,
        outcome: args.outcome,
        since: args.since,
        until: args.until,
        limit: Some(args.limit),
        offset: None,
    };
    let page = b.audit(&query).await?;
    if !args.follow {
        if out.is_json() {
            out.record(&page.entries)?;
        } else {
            out.list(&page.entries, COLUMNS)?;
        }
        return Ok(());
    }
    // Entries at the newest time seen, to tell them from later ones of the same microsecond.
    let mut seen: HashSet<String> = HashSet::new();
    let mut batch = page.entries;
    query.limit = Some(1000);
    loop {
        batch.reverse();
        for e in batch.iter().filter(|e| !seen.contains(&line(e))) {
            print_line(e, out)?;
        }
        if let Some(newest) = batch.last().map(|e| e.time.clone()) {
            if query.since.as_deref() != Some(newest.as_str()) {
                seen.clear();
            }
            seen.extend(batch.iter().filter(|e| e.time == newest).map(line));
            query.since = Some(newest);
        }
        tokio::time::sleep(POLL).await;
        batch = b.audit(&query).await?.entries;
    }
}

fn line(e: &AuditEntry) -> String {
    serde_json::to_string(e).expect("an entry serializes")
}

fn print_line(e: &AuditEntry, out: &Printer) -> Result<(), CliError> {
    let text = if out.is_json() {
        line(e)
    } else {
        format!(
            "{}  {}  {}  {}  {}  {} ({})",
            e.time,
            e.actor,
            e.source,
            e.action,
            e.target.as_deref().unwrap_or("-"),
            e.outcome,
            e.status
        )
    };
    use std::io::Write;
    let mut stdout = std::io::stdout().lock();
    writeln!(stdout, "{}", crate::output::safe(&text))
        .and_then(|_| stdout.flush())
        .map_err(|e| CliError::Failed(e.to_string()))
}
