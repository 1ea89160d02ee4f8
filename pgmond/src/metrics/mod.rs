//! `GET /metrics` (SPEC B5): the fleet and pgmond itself for Prometheus.
//!
//! Through `prometheus-client`, the Prometheus project's own Rust client: it has no global
//! state (the registry lives in `AppState`, so tests run daemons side by side), writes
//! OpenMetrics, and lets a collector write the fleet's series at scrape time from memory
//! instead of keeping a gauge per series up to date. The classic text format is made from its
//! output (`format.rs`). A scrape never sends a query to a monitored server: the fleet's figures
//! are the collector's newest samples.

mod fleet;
pub mod format;

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Instant;

use axum::extract::{MatchedPath, Request};
use axum::middleware::Next;
use axum::response::Response;
use prometheus_client::encoding::EncodeLabelSet;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::histogram::{Histogram, exponential_buckets};
use prometheus_client::metrics::info::Info;
use prometheus_client::registry::{Registry, Unit};

use crate::collector::Collector;
use crate::fleet::Fleet;
use crate::monitor::Monitor;

#[derive(Clone, Debug, PartialEq, Eq, Hash, EncodeLabelSet)]
struct RequestLabels {
    /// The route's template (`/server/{name}/stats`), never the path itself.
    route: &'static str,
    method: &'static str,
    status: u16,
}

#[derive(Clone, Debug, PartialEq, Eq, Hash, EncodeLabelSet)]
struct RouteLabels {
    route: &'static str,
}

pub struct Metrics {
    registry: Registry,
    requests: Family<RequestLabels, Counter>,
    latency: Family<RouteLabels, Histogram>,
    last_size: AtomicUsize,
}

/// Route templates are few and fixed; each is kept once, so a label is a `&'static str`.
fn interned(route: &str) -> &'static str {
    use std::collections::HashSet;
    use std::sync::{LazyLock, Mutex};
    static ROUTES: LazyLock<Mutex<HashSet<&'static str>>> = LazyLock::new(Mutex::default);
    let mut routes = ROUTES.lock().unwrap_or_else(|p| p.into_inner());
    match routes.get(route) {
        Some(r) => r,
        None => {
            let r: &'static str = Box::leak(route.to_owned().into_boxed_str());
            routes.insert(r);
            r
        }
    }
}

/// The standard methods by name; any other is `other` (a label never holds what a client
/// made up).
fn method_label(m: &axum::http::Method) -> &'static str {
    ["GET", "POST", "PUT", "DELETE", "HEAD", "OPTIONS", "PATCH"]
        .into_iter()
        .find(|name| m.as_str() == *name)
        .unwrap_or("other")
}

impl Metrics {
    pub fn new(
        fleet: Arc<Fleet>,
        collector: Arc<Collector>,
        monitor: Arc<Monitor>,
        alerts: &crate::alerts::AlertMetrics,
    ) -> Metrics {
        let mut registry = Registry::default();
        alerts.register(&mut registry);
        let requests = Family::<RequestLabels, Counter>::default();
        registry.register(
            "pgmon_http_requests",
            "HTTP requests answered, by route template, method and status",
            requests.clone(),
        );
        let latency = Family::<RouteLabels, Histogram>::new_with_constructor(|| {
            // 0.5 ms to about 16 s.
            Histogram::new(exponential_buckets(0.0005, 2.0, 16))
        });
        registry.register_with_unit(
            "pgmon_http_request_duration",
            "Time to answer an HTTP request, by route template",
            Unit::Seconds,
            latency.clone(),
        );
        registry.register(
            "pgmon_build",
            "pgmond's version",
            Info::new(vec![("version", env!("CARGO_PKG_VERSION"))]),
        );
        registry.register_collector(Box::new(fleet::FleetSeries {
            fleet,
            collector,
            monitor,
        }));
        Metrics {
            registry,
            requests,
            latency,
            last_size: AtomicUsize::new(0),
        }
    }

    /// The exposition in OpenMetrics, or in the classic text format; with its content type.
    pub fn render(&self, openmetrics: bool) -> (&'static str, String) {
        // Sized like the last one: a large fleet's answer is megabytes, grown by doubling.
        let mut out = String::with_capacity(self.last_size.load(Ordering::Relaxed) + (1 << 16));
        // Writing to a String fails only if an encoder fails, which ours do not.
        let _ = prometheus_client::encoding::text::encode(&mut out, &self.registry);
        self.last_size.store(out.len(), Ordering::Relaxed);
        if openmetrics {
            (format::OPENMETRICS, out)
        } else {
            (format::TEXT, format::to_text(&out))
        }
    }

    fn observe(&self, route: &'static str, method: &'static str, status: u16, seconds: f64) {
        self.requests
            .get_or_create(&RequestLabels {
                route,
                method,
                status,
            })
            .inc();
        self.latency
            .get_or_create(&RouteLabels { route })
            .observe(seconds);
    }
}

/// Counts and times every request by its route's template (`unmatched` for no route).
pub async fn track(metrics: Arc<Metrics>, request: Request, next: Next) -> Response {
    let started = Instant::now();
    let route = request
        .extensions()
        .get::<MatchedPath>()
        .map_or("unmatched", |p| interned(p.as_str()));
    let method = method_label(request.method());
    let response = next.run(request).await;
    metrics.observe(
        route,
        method,
        response.status().as_u16(),
        started.elapsed().as_secs_f64(),
    );
    response
}
