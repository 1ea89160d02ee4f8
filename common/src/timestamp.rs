//! Timestamps of the config files. Python wrote them with `isoformat()` or `str()`, so the date and
//! time may be separated by `T` or a space; both are read, `isoformat()` is written.

use std::fmt;

use chrono::{DateTime, FixedOffset, NaiveDateTime, SecondsFormat, Timelike, Utc};
use serde::{Deserialize, Deserializer, Serialize, Serializer};

#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub struct Timestamp(DateTime<FixedOffset>);

impl Timestamp {
    pub fn now() -> Timestamp {
        Timestamp(Utc::now().fixed_offset())
    }

    /// Parses ISO-8601 with `T` or a space, an offset or `Z`; a naive time is taken as UTC.
    pub fn parse(text: &str) -> Option<Timestamp> {
        let t = text.trim().replacen(' ', "T", 1);
        if let Ok(dt) = DateTime::parse_from_rfc3339(&t) {
            return Some(Timestamp(dt));
        }
        NaiveDateTime::parse_from_str(&t, "%Y-%m-%dT%H:%M:%S%.f")
            .ok()
            .map(|n| Timestamp(n.and_utc().fixed_offset()))
    }

    pub fn from_utc(t: DateTime<Utc>) -> Timestamp {
        Timestamp(t.fixed_offset())
    }

    pub fn as_datetime(&self) -> DateTime<FixedOffset> {
        self.0
    }

    /// Python's `isoformat()`: microseconds only when non-zero, offset as `+00:00`.
    pub fn to_isoformat(&self) -> String {
        let secs = if self.0.nanosecond() == 0 {
            SecondsFormat::Secs
        } else {
            SecondsFormat::Micros
        };
        self.0.to_rfc3339_opts(secs, false)
    }

    /// The API's form (what pydantic sent): as `isoformat()`, but UTC written as `Z`.
    pub fn to_api(&self) -> String {
        let iso = self.to_isoformat();
        match iso.strip_suffix("+00:00") {
            Some(utc) => format!("{utc}Z"),
            None => iso,
        }
    }
}

impl fmt::Debug for Timestamp {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.to_isoformat())
    }
}

impl fmt::Display for Timestamp {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.to_api())
    }
}

impl Serialize for Timestamp {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&self.to_isoformat())
    }
}

impl<'de> Deserialize<'de> for Timestamp {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let text = String::deserialize(d)?;
        Timestamp::parse(&text)
            .ok_or_else(|| serde::de::Error::custom(format!("invalid timestamp {text:?}")))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    /// Both separators, `Z`, fractions and naive times parse; output matches Python's forms.
    fn parses_python_forms() {
        let a = Timestamp::parse("2025-07-10 11:37:38.123456+00:00").unwrap();
        assert_eq!(a.to_isoformat(), "2025-07-10T11:37:38.123456+00:00");
        assert_eq!(a.to_api(), "2025-07-10T11:37:38.123456Z");
        let b = Timestamp::parse("2025-08-01T08:00:00+00:00").unwrap();
        assert_eq!(b.to_isoformat(), "2025-08-01T08:00:00+00:00");
        assert_eq!(b.to_api(), "2025-08-01T08:00:00Z");
        assert_eq!(
            Timestamp::parse("2025-07-01T12:30:00.5+00:00")
                .unwrap()
                .to_isoformat(),
            "2025-07-01T12:30:00.500000+00:00"
        );
        assert_eq!(
            Timestamp::parse("2026-01-02T03:04:05Z").unwrap().to_api(),
            "2026-01-02T03:04:05Z"
        );
        assert_eq!(
            Timestamp::parse("2026-01-02T03:04:05")
                .unwrap()
                .to_isoformat(),
            "2026-01-02T03:04:05+00:00"
        );
        assert_eq!(
            Timestamp::parse("2026-01-02T03:04:05+02:00")
                .unwrap()
                .to_api(),
            "2026-01-02T03:04:05+02:00"
        );
        assert!(Timestamp::parse("yesterday").is_none());
    }
}
