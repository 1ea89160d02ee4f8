//! What pgmon reads from PostgreSQL: status, activity, TLS, history and the collector, against
//! throwaway clusters. `tests/pg-majors` runs this binary against every major from 12 to 18.

mod activity;
mod checks;
mod collector;
mod history;
mod live;
mod monitoring;
mod replication;
mod top;
