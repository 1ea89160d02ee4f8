//! Settings (admin): every setting of `GET /settings` with its value; a change sends only
//! what was changed.

use std::sync::Arc;

use axum::extract::Query;
use axum::http::Method;
use axum::response::Response;
use axum::routing::get;
use axum::{Form, Router};
use maud::{Markup, html};
use serde_json::{Map, Value};

use super::{Fields, change, done_notice, field};
use crate::web::Console;
use crate::web::layout::{Section, csrf_field, page};
use crate::web::session::{Leave, Visit};

pub fn routes() -> Router<Arc<Console>> {
    Router::new().route("/ui/admin/settings", get(show).post(save))
}

const DONE: &[(&str, &str)] = &[
    ("saved", "Settings saved."),
    ("unchanged", "Nothing was changed."),
];

async fn show(mut v: Visit, Query(q): Query<Fields>) -> Result<Markup, Leave> {
    let who = v.who().await?;
    let settings: Map<String, Value> = v.get("/settings").await?;
    let body = html! {
        h1 { "Settings" }
        (done_notice(q.get("done"), DONE))
        p.muted { "Thresholds and intervals of the collector, the analysis, the findings and the checks; their ranges are in docs/configuration.md." }
        form method="post" action="/ui/admin/settings" {
            (csrf_field(&who.csrf))
            div.scroll { table {
                thead { tr { th { "Setting" } th { "Value" } } }
                tbody { @for (k, value) in &settings { tr {
                    td { label for=(format!("s-{k}")) { (k) } }
                    td { @match value {
                        Value::Bool(b) => input #(format!("s-{k}")) type="checkbox" name=(k) value="true" checked[*b];,
                        Value::Number(n) => input #(format!("s-{k}")) type="number" name=(k) value=(n.to_string());,
                        other => input #(format!("s-{k}")) name=(k) value=(other.as_str().unwrap_or_default());,
                    } }
                } } }
            } }
            p { button.primary type="submit" { "Save settings" } }
        }
    };
    Ok(page(&who, Some(Section::Settings), "Settings", 0, body))
}

async fn save(mut v: Visit, Form(f): Form<Fields>) -> Result<Response, Leave> {
    v.check(field(&f, "csrf"))?;
    let current: Map<String, Value> = v.get("/settings").await?;
    let mut changed = Map::new();
    for (k, now) in &current {
        let sent = field(&f, k);
        let next = match now {
            Value::Bool(_) => Value::Bool(sent == "true"),
            // A value that is not a number goes as text: the API names it in its 422.
            Value::Number(_) => serde_json::from_str::<serde_json::Number>(sent)
                .map_or_else(|_| Value::String(sent.to_owned()), Value::Number),
            _ => Value::String(sent.to_owned()),
        };
        if &next != now {
            changed.insert(k.clone(), next);
        }
    }
    if changed.is_empty() {
        return Ok(crate::web::session::see_other(
            "/ui/admin/settings?done=unchanged",
        ));
    }
    let to = ("/ui/admin/settings", "saved");
    change(
        &mut v,
        &f,
        (Method::PUT, "/settings", Some(Value::Object(changed))),
        to,
    )
    .await
}
