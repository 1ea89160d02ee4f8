//! Zero-touch first start (SPEC B2): a missing or empty config dir becomes a working one.

use std::path::Path;

use pgmon_common::ConfigDir;
use pgmon_common::hygiene::Fix;
use pgmon_common::users::{NewUser, Role};
use rand::distr::{Alphanumeric, SampleString};

/// Environment variable with the first admin's password; a random one is printed otherwise.
pub const ADMIN_PASSWORD_ENV: &str = "PGMON_ADMIN_PASSWORD";

/// Names every fix made to a config dir that was looser than pgmon writes it.
fn report_fixes(fixes: Vec<Fix>) {
    for fix in fixes {
        match fix {
            Fix::Tightened { path, was } => tracing::warn!(
                path = %path.display(),
                was = %format!("{was:o}"),
                "mode was wider than needed: tightened"
            ),
            Fix::Sealed { path } => tracing::warn!(
                path = %path.display(),
                "backup held a plaintext secret: sealed"
            ),
            Fix::Failed { path, why } => tracing::warn!(
                path = %path.display(),
                error = %why,
                "could not tighten or seal"
            ),
        }
    }
}

/// Opens the config dir, creating what is missing. With no users at all, creates `admin`.
pub fn prepare(root: &Path) -> anyhow::Result<ConfigDir> {
    let (dir, created) = ConfigDir::initialize(root)?;
    report_fixes(dir.tighten_modes());
    report_fixes(dir.seal_server_backups()?);
    if created.dir {
        tracing::info!(path = %root.display(), "created config dir");
    }
    if created.encryption_key {
        tracing::info!("created encryption key");
    }
    if created.secret_key {
        tracing::info!("created JWT secret key");
    }
    if dir.list_users()?.is_empty() {
        let given = std::env::var(ADMIN_PASSWORD_ENV)
            .ok()
            .filter(|p| !p.is_empty());
        let password = given
            .clone()
            .unwrap_or_else(|| Alphanumeric.sample_string(&mut rand::rng(), 20));
        dir.create_user(NewUser {
            login: "admin".into(),
            password: password.clone(),
            role: Role::Admin,
            email: None,
        })?;
        tracing::info!(login = "admin", "created first admin user");
        if given.is_none() {
            // Printed once, on purpose outside the log stream's fields, so it can be read off
            // the terminal or journal and then changed with `pgmonctl users passwd admin`.
            eprintln!("pgmond: created user 'admin' with password: {password}");
        }
    }
    Ok(dir)
}
