//! The A5 answers built from stored figures: the store hands over raw samples and hourly
//! rollups alike as `Figures`, and the sums, averages and extremes come out the same whichever
//! kind a bucket holds, since a rollup keeps sum, count, min and max.

use std::collections::BTreeMap;

use pgmon_common::api::fleet::{ServerTimeline, TimelinePoint};
use pgmon_common::api::history::{
    ConnectionPoint, CounterIncreases, DatabaseEntry, DbHistory, DbPoint, ServerHistory,
};
use serde_json::{Value, json};

use super::window::{HistoryWindow, iso_micros, round_avg};

pub const GIB: f64 = 1024.0 * 1024.0 * 1024.0;
pub const MIB: f64 = 1024.0 * 1024.0;

/// A byte sum in `unit`s: the integer 0 when there were no rows, a float otherwise.
pub fn scaled_total(sum: Option<i64>, unit: f64) -> Value {
    match sum {
        Some(s) => json!(s as f64 / unit),
        None => json!(0),
    }
}

/// The counters kept as increases since the previous sample, in their column order.
pub const INCREASES: [&str; 11] = [
    "rollbacks",
    "blks_read",
    "blks_hit",
    "tup_returned",
    "tup_fetched",
    "tup_inserted",
    "tup_updated",
    "tup_deleted",
    "temp_files",
    "temp_bytes",
    "deadlocks",
];

/// What one database's samples over some stretch of time add up to: one sample, an hourly
/// rollup, or a bucket of either. Counts are of non-null values, as SQL's aggregates count.
#[derive(Clone, Debug, Default, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct Figures {
    pub nb_n: i64,
    pub nb_sum: i64,
    pub nb_min: Option<i64>,
    pub nb_max: Option<i64>,
    pub size_n: i64,
    pub size_sum: i64,
    pub size_max: Option<i64>,
    pub commit_n: i64,
    pub commit_sum: i64,
    pub age_max: Option<i64>,
    /// The other counters' increases; none at all (and no allocation) for what a server's
    /// answer reads and for legacy rows, so that a year of buckets stays small.
    pub increases: Option<Box<Increases>>,
}

pub type Increases = [Option<i64>; INCREASES.len()];

/// `increases` as `Figures` holds them: boxed when there is one.
pub fn boxed(increases: Increases) -> Option<Box<Increases>> {
    increases
        .iter()
        .any(Option::is_some)
        .then(|| Box::new(increases))
}

fn pick(a: Option<i64>, b: Option<i64>, f: fn(i64, i64) -> i64) -> Option<i64> {
    match (a, b) {
        (Some(a), Some(b)) => Some(f(a, b)),
        (a, b) => a.or(b),
    }
}

impl Figures {
    /// One sample.
    pub fn sample(
        numbackends: Option<i64>,
        xact_commit: Option<i64>,
        size: Option<i64>,
        age: Option<i64>,
        increases: Increases,
    ) -> Figures {
        Figures {
            nb_n: numbackends.is_some().into(),
            nb_sum: numbackends.unwrap_or(0),
            nb_min: numbackends,
            nb_max: numbackends,
            size_n: size.is_some().into(),
            size_sum: size.unwrap_or(0),
            size_max: size,
            commit_n: xact_commit.is_some().into(),
            commit_sum: xact_commit.unwrap_or(0),
            age_max: age,
            increases: boxed(increases),
        }
    }

    /// The increases, each none when there are none.
    pub fn all_increases(&self) -> Increases {
        self.increases.as_deref().copied().unwrap_or_default()
    }

    pub fn add(&mut self, o: &Figures) {
        self.nb_n += o.nb_n;
        self.nb_sum += o.nb_sum;
        self.nb_min = pick(self.nb_min, o.nb_min, i64::min);
        self.nb_max = pick(self.nb_max, o.nb_max, i64::max);
        self.size_n += o.size_n;
        self.size_sum += o.size_sum;
        self.size_max = pick(self.size_max, o.size_max, i64::max);
        self.commit_n += o.commit_n;
        self.commit_sum += o.commit_sum;
        self.age_max = pick(self.age_max, o.age_max, i64::max);
        if let Some(theirs) = &o.increases {
            let mine = self.increases.get_or_insert_with(Default::default);
            for (mine, theirs) in mine.iter_mut().zip(theirs.iter()) {
                *mine = pick(*mine, *theirs, i64::saturating_add);
            }
        }
    }

    /// SQL's `sum`: null over no values.
    fn connections(&self) -> Option<i64> {
        (self.nb_n > 0).then_some(self.nb_sum)
    }

    fn sizes(&self) -> Option<i64> {
        (self.size_n > 0).then_some(self.size_sum)
    }

    fn commits(&self) -> Option<i64> {
        (self.commit_n > 0).then_some(self.commit_sum)
    }
}

fn increases(v: Increases) -> CounterIncreases {
    let [
        rollbacks,
        blks_read,
        blks_hit,
        tup_returned,
        tup_fetched,
        tup_inserted,
        tup_updated,
        tup_deleted,
        temp_files,
        temp_bytes,
        deadlocks,
    ] = v;
    CounterIncreases {
        rollbacks,
        blks_read,
        blks_hit,
        tup_returned,
        tup_fetched,
        tup_inserted,
        tup_updated,
        tup_deleted,
        temp_files,
        temp_bytes,
        deadlocks,
    }
}

/// A window's figures added up by bucket, per database (indexed as in the list handed over
/// with them), each database's in time order. The store fills it as it reads, so a year of
/// samples is never held at once; it reads a database's rows in time order, so a row joins the
/// last bucket or starts a new one after it.
#[derive(Default)]
pub struct Buckets(Vec<Vec<(i64, Figures)>>);

impl Buckets {
    /// Adds one stored row (a sample or a rollup, at `t_us`) of database `db` to its bucket.
    pub fn add(&mut self, w: &HistoryWindow, t_us: i64, db: usize, f: Figures) {
        if self.0.len() <= db {
            self.0.resize_with(db + 1, Vec::new);
        }
        let bucket = w.aggregation.bucket_of(t_us);
        let list = &mut self.0[db];
        match list.last_mut() {
            Some((b, sum)) if *b == bucket => sum.add(&f),
            Some((b, _)) if *b > bucket => {
                // Out of order (a late row rolled up while retention runs): put in its place.
                match list.binary_search_by_key(&bucket, |(b, _)| *b) {
                    Ok(at) => list[at].1.add(&f),
                    Err(at) => list.insert(at, (bucket, f)),
                }
            }
            _ => list.push((bucket, f)),
        }
    }

    /// Every bucket as (database, bucket start, figures).
    fn iter(&self) -> impl Iterator<Item = (usize, i64, &Figures)> {
        self.0
            .iter()
            .enumerate()
            .flat_map(|(db, list)| list.iter().map(move |(t, f)| (db, *t, f)))
    }
}

fn total(buckets: &Buckets) -> Figures {
    let mut total = Figures::default();
    buckets.iter().for_each(|(_, _, f)| total.add(f));
    total
}

/// `GET /server/{name}/stats` from the window's buckets. `databases` lists the server's
/// databases in the order the buckets refer to; those without figures are left out.
pub fn server_history(
    w: &HistoryWindow,
    last: Option<i64>,
    databases: &[DatabaseEntry],
    buckets: &Buckets,
) -> ServerHistory {
    let total = total(buckets);
    let mut seen = vec![false; databases.len()];
    // Points go by time, then database name: the names are ranked once.
    let mut by_name: Vec<usize> = (0..databases.len()).collect();
    by_name.sort_by(|a, b| databases[*a].name.cmp(&databases[*b].name));
    let mut rank = vec![0; databases.len()];
    by_name.iter().enumerate().for_each(|(r, db)| rank[*db] = r);
    let mut points: Vec<(i64, usize, &Figures)> = buckets
        .iter()
        .map(|(db, t, f)| {
            seen[db] = true;
            (t, db, f)
        })
        .collect();
    points.sort_by_key(|p| (p.0, rank[p.1]));
    // Every database shares a bucket's time: it is written once.
    let mut stamp: Option<(i64, String)> = None;
    let mut listed: Vec<DatabaseEntry> = databases
        .iter()
        .zip(seen)
        .filter(|(_, seen)| *seen)
        .map(|(d, _)| d.clone())
        .collect();
    listed.sort_by(|a, b| a.name.cmp(&b.name));
    ServerHistory {
        last_stat_update: last.map(iso_micros),
        total_connections: total.connections().unwrap_or(0),
        total_size_gb: scaled_total(total.sizes(), GIB),
        databases: listed,
        connection_timeline: points
            .into_iter()
            .map(|(t, db, f)| ConnectionPoint {
                ts: match &stamp {
                    Some((at, text)) if *at == t => text.clone(),
                    _ => stamp.insert((t, iso_micros(t))).1.clone(),
                },
                datname: databases[db].name.clone(),
                connections: round_avg(f.connections(), f.nb_n),
                size_gb: f.size_max.map(|s| s as f64 / GIB),
            })
            .collect(),
        aggregation: w.aggregation.name().into(),
        history_error: None,
    }
}

/// `GET /server/{name}/db/{db}/stats` from the buckets of one database in the window.
pub fn db_history(
    w: &HistoryWindow,
    last: Option<i64>,
    creation_time: Option<String>,
    buckets: &Buckets,
) -> DbHistory {
    let total = total(buckets);
    DbHistory {
        last_stat_update: last.map(iso_micros),
        total_connections: total.connections().unwrap_or(0),
        total_commits: total.commits().unwrap_or(0),
        total_size_mb: scaled_total(total.sizes(), MIB),
        creation_time,
        max_connections: total.nb_max.unwrap_or(0),
        min_connections: total.nb_min.unwrap_or(0),
        timeline: buckets
            .iter()
            .map(|(_, t, f)| DbPoint {
                ts: iso_micros(t),
                connections: round_avg(f.connections(), f.nb_n),
                size_mb: f.size_max.map(|s| s as f64 / MIB),
                commits: f.commits(),
                frozen_xid_age: f.age_max,
                increases: increases(f.all_increases()),
            })
            .collect(),
        aggregation: w.aggregation.name().into(),
        history_error: None,
    }
}

/// What a timeline bucket adds up, over the databases and the server's own samples.
#[derive(Default)]
struct Moment {
    sessions: Option<f64>,
    bytes: Option<i64>,
    commits: Option<f64>,
    rollbacks: Option<f64>,
    blocks: Option<(i64, i64)>,
    states: [i64; 4],
    state_samples: i64,
    max_connections: Option<i64>,
    disk_free: Option<i64>,
    disk_total: Option<i64>,
}

fn plus(a: Option<f64>, b: f64) -> Option<f64> {
    Some(a.unwrap_or(0.0) + b)
}

/// `GET /server/{name}/timeline` from the window's buckets (read with their increases) and
/// the server's own samples. Rates are per second between a database's bucket and the one
/// before it: commits from the change of their (cumulative) average, which a restart's reset
/// makes negative and leaves out; rollbacks from their increases.
pub fn server_timeline(
    w: &HistoryWindow,
    buckets: &Buckets,
    rows: &[super::ServerRow],
) -> ServerTimeline {
    let mut at: BTreeMap<i64, Moment> = BTreeMap::new();
    for list in &buckets.0 {
        let mut before: Option<(i64, Option<f64>)> = None;
        for (t, f) in list {
            let m = at.entry(*t).or_default();
            if f.nb_n > 0 {
                m.sessions = plus(m.sessions, f.nb_sum as f64 / f.nb_n as f64);
            }
            if let Some(size) = f.size_max {
                m.bytes = Some(m.bytes.unwrap_or(0) + size);
            }
            let commits = (f.commit_n > 0).then(|| f.commit_sum as f64 / f.commit_n as f64);
            let since = before
                .map(|(b, _)| (t - b) as f64 / 1e6)
                .filter(|s| *s > 0.0);
            let span = w.aggregation.span_us().map(|s| s as f64 / 1e6).or(since);
            if let (Some((_, Some(prev))), Some(now), Some(s)) = (before, commits, since)
                && now >= prev
            {
                m.commits = plus(m.commits, (now - prev) / s);
            }
            let [rollbacks, read, hit, ..] = f.all_increases();
            if let (Some(r), Some(s)) = (rollbacks, span) {
                m.rollbacks = plus(m.rollbacks, r as f64 / s);
            }
            if let (Some(h), Some(r)) = (hit, read) {
                let (h0, r0) = m.blocks.unwrap_or_default();
                m.blocks = Some((h0 + h, r0 + r));
            }
            before = Some((*t, commits));
        }
    }
    for r in rows {
        let m = at.entry(w.aggregation.bucket_of(r.t_us)).or_default();
        if r.states.iter().all(Option::is_some) {
            for (sum, v) in m.states.iter_mut().zip(r.states) {
                *sum += v.unwrap_or(0);
            }
            m.state_samples += 1;
        }
        m.max_connections = pick(m.max_connections, r.max_connections, i64::max);
        m.disk_free = pick(m.disk_free, r.disk.0, i64::min);
        m.disk_total = pick(m.disk_total, r.disk.1, i64::max);
    }
    let (start, end) = w.micros();
    ServerTimeline {
        aggregation: w.aggregation.name().into(),
        start: iso_micros(start),
        end: iso_micros(end),
        points: at
            .into_iter()
            .map(|(t, m)| {
                let state = |i: usize| {
                    (m.state_samples > 0).then(|| m.states[i] as f64 / m.state_samples as f64)
                };
                TimelinePoint {
                    ts: iso_micros(t),
                    sessions: m.sessions,
                    active: state(0),
                    idle: state(1),
                    idle_in_transaction: state(2),
                    other: state(3),
                    max_connections: m.max_connections,
                    total_bytes: m.bytes,
                    commits_per_second: m.commits,
                    rollbacks_per_second: m.rollbacks,
                    cache_hit_ratio: m
                        .blocks
                        .filter(|(h, r)| h + r > 0)
                        .map(|(h, r)| h as f64 / (h + r) as f64),
                    disk_free: m.disk_free,
                    disk_total: m.disk_total,
                }
            })
            .collect(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    /// Rates between a database's buckets, summed over databases; states averaged over the
    /// server's own samples; a counter reset leaves its rate out.
    fn timeline_rates_and_states() {
        use super::super::ServerRow;
        use super::super::window::Aggregation;
        let w = HistoryWindow {
            start: chrono::DateTime::from_timestamp(0, 0).unwrap(),
            end: chrono::DateTime::from_timestamp(600, 0).unwrap(),
            aggregation: Aggregation::Raw,
        };
        let at = |s: i64| s * 1_000_000;
        let mut b = Buckets::default();
        let inc = |rollbacks, read, hit| {
            let mut i: Increases = [None; INCREASES.len()];
            (i[0], i[1], i[2]) = (Some(rollbacks), Some(read), Some(hit));
            i
        };
        b.add(
            &w,
            at(0),
            0,
            Figures::sample(Some(2), Some(1000), Some(10), None, inc(0, 0, 0)),
        );
        b.add(
            &w,
            at(60),
            0,
            Figures::sample(Some(4), Some(1600), Some(12), None, inc(6, 10, 90)),
        );
        b.add(
            &w,
            at(0),
            1,
            Figures::sample(Some(1), Some(500), Some(5), None, inc(0, 0, 0)),
        );
        // Database 1 restarted: its commits went down.
        b.add(
            &w,
            at(60),
            1,
            Figures::sample(Some(1), Some(20), Some(5), None, inc(0, 0, 0)),
        );
        let rows = [ServerRow {
            t_us: at(60),
            states: [Some(3), Some(1), Some(1), Some(0)],
            max_connections: Some(100),
            disk: (Some(7), Some(9)),
        }];
        let t = server_timeline(&w, &b, &rows);
        assert_eq!(t.points.len(), 2);
        let p = &t.points[1];
        assert_eq!(p.sessions, Some(5.0));
        assert_eq!(p.total_bytes, Some(17));
        assert_eq!(p.commits_per_second, Some(10.0));
        assert_eq!(p.rollbacks_per_second, Some(0.1));
        assert_eq!(p.cache_hit_ratio, Some(0.9));
        assert_eq!(
            (p.active, p.max_connections, p.disk_free),
            (Some(3.0), Some(100), Some(7))
        );
        assert_eq!(t.points[0].commits_per_second, None);
    }

    #[test]
    /// A bucket built from a rollup equals the bucket built from the samples it rolled up.
    fn rollups_add_up_like_samples() {
        let samples: Vec<Figures> = (0..6)
            .map(|i| {
                let size = (i % 3 == 0).then_some(1000 + i);
                Figures::sample(Some(i % 4), Some(100 + i), size, Some(7 * i), [Some(i); 11])
            })
            .collect();
        let mut one_by_one = Figures::default();
        samples.iter().for_each(|s| one_by_one.add(s));
        let (mut first, mut second) = (Figures::default(), Figures::default());
        samples[..2].iter().for_each(|s| first.add(s));
        samples[2..].iter().for_each(|s| second.add(s));
        first.add(&second);
        assert_eq!(first, one_by_one);
        assert_eq!(one_by_one.nb_min, Some(0));
        assert_eq!(one_by_one.nb_max, Some(3));
        assert_eq!(one_by_one.sizes(), Some(1000 + 1003));
        assert_eq!(one_by_one.increases.unwrap()[0], Some(15));
        assert_eq!(Figures::default().connections(), None);
    }
}
