//! Concurrent writers and killed writers never lose or corrupt an entry.

use std::fs;
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::Duration;

use pgmon_tests::bins;
use pgmon_tests::daemon::pgmonctl;
use pgmon_tests::fixtures::seed_config;
use serde_json::Value;

fn read_array(path: &Path) -> Vec<Value> {
    let text = fs::read_to_string(path).unwrap();
    serde_json::from_str::<Value>(&text)
        .unwrap_or_else(|e| panic!("{} unparsable: {e}\n{text}", path.display()))
        .as_array()
        .expect("not a JSON array")
        .clone()
}

#[test]
/// 4 processes each adding 25 users through pgmonctl leave all 100 and valid JSON.
fn four_writers_add_a_hundred_users() {
    let (_tmp, dir) = seed_config();
    let writers: Vec<_> = (0..4)
        .map(|w| {
            let dir = dir.clone();
            std::thread::spawn(move || {
                for i in 0..25 {
                    let login = format!("w{w}-u{i}");
                    let out = pgmonctl(
                        &dir,
                        &["users", "add", &login, "--password-stdin"],
                        "pw-123456\n",
                    );
                    assert!(
                        out.status.success(),
                        "{login}: {}",
                        String::from_utf8_lossy(&out.stderr)
                    );
                }
            })
        })
        .collect();
    for w in writers {
        w.join().unwrap();
    }
    let users = read_array(&dir.join("users.json"));
    assert_eq!(users.len(), 4 + 100);
    for w in 0..4 {
        for i in 0..25 {
            let login = format!("w{w}-u{i}");
            assert!(users.iter().any(|u| u["login"] == login), "{login} lost");
        }
    }
}

#[test]
/// SIGKILL at random moments during writes never leaves a torn file, and every write that was
/// acknowledged (exit 0) is there.
fn killed_writers_never_tear_the_file() {
    let (_tmp, dir) = seed_config();
    let path = dir.join("servers.json");
    let mut acknowledged = Vec::new();
    for round in 0..60u64 {
        let name = format!("crash-{round}");
        let mut child = Command::new(bins::pgmonctl())
            .arg("--config-dir")
            .arg(&dir)
            .args([
                "servers",
                "add",
                &name,
                "--host",
                "db.invalid",
                "--user",
                "u",
                "--no-check",
            ])
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        // Spread the kill over the process's life: start-up, reading, encrypting, writing.
        std::thread::sleep(Duration::from_micros((round * 7919) % 25_000));
        let _ = child.kill();
        let status = child.wait().unwrap();
        if status.success() {
            acknowledged.push(name);
        }
        let servers = read_array(&path);
        for a in &acknowledged {
            assert!(
                servers.iter().any(|s| s["name"] == a.as_str()),
                "acknowledged {a} lost"
            );
        }
        assert!(servers.len() >= 5, "fixture servers lost");
    }
    assert!(
        !acknowledged.is_empty() && acknowledged.len() < 60,
        "kills should land both before and after completion: {} of 60 completed",
        acknowledged.len()
    );
    // The store still takes writes after all that.
    let out = pgmonctl(
        &dir,
        &[
            "servers",
            "add",
            "after",
            "--host",
            "db.invalid",
            "--user",
            "u",
            "--no-check",
        ],
        "",
    );
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let leftovers: Vec<_> = fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|n| n.contains(".tmp-"))
        .collect();
    assert!(leftovers.is_empty(), "temp files left: {leftovers:?}");
}
