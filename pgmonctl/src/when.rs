//! Times on the command line as people write them: RFC 3339 (`2026-12-01T08:00:00Z`), a date
//! and time without an offset (UTC), a date, `now`, `today`, `yesterday`, or a span back from
//! now (`90m`, `1h`, `7d`, `2w`, `10 minutes ago`, `1 hour ago`). Each becomes an RFC 3339
//! instant in UTC before it is sent; anything else is a usage error naming the flag (clap's).

use chrono::{DateTime, Duration, NaiveDate, NaiveDateTime, Utc};

/// Parses `text` as of `now` into RFC 3339 (clap calls [`parse`], which uses the clock).
pub fn parse_at(text: &str, now: DateTime<Utc>) -> Result<String, String> {
    instant_at(text, now).map(|at| at.to_rfc3339_opts(chrono::SecondsFormat::Secs, true))
}

/// The instant `text` names, as of `now`.
pub fn instant_at(text: &str, now: DateTime<Utc>) -> Result<DateTime<Utc>, String> {
    let t = text.trim();
    let at = match t.to_ascii_lowercase().as_str() {
        "now" => Some(now),
        "today" => now.date_naive().and_hms_opt(0, 0, 0).map(|d| d.and_utc()),
        "yesterday" => (now.date_naive() - Duration::days(1))
            .and_hms_opt(0, 0, 0)
            .map(|d| d.and_utc()),
        lower => span(lower).and_then(|back| now.checked_sub_signed(back)),
    };
    let at = at
        .or_else(|| {
            DateTime::parse_from_rfc3339(t)
                .ok()
                .map(|d| d.with_timezone(&Utc))
        })
        .or_else(|| {
            [
                "%Y-%m-%dT%H:%M:%S%.f",
                "%Y-%m-%d %H:%M:%S%.f",
                "%Y-%m-%dT%H:%M",
                "%Y-%m-%d %H:%M",
            ]
            .iter()
            .find_map(|f| NaiveDateTime::parse_from_str(t, f).ok())
            .map(|d| d.and_utc())
        })
        .or_else(|| {
            NaiveDate::parse_from_str(t, "%Y-%m-%d")
                .ok()
                .and_then(|d| d.and_hms_opt(0, 0, 0))
                .map(|d| d.and_utc())
        })
        .ok_or_else(|| {
            format!(
                "{t:?} is not a time: give RFC 3339 (2026-12-01T08:00:00Z), a date, now, \
                 today, yesterday, or a span back such as 90m, 1h, 7d, 2w or \"10 minutes ago\""
            )
        })?;
    Ok(at)
}

/// For clap: `parse_at` as of now.
pub fn parse(text: &str) -> Result<String, String> {
    parse_at(text, Utc::now())
}

/// For clap: a span ahead of now (`2h`, `30m`, `1d`) as an RFC 3339 instant.
pub fn ahead(text: &str) -> Result<String, String> {
    span(&text.trim().to_ascii_lowercase())
        .and_then(|d| Utc::now().checked_add_signed(d))
        .map(|at| at.to_rfc3339_opts(chrono::SecondsFormat::Secs, true))
        .ok_or_else(|| format!("{text:?} is not a span: give 30m, 2h, 1d or 1w"))
}

/// `90m`, `1h`, `7d`, `2w`, `30s`, or `N unit(s) ago`.
fn span(text: &str) -> Option<Duration> {
    let text = text.strip_suffix(" ago").unwrap_or(text).trim();
    let split = text.find(|c: char| !c.is_ascii_digit())?;
    let (number, unit) = text.split_at(split);
    let n: i64 = number.parse().ok().filter(|n| *n <= 100_000)?;
    let unit = unit.trim();
    let unit = unit
        .strip_suffix('s')
        .filter(|u| u.len() > 1)
        .unwrap_or(unit);
    match unit {
        "s" | "sec" | "second" => Some(Duration::seconds(n)),
        "m" | "min" | "minute" => Some(Duration::minutes(n)),
        "h" | "hour" => Some(Duration::hours(n)),
        "d" | "day" => Some(Duration::days(n)),
        "w" | "week" => Some(Duration::weeks(n)),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    /// Every form people write, and the refusals, each naming what would do.
    fn forms_and_refusals() {
        let now = DateTime::parse_from_rfc3339("2026-12-04T10:30:00Z")
            .unwrap()
            .with_timezone(&Utc);
        let at = |t: &str| parse_at(t, now);
        for (text, want) in [
            ("2026-12-01T08:00:00Z", "2026-12-01T08:00:00Z"),
            ("2026-12-01T09:00:00+01:00", "2026-12-01T08:00:00Z"),
            ("2026-12-01T08:00:00", "2026-12-01T08:00:00Z"),
            ("2026-12-01 08:00", "2026-12-01T08:00:00Z"),
            ("2026-12-01", "2026-12-01T00:00:00Z"),
            ("now", "2026-12-04T10:30:00Z"),
            ("today", "2026-12-04T00:00:00Z"),
            ("yesterday", "2026-12-03T00:00:00Z"),
            ("90m", "2026-12-04T09:00:00Z"),
            ("1h", "2026-12-04T09:30:00Z"),
            ("7d", "2026-11-27T10:30:00Z"),
            ("2w", "2026-11-20T10:30:00Z"),
            ("10 minutes ago", "2026-12-04T10:20:00Z"),
            ("1 hour ago", "2026-12-04T09:30:00Z"),
            ("3 days ago", "2026-12-01T10:30:00Z"),
        ] {
            assert_eq!(at(text).as_deref(), Ok(want), "{text}");
        }
        for bad in [
            "",
            "soon",
            "10 parsecs ago",
            "1y",
            "2026-13-01",
            "99999999d",
        ] {
            let e = at(bad).unwrap_err();
            assert!(
                e.contains("is not a time") && e.contains("90m"),
                "{bad}: {e}"
            );
        }
    }
}
