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
pub mod text;
pub mod vocab;
pub mod watch;

pub use error::{Error, Result};

/// A test hook: when `COE_FAILPOINT` names this point, act as told.
/// `NAME=pause` sleeps for a minute (so a test can kill the process),
/// `NAME=sleep:MS` sleeps that many milliseconds, `NAME=abort` aborts at once,
/// `NAME=error:N` makes [`failpoint`] return true the first N times (an
/// injected I/O error). Several points: comma-separated.
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
            Some(("sleep", ms)) => std::thread::sleep(std::time::Duration::from_millis(ms.parse().unwrap_or(1000))),
            _ if action == "pause" => std::thread::sleep(std::time::Duration::from_secs(60)),
            _ => std::process::abort(),
        }
    }
    false
}

/// The server's malloc policy (glibc): at most two arenas. glibc's default is
/// eight per core, and memory freed on one thread (a request, a walk of the
/// whole source) stays resident in its arena; two arenas on a two-core
/// machine cost no measurable contention and keep the server's RSS down.
/// Blocks of 128 KB and more are mapped on their own, and freed memory above
/// 512 KB at the top of a heap goes back: glibc's default raises both limits
/// as big blocks are freed, and then the walk of a whole source or a burst of
/// requests left the heap fragmented (at 100k CoEs, 17 MB anonymous after a
/// load test instead of 14).
pub(crate) fn limit_malloc_arenas() {
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    // SAFETY: mallopt only sets an allocator parameter; called before the
    // server starts its threads.
    unsafe {
        libc::mallopt(libc::M_ARENA_MAX, 2);
        libc::mallopt(libc::M_MMAP_THRESHOLD, 128 * 1024);
        libc::mallopt(libc::M_TRIM_THRESHOLD, 512 * 1024);
    }
}

/// Give freed heap memory back to the system (glibc keeps it otherwise):
/// called after a reconcile has dropped its walk of a whole source.
pub(crate) fn release_free_memory() {
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    // SAFETY: malloc_trim only returns free pages of the heap to the system.
    unsafe {
        libc::malloc_trim(0);
    }
}

/// Free a large value on another thread: freeing the walk of a big source
/// (hundreds of thousands of small strings) took a noticeable part of a
/// restart on an unchanged corpus. The freed memory goes back to the system.
pub(crate) fn drop_in_background<T: Send + 'static>(value: T) {
    let free = move || {
        drop(value);
        release_free_memory();
    };
    if let Err(e) = std::thread::Builder::new().name("coe-drop".into()).spawn(free) {
        tracing::debug!(error = %e, "cannot start a thread to free memory; freeing here");
    }
}
