//! `pgmonctl store migrate`: the migration is pgmond's own code (the files, the embedded
//! history store and the shared store as pgmond reads and writes them), run here against the
//! files and the database directly, with no daemon.

use pgmond::{MigrateError, Place, migrate};

use crate::cli::StoreCommand;
use crate::error::CliError;
use crate::output::Printer;

pub async fn run(c: &StoreCommand, out: &Printer) -> Result<(), CliError> {
    let StoreCommand::Migrate {
        from,
        to,
        dry_run,
        force,
    } = c;
    let (from, to) = (place(from)?, place(to)?);
    let report = migrate(&from, &to, *dry_run, *force)
        .await
        .map_err(|e| match e {
            MigrateError::Refused(why) => CliError::Usage(why),
            other => CliError::Failed(other.to_string()),
        })?;
    out.record(&report)
        .map_err(|e| CliError::Failed(e.to_string()))
}

fn place(text: &str) -> Result<Place, CliError> {
    Place::parse(text).map_err(|e| CliError::Usage(e.to_string()))
}
