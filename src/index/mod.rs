//! The Tantivy index on disk: open or create (rebuilding an index built with
//! another schema version), upsert and delete in batches with one commit each,
//! first-seen dates that survive rebuilds, and the per-file state used to
//! reconcile the index with the files.

pub mod dir;
mod like;
pub mod schema;
pub mod search;
mod snippet;
mod stored;
mod typo;
mod words;

use crate::error::{Error, Result};
use crate::model::{ActionStatus, CoeDoc};
use rustc_hash::FxHashMap;
use schema::Fields;
use std::path::{Path, PathBuf};
use std::sync::Mutex;
use tantivy::schema::{Facet, Field, Term, Value};
use tantivy::{DateTime, Index, IndexReader, IndexWriter, ReloadPolicy, TantivyDocument};

/// Decompressed doc-store blocks kept per segment by [`Store::docs`], the
/// one reader of stored fields (Tantivy's default is 100; the searcher's own
/// doc-store readers, unused, keep none).
/// A block holds one or two CoEs here (they are 1–30 KB, and the Markdown is
/// stored with the model), so 100 blocks a segment was most of the server's
/// heap after a burst of queries; a result page reads at most 10.
pub const DOC_STORE_CACHE_BLOCKS: usize = 16;

/// Memory budget of the index writer.
pub const WRITER_BUDGET: usize = 64 * 1024 * 1024;

/// More segments than this after a reconcile get merged (see [`segment_plan`]).
pub const MAX_SEGMENTS: usize = 4;

/// A segment is searched by one thread; an index is split into one segment
/// per core, but no segment is made smaller than this many documents (below
/// it, handing a segment to another thread costs more than it saves, and
/// even searched one after the other two segments cost more than one: at 10k
/// CoEs, p50 term 41 against 36 µs, typo 48 against 42 µs, facet-filtered 81
/// against 72 µs).
pub const MIN_PARALLEL_DOCS: u32 = 10_000;

/// Threads that search segments side by side: one per core.
pub fn search_threads() -> usize {
    std::thread::available_parallelism().map_or(1, |n| n.get())
}

/// Postings at which a query's segments are searched side by side. At 100k
/// CoEs in two segments, on 2 cores, queries reading fewer ran faster on one
/// thread (p50 with the segments side by side against one after the other:
/// a term of 6,179 matches 137 against 116 µs, a typo 180 against 127 µs),
/// and those reading more ran faster side by side (a facet-filtered query of
/// 17,664 postings and more 363 against 494 µs, a typo reaching 27,044
/// matches 546 against 608 µs, a phrase 2.0 against 3.8 ms).
pub const PARALLEL_POSTINGS: u32 = 12_000;

/// Whether `query` reads enough to be worth the search threads: a phrase
/// (positions), more than a handful of terms, or at least
/// [`PARALLEL_POSTINGS`] postings.
fn costly(searcher: &tantivy::Searcher, query: &dyn tantivy::query::Query) -> bool {
    let (mut terms, mut positions) = (Vec::new(), false);
    query.query_terms(&mut |t, pos| {
        positions |= pos;
        terms.push(t);
    });
    if positions || terms.len() > 4 {
        return true;
    }
    let mut postings = 0u32;
    terms.iter().any(|t| {
        postings = postings.saturating_add(searcher.doc_freq(t).unwrap_or(0) as u32);
        postings >= PARALLEL_POSTINGS
    })
}

/// Files up to which a bulk load indexes on one thread (see
/// [`indexing_threads`]): fewer end in one segment ([`segment_plan`]).
pub const ONE_WRITER_FILES: usize = 2 * MIN_PARALLEL_DOCS as usize;

/// Indexing threads for a bulk load of `files` files: one per core from
/// [`ONE_WRITER_FILES`] on, else one. A writer's thread indexes alone once the
/// parsing is done (the documents queued for it) and at each commit, so a
/// second one took a 100k-file build from 40.7 to 37.6 s on two cores (10k:
/// 3.89 to 3.56 s). But each thread makes its own segment: a 10k load on one
/// thread ends in one segment, which cheap queries search fastest (a 10k term
/// query 36 µs p50 against 41 µs in two segments, a typo 42 against 48 µs),
/// and at 1k the two segments had to be merged, which cost more than the
/// second thread saved (0.62 against 0.49 s).
pub fn indexing_threads(files: usize) -> usize {
    if files < ONE_WRITER_FILES { 1 } else { search_threads() }
}

/// The merges that bring an index to one segment per search thread, of
/// about equal size (or fewer, so that none is under [`MIN_PARALLEL_DOCS`]):
/// segments are dealt, largest first, to the group with the fewest documents;
/// each group of two or more is one merge.
pub fn segment_plan(metas: &[tantivy::index::SegmentMeta], threads: usize) -> Vec<Vec<tantivy::index::SegmentId>> {
    let total: u32 = metas.iter().map(|m| m.num_docs()).sum();
    let k = threads.min((total / MIN_PARALLEL_DOCS) as usize).max(1);
    let mut sorted: Vec<&tantivy::index::SegmentMeta> = metas.iter().collect();
    sorted.sort_by_key(|m| std::cmp::Reverse(m.num_docs()));
    let mut groups: Vec<(u32, Vec<tantivy::index::SegmentId>)> = vec![(0, Vec::new()); k];
    for m in sorted {
        if let Some(g) = groups.iter_mut().min_by_key(|g| g.0) {
            g.0 += m.num_docs();
            g.1.push(m.id());
        }
    }
    groups.into_iter().map(|g| g.1).filter(|g| g.len() > 1).collect()
}

/// First-seen dates read from the fast-field column, one column per segment
/// of a searcher (opened once, not per document).
pub(crate) struct FirstSeen(Vec<Option<tantivy::columnar::Column<DateTime>>>);

impl FirstSeen {
    /// The columns of every segment of `searcher`.
    pub(crate) fn new(searcher: &tantivy::Searcher) -> FirstSeen {
        FirstSeen(searcher.segment_readers().iter().map(|s| s.fast_fields().date("first_seen").ok()).collect())
    }

    /// The first-seen date (seconds since the epoch) of the document at `addr`.
    pub(crate) fn at(&self, addr: tantivy::DocAddress) -> Option<i64> {
        self.0.get(addr.segment_ord as usize)?.as_ref()?.first(addr.doc_id).map(|d| d.into_timestamp_secs())
    }
}

/// What reconcile needs to know about an indexed file.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct FileState {
    /// Size in bytes.
    pub size: u64,
    /// Stat fingerprint (mtime, ctime, inode, device); 0 when the file was
    /// too recently modified to trust it (see [`crate::source::stamp`]).
    pub stamp: i64,
    /// xxh3 of the contents.
    pub hash: u64,
}

/// The fast-field columns a [`FileState`] is read from, opened once per segment.
struct FileColumns {
    size: tantivy::columnar::Column<u64>,
    stamp: tantivy::columnar::Column<i64>,
    hash: tantivy::columnar::Column<u64>,
}

impl FileColumns {
    fn open(ff: &tantivy::fastfield::FastFieldReaders) -> Result<FileColumns> {
        Ok(FileColumns { size: ff.u64("file_size")?, stamp: ff.i64("file_stamp")?, hash: ff.u64("content_hash")? })
    }

    fn at(&self, doc: tantivy::DocId) -> FileState {
        FileState {
            size: self.size.first(doc).unwrap_or(0),
            stamp: self.stamp.first(doc).unwrap_or(0),
            hash: self.hash.first(doc).unwrap_or(0),
        }
    }
}

/// An indexed document's identity and file state.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Indexed {
    /// Document id.
    pub id: String,
    /// File state when indexed.
    pub file: FileState,
}

/// A live document as [`Store::scan`] reports it.
pub struct Entry<'a> {
    /// Path relative to the source root.
    pub path: &'a str,
    /// File state when indexed.
    pub file: FileState,
    ids: &'a tantivy::columnar::StrColumn,
    doc: tantivy::DocId,
}

impl Entry<'_> {
    /// The document's id (a dictionary lookup).
    pub fn id(&self) -> String {
        let mut id = String::new();
        if let Some(o) = self.ids.term_ords(self.doc).next() {
            let _ = self.ids.ord_to_str(o, &mut id);
        }
        id
    }

    /// Id and file state.
    pub fn indexed(&self) -> Indexed {
        Indexed { id: self.id(), file: self.file }
    }
}

/// One document to add or replace.
#[derive(Debug, Clone)]
pub struct Upsert {
    /// The parsed document.
    pub doc: CoeDoc,
    /// The Markdown as read.
    pub raw: String,
    /// The file's state.
    pub file: FileState,
    /// Id this path had before, if different (a front-matter id changed).
    pub replaces: Option<String>,
}

/// An upsert turned into its Tantivy document, ready to stage ([`Store::prepare`]).
pub struct Prepared {
    id: String,
    replaces: Option<String>,
    doc: TantivyDocument,
}

/// Changes staged on the writer for one commit ([`Store::staging`]).
pub struct Staging {
    searcher: tantivy::Searcher,
    stats: BatchStats,
    /// First-seen dates of ids new to the table, appended to its log at commit.
    first_seen_new: Vec<(String, i64)>,
    /// Ids looked up by scanning the first-seen log (see [`FIRST_SEEN_SCANS`]).
    scans: usize,
    upserts: usize,
}

impl Staging {
    /// Documents staged so far.
    pub fn upserts(&self) -> usize {
        self.upserts
    }

    /// Nothing staged.
    pub fn is_empty(&self) -> bool {
        self.upserts == 0 && self.stats.removed == 0
    }
}

/// Changes committed together.
#[derive(Debug, Default)]
pub struct Batch {
    /// Documents to add or replace.
    pub upserts: Vec<Upsert>,
    /// Ids to remove.
    pub deletes: Vec<String>,
}

impl Batch {
    /// Nothing to do.
    pub fn is_empty(&self) -> bool {
        self.upserts.is_empty() && self.deletes.is_empty()
    }
}

/// What a committed batch did.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct BatchStats {
    /// New documents.
    pub added: usize,
    /// Replaced documents.
    pub updated: usize,
    /// Removed documents.
    pub removed: usize,
}

/// The open index.
pub struct Store {
    /// Data directory (`index/` and `first_seen.log` live here).
    pub dir: PathBuf,
    /// The Tantivy index.
    pub index: Index,
    /// Reader, reloaded after each commit.
    pub reader: IndexReader,
    /// Field handles.
    pub fields: Fields,
    /// The weighted fields and how many times their values count in
    /// `body`, the field a query searches when it names none (see
    /// [`Store::to_document`]).
    pub weights: Vec<(Field, u32)>,
    /// First-seen dates of every id ever indexed (they outlive a rebuild),
    /// by a 64-bit hash of the id, read from `first_seen.log` the first time
    /// a batch stages more than a few ids the index does not hold (see
    /// [`Store::first_seen_for`]): a restart followed by a few edits never
    /// holds them in memory (searches read each document's first-seen column).
    first_seen: Mutex<Option<FxHashMap<u64, i64>>>,
    /// Each segment's facets (see [`search::SegFacets`]), read once per segment.
    pub(crate) facet_cache: Mutex<search::FacetCache>,
    /// How the facet ordinals of the current segments merge (see [`search::FacetMerge`]).
    pub(crate) facet_merge: Mutex<Option<std::sync::Arc<search::FacetMerge>>>,
    /// Search threads, when there is more than one core.
    pool: Option<tantivy::Executor>,
    /// The current searcher's doc-store readers (see [`Store::docs`]).
    docs: Mutex<Option<std::sync::Arc<stored::Docs>>>,
}

impl std::fmt::Debug for Store {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Store").field("dir", &self.dir).finish()
    }
}

const VERSION_FILE: &str = "schema-version";
/// The first-seen log: one JSON `["id", seconds]` a line, appended at each
/// commit that brings new ids (a commit costs the new lines, not a rewrite
/// of every id ever seen); the first line of an id wins.
const FIRST_SEEN_LOG: &str = "first_seen.log";
/// The table as one JSON object, as written before the log: read once and
/// turned into the log.
const FIRST_SEEN_LEGACY: &str = "first_seen.json";
/// Ids of one batch looked up by scanning the first-seen log before the
/// whole table is read into memory (see [`Store::first_seen_for`]).
const FIRST_SEEN_SCANS: usize = 4;

/// The default data directory: `$COE_INDEX`, else `.coe` in the working directory.
pub fn default_dir() -> PathBuf {
    std::env::var_os("COE_INDEX").map(PathBuf::from).unwrap_or_else(|| PathBuf::from(".coe"))
}

/// The key of an id in the first-seen table: 64 bits of xxh3 (a table of
/// 100,000 ids is 2 MB, not 8; a collision among a million ids has odds of
/// about 1 in 37 million, and costs one document its original date).
fn first_seen_key(id: &str) -> u64 {
    xxhash_rust::xxh3::xxh3_64(id.as_bytes())
}

/// Cut the first-seen log back to its first `len` bytes (its whole lines).
fn cut_log(log: &Path, len: u64) -> Result<()> {
    let f = std::fs::OpenOptions::new().write(true).open(log).map_err(|e| Error::io(log, e))?;
    f.set_len(len).map_err(|e| Error::io(log, e))
}

/// One line of the first-seen log.
fn first_seen_line(out: &mut Vec<u8>, id: &str, secs: i64) {
    if serde_json::to_writer(&mut *out, &(id, secs)).is_ok() {
        out.push(b'\n');
    }
}

fn write_atomic(path: &Path, bytes: &[u8]) -> Result<()> {
    let tmp = path.with_extension("tmp");
    std::fs::write(&tmp, bytes).map_err(|e| Error::io(&tmp, e))?;
    if let Ok(f) = std::fs::File::open(&tmp) {
        let _ = f.sync_all();
    }
    std::fs::rename(&tmp, path).map_err(|e| Error::io(path, e))
}

impl Store {
    /// Open the index in `dir`, creating it if needed. An index written with
    /// another schema version is deleted and recreated (documents are re-read
    /// from the sources by the next reconcile; first-seen dates are kept).
    pub fn open(dir: &Path) -> Result<Store> {
        let decl = schema::declaration().map_err(Error::Other)?;
        let tschema = schema::build(&decl).map_err(Error::Other)?;
        let fields = Fields::resolve(&tschema).map_err(Error::Other)?;
        let index_dir = dir.join("index");
        std::fs::create_dir_all(&index_dir).map_err(|e| Error::io(&index_dir, e))?;
        let version_path = dir.join(VERSION_FILE);
        let found = std::fs::read_to_string(&version_path).ok().and_then(|v| v.trim().parse::<u32>().ok());
        let has_meta = index_dir.join("meta.json").is_file();
        if has_meta && found != Some(decl.version) {
            tracing::warn!(dir = %index_dir.display(), found = ?found, expected = decl.version, "index was built with another schema version; rebuilding it");
            std::fs::remove_dir_all(&index_dir).map_err(|e| Error::io(&index_dir, e))?;
            std::fs::create_dir_all(&index_dir).map_err(|e| Error::io(&index_dir, e))?;
        }
        let directory = dir::IndexDirectory::open(&index_dir).map_err(|e| Error::Other(format!("{}: {e}", index_dir.display())))?;
        let index = match Index::open_or_create(directory, tschema.clone()) {
            Ok(i) => i,
            Err(tantivy::TantivyError::SchemaError(msg)) => {
                tracing::warn!(dir = %index_dir.display(), %msg, "index schema differs from index-schema/schema.toml; rebuilding it");
                std::fs::remove_dir_all(&index_dir).map_err(|e| Error::io(&index_dir, e))?;
                std::fs::create_dir_all(&index_dir).map_err(|e| Error::io(&index_dir, e))?;
                let directory = dir::IndexDirectory::open(&index_dir).map_err(|e| Error::Other(e.to_string()))?;
                Index::open_or_create(directory, tschema)?
            }
            Err(e) => return Err(e.into()),
        };
        write_atomic(&version_path, decl.version.to_string().as_bytes())?;
        schema::register_tokenizers(&index);
        let pool = if search_threads() > 1 { Some(tantivy::Executor::multi_thread(search_threads(), "coe-search-")?) } else { None };
        // Stored fields are read through `Store::docs`, which caches blocks.
        let reader = index.reader_builder().reload_policy(ReloadPolicy::Manual).doc_store_cache_num_blocks(0).try_into()?;
        let weights = decl
            .field
            .iter()
            .filter_map(|f| f.weight.map(|w| (f, w)))
            .filter_map(|(f, w)| index.schema().get_field(&f.name).ok().map(|h| (h, w)))
            .collect();
        Ok(Store {
            dir: dir.to_path_buf(),
            index,
            reader,
            fields,
            weights,
            first_seen: Mutex::new(None),
            facet_cache: Mutex::default(),
            facet_merge: Mutex::default(),
            pool,
            docs: Mutex::default(),
        })
    }

    /// The doc-store readers of `searcher`'s segments: opened at the first
    /// read after a reload, then shared by every read until the next one.
    pub(crate) fn docs(&self, searcher: &tantivy::Searcher) -> Result<std::sync::Arc<stored::Docs>> {
        let generation = searcher.generation().generation_id();
        if let Some(d) = self.docs.lock().ok().and_then(|d| d.clone()).filter(|d| d.generation == generation) {
            return Ok(d);
        }
        let d = std::sync::Arc::new(stored::Docs::open(searcher, DOC_STORE_CACHE_BLOCKS)?);
        if let Ok(mut slot) = self.docs.lock() {
            *slot = Some(d.clone());
        }
        Ok(d)
    }

    /// Run a collector, over several segments side by side.
    pub fn collect<C: tantivy::collector::Collector>(
        &self,
        searcher: &tantivy::Searcher,
        query: &dyn tantivy::query::Query,
        collector: &C,
    ) -> tantivy::Result<C::Fruit> {
        Ok(self.collect_if(searcher, query, collector, |_| true)?.0)
    }

    /// [`Store::collect`] for a query that may be cheap: its segments are
    /// searched side by side only when it reads many postings ([`costly`],
    /// judged once its weight is made, when a typo query knows the terms it
    /// reached); a cheap one runs them all on the calling thread. Also says
    /// whether the search threads ran (and are awake).
    pub fn collect_sized<C: tantivy::collector::Collector>(
        &self,
        searcher: &tantivy::Searcher,
        query: &dyn tantivy::query::Query,
        collector: &C,
    ) -> tantivy::Result<(C::Fruit, bool)> {
        self.collect_if(searcher, query, collector, |q| costly(searcher, q))
    }

    /// Tantivy's search, with the query's weight made first and the
    /// segments searched side by side when there are several and
    /// `side_by_side` says so; else one after the other on this thread.
    fn collect_if<C: tantivy::collector::Collector>(
        &self,
        searcher: &tantivy::Searcher,
        query: &dyn tantivy::query::Query,
        collector: &C,
        side_by_side: impl FnOnce(&dyn tantivy::query::Query) -> bool,
    ) -> tantivy::Result<(C::Fruit, bool)> {
        let segments = searcher.segment_readers();
        let scoring = if collector.requires_scoring() {
            tantivy::query::EnableScoring::enabled_from_searcher(searcher)
        } else {
            tantivy::query::EnableScoring::disabled_from_searcher(searcher)
        };
        let weight = query.weight(scoring)?;
        collector.check_schema(searcher.schema())?;
        let pool = self.pool.as_ref().filter(|_| segments.len() > 1 && side_by_side(query));
        let run = |(ord, segment): (usize, &tantivy::SegmentReader)| collector.collect_segment(weight.as_ref(), ord as u32, segment);
        let fruits = match pool {
            Some(pool) => pool.map(run, segments.iter().enumerate())?,
            None => segments.iter().enumerate().map(run).collect::<tantivy::Result<Vec<_>>>()?,
        };
        Ok((collector.merge_fruits(fruits)?, pool.is_some()))
    }

    /// Take the single writer; a clear error when another process has it.
    pub fn writer(&self) -> Result<IndexWriter> {
        self.writer_with(1)
    }

    /// [`Store::writer`] on `threads` indexing threads, each with a budget
    /// of [`WRITER_BUDGET`].
    fn writer_with(&self, threads: usize) -> Result<IndexWriter> {
        match self.index.writer_with_num_threads(threads, WRITER_BUDGET * threads) {
            Ok(w) => Ok(w),
            Err(tantivy::TantivyError::LockFailure(_, _)) => Err(Error::Locked(self.dir.clone())),
            Err(e) => Err(e.into()),
        }
    }

    /// Bulk indexing leaves a segment per commit and every query pays per
    /// segment, so when there are more than [`MAX_SEGMENTS`] they are merged
    /// into the layout of [`segment_plan`], without waiting (merges run
    /// on the writer's merge threads; searches keep using the old segments
    /// until they are done). Tantivy does not check an explicit merge
    /// against merges already running: when one overlaps another (the merge
    /// policy's, or the last compaction's), the second to end fails and its
    /// output is dropped, which costs work but loses nothing.
    pub fn compact(&self, writer: &mut IndexWriter) {
        let Ok(metas) = self.index.searchable_segment_metas() else { return };
        if metas.len() > MAX_SEGMENTS {
            for group in segment_plan(&metas, search_threads()) {
                drop(writer.merge(&group));
            }
        }
    }

    /// A writer for a bulk load (`coe index`) of about `files` files: it
    /// never merges on its own, so the merges of [`Store::finish_bulk`] are
    /// the only ones. It indexes on [`indexing_threads`] threads.
    pub fn bulk_writer(&self, files: usize) -> Result<IndexWriter> {
        let w = self.writer_with(indexing_threads(files))?;
        w.set_merge_policy(Box::new(tantivy::indexer::NoMergePolicy));
        Ok(w)
    }

    /// Finish a bulk load (its writer from [`Store::bulk_writer`]): merge the
    /// segments into the layout of [`segment_plan`] (the merges run side by
    /// side) and wait for it.
    pub fn finish_bulk(&self, mut writer: IndexWriter) -> Result<()> {
        let plan = segment_plan(&self.index.searchable_segment_metas()?, search_threads());
        let merges: Vec<_> = plan.iter().map(|group| writer.merge(group)).collect();
        for m in merges {
            m.wait()?;
        }
        // Tantivy keeps the files of every segment whose metadata is still
        // held somewhere (our reader's searcher included): reload first, then
        // collect, or the merged-away segments stay on disk (twice the index).
        self.reader.reload()?;
        writer.garbage_collect_files().wait()?;
        writer.wait_merging_threads()?;
        Ok(())
    }

    /// Every indexed document of `source`, by relative path (a map of the
    /// whole source; reconcile and the watcher use [`Store::scan`] instead).
    pub fn state(&self, source: &str) -> Result<FxHashMap<String, Indexed>> {
        let mut out = FxHashMap::default();
        self.scan(source, |e| {
            out.insert(e.path.to_string(), e.indexed());
        })?;
        Ok(out)
    }

    /// Call `f` for every live document of `source`, in path order within
    /// each segment, without building a map: a restart compares the walk
    /// with the index through this (paths are read straight from the
    /// segments' dictionaries; ids only when asked for).
    pub fn scan(&self, source: &str, mut f: impl FnMut(&Entry<'_>)) -> Result<()> {
        let searcher = self.reader.searcher();
        for seg in searcher.segment_readers() {
            let ff = seg.fast_fields();
            let (Some(ids), Some(srcs), Some(paths)) = (ff.str("id")?, ff.str("source")?, ff.str("path")?) else { continue };
            let Some(src_ord) = srcs.dictionary().term_ord(source).map_err(|e| Error::Other(e.to_string()))? else { continue };
            let files = FileColumns::open(ff)?;
            let alive = seg.alive_bitset();
            // Path ord -> document of this source.
            let mut doc_of = vec![tantivy::TERMINATED; paths.num_terms()];
            for doc in 0..seg.max_doc() {
                if alive.is_some_and(|a| !a.is_alive(doc)) || srcs.term_ords(doc).next() != Some(src_ord) {
                    continue;
                }
                if let Some(slot) = paths.term_ords(doc).next().and_then(|o| doc_of.get_mut(o as usize)) {
                    *slot = doc;
                }
            }
            let mut st = paths.dictionary().stream().map_err(|e| Error::Other(e.to_string()))?;
            let mut ord = 0usize;
            while st.advance() {
                let doc = doc_of.get(ord).copied().unwrap_or(tantivy::TERMINATED);
                ord += 1;
                if doc == tantivy::TERMINATED {
                    continue;
                }
                let Ok(path) = std::str::from_utf8(st.key()) else { continue };
                f(&Entry { path, file: files.at(doc), ids: &ids, doc });
            }
            self.drop_fast_pages(seg);
        }
        Ok(())
    }

    /// Unmap the resident pages of a segment's fast fields after reading
    /// through them (a scan of every document, the unpacking of facets):
    /// the few pages queries read come back on demand.
    fn drop_fast_pages(&self, seg: &tantivy::SegmentReader) {
        let fast = PathBuf::from(format!("{}.fast", seg.segment_id().uuid_string()));
        if let Some(bytes) = tantivy::Directory::open_read(self.index.directory(), &fast).ok().and_then(|f| f.read_bytes().ok()) {
            dir::drop_resident_pages(bytes.as_slice());
        }
    }

    /// The indexed document of one path of `source`, if any (a term lookup).
    pub fn indexed(&self, source: &str, rel: &str) -> Result<Option<Indexed>> {
        use tantivy::query::{BooleanQuery, Occur, TermQuery};
        use tantivy::schema::IndexRecordOption;
        let searcher = self.reader.searcher();
        let q = BooleanQuery::new(vec![
            (Occur::Must, Box::new(TermQuery::new(Term::from_field_text(self.fields.path, rel), IndexRecordOption::Basic)) as _),
            (Occur::Must, Box::new(TermQuery::new(Term::from_field_text(self.fields.source, source), IndexRecordOption::Basic)) as _),
        ]);
        let Some(addr) = searcher.search(&q, &tantivy::collector::DocSetCollector)?.into_iter().next() else { return Ok(None) };
        let seg = searcher.segment_reader(addr.segment_ord);
        let ff = seg.fast_fields();
        let doc = addr.doc_id;
        let mut id = String::new();
        if let Some(ids) = ff.str("id")?
            && let Some(o) = ids.term_ords(doc).next()
        {
            ids.ord_to_str(o, &mut id).map_err(|e| Error::Other(e.to_string()))?;
        }
        Ok(Some(Indexed { id, file: FileColumns::open(ff)?.at(doc) }))
    }

    /// Live documents of `source`.
    pub fn count_source(&self, source: &str) -> Result<usize> {
        use tantivy::query::TermQuery;
        use tantivy::schema::IndexRecordOption;
        let q = TermQuery::new(Term::from_field_text(self.fields.source, source), IndexRecordOption::Basic);
        Ok(self.reader.searcher().search(&q, &tantivy::collector::Count)?)
    }

    /// Number of live documents.
    pub fn num_docs(&self) -> u64 {
        self.reader.searcher().num_docs()
    }

    /// When a document was first indexed (seconds since the epoch).
    pub fn first_seen(&self, id: &str) -> Option<i64> {
        self.first_seen_in(&self.reader.searcher(), id)
    }

    /// The first-seen date of the live document `id` in `searcher`.
    fn first_seen_in(&self, searcher: &tantivy::Searcher, id: &str) -> Option<i64> {
        let addr = self.address_of(searcher, id).ok()??;
        FirstSeen::new(searcher).at(addr)
    }

    /// The first-seen date of a document being staged: its live copy's, the
    /// log's, or `now` for an id never seen (noted for the log). The first
    /// few ids of a batch are looked up without reading the log into memory
    /// (an edit after a restart would wait for a table of every id ever
    /// seen); after [`FIRST_SEEN_SCANS`] of them, the table is read.
    fn first_seen_for(&self, staging: &mut Staging, id: String, live: bool, now: i64) -> Result<i64> {
        {
            let mut table = self.first_seen.lock().map_err(|_| Error::Other("first-seen table poisoned".into()))?;
            if table.is_none() && (staging.scans >= FIRST_SEEN_SCANS || self.dir.join(FIRST_SEEN_LEGACY).exists()) {
                *table = Some(self.load_first_seen()?);
            }
            if let Some(table) = table.as_mut() {
                return Ok(*table.entry(first_seen_key(&id)).or_insert_with(|| {
                    staging.first_seen_new.push((id, now));
                    now
                }));
            }
        }
        // A live document carries its date (the log has the same one).
        if live && let Some(fs) = self.first_seen_in(&staging.searcher, &id) {
            return Ok(fs);
        }
        if let Some((_, fs)) = staging.first_seen_new.iter().find(|(i, _)| *i == id) {
            return Ok(*fs);
        }
        staging.scans += 1;
        if let Some(fs) = self.scan_first_seen(&id)? {
            return Ok(fs);
        }
        staging.first_seen_new.push((id, now));
        Ok(now)
    }

    /// The date of `id` in the first-seen log, found by streaming the file
    /// (its first line for the id wins, as when the table is read). A line
    /// cut short at the end is cut from the file, as [`Self::load_first_seen`]
    /// does, so that the next append starts on a line of its own.
    fn scan_first_seen(&self, id: &str) -> Result<Option<i64>> {
        use std::io::Read;
        let log = self.dir.join(FIRST_SEEN_LOG);
        let mut f = match std::fs::File::open(&log) {
            Ok(f) => f,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
            Err(e) => return Err(Error::io(&log, e)),
        };
        // Lines are `["id",secs]`: a line of the id begins with this.
        let mut needle = b"\n[".to_vec();
        serde_json::to_writer(&mut needle, id).map_err(|e| Error::Other(e.to_string()))?;
        needle.push(b',');
        let finder = memchr::memmem::Finder::new(&needle);
        // `buf` starts with a newline, so the first line is found like the others.
        let (mut buf, mut chunk) = (vec![b'\n'], vec![0u8; 1 << 18]);
        let (mut read, mut whole, mut found) = (0u64, 0u64, None);
        loop {
            let n = f.read(&mut chunk).map_err(|e| Error::io(&log, e))?;
            if let Some(i) = memchr::memrchr(b'\n', &chunk[..n]) {
                whole = read + i as u64 + 1;
            }
            read += n as u64;
            buf.extend_from_slice(&chunk[..n]);
            if found.is_none() {
                found = finder.find(&buf).map(|i| i + 1);
            }
            if let Some(i) = found
                && let Some(end) = memchr::memchr(b'\n', &buf[i..])
            {
                return Ok(serde_json::from_slice::<(&str, i64)>(&buf[i..i + end]).ok().map(|(_, secs)| secs));
            }
            if n == 0 {
                break;
            }
            if found.is_none() {
                // Keep only what could begin a match.
                buf.drain(..buf.len().saturating_sub(needle.len() - 1));
            }
        }
        if whole < read {
            // The last line has no newline: a crash cut it short.
            cut_log(&log, whole)?;
        }
        Ok(None)
    }

    /// Read the first-seen log (turning a legacy `first_seen.json` into it).
    /// A line cut short by a crash is dropped, and cut from the file so the
    /// next append starts on a line of its own.
    fn load_first_seen(&self) -> Result<FxHashMap<u64, i64>> {
        let log = self.dir.join(FIRST_SEEN_LOG);
        let legacy = self.dir.join(FIRST_SEEN_LEGACY);
        let mut table = FxHashMap::default();
        let old: Option<FxHashMap<String, i64>> = std::fs::read(&legacy).ok().and_then(|b| serde_json::from_slice(&b).ok());
        for (id, secs) in old.iter().flatten() {
            table.insert(first_seen_key(id), *secs);
        }
        // Streamed a line at a time: the log of a large history is megabytes.
        let (mut whole, mut total) = (0u64, 0u64);
        match std::fs::File::open(&log) {
            Ok(f) => {
                use std::io::BufRead;
                let mut r = std::io::BufReader::new(f);
                let mut line = Vec::new();
                loop {
                    line.clear();
                    let n = r.read_until(b'\n', &mut line).map_err(|e| Error::io(&log, e))?;
                    if n == 0 {
                        break;
                    }
                    total += n as u64;
                    if line.pop() == Some(b'\n') {
                        whole = total;
                        if let Ok((id, secs)) = serde_json::from_slice::<(&str, i64)>(&line) {
                            table.entry(first_seen_key(id)).or_insert(secs);
                        }
                    }
                }
            }
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
            Err(e) => return Err(Error::io(&log, e)),
        }
        if legacy.exists() {
            // The old table's dates first: they won above too.
            let mut lines = Vec::new();
            for (id, secs) in old.iter().flatten() {
                first_seen_line(&mut lines, id, *secs);
            }
            if whole > 0 {
                let mut kept = std::fs::read(&log).map_err(|e| Error::io(&log, e))?;
                kept.truncate(whole as usize);
                lines.extend_from_slice(&kept);
            }
            write_atomic(&log, &lines)?;
            std::fs::remove_file(&legacy).map_err(|e| Error::io(&legacy, e))?;
        } else if whole < total {
            cut_log(&log, whole)?;
        }
        Ok(table)
    }

    /// Append first-seen dates to the log, durably.
    fn append_first_seen(&self, new: &[(String, i64)]) -> Result<()> {
        use std::io::Write;
        let log = self.dir.join(FIRST_SEEN_LOG);
        let mut lines = Vec::new();
        for (id, secs) in new {
            first_seen_line(&mut lines, id, *secs);
        }
        let mut f = std::fs::OpenOptions::new().create(true).append(true).open(&log).map_err(|e| Error::io(&log, e))?;
        f.write_all(&lines).and_then(|()| f.sync_data()).map_err(|e| Error::io(&log, e))
    }

    /// The Tantivy document of an upsert. The stored fields go in the order
    /// readers need them (see [`stored::StoredDoc`]): `hit`, `body`, `meta`, `raw`.
    fn to_document(&self, u: &Upsert) -> TantivyDocument {
        let f = &self.fields;
        let d = &u.doc;
        let mut t = TantivyDocument::default();
        if let Ok(hit) = search::stored_hit_bytes(d) {
            t.add_bytes(f.hit, &hit);
        }
        t.add_text(f.id, &d.id);
        t.add_text(f.source, &d.source);
        t.add_text(f.path, &d.path);
        t.add_text(f.title, &d.title);
        t.add_text(f.summary, &d.summary);
        for rc in &d.root_causes {
            t.add_text(f.root_cause, rc);
        }
        let mut body = String::with_capacity(u.raw.len());
        // Whole sections added to a field (they count once, see below).
        let mut sectioned: Vec<(Field, &str)> = Vec::new();
        for s in &d.sections {
            if !s.heading.is_empty() && s.kind != "preamble" {
                body.push_str(&s.heading);
                body.push('\n');
            }
            body.push_str(&s.text);
            body.push_str("\n\n");
            let target = match s.kind.as_str() {
                "impact" => Some(f.impact),
                "timeline" => Some(f.timeline),
                "five_whys" => Some(f.five_whys),
                "action_items" => Some(f.action_items),
                "resolution" => Some(f.resolution),
                "lessons_learned" => Some(f.lessons),
                "root_cause" | "contributing_factors" | "trigger" => Some(f.root_cause),
                _ => None,
            };
            if let Some(field) = target {
                t.add_text(field, &s.text);
                sectioned.push((field, s.text.as_str()));
            }
        }
        t.add_text(f.body, &body);
        for x in &d.technologies {
            t.add_text(f.technology, x);
            t.add_facet(f.f_technology, Facet::from_path([x.as_str()]));
        }
        for x in &d.services {
            t.add_text(f.service, x);
            t.add_facet(f.f_service, Facet::from_path([x.as_str()]));
        }
        if let Some(x) = &d.team {
            t.add_text(f.team, x);
            t.add_facet(f.f_team, Facet::from_path([x.as_str()]));
        }
        if let Some(x) = &d.severity {
            t.add_text(f.severity, x);
            t.add_facet(f.f_severity, Facet::from_path([x.as_str()]));
        }
        for x in &d.failure_modes {
            t.add_text(f.failure_mode, x);
            t.add_facet(f.f_failure_mode, Facet::from_path([x.as_str()]));
        }
        if let Some(x) = &d.status {
            t.add_text(f.status, x);
        }
        for x in &d.tags {
            t.add_text(f.tag, x);
        }
        t.add_text(f.visibility, d.visibility.as_str());
        t.add_facet(f.f_source, Facet::from_path([d.source.as_str()]));
        if let Some(date) = d.date.as_deref().and_then(|s| chrono::NaiveDate::parse_from_str(s, "%Y-%m-%d").ok()) {
            let ts = date.and_hms_opt(0, 0, 0).map(|x| x.and_utc().timestamp()).unwrap_or(0);
            t.add_date(f.date, DateTime::from_timestamp_secs(ts));
            t.add_facet(f.f_year, Facet::from_path([date.format("%Y").to_string()]));
        }
        t.add_u64(f.completeness, d.completeness as u64);
        t.add_u64(f.open_actions, d.action_items.iter().filter(|a| a.status == ActionStatus::Open).count() as u64);
        t.add_u64(f.file_size, u.file.size);
        t.add_i64(f.file_stamp, u.file.stamp);
        t.add_u64(f.content_hash, u.file.hash);
        let mut lite = d.clone();
        for s in &mut lite.sections {
            s.text.clear();
        }
        lite.evidence.clear();
        if let Ok(json) = serde_json::to_string(&lite) {
            t.add_text(f.meta, &json);
        }
        t.add_text(f.raw, &u.raw);
        // The weighted fields' values again, into `body` (after the stored
        // fields readers take first), until each counts `weight` times
        // there; once fewer when the section text holds it already. Whole
        // sections (a Root Cause section in `root_cause`) count once: their
        // extracted sentences carry the weight, at a fraction of the text.
        let mut copies: Vec<String> = Vec::new();
        for &(field, weight) in &self.weights {
            for v in t.get_all(field).filter_map(|v| v.as_str()).filter(|v| !v.trim().is_empty()) {
                if let Some(i) = sectioned.iter().position(|&(g, s)| g == field && s == v) {
                    sectioned.swap_remove(i);
                    continue;
                }
                let held = memchr::memmem::find(body.as_bytes(), v.as_bytes()).is_some();
                copies.extend((u32::from(held)..weight).map(|_| v.to_string()));
            }
        }
        for c in copies {
            t.add_text(f.body, c);
        }
        t
    }

    /// Build an upsert's Tantivy document (everything but the first-seen
    /// date): the CPU-heavy half of indexing, safe to run on any thread.
    pub fn prepare(&self, u: &Upsert) -> Prepared {
        Prepared { id: u.doc.id.clone(), replaces: u.replaces.clone(), doc: self.to_document(u) }
    }

    /// Start staging changes for one commit.
    pub fn staging(&self) -> Staging {
        Staging { searcher: self.reader.searcher(), stats: BatchStats::default(), first_seen_new: Vec::new(), scans: 0, upserts: 0 }
    }

    /// Stage the removal of a document.
    pub fn stage_delete(&self, writer: &mut IndexWriter, staging: &mut Staging, id: &str) {
        writer.delete_term(Term::from_field_text(self.fields.id, id));
        staging.stats.removed += 1;
    }

    /// Stage a prepared document (replacing any document with its id, or the
    /// id it replaces); the writer's thread starts indexing it at once.
    pub fn stage(&self, writer: &mut IndexWriter, staging: &mut Staging, p: Prepared, now: i64) -> Result<()> {
        let Prepared { id, replaces, mut doc } = p;
        if let Some(old) = &replaces {
            writer.delete_term(Term::from_field_text(self.fields.id, old));
        }
        let term = Term::from_field_text(self.fields.id, &id);
        let live = staging.searcher.doc_freq(&term).unwrap_or(0) > 0;
        if live {
            staging.stats.updated += 1;
        } else {
            staging.stats.added += 1;
        }
        writer.delete_term(term);
        let fs = self.first_seen_for(staging, id, live, now)?;
        doc.add_date(self.fields.first_seen, DateTime::from_timestamp_secs(fs));
        writer.add_document(doc)?;
        staging.upserts += 1;
        Ok(())
    }

    /// Apply a batch with one commit, persist first-seen dates, reload the reader.
    pub fn apply(&self, writer: &mut IndexWriter, batch: Batch, now: i64) -> Result<BatchStats> {
        if batch.is_empty() {
            return Ok(BatchStats::default());
        }
        let mut staging = self.staging();
        for id in &batch.deletes {
            self.stage_delete(writer, &mut staging, id);
        }
        for u in &batch.upserts {
            self.stage(writer, &mut staging, self.prepare(u), now)?;
        }
        self.commit(writer, staging)
    }

    /// Commit what was staged: first-seen dates first, then the index; the
    /// reader is reloaded. On failure the writer is rolled back (the last good
    /// commit keeps being served) and must be replaced by the caller.
    pub fn commit(&self, writer: &mut IndexWriter, staging: Staging) -> Result<BatchStats> {
        if !staging.first_seen_new.is_empty()
            && let Err(e) = self.append_first_seen(&staging.first_seen_new)
        {
            // Not on disk: forget them, so that the next commit writes them.
            if let Ok(mut t) = self.first_seen.lock()
                && let Some(t) = t.as_mut()
            {
                for (id, _) in &staging.first_seen_new {
                    t.remove(&first_seen_key(id));
                }
            }
            return Err(e);
        }
        crate::failpoint("before-commit");
        if crate::failpoint("commit") {
            let _ = writer.rollback();
            return Err(Error::io(self.dir.join("index"), std::io::Error::other("injected I/O error (COE_FAILPOINT=commit)")));
        }
        if let Err(e) = writer.commit() {
            // Keep serving the last good commit; the caller recreates the writer.
            let _ = writer.rollback();
            return Err(e.into());
        }
        self.reader.reload()?;
        Ok(staging.stats)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn metas(sizes: &[u32]) -> Vec<tantivy::index::SegmentMeta> {
        let index = Index::create_in_ram(tantivy::schema::Schema::builder().build());
        sizes.iter().map(|&n| index.new_segment_meta(tantivy::index::SegmentId::generate_random(), n)).collect()
    }

    fn plan_sizes(sizes: &[u32], threads: usize) -> Vec<u32> {
        let m = metas(sizes);
        let mut out: Vec<u32> = segment_plan(&m, threads)
            .iter()
            .map(|g| g.iter().map(|id| m.iter().find(|x| x.id() == *id).map_or(0, |x| x.num_docs())).sum())
            .collect();
        out.sort_unstable();
        out
    }

    /// A bulk load ends with one segment per core, of about equal size, and a
    /// small index stays in one segment.
    #[test]
    fn segments_are_planned_per_core_and_never_too_small() {
        let bulk = vec![2_000; 50];
        assert_eq!(plan_sizes(&bulk, 2), vec![50_000, 50_000]);
        assert_eq!(plan_sizes(&bulk, 1), vec![100_000]);
        // 6k and 15k documents: one segment, however many cores.
        assert_eq!(plan_sizes(&[2_000, 2_000, 2_000], 8), vec![6_000]);
        assert_eq!(plan_sizes(&[8_000, 7_000], 2), vec![15_000]);
        // Already in shape: nothing to merge.
        assert!(plan_sizes(&[50_000, 50_000], 2).is_empty());
        // New small segments join the lighter group only.
        assert_eq!(plan_sizes(&[50_000, 40_000, 10, 10], 2), vec![40_020]);
    }

    /// One indexing thread below ONE_WRITER_FILES files, one per core from there.
    #[test]
    fn indexing_threads_follow_the_files() {
        assert_eq!(indexing_threads(0), 1);
        assert_eq!(indexing_threads(ONE_WRITER_FILES - 1), 1);
        assert_eq!(indexing_threads(ONE_WRITER_FILES), search_threads());
    }

    /// A result list reads only the first two stored fields of a document
    /// ([`stored::StoredDoc`] walks them in order), so they must be `hit` and
    /// `body`, then `meta` and `raw` (the model and the Markdown).
    /// After them come the weighted fields' copies in `body`: each value
    /// counts `weight` times there (title 3, summary and root cause 2,
    /// technology 2), the section text's own copy included, and a whole
    /// section counts once.
    #[test]
    fn stored_fields_come_in_the_order_readers_take_them() {
        let dir = tempfile::tempdir().expect("tempdir");
        let store = Store::open(dir.path()).expect("open");
        let vocab = crate::vocab::Vocab::builtin().expect("vocab");
        let raw = "# Cache outage\n\n## Summary\n\nRedis ran out of memory.\n\n## Root cause\n\nNo eviction policy.\n";
        let defaults = crate::parse::Defaults::default();
        let input = crate::parse::Input { source: "s", path: "a.md", bytes: raw.as_bytes(), defaults: &defaults };
        let doc = crate::parse::parse(input, &vocab);
        let upsert = Upsert { doc, raw: raw.to_string(), file: FileState::default(), replaces: None };
        let schema = store.index.schema();
        let tdoc = store.to_document(&upsert);
        let stored: Vec<&str> =
            tdoc.field_values().filter(|(f, _)| schema.get_field_entry(*f).is_stored()).map(|(f, _)| schema.get_field_name(f)).collect();
        assert_eq!(stored[..4], ["hit", "body", "meta", "raw"]);
        let mut copies: Vec<&str> = tdoc.get_all(store.fields.body).skip(1).filter_map(|v| v.as_str()).collect();
        copies.sort_unstable();
        // The summary, the root-cause sentence and the technology are in the
        // section text once already, the title is not; the Root Cause
        // section itself (also in `root_cause`) gets no copy.
        assert_eq!(copies, ["Cache outage", "Cache outage", "Cache outage", "No eviction policy.", "Redis", "Redis ran out of memory."]);
    }
}
