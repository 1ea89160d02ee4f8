//! Which files a server's `sslrootcert`, `sslcert` and `sslkey` may name, and reading them.
//!
//! These paths come from operators (and from a hand-written `servers.json`), and pgmond reads
//! them with its own rights: a device (`/dev/zero`) would be read without end, a FIFO would
//! hold a thread for good, and pgmond's own secrets could be presented to a host the operator
//! picks as a client certificate. So a file is read only when all of these hold:
//! - it lies in the config dir (a relative path is read from there) or in a folder named in
//!   `tls_dirs` of pgmond.toml, once every symbolic link is resolved;
//! - inside the config dir, it ends in `.crt`, `.pem`, `.cer` or `.key` and is not under
//!   `ssh_keys/`, nor one of pgmond's own secrets (the Fernet key, the JWT secret, the HTTPS
//!   key: compared by device and inode, so another name for the same file is refused too);
//! - it is a regular file of at most [`MAX_TLS_FILE`] bytes (opened without blocking, so a
//!   FIFO is never waited on).
//!
//! Every refusal reads the same, whatever the reason, so the answer says nothing of a file it
//! refuses (whether it exists, its type or mode) beyond the refusal itself.

use std::fs::File;
use std::io::Read;
use std::os::unix::fs::{MetadataExt, OpenOptionsExt};
use std::path::{Component, Path, PathBuf};

use pgmon_common::config_dir::{KEY_FILE, SECRET_KEY_FILE};

use super::tls::TlsSetupError;

/// The largest certificate or key file read (a CA bundle is a few hundred KiB).
pub const MAX_TLS_FILE: u64 = 1 << 20;
/// Endings a TLS file inside the config dir must have.
const ENDINGS: &[&str] = &["crt", "pem", "cer", "key"];

/// Runs `work` (reading TLS files) on the blocking pool within the connect timeout: the files
/// are small and regular, but a disk can still hang.
pub async fn off_thread<T: Send + 'static>(
    work: impl FnOnce() -> Result<T, String> + Send + 'static,
) -> Result<T, String> {
    match tokio::time::timeout(
        super::pools::CONNECT_TIMEOUT,
        tokio::task::spawn_blocking(work),
    )
    .await
    {
        Ok(done) => done.unwrap_or_else(|e| Err(e.to_string())),
        Err(_) => Err("reading the TLS files timed out".into()),
    }
}

/// Where TLS files may be read from, and pgmond's own secrets they may never be.
#[derive(Debug, Clone)]
pub struct TlsFiles {
    config_dir: PathBuf,
    /// `tls_dirs` of pgmond.toml.
    dirs: Vec<PathBuf>,
    /// pgmond's own secret files (compared by device and inode when read).
    own: Vec<PathBuf>,
}

impl TlsFiles {
    pub fn new(config_dir: &Path, dirs: &[PathBuf], https_key: Option<PathBuf>) -> TlsFiles {
        let mut own = vec![config_dir.join(KEY_FILE), config_dir.join(SECRET_KEY_FILE)];
        own.extend(https_key);
        TlsFiles {
            config_dir: config_dir.to_path_buf(),
            dirs: dirs.to_vec(),
            own,
        }
    }

    /// The refusal, the same for every reason.
    fn refused(field: &str, path: &str) -> TlsSetupError {
        let name = Path::new(path)
            .file_name()
            .map_or_else(|| path.into(), |n| n.to_string_lossy());
        TlsSetupError(format!(
            "{name}: {field} refused: a regular file of at most 1 MiB in the config dir (.crt, \
             .pem, .cer, .key) or in a tls_dirs folder, not one of pgmond's own, is read"
        ))
    }

    /// Whether canonical `path` lies where TLS files may.
    fn allowed_place(&self, path: &Path) -> bool {
        let inside = |dir: &Path| {
            dir.canonicalize()
                .ok()
                .and_then(|d| path.strip_prefix(d).ok().map(Path::to_path_buf))
        };
        if let Some(rel) = inside(&self.config_dir) {
            let under_keys =
                matches!(rel.components().next(), Some(Component::Normal(c)) if c == "ssh_keys");
            let ending = rel.extension().and_then(|e| e.to_str());
            return !under_keys && ending.is_some_and(|e| ENDINGS.contains(&e));
        }
        self.dirs.iter().any(|d| inside(d).is_some())
    }

    /// The contents of the file `path` names for `field` (blocking: run it off the runtime
    /// threads), or the refusal.
    pub fn read(&self, field: &str, path: &str) -> Result<Vec<u8>, TlsSetupError> {
        self.open(path)
            .map_err(|()| Self::refused(field, path))
            .and_then(|(mut file, mode)| {
                // The key is secret: only its owner may read it (libpq's rule).
                if field == "sslkey" && mode & 0o077 != 0 {
                    return Err(TlsSetupError(format!(
                        "{field} {path} must be readable by its owner only (0600), not {:o}",
                        mode & 0o777
                    )));
                }
                let mut bytes = Vec::new();
                match (&mut file).take(MAX_TLS_FILE + 1).read_to_end(&mut bytes) {
                    Ok(n) if n as u64 <= MAX_TLS_FILE => Ok(bytes),
                    _ => Err(Self::refused(field, path)),
                }
            })
    }

    fn open(&self, path: &str) -> Result<(File, u32), ()> {
        let full = self.config_dir.join(path);
        let canonical = full.canonicalize().map_err(drop)?;
        if !self.allowed_place(&canonical) {
            return Err(());
        }
        let file = std::fs::OpenOptions::new()
            .read(true)
            .custom_flags(nix::libc::O_NONBLOCK | nix::libc::O_NOFOLLOW | nix::libc::O_NOCTTY)
            .open(&canonical)
            .map_err(drop)?;
        let meta = file.metadata().map_err(drop)?;
        let own = self.own.iter().filter_map(|p| std::fs::metadata(p).ok());
        let is_own = own
            .into_iter()
            .any(|o| (o.dev(), o.ino()) == (meta.dev(), meta.ino()));
        if !meta.file_type().is_file() || meta.len() > MAX_TLS_FILE || is_own {
            return Err(());
        }
        Ok((file, meta.mode()))
    }
}

#[cfg(test)]
mod tests {
    use std::os::unix::fs::PermissionsExt;

    use super::*;

    #[test]
    /// Certificates in the config dir and in a tls_dirs folder are read; devices, FIFOs,
    /// pgmond's secrets (also under another name), SSH keys, files outside, links out and big
    /// files are refused with one and the same text.
    fn only_small_regular_files_where_they_belong() {
        let tmp = tempfile::tempdir().unwrap();
        let cfg = tmp.path().join("cfg");
        let extra = tmp.path().join("certs");
        std::fs::create_dir_all(cfg.join("ssh_keys")).unwrap();
        std::fs::create_dir_all(&extra).unwrap();
        for (p, text) in [
            (cfg.join("ca.crt"), "ca"),
            (cfg.join(KEY_FILE), "fernet"),
            (cfg.join("ssh_keys/k.pem"), "key"),
            (extra.join("bundle"), "bundle"),
            (tmp.path().join("outside.crt"), "out"),
        ] {
            std::fs::write(p, text).unwrap();
        }
        std::fs::hard_link(cfg.join(KEY_FILE), cfg.join("alias.key")).unwrap();
        std::os::unix::fs::symlink(tmp.path().join("outside.crt"), cfg.join("link.crt")).unwrap();
        std::os::unix::fs::symlink("/dev/zero", cfg.join("zero.crt")).unwrap();
        nix::unistd::mkfifo(&cfg.join("fifo.crt"), nix::sys::stat::Mode::S_IRWXU).unwrap();
        std::fs::File::create(cfg.join("big.crt"))
            .unwrap()
            .set_len(MAX_TLS_FILE + 1)
            .unwrap();
        let files = TlsFiles::new(&cfg, std::slice::from_ref(&extra), None);
        assert_eq!(files.read("sslrootcert", "ca.crt").unwrap(), b"ca");
        let bundle = extra.join("bundle").display().to_string();
        assert_eq!(files.read("sslrootcert", &bundle).unwrap(), b"bundle");
        let refusal = TlsFiles::refused("sslrootcert", "x").0.replace("x: ", "");
        for bad in [
            "/dev/zero",
            "zero.crt",
            "fifo.crt",
            KEY_FILE,
            "alias.key",
            "secret_key",
            "ssh_keys/k.pem",
            "../outside.crt",
            "link.crt",
            "big.crt",
            "missing.crt",
            "/etc/passwd",
        ] {
            let e = files.read("sslrootcert", bad).unwrap_err().0;
            assert!(e.ends_with(&refusal), "{bad}: {e}");
        }
        std::fs::set_permissions(cfg.join("ca.crt"), std::fs::Permissions::from_mode(0o644))
            .unwrap();
        let e = files.read("sslkey", "ca.crt").unwrap_err().0;
        assert!(e.contains("0600"), "{e}");
    }
}
