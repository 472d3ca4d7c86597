//! Sources of CoE files: walking a folder with the ignore rules, reading and
//! parsing each file safely, and reconciling the index with what is on disk
//! (unchanged files skipped by size, stat stamp and hash; removed files dropped).

use crate::error::{Error, Result};
use crate::index::{BatchStats, FileState, Indexed, Prepared, Store, Upsert};
use crate::parse::{self, Defaults};
use crate::vocab::Vocab;
use globset::{Glob, GlobSet, GlobSetBuilder};
use rayon::prelude::*;
use rustc_hash::FxHashMap;
use std::path::{Path, PathBuf};
use std::time::UNIX_EPOCH;
use tantivy::IndexWriter;

/// Default largest file indexed.
pub const DEFAULT_MAX_SIZE: u64 = 10 * 1024 * 1024;
/// The commit trigger of a reconcile: it commits once it has staged at least
/// [`COMMIT_EVERY`] upserts and [`COMMIT_INTERVAL`] has passed since its
/// last commit (and at the end). A large first load becomes searchable in
/// steps and a crash keeps what was committed, while a load of ten thousand
/// CoEs is one commit: each commit stalls the parsers while the writer
/// finishes its segment, and leaves one more segment to merge.
pub const COMMIT_EVERY: usize = 2000;
/// See [`COMMIT_EVERY`].
pub const COMMIT_INTERVAL: std::time::Duration = std::time::Duration::from_secs(10);

/// File names skipped by default (case-insensitive, any extension).
pub const DEFAULT_IGNORED_NAMES: &[&str] = &[
    "readme",
    "license",
    "licence",
    "copying",
    "changelog",
    "contributing",
    "code_of_conduct",
    "security",
    "notice",
    "authors",
    "codeowners",
];

/// One folder of CoEs.
#[derive(Debug, Clone)]
pub struct SourceSpec {
    /// Name (part of every id).
    pub name: String,
    /// Root folder.
    pub root: PathBuf,
    /// Only paths matching these globs (relative to the root) are read, when set.
    pub include: Option<GlobSet>,
    /// Paths matching these globs are skipped.
    pub exclude: Option<GlobSet>,
    /// Skip README, LICENSE and similar files.
    pub ignore_repo_files: bool,
    /// Defaults for documents.
    pub defaults: Defaults,
    /// Largest file read.
    pub max_size: u64,
}

impl SourceSpec {
    /// A source with default rules.
    pub fn new(name: impl Into<String>, root: impl Into<PathBuf>) -> SourceSpec {
        SourceSpec {
            name: name.into(),
            root: root.into(),
            include: None,
            exclude: None,
            ignore_repo_files: true,
            defaults: Defaults::default(),
            max_size: DEFAULT_MAX_SIZE,
        }
    }

    /// The default name of a source at `root`: its folder name.
    pub fn name_for(root: &Path) -> String {
        let abs = std::fs::canonicalize(root).unwrap_or_else(|_| root.to_path_buf());
        abs.file_name().map(|n| parse::slug(&n.to_string_lossy())).unwrap_or_else(|| "default".into())
    }
}

/// Compile globs, naming the bad one.
pub fn globset(patterns: &[String], what: &str) -> Result<Option<GlobSet>> {
    if patterns.is_empty() {
        return Ok(None);
    }
    let mut b = GlobSetBuilder::new();
    for p in patterns {
        b.add(Glob::new(p).map_err(|e| Error::Config(format!("{what}: invalid glob `{p}`: {e}")))?);
    }
    b.build().map(Some).map_err(|e| Error::Config(format!("{what}: {e}")))
}

/// The files a walk found, sorted by path. Their relative paths share one
/// buffer: at 100k files a `String` each (24 bytes and an allocation) made
/// the walk the largest thing a restart holds.
#[derive(Debug, Default)]
pub struct Walk {
    paths: String,
    files: Vec<Found>,
}

/// A file found by a walk (its path is kept by the [`Walk`]).
#[derive(Debug, Clone, Copy)]
pub struct Found {
    start: u32,
    len: u32,
    /// Size.
    pub size: u64,
    /// Stat fingerprint, see [`stamp`].
    pub stamp: i64,
}

impl Walk {
    /// Record the stats of files `start..`; a file that cannot be stat'ed is
    /// marked [`UNREADABLE`] and listed in `unreadable`.
    fn set_stats(&mut self, (start, out): Stats, unreadable: &mut Vec<Skipped>) {
        for (k, r) in out.into_iter().enumerate() {
            let Some(f) = self.files.get_mut(start + k) else { continue };
            match r {
                Ok((size, stamp)) => (f.size, f.stamp) = (size, stamp),
                Err(e) => {
                    f.stamp = UNREADABLE;
                    unreadable.push(Skipped { reason: format!("unreadable: {e}"), path: path_in(&self.paths, f).to_string() });
                }
            }
        }
    }

    fn push(&mut self, rel: &str) -> Result<()> {
        let (Ok(start), Ok(len)) = (u32::try_from(self.paths.len()), u32::try_from(rel.len())) else {
            return Err(Error::Other("too many files in one source (their paths exceed 4 GB)".into()));
        };
        self.paths.push_str(rel);
        self.files.push(Found { start, len, size: 0, stamp: 0 });
        Ok(())
    }

    /// The path of `f`, relative to the root and `/`-separated.
    pub fn rel(&self, f: &Found) -> &str {
        path_in(&self.paths, f)
    }

    /// The files, in path order.
    pub fn files(&self) -> &[Found] {
        &self.files
    }

    /// Each file with its relative path, in path order.
    pub fn iter(&self) -> impl Iterator<Item = (&str, &Found)> {
        self.files.iter().map(|f| (self.rel(f), f))
    }

    /// How many files.
    pub fn len(&self) -> usize {
        self.files.len()
    }

    /// No files?
    pub fn is_empty(&self) -> bool {
        self.files.is_empty()
    }
}

fn path_in<'a>(paths: &'a str, f: &Found) -> &'a str {
    paths.get(f.start as usize..f.start as usize + f.len as usize).unwrap_or_default()
}

/// A file that was not indexed, and why.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Skipped {
    /// The path (relative when inside the source).
    pub path: String,
    /// Why.
    pub reason: String,
}

/// Is this an editor temp file or otherwise never a document?
pub fn is_temp_name(name: &str) -> bool {
    name.starts_with(".#")
        || name.starts_with('~')
        || name.ends_with('~')
        || name.ends_with(".swp")
        || name.ends_with(".swx")
        || name.ends_with(".swo")
        || name.ends_with(".tmp")
        || name.ends_with(".part")
        || name.ends_with(".crdownload")
        || name == "4913"
        || (name.starts_with('.') && name.len() > 1)
}

/// Markdown by extension (`.md`, `.markdown`, `.mdown`, `.mkd`); `None` for
/// files without an extension (decided by content).
pub fn markdown_by_extension(name: &str) -> Option<bool> {
    match name.rsplit_once('.') {
        Some((stem, ext)) if !stem.is_empty() => Some(matches!(ext.to_ascii_lowercase().as_str(), "md" | "markdown" | "mdown" | "mkd")),
        _ => None,
    }
}

fn is_repo_file(name: &str) -> bool {
    let stem = name.split('.').next().unwrap_or(name).to_ascii_lowercase();
    let stem = stem.split(['-', '_']).next().unwrap_or(&stem).to_string();
    DEFAULT_IGNORED_NAMES.contains(&stem.as_str()) || stem == "code"
}

/// Should the walker even look at this relative path? (`None`: yes; `Some(reason)`: skip.)
pub fn path_filter(spec: &SourceSpec, rel: &str) -> Option<String> {
    let name = rel.rsplit('/').next().unwrap_or(rel);
    if is_temp_name(name) {
        return Some("temporary or hidden file".into());
    }
    if spec.ignore_repo_files && is_repo_file(name) {
        return Some("repository file (README, LICENSE, …)".into());
    }
    if markdown_by_extension(name) == Some(false) {
        return Some("not a Markdown file".into());
    }
    if let Some(ex) = &spec.exclude
        && ex.is_match(rel)
    {
        return Some("excluded by configuration".into());
    }
    if let Some(inc) = &spec.include
        && !inc.is_match(rel)
    {
        return Some("not included by configuration".into());
    }
    None
}

/// Files modified this recently (or in the future) get no stamp: file systems
/// keep times at a coarse tick (jiffies, FAT's 2 s, a network server's clock),
/// so a second write inside the same tick can leave every stat field equal.
const RACY_NS: i64 = 3_000_000_000;

/// A stat fingerprint of a file: mtime, ctime, inode and device, hashed.
/// Equal stamps (and sizes) let reconcile skip reading a file. The inode and
/// ctime catch a file renamed over another within the same mtime tick. `0`
/// means "do not trust the stat, read the file" (see [`RACY_NS`]); like Git's
/// racily-clean index entries.
pub fn stamp(m: &std::fs::Metadata) -> i64 {
    let mtime = m.modified().map_or(0, epoch_ns);
    #[cfg(unix)]
    let extra = {
        use std::os::unix::fs::MetadataExt;
        [m.ctime(), m.ctime_nsec(), m.ino() as i64, m.dev() as i64]
    };
    #[cfg(not(unix))]
    let extra = [m.created().map_or(0, epoch_ns), 0, 0, 0];
    stamp_of(mtime, extra)
}

/// Nanoseconds since the Unix epoch (0 before it).
fn epoch_ns(t: std::time::SystemTime) -> i64 {
    t.duration_since(UNIX_EPOCH).map_or(0, |d| d.as_nanos() as i64)
}

/// [`stamp`] of the raw fields: mtime in nanoseconds (0 when unknown), then
/// ctime seconds, ctime nanoseconds, inode and device.
fn stamp_of(mtime: i64, extra: [i64; 4]) -> i64 {
    let now = epoch_ns(std::time::SystemTime::now());
    if mtime <= 0 || mtime > now - RACY_NS {
        return 0;
    }
    let mut bytes = [0u8; 40];
    for (chunk, v) in bytes.chunks_exact_mut(8).zip(std::iter::once(mtime).chain(extra)) {
        chunk.copy_from_slice(&v.to_le_bytes());
    }
    (xxhash_rust::xxh3::xxh3_64(&bytes) >> 1).max(1) as i64
}

/// Size and stamp of each of `names` in the folder `dir` (symlinks
/// followed), each looked up from the folder's descriptor: a path lookup
/// of one component instead of the whole path.
#[cfg(unix)]
fn stat_in(dir: &Path, names: &Names) -> Vec<std::io::Result<FileStat>> {
    use rustix::fs::{AtFlags, Mode, OFlags};
    let fd = match rustix::fs::open(dir, OFlags::PATH | OFlags::DIRECTORY | OFlags::CLOEXEC, Mode::empty()) {
        Ok(fd) => fd,
        Err(e) => return names.iter().map(|_| Err(std::io::Error::from(e))).collect(),
    };
    names
        .iter()
        .map(|name| {
            let st = rustix::fs::statat(&fd, name, AtFlags::empty())?;
            // The field types differ between targets.
            #[allow(clippy::unnecessary_cast)]
            let (mtime, extra) = {
                let mtime = if st.st_mtime < 0 { 0 } else { (st.st_mtime as i64) * 1_000_000_000 + st.st_mtime_nsec as i64 };
                (mtime, [st.st_ctime as i64, st.st_ctime_nsec as i64, st.st_ino as i64, st.st_dev as i64])
            };
            Ok(FileStat { size: st.st_size as u64, stamp: stamp_of(mtime, extra), changed: extra[0] * 1_000_000_000 + extra[1] })
        })
        .collect()
}

#[cfg(not(unix))]
fn stat_in(dir: &Path, names: &Names) -> Vec<std::io::Result<FileStat>> {
    names
        .iter()
        .map(|n| std::fs::metadata(dir.join(n)).map(|m| FileStat { size: m.len(), stamp: stamp(&m), changed: changed_ns(&m) }))
        .collect()
}

/// What [`stat_in`] reads of a file.
struct FileStat {
    size: u64,
    /// See [`stamp`].
    stamp: i64,
    /// Status change time (ctime; the mtime where there is none), in nanoseconds.
    changed: i64,
}

/// The status change time of `m` in nanoseconds (the mtime off Unix).
fn changed_ns(m: &std::fs::Metadata) -> i64 {
    #[cfg(unix)]
    {
        use std::os::unix::fs::MetadataExt;
        m.ctime() * 1_000_000_000 + m.ctime_nsec()
    }
    #[cfg(not(unix))]
    {
        m.modified().map_or(0, epoch_ns)
    }
}

/// The stats of a batch of files starting at an index of the walk.
type Stats = (usize, Vec<std::io::Result<(u64, i64)>>);

/// Files stat'ed by one task of [`walk`].
const STAT_BATCH: usize = 256;

/// Files of one folder for one stat task: they sit at `start..` in the walk.
#[derive(Default)]
struct StatBatch {
    dir: PathBuf,
    start: usize,
    names: Names,
}

/// File names in one buffer (not an allocation each). Off Unix they are
/// kept as UTF-8 (lossily), as the rest of the walk keeps paths.
#[derive(Default)]
struct Names {
    bytes: Vec<u8>,
    ends: Vec<u32>,
}

impl Names {
    fn push(&mut self, name: &std::ffi::OsStr) {
        #[cfg(unix)]
        self.bytes.extend_from_slice(std::os::unix::ffi::OsStrExt::as_bytes(name));
        #[cfg(not(unix))]
        self.bytes.extend_from_slice(name.to_string_lossy().as_bytes());
        self.ends.push(self.bytes.len() as u32);
    }

    fn len(&self) -> usize {
        self.ends.len()
    }

    fn is_empty(&self) -> bool {
        self.ends.is_empty()
    }

    fn iter(&self) -> impl Iterator<Item = &std::ffi::OsStr> {
        let starts = std::iter::once(0).chain(self.ends.iter().copied());
        starts.zip(self.ends.iter().copied()).map(|(a, b)| {
            let bytes = &self.bytes[a as usize..b as usize];
            #[cfg(unix)]
            let name = std::os::unix::ffi::OsStrExt::from_bytes(bytes);
            #[cfg(not(unix))]
            let name = std::ffi::OsStr::new(std::str::from_utf8(bytes).unwrap_or_default());
            name
        })
    }
}

/// A stamp no stat gives (see [`stamp`]): marks a file the walk could not stat.
const UNREADABLE: i64 = i64::MIN;

/// What [`traverse`] meets.
enum Item<'a> {
    /// A folder it is about to read.
    Folder(&'a walkdir::DirEntry),
    /// A candidate file: its path relative to the root.
    File(&'a str),
}

/// The walk of a source's tree that [`walk`] and [`changed_since`] share.
/// `on_item` sees each folder and each candidate file in walk order; the
/// files also go, a folder's batch at a time, to `task` on the other threads
/// while the walk goes on (a batch's `start` counts the files before it).
/// What is left out for a reason goes to `skipped`.
fn traverse(
    spec: &SourceSpec,
    root: &Path,
    skipped: &mut Vec<Skipped>,
    task: &(dyn Fn(StatBatch) + Sync),
    mut on_item: impl FnMut(Item<'_>) -> Result<()> + Send,
) -> Result<()> {
    let outside = std::sync::Mutex::new(Vec::new());
    let walker = walkdir::WalkDir::new(root).follow_links(true).into_iter().filter_entry(|e| {
        if e.depth() == 0 {
            return true;
        }
        let name = e.file_name().to_string_lossy();
        if e.file_type().is_dir() && (name.starts_with('.') || name == "node_modules" || name == "target") {
            return false;
        }
        // Links are followed, but never out of the source.
        if e.path_is_symlink() && std::fs::canonicalize(e.path()).is_ok_and(|real| !real.starts_with(root)) {
            if let Ok(mut o) = outside.lock() {
                o.push(rel_of(root, e.path()));
            }
            return false;
        }
        true
    });
    let mut failed = None;
    rayon::scope(|scope| {
        let flush = |b: StatBatch| {
            if !b.names.is_empty() {
                scope.spawn(move |_| task(b));
            }
        };
        let (mut batch, mut files) = (StatBatch::default(), 0);
        for entry in walker {
            let entry = match entry {
                Ok(e) => e,
                Err(e) => {
                    let path = e.path().map(|p| rel_of(root, p)).unwrap_or_default();
                    let reason = if e.loop_ancestor().is_some() {
                        "symlink loop".to_string()
                    } else {
                        format!("unreadable: {}", e.io_error().map_or(e.to_string(), |x| x.to_string()))
                    };
                    skipped.push(Skipped { path, reason });
                    continue;
                }
            };
            let seen = if entry.file_type().is_dir() {
                on_item(Item::Folder(&entry))
            } else if entry.file_type().is_file() {
                let rel = rel_of(root, entry.path());
                if let Some(reason) = path_filter(spec, &rel) {
                    if reason != "not a Markdown file" && !reason.starts_with("temporary") {
                        skipped.push(Skipped { path: rel, reason });
                    }
                    continue;
                }
                let dir = entry.path().parent().unwrap_or(root);
                if batch.dir != dir || batch.names.len() >= STAT_BATCH {
                    flush(std::mem::replace(&mut batch, StatBatch { dir: dir.to_path_buf(), start: files, names: Names::default() }));
                }
                batch.names.push(entry.file_name());
                files += 1;
                on_item(Item::File(&rel))
            } else {
                continue;
            };
            if let Err(e) = seen {
                failed = Some(e);
                break;
            }
        }
        flush(batch);
    });
    for path in outside.into_inner().unwrap_or_default() {
        skipped.push(Skipped { path, reason: "symlink points outside the source".into() });
    }
    failed.map_or(Ok(()), Err)
}

/// The files of a source changed at or after `cutoff` (by their ctime, which
/// every write, rename and chmod sets), from a walk that keeps nothing else;
/// `None` when a folder changed (an entry was created, deleted or renamed in
/// it), which takes a full reconcile. A watcher set up after the first walk
/// uses it to catch what changed before it was watching.
pub fn changed_since(spec: &SourceSpec, cutoff: std::time::SystemTime) -> Result<Option<Vec<PathBuf>>> {
    let root = std::fs::canonicalize(&spec.root).map_err(|e| Error::io(&spec.root, e))?;
    let cutoff = epoch_ns(cutoff);
    let changed = std::sync::Mutex::new(Vec::new());
    let task = |b: StatBatch| {
        let stats = stat_in(&b.dir, &b.names);
        let mine: Vec<PathBuf> =
            b.names.iter().zip(stats).filter(|(_, s)| s.as_ref().is_ok_and(|s| s.changed >= cutoff)).map(|(n, _)| b.dir.join(n)).collect();
        if let Ok(mut c) = changed.lock() {
            c.extend(mine);
        }
    };
    let mut folder_changed = false;
    traverse(spec, &root, &mut Vec::new(), &task, |item| {
        if let Item::Folder(e) = item {
            folder_changed |= e.metadata().is_ok_and(|m| changed_ns(&m) >= cutoff);
        }
        Ok(())
    })?;
    Ok(if folder_changed { None } else { Some(changed.into_inner().unwrap_or_default()) })
}

/// Walk a source: candidate files, and what was skipped (with reasons). Files
/// with other extensions are skipped silently; symlinks are followed, but never
/// out of the root, and loops end the branch.
pub fn walk(spec: &SourceSpec) -> Result<(Walk, Vec<Skipped>)> {
    let root = std::fs::canonicalize(&spec.root).map_err(|e| Error::io(&spec.root, e))?;
    let mut found = Walk::default();
    let mut skipped = Vec::new();
    // The walk reads directories (entry types come from readdir) on this
    // thread while the files it has listed are stat'ed on the others, a
    // folder's batch at a time; their results are written in as they come.
    let done: std::sync::Mutex<Vec<Stats>> = Default::default();
    let task = |b: StatBatch| {
        let stats = stat_in(&b.dir, &b.names).into_iter().map(|r| r.map(|s| (s.size, s.stamp))).collect();
        if let Ok(mut d) = done.lock() {
            d.push((b.start, stats));
        }
    };
    let mut unreadable = Vec::new();
    let mut collect = |found: &mut Walk| {
        for d in done.lock().map(|mut d| std::mem::take(&mut *d)).unwrap_or_default() {
            found.set_stats(d, &mut unreadable);
        }
    };
    traverse(spec, &root, &mut skipped, &task, |item| {
        match item {
            Item::Folder(_) => collect(&mut found),
            Item::File(rel) => found.push(rel)?,
        }
        Ok(())
    })?;
    // Every task has ended: `traverse` waits for them.
    collect(&mut found);
    let Walk { paths, files } = &mut found;
    files.retain(|f| f.stamp != UNREADABLE);
    unreadable.sort_by(|a, b| a.path.cmp(&b.path));
    skipped.extend(unreadable);
    // Sorting here, once, is cheaper than walkdir's per-directory sort (which
    // re-parses both paths on every comparison).
    files.sort_unstable_by(|a, b| path_in(paths, a).cmp(path_in(paths, b)));
    Ok((found, skipped))
}

fn rel_of(root: &Path, p: &Path) -> String {
    // The walk's paths are the root joined with more: strip its bytes
    // (`strip_prefix` parses both paths into components, a walk's hot spot).
    #[cfg(unix)]
    if let Some(rest) = p.as_os_str().as_encoded_bytes().strip_prefix(root.as_os_str().as_encoded_bytes())
        && let Some(rest) = rest.strip_prefix(b"/")
    {
        return String::from_utf8_lossy(rest).into_owned();
    }
    let rel = p.strip_prefix(root).unwrap_or(p);
    if cfg!(unix) {
        // Already `/`-separated.
        rel.to_string_lossy().into_owned()
    } else {
        rel.components().map(|c| c.as_os_str().to_string_lossy()).collect::<Vec<_>>().join("/")
    }
}

/// Does a freshly loaded file leave its indexed document as it is? Same
/// contents and id, and a stored stamp still good (a stale stamp re-indexes
/// the file once, so the next pass can trust the stat again).
pub fn unchanged(prior: &Indexed, u: &Upsert) -> bool {
    prior.file.hash == u.file.hash && prior.id == u.doc.id && (u.file.stamp == 0 || u.file.stamp == prior.file.stamp)
}

/// Read and parse one file. `Err` is a reason to skip it.
pub fn load(spec: &SourceSpec, rel: &str, abs: &Path, vocab: &Vocab) -> std::result::Result<Upsert, String> {
    let meta = std::fs::metadata(abs).map_err(|e| format!("unreadable: {e}"))?;
    if meta.len() > spec.max_size {
        return Err(format!("too large: {} bytes (limit {})", meta.len(), spec.max_size));
    }
    let bytes = std::fs::read(abs).map_err(|e| format!("unreadable: {e}"))?;
    if bytes.len() as u64 > spec.max_size {
        return Err(format!("too large: {} bytes (limit {})", bytes.len(), spec.max_size));
    }
    if parse::looks_binary(&bytes) {
        return Err("binary file".into());
    }
    let name = rel.rsplit('/').next().unwrap_or(rel);
    if markdown_by_extension(name).is_none() {
        // No extension: index only text that has a Markdown heading.
        let head = String::from_utf8_lossy(&bytes[..bytes.len().min(8192)]);
        if !head.lines().any(|l| l.starts_with('#') && l.trim_start_matches('#').starts_with(' ')) {
            return Err("no extension and no Markdown heading".into());
        }
    }
    let hash = xxhash_rust::xxh3::xxh3_64(&bytes);
    let file = FileState { size: bytes.len() as u64, stamp: stamp(&meta), hash };
    let parsed = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
        let mut diags = Vec::new();
        let text = parse::decode(&bytes, &mut diags);
        let doc =
            parse::parse_text(parse::Input { source: &spec.name, path: rel, bytes: &bytes, defaults: &spec.defaults }, &text, diags, vocab);
        (doc, text)
    }));
    match parsed {
        Ok((doc, raw)) => Ok(Upsert { doc, raw, file, replaces: None }),
        Err(_) => Err("the parser failed on this file (please report it)".into()),
    }
}

/// What a reconcile did.
#[derive(Debug, Default, Clone)]
pub struct Report {
    /// Files seen.
    pub seen: usize,
    /// Documents added.
    pub added: usize,
    /// Documents updated.
    pub updated: usize,
    /// Files unchanged since the last run.
    pub unchanged: usize,
    /// Documents removed.
    pub removed: usize,
    /// Files skipped, with reasons.
    pub skipped: Vec<Skipped>,
    /// Documents with extraction warnings.
    pub warnings: usize,
}

impl Report {
    fn add(&mut self, s: BatchStats) {
        self.added += s.added;
        self.updated += s.updated;
        self.removed += s.removed;
    }
}

/// Files parsed together on every core during a reconcile.
const PARSE_CHUNK: usize = 64;

/// What reading one file during a reconcile came to.
enum Outcome {
    /// Same contents and id as indexed.
    Unchanged,
    /// A document to stage, and whether it was read with warnings.
    Changed(Prepared, bool),
    /// Not indexable, with the reason.
    Skipped(String),
}

/// Read, parse and prepare one file (runs on any thread).
fn prepare_file(store: &Store, spec: &SourceSpec, vocab: &Vocab, rel: &str, prior: Option<&Indexed>) -> Outcome {
    match load(spec, rel, &spec.root.join(rel), vocab) {
        Ok(mut u) => {
            if let Some(p) = prior {
                if unchanged(p, &u) {
                    return Outcome::Unchanged;
                }
                if p.id != u.doc.id {
                    u.replaces = Some(p.id.clone());
                }
            }
            let warned = u.doc.diagnostics.iter().any(|d| d.level >= crate::model::Level::Warning);
            Outcome::Changed(store.prepare(&u), warned)
        }
        Err(reason) => Outcome::Skipped(reason),
    }
}

/// Bring the index in line with the files of `spec`. `progress(done, total)`
/// is called as files are read.
pub fn reconcile(
    store: &Store,
    writer: &mut IndexWriter,
    spec: &SourceSpec,
    vocab: &Vocab,
    now: i64,
    progress: &dyn Fn(usize, usize),
) -> Result<Report> {
    reconcile_walked(store, writer, spec, walk(spec)?, vocab, now, progress)
}

/// [`reconcile`], with the folder already walked ([`walk`]).
pub fn reconcile_walked(
    store: &Store,
    writer: &mut IndexWriter,
    spec: &SourceSpec,
    (files, skipped): (Walk, Vec<Skipped>),
    vocab: &Vocab,
    now: i64,
    progress: &dyn Fn(usize, usize),
) -> Result<Report> {
    let found = files.files();
    let mut report = Report { seen: files.len() + skipped.len(), skipped, ..Default::default() };
    // Compare with the index without a map of it: each indexed path is looked
    // up in the sorted walk. Files whose size and trusted stat stamp match are
    // not read; the id is fetched only for documents that change or go.
    let mut same = vec![false; found.len()];
    let mut priors: FxHashMap<usize, Indexed> = FxHashMap::default();
    let mut gone: Vec<String> = Vec::new();
    store.scan(&spec.name, |e| match found.binary_search_by(|f| files.rel(f).cmp(e.path)) {
        Ok(i) => {
            let f = &found[i];
            if e.file.size == f.size && e.file.stamp != 0 && e.file.stamp == f.stamp {
                same[i] = true;
            } else {
                priors.insert(i, e.indexed());
            }
        }
        Err(_) => gone.push(e.id()),
    })?;
    report.unchanged = same.iter().filter(|s| **s).count();
    let todo: Vec<(&str, Option<&Indexed>)> =
        files.iter().enumerate().filter(|(i, _)| !same[*i]).map(|(i, (rel, _))| (rel, priors.get(&i))).collect();
    let total = todo.len();
    if total > 0 {
        vocab.prepare();
    }
    let mut staging = store.staging();
    let mut done = 0;
    let mut last_commit = std::time::Instant::now();
    // Read, parse and build documents on every core, a chunk at a time and in
    // walk order (so a duplicate id resolves the same way on every run); the
    // writer's thread indexes one chunk while the next is parsed.
    for chunk in todo.chunks(PARSE_CHUNK) {
        progress(done, total);
        let outcomes: Vec<Outcome> = chunk.par_iter().map(|(f, prior)| prepare_file(store, spec, vocab, f, *prior)).collect();
        for ((f, prior), outcome) in chunk.iter().zip(outcomes) {
            match outcome {
                Outcome::Unchanged => report.unchanged += 1,
                Outcome::Changed(p, warned) => {
                    report.warnings += usize::from(warned);
                    store.stage(writer, &mut staging, p, now)?;
                }
                Outcome::Skipped(reason) => {
                    if let Some(p) = prior {
                        store.stage_delete(writer, &mut staging, &p.id);
                    }
                    report.skipped.push(Skipped { path: f.to_string(), reason });
                }
            }
        }
        done += chunk.len();
        if staging.upserts() >= COMMIT_EVERY && last_commit.elapsed() >= COMMIT_INTERVAL {
            report.add(store.commit(writer, std::mem::replace(&mut staging, store.staging()))?);
            last_commit = std::time::Instant::now();
        }
    }
    progress(total, total);
    for id in &gone {
        store.stage_delete(writer, &mut staging, id);
    }
    drop(todo);
    crate::drop_in_background((files, priors));
    if !staging.is_empty() {
        report.add(store.commit(writer, staging)?);
    }
    Ok(report)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::{Duration, SystemTime};

    fn write_old(path: &Path, text: &str) {
        std::fs::write(path, text).expect("write");
        let f = std::fs::File::options().write(true).open(path).expect("open");
        f.set_modified(SystemTime::now() - Duration::from_secs(3600)).expect("set mtime");
    }

    /// The walk's stats (from a folder descriptor) and a plain `stat` of the
    /// same file give the same stamp: the index keeps stamps from both, and
    /// a mismatch would re-read every file at each restart.
    #[test]
    fn stamps_agree_between_folder_relative_and_path_stats() {
        let dir = tempfile::tempdir().expect("tempdir");
        std::fs::create_dir(dir.path().join("sub")).expect("mkdir");
        write_old(&dir.path().join("sub/a.md"), "# A\n");
        let (walk, skipped) = super::walk(&SourceSpec::new("t", dir.path())).expect("walk");
        assert!(skipped.is_empty(), "{skipped:?}");
        let (rel, f) = walk.iter().next().expect("one file");
        assert_eq!(rel, "sub/a.md");
        let m = std::fs::metadata(dir.path().join("sub/a.md")).expect("stat");
        assert_ne!(f.stamp, 0, "an hour-old file has a trusted stamp");
        assert_eq!((f.size, f.stamp), (m.len(), stamp(&m)));
    }

    /// `changed_since` names files written after the cutoff, and asks for a
    /// full reconcile (None) once a folder's entries changed.
    #[test]
    fn changed_since_finds_edits_and_flags_folder_changes() {
        let dir = tempfile::tempdir().expect("tempdir");
        std::fs::create_dir(dir.path().join("sub")).expect("mkdir");
        write_old(&dir.path().join("a.md"), "# A\n");
        write_old(&dir.path().join("sub/b.md"), "# B\n");
        let spec = SourceSpec::new("t", dir.path());
        std::thread::sleep(Duration::from_millis(50));
        let cutoff = SystemTime::now();
        assert_eq!(changed_since(&spec, cutoff).expect("walk"), Some(vec![]));
        // Timestamps come from a coarse clock: stay clear of the cutoff's tick.
        std::thread::sleep(Duration::from_millis(50));
        std::fs::write(dir.path().join("sub/b.md"), "# B, edited\n").expect("edit");
        let root = std::fs::canonicalize(dir.path()).expect("canonical");
        assert_eq!(changed_since(&spec, cutoff).expect("walk"), Some(vec![root.join("sub/b.md")]));
        std::fs::remove_file(dir.path().join("a.md")).expect("rm");
        assert_eq!(changed_since(&spec, cutoff).expect("walk"), None);
    }
}
