//! `GET/PUT /settings`: the collector's schedule and retention, changed at run time by an
//! admin and kept in `settings.json` in the config dir.

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

/// The settings in force.
#[derive(Clone, Copy, Debug, Serialize, Deserialize, PartialEq, Eq, ToSchema)]
pub struct Settings {
    /// Seconds between samples of a server (a server entry's `collect_interval` overrides it).
    pub collect_interval: u64,
    /// Seconds between readings of database sizes.
    pub size_interval: u64,
    /// Days samples are kept as taken; older ones are kept as hourly rollups.
    pub raw_retention_days: u64,
}

/// `PUT /settings`: only the fields given change.
#[derive(Clone, Copy, Debug, Default, Serialize, Deserialize, PartialEq, Eq, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SettingsUpdate {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub collect_interval: Option<u64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub size_interval: Option<u64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub raw_retention_days: Option<u64>,
}

/// What the API accepts, field by field: (name, lowest, highest).
pub const LIMITS: [(&str, u64, u64); 3] = [
    ("collect_interval", 10, 86_400),
    ("size_interval", 60, 7 * 86_400),
    ("raw_retention_days", 1, 3_650),
];

impl SettingsUpdate {
    /// The first field outside its limits, with why.
    pub fn out_of_range(&self) -> Option<(&'static str, String)> {
        let given = [
            self.collect_interval,
            self.size_interval,
            self.raw_retention_days,
        ];
        LIMITS
            .iter()
            .zip(given)
            .find_map(|(&(name, low, high), v)| {
                v.filter(|v| !(low..=high).contains(v)).map(|v| {
                    (
                        name,
                        format!("{name} must be between {low} and {high} (got {v})"),
                    )
                })
            })
    }

    /// These changes, then `later` on top.
    pub fn then(&self, later: &SettingsUpdate) -> SettingsUpdate {
        SettingsUpdate {
            collect_interval: later.collect_interval.or(self.collect_interval),
            size_interval: later.size_interval.or(self.size_interval),
            raw_retention_days: later.raw_retention_days.or(self.raw_retention_days),
        }
    }

    pub fn applied_to(&self, s: Settings) -> Settings {
        Settings {
            collect_interval: self.collect_interval.unwrap_or(s.collect_interval),
            size_interval: self.size_interval.unwrap_or(s.size_interval),
            raw_retention_days: self.raw_retention_days.unwrap_or(s.raw_retention_days),
        }
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
    }
}
