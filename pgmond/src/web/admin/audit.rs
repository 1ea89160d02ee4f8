//! The audit trail (admin), with the API's filters and pages.

use std::sync::Arc;

use axum::Router;
use axum::extract::Query;
use axum::routing::get;
use maud::{Markup, html};
use pgmon_common::api::audit::AuditPage;

use super::{Fields, field};
use crate::web::Console;
use crate::web::layout::{Section, page, time};
use crate::web::session::{Leave, Visit};

pub fn routes() -> Router<Arc<Console>> {
    Router::new().route("/ui/admin/audit", get(show))
}

const FILTERS: [(&str, &str); 6] = [
    ("actor", "Actor"),
    ("action", "Action (or a family: server.)"),
    ("target", "Target"),
    ("outcome", "Outcome"),
    ("since", "Since (RFC 3339)"),
    ("until", "Until (RFC 3339)"),
];
const PAGE: u32 = 50;

async fn show(mut v: Visit, Query(q): Query<Fields>) -> Result<Markup, Leave> {
    let who = v.who().await?;
    // The serializer is not `Send`: it ends before the first await.
    let filters = {
        let mut query = form_urlencoded::Serializer::new(String::new());
        for (k, _) in FILTERS {
            if !field(&q, k).is_empty() {
                query.append_pair(k, field(&q, k));
            }
        }
        query.finish()
    };
    let offset = field(&q, "offset").parse::<u64>().unwrap_or(0);
    let trail: AuditPage = v
        .get(&format!("/audit?{filters}&limit={PAGE}&offset={offset}"))
        .await?;
    let body = html! {
        h1 { "Audit trail" }
        form.filters method="get" action="/ui/admin/audit" {
            @for (k, label) in FILTERS {
                @if k == "outcome" {
                    label { (label) select name="outcome" {
                        @for o in ["", "success", "denied", "failed"] { option value=(o) selected[field(&q, k) == o] { (if o.is_empty() { "any" } else { o }) } }
                    } }
                } @else {
                    label { (label) input name=(k) value=(field(&q, k)); }
                }
            }
            button type="submit" { "Filter" }
        }
        @if trail.entries.is_empty() { p.empty { "No entry matches." } }
        @else { div.scroll { table {
            thead { tr { th { "Time" } th { "Actor" } th { "Source" } th { "Action" } th { "Target" } th { "Outcome" } } }
            tbody { @for e in &trail.entries { tr {
                td { (time(Some(&e.time))) }
                td { (e.actor) }
                td { (e.source) }
                td { (e.action) }
                td { (e.target.as_deref().unwrap_or("—")) }
                td class=(if e.outcome == "success" { "status-ok" } else { "status-bad" }) { (e.outcome) " (" (e.status) ")" }
            } } }
        } } }
        @if let Some(next) = trail.next_offset {
            p { a href=(format!("/ui/admin/audit?{filters}&offset={next}")) rel="next" { "Older entries" } }
        }
    };
    Ok(page(&who, Some(Section::Audit), "Audit", 0, body))
}
