//! Binding the admin socket. Only a stale socket is ever replaced: a live daemon on it, or
//! anything at the path that is not a socket (a file, a folder, a link), stops pgmond with a
//! message, since `--admin-socket` must never become a way to delete a file. The socket is
//! created inside a fresh 0700 folder beside its final path, given its mode there and then
//! linked into place (a link never replaces what may have appeared at the path meanwhile), so
//! there is no moment at which it is open to more than its mode allows.

use std::fs;
use std::os::unix::fs::{FileTypeExt, PermissionsExt};
use std::path::Path;

use anyhow::{Context, bail};
use tokio::net::{UnixListener, UnixStream};

/// Mode of the admin socket: the daemon's user and group may connect, nobody else.
const SOCKET_MODE: u32 = 0o660;

/// Binds the admin socket at `path`.
pub async fn bind_admin_socket(path: &Path) -> anyhow::Result<UnixListener> {
    if let Ok(meta) = fs::symlink_metadata(path) {
        if !meta.file_type().is_socket() {
            bail!(
                "{} exists and is not a socket: remove it or choose another admin socket path",
                path.display()
            );
        }
        if UnixStream::connect(path).await.is_ok() {
            bail!(
                "another pgmond is serving the admin socket {}",
                path.display()
            );
        }
        fs::remove_file(path)
            .with_context(|| format!("removing stale socket {}", path.display()))?;
    }
    let parent = match path.parent() {
        Some(p) if !p.as_os_str().is_empty() => p,
        _ => Path::new("."),
    };
    let name = path
        .file_name()
        .with_context(|| format!("admin socket path {} has no file name", path.display()))?;
    // tempfile's folders are created 0700.
    let private = tempfile::Builder::new()
        .prefix(".pgmond-socket-")
        .tempdir_in(parent)
        .with_context(|| format!("creating a private folder in {}", parent.display()))?;
    let staged = private.path().join(name);
    let listener = UnixListener::bind(&staged)
        .with_context(|| format!("binding admin socket {}", path.display()))?;
    fs::set_permissions(&staged, fs::Permissions::from_mode(SOCKET_MODE))
        .with_context(|| format!("setting mode of {}", path.display()))?;
    fs::hard_link(&staged, path)
        .with_context(|| format!("moving admin socket into place at {}", path.display()))?;
    Ok(listener)
}
