//! A server's backends as a DBA looks at them in an incident: every session with its waits and
//! blockers, the blocking tree, and cancelling or terminating one. The SQL uses what
//! PostgreSQL 12 already has (`backend_type`, `pg_blocking_pids`), so one query serves 12 to 18.

use std::collections::HashMap;

use pgmon_common::api::activity::{Backend, BlockingNode, LockWait};
use pgmon_common::servers::Server;

use super::{Monitor, MonitorError, live_db, version_num};
use crate::history::window::iso;

/// `{waitstart}` is `pg_locks.waitstart` from PostgreSQL 14 on, NULL before (the query's start
/// stands in for when the wait began).
const ACTIVITY: &str = "
    SELECT a.pid, a.usename::text, a.datname::text, a.application_name, host(a.client_addr),
           a.backend_type, a.state, a.wait_event_type, a.wait_event,
           a.backend_start, a.xact_start, a.query_start,
           extract(epoch FROM now() - a.backend_start)::float8,
           extract(epoch FROM now() - a.xact_start)::float8,
           extract(epoch FROM now() - a.query_start)::float8,
           extract(epoch FROM now() - a.state_change)::float8,
           left(a.query, $2), pg_blocking_pids(a.pid),
           l.locktype, l.relation::regclass::text, l.mode,
           extract(epoch FROM now() - coalesce(l.waitstart, a.query_start))::float8
    FROM pg_stat_activity a
    LEFT JOIN LATERAL (
        SELECT locktype, relation, mode, {waitstart} AS waitstart FROM pg_locks
        WHERE pid = a.pid AND NOT granted LIMIT 1
    ) l ON true
    WHERE a.pid <> pg_backend_pid() AND a.pid <> ALL($1::int4[])
    ORDER BY a.pid";

/// Why a backend was not signalled.
#[derive(Debug, thiserror::Error)]
pub enum ActionError {
    #[error("No backend with pid {0}")]
    NoSuchBackend(i32),
    #[error("pid {pid} is a {kind}, not a client backend: an admin can add force=true")]
    NotAClient { pid: i32, kind: String },
    #[error("pid {0} is pgmon's own session")]
    Ours(i32),
    /// The server refused (the monitoring role lacks `pg_signal_backend`, or the target is a
    /// superuser's): its own words.
    #[error("{0}")]
    NotAllowed(String),
    #[error(transparent)]
    Monitor(#[from] MonitorError),
}

/// What the action was done to.
pub struct Signalled {
    pub usename: Option<String>,
    pub datname: Option<String>,
    pub query_start: Option<String>,
}

impl Monitor {
    /// Every backend but pgmon's own, with queries cut to `query_chars`.
    pub async fn backends(
        &self,
        server: &Server,
        query_chars: i32,
    ) -> Result<Vec<Backend>, MonitorError> {
        self.with_client(server, live_db(server), |c| async move {
            let waitstart = if version_num(&c).await? >= 140_000 {
                "waitstart"
            } else {
                "NULL::timestamptz"
            };
            let sql = ACTIVITY.replace("{waitstart}", waitstart);
            let rows = c
                .query(&sql, &[&self.own_pids(server), &query_chars])
                .await?;
            Ok(rows
                .iter()
                .map(|r| Backend {
                    pid: r.get(0),
                    usename: r.get(1),
                    datname: r.get(2),
                    application_name: r.get(3),
                    client_addr: r.get(4),
                    backend_type: r.get(5),
                    state: r.get(6),
                    wait_event_type: r.get(7),
                    wait_event: r.get(8),
                    backend_start: iso(r.get(9)),
                    xact_start: iso(r.get(10)),
                    query_start: iso(r.get(11)),
                    backend_seconds: r.get(12),
                    xact_seconds: r.get(13),
                    query_seconds: r.get(14),
                    state_seconds: r.get(15),
                    query: r.get(16),
                    blocked_by: r.get::<_, Option<Vec<i32>>>(17).unwrap_or_default(),
                    waiting_for: r.get::<_, Option<String>>(18).map(|locktype| LockWait {
                        locktype,
                        relation: r.get(19),
                        mode: r.get::<_, Option<String>>(20).unwrap_or_default(),
                        seconds: r.get(21),
                    }),
                })
                .collect())
        })
        .await
    }

    /// Cancels the query of backend `pid` (or, with `terminate`, ends the backend). A backend
    /// that is not a client's is refused unless `force`; pgmon's own always.
    pub async fn signal(
        &self,
        server: &Server,
        pid: i32,
        terminate: bool,
        force: bool,
    ) -> Result<Signalled, ActionError> {
        tokio::time::timeout(
            super::CALL_DEADLINE,
            self.signal_now(server, pid, terminate, force),
        )
        .await
        .unwrap_or(Err(ActionError::Monitor(MonitorError::Timeout)))
    }

    async fn signal_now(
        &self,
        server: &Server,
        pid: i32,
        terminate: bool,
        force: bool,
    ) -> Result<Signalled, ActionError> {
        let client = self.pools.get(server, live_db(server), &self.dir).await?;
        let row = client
            .query_opt(
                "SELECT backend_type, usename::text, datname::text, query_start,
                        pid = pg_backend_pid()
                 FROM pg_stat_activity WHERE pid = $1",
                &[&pid],
            )
            .await
            .map_err(MonitorError::from)?
            .ok_or(ActionError::NoSuchBackend(pid))?;
        let kind: Option<String> = row.get(0);
        if row.get::<_, bool>(4) || self.own_pids(server).contains(&pid) {
            return Err(ActionError::Ours(pid));
        }
        // A type PostgreSQL hides (another role's session, and pgmon's role without
        // pg_read_all_stats) is left to PostgreSQL's own checks, which say why they refuse.
        if let Some(kind) = kind.filter(|k| k != "client backend" && !force) {
            return Err(ActionError::NotAClient { pid, kind });
        }
        let sql = if terminate {
            "SELECT pg_terminate_backend($1)"
        } else {
            "SELECT pg_cancel_backend($1)"
        };
        let done: bool = match client.query_one(sql, &[&pid]).await {
            Ok(r) => r.get(0),
            Err(e)
                if e.code() == Some(&tokio_postgres::error::SqlState::INSUFFICIENT_PRIVILEGE) =>
            {
                let said = e.as_db_error().map_or_else(
                    || e.to_string(),
                    |d| match d.detail() {
                        Some(detail) => format!("{} ({detail})", d.message()),
                        None => d.message().to_owned(),
                    },
                );
                return Err(ActionError::NotAllowed(said));
            }
            Err(e) => return Err(MonitorError::from(e).into()),
        };
        // False: the backend ended between the look-up and the signal.
        if !done {
            return Err(ActionError::NoSuchBackend(pid));
        }
        Ok(Signalled {
            usename: row.get(1),
            datname: row.get(2),
            query_start: iso(row.get(3)),
        })
    }
}

/// The blocking tree of `backends`: roots block others and wait on nobody; every blocked
/// backend hangs under the blocker nearest to it (the one deepest in the tree, so that in a
/// queue A <- B <- C, C is under B even when PostgreSQL names A as blocking it too).
pub fn blocking_tree(backends: &[Backend]) -> Vec<BlockingNode> {
    let by_pid: HashMap<i32, &Backend> = backends.iter().map(|b| (b.pid, b)).collect();
    let mut depth: HashMap<i32, usize> = HashMap::new();
    fn depth_of(
        pid: i32,
        by_pid: &HashMap<i32, &Backend>,
        depth: &mut HashMap<i32, usize>,
        seen: &mut Vec<i32>,
    ) -> usize {
        if let Some(d) = depth.get(&pid) {
            return *d;
        }
        // A cycle (a deadlock not yet broken) is cut where it closes.
        if seen.contains(&pid) {
            return 0;
        }
        seen.push(pid);
        let d = by_pid.get(&pid).map_or(0, |b| {
            b.blocked_by
                .iter()
                .filter(|p| by_pid.contains_key(p))
                .map(|p| depth_of(*p, by_pid, depth, seen) + 1)
                .max()
                .unwrap_or(0)
        });
        seen.pop();
        depth.insert(pid, d);
        d
    }
    let mut children: HashMap<i32, Vec<i32>> = HashMap::new();
    let mut blocked = std::collections::HashSet::new();
    for b in backends {
        let parent = b
            .blocked_by
            .iter()
            .filter(|p| by_pid.contains_key(p))
            .max_by_key(|p| (depth_of(**p, &by_pid, &mut depth, &mut Vec::new()), **p));
        if let Some(parent) = parent {
            children.entry(*parent).or_default().push(b.pid);
            blocked.insert(b.pid);
        }
    }
    fn node(
        pid: i32,
        by_pid: &HashMap<i32, &Backend>,
        children: &HashMap<i32, Vec<i32>>,
        path: &mut Vec<i32>,
    ) -> BlockingNode {
        path.push(pid);
        let mut kids: Vec<i32> = children.get(&pid).cloned().unwrap_or_default();
        kids.sort_unstable();
        kids.retain(|k| !path.contains(k));
        let blocks = kids
            .into_iter()
            .map(|k| node(k, by_pid, children, path))
            .collect();
        path.pop();
        BlockingNode {
            pid,
            waiting_for: by_pid.get(&pid).and_then(|b| b.waiting_for.clone()),
            blocks,
        }
    }
    let mut roots: Vec<i32> = children
        .keys()
        .filter(|p| !blocked.contains(*p))
        .copied()
        .collect();
    roots.sort_unstable();
    roots
        .into_iter()
        .map(|r| node(r, &by_pid, &children, &mut Vec::new()))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn backend(pid: i32, blocked_by: &[i32]) -> Backend {
        Backend {
            pid,
            usename: None,
            datname: None,
            application_name: None,
            client_addr: None,
            backend_type: Some("client backend".into()),
            state: None,
            wait_event_type: None,
            wait_event: None,
            backend_start: None,
            xact_start: None,
            query_start: None,
            backend_seconds: None,
            xact_seconds: None,
            query_seconds: None,
            state_seconds: None,
            query: None,
            blocked_by: blocked_by.to_vec(),
            waiting_for: None,
        }
    }

    fn shape(n: &BlockingNode) -> String {
        if n.blocks.is_empty() {
            return n.pid.to_string();
        }
        let kids: Vec<String> = n.blocks.iter().map(shape).collect();
        format!("{}({})", n.pid, kids.join(","))
    }

    #[test]
    /// A holds; B waits on A; C queues behind B (PostgreSQL names A and B); D waits on A; E is
    /// idle; F and G block each other (a deadlock not yet broken).
    fn tree_hangs_each_backend_under_its_nearest_blocker() {
        let all = [
            backend(1, &[]),
            backend(2, &[1]),
            backend(3, &[1, 2]),
            backend(4, &[1]),
            backend(5, &[]),
            backend(6, &[7]),
            backend(7, &[6]),
        ];
        let tree: Vec<String> = blocking_tree(&all).iter().map(shape).collect();
        assert_eq!(tree, ["1(2(3),4)"]);
    }
}
