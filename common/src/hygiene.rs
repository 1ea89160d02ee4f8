//! What pgmond puts right in a config dir at start, for dirs that a hand, an old install or a
//! copy left looser than pgmon writes them: folders wider than 0700 and files wider than 0600
//! are tightened, and backups of `servers.json` that still hold a secret in plaintext have it
//! sealed (the live file never keeps one past its first write). Each fix is reported so the
//! daemon can name it in a warning.

use std::fs;
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};

use crate::config_dir::ConfigDir;
use crate::servers::{Server, seal_all};
use crate::store::{DIR_MODE, FILE_MODE, write_atomic};
use crate::{Error, Result};

/// One thing put right, or that could not be.
#[derive(Debug)]
pub enum Fix {
    Tightened { path: PathBuf, was: u32 },
    Sealed { path: PathBuf },
    Failed { path: PathBuf, why: String },
}

impl ConfigDir {
    fn private_folders(&self) -> [PathBuf; 5] {
        let root = self.root();
        [
            root.to_owned(),
            root.join("backups"),
            root.join("ssh_keys"),
            self.private_keys_dir(),
            root.join("ssh_keys").join("backups"),
        ]
    }

    /// Tightens the folders above and every regular file directly in them (links are left
    /// alone: their targets are not the config dir's to change).
    pub fn tighten_modes(&self) -> Vec<Fix> {
        let mut fixes = Vec::new();
        for folder in self.private_folders() {
            let Ok(meta) = fs::symlink_metadata(&folder) else {
                continue;
            };
            if !meta.is_dir() {
                continue;
            }
            tighten(&folder, &meta, DIR_MODE, &mut fixes);
            let Ok(entries) = fs::read_dir(&folder) else {
                continue;
            };
            for entry in entries.filter_map(|e| e.ok()) {
                if let Ok(meta) = fs::symlink_metadata(entry.path())
                    && meta.is_file()
                {
                    tighten(&entry.path(), &meta, FILE_MODE, &mut fixes);
                }
            }
        }
        fixes
    }

    /// Seals the plaintext secrets left in backups of `servers.json`.
    pub fn seal_server_backups(&self) -> Result<Vec<Fix>> {
        let folder = self.root().join("backups");
        let Ok(entries) = fs::read_dir(&folder) else {
            return Ok(Vec::new());
        };
        let cipher = self.cipher()?;
        let mut fixes = Vec::new();
        for entry in entries.filter_map(|e| e.ok()) {
            let path = entry.path();
            let name = entry.file_name().to_string_lossy().into_owned();
            if !(name.starts_with("servers_") && name.ends_with(".json")) {
                continue;
            }
            let sealed = (|| -> Result<bool> {
                let bytes = fs::read(&path).map_err(Error::io("reading", &path))?;
                let mut servers: Vec<Server> =
                    serde_json::from_slice(&bytes).map_err(|source| Error::Malformed {
                        path: path.clone(),
                        source,
                    })?;
                if !seal_all(&mut servers, cipher) {
                    return Ok(false);
                }
                let mut text =
                    serde_json::to_vec_pretty(&servers).map_err(|source| Error::Malformed {
                        path: path.clone(),
                        source,
                    })?;
                text.push(b'\n');
                write_atomic(&path, &text)?;
                Ok(true)
            })();
            match sealed {
                Ok(true) => fixes.push(Fix::Sealed { path }),
                Ok(false) => {}
                Err(e) => fixes.push(Fix::Failed {
                    path,
                    why: e.to_string(),
                }),
            }
        }
        Ok(fixes)
    }
}

fn tighten(path: &Path, meta: &fs::Metadata, mode: u32, fixes: &mut Vec<Fix>) {
    let was = meta.permissions().mode() & 0o7777;
    if was & !mode == 0 {
        return;
    }
    match fs::set_permissions(path, fs::Permissions::from_mode(mode)) {
        Ok(()) => fixes.push(Fix::Tightened {
            path: path.to_owned(),
            was,
        }),
        Err(e) => fixes.push(Fix::Failed {
            path: path.to_owned(),
            why: e.to_string(),
        }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    /// Wide modes are tightened and reported; a backup's plaintext secret is sealed and the
    /// file stays readable as servers.
    fn tightens_and_seals() {
        let tmp = tempfile::tempdir().unwrap();
        let (dir, _) = ConfigDir::initialize(tmp.path().join("cfg")).unwrap();
        let key = dir.root().join(crate::config_dir::KEY_FILE);
        fs::set_permissions(&key, fs::Permissions::from_mode(0o644)).unwrap();
        fs::set_permissions(
            dir.root().join("ssh_keys"),
            fs::Permissions::from_mode(0o755),
        )
        .unwrap();
        let backups = dir.root().join("backups");
        fs::create_dir_all(&backups).unwrap();
        let backup = backups.join("servers_20260101_000000.json");
        fs::write(
            &backup,
            r#"[{"name":"a","host":"h","user":"u","password":"plain-pw"}]"#,
        )
        .unwrap();

        let fixes = dir.tighten_modes();
        let tightened: Vec<_> = fixes
            .iter()
            .filter_map(|f| match f {
                Fix::Tightened { path, was } => Some((path.clone(), *was)),
                _ => None,
            })
            .collect();
        assert!(tightened.contains(&(key.clone(), 0o644)), "{fixes:?}");
        assert!(tightened.contains(&(dir.root().join("ssh_keys"), 0o755)));
        assert_eq!(
            fs::metadata(&key).unwrap().permissions().mode() & 0o777,
            0o600
        );
        assert!(dir.tighten_modes().is_empty());

        let sealed = dir.seal_server_backups().unwrap();
        assert!(matches!(&sealed[..], [Fix::Sealed { path }] if *path == backup));
        let text = fs::read_to_string(&backup).unwrap();
        assert!(!text.contains("plain-pw") && text.contains("gAAAAA"));
        let servers: Vec<Server> = serde_json::from_str(&text).unwrap();
        let pw = servers[0].password.as_ref().unwrap();
        assert_eq!(pw.reveal(dir.cipher().unwrap(), "t").unwrap(), "plain-pw");
        assert!(dir.seal_server_backups().unwrap().is_empty());
    }
}
