//! What every request handler can reach.

use std::sync::Arc;

use pgmon_common::ConfigDir;

#[derive(Clone)]
pub struct AppState {
    pub dir: Arc<ConfigDir>,
}

impl AppState {
    pub fn new(dir: ConfigDir) -> AppState {
        AppState { dir: Arc::new(dir) }
    }

    /// Connection pools open now; none until the monitoring engine exists.
    pub fn pools_count(&self) -> usize {
        0
    }
}
