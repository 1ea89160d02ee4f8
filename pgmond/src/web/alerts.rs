//! The alerts that fire now, as the fleet and server pages show them above their figures
//! (from `GET /alerts`, which answers from memory).

use maud::{Markup, html};
use pgmon_common::api::alerts::{Alert, AlertState};

use super::layout::time;

/// The firing alerts of `server` (all servers when `None`); nothing when none fires.
pub fn firing(alerts: &[Alert], server: Option<&str>) -> Markup {
    let shown: Vec<&Alert> = alerts
        .iter()
        .filter(|a| a.state == AlertState::Firing)
        .filter(|a| server.is_none_or(|s| a.labels.get("server").is_some_and(|l| l == s)))
        .collect();
    html! {
        @if !shown.is_empty() {
            section.alerts aria-label="Firing alerts" {
                h2 { "Firing alerts (" (shown.len()) ")" }
                ul {
                    @for a in shown {
                        li {
                            span class=(format!("sev-{}", a.severity.as_str())) { (a.severity.as_str()) }
                            " " strong { (a.rule) } " "
                            @if server.is_none() {
                                @if let Some(s) = a.labels.get("server") {
                                    a href=(format!("/ui/server/{}", super::server::segment(s))) { (s) } " "
                                }
                            }
                            span.muted { "since " (time(a.fired_at.as_deref())) }
                            @if a.silenced { " " span.muted { "(silenced)" } }
                            br;
                            (a.summary)
                        }
                    }
                }
            }
        }
    }
}
