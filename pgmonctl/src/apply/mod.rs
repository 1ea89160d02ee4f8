//! `pgmonctl apply` and `pgmonctl export`: the declarative way to keep pgmon in step with an
//! inventory (Ansible, a Git repository). `apply` reports each object as created, updated (with
//! the fields), unchanged or deleted, and `changed` overall; a second run of the same file
//! changes nothing and writes no file. On a config dir the whole apply is one transaction; over
//! the socket or HTTP each change is a request, in order, and the report says where it stopped.

mod channels;
mod plan;
mod spec;

use std::io::IsTerminal;

use serde::Serialize;

use crate::backend::Backend;
use crate::cli::{ApplyArgs, ExportFormat};
use crate::error::CliError;
use crate::output::{Column, Printer, col};
pub use channels::ChannelOp;
pub use plan::Op;
use plan::{Action, Current, Options, Outcome};
use spec::{KeySpec, ServerSpec, Spec, UserSpec, env_name};

const ACTION_COLUMNS: &[Column] = &[
    col("KIND", "kind"),
    col("NAME", "name"),
    col("ACTION", "action"),
    col("FIELDS", "fields"),
    col("ERROR", "error"),
];

/// The outcome as `--output json` prints it (Ansible reads `changed`).
#[derive(Serialize)]
struct Report<'a> {
    changed: bool,
    dry_run: bool,
    actions: &'a [Action],
}

async fn current(b: &impl Backend, remote: bool) -> Result<Current, CliError> {
    let caller = if remote {
        // The admin socket acts for nobody in particular; HTTP for the logged-in user.
        b.me().await.ok().map(|u| u.login)
    } else {
        None
    };
    Ok(Current {
        servers: b.list_servers().await?,
        users: b.list_users().await?,
        keys: b.list_keys().await?,
        channels: channels_of(b, remote).await?,
        caller,
    })
}

/// The daemon's alert channels; none in local mode (channels live in the daemon).
async fn channels_of(
    b: &impl Backend,
    remote: bool,
) -> Result<Vec<pgmon_common::api::alerts::Channel>, CliError> {
    if !remote {
        return Ok(Vec::new());
    }
    let list: pgmon_common::api::alerts::ChannelList =
        serde_json::from_value(b.monitoring("/alerts/channels").await?)?;
    Ok(list.channels)
}

pub async fn apply(
    b: &impl Backend,
    args: ApplyArgs,
    remote: bool,
    out: &Printer,
) -> Result<(), CliError> {
    let spec = spec::load(&args.file)?;
    if !remote && !spec.alert_channels.is_empty() {
        return Err(CliError::Unreachable(
            "alert_channels need the daemon: use --url or --socket (local mode only manages files)"
                .into(),
        ));
    }
    let now = current(b, remote).await?;
    let options = Options {
        prune: args.prune,
        update_secrets: args.update_secrets,
        dry_run: args.dry_run,
    };
    let mut actions = plan::plan(&spec, &now, &options)?;
    let deletions = actions
        .iter()
        .filter(|a| a.action == Outcome::Deleted)
        .count();
    if deletions > 0 && !args.dry_run && !args.yes && !confirm(deletions)? {
        return Err(CliError::Usage(format!(
            "--prune would delete {deletions} object(s): add --yes to go ahead"
        )));
    }
    let changed = actions.iter().any(|a| a.op.is_some());
    if args.dry_run || !changed {
        return print(out, &actions, changed, args.dry_run);
    }
    let ops: Vec<Op> = actions.iter_mut().filter_map(|a| a.op.take()).collect();
    match b.apply_ops(ops).await {
        Ok(()) => print(out, &actions, true, false),
        Err((done, e)) => {
            // Over the API the changes before `done` are made; the files are all or nothing.
            let changes = actions
                .iter_mut()
                .filter(|a| a.action != Outcome::Unchanged);
            for (index, a) in changes.enumerate() {
                if remote && index == done {
                    a.action = Outcome::Failed;
                    a.error = Some(e.to_string());
                } else if !remote || index > done {
                    a.action = Outcome::Skipped;
                }
            }
            print(out, &actions, done > 0, false)?;
            Err(e)
        }
    }
}

/// Asks on a terminal whether to delete; elsewhere the answer is no (`--yes` is needed).
fn confirm(deletions: usize) -> Result<bool, CliError> {
    if !std::io::stdin().is_terminal() {
        return Ok(false);
    }
    eprint!("pgmonctl: apply: delete {deletions} object(s) the file does not list? [y/N] ");
    let mut answer = String::new();
    std::io::stdin().read_line(&mut answer)?;
    Ok(matches!(answer.trim(), "y" | "Y" | "yes"))
}

fn print(out: &Printer, actions: &[Action], changed: bool, dry_run: bool) -> Result<(), CliError> {
    if out.is_json() {
        return Ok(out.record(&Report {
            changed,
            dry_run,
            actions,
        })?);
    }
    out.list(actions, ACTION_COLUMNS)?;
    let verdict = match (dry_run, changed) {
        (true, true) => "dry run: would change",
        (true, false) | (false, false) => "unchanged",
        (false, true) => "changed",
    };
    Ok(out.message(&pgmon_common::api::Message {
        message: verdict.to_owned(),
    })?)
}

/// The current state as an `apply` file: secrets as `_env` references named
/// `PGMON_<KIND>_<NAME>_<FIELD>`, never their values.
pub async fn export(b: &impl Backend, format: ExportFormat, remote: bool) -> Result<(), CliError> {
    let channels = channels_of(b, remote).await?;
    let keys = b.list_keys().await?;
    let servers = b.list_servers().await?;
    let users = b.list_users().await?;
    let key_name = |id: &str| {
        keys.iter()
            .find(|k| k.id == id)
            .map_or_else(|| id.to_owned(), |k| k.name.clone())
    };
    let spec = Spec {
        ssh_keys: keys
            .iter()
            .map(|k| KeySpec {
                name: k.name.clone(),
                fingerprint: Some(k.fingerprint.clone()),
            })
            .collect(),
        servers: servers
            .iter()
            .map(|s| ServerSpec {
                name: s.name.clone(),
                host: s.host.clone(),
                port: s.port,
                user: s.user.clone(),
                stats_db: s.stats_db.clone().filter(|d| !d.is_empty()),
                password: None,
                password_env: s
                    .has_password
                    .then(|| env_name("SERVER", &s.name, "PASSWORD")),
                password_file: None,
                ssh_user: s.ssh_user.clone().filter(|u| !u.is_empty()),
                ssh_port: s.ssh_port,
                ssh_auth_type: Some(s.ssh_auth_type),
                ssh_key: s.ssh_key_id.as_deref().map(key_name),
                ssh_password: None,
                ssh_password_env: s
                    .has_ssh_password
                    .then(|| env_name("SERVER", &s.name, "SSH_PASSWORD")),
                ssh_password_file: None,
                ssh_key_passphrase: None,
                ssh_key_passphrase_env: None,
                ssh_key_passphrase_file: None,
                allow_cleartext_password: s.allow_cleartext_password,
                collect_interval: s.collect_interval,
                sslmode: s.sslmode,
                sslrootcert: s.sslrootcert.clone().filter(|p| !p.is_empty()),
                sslcert: s.sslcert.clone().filter(|p| !p.is_empty()),
                sslkey: s.sslkey.clone().filter(|p| !p.is_empty()),
            })
            .collect(),
        users: users
            .iter()
            .map(|u| UserSpec {
                login: u.login.clone(),
                role: u.role,
                email: u.email.clone().filter(|e| !e.is_empty()),
                is_active: u.is_active,
                password: None,
                password_env: Some(env_name("USER", &u.login, "PASSWORD")),
                password_file: None,
            })
            .collect(),
        alert_channels: channels.iter().map(channels::ChannelFile::of).collect(),
    };
    let text = spec::render(&spec, format)?;
    print!("{text}");
    if !text.ends_with('\n') {
        println!();
    }
    Ok(())
}
