//! Drawing `pgmonctl top`: a title line, the fleet or a server's sessions (or its blocking
//! tree), and a line of keys, the pending question or the last outcome.

use ratatui::Frame;
use ratatui::layout::{Constraint, Layout};
use ratatui::style::{Modifier, Style};
use ratatui::text::Line;
use ratatui::widgets::{Paragraph, Row, Table, TableState};

use super::model::{App, Screen};
use crate::output::safe;
use crate::stats::{duration, shorten, tree_lines};

pub fn draw(f: &mut Frame, app: &App) {
    let [title, body, footer] = Layout::vertical([
        Constraint::Length(1),
        Constraint::Min(1),
        Constraint::Length(1),
    ])
    .areas(f.area());
    let bold = Style::default().add_modifier(Modifier::BOLD);
    let selected = Style::default().add_modifier(Modifier::REVERSED);
    let mut state = TableState::default().with_selected(Some(app.selected));
    match &app.screen {
        Screen::Fleet => {
            f.render_widget(
                Paragraph::new(format!("pgmon top: {} servers", app.fleet.len())).style(bold),
                title,
            );
            let rows = app.fleet.iter().map(|s| {
                Row::new(vec![
                    safe(&s.name).into_owned(),
                    safe(&s.status).into_owned(),
                    safe(s.version.as_deref().unwrap_or_default()).into_owned(),
                    s.sessions.to_string(),
                    s.active.to_string(),
                    s.idle_in_transaction.to_string(),
                ])
            });
            let widths = [
                Constraint::Length(20),
                Constraint::Min(20),
                Constraint::Length(18),
                Constraint::Length(9),
                Constraint::Length(7),
                Constraint::Length(8),
            ];
            let table = Table::new(rows, widths)
                .header(
                    Row::new([
                        "SERVER", "STATUS", "VERSION", "SESSIONS", "ACTIVE", "IDLE TX",
                    ])
                    .style(bold),
                )
                .row_highlight_style(selected);
            f.render_stateful_widget(table, body, &mut state);
        }
        Screen::Server(name) => {
            let shown = app.sessions();
            let error = app.activity.as_ref().and_then(|a| a.error.clone());
            let findings = app.activity.as_ref().map_or(0, |a| a.findings.len());
            let head = format!(
                "{name}: {} sessions shown{} | sort {} | filter {:?}{}{}",
                shown.len(),
                if app.show_idle { "" } else { " (idle hidden)" },
                app.sort.label(),
                app.filter,
                if findings > 0 {
                    format!(" | {findings} findings")
                } else {
                    String::new()
                },
                error.map_or(String::new(), |e| format!(" | {e}")),
            );
            f.render_widget(Paragraph::new(safe(&head).into_owned()).style(bold), title);
            if app.tree {
                let lines: Vec<Line> = app.activity.as_ref().map_or_else(Vec::new, |a| {
                    let width = usize::from(body.width).saturating_sub(40).max(20);
                    let lines = tree_lines(a, width);
                    if lines.is_empty() {
                        vec![Line::from("No backend blocks another.")]
                    } else {
                        lines
                            .into_iter()
                            .map(|l| Line::from(safe(&l).into_owned()))
                            .collect()
                    }
                });
                f.render_widget(Paragraph::new(lines), body);
            } else {
                let query_width = usize::from(body.width).saturating_sub(75).max(20);
                let rows = shown.iter().map(|s| {
                    let wait = match (&s.wait_event_type, &s.wait_event) {
                        (Some(t), Some(e)) => format!("{t}:{e}"),
                        _ => String::new(),
                    };
                    let text =
                        |t: &Option<String>| safe(t.as_deref().unwrap_or_default()).into_owned();
                    Row::new(vec![
                        s.pid.to_string(),
                        text(&s.usename),
                        text(&s.datname),
                        text(&s.state.clone().or_else(|| s.backend_type.clone())),
                        safe(&wait).into_owned(),
                        duration(s).map_or(String::new(), |d| format!("{d:.1}s")),
                        safe(&shorten(s.query.as_deref().unwrap_or(""), query_width)).into_owned(),
                    ])
                });
                let widths = [
                    Constraint::Length(8),
                    Constraint::Length(12),
                    Constraint::Length(12),
                    Constraint::Length(20),
                    Constraint::Length(16),
                    Constraint::Length(9),
                    Constraint::Min(20),
                ];
                let table = Table::new(rows, widths)
                    .header(
                        Row::new([
                            "PID", "USER", "DATABASE", "STATE", "WAIT", "DURATION", "QUERY",
                        ])
                        .style(bold),
                    )
                    .row_highlight_style(selected);
                f.render_stateful_widget(table, body, &mut state);
            }
        }
    }
    f.render_widget(Paragraph::new(footer_text(app)), footer);
}

fn footer_text(app: &App) -> String {
    if let Some(p) = &app.confirm {
        let what = if p.terminate {
            "Terminate backend"
        } else {
            "Cancel the query of"
        };
        return format!(
            "{what} {} ({})? y to confirm, any other key to leave it",
            p.pid, p.who
        );
    }
    if app.editing_filter {
        return format!(
            "Filter (user, database, state or query): {}_  Enter done, Esc clear",
            app.filter
        );
    }
    if let Some(m) = &app.message {
        return m.clone();
    }
    match app.screen {
        Screen::Fleet => "↑↓ select  Enter open  r refresh  q quit".into(),
        Screen::Server(_) => {
            let act = if app.can_act {
                "  c cancel  K terminate"
            } else {
                ""
            };
            format!("↑↓ select  s sort  / filter  i idle  t tree{act}  Esc back  q quit")
        }
    }
}
