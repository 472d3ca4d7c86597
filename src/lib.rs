//! coe-kb: a searchable knowledge base of Correction-of-Error (postmortem)
//! documents. The library holds the document model, the extractor, the Tantivy
//! index and search, the sources and watcher, the HTTP API, the digest and the
//! linter; `src/main.rs` is a thin command line over it.

pub mod cli;
pub mod cmd;
pub mod config;
pub mod digest;
pub mod error;
pub mod r#gen;
pub mod index;
pub mod lint;
pub mod metrics;
pub mod model;
pub mod parse;
pub mod server;
pub mod source;
pub mod vocab;
pub mod watch;

pub use error::{Error, Result};

/// A test hook: when `COE_FAILPOINT` names this point, act as told.
/// `NAME=pause` sleeps for a minute (so a test can kill the process),
/// `NAME=abort` aborts at once, `NAME=error:N` makes [`failpoint`] return true
/// the first N times (an injected I/O error). Several points: comma-separated.
pub fn failpoint(name: &str) -> bool {
    use std::sync::atomic::{AtomicU64, Ordering};
    static FIRED: AtomicU64 = AtomicU64::new(0);
    let Some(spec) = std::env::var_os("COE_FAILPOINT") else { return false };
    let spec = spec.to_string_lossy();
    for part in spec.split(',') {
        let (point, action) = part.split_once('=').unwrap_or((part, "abort"));
        if point != name {
            continue;
        }
        match action.split_once(':') {
            Some(("error", n)) => {
                let n: u64 = n.parse().unwrap_or(1);
                return FIRED.fetch_add(1, Ordering::SeqCst) < n;
            }
            _ if action == "pause" => std::thread::sleep(std::time::Duration::from_secs(60)),
            _ => std::process::abort(),
        }
    }
    false
}

/// Free a large value on another thread: freeing the walk of a big source
/// (hundreds of thousands of small strings) took a noticeable part of a
/// restart on an unchanged corpus.
pub(crate) fn drop_in_background<T: Send + 'static>(value: T) {
    if let Err(e) = std::thread::Builder::new().name("coe-drop".into()).spawn(move || drop(value)) {
        tracing::debug!(error = %e, "cannot start a thread to free memory; freeing here");
    }
}
