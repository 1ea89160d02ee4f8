//! The fixtures (`tests/fixtures` in the repository: data made with the old backend's own
//! libraries), copied before use: they are read-only and must never change.

use std::fs;
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};

use nix::unistd::{Gid, Uid, chown};
use tempfile::TempDir;

/// Every plaintext secret of the seed config (FIXTURE.md): server passwords, SSH passwords, the
/// key passphrase and the users' passwords. None may ever appear in an answer or a log line.
pub const PLAINTEXT_SECRETS: &[&str] = &[
    "local-db-pass",
    "billing-db-pass",
    "billing-ssh-pass",
    "dwh-db-pass",
    "archive-db-pass",
    "legacy-plain-pass",
    "legacy-ssh-plain",
    "key-pass-9",
    "admin-pass-1",
    "oper-pass-1",
    "view-pass-1",
    "gone-pass-1",
];

/// The fixtures folder, `tests/fixtures` of this repository (nothing outside it is read).
pub fn fixtures_dir() -> PathBuf {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures");
    assert!(
        dir.join("seed-config").is_dir(),
        "fixtures not found at {}: the repository's tests/fixtures folder is missing",
        dir.display()
    );
    dir
}

/// A writable copy of `seed-config` in a temp dir, with the modes pgmon expects (files 0600,
/// folders 0700; git keeps neither). The config dir is `<tempdir>/config`.
pub fn seed_config() -> (TempDir, PathBuf) {
    let tmp = tempfile::tempdir().expect("creating a temp dir");
    let dst = tmp.path().join("config");
    copy_tree(&fixtures_dir().join("seed-config"), &dst, &[], None);
    (tmp, dst)
}

/// An empty temp dir and the path of a not yet existing config dir inside it.
pub fn empty_config() -> (TempDir, PathBuf) {
    let tmp = tempfile::tempdir().expect("creating a temp dir");
    let dst = tmp.path().join("config");
    (tmp, dst)
}

/// Copies the tree `src` to `dst` (folders 0700, files 0600) but the top-level names in
/// `skip`, giving everything to `owner` when one is named. A file that is gone by the time it
/// is copied (a server's temporary file) is left out.
pub fn copy_tree(src: &Path, dst: &Path, skip: &[&str], owner: Option<(Uid, Gid)>) {
    let give = |p: &Path| {
        if let Some((uid, gid)) = owner {
            chown(p, Some(uid), Some(gid)).expect("giving a copied file to its owner");
        }
    };
    fs::create_dir_all(dst).expect("creating a copy");
    fs::set_permissions(dst, fs::Permissions::from_mode(0o700)).unwrap();
    give(dst);
    for entry in fs::read_dir(src).expect("reading a tree to copy") {
        let entry = entry.unwrap();
        if skip.iter().any(|s| entry.file_name() == *s) {
            continue;
        }
        let target = dst.join(entry.file_name());
        if entry.file_type().unwrap().is_dir() {
            copy_tree(&entry.path(), &target, &[], owner);
            continue;
        }
        match fs::copy(entry.path(), &target) {
            Ok(_) => {}
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => continue,
            Err(e) => panic!("copying {}: {e}", entry.path().display()),
        }
        fs::set_permissions(&target, fs::Permissions::from_mode(0o600)).unwrap();
        give(&target);
    }
}

/// A large fleet on one machine, for benchmarks: a throwaway cluster with 10 databases
/// (`app_0`..`app_9`) and a copy of `seed-config` whose servers.json holds `servers` entries
/// (`pg-0000`, ...) that all point at it.
pub async fn fleet_on_one_cluster(
    servers: usize,
) -> (crate::postgres::TestCluster, TempDir, PathBuf) {
    let pg = crate::postgres::TestCluster::start();
    for i in 0..10 {
        pg.create_database(&format!("app_{i}")).await;
    }
    let (tmp, dir) = seed_config();
    let port = pg.port;
    write_servers(
        &dir,
        (0..servers).map(|i| (format!("pg-{i:04}"), "127.0.0.1".to_owned(), port)),
    );
    (pg, tmp, dir)
}

/// Creates the fixture's databases and loads its history into `stats_db`.
pub async fn load_stats_db(pg: &crate::postgres::TestCluster) {
    let admin = pg.client("postgres").await;
    let setup =
        std::fs::read_to_string(fixtures_dir().join("stats_db/setup_databases.sql")).unwrap();
    // CREATE DATABASE cannot share a multi-statement query: one statement at a time.
    for stmt in setup
        .lines()
        .filter(|l| !l.trim_start().starts_with("--"))
        .collect::<String>()
        .split(';')
    {
        if !stmt.trim().is_empty() {
            admin.batch_execute(stmt).await.expect(stmt);
        }
    }
    let data =
        std::fs::read_to_string(fixtures_dir().join("stats_db/stats_db_fixture.sql")).unwrap();
    pg.client("stats_db")
        .await
        .batch_execute(&data)
        .await
        .expect("loading the history fixture");
}

/// Replaces the servers of config dir `dir` with `servers` (name, host, port; user postgres),
/// written through the store as pgmonctl would.
pub fn write_servers(dir: &Path, servers: impl Iterator<Item = (String, String, u16)>) {
    std::fs::write(dir.join("servers.json"), "[]").unwrap();
    let cfg = pgmon_common::ConfigDir::open(dir).unwrap();
    for (name, host, port) in servers {
        let input = pgmon_common::servers::ServerInput {
            name,
            host,
            port,
            user: "postgres".into(),
            ..Default::default()
        };
        cfg.create_server(input, usize::MAX).unwrap();
    }
}
