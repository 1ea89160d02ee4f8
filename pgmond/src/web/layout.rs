//! The page around every screen, and how values are shown: every value is text to maud, which
//! escapes it, so a query text or an application name never becomes markup; and nothing here
//! writes a `style` attribute or an inline script, which the policy would refuse.

use axum::http::StatusCode;
use maud::{DOCTYPE, Markup, html};
use pgmon_common::users::Role;

use super::assets;

/// The signed-in user, for the header and for which controls a page shows.
pub struct Who {
    pub login: String,
    pub role: Role,
    pub csrf: String,
}

/// The top-level sections, for the navigation's current mark.
#[derive(Clone, Copy, PartialEq, Eq)]
pub enum Section {
    Fleet,
    Servers,
    Users,
    Keys,
    Settings,
    Audit,
}

fn head(title: &str) -> Markup {
    html! {
        head {
            meta charset="utf-8";
            meta name="viewport" content="width=device-width, initial-scale=1";
            title { (title) " · pgmon" }
            link rel="stylesheet" href=(assets::CSS_PATH);
            script src=(assets::JS_PATH) defer {}
        }
    }
}

/// A whole page: header with navigation for `who`'s role, then `body`; parts marked
/// `data-live-part` are refreshed every `live` seconds (0: never).
pub fn page(who: &Who, section: Option<Section>, title: &str, live: u32, body: Markup) -> Markup {
    let nav: &[(Section, &str, &str, Role)] = &[
        (Section::Fleet, "/ui/", "Fleet", Role::Viewer),
        (
            Section::Servers,
            "/ui/admin/servers",
            "Servers",
            Role::Operator,
        ),
        (Section::Keys, "/ui/admin/keys", "SSH keys", Role::Operator),
        (Section::Users, "/ui/admin/users", "Users", Role::Admin),
        (
            Section::Settings,
            "/ui/admin/settings",
            "Settings",
            Role::Admin,
        ),
        (Section::Audit, "/ui/admin/audit", "Audit", Role::Admin),
    ];
    html! {
        (DOCTYPE)
        html lang="en" {
            (head(title))
            body {
                a.skip href="#main" { "Skip to content" }
                header.top {
                    a.brand href="/ui/" { "pgmon" }
                    nav aria-label="Sections" {
                        ul {
                            @for (s, href, label, least) in nav {
                                @if who.role >= *least {
                                    li {
                                        @if section == Some(*s) {
                                            a href=(href) aria-current="page" { (label) }
                                        } @else {
                                            a href=(href) { (label) }
                                        }
                                    }
                                }
                            }
                        }
                    }
                    form.signout method="post" action="/ui/logout" {
                        input type="hidden" name="csrf" value=(who.csrf);
                        span.who { (who.login) " (" (who.role.as_str()) ")" }
                        button type="submit" { "Sign out" }
                    }
                }
                @if live > 0 {
                    main #main data-live=(live) { (body) }
                } @else {
                    main #main { (body) }
                }
            }
        }
    }
}

/// A page for one who is not signed in (sign-in, errors).
pub fn bare(title: &str, body: Markup) -> Markup {
    html! {
        (DOCTYPE)
        html lang="en" {
            (head(title))
            body.bare {
                main #main { (body) }
            }
        }
    }
}

pub fn error_page(status: StatusCode, detail: &str) -> Markup {
    let title = status.canonical_reason().unwrap_or("Error");
    bare(
        title,
        html! {
            h1 { (status.as_u16()) " " (title) }
            p.error role="alert" { (detail) }
            p { a href="/ui/" { "Back to the fleet" } }
        },
    )
}

/// A notice above a page's content: what a change did, or why it was refused.
pub fn notice(ok: bool, text: &str) -> Markup {
    html! {
        @if ok { p.notice role="status" { (text) } } @else { p.error role="alert" { (text) } }
    }
}

/// A time as the API gives it (RFC 3339), shown in UTC until the page's script writes it in
/// the browser's zone; the UTC value stays on hover.
pub fn time(iso: Option<&str>) -> Markup {
    let Some(iso) = iso else {
        return html! { "—" };
    };
    let shown = chrono::DateTime::parse_from_rfc3339(iso)
        .map(|t| {
            t.with_timezone(&chrono::Utc)
                .format("%Y-%m-%d %H:%M:%S UTC")
                .to_string()
        })
        .unwrap_or_else(|_| iso.to_owned());
    html! { time datetime=(iso) title=(shown) { (shown) } }
}

/// Epoch seconds as a time element.
pub fn epoch(seconds: f64) -> Markup {
    let iso = chrono::DateTime::from_timestamp_micros((seconds * 1e6) as i64)
        .map(|t| t.to_rfc3339_opts(chrono::SecondsFormat::Secs, true));
    time(iso.as_deref())
}

pub fn bytes(b: Option<i64>) -> String {
    b.map_or_else(
        || "—".into(),
        |b| pgmon_common::units::human_bytes(b as f64),
    )
}

pub fn seconds(s: Option<f64>) -> String {
    let Some(s) = s else {
        return "—".into();
    };
    let s = s.max(0.0);
    match s {
        s if s < 60.0 => format!("{s:.1} s"),
        s if s < 3600.0 => format!("{}m {:02}s", (s / 60.0) as u64, (s % 60.0) as u64),
        s if s < 86_400.0 => format!(
            "{}h {:02}m",
            (s / 3600.0) as u64,
            ((s % 3600.0) / 60.0) as u64
        ),
        s => format!(
            "{}d {:02}h",
            (s / 86_400.0) as u64,
            ((s % 86_400.0) / 3600.0) as u64
        ),
    }
}

pub fn opt<T: std::fmt::Display>(v: Option<T>) -> String {
    v.map_or_else(|| "—".to_owned(), |v| v.to_string())
}

/// Text cut to `max` characters, with the whole on demand; `key` names the disclosure so a
/// live refresh can keep it open.
pub fn long_text(text: Option<&str>, max: usize, key: Option<String>) -> Markup {
    let text = text.unwrap_or("");
    if text.chars().count() <= max {
        return html! { code.query { (text) } };
    }
    let cut: String = text.chars().take(max).collect();
    html! {
        details.query data-key=[key] {
            summary { code { (cut) "…" } }
            pre { code { (text) } }
        }
    }
}

/// The hidden CSRF field every form carries.
pub fn csrf_field(token: &str) -> Markup {
    html! { input type="hidden" name="csrf" value=(token); }
}

/// A whole page's script-free pause control for live parts (the script wires it).
pub fn live_controls(every_seconds: u32) -> Markup {
    html! {
        p.live {
            button type="button" data-live-toggle aria-pressed="false" { "Pause updates" }
            span.live-state data-live-state { "Updates every " (every_seconds) " s" }
        }
    }
}
