//! The `pgmond` process itself: first start, signals and kills, descriptor limits, its logs,
//! the admin socket's peer credentials, SSH through a real sshd, and `/metrics` scraped by a
//! real Prometheus; alerts delivered to real receivers; and the test harness's own clusters.

mod alerts;
mod api_socket;
mod cold_start;
mod first_start;
mod hardening;
mod harness;
mod https;
mod metrics;
mod reliability;
mod replicas;
mod security;
mod ssh;
