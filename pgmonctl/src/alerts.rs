//! `pgmonctl alerts`: what fires now, what fired (one alert with its evidence), silences and
//! test notifications. JSON is the API's answer. Values from monitored servers (summaries,
//! labels, evidence) are printed with control characters escaped.

use pgmon_common::api::alerts::{
    AlertHistory, AlertList, HistoryQuery, Matchers, Silence, SilenceList, SilenceNew, TestOutcome,
    TestRequest,
};
use reqwest::Method;

use crate::backend::Backend;
use crate::cli::{AlertsCommand, SilenceCommand};
use crate::error::CliError;
use crate::output::{Column, Printer, col, safe};

const ALERTS: &[Column] = &[
    col("ID", "id"),
    col("SEVERITY", "severity"),
    col("STATE", "state"),
    col("RULE", "rule"),
    col("SERVER", "server"),
    col("SINCE", "since"),
    col("SILENCED", "silenced"),
    col("SUMMARY", "summary"),
];
const HISTORY: &[Column] = &[
    col("ID", "id"),
    col("SEVERITY", "severity"),
    col("RULE", "rule"),
    col("SERVER", "server"),
    col("FIRED", "fired_at"),
    col("RESOLVED", "resolved_at"),
    col("SENT", "sent"),
    col("SUMMARY", "summary"),
];
const SILENCES: &[Column] = &[
    col("ID", "id"),
    col("SERVER", "server"),
    col("RULE", "rule"),
    col("DATABASE", "database"),
    col("UNTIL", "until"),
    col("AUTHOR", "author"),
    col("EXPIRED", "expired"),
    col("COMMENT", "comment"),
];

/// A row of a table: the object's fields, with its labels' server lifted out.
fn row(mut v: serde_json::Value) -> serde_json::Value {
    v["server"] = v["labels"]["server"].clone();
    v
}

pub async fn run(b: &impl Backend, cmd: AlertsCommand, out: &Printer) -> Result<(), CliError> {
    match cmd {
        AlertsCommand::List => {
            let list: AlertList = serde_json::from_value(b.monitoring("/alerts").await?)?;
            if out.is_json() {
                return Ok(out.record(&list)?);
            }
            if list.alerts.is_empty() {
                return Ok(out.line("Nothing pending or firing.")?);
            }
            let rows: Vec<_> = list
                .alerts
                .iter()
                .map(|a| row(serde_json::json!(a)))
                .collect();
            out.list(&rows, ALERTS)?;
        }
        AlertsCommand::History {
            server,
            rule,
            since,
            limit,
            id,
        } => {
            let q = HistoryQuery {
                server,
                rule,
                since,
                until: None,
                limit: Some(limit),
                id,
            };
            let q = serde_urlencoded::to_string(&q).expect("a query of strings and numbers");
            let h: AlertHistory =
                serde_json::from_value(b.monitoring(&format!("/alerts/history?{q}")).await?)?;
            if out.is_json() {
                return Ok(out.record(&h)?);
            }
            let rows: Vec<_> = h
                .alerts
                .iter()
                .map(|r| {
                    let mut v = row(serde_json::json!(r));
                    v["sent"] = r.notifications.len().into();
                    v
                })
                .collect();
            out.list(&rows, HISTORY)?;
            // One alert: what was kept when it fired, and each notification.
            if let (Some(_), Some(r)) = (id, h.alerts.first()) {
                for n in &r.notifications {
                    let how = match (&n.delivered_at, &n.last_error) {
                        (Some(at), _) => format!("delivered {at}"),
                        (None, Some(e)) => format!("not delivered: {}", safe(e)),
                        (None, None) => "waiting".into(),
                    };
                    out.line(&format!(
                        "{} to {} ({} attempts): {how}",
                        n.kind.as_str(),
                        safe(&n.channel),
                        n.attempts
                    ))?;
                }
                if let Some(e) = &r.evidence {
                    out.line("evidence:")?;
                    for line in serde_json::to_string_pretty(e).unwrap_or_default().lines() {
                        out.line(&safe(line))?;
                    }
                }
            }
        }
        AlertsCommand::Silence(SilenceCommand::Add {
            server,
            rule,
            database,
            until,
            duration,
            comment,
        }) => {
            let body = SilenceNew {
                matchers: Matchers {
                    server,
                    rule,
                    database,
                },
                until: until.or(duration),
                comment,
            };
            let s: Silence = serde_json::from_value(
                b.change(Method::POST, "/alerts/silences", serde_json::json!(body))
                    .await?,
            )?;
            if out.is_json() {
                return Ok(out.record(&s)?);
            }
            out.line(&format!("Silence {} until {}", s.id, s.until))?;
        }
        AlertsCommand::Silence(SilenceCommand::List) => {
            let list: SilenceList =
                serde_json::from_value(b.monitoring("/alerts/silences").await?)?;
            if out.is_json() {
                return Ok(out.record(&list)?);
            }
            let rows: Vec<_> = list
                .silences
                .iter()
                .map(|s| {
                    let mut v = serde_json::json!(s);
                    for k in ["server", "rule", "database"] {
                        v[k] = v["matchers"][k].clone();
                    }
                    v
                })
                .collect();
            out.list(&rows, SILENCES)?;
        }
        AlertsCommand::Silence(SilenceCommand::Expire { id }) => {
            let answer = b
                .change(
                    Method::DELETE,
                    &format!("/alerts/silences/{id}"),
                    serde_json::Value::Null,
                )
                .await?;
            out.message(&answer)?;
        }
        AlertsCommand::Test { channel } => {
            let body = serde_json::json!(TestRequest { channel });
            let t: TestOutcome =
                serde_json::from_value(b.change(Method::POST, "/alerts/test", body).await?)?;
            if out.is_json() {
                return Ok(out.record(&t)?);
            }
            match &t.error {
                None => out.line(&format!("Delivered to {}", safe(&t.channel)))?,
                Some(e) => {
                    return Err(CliError::Failed(format!(
                        "test notification to {}: {}",
                        safe(&t.channel),
                        safe(e)
                    )));
                }
            }
        }
    }
    Ok(())
}
