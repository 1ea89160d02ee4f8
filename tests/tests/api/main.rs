//! The API and `pgmonctl` as clients see them: pgmond serving in this process (on a listener
//! bound to port 0) unless a test reads the daemon's log, and the `pgmonctl` binary on config
//! dirs and sockets.

mod api_auth;
mod api_cors;
mod api_docs;
mod api_fuzz;
mod api_roles;
mod api_schema_fuzz;
mod api_servers;
mod api_users;
mod apply;
mod audit;
mod bad_input;
mod concurrency;
mod newcomer;
mod packaging;
mod seed_config;
mod sessions;
mod sign_in;
mod standing_alone;
