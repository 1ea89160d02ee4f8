//! What `pgmonctl top` shows and how keys change it, apart from any terminal: the fleet's
//! rows, a server's sessions filtered and sorted, the selection, and the confirmation an
//! action waits for.

use crate::stats::duration;
use pgmon_common::api::ServerStatus;
use pgmon_common::api::activity::{Backend as Session, ServerActivity};
use ratatui::crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use serde::Serialize;

/// A server of the fleet list.
#[derive(Clone, Debug, Serialize, PartialEq)]
pub struct FleetRow {
    pub name: String,
    pub status: String,
    pub version: Option<String>,
    pub sessions: i64,
    pub active: i64,
    pub idle_in_transaction: i64,
}

impl FleetRow {
    pub fn of(s: &ServerStatus) -> FleetRow {
        let count = |pick: &dyn Fn(&str) -> bool| -> i64 {
            s.connections.as_ref().map_or(0, |c| {
                c.iter()
                    .filter(|(state, _)| pick(state))
                    .filter_map(|(_, n)| n.as_i64())
                    .sum()
            })
        };
        FleetRow {
            name: s.name.clone(),
            status: s.status.clone(),
            version: s
                .version
                .as_deref()
                .and_then(|v| v.split_whitespace().next())
                .map(str::to_owned),
            sessions: count(&|_| true),
            active: count(&|st| st == "active"),
            idle_in_transaction: count(&|st| st.starts_with("idle in transaction")),
        }
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Sort {
    /// Longest first (client sessions before the server's processes): the query's age for
    /// active sessions, the transaction's for those idle in one, else time in their state.
    Duration,
    /// Active sessions that wait on nothing (on CPU) first, then those waiting, longest first.
    Cpu,
    /// By user, then longest first.
    User,
}

impl Sort {
    pub fn parse(s: &str) -> Sort {
        match s {
            "cpu" => Sort::Cpu,
            "user" => Sort::User,
            _ => Sort::Duration,
        }
    }

    fn next(self) -> Sort {
        match self {
            Sort::Duration => Sort::Cpu,
            Sort::Cpu => Sort::User,
            Sort::User => Sort::Duration,
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            Sort::Duration => "duration",
            Sort::Cpu => "cpu",
            Sort::User => "user",
        }
    }
}

/// An action waiting for `y`.
#[derive(Clone, Debug, PartialEq)]
pub struct Pending {
    pub pid: i32,
    pub terminate: bool,
    pub who: String,
}

#[derive(Clone, Debug, PartialEq)]
pub enum Screen {
    Fleet,
    Server(String),
}

/// What the loop has to do after a key.
#[derive(Debug, PartialEq)]
pub enum Step {
    Nothing,
    Quit,
    /// Fetch what the screen shows now (a new screen, or asked for).
    Refresh,
    Signal(Pending),
}

pub struct App {
    pub screen: Screen,
    pub fleet: Vec<FleetRow>,
    pub activity: Option<ServerActivity>,
    pub selected: usize,
    pub sort: Sort,
    pub filter: String,
    pub editing_filter: bool,
    pub show_idle: bool,
    pub tree: bool,
    pub confirm: Option<Pending>,
    /// The outcome of the last action or fetch, until the next key.
    pub message: Option<String>,
    /// An operator or admin: the action keys are shown and taken.
    pub can_act: bool,
}

impl App {
    pub fn new(can_act: bool, sort: Sort, filter: String, show_idle: bool) -> App {
        App {
            screen: Screen::Fleet,
            fleet: Vec::new(),
            activity: None,
            selected: 0,
            sort,
            filter,
            editing_filter: false,
            show_idle,
            tree: false,
            confirm: None,
            message: None,
            can_act,
        }
    }

    /// The sessions shown: idle ones only when asked, those matching the filter (user,
    /// database, state or query), in the chosen order.
    pub fn sessions(&self) -> Vec<&Session> {
        let Some(a) = &self.activity else {
            return Vec::new();
        };
        let needle = self.filter.to_lowercase();
        let matches = |s: &Session| {
            needle.is_empty()
                || [&s.usename, &s.datname, &s.state, &s.query]
                    .iter()
                    .any(|f| {
                        f.as_deref()
                            .is_some_and(|f| f.to_lowercase().contains(&needle))
                    })
        };
        let mut shown: Vec<&Session> = a
            .sessions
            .iter()
            .filter(|s| self.show_idle || s.state.as_deref() != Some("idle"))
            .filter(|s| matches(s))
            .collect();
        let longest = |s: &&Session| std::cmp::Reverse(duration(s).map(|d| (d * 1000.0) as i64));
        // Clients before the server's own processes: a walsender is active for ever.
        let other = |s: &&Session| s.backend_type.as_deref() != Some("client backend");
        match self.sort {
            Sort::Duration => shown.sort_by_key(|s| (other(s), longest(s), s.pid)),
            Sort::Cpu => shown.sort_by_key(|s| {
                let on_cpu = s.state.as_deref() == Some("active") && s.wait_event_type.is_none();
                (
                    other(s),
                    !on_cpu,
                    s.wait_event_type.is_none(),
                    longest(s),
                    s.pid,
                )
            }),
            Sort::User => shown.sort_by_key(|s| (s.usename.clone(), longest(s), s.pid)),
        }
        shown
    }

    fn rows(&self) -> usize {
        match self.screen {
            Screen::Fleet => self.fleet.len(),
            Screen::Server(_) => self.sessions().len(),
        }
    }

    /// The pid of the selected session, on a server's screen.
    pub fn selected_pid(&self) -> Option<i32> {
        match self.screen {
            Screen::Server(_) => self.sessions().get(self.selected).map(|s| s.pid),
            Screen::Fleet => None,
        }
    }

    /// After a refresh, selects the session `pid` again where it is now, if it is still shown,
    /// so that the row under the cursor is the session chosen, not whatever moved there.
    pub fn reselect(&mut self, pid: Option<i32>) {
        if let Some(at) = pid.and_then(|p| self.sessions().iter().position(|s| s.pid == p)) {
            self.selected = at;
        }
        self.clamp();
    }

    /// Keeps the selection on a row after the list changed.
    pub fn clamp(&mut self) {
        self.selected = self.selected.min(self.rows().saturating_sub(1));
    }

    pub fn on_key(&mut self, key: KeyEvent) -> Step {
        if key.modifiers.contains(KeyModifiers::CONTROL) && key.code == KeyCode::Char('c') {
            return Step::Quit;
        }
        if let Some(pending) = self.confirm.take() {
            if key.code == KeyCode::Char('y') {
                return Step::Signal(pending);
            }
            self.message = Some("Nothing done.".into());
            return Step::Nothing;
        }
        if self.editing_filter {
            match key.code {
                KeyCode::Enter => self.editing_filter = false,
                KeyCode::Esc => {
                    self.editing_filter = false;
                    self.filter.clear();
                }
                KeyCode::Backspace => {
                    self.filter.pop();
                }
                KeyCode::Char(c) => self.filter.push(c),
                _ => {}
            }
            self.clamp();
            return Step::Nothing;
        }
        self.message = None;
        match key.code {
            KeyCode::Char('q') => return Step::Quit,
            KeyCode::Char('r') => return Step::Refresh,
            KeyCode::Up | KeyCode::Char('k') => self.selected = self.selected.saturating_sub(1),
            KeyCode::Down | KeyCode::Char('j') => {
                self.selected = (self.selected + 1).min(self.rows().saturating_sub(1))
            }
            _ => {}
        }
        match self.screen.clone() {
            Screen::Fleet => match key.code {
                KeyCode::Esc => return Step::Quit,
                KeyCode::Enter | KeyCode::Right => {
                    if let Some(row) = self.fleet.get(self.selected) {
                        self.screen = Screen::Server(row.name.clone());
                        self.activity = None;
                        self.selected = 0;
                        return Step::Refresh;
                    }
                }
                _ => {}
            },
            Screen::Server(_) => match key.code {
                KeyCode::Esc | KeyCode::Left | KeyCode::Backspace => {
                    self.screen = Screen::Fleet;
                    self.selected = 0;
                    return Step::Refresh;
                }
                KeyCode::Char('s') => self.sort = self.sort.next(),
                KeyCode::Char('/') => self.editing_filter = true,
                KeyCode::Char('i') => self.show_idle = !self.show_idle,
                KeyCode::Char('t') => self.tree = !self.tree,
                KeyCode::Char(c @ ('c' | 'K')) if self.can_act && !self.tree => {
                    if let Some(s) = self.sessions().get(self.selected) {
                        self.confirm = Some(Pending {
                            pid: s.pid,
                            terminate: c == 'K',
                            who: format!(
                                "{}@{}",
                                s.usename.as_deref().unwrap_or("-"),
                                s.datname.as_deref().unwrap_or("-")
                            ),
                        });
                    }
                }
                _ => {}
            },
        }
        self.clamp();
        Step::Nothing
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn session(pid: i32, user: &str, state: &str, seconds: f64, wait: Option<&str>) -> Session {
        Session {
            pid,
            usename: Some(user.into()),
            datname: Some("db".into()),
            application_name: None,
            client_addr: None,
            backend_type: Some("client backend".into()),
            state: Some(state.into()),
            wait_event_type: wait.map(str::to_owned),
            wait_event: None,
            backend_start: None,
            xact_start: None,
            query_start: None,
            backend_seconds: None,
            xact_seconds: Some(seconds),
            query_seconds: Some(seconds),
            state_seconds: Some(seconds),
            query: Some(format!("SELECT {pid}")),
            blocked_by: Vec::new(),
            waiting_for: None,
        }
    }

    fn app(can_act: bool) -> App {
        let mut app = App::new(can_act, Sort::Duration, String::new(), false);
        app.screen = Screen::Server("s".into());
        app.activity = Some(ServerActivity {
            sessions: vec![
                session(1, "bob", "active", 5.0, Some("Lock")),
                session(2, "amy", "active", 1.0, None),
                session(3, "amy", "idle", 100.0, None),
                session(4, "carl", "idle in transaction", 50.0, None),
            ],
            blocking: Vec::new(),
            findings: Vec::new(),
            error: None,
        });
        app
    }

    fn key(c: char) -> KeyEvent {
        KeyEvent::from(KeyCode::Char(c))
    }

    fn pids(app: &App) -> Vec<i32> {
        app.sessions().iter().map(|s| s.pid).collect()
    }

    #[test]
    fn sorts_filters_and_hides_idle() {
        let mut a = app(true);
        assert_eq!(pids(&a), [4, 1, 2]);
        a.on_key(key('s'));
        assert_eq!((a.sort, pids(&a)), (Sort::Cpu, vec![2, 1, 4]));
        a.on_key(key('s'));
        assert_eq!((a.sort, pids(&a)), (Sort::User, vec![2, 1, 4]));
        a.on_key(key('i'));
        assert_eq!(pids(&a), [3, 2, 1, 4]);
        for k in ['/', 'a', 'm', 'y'] {
            a.on_key(key(k));
        }
        a.on_key(KeyEvent::from(KeyCode::Enter));
        assert_eq!(pids(&a), [3, 2]);
        a.on_key(key('/'));
        a.on_key(KeyEvent::from(KeyCode::Esc));
        assert_eq!(pids(&a).len(), 4);
    }

    #[test]
    fn actions_wait_for_yes_and_are_not_offered_to_viewers() {
        let mut a = app(true);
        a.on_key(key('j'));
        assert_eq!(a.on_key(key('c')), Step::Nothing);
        let pending = a.confirm.clone().unwrap();
        assert_eq!((pending.pid, pending.terminate), (1, false));
        assert_eq!(a.on_key(key('n')), Step::Nothing);
        assert!(a.confirm.is_none());
        a.on_key(key('K'));
        assert_eq!(
            a.on_key(key('y')),
            Step::Signal(Pending {
                pid: 1,
                terminate: true,
                who: "bob@db".into()
            })
        );
        let mut viewer = app(false);
        viewer.on_key(key('c'));
        assert!(viewer.confirm.is_none());
    }

    #[test]
    fn the_selection_follows_its_session_across_refreshes() {
        let mut a = app(true);
        a.on_key(key('j'));
        assert_eq!(a.selected_pid(), Some(1));
        let chosen = a.selected_pid();
        // A refresh brings a longer-running session above it.
        let mut fresh = a.activity.clone().unwrap();
        fresh
            .sessions
            .push(session(9, "dan", "active", 500.0, None));
        a.activity = Some(fresh);
        a.reselect(chosen);
        assert_eq!(a.selected_pid(), Some(1));
        // Gone: the cursor stays in the list.
        let mut fresh = a.activity.clone().unwrap();
        fresh.sessions.retain(|s| s.pid != 1);
        a.activity = Some(fresh);
        a.reselect(chosen);
        assert!(a.selected < a.sessions().len());
    }

    #[test]
    fn enter_opens_a_server_and_escape_goes_back() {
        let mut a = App::new(false, Sort::Duration, String::new(), false);
        a.fleet = vec![FleetRow {
            name: "db1".into(),
            status: "ok".into(),
            version: None,
            sessions: 0,
            active: 0,
            idle_in_transaction: 0,
        }];
        assert_eq!(a.on_key(KeyEvent::from(KeyCode::Enter)), Step::Refresh);
        assert_eq!(a.screen, Screen::Server("db1".into()));
        assert_eq!(a.on_key(KeyEvent::from(KeyCode::Esc)), Step::Refresh);
        assert_eq!(a.screen, Screen::Fleet);
        assert_eq!(a.on_key(key('q')), Step::Quit);
    }
}
