//! What `apply` would change: the desired state of the file against the current one, object by
//! object, as actions (created, updated with the fields that differ, unchanged, deleted) and
//! the operations that carry them out. Pure: it reads no store and calls no daemon, except for
//! secrets, which it reads only for the changes that need them.

use pgmon_common::api::{ServerStatus, SshKeyResponse, UserResponse};
use pgmon_common::batch::{ServerOp, UserOp};
use pgmon_common::servers::{IntervalInput, IntervalName, ServerInput, Targets};
use pgmon_common::users::{NewUser, Role, UserChange};
use serde::Serialize;

use super::spec::{ServerSpec, Spec, UserSpec};
use crate::error::CliError;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Outcome {
    Created,
    Updated,
    Unchanged,
    Deleted,
    /// Remote apply only: this change failed, and those after it were not tried.
    Failed,
    Skipped,
}

/// One line of the report.
#[derive(Debug, Serialize)]
pub struct Action {
    pub kind: &'static str,
    pub name: String,
    pub action: Outcome,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub fields: Vec<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
    #[serde(skip)]
    pub op: Option<Op>,
}

pub enum Op {
    /// Boxed: a server change carries a whole server body, a user change much less.
    Server(Box<ServerOp>),
    User(UserOp),
    Channel(super::channels::ChannelOp),
}

impl std::fmt::Debug for Op {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Op")
    }
}

/// What exists now.
pub struct Current {
    pub servers: Vec<ServerStatus>,
    pub users: Vec<UserResponse>,
    pub keys: Vec<SshKeyResponse>,
    /// Alert channels (the daemon's only; none in local mode).
    pub channels: Vec<pgmon_common::api::alerts::Channel>,
    /// The user the changes are made as (over HTTP), whom `--prune` must not delete.
    pub caller: Option<String>,
}

pub struct Options {
    pub prune: bool,
    pub update_secrets: bool,
    /// A dry run reads no secret it cannot find: it says the real run will need it.
    pub dry_run: bool,
}

pub(super) fn action(
    kind: &'static str,
    name: &str,
    outcome: Outcome,
    fields: Vec<String>,
    op: Option<Op>,
) -> Action {
    Action {
        kind,
        name: name.to_owned(),
        action: outcome,
        fields,
        error: None,
        op,
    }
}

/// The actions that make `current` match `spec`, in order: keys checked, servers, users, then
/// alert channels.
pub fn plan(spec: &Spec, current: &Current, options: &Options) -> Result<Vec<Action>, CliError> {
    let mut actions = Vec::new();
    for k in &spec.ssh_keys {
        let found = current
            .keys
            .iter()
            .find(|c| c.name == k.name || c.id == k.name);
        match found {
            None => {
                return Err(CliError::Usage(format!(
                    "ssh_keys[{}]: no such SSH key (create it with `pgmonctl ssh-keys generate` or `import`)",
                    k.name
                )));
            }
            Some(c) if k.fingerprint.as_ref().is_some_and(|f| *f != c.fingerprint) => {
                return Err(CliError::Usage(format!(
                    "ssh_keys[{}].fingerprint: the stored key is {}",
                    k.name, c.fingerprint
                )));
            }
            Some(_) => actions.push(action("ssh_key", &k.name, Outcome::Unchanged, vec![], None)),
        }
    }
    check_unique(spec.servers.iter().map(|s| s.name.as_str()), "servers")?;
    check_unique(spec.users.iter().map(|u| u.login.as_str()), "users")?;
    for s in &spec.servers {
        actions.push(server_action(s, current, options)?);
    }
    if options.prune {
        for s in &current.servers {
            if !spec.servers.iter().any(|d| d.name == s.name) {
                let op = Op::Server(Box::new(ServerOp::Remove(s.name.clone())));
                actions.push(action(
                    "server",
                    &s.name,
                    Outcome::Deleted,
                    vec![],
                    Some(op),
                ));
            }
        }
    }
    for u in &spec.users {
        actions.push(user_action(u, current, options)?);
    }
    if options.prune {
        prune_users(spec, current, &mut actions)?;
    }
    actions.extend(super::channels::plan(
        &spec.alert_channels,
        &current.channels,
        options,
    )?);
    Ok(actions)
}

pub(super) fn check_unique<'a>(
    names: impl Iterator<Item = &'a str>,
    list: &str,
) -> Result<(), CliError> {
    let mut seen = std::collections::BTreeSet::new();
    for n in names {
        if !seen.insert(n) {
            return Err(CliError::Usage(format!("{list}[{n}]: listed twice")));
        }
    }
    Ok(())
}

fn key_id(s: &ServerSpec, keys: &[SshKeyResponse]) -> Result<Option<String>, CliError> {
    let Some(wanted) = &s.ssh_key else {
        return Ok(None);
    };
    let by_id = keys.iter().find(|k| &k.id == wanted);
    let mut by_name = keys.iter().filter(|k| &k.name == wanted);
    match (by_id, by_name.next(), by_name.next()) {
        (Some(k), _, _) | (None, Some(k), None) => Ok(Some(k.id.clone())),
        (None, Some(_), Some(_)) => Err(CliError::Usage(format!(
            "servers[{}].ssh_key: several keys are named {wanted}: use the key id",
            s.name
        ))),
        (None, None, _) => Err(CliError::Usage(format!(
            "servers[{}].ssh_key: no such SSH key: {wanted}",
            s.name
        ))),
    }
}

fn empty_is_none(v: &Option<String>) -> Option<String> {
    v.clone().filter(|s| !s.is_empty())
}

fn server_action(s: &ServerSpec, current: &Current, o: &Options) -> Result<Action, CliError> {
    let at = |field: &str| format!("servers[{}].{field}", s.name);
    let mut input = ServerInput {
        name: s.name.clone(),
        host: s.host.clone(),
        stats_db: empty_is_none(&s.stats_db),
        user: s.user.clone(),
        port: s.port,
        ssh_user: empty_is_none(&s.ssh_user),
        ssh_port: s.ssh_port,
        ssh_auth_type: s.auth_type(),
        ssh_key_id: key_id(s, &current.keys)?,
        allow_cleartext_password: Some(s.allow_cleartext_password),
        // The file says every field: what it leaves out is the default, not "keep".
        collect_interval: Some(match s.collect_interval {
            Some(seconds) => IntervalInput::Seconds(seconds),
            None => IntervalInput::Named(IntervalName::Default),
        }),
        sslmode: Some(s.sslmode),
        sslrootcert: Some(empty_is_none(&s.sslrootcert).unwrap_or_default()),
        sslcert: Some(empty_is_none(&s.sslcert).unwrap_or_default()),
        sslkey: Some(empty_is_none(&s.sslkey).unwrap_or_default()),
        ..ServerInput::default()
    };
    input
        .check_fields()
        .map_err(|e| CliError::Usage(format!("servers[{}]: {e}", s.name)))?;
    let Some(now) = current.servers.iter().find(|c| c.name == s.name) else {
        input.password = read(&s.password(), &at("password"), o)?;
        input.ssh_password = read(&s.ssh_password(), &at("ssh_password"), o)?;
        input.ssh_key_passphrase = read(&s.ssh_key_passphrase(), &at("ssh_key_passphrase"), o)?;
        let op = Op::Server(Box::new(ServerOp::Create(input)));
        return Ok(action(
            "server",
            &s.name,
            Outcome::Created,
            vec![],
            Some(op),
        ));
    };
    let mut fields = Vec::new();
    let mut differs = |name: &str, same: bool| {
        if !same {
            fields.push(name.to_owned());
        }
    };
    differs("host", now.host == input.host);
    differs("port", now.port == input.port);
    differs("user", now.user == input.user);
    differs("stats_db", empty_is_none(&now.stats_db) == input.stats_db);
    differs("ssh_user", empty_is_none(&now.ssh_user) == input.ssh_user);
    differs("ssh_port", now.ssh_port == input.ssh_port);
    differs("ssh_auth_type", now.ssh_auth_type == input.ssh_auth_type);
    differs("ssh_key", now.ssh_key_id == input.ssh_key_id);
    differs(
        "allow_cleartext_password",
        now.allow_cleartext_password == s.allow_cleartext_password,
    );
    differs(
        "collect_interval",
        now.collect_interval == s.collect_interval,
    );
    differs("sslmode", now.sslmode == s.sslmode);
    differs(
        "sslrootcert",
        empty_is_none(&now.sslrootcert) == empty_is_none(&s.sslrootcert),
    );
    differs(
        "sslcert",
        empty_is_none(&now.sslcert) == empty_is_none(&s.sslcert),
    );
    differs(
        "sslkey",
        empty_is_none(&now.sslkey) == empty_is_none(&s.sslkey),
    );
    // A stored secret stays only while its target does (the store clears it otherwise).
    let stored = Targets::new(
        &now.host,
        now.port,
        &now.user,
        now.ssh_port,
        now.ssh_user.as_deref(),
    );
    let (pg_moved, ssh_moved) = stored.moved_to(&input.targets());
    let secrets = [
        ("password", s.password(), now.has_password, pg_moved),
        (
            "ssh_password",
            s.ssh_password(),
            now.has_ssh_password,
            ssh_moved,
        ),
        ("ssh_key_passphrase", s.ssh_key_passphrase(), true, false),
    ];
    for (field, source, stored, moved) in secrets {
        let needed = o.update_secrets || !stored || moved;
        if source.is_given() && needed {
            let value = read(&source, &at(field), o)?;
            match field {
                "password" => input.password = value,
                "ssh_password" => input.ssh_password = value,
                _ => input.ssh_key_passphrase = value,
            }
            fields.push(field.to_owned());
        } else if stored && moved && field != "ssh_key_passphrase" {
            fields.push(format!("{field} (cleared)"));
        }
    }
    if fields.is_empty() {
        return Ok(action("server", &s.name, Outcome::Unchanged, fields, None));
    }
    let op = Op::Server(Box::new(ServerOp::Update {
        name: s.name.clone(),
        input,
    }));
    Ok(action(
        "server",
        &s.name,
        Outcome::Updated,
        fields,
        Some(op),
    ))
}

pub(super) fn read(
    source: &super::spec::SecretSource,
    at: &str,
    o: &Options,
) -> Result<Option<String>, CliError> {
    match source.read(at) {
        // Secrets often come only where the change is made (CI, a vault): a dry run shows
        // the plan and what the real run will need.
        Err(CliError::Usage(why))
            if o.dry_run && (why.contains("is not set") || why.contains("cannot read")) =>
        {
            eprintln!("pgmonctl: apply --dry-run: {why}: the real run will need it");
            Ok(Some(String::new()))
        }
        read => Ok(read?.map(|s| s.to_string())),
    }
}

fn user_action(u: &UserSpec, current: &Current, o: &Options) -> Result<Action, CliError> {
    let at = format!("users[{}].password", u.login);
    let Some(now) = current.users.iter().find(|c| c.login == u.login) else {
        let password = read(&u.password(), &at, o)?.ok_or_else(|| {
            CliError::Usage(format!(
                "{at}: needed to create the user (password_env, password_file or password)"
            ))
        })?;
        if !u.is_active {
            return Err(CliError::Usage(format!(
                "users[{}].is_active: a new user starts active",
                u.login
            )));
        }
        let op = Op::User(UserOp::Create(NewUser {
            login: u.login.clone(),
            password,
            role: u.role,
            email: empty_is_none(&u.email),
        }));
        return Ok(action("user", &u.login, Outcome::Created, vec![], Some(op)));
    };
    let mut change = UserChange::default();
    let mut fields = Vec::new();
    if now.role != u.role {
        change.role = Some(u.role);
        fields.push("role".to_owned());
    }
    if empty_is_none(&now.email) != empty_is_none(&u.email) {
        change.email = Some(u.email.clone().unwrap_or_default());
        fields.push("email".to_owned());
    }
    if now.is_active != u.is_active {
        change.is_active = Some(u.is_active);
        fields.push("is_active".to_owned());
    }
    if o.update_secrets && u.password().is_given() {
        change.password = read(&u.password(), &at, o)?;
        fields.push("password".to_owned());
    }
    if fields.is_empty() {
        return Ok(action("user", &u.login, Outcome::Unchanged, fields, None));
    }
    let op = Op::User(UserOp::Update {
        login: u.login.clone(),
        change,
    });
    Ok(action("user", &u.login, Outcome::Updated, fields, Some(op)))
}

/// Deletes the users the file lacks, but never the caller or the last active admin.
fn prune_users(spec: &Spec, current: &Current, actions: &mut Vec<Action>) -> Result<(), CliError> {
    let doomed: Vec<&UserResponse> = current
        .users
        .iter()
        .filter(|u| !spec.users.iter().any(|d| d.login == u.login))
        .collect();
    if let Some(me) = &current.caller
        && doomed.iter().any(|u| &u.login == me)
    {
        return Err(CliError::Usage(format!(
            "--prune would delete {me}, the user this apply runs as: list it in the file"
        )));
    }
    let admin_left = spec
        .users
        .iter()
        .any(|u| u.role == Role::Admin && u.is_active)
        || current.users.iter().any(|u| {
            u.role == Role::Admin
                && u.is_active
                && !doomed.iter().any(|d| d.login == u.login)
                && !spec.users.iter().any(|s| s.login == u.login)
        });
    if !admin_left {
        return Err(CliError::Usage(
            "--prune would leave no active admin: list one in the file".into(),
        ));
    }
    for u in doomed {
        let op = Op::User(UserOp::Delete(u.login.clone()));
        actions.push(action("user", &u.login, Outcome::Deleted, vec![], Some(op)));
    }
    Ok(())
}
