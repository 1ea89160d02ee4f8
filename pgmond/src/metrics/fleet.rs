//! The fleet's series, written at scrape time from what pgmond already holds: the config
//! snapshot (which servers, where), the collector's newest sample of each server, the pools and
//! the store's size. Nothing here sends a query.

use std::collections::HashMap;
use std::sync::Arc;

use prometheus_client::collector::Collector as Series;
use prometheus_client::encoding::{DescriptorEncoder, EncodeLabelSet, EncodeMetric};
use prometheus_client::metrics::MetricType;
use prometheus_client::metrics::counter::ConstCounter;
use prometheus_client::metrics::gauge::ConstGauge;
use prometheus_client::metrics::info::Info;
use prometheus_client::registry::Unit;

use super::format::Escaped;
use crate::collector::{Collector, LatestSample, Live};
use crate::fleet::Fleet;
use crate::history::DbObservation;
use crate::monitor::Monitor;

pub struct FleetSeries {
    pub fleet: Arc<Fleet>,
    pub collector: Arc<Collector>,
    pub monitor: Arc<Monitor>,
}

impl std::fmt::Debug for FleetSeries {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("FleetSeries")
    }
}

type Result = std::result::Result<(), std::fmt::Error>;

const NO_LABELS: [(&str, &str); 0] = [];

/// The counters of `pg_stat_database` in the order of `sample::Counters`, as (name, help).
const DB_COUNTERS: [(&str, &str); 11] = [
    ("xact_rollback", "Transactions rolled back"),
    ("blks_read", "Disk blocks read"),
    ("blks_hit", "Disk blocks found in shared buffers"),
    ("tup_returned", "Rows returned by queries"),
    ("tup_fetched", "Rows fetched by queries"),
    ("tup_inserted", "Rows inserted"),
    ("tup_updated", "Rows updated"),
    ("tup_deleted", "Rows deleted"),
    ("temp_files", "Temporary files created"),
    ("temp_bytes", "Bytes written to temporary files"),
    ("deadlocks", "Deadlocks detected"),
];

/// One family: its descriptor, then a value per label set.
fn family<M: EncodeMetric, S: EncodeLabelSet, L: IntoIterator<Item = (S, M)>>(
    e: &mut DescriptorEncoder<'_>,
    (name, help, unit, kind): (&str, &str, Option<&Unit>, MetricType),
    series: L,
) -> Result {
    let mut encoder = e.encode_descriptor(name, help, unit, kind)?;
    for (labels, metric) in series {
        metric.encode(encoder.encode_family(&labels)?)?;
    }
    Ok(())
}

fn gauge<'a>(
    name: &'a str,
    help: &'static str,
) -> (&'a str, &'static str, Option<&'static Unit>, MetricType) {
    (name, help, None, MetricType::Gauge)
}

fn counter<'a>(
    name: &'a str,
    help: &'static str,
) -> (&'a str, &'static str, Option<&'static Unit>, MetricType) {
    (name, help, None, MetricType::Counter)
}

/// Label sets are arrays: a scrape of a large fleet writes a hundred thousand of them.
fn server_label(name: &str) -> [(&'static str, Escaped<'_>); 1] {
    [("server", Escaped(name))]
}

impl Series for FleetSeries {
    fn encode(&self, mut e: DescriptorEncoder<'_>) -> Result {
        let snapshot = self.fleet.get();
        let latest = self.collector.latest();
        // Configured servers in config order, with their newest sample.
        let sampled: Vec<(&str, &LatestSample)> = snapshot
            .servers
            .iter()
            .filter_map(|s| latest.get(&s.name).map(|l| (s.name.as_str(), &**l)))
            .collect();
        let live: Vec<(&str, &Live)> = sampled
            .iter()
            .filter_map(|(n, l)| l.outcome.as_ref().ok().map(|live| (*n, live)))
            .collect();

        // Servers not sampled yet (the collector's first samples are spread over a minute)
        // count by their latest status check, which a start runs for the whole fleet at once
        // (with a shared store, for the servers this replica collects): a scrape right after
        // start covers every server it collects.
        let checked: Vec<(&str, pgmon_common::api::ServerStatus)> = snapshot
            .servers
            .iter()
            .filter(|s| !latest.contains_key(&s.name))
            .filter_map(|s| Some((s.name.as_str(), self.monitor.latest_status(s)?)))
            .collect();
        let mut versions: HashMap<&str, &str> =
            live.iter().map(|(n, l)| (*n, l.version.as_str())).collect();
        versions.extend(
            checked
                .iter()
                .filter_map(|(n, st)| Some((*n, st.version.as_deref()?))),
        );
        let mut info = e.encode_descriptor(
            "pgmon_server",
            "A monitored server: where it is and, once sampled, its version",
            None,
            MetricType::Info,
        )?;
        for s in snapshot.servers.iter() {
            let port = s.port.to_string();
            let labels = vec![
                ("server", Escaped(&s.name)),
                ("host", Escaped(&s.host)),
                ("port", Escaped(&port)),
                (
                    "version",
                    Escaped(versions.get(s.name.as_str()).copied().unwrap_or("")),
                ),
            ];
            Info::new(labels).encode(info.encode_family(&NO_LABELS)?)?;
        }

        family(
            &mut e,
            gauge(
                "pgmon_up",
                "Whether the newest sample (before the first, the status check) of the server succeeded (1) or failed (0)",
            ),
            sampled
                .iter()
                .map(|(n, l)| (*n, l.outcome.is_ok()))
                .chain(
                    checked
                        .iter()
                        .map(|(n, st)| (*n, st.status.starts_with("ok"))),
                )
                .map(|(n, up)| (server_label(n), ConstGauge::new(i64::from(up)))),
        )?;
        family(
            &mut e,
            (
                "pgmon_last_sample_timestamp",
                "When the newest sample was taken",
                Some(&Unit::Seconds),
                MetricType::Gauge,
            ),
            sampled
                .iter()
                .map(|(n, l)| (server_label(n), ConstGauge::new(l.at))),
        )?;
        family(
            &mut e,
            (
                "pgmon_sample_duration",
                "How long the newest sample took",
                Some(&Unit::Seconds),
                MetricType::Gauge,
            ),
            sampled.iter().map(|(n, l)| {
                (
                    server_label(n),
                    ConstGauge::new(l.duration_ms as f64 / 1000.0),
                )
            }),
        )?;
        family(
            &mut e,
            counter("pgmon_samples", "Samples taken since pgmond started"),
            sampled
                .iter()
                .map(|(n, l)| (server_label(n), ConstCounter::new(l.samples))),
        )?;
        family(
            &mut e,
            counter(
                "pgmon_sample_errors",
                "Samples that failed since pgmond started",
            ),
            sampled
                .iter()
                .map(|(n, l)| (server_label(n), ConstCounter::new(l.failures))),
        )?;
        family(
            &mut e,
            gauge(
                "pgmon_connections",
                "Client sessions by state (pgmon's own left out)",
            ),
            live.iter().flat_map(|(n, l)| {
                let c = l.observed.connections;
                [
                    ("active", c.active),
                    ("idle", c.idle),
                    ("idle_in_transaction", c.idle_in_transaction),
                    ("other", c.other),
                ]
                .map(|(state, v)| {
                    (
                        [("server", Escaped(n)), ("state", Escaped(state))],
                        ConstGauge::new(v),
                    )
                })
            }),
        )?;
        family(
            &mut e,
            gauge("pgmon_max_connections", "The server's max_connections"),
            live.iter()
                .map(|(n, l)| (server_label(n), ConstGauge::new(l.observed.max_connections))),
        )?;
        family(
            &mut e,
            gauge(
                "pgmon_autovacuum_freeze_max_age",
                "The server's autovacuum_freeze_max_age",
            ),
            live.iter().filter_map(|(n, l)| {
                l.observed
                    .freeze_max_age
                    .map(|a| (server_label(n), ConstGauge::new(a)))
            }),
        )?;
        family(
            &mut e,
            (
                "pgmon_start_time",
                "When the server (postmaster) started, since the epoch",
                Some(&Unit::Seconds),
                MetricType::Gauge,
            ),
            live.iter()
                .map(|(n, l)| (server_label(n), ConstGauge::new(l.started_at))),
        )?;
        for (name, help, pick) in [
            (
                "pgmon_disk_free",
                "Free bytes of the data directory's file system (over SSH)",
                (|d| d.0) as fn((i64, i64)) -> i64,
            ),
            (
                "pgmon_disk_total",
                "Size of the data directory's file system (over SSH)",
                |d| d.1,
            ),
        ] {
            family(
                &mut e,
                (name, help, Some(&Unit::Bytes), MetricType::Gauge),
                live.iter().filter_map(|(n, l)| {
                    l.observed
                        .disk
                        .map(|d| (server_label(n), ConstGauge::new(pick(d))))
                }),
            )?;
        }
        self.encode_databases(&mut e, &live)?;
        encode_replication(&mut e, &live)?;
        self.encode_checks(&mut e, &snapshot.servers)?;
        self.encode_pgmond(&mut e)
    }
}

impl FleetSeries {
    /// Health-check findings by kind and severity (only the counts that are not zero), and
    /// each server's last run: from the collector's memory, for the servers collected here.
    fn encode_checks(
        &self,
        e: &mut DescriptorEncoder<'_>,
        servers: &[pgmon_common::servers::Server],
    ) -> Result {
        let known = self.collector.checks_in_memory();
        let leases = self.collector.leases();
        // With a shared store, memory may still hold a server another replica just took: a
        // replica's series are those of the servers it collects, as its other series.
        let held = leases.hold_each(servers.iter().map(|s| s.name.as_str()));
        let checked: Vec<(&str, &pgmon_common::api::checks::ServerChecks)> = servers
            .iter()
            .zip(held)
            .filter(|(_, held)| *held)
            .filter_map(|(s, _)| known.get(&s.name).map(|c| (s.name.as_str(), &**c)))
            .collect();
        let mut counts = Vec::new();
        for (server, checks) in &checked {
            let mut by: std::collections::BTreeMap<(&str, &str), i64> = Default::default();
            for f in &checks.checks {
                *by.entry((f.kind.as_str(), f.severity.as_str()))
                    .or_default() += 1;
            }
            counts.extend(by.into_iter().map(|((kind, severity), n)| {
                let labels = [
                    ("server", Escaped(server)),
                    ("kind", Escaped(kind)),
                    ("severity", Escaped(severity)),
                ];
                (labels, ConstGauge::new(n))
            }));
        }
        family(
            e,
            gauge(
                "pgmon_check_findings",
                "Open health-check findings of the server, by kind and severity",
            ),
            counts,
        )?;
        family(
            e,
            (
                "pgmon_checks_last_run",
                "When the server's health checks last ran, since the epoch",
                Some(&Unit::Seconds),
                MetricType::Gauge,
            ),
            checked.iter().filter_map(|(n, c)| {
                let at = crate::collector::last_run_ms(c)? / 1000;
                Some((server_label(n), ConstGauge::new(at)))
            }),
        )?;
        family(
            e,
            gauge(
                "pgmon_check_errors",
                "Checks that could not run in the server's last run (privileges, timeouts, \
                 connections)",
            ),
            checked
                .iter()
                .map(|(n, c)| (server_label(n), ConstGauge::new(c.errors.len() as i64))),
        )
    }
}

/// Standbys' lag as each primary measures it, a standby's own replay backlog, and slots: from the
/// collector's newest sample, so as fresh as `collect_interval`.
fn encode_replication(e: &mut DescriptorEncoder<'_>, live: &[(&str, &Live)]) -> Result {
    let senders = || {
        live.iter().flat_map(|(n, l)| {
            l.replication.senders.iter().map(move |s| {
                let standby = s.application_name.as_deref().unwrap_or("");
                ([("server", Escaped(n)), ("standby", Escaped(standby))], s)
            })
        })
    };
    family(
        e,
        (
            "pgmon_replication_replay_lag",
            "How far a standby's replay trails the primary in time (PostgreSQL's replay_lag)",
            Some(&Unit::Seconds),
            MetricType::Gauge,
        ),
        senders().filter_map(|(l, s)| s.replay_lag_seconds.map(|v| (l, ConstGauge::new(v)))),
    )?;
    family(
        e,
        (
            "pgmon_replication_replay_lag",
            "WAL written on the primary and not yet replayed by the standby",
            Some(&Unit::Bytes),
            MetricType::Gauge,
        ),
        senders().filter_map(|(l, s)| s.replay_lag_bytes.map(|v| (l, ConstGauge::new(v)))),
    )?;
    family(
        e,
        (
            "pgmon_standby_replay_lag",
            "On a standby: WAL received and not yet replayed",
            Some(&Unit::Bytes),
            MetricType::Gauge,
        ),
        live.iter().filter_map(|(n, l)| {
            let lag = l.replication.standby.as_ref()?.replay_lag_bytes?;
            Some((server_label(n), ConstGauge::new(lag)))
        }),
    )?;
    let slots = || {
        live.iter().flat_map(|(n, l)| {
            l.replication
                .slots
                .iter()
                .map(move |s| ([("server", Escaped(n)), ("slot", Escaped(&s.slot_name))], s))
        })
    };
    family(
        e,
        gauge(
            "pgmon_replication_slot_active",
            "Whether a replication slot has a consumer (1) or not (0)",
        ),
        slots().map(|(l, s)| (l, ConstGauge::new(i64::from(s.active)))),
    )?;
    family(
        e,
        (
            "pgmon_replication_slot_retained",
            "WAL the slot holds back, from its restart_lsn to the server's newest position",
            Some(&Unit::Bytes),
            MetricType::Gauge,
        ),
        slots().filter_map(|(l, s)| s.retained_bytes.map(|v| (l, ConstGauge::new(v)))),
    )
}

fn db_labels<'a>(server: &'a str, db: &'a DbObservation) -> [(&'static str, Escaped<'a>); 2] {
    [
        ("server", Escaped(server)),
        ("datname", Escaped(&db.datname)),
    ]
}

impl FleetSeries {
    fn encode_databases(&self, e: &mut DescriptorEncoder<'_>, live: &[(&str, &Live)]) -> Result {
        let dbs = || {
            live.iter()
                .flat_map(|(n, l)| l.observed.databases.iter().map(move |d| (*n, *l, d)))
        };
        family(
            e,
            (
                "pgmon_database_size",
                "Size of the database (read every size_interval)",
                Some(&Unit::Bytes),
                MetricType::Gauge,
            ),
            dbs().filter_map(|(n, _, d)| {
                d.figures
                    .size_max
                    .map(|s| (db_labels(n, d), ConstGauge::new(s)))
            }),
        )?;
        family(
            e,
            gauge("pgmon_database_backends", "Client sessions on the database"),
            dbs().filter_map(|(n, _, d)| {
                d.figures
                    .nb_max
                    .map(|v| (db_labels(n, d), ConstGauge::new(v)))
            }),
        )?;
        family(
            e,
            gauge(
                "pgmon_database_frozen_xid_age",
                "age(datfrozenxid) of the database",
            ),
            dbs().filter_map(|(n, _, d)| {
                d.figures
                    .age_max
                    .map(|v| (db_labels(n, d), ConstGauge::new(v)))
            }),
        )?;
        family(
            e,
            counter(
                "pgmon_database_xact_commit",
                "Transactions committed (the server's own total)",
            ),
            dbs()
                .filter(|(_, _, d)| d.figures.commit_n > 0)
                .map(|(n, _, d)| {
                    (
                        db_labels(n, d),
                        ConstCounter::new(u64::try_from(d.figures.commit_sum).unwrap_or(0)),
                    )
                }),
        )?;
        for (i, (name, help)) in DB_COUNTERS.iter().enumerate() {
            family(
                e,
                counter(&format!("pgmon_database_{name}"), help),
                dbs().filter_map(|(n, l, d)| {
                    l.totals.get(&d.oid).map(|t| {
                        (
                            db_labels(n, d),
                            ConstCounter::new(u64::try_from(t[i]).unwrap_or(0)),
                        )
                    })
                }),
            )?;
        }
        Ok(())
    }

    /// pgmond's own pools and store.
    fn encode_pgmond(&self, e: &mut DescriptorEncoder<'_>) -> Result {
        let pools = self.monitor.pool_gauges();
        for (i, (name, help)) in [
            ("pgmon_pool_connections", "Connections a pool holds open"),
            ("pgmon_pool_idle_connections", "Idle connections of a pool"),
            (
                "pgmon_pool_waiting",
                "Callers waiting for a connection of a pool",
            ),
            (
                "pgmon_pool_max_connections",
                "The most connections a pool opens",
            ),
        ]
        .into_iter()
        .enumerate()
        {
            family(
                e,
                gauge(name, help),
                pools.iter().map(|(pool, g)| {
                    (
                        [("pool", Escaped(pool.as_str()))],
                        ConstGauge::new(g[i] as i64),
                    )
                }),
            )?;
        }
        family(
            e,
            (
                "pgmon_history_store_size",
                "Bytes of the history store on disk (file and write-ahead log)",
                Some(&Unit::Bytes),
                MetricType::Gauge,
            ),
            [(
                NO_LABELS,
                ConstGauge::new(self.collector.store_size() as i64),
            )],
        )?;
        family(
            e,
            gauge("pgmon_servers", "Monitored servers configured"),
            [(
                NO_LABELS,
                ConstGauge::new(self.fleet.get().servers.len() as i64),
            )],
        )
    }
}
