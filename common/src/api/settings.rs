//! `GET/PUT /settings`: the collector's schedule and retention, and the thresholds of a
//! server's analysis, changed at run time by an admin and kept in `settings.json` in the config
//! dir.

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

/// Every setting once: its help, name, the range the API accepts and its default. `Settings`
/// (in force), `SettingsUpdate` (a change) and the rules between them come from this list, so
/// a new setting is one line here.
macro_rules! settings {
    ($( $(#[doc = $doc:literal])* $name:ident: $low:tt ..= $high:tt = $default:literal, $unit:literal; )*) => {
        /// The settings in force.
        #[derive(Clone, Copy, Debug, Serialize, Deserialize, PartialEq, Eq, ToSchema)]
        pub struct Settings {
            $( $(#[doc = $doc])* pub $name: u64, )*
        }

        /// `PUT /settings`: only the fields given change.
        #[derive(Clone, Copy, Debug, Default, Serialize, Deserialize, PartialEq, Eq, ToSchema)]
        #[cfg_attr(feature = "clap", derive(clap::Args))]
        #[serde(deny_unknown_fields)]
        pub struct SettingsUpdate {
            $(
                $(#[doc = $doc])*
                #[serde(default, skip_serializing_if = "Option::is_none")]
                #[cfg_attr(feature = "clap", arg(long, value_name = $unit))]
                #[schema(minimum = $low, maximum = $high)]
                pub $name: Option<u64>,
            )*
        }

        impl Settings {
            /// What pgmond uses when neither pgmond.toml nor settings.json says otherwise.
            pub const DEFAULT: Settings = Settings { $( $name: $default, )* };
        }

        /// What the API accepts, field by field: (name, lowest, highest).
        pub const LIMITS: &[(&str, u64, u64)] = &[ $( (stringify!($name), $low, $high), )* ];

        impl SettingsUpdate {
            fn given(&self) -> Vec<Option<u64>> {
                vec![ $( self.$name, )* ]
            }

            /// These changes, then `later` on top.
            pub fn then(&self, later: &SettingsUpdate) -> SettingsUpdate {
                SettingsUpdate { $( $name: later.$name.or(self.$name), )* }
            }

            pub fn applied_to(&self, s: Settings) -> Settings {
                Settings { $( $name: self.$name.unwrap_or(s.$name), )* }
            }
        }
    };
}

settings! {
    /// Seconds between samples of a server (10 to 86400; a server entry's `collect_interval`
    /// overrides it)
    collect_interval: 10..=86_400 = 600, "SECONDS";
    /// Seconds between readings of database sizes (60 to 604800)
    size_interval: 60..=604_800 = 1_800, "SECONDS";
    /// Days samples are kept as taken before they are rolled up by hour (1 to 3650)
    raw_retention_days: 1..=3_650 = 365, "DAYS";
    /// Analysis: a database without a client connection for this many days is unused (1 to 3650)
    unused_days: 1..=3_650 = 30, "DAYS";
    /// Analysis: a database without a commit or a size change for this many days is static
    /// (1 to 3650)
    static_days: 1..=3_650 = 30, "DAYS";
    /// Analysis: days over which a database's growth is measured (1 to 365)
    growth_window_days: 1..=365 = 7, "DAYS";
    /// Analysis: growth per day above which a database is fast-growing, in MiB (1 to 10000000)
    growth_mb_per_day: 1..=10_000_000 = 1_024, "MIB";
    /// Analysis: a database whose age(datfrozenxid) is over this percentage of the server's
    /// autovacuum_freeze_max_age is near wraparound (1 to 100)
    wraparound_percent: 1..=100 = 50, "PERCENT";
    /// Activity: characters of a session's query shown (100 to 100000)
    activity_query_chars: 100..=100_000 = 4_096, "CHARS";
    /// Findings: a session idle in a transaction this long holds locks and snapshots for
    /// nothing (1 to 604800)
    idle_in_transaction_seconds: 1..=604_800 = 300, "SECONDS";
    /// Findings: a transaction open this long holds back vacuum (1 to 604800)
    long_transaction_seconds: 1..=604_800 = 3_600, "SECONDS";
    /// Findings: a query running this long (1 to 604800)
    long_query_seconds: 1..=604_800 = 300, "SECONDS";
    /// Findings: a session waiting this long on a lock (1 to 604800)
    lock_wait_seconds: 1..=604_800 = 60, "SECONDS";
    /// Findings: a standby replaying this far behind, in seconds (1 to 604800)
    replication_lag_seconds: 1..=604_800 = 300, "SECONDS";
    /// Findings: a standby this far behind in WAL, in MiB (1 to 10000000)
    replication_lag_mib: 1..=10_000_000 = 1_024, "MIB";
    /// Findings: an inactive replication slot holding back this much WAL, in MiB (1 to
    /// 10000000)
    slot_retained_mib: 1..=10_000_000 = 1_024, "MIB";
    /// Checks: seconds between runs of the health checks on a server (3600 to 2592000)
    checks_interval: 3_600..=2_592_000 = 21_600, "SECONDS";
    /// Checks: a check's statement is cancelled after this many seconds (1 to 600)
    checks_statement_timeout: 1..=600 = 30, "SECONDS";
    /// Checks: a table or index is bloated when this share of its size is wasted (1 to 100)
    bloat_percent: 1..=100 = 50, "PERCENT";
    /// Checks: ...and the waste is at least this many MiB (1 to 1000000)
    bloat_min_mib: 1..=1_000_000 = 64, "MIB";
    /// Checks: a sequence (or the column it feeds) past this share of its range (1 to 100)
    sequence_percent: 1..=100 = 75, "PERCENT";
    /// Checks: a table with this many dead rows, or rows changed since its last analyze, is
    /// overdue for vacuum or analyze (1 to 1000000000)
    vacuum_rows: 1..=1_000_000_000 = 10_000, "ROWS";
    /// Checks: ...when they are also this share of its live rows (1 to 100)
    vacuum_percent: 1..=100 = 20, "PERCENT";
    /// Checks: a table of at least this many rows read mostly by sequential scans may need an
    /// index (1 to 1000000000)
    missing_index_rows: 1..=1_000_000_000 = 10_000, "ROWS";
    /// Alerts: a server is down after this many failed samples in a row (1 to 100)
    down_samples: 1..=100 = 2, "SAMPLES";
    /// Alerts: client sessions past this share of max_connections (1 to 100)
    connections_percent: 1..=100 = 90, "PERCENT";
    /// Alerts: the data directory's file system with less than this share free (1 to 99)
    disk_free_percent: 1..=99 = 10, "PERCENT";
    /// Alerts: a monitored server's TLS certificate expiring within this many days (1 to 365)
    certificate_days: 1..=365 = 14, "DAYS";
    /// Alerts: days an alert's history (and its notifications) is kept after it resolved (1 to
    /// 3650)
    alert_retention_days: 1..=3_650 = 90, "DAYS";
}

impl SettingsUpdate {
    /// The first field outside its limits, with why.
    pub fn out_of_range(&self) -> Option<(&'static str, String)> {
        LIMITS
            .iter()
            .zip(self.given())
            .find_map(|(&(name, low, high), v)| {
                v.filter(|v| !(low..=high).contains(v)).map(|v| {
                    (
                        name,
                        format!("{name} must be between {low} and {high} (got {v})"),
                    )
                })
            })
    }

    pub fn is_empty(&self) -> bool {
        self.given().iter().all(Option::is_none)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn limits_name_the_field() {
        let ok = SettingsUpdate {
            collect_interval: Some(10),
            ..Default::default()
        };
        assert_eq!(ok.out_of_range(), None);
        let low = SettingsUpdate {
            collect_interval: Some(9),
            ..Default::default()
        };
        assert_eq!(low.out_of_range().unwrap().0, "collect_interval");
        let high = SettingsUpdate {
            raw_retention_days: Some(100_000),
            ..Default::default()
        };
        assert!(
            high.out_of_range()
                .unwrap()
                .1
                .contains("raw_retention_days")
        );
        let percent = SettingsUpdate {
            wraparound_percent: Some(101),
            ..Default::default()
        };
        assert_eq!(percent.out_of_range().unwrap().0, "wraparound_percent");
    }

    #[test]
    fn defaults_are_within_limits() {
        let all = SettingsUpdate::default().then(&SettingsUpdate::default());
        assert!(all.is_empty());
        let d = serde_json::to_value(Settings::DEFAULT).unwrap();
        for &(name, low, high) in LIMITS {
            let v = d[name].as_u64().unwrap();
            assert!((low..=high).contains(&v), "{name} default {v}");
        }
    }

    #[test]
    fn a_change_lays_over_the_one_before() {
        let first = SettingsUpdate {
            unused_days: Some(10),
            static_days: Some(20),
            ..Default::default()
        };
        let second = SettingsUpdate {
            static_days: Some(40),
            ..Default::default()
        };
        let s = first.then(&second).applied_to(Settings::DEFAULT);
        assert_eq!((s.unused_days, s.static_days), (10, 40));
        assert_eq!(s.collect_interval, Settings::DEFAULT.collect_interval);
    }
}
