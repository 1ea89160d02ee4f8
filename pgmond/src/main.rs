//! `pgmond`: the pgmon daemon (the library's [`pgmond::run`] under a runtime and a logger).

use std::io::IsTerminal;
use std::time::Duration;

use clap::Parser;
use tracing_subscriber::EnvFilter;

/// How long exit waits for blocking work still running (a key derivation, a store write).
const BLOCKING_GRACE: Duration = Duration::from_secs(2);

/// Threads for blocking work at most.
const MAX_BLOCKING_THREADS: usize = 64;

/// How often glibc is asked to give back the free pages inside its heaps.
const TRIM_EVERY: Duration = Duration::from_secs(30);

fn main() -> std::process::ExitCode {
    // glibc gives each thread that allocates an arena of its own, and keeps what it freed
    // there: with the runtime's and the blocking pool's threads that is most of pgmond's
    // resident memory under a burst of work (a cold start of 1,000 servers). Two arenas are
    // plenty for a daemon whose work is I/O.
    // Blocks of 128 KiB and more (a server list, a scrape, a burst of buffers) are mapped on
    // their own and given back when freed, rather than kept in the heap by glibc's sliding
    // threshold.
    // SAFETY: mallopt only sets allocator parameters, before any other thread exists.
    unsafe {
        nix::libc::mallopt(nix::libc::M_ARENA_MAX, 2);
        nix::libc::mallopt(nix::libc::M_MMAP_THRESHOLD, 128 << 10);
    }
    let flags = pgmond::Flags::parse();
    init_logging(&flags.log_level);
    // Blocking work (the config files, bcrypt, the history store) has a bounded pool: name
    // look-ups no longer use it, so nothing needs hundreds of threads.
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .max_blocking_threads(MAX_BLOCKING_THREADS)
        .build()
    {
        Ok(r) => r,
        Err(e) => {
            eprintln!("pgmond: starting the runtime: {e}");
            return std::process::ExitCode::FAILURE;
        }
    };
    runtime.spawn(give_back_free_memory());
    let outcome = runtime.block_on(pgmond::run(flags));
    // Dropping a runtime waits for its blocking threads without end; the drain bound would
    // mean little if one long job could still hold the exit up.
    runtime.shutdown_timeout(BLOCKING_GRACE);
    match outcome {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(e) => {
            tracing::error!("{e:#}");
            eprintln!("pgmond: {e:#}");
            std::process::ExitCode::FAILURE
        }
    }
}

/// glibc returns memory to the system only from the top of a heap: pages freed in the middle
/// (a checks run's findings, a burst of samples copied, a large answer) stay resident until
/// `malloc_trim` hands them back (a pass walks the free chunks of the two arenas).
async fn give_back_free_memory() {
    let mut every = tokio::time::interval(TRIM_EVERY);
    loop {
        every.tick().await;
        // SAFETY: malloc_trim only returns free pages; it takes the arenas' locks itself.
        let _ = tokio::task::spawn_blocking(|| unsafe { nix::libc::malloc_trim(0) }).await;
    }
}

/// Logs go to stderr (journald picks them up), without colours unless on a terminal.
fn init_logging(level: &str) {
    let filter = EnvFilter::try_new(level).unwrap_or_else(|_| EnvFilter::new("info"));
    tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .with_ansi(std::io::stderr().is_terminal())
        .init();
}
