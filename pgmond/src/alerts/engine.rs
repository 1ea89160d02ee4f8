//! The alerts' states, and what is owed to whom. One step takes what the rules found about one
//! server and moves its alerts (pending → firing → resolved); then each channel that routes
//! them gets one notification for that server: what began firing, what still fires past the
//! channel's repeat interval, what resolved after it was told. Pure: the caller writes the
//! result to the store in one transaction before anything is sent.

use std::collections::{BTreeMap, HashMap};

use pgmon_common::api::alerts::{AlertSeverity, AlertState, NotificationKind, Silence};

use super::channels::StoredChannel;
use super::payload::{Payload, PayloadAlert, new_key};
use super::rules::{Candidate, Def, RuleConfigs};
use crate::history::alerts::{AlertWrite, NewNotification, StoredAlert, time};

/// An alert's identity: its rule and labels.
pub fn key_of(rule: &str, labels: &BTreeMap<String, String>) -> String {
    let mut k = rule.to_owned();
    for (name, value) in labels {
        k.push('\u{1f}');
        k.push_str(name);
        k.push('=');
        k.push_str(value);
    }
    k
}

/// A silence as the engine checks it.
#[derive(Clone, Debug)]
pub struct ActiveSilence {
    pub silence: Silence,
    /// Milliseconds since the epoch.
    pub until: i64,
}

impl ActiveSilence {
    pub fn matches(&self, a: &StoredAlert, now: i64) -> bool {
        let m = &self.silence.matchers;
        let eq = |want: &Option<String>, have: Option<&String>| {
            want.as_deref()
                .is_none_or(|w| have.is_some_and(|h| super::channels::glob(w, h)))
        };
        now < self.until
            && eq(&m.server, a.labels.get("server"))
            && m.rule.as_deref().is_none_or(|r| r == a.rule)
            && eq(&m.database, a.labels.get("database"))
    }
}

pub fn silenced(silences: &[ActiveSilence], a: &StoredAlert, now: i64) -> bool {
    silences.iter().any(|s| s.matches(a, now))
}

/// Every open alert, by server and key: a step touches only its server's.
pub struct Engine {
    open: HashMap<String, HashMap<String, StoredAlert>>,
    /// The last id given; the next new alert gets the one after, up to `last_id`.
    next_id: i64,
    /// The last id this engine may give: unbounded on its own store; with a shared store, the
    /// end of the block of ids the store gave this replica (see [`Engine::take_ids`]).
    last_id: i64,
}

impl Default for Engine {
    fn default() -> Engine {
        Engine::new(Vec::new(), 0)
    }
}

/// What one step of one server did.
#[derive(Default)]
pub struct Step {
    /// Alerts that began firing (their evidence is kept).
    pub fired: Vec<StoredAlert>,
}

impl Engine {
    pub fn new(open: Vec<StoredAlert>, max_id: i64) -> Engine {
        let mut by_server: HashMap<String, HashMap<String, StoredAlert>> = HashMap::new();
        for a in open {
            by_server
                .entry(a.server().to_owned())
                .or_default()
                .insert(a.key.clone(), a);
        }
        Engine {
            open: by_server,
            next_id: max_id,
            last_id: i64::MAX,
        }
    }

    /// Ids this engine may still give.
    pub fn ids_left(&self) -> i64 {
        self.last_id.saturating_sub(self.next_id)
    }

    /// Gives new alerts ids from `first` to `last` from now on (a block no other replica
    /// gets).
    pub fn take_ids(&mut self, first: i64, last: i64) {
        self.next_id = first - 1;
        self.last_id = last;
    }

    /// `server`'s open alerts are `alerts` from now on (as the replica that judged it before
    /// left them): what fired stays fired, and the channels told are not told again.
    pub fn adopt(&mut self, server: &str, alerts: Vec<StoredAlert>) {
        let by_key = alerts.into_iter().map(|a| (a.key.clone(), a)).collect();
        self.open.insert(server.to_owned(), by_key);
    }

    /// Lets go of the alerts of every server `keep` refuses, unresolved: another replica
    /// judges those servers now.
    pub fn let_go(&mut self, keep: impl Fn(&str) -> bool) {
        self.open.retain(|server, _| keep(server));
    }

    /// Every open alert.
    pub fn all(&self) -> impl Iterator<Item = &StoredAlert> {
        self.open.values().flat_map(HashMap::values)
    }

    /// Moves `server`'s alerts by what the rules `judged` found (`found`), at `now` (ms);
    /// changes are added to `w`.
    pub fn step(
        &mut self,
        server: &str,
        now: i64,
        found: Vec<Candidate>,
        judged: &[&str],
        configs: &RuleConfigs,
        w: &mut AlertWrite,
    ) -> (Step, Vec<StoredAlert>) {
        let mut step = Step::default();
        let mut seen = Vec::with_capacity(found.len());
        let open = self.open.entry(server.to_owned()).or_default();
        for c in found {
            let (severity, for_ms) = severity_and_for(c.rule, configs);
            let key = key_of(c.rule.id, &c.labels);
            seen.push(key.clone());
            let alert = match open.get_mut(&key) {
                Some(a) => {
                    a.value = c.value;
                    a.summary = c.summary;
                    a
                }
                None => {
                    self.next_id += 1;
                    let a = StoredAlert {
                        id: self.next_id,
                        key: key.clone(),
                        rule: c.rule.id.to_owned(),
                        severity,
                        labels: c.labels,
                        state: AlertState::Pending,
                        since: now,
                        fired_at: None,
                        resolved_at: None,
                        value: c.value,
                        summary: c.summary,
                        sent: BTreeMap::new(),
                    };
                    w.alerts.push(a.clone());
                    open.entry(key).or_insert(a)
                }
            };
            if alert.state == AlertState::Pending && now - alert.since >= for_ms {
                alert.state = AlertState::Firing;
                alert.fired_at = Some(now);
                alert.severity = severity;
                step.fired.push(alert.clone());
                push_latest(w, alert);
            }
        }
        let mut resolved = Vec::new();
        open.retain(|key, a| {
            let gone = judged.contains(&a.rule.as_str()) && !seen.contains(key);
            if gone {
                a.state = AlertState::Resolved;
                a.resolved_at = Some(now);
                push_latest(w, a);
                resolved.push(a.clone());
            }
            !gone
        });
        (step, resolved)
    }

    /// Resolves every open alert of `server` (removed from the fleet).
    pub fn forget_server(
        &mut self,
        server: &str,
        now: i64,
        w: &mut AlertWrite,
    ) -> Vec<StoredAlert> {
        let mut resolved = Vec::new();
        for (_, mut a) in self.open.remove(server).unwrap_or_default() {
            a.state = AlertState::Resolved;
            a.resolved_at = Some(now);
            push_latest(w, &a);
            resolved.push(a);
        }
        resolved
    }

    /// The notifications owed for `server` now, one per channel, given the alerts that just
    /// `resolved`; what is told is recorded in each alert's `sent`.
    pub fn notify(
        &mut self,
        server: &str,
        now: i64,
        resolved: &[StoredAlert],
        channels: &[StoredChannel],
        silences: &[ActiveSilence],
        w: &mut AlertWrite,
    ) {
        for ch in channels {
            let mut told: Vec<(PayloadAlert, NotificationKind, i64)> = Vec::new();
            for a in resolved {
                if a.sent.contains_key(&ch.name) && ch.routes(server, a.severity) {
                    told.push((PayloadAlert::of(a), NotificationKind::Resolved, a.id));
                }
            }
            let repeat_ms = ch.repeat_seconds().saturating_mul(1000) as i64;
            for a in self
                .open
                .get_mut(server)
                .into_iter()
                .flat_map(HashMap::values_mut)
            {
                if a.state != AlertState::Firing
                    || !ch.routes(server, a.severity)
                    || silenced(silences, a, now)
                {
                    continue;
                }
                let kind = match a.sent.get(&ch.name) {
                    None => NotificationKind::Firing,
                    Some(t) if now - t >= repeat_ms => NotificationKind::Repeat,
                    Some(_) => continue,
                };
                a.sent.insert(ch.name.clone(), now);
                push_latest(w, a);
                told.push((PayloadAlert::of(a), kind, a.id));
            }
            if told.is_empty() {
                continue;
            }
            let kind = if told.iter().all(|t| t.1 == told[0].1) {
                told[0].1
            } else {
                NotificationKind::Firing
            };
            let key = new_key();
            let alerts = told.iter().map(|(_, k, id)| (*id, *k)).collect();
            let payload = Payload {
                key: key.clone(),
                kind,
                server: server.to_owned(),
                created_at: time(now),
                alerts: told.into_iter().map(|t| t.0).collect(),
            };
            w.notifications.push(NewNotification {
                channel: ch.name.clone(),
                kind,
                key,
                payload: serde_json::to_string(&payload).unwrap_or_default(),
                created: now,
                alerts,
            });
        }
    }
}

/// Orders alerts as `GET /alerts` lists them: most severe first, firing before pending, then
/// oldest.
pub fn sort_listed(all: &mut [&StoredAlert]) {
    all.sort_by(|a, b| {
        (
            std::cmp::Reverse(a.severity),
            a.state != AlertState::Firing,
            a.since,
            a.id,
        )
            .cmp(&(
                std::cmp::Reverse(b.severity),
                b.state != AlertState::Firing,
                b.since,
                b.id,
            ))
    });
}

/// `alert`'s row goes into the write as it is now (replacing an earlier copy in the same
/// write).
fn push_latest(w: &mut AlertWrite, alert: &StoredAlert) {
    match w.alerts.iter_mut().find(|a| a.id == alert.id) {
        Some(slot) => *slot = alert.clone(),
        None => w.alerts.push(alert.clone()),
    }
}

fn severity_and_for(d: &Def, configs: &RuleConfigs) -> (AlertSeverity, i64) {
    let c = configs.get(d.id);
    let severity = c.and_then(|c| c.severity).unwrap_or(d.severity);
    let for_seconds = c.and_then(|c| c.for_seconds).unwrap_or(d.for_seconds);
    (severity, (for_seconds as i64).saturating_mul(1000))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::alerts::rules::def;
    use pgmon_common::api::alerts::{ChannelKind, Matchers};

    fn found(rule: &str, server: &str) -> Candidate {
        Candidate {
            rule: def(rule).unwrap(),
            labels: BTreeMap::from([("server".to_owned(), server.to_owned())]),
            value: 1.0,
            summary: format!("{rule} on {server}"),
        }
    }

    fn channel(name: &str, min: AlertSeverity) -> StoredChannel {
        let spec = pgmon_common::api::alerts::ChannelSpec {
            name: name.into(),
            kind: Some(ChannelKind::Webhook),
            url: Some("http://127.0.0.1:9/".into()),
            min_severity: Some(min),
            repeat_seconds: Some(600),
            ..Default::default()
        };
        let key = pgmon_common::crypto::Cipher::generate_key();
        let cipher = pgmon_common::crypto::Cipher::from_key_text(&key).unwrap();
        StoredChannel::from_spec(spec, None, &cipher).unwrap()
    }

    fn run(
        e: &mut Engine,
        now: i64,
        found: Vec<Candidate>,
        channels: &[StoredChannel],
        silences: &[ActiveSilence],
    ) -> AlertWrite {
        let mut w = AlertWrite::default();
        let judged = [
            "server_down",
            "long_transaction",
            "lock_wait",
            "connections",
        ];
        let configs = RuleConfigs::new();
        let (_, resolved) = e.step("a", now, found, &judged, &configs, &mut w);
        e.notify("a", now, &resolved, channels, silences, &mut w);
        w
    }

    #[test]
    fn pending_firing_repeat_resolved() {
        let mut e = Engine::default();
        let chans = [channel("ops", AlertSeverity::Warning)];
        // `connections` waits 120 s before it fires.
        let w = run(&mut e, 0, vec![found("connections", "a")], &chans, &[]);
        assert_eq!(w.alerts[0].state, AlertState::Pending);
        assert!(w.notifications.is_empty());
        let w = run(&mut e, 60_000, vec![found("connections", "a")], &chans, &[]);
        assert!(w.is_empty(), "nothing changes while pending");
        let w = run(
            &mut e,
            120_000,
            vec![found("connections", "a"), found("server_down", "a")],
            &chans,
            &[],
        );
        assert_eq!(
            w.notifications.len(),
            1,
            "one message for what fires together"
        );
        assert_eq!(w.notifications[0].alerts.len(), 2);
        assert_eq!(w.notifications[0].kind, NotificationKind::Firing);
        let w = run(
            &mut e,
            180_000,
            vec![found("connections", "a"), found("server_down", "a")],
            &chans,
            &[],
        );
        assert!(w.notifications.is_empty(), "no repeat before the interval");
        let w = run(
            &mut e,
            720_000,
            vec![found("connections", "a")],
            &chans,
            &[],
        );
        let kinds: Vec<_> = w.notifications[0].alerts.iter().map(|a| a.1).collect();
        assert!(
            kinds.contains(&NotificationKind::Resolved)
                && kinds.contains(&NotificationKind::Repeat)
        );
        assert_eq!(e.all().count(), 1);
    }

    #[test]
    fn silences_hold_notifications_until_they_end() {
        let mut e = Engine::default();
        let chans = [channel("ops", AlertSeverity::Warning)];
        let silence = ActiveSilence {
            silence: Silence {
                id: 1,
                matchers: Matchers {
                    server: Some("a".into()),
                    ..Matchers::default()
                },
                created_at: String::new(),
                until: String::new(),
                author: "oper".into(),
                comment: String::new(),
                expired: false,
            },
            until: 100_000,
        };
        let w = run(
            &mut e,
            0,
            vec![found("server_down", "a")],
            &chans,
            std::slice::from_ref(&silence),
        );
        assert_eq!(w.alerts[0].state, AlertState::Firing);
        assert!(w.notifications.is_empty());
        let w = run(
            &mut e,
            50_000,
            vec![found("server_down", "a")],
            &chans,
            std::slice::from_ref(&silence),
        );
        assert!(w.notifications.is_empty());
        // Resolved while silenced and never told: nothing to take back.
        let w = run(
            &mut e,
            60_000,
            vec![],
            &chans,
            std::slice::from_ref(&silence),
        );
        assert!(w.notifications.is_empty());
        // Fires again after the silence ended: told.
        let w = run(
            &mut e,
            200_000,
            vec![found("server_down", "a")],
            &chans,
            &[silence],
        );
        assert_eq!(w.notifications.len(), 1);
    }

    #[test]
    fn routing_by_severity_and_server() {
        let mut e = Engine::default();
        let mut only_b = channel("b-only", AlertSeverity::Warning);
        only_b.servers = Some(vec!["b*".into()]);
        let chans = [
            channel("pager", AlertSeverity::Critical),
            only_b,
            channel("all", AlertSeverity::Warning),
        ];
        // long_transaction is a warning, server_down critical.
        let w = run(
            &mut e,
            0,
            vec![found("long_transaction", "a"), found("server_down", "a")],
            &chans,
            &[],
        );
        let by: HashMap<_, _> = w
            .notifications
            .iter()
            .map(|n| (n.channel.as_str(), n.alerts.len()))
            .collect();
        assert_eq!(by, HashMap::from([("pager", 1), ("all", 2)]));
    }
}
