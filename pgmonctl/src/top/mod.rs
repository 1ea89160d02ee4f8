//! `pgmonctl top`: a live view of the fleet and of one server's sessions, in the spirit of
//! pg_activity, over whatever backend the CLI talks to. Keys are read on a thread of their own
//! (crossterm's read blocks) and meet the refresh timer in one loop; `--once` prints a single
//! snapshot instead, as a table or the JSON of `--output json`.

mod model;
mod view;

use std::io::IsTerminal;
use std::time::Duration;

use pgmon_common::users::Role;
use ratatui::crossterm::event::{self, Event, KeyEventKind};
use serde_json::json;

use crate::backend::Backend;
use crate::cli::TopArgs;
use crate::error::CliError;
use crate::output::{Column, Printer, col};
use model::{App, FleetRow, Screen, Sort, Step};

const FLEET_COLUMNS: &[Column] = &[
    col("SERVER", "name"),
    col("STATUS", "status"),
    col("VERSION", "version"),
    col("SESSIONS", "sessions"),
    col("ACTIVE", "active"),
    col("IDLE TX", "idle_in_transaction"),
];

const SESSION_COLUMNS: &[Column] = &[
    col("PID", "pid"),
    col("USER", "usename"),
    col("DATABASE", "datname"),
    col("STATE", "state"),
    col("WAIT", "wait_event"),
    col("DURATION", "duration"),
    col("QUERY", "query"),
];

pub async fn run(b: &impl Backend, args: TopArgs, out: &Printer) -> Result<(), CliError> {
    // Over the admin socket there is no account: the caller is admin.
    let role = match b.me().await {
        Ok(me) => me.role,
        Err(CliError::Failed(m)) if m.contains("admin socket") => Role::Admin,
        Err(e) => return Err(e),
    };
    let mut app = App::new(
        role >= Role::Operator,
        Sort::parse(&args.sort),
        args.filter.unwrap_or_default(),
        args.idle,
    );
    if let Some(server) = &args.server {
        app.screen = Screen::Server(server.clone());
    }
    if args.once {
        return once(b, &mut app, out).await;
    }
    if !std::io::stdout().is_terminal() {
        return Err(CliError::Usage(
            "top needs a terminal; `top --once` prints one snapshot".into(),
        ));
    }
    live(b, app, Duration::from_secs(args.interval)).await
}

/// Fetches what the screen shows; a failure becomes the footer's message.
async fn refresh(b: &impl Backend, app: &mut App) {
    let chosen = app.selected_pid();
    let fetched = match &app.screen {
        Screen::Fleet => b
            .list_servers()
            .await
            .map(|s| app.fleet = s.iter().map(FleetRow::of).collect()),
        Screen::Server(name) => b.activity(name).await.map(|a| app.activity = Some(a)),
    };
    if let Err(e) = fetched {
        app.message = Some(e.to_string());
    }
    app.reselect(chosen);
}

async fn once(b: &impl Backend, app: &mut App, out: &Printer) -> Result<(), CliError> {
    let servers = b.list_servers().await?;
    app.fleet = servers.iter().map(FleetRow::of).collect();
    let activity = match &app.screen {
        Screen::Server(name) => Some(b.activity(name).await?),
        Screen::Fleet => None,
    };
    app.activity = activity.clone();
    let sessions: Vec<_> = app.sessions().into_iter().cloned().collect();
    if out.is_json() {
        let mut snapshot = json!({"servers": app.fleet});
        if let Some(a) = &activity {
            snapshot["sessions"] = json!(sessions);
            snapshot["blocking"] = json!(a.blocking);
            snapshot["findings"] = json!(a.findings);
            snapshot["error"] = json!(a.error);
        }
        out.record(&snapshot)?;
        return Ok(());
    }
    out.list(&app.fleet, FLEET_COLUMNS)?;
    if activity.is_some() {
        let rows: Vec<_> = sessions
            .iter()
            .map(|s| {
                json!({
                    "pid": s.pid,
                    "usename": s.usename,
                    "datname": s.datname,
                    "state": s.state,
                    "wait_event": s.wait_event,
                    "duration": crate::stats::duration(s).map(|d| format!("{d:.1}s")),
                    "query": crate::stats::shorten(s.query.as_deref().unwrap_or(""), 60),
                })
            })
            .collect();
        out.list(&rows, SESSION_COLUMNS)?;
    }
    match activity.and_then(|a| a.error) {
        Some(e) => Err(CliError::Failed(e)),
        None => Ok(()),
    }
}

async fn live(b: &impl Backend, mut app: App, every: Duration) -> Result<(), CliError> {
    let (tx, mut keys) = tokio::sync::mpsc::unbounded_channel();
    std::thread::spawn(move || {
        while let Ok(ev) = event::read() {
            if tx.send(ev).is_err() {
                break;
            }
        }
    });
    let mut terminal = ratatui::init();
    let mut tick = tokio::time::interval(every);
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    let outcome = loop {
        if let Err(e) = terminal.draw(|f| view::draw(f, &app)) {
            break Err(CliError::from(e));
        }
        tokio::select! {
            _ = tick.tick() => refresh(b, &mut app).await,
            ev = keys.recv() => match ev {
                Some(Event::Key(k)) if k.kind == KeyEventKind::Press => match app.on_key(k) {
                    Step::Quit => break Ok(()),
                    Step::Refresh => refresh(b, &mut app).await,
                    Step::Signal(p) => {
                        let Screen::Server(name) = app.screen.clone() else { continue };
                        let done = b.signal_backend(&name, p.pid, p.terminate, false).await;
                        refresh(b, &mut app).await;
                        app.message = Some(match done {
                            Ok(d) => d.message,
                            Err(e) => format!("pid {}: {e}", p.pid),
                        });
                    }
                    Step::Nothing => {}
                },
                Some(_) => {}
                None => break Ok(()),
            },
        }
    };
    ratatui::restore();
    outcome
}
