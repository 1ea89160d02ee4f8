//! Test harness for pgmon's end-to-end tests: throwaway PostgreSQL clusters and sshd servers on
//! loopback, the real `pgmond` and `pgmonctl` binaries, and copies of the shared fixtures.
//!
//! The harness panics with a message saying what to install or build when something it needs is
//! missing: a test that cannot run its real parts fails rather than passing vacuously.

pub mod bins;
pub mod certs;
pub mod cleanup;
pub mod daemon;
pub mod fixtures;
pub mod hostile;
pub mod http;
pub mod measure;
pub mod net;
pub mod postgres;
pub mod python;
pub mod receivers;
pub mod recorded;
pub mod replicas;
pub mod sshd;
pub mod tarpit;
pub mod tmux;
pub mod year;

/// How much heavier the reliability tests run: `PGMON_SOAK=N` multiplies their rounds,
/// requests and durations by N (default 1, what CI runs).
pub fn soak_factor() -> u64 {
    std::env::var("PGMON_SOAK")
        .ok()
        .and_then(|v| v.parse().ok())
        .filter(|n| *n >= 1)
        .unwrap_or(1)
}
