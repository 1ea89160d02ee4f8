//! What `pgmond` and `pgmonctl` share: the config-directory store and its models, the crypto that
//! keeps those files compatible with the Python backend, and the JSON shapes of the API.

pub mod api;
pub mod batch;
pub mod client;
pub mod config_dir;
pub mod crypto;
pub mod error;
pub mod hygiene;
pub mod names;
pub mod net;
pub mod secret;
pub mod servers;
pub mod ssh_keys;
pub mod store;
pub mod timestamp;
pub mod units;
pub mod users;

pub use config_dir::ConfigDir;
pub use error::{Error, Result};
