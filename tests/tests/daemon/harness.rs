//! The harness's own servers start, answer and stop.

use pgmon_tests::net::{is_listening, read_banner};
use pgmon_tests::postgres::TestCluster;
use pgmon_tests::sshd::TestSshd;

#[tokio::test]
/// A throwaway cluster answers queries, stops (port closed) and starts again on its data.
async fn postgres_starts_answers_stops_and_restarts() {
    let mut pg = TestCluster::start();
    let c = pg.client("postgres").await;
    let row = c
        .query_one("SELECT current_setting('listen_addresses')", &[])
        .await
        .unwrap();
    assert_eq!(row.get::<_, String>(0), "127.0.0.1");
    c.batch_execute("CREATE TABLE kept(x int); INSERT INTO kept VALUES (7)")
        .await
        .unwrap();
    drop(c);
    pg.stop();
    assert!(!is_listening(pg.port), "port still open after stop");
    pg.start_server();
    let c = pg.client("postgres").await;
    let row = c.query_one("SELECT x FROM kept", &[]).await.unwrap();
    assert_eq!(row.get::<_, i32>(0), 7);
}

#[tokio::test]
/// The shared cluster serves per-test databases.
async fn shared_cluster_gives_each_test_a_database() {
    let pg = TestCluster::shared();
    pg.create_database("harness_db").await;
    let c = pg.client("harness_db").await;
    let row = c.query_one("SELECT current_database()", &[]).await.unwrap();
    assert_eq!(row.get::<_, String>(0), "harness_db");
}

#[test]
/// A throwaway sshd sends an OpenSSH banner on loopback and is gone after stop.
fn sshd_starts_answers_and_stops() {
    let mut sshd = TestSshd::start();
    let banner = read_banner(sshd.port).expect("no banner");
    assert!(banner.starts_with("SSH-2.0-OpenSSH"), "{banner}");
    assert!(sshd.host_public_key().starts_with("ssh-ed25519 "));
    assert!(sshd.authorized_keys().exists());
    sshd.stop();
    assert!(!is_listening(sshd.port));
}
