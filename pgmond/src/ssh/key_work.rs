//! Work on private keys (decrypting, generating) off the runtime threads, a few at a time and
//! each within a time limit. The key-derivation bounds of `pgmon_common::ssh_keys::format` keep
//! one piece of work to seconds; this keeps a burst of them from taking every core or queueing
//! without end.

use std::time::Duration;

use tokio::sync::Semaphore;

/// Key jobs running at once: the cores of the 2-core machines pgmond is sized for, so a burst
/// of them slows the API but cannot queue it behind them (API work never needs a turn).
const CONCURRENCY: usize = 2;
/// How long a job may wait for its turn before the caller is told to come back.
const QUEUE_WAIT: Duration = Duration::from_secs(10);
/// How long a caller waits for a decryption. Within the bounds one ends in a few seconds; the
/// thread is not interrupted past the limit, but it keeps its turn until it ends, so nothing
/// piles up.
pub const DECRYPT_LIMIT: Duration = Duration::from_secs(15);
/// How long a caller waits for a new key (an 8192-bit RSA key can take a minute).
pub const GENERATE_LIMIT: Duration = Duration::from_secs(180);

static GATE: Semaphore = Semaphore::const_new(CONCURRENCY);

#[derive(Debug, thiserror::Error)]
pub enum KeyWorkError {
    #[error("Too many key operations in progress, try again later")]
    Busy,
    #[error("Key operation took too long")]
    TimedOut,
    #[error("Key operation failed")]
    Failed,
}

/// Runs `work` on the blocking pool once a turn is free, waiting for it at most `limit`.
pub async fn run<T: Send + 'static>(
    limit: Duration,
    work: impl FnOnce() -> T + Send + 'static,
) -> Result<T, KeyWorkError> {
    let permit = tokio::time::timeout(QUEUE_WAIT, GATE.acquire())
        .await
        .map_err(|_| KeyWorkError::Busy)?
        .map_err(|_| KeyWorkError::Failed)?;
    let job = tokio::task::spawn_blocking(move || {
        let _turn = permit;
        work()
    });
    match tokio::time::timeout(limit, job).await {
        Ok(Ok(out)) => Ok(out),
        Ok(Err(_)) => Err(KeyWorkError::Failed),
        Err(_) => Err(KeyWorkError::TimedOut),
    }
}
