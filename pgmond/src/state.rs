//! What every request handler can reach.

use std::collections::BTreeMap;
use std::sync::Arc;

use pgmon_common::api::PoolStatus;

use pgmon_common::ConfigDir;

use crate::api::ApiError;
use crate::auth::jwt::TokenKeys;

#[derive(Clone)]
pub struct AppState {
    pub dir: Arc<ConfigDir>,
    pub tokens: Arc<TokenKeys>,
}

impl AppState {
    pub fn new(dir: ConfigDir, tokens: TokenKeys) -> AppState {
        AppState {
            dir: Arc::new(dir),
            tokens: Arc::new(tokens),
        }
    }

    /// Runs store work (file locks, fsync, bcrypt) on the blocking pool, never on the runtime
    /// threads that serve requests.
    pub async fn store<T, F>(&self, work: F) -> Result<T, ApiError>
    where
        T: Send + 'static,
        F: FnOnce(&ConfigDir) -> pgmon_common::Result<T> + Send + 'static,
    {
        let dir = Arc::clone(&self.dir);
        Ok(tokio::task::spawn_blocking(move || work(&dir)).await??)
    }

    /// Connection pools open now; none until the monitoring engine exists.
    pub fn pools_count(&self) -> usize {
        self.pool_statuses().len()
    }

    /// `host:port:user:db` → pool facts, for `/api/pools/status`.
    pub fn pool_statuses(&self) -> BTreeMap<String, PoolStatus> {
        BTreeMap::new()
    }
}
