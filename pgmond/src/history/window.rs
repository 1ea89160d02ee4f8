//! The window rules of the history answers (SPEC A5): which rows a request covers and how
//! they are grouped. Both the store and the legacy reader use them, so the two agree.

use chrono::{DateTime, Duration, Utc};
use pgmon_common::timestamp::Timestamp;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Aggregation {
    Raw,
    Hour,
    FourHour,
    Day,
}

impl Aggregation {
    /// By the window's length in whole days: up to 2 raw, 14 hourly, 90 four-hourly, else daily.
    pub fn for_days(days: i64) -> Aggregation {
        match days {
            ..=2 => Aggregation::Raw,
            3..=14 => Aggregation::Hour,
            15..=90 => Aggregation::FourHour,
            _ => Aggregation::Day,
        }
    }

    pub fn name(self) -> &'static str {
        match self {
            Aggregation::Raw => "raw",
            Aggregation::Hour => "hour",
            Aggregation::FourHour => "4hour",
            Aggregation::Day => "day",
        }
    }

    /// The bucket of a row's `ts` (a fixed expression, never built from input).
    pub fn bucket_sql(self) -> &'static str {
        match self {
            Aggregation::Raw => "ts",
            Aggregation::Hour => "date_trunc('hour', ts)",
            Aggregation::FourHour => "to_timestamp(floor(extract(epoch FROM ts) / 14400) * 14400)",
            Aggregation::Day => "date_trunc('day', ts)",
        }
    }
}

/// The time window of a history request.
#[derive(Clone, Copy, Debug)]
pub struct HistoryWindow {
    pub start: DateTime<Utc>,
    pub end: DateTime<Utc>,
    pub aggregation: Aggregation,
}

impl HistoryWindow {
    /// From `start_date`/`end_date` (ISO-8601; `Z`, an offset, or none for UTC). Missing ends
    /// default to the last 7 days.
    pub fn parse(start: Option<&str>, end: Option<&str>) -> Result<HistoryWindow, String> {
        let parse = |name: &str, text: Option<&str>| -> Result<Option<DateTime<Utc>>, String> {
            text.map(|t| {
                Timestamp::parse(t)
                    .map(|ts| ts.as_datetime().with_timezone(&Utc))
                    .ok_or_else(|| format!("Invalid {name}: {t:?} is not an ISO-8601 date"))
            })
            .transpose()
        };
        let (start, end) = (parse("start_date", start)?, parse("end_date", end)?);
        let week = Duration::days(7);
        let (start, end) = match (start, end) {
            (Some(s), Some(e)) => (s, e),
            (Some(s), None) => (s, Utc::now()),
            (None, Some(e)) => (e - week, e),
            (None, None) => {
                let now = Utc::now();
                (now - week, now)
            }
        };
        if start > end {
            return Err("start_date is after end_date".into());
        }
        Ok(HistoryWindow {
            start,
            end,
            aggregation: Aggregation::for_days((end - start).num_days()),
        })
    }
}

const MICROS: i64 = 1_000_000;

impl Aggregation {
    /// The bucket of a time given in microseconds since the epoch, in the same unit (buckets
    /// start on whole hours, four-hour marks and days of UTC, as the SQL above).
    pub fn bucket_of(self, t_us: i64) -> i64 {
        match self.span_us() {
            None => t_us,
            Some(span) => t_us - t_us.rem_euclid(span),
        }
    }

    /// A bucket's length in microseconds; none for raw samples.
    pub fn span_us(self) -> Option<i64> {
        let seconds = match self {
            Aggregation::Raw => return None,
            Aggregation::Hour => 3_600,
            Aggregation::FourHour => 14_400,
            Aggregation::Day => 86_400,
        };
        Some(seconds * MICROS)
    }
}

impl HistoryWindow {
    /// The window's ends in microseconds since the epoch.
    pub fn micros(&self) -> (i64, i64) {
        (self.start.timestamp_micros(), self.end.timestamp_micros())
    }
}

/// A time in microseconds since the epoch as the API writes it (`+00:00`, fractions only when
/// not zero).
pub fn iso_micros(t_us: i64) -> String {
    iso(DateTime::from_timestamp_micros(t_us)).unwrap_or_default()
}

pub fn iso(t: Option<DateTime<Utc>>) -> Option<String> {
    t.map(|t| Timestamp::from_utc(t).to_isoformat())
}

/// `sum / count` rounded half to even, exactly (Python's `round` of the average).
pub fn round_avg(sum: Option<i64>, count: i64) -> Option<i64> {
    let sum = sum?;
    if count == 0 {
        return None;
    }
    let (q, r) = (sum.div_euclid(count), sum.rem_euclid(count));
    Some(match (2 * r).cmp(&count) {
        std::cmp::Ordering::Greater => q + 1,
        std::cmp::Ordering::Equal if q % 2 != 0 => q + 1,
        _ => q,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    /// Half to even, as Python's `round`, computed exactly on integers.
    fn rounding_half_to_even() {
        assert_eq!(round_avg(Some(5), 2), Some(2)); // 2.5 -> 2
        assert_eq!(round_avg(Some(7), 2), Some(4)); // 3.5 -> 4
        assert_eq!(round_avg(Some(10), 4), Some(2)); // 2.5 -> 2
        assert_eq!(round_avg(Some(11), 4), Some(3)); // 2.75 -> 3
        assert_eq!(round_avg(Some(9), 4), Some(2)); // 2.25 -> 2
        assert_eq!(round_avg(Some(0), 3), Some(0));
        assert_eq!(round_avg(None, 0), None);
    }

    #[test]
    /// Window defaults, `Z` and offsets, naive dates as UTC, bad dates refused, and the
    /// aggregation chosen by whole days.
    fn windows() {
        let w = HistoryWindow::parse(None, None).unwrap();
        let hour = Aggregation::Hour.bucket_of(w.start.timestamp_micros());
        assert_eq!(hour % (3_600 * MICROS), 0);
        assert_eq!(Aggregation::Day.bucket_of(-1), -86_400 * MICROS);
        assert_eq!(Aggregation::Raw.bucket_of(1_234_567), 1_234_567);
        assert_eq!((w.end - w.start).num_days(), 7);
        assert_eq!(w.aggregation, Aggregation::Hour);
        let w = HistoryWindow::parse(
            Some("2026-10-31T03:00:00+03:00"),
            Some("2026-10-31T05:00:00+03:00"),
        )
        .unwrap();
        assert_eq!(w.start.to_rfc3339(), "2026-10-31T00:00:00+00:00");
        assert_eq!(w.aggregation, Aggregation::Raw);
        let w = HistoryWindow::parse(Some("2026-10-31T00:00:00"), Some("2026-11-01T00:00:00Z"))
            .unwrap();
        assert_eq!(w.start.to_rfc3339(), "2026-10-31T00:00:00+00:00");
        for (days, agg) in [
            (2, "raw"),
            (3, "hour"),
            (14, "hour"),
            (15, "4hour"),
            (90, "4hour"),
            (91, "day"),
        ] {
            assert_eq!(Aggregation::for_days(days).name(), agg, "{days}");
        }
        assert!(
            HistoryWindow::parse(Some("not-a-date"), None)
                .unwrap_err()
                .contains("not-a-date")
        );
        assert!(
            HistoryWindow::parse(Some("2026-11-02T00:00:00Z"), Some("2026-11-01T00:00:00Z"))
                .is_err()
        );
    }
}
