//! A "tarpit": a loopback port that accepts TCP connections and never says a word, like a
//! server whose PostgreSQL hangs. Connections are held until the tarpit is dropped.

use std::net::{TcpListener, TcpStream};
use std::sync::{Arc, Mutex};
use std::thread;

pub struct Tarpit {
    pub port: u16,
    held: Arc<Mutex<Vec<TcpStream>>>,
}

impl Tarpit {
    pub fn start() -> Tarpit {
        let listener = TcpListener::bind("127.0.0.1:0").expect("binding a tarpit");
        let port = listener.local_addr().unwrap().port();
        let held = Arc::new(Mutex::new(Vec::new()));
        let keep = Arc::clone(&held);
        thread::spawn(move || {
            for stream in listener.incoming().flatten() {
                keep.lock().unwrap().push(stream);
            }
        });
        Tarpit { port, held }
    }

    /// Connections accepted so far.
    pub fn accepted(&self) -> usize {
        self.held.lock().unwrap().len()
    }
}

/// The benchmarks' fleet of 1,000: 700 names on one live cluster at `live_port` and 300 that
/// never answer, ten on each of 30 tarpits (kept alive by the caller), all at 127.0.0.1.
pub struct ThousandServers {
    pub tarpits: Vec<Tarpit>,
}

impl ThousandServers {
    pub const LIVE: usize = 700;
    const TARPITS: usize = 30;
    const NAMES_PER_TARPIT: usize = 10;

    pub fn start() -> ThousandServers {
        ThousandServers {
            tarpits: (0..Self::TARPITS).map(|_| Tarpit::start()).collect(),
        }
    }

    /// Writes them as the config dir's `servers.json`, with `extra` after them.
    pub fn write(&self, dir: &std::path::Path, live_port: u16, extra: &[(&str, u16)]) {
        let live = (0..Self::LIVE).map(|i| (format!("live-{i:03}"), live_port));
        let dead = self.tarpits.iter().enumerate().flat_map(|(t, tp)| {
            (0..Self::NAMES_PER_TARPIT).map(move |i| (format!("never-{t:02}-{i}"), tp.port))
        });
        let extra = extra.iter().map(|(n, p)| (n.to_string(), *p));
        crate::fixtures::write_servers(
            dir,
            live.chain(dead)
                .chain(extra)
                .map(|(n, p)| (n, "127.0.0.1".to_owned(), p)),
        );
    }
}
