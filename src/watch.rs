//! Live ingestion: the indexer thread (the only owner of the index writer), the
//! watchers that feed it (native events, polling for network mounts, git pulls,
//! a reconcile timer), and the status shown by `/readyz`.
//!
//! Events are only hints: every changed path is checked on disk (file → upsert,
//! missing → delete, directory → rescan), and a full reconcile runs at start,
//! after watcher errors or overflow, and on a timer.

use crate::config::{Origin, Source, WatchMode};
use crate::index::{Batch, Store};
use crate::metrics::Metrics;
use crate::source::{self, SourceSpec};
use crate::vocab::Vocab;
use notify_debouncer_full::{DebounceEventResult, new_debouncer, notify::RecursiveMode};
use serde::Serialize;
use std::collections::{BTreeSet, HashMap};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc::{Receiver, Sender, channel};
use std::sync::{Arc, RwLock};
use std::time::{Duration, Instant};

/// Work for the indexer thread.
#[derive(Debug)]
pub enum Msg {
    /// Walk source `i` and bring the index in line.
    Reconcile(usize),
    /// These absolute paths of source `i` changed.
    Paths(usize, Vec<PathBuf>),
    /// Finish the current batch and stop.
    Shutdown,
}

/// Health of one source.
#[derive(Debug, Clone, Serialize, Default)]
pub struct SourceStatus {
    /// Name.
    pub name: String,
    /// Root folder.
    pub root: String,
    /// `native` or `poll` (after `auto` was resolved).
    pub watch: String,
    /// Why polling was chosen, when it was.
    pub watch_note: Option<String>,
    /// Last successful reconcile (RFC 3339).
    pub last_reconcile: Option<String>,
    /// Last error, if the latest attempt failed.
    pub last_error: Option<String>,
    /// Git: last successful pull (RFC 3339).
    pub last_pull: Option<String>,
    /// Git: last pull error.
    pub pull_error: Option<String>,
    /// Documents of this source in the index.
    pub documents: usize,
}

/// Health of the whole ingestion side.
#[derive(Debug, Clone, Serialize, Default)]
pub struct Status {
    /// Every source has been reconciled once.
    pub ready: bool,
    /// Per source.
    pub sources: Vec<SourceStatus>,
    /// Last commit (RFC 3339).
    pub last_commit: Option<String>,
    /// Last indexing error.
    pub last_error: Option<String>,
}

/// Shared status handle.
pub type SharedStatus = Arc<RwLock<Status>>;

fn now_rfc3339() -> String {
    chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Secs, true)
}

fn with_status(status: &SharedStatus, f: impl FnOnce(&mut Status)) {
    if let Ok(mut s) = status.write() {
        f(&mut s);
    }
}

/// Network filesystems, where inotify sends nothing (statfs magic numbers).
pub fn network_fs_name(path: &Path) -> Option<&'static str> {
    let st = rustix::fs::statfs(path).ok()?;
    #[allow(clippy::unnecessary_cast)]
    let magic = st.f_type as i64 as u32;
    match magic {
        0x6969 => Some("nfs"),
        0x517B => Some("smb"),
        0xFF53_4D42 => Some("cifs"),
        0xFE53_4D42 => Some("smb2"),
        0x6573_5546 => Some("fuse (sshfs, rclone, …)"),
        0x0102_1997 => Some("9p"),
        0x00C3_6400 => Some("ceph"),
        0x5346_414F => Some("afs"),
        0x7375_7245 => Some("coda"),
        0x0000_564C => Some("ncp"),
        _ => None,
    }
}

/// The running ingestion side: indexer thread, watchers, timers.
pub struct Ingest {
    tx: Sender<Msg>,
    indexer: Option<std::thread::JoinHandle<()>>,
    stop: Arc<AtomicBool>,
    /// Status for `/readyz`.
    pub status: SharedStatus,
}

/// How the indexer thread starts watching a local source once its first
/// reconcile is done.
struct Watching {
    mode: WatchMode,
    note: Option<String>,
    debounce: Duration,
    stop: Arc<AtomicBool>,
    metrics: Arc<Metrics>,
    /// When ingestion started: changes since then are caught up on.
    since: std::time::SystemTime,
}

/// Timestamps of some file systems are this coarse (FAT: 2 s): a change this
/// long before ingestion started may carry an older time than the change.
const CLOCK_SLACK: Duration = Duration::from_secs(3);

impl Ingest {
    /// Take the index writer, start the indexer thread, reconcile every source,
    /// and start watching. Fails at once if another process holds the index.
    ///
    /// A local source is watched only after its first reconcile (setting up
    /// a native watcher reads the whole tree as a reconcile does, and
    /// searches wait for the reconcile): what changed meanwhile is found by
    /// the files' change times ([`source::changed_since`]).
    pub fn start(
        store: Arc<Store>,
        vocab: Arc<Vocab>,
        sources: Vec<Source>,
        debounce: Duration,
        reconcile_every: Duration,
        metrics: Arc<Metrics>,
    ) -> crate::Result<Ingest> {
        let since = std::time::SystemTime::now();
        let writer = store.writer()?;
        let (tx, rx) = channel();
        let stop = Arc::new(AtomicBool::new(false));
        let status: SharedStatus = Arc::new(RwLock::new(Status {
            sources: sources
                .iter()
                .map(|s| SourceStatus { name: s.spec.name.clone(), root: s.spec.root.display().to_string(), ..Default::default() })
                .collect(),
            ..Default::default()
        }));
        let mut plans = Vec::with_capacity(sources.len());
        for (i, s) in sources.iter().enumerate() {
            let plan = match &s.origin {
                Origin::Git { url, branch, interval } => {
                    with_status(&status, |st| st.sources[i].watch = "git".into());
                    spawn_git(i, s, url.clone(), branch.clone(), *interval, tx.clone(), status.clone(), stop.clone());
                    None
                }
                Origin::Local => {
                    let (mode, note) = match s.watch {
                        WatchMode::Auto => match network_fs_name(&s.spec.root) {
                            Some(fs) => (WatchMode::Poll, Some(format!("{fs} filesystem sends no change events"))),
                            None => (WatchMode::Native, None),
                        },
                        mode => (mode, None),
                    };
                    with_status(&status, |st| st.sources[i].watch = "starting".into());
                    tx.send(Msg::Reconcile(i)).map_err(|_| crate::Error::Other("indexer stopped".into()))?;
                    Some(Watching { mode, note, debounce, stop: stop.clone(), metrics: metrics.clone(), since })
                }
            };
            plans.push(plan);
        }
        let st = status.clone();
        let indexer = std::thread::Builder::new()
            .name("coe-indexer".into())
            .spawn({
                let (retry, sources, metrics) = (tx.clone(), sources.clone(), metrics.clone());
                move || indexer_loop(store, vocab, sources, plans, writer, rx, retry, st, metrics)
            })
            .map_err(|e| crate::Error::Other(format!("cannot start the indexer thread: {e}")))?;
        spawn_timer((0..sources.len()).collect(), reconcile_every, tx.clone(), stop.clone());
        Ok(Ingest { tx, indexer: Some(indexer), stop, status })
    }

    /// Ask for a reconcile of every source.
    pub fn reconcile_all(&self, n: usize) {
        for i in 0..n {
            let _ = self.tx.send(Msg::Reconcile(i));
        }
    }

    /// Stop watching, let the indexer finish its batch, and wait for it.
    pub fn shutdown(mut self) {
        self.stop.store(true, Ordering::SeqCst);
        let _ = self.tx.send(Msg::Shutdown);
        if let Some(h) = self.indexer.take() {
            let _ = h.join();
        }
    }
}

/// Start watching local source `i` (its first reconcile is done): a native
/// watcher (polling if it fails) and a catch-up on what changed since
/// ingestion started, or a poll timer. The watcher, if any, is returned to
/// be kept alive.
fn start_watching(
    i: usize,
    src: &Source,
    plan: Watching,
    tx: &Sender<Msg>,
    status: &SharedStatus,
) -> Option<Box<dyn std::any::Any + Send>> {
    let Watching { mut mode, mut note, debounce, stop, metrics, since } = plan;
    let mut watcher = None;
    crate::failpoint("before-watch");
    if mode == WatchMode::Native {
        match native_watcher(i, &src.spec.root, debounce, tx.clone(), metrics) {
            Ok(w) => watcher = Some(w),
            Err(e) => {
                tracing::warn!(source = %src.spec.name, error = %e, "native watcher failed; polling instead");
                mode = WatchMode::Poll;
                note = Some(format!("native watcher failed: {e}"));
            }
        }
    }
    if mode == WatchMode::Poll {
        spawn_timer(vec![i], src.poll_interval, tx.clone(), stop);
    }
    with_status(status, |st| {
        st.sources[i].watch = mode.as_str().into();
        st.sources[i].watch_note = note;
    });
    tracing::info!(source = %src.spec.name, root = %src.spec.root.display(), watch = mode.as_str(), "watching");
    if watcher.is_some() {
        let cutoff = since.checked_sub(CLOCK_SLACK).unwrap_or(since);
        let msg = match source::changed_since(&src.spec, cutoff) {
            Ok(Some(paths)) if paths.is_empty() => None,
            Ok(Some(paths)) => Some(Msg::Paths(i, paths)),
            Ok(None) => Some(Msg::Reconcile(i)),
            Err(e) => {
                tracing::warn!(source = %src.spec.name, error = %e, "cannot look for changes made before watching; reconciling");
                Some(Msg::Reconcile(i))
            }
        };
        if let Some(m) = msg {
            tracing::info!(source = %src.spec.name, "changes made before watching started; catching up");
            let _ = tx.send(m);
        }
    }
    watcher
}

fn native_watcher(
    i: usize,
    root: &Path,
    debounce: Duration,
    tx: Sender<Msg>,
    metrics: Arc<Metrics>,
) -> Result<Box<dyn std::any::Any + Send>, String> {
    if crate::failpoint("native-watch") {
        // As when the inotify watch limit (fs.inotify.max_user_watches) is reached.
        return Err(notify_debouncer_full::notify::Error::new(notify_debouncer_full::notify::ErrorKind::MaxFilesWatch).to_string());
    }
    let root_c = std::fs::canonicalize(root).map_err(|e| e.to_string())?;
    let mut debouncer = new_debouncer(debounce, None, move |res: DebounceEventResult| match res {
        Ok(events) => {
            metrics.watcher_events.inc_by(events.len() as u64);
            if events.iter().any(|e| e.event.need_rescan()) {
                tracing::warn!("watcher asked for a rescan (event queue overflow?)");
                let _ = tx.send(Msg::Reconcile(i));
                return;
            }
            // Opening or reading a file (our own walks included) is not a change.
            let paths: BTreeSet<PathBuf> = events
                .into_iter()
                .filter(|e| !matches!(e.event.kind, notify_debouncer_full::notify::EventKind::Access(_)))
                .flat_map(|e| e.event.paths)
                .collect();
            if !paths.is_empty() {
                let _ = tx.send(Msg::Paths(i, paths.into_iter().collect()));
            }
        }
        Err(errors) => {
            metrics.watcher_errors.inc();
            for e in errors {
                tracing::warn!(error = %e, "watcher error; reconciling");
            }
            let _ = tx.send(Msg::Reconcile(i));
        }
    })
    .map_err(|e| e.to_string())?;
    debouncer.watch(&root_c, RecursiveMode::Recursive).map_err(|e| e.to_string())?;
    Ok(Box::new(debouncer))
}

fn spawn_timer(sources: Vec<usize>, every: Duration, tx: Sender<Msg>, stop: Arc<AtomicBool>) {
    let _ = std::thread::Builder::new().name("coe-timer".into()).spawn(move || {
        let mut next = Instant::now() + every;
        while !stop.load(Ordering::SeqCst) {
            std::thread::sleep(Duration::from_millis(50).min(every));
            if Instant::now() >= next {
                next = Instant::now() + every;
                for &i in &sources {
                    if tx.send(Msg::Reconcile(i)).is_err() {
                        return;
                    }
                }
            }
        }
    });
}

fn git(args: &[&str], dir: Option<&Path>) -> Result<(), String> {
    let mut c = std::process::Command::new("git");
    if let Some(d) = dir {
        c.arg("-C").arg(d);
    }
    let out = c.args(args).env("GIT_TERMINAL_PROMPT", "0").output().map_err(|e| format!("cannot run git: {e}"))?;
    if out.status.success() {
        Ok(())
    } else {
        Err(String::from_utf8_lossy(&out.stderr).trim().lines().last().unwrap_or("git failed").to_string())
    }
}

/// Clone (first time) or fast-forward a git source.
pub fn git_sync(checkout: &Path, url: &str, branch: &str) -> Result<(), String> {
    if checkout.join(".git").is_dir() {
        git(&["pull", "--ff-only", "--quiet", "origin", branch], Some(checkout))
    } else {
        if let Some(parent) = checkout.parent() {
            std::fs::create_dir_all(parent).map_err(|e| e.to_string())?;
        }
        let dest = checkout.to_string_lossy().into_owned();
        git(&["clone", "--quiet", "--branch", branch, "--single-branch", url, &dest], None)
    }
}

#[allow(clippy::too_many_arguments)]
fn spawn_git(
    i: usize,
    s: &Source,
    url: String,
    branch: String,
    interval: Duration,
    tx: Sender<Msg>,
    status: SharedStatus,
    stop: Arc<AtomicBool>,
) {
    let Some(checkout) = s.checkout.clone() else { return };
    let name = s.spec.name.clone();
    let _ = std::thread::Builder::new().name("coe-git".into()).spawn(move || {
        loop {
            match git_sync(&checkout, &url, &branch) {
                Ok(()) => {
                    with_status(&status, |st| {
                        st.sources[i].last_pull = Some(now_rfc3339());
                        st.sources[i].pull_error = None;
                    });
                    if tx.send(Msg::Reconcile(i)).is_err() {
                        return;
                    }
                }
                Err(e) => {
                    tracing::warn!(source = %name, error = %e, "git pull failed; serving the last good state");
                    with_status(&status, |st| st.sources[i].pull_error = Some(e));
                    if !checkout.join(".git").is_dir() {
                        // Never cloned: nothing to serve, but the source counts as tried.
                        let _ = tx.send(Msg::Reconcile(i));
                    }
                }
            }
            let until = Instant::now() + interval;
            while Instant::now() < until {
                if stop.load(Ordering::SeqCst) {
                    return;
                }
                std::thread::sleep(Duration::from_millis(100));
            }
        }
    });
}

#[allow(clippy::too_many_arguments)]
fn indexer_loop(
    store: Arc<Store>,
    vocab: Arc<Vocab>,
    sources: Vec<Source>,
    mut plans: Vec<Option<Watching>>,
    writer: tantivy::IndexWriter,
    rx: Receiver<Msg>,
    retry: Sender<Msg>,
    status: SharedStatus,
    metrics: Arc<Metrics>,
) {
    let mut reconciled = vec![false; sources.len()];
    let mut watchers: Vec<Box<dyn std::any::Any + Send>> = Vec::new();
    let mut slot = Some(writer);
    loop {
        let Ok(first) = rx.recv() else { return };
        // Coalesce whatever else is queued into this round.
        let mut full: BTreeSet<usize> = BTreeSet::new();
        let mut paths: HashMap<usize, BTreeSet<PathBuf>> = HashMap::new();
        let mut shutdown = false;
        let mut take = |m: Msg| match m {
            Msg::Reconcile(i) => {
                full.insert(i);
            }
            Msg::Paths(i, ps) => paths.entry(i).or_default().extend(ps),
            Msg::Shutdown => shutdown = true,
        };
        take(first);
        while let Ok(m) = rx.try_recv() {
            take(m);
        }
        if slot.is_none() {
            slot = store.writer().map_err(|e| tracing::error!(error = %e, "cannot recreate the index writer; will retry")).ok();
        }
        let touched: BTreeSet<usize> = full.iter().copied().chain(paths.keys().copied()).collect();
        let ok = match slot.as_mut() {
            Some(writer) => round(&store, &vocab, &sources, writer, full, paths, &mut reconciled, &status, &metrics),
            None => false,
        };
        if !ok {
            // The writer may be dead after a failed commit: drop it (releasing
            // the lock), take a new one next round, and retry the work soon.
            if let Some(mut w) = slot.take() {
                let _ = w.rollback();
            }
            if !shutdown {
                let retry = retry.clone();
                let _ = std::thread::Builder::new().name("coe-retry".into()).spawn(move || {
                    std::thread::sleep(Duration::from_secs(1));
                    for i in touched {
                        let _ = retry.send(Msg::Reconcile(i));
                    }
                });
            }
        }
        metrics.documents.set(store.num_docs() as i64);
        if reconciled.iter().all(|r| *r) {
            with_status(&status, |st| st.ready = true);
        }
        if shutdown {
            tracing::info!("indexer stopped");
            return;
        }
        for (i, plan) in plans.iter_mut().enumerate() {
            if reconciled[i]
                && let (Some(p), Some(src)) = (plan.take(), sources.get(i))
            {
                watchers.extend(start_watching(i, src, p, &retry, &status));
            }
        }
    }
}

/// One round of work; false when a commit failed.
#[allow(clippy::too_many_arguments)]
fn round(
    store: &Store,
    vocab: &Vocab,
    sources: &[Source],
    writer: &mut tantivy::IndexWriter,
    mut full: BTreeSet<usize>,
    paths: HashMap<usize, BTreeSet<PathBuf>>,
    reconciled: &mut [bool],
    status: &SharedStatus,
    metrics: &Metrics,
) -> bool {
    for (i, ps) in paths {
        if full.contains(&i) {
            continue;
        }
        let Some(src) = sources.get(i) else { continue };
        match changes_for(store, &src.spec, &ps, vocab) {
            Ok(Some(batch)) => {
                if !run_batch(store, writer, &src.spec.name, batch, status, metrics) {
                    return false;
                }
            }
            Ok(None) => {
                full.insert(i);
            }
            Err(e) => {
                tracing::warn!(source = %src.spec.name, error = %e, "cannot apply changes; reconciling");
                full.insert(i);
            }
        }
    }
    for i in full {
        let Some(src) = sources.get(i) else { continue };
        let started = Instant::now();
        reconciled[i] = true;
        if !std::fs::metadata(&src.spec.root).is_ok_and(|m| m.is_dir()) {
            let msg = format!("source folder `{}` is missing or unreadable; serving the last good index", src.spec.root.display());
            tracing::warn!(source = %src.spec.name, "{msg}");
            with_status(status, |st| st.sources[i].last_error = Some(msg));
            continue;
        }
        match source::reconcile(store, writer, &src.spec, vocab, chrono::Utc::now().timestamp(), &|_, _| {}) {
            Ok(r) => {
                let took = started.elapsed();
                if r.added + r.updated + r.removed > 0 {
                    store.compact(writer);
                    metrics.commit_duration.observe(took.as_secs_f64());
                    metrics.batches.inc();
                    with_status(status, |st| st.last_commit = Some(now_rfc3339()));
                }
                tracing::info!(source = %src.spec.name, added = r.added, updated = r.updated, removed = r.removed, unchanged = r.unchanged, skipped = r.skipped.len(), took = ?took, "reconciled");
                for s in &r.skipped {
                    tracing::debug!(source = %src.spec.name, path = %s.path, reason = %s.reason, "skipped");
                }
                let docs = store.count_source(&src.spec.name).unwrap_or(0);
                with_status(status, |st| {
                    st.sources[i].last_reconcile = Some(now_rfc3339());
                    st.sources[i].last_error = None;
                    st.sources[i].documents = docs;
                });
            }
            Err(e) => {
                metrics.index_errors.inc();
                tracing::error!(source = %src.spec.name, error = %e, "reconcile failed; serving the last good index");
                with_status(status, |st| {
                    st.sources[i].last_error = Some(e.to_string());
                    st.last_error = Some(e.to_string());
                });
                return false;
            }
        }
    }
    true
}

/// Apply one batch; false when the commit failed (the writer must be replaced).
fn run_batch(store: &Store, writer: &mut tantivy::IndexWriter, name: &str, batch: Batch, status: &SharedStatus, metrics: &Metrics) -> bool {
    if batch.is_empty() {
        return true;
    }
    let started = Instant::now();
    match store.apply(writer, batch, chrono::Utc::now().timestamp()) {
        Ok(s) => {
            let took = started.elapsed();
            metrics.commit_duration.observe(took.as_secs_f64());
            metrics.batches.inc();
            tracing::info!(source = %name, added = s.added, updated = s.updated, removed = s.removed, took = ?took, "batch committed");
            with_status(status, |st| st.last_commit = Some(now_rfc3339()));
            true
        }
        Err(e) => {
            metrics.index_errors.inc();
            tracing::error!(source = %name, error = %e, "commit failed; the previous commit is still served");
            with_status(status, |st| st.last_error = Some(e.to_string()));
            false
        }
    }
}

/// The batch for a set of changed paths, or `None` when a full reconcile is
/// needed (a directory changed, or the root itself).
pub fn changes_for(store: &Store, spec: &SourceSpec, paths: &BTreeSet<PathBuf>, vocab: &Vocab) -> crate::Result<Option<Batch>> {
    let root = std::fs::canonicalize(&spec.root).map_err(|e| crate::Error::io(&spec.root, e))?;
    // Paths that are gone (a file, or a whole directory): their documents are
    // found in one scan of the index after the loop.
    let mut gone: Vec<String> = Vec::new();
    let mut batch = Batch::default();
    let mut deleted: BTreeSet<String> = BTreeSet::new();
    for abs in paths {
        let Ok(rel_path) = abs.strip_prefix(&root) else { continue };
        let rel = rel_path.components().map(|c| c.as_os_str().to_string_lossy()).collect::<Vec<_>>().join("/");
        if rel.is_empty() || rel.split('/').any(|c| c.starts_with('.') && c.len() > 1 && c != rel.rsplit('/').next().unwrap_or("")) {
            if rel.is_empty() {
                return Ok(None);
            }
            continue;
        }
        match std::fs::metadata(abs) {
            Ok(m) if m.is_dir() => return Ok(None),
            Ok(_) => {
                let prior = store.indexed(&spec.name, &rel)?;
                let prior = prior.as_ref();
                if source::path_filter(spec, &rel).is_some() {
                    if let Some(p) = prior
                        && deleted.insert(p.id.clone())
                    {
                        batch.deletes.push(p.id.clone());
                    }
                    continue;
                }
                vocab.prepare();
                match source::load(spec, &rel, abs, vocab) {
                    Ok(mut u) => {
                        if let Some(p) = prior {
                            if source::unchanged(p, &u) {
                                continue;
                            }
                            if p.id != u.doc.id {
                                u.replaces = Some(p.id.clone());
                            }
                        }
                        batch.upserts.retain(|x| x.doc.path != u.doc.path);
                        batch.upserts.push(u);
                    }
                    Err(reason) => {
                        tracing::warn!(source = %spec.name, path = %rel, %reason, "skipped");
                        if let Some(p) = prior
                            && deleted.insert(p.id.clone())
                        {
                            batch.deletes.push(p.id.clone());
                        }
                    }
                }
            }
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                batch.upserts.retain(|x| x.doc.path != rel);
                gone.push(rel);
            }
            Err(e) => tracing::warn!(source = %spec.name, path = %rel, error = %e, "cannot read changed file"),
        }
    }
    if !gone.is_empty() {
        store.scan(&spec.name, |e| {
            let under = |g: &String| e.path.strip_prefix(g.as_str()).is_some_and(|rest| rest.is_empty() || rest.starts_with('/'));
            if gone.iter().any(under) {
                let id = e.id();
                if deleted.insert(id.clone()) {
                    batch.deletes.push(id);
                }
            }
        })?;
    }
    let upserted: BTreeSet<&str> = batch.upserts.iter().map(|u| u.doc.id.as_str()).collect();
    batch.deletes.retain(|d| !upserted.contains(d.as_str()));
    Ok(Some(batch))
}
