//! `settings.json` in the config dir: the settings an admin changed through the API, laid over
//! pgmond.toml's. Only pgmond writes it (pgmonctl goes through the daemon), one change at a
//! time, atomically; it holds only the fields changed, so pgmond.toml still rules the others.

use pgmon_common::ConfigDir;
use pgmon_common::api::settings::SettingsUpdate;
use pgmon_common::{Error, Result};

pub const SETTINGS_FILE: &str = "settings.json";

/// The changes saved so far (none when there is no file). A saved value outside the API's
/// limits (a hand edit) is refused, naming the field.
pub fn load(dir: &ConfigDir) -> Result<SettingsUpdate> {
    let path = dir.root().join(SETTINGS_FILE);
    let text = match std::fs::read(&path) {
        Ok(t) => t,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(SettingsUpdate::default()),
        Err(e) => return Err(Error::io("reading", &path)(e)),
    };
    let saved: SettingsUpdate =
        serde_json::from_slice(&text).map_err(|source| Error::Malformed {
            path: path.clone(),
            source,
        })?;
    match saved.out_of_range() {
        Some((_, why)) => Err(Error::invalid(format!("{}: {why}", path.display()))),
        None => Ok(saved),
    }
}

pub fn save(dir: &ConfigDir, changes: &SettingsUpdate) -> Result<()> {
    let mut text = serde_json::to_vec_pretty(changes).expect("settings serialize");
    text.push(b'\n');
    pgmon_common::store::write_atomic(&dir.root().join(SETTINGS_FILE), &text)
}
