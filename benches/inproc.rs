//! In-process query latency for benches/compare.py: opens an existing index and
//! times each query of a JSON query mix (search with facet counts and snippets,
//! or more-like-this), printing p50/p99 per query as one JSON object.
//!
//! `cargo bench --bench inproc -- (--index DIR | --peer DIR) --queries FILE [--max-ms 2000] [--iters 500] [--merge]`
//! (`--merge` first merges the index into one segment, to measure what segment count costs)
//! (without `--index` or `--peer` it prints this usage and exits 0, so `cargo bench` stays green).
//!
//! The query file is a JSON array of `{"class": "term", "q": "throttling",
//! "filters": {"technology": ["Kubernetes"]}}`, or `{"class": "mlt", "like": "throttling"}`
//! for more-like-this on the top hit of `like`.
//!
//! `--peer DIR` times Tantivy itself instead, on a plain Tantivy index (tantivy-cli's):
//! each query's `q` goes through Tantivy's own `QueryParser` over every indexed field,
//! with fuzzy terms (one edit, transpositions included) when the query has
//! `"fuzzy": true`, and is timed as tantivy-cli's `bench` times it: the top 10 with the
//! count, plus the fetch of the ten stored documents (parsing outside the timer).
//! tantivy-cli's query language has no fuzzy terms, so this is the same fuzzy query
//! run by the engine coe is built on.
//!
//! `--stalls` measures the machine instead: how often a fixed loop of about 20 µs
//! is slowed, and by how much (a VM's timer ticks stall a core every few ms, which
//! raises the p99 of any query that is long enough to be hit about 1% of the time).
#![allow(missing_docs)]

use coe_kb::index::Store;
use coe_kb::index::search::{Access, SearchRequest};
use coe_kb::vocab::Vocab;
use serde::Deserialize;
use std::collections::BTreeMap;
use std::path::PathBuf;
use std::time::{Duration, Instant};

#[derive(Debug, Deserialize)]
struct Query {
    class: String,
    #[serde(default)]
    q: String,
    #[serde(default)]
    filters: BTreeMap<String, Vec<String>>,
    #[serde(default)]
    like: Option<String>,
    /// `--peer` only: make every term of `q` a one-edit fuzzy term.
    #[serde(default)]
    fuzzy: bool,
}

struct Args {
    index: PathBuf,
    queries: PathBuf,
    max: Duration,
    iters: usize,
    merge: bool,
    peer: bool,
}

fn args() -> Option<Args> {
    let mut index = None;
    let mut queries = None;
    let mut max = Duration::from_millis(2000);
    let mut iters = 500;
    let mut merge = false;
    let mut peer = false;
    let mut it = std::env::args().skip(1);
    while let Some(a) = it.next() {
        match a.as_str() {
            "--index" => index = it.next().map(PathBuf::from),
            "--queries" => queries = it.next().map(PathBuf::from),
            "--max-ms" => max = Duration::from_millis(it.next().and_then(|v| v.parse().ok()).unwrap_or(2000)),
            "--iters" => iters = it.next().and_then(|v| v.parse().ok()).unwrap_or(500),
            "--merge" => merge = true,
            "--peer" => {
                peer = true;
                index = it.next().map(PathBuf::from);
            }
            _ => {} // `--bench` and friends from cargo
        }
    }
    Some(Args { index: index?, queries: queries?, max, iters, merge, peer })
}

fn pct(sorted: &[Duration], p: f64) -> f64 {
    if sorted.is_empty() {
        return 0.0;
    }
    let i = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted[i.min(sorted.len() - 1)].as_secs_f64() * 1e6
}

/// Run `f` for a warm-up, then until `iters` samples or `max` time (at least 20 samples).
fn time(max: Duration, iters: usize, mut f: impl FnMut() -> usize) -> (Vec<Duration>, usize) {
    let mut hits = 0;
    for _ in 0..5 {
        hits = f();
    }
    let mut v = Vec::with_capacity(iters);
    let started = Instant::now();
    while v.len() < iters && (v.len() < 20 || started.elapsed() < max) {
        let t = Instant::now();
        hits = std::hint::black_box(f());
        v.push(t.elapsed());
    }
    v.sort();
    (v, hits)
}

/// One class's figures, in the same shape for coe and the peer.
fn figures(samples: &[Duration], hits: usize) -> serde_json::Value {
    serde_json::json!({
        "p50_us": pct(samples, 0.5),
        "p99_us": pct(samples, 0.99),
        "n": samples.len(),
        "hits": hits,
    })
}

/// `--peer`: the queries run by Tantivy alone on a plain Tantivy index.
fn peer(a: &Args) {
    use tantivy::collector::{Count, TopDocs};
    use tantivy::query::QueryParser;
    use tantivy::{Index, TantivyDocument};
    let index = Index::open_in_dir(&a.index).expect("open the peer index");
    let searcher = index.reader().expect("reader").searcher();
    let schema = index.schema();
    let fields: Vec<_> = schema.fields().filter(|(_, e)| e.is_indexed()).map(|(f, _)| f).collect();
    let exact = QueryParser::new(schema.clone(), fields.clone(), index.tokenizers().clone());
    let mut fuzzy = QueryParser::new(schema, fields.clone(), index.tokenizers().clone());
    for &f in &fields {
        fuzzy.set_field_fuzzy(f, false, 1, true);
    }
    let queries: Vec<Query> =
        serde_json::from_slice(&std::fs::read(&a.queries).expect("read queries")).expect("queries are a JSON array of objects");
    let mut out = serde_json::Map::new();
    for q in &queries {
        let query = if q.fuzzy { &fuzzy } else { &exact }.parse_query(&q.q).expect("the peer parses the query");
        let (samples, hits) = time(a.max, a.iters, || {
            let (top, count) = searcher.search(&query, &(TopDocs::with_limit(10).order_by_score(), Count)).expect("search");
            for (_, addr) in top {
                std::hint::black_box(searcher.doc::<TantivyDocument>(addr).expect("fetch"));
            }
            count
        });
        out.insert(q.class.clone(), figures(&samples, hits));
    }
    println!("{}", serde_json::json!({ "docs": searcher.num_docs(), "queries": out }));
}

/// `--stalls`: time a fixed loop of about 20 µs for a second; report how many
/// runs were slowed by more than 30%, by how much on average, and how far apart.
fn stalls() {
    let work = |n: u64| (0..n).fold(0u64, |acc, k| std::hint::black_box(acc.wrapping_add(k.wrapping_mul(k))));
    // Calibrate the loop to about 20 µs.
    let mut n = 1_000u64;
    loop {
        let t = Instant::now();
        std::hint::black_box(work(n));
        if t.elapsed() >= Duration::from_micros(20) {
            break;
        }
        n = n * 3 / 2;
    }
    let started = Instant::now();
    let mut runs = Vec::new();
    while started.elapsed() < Duration::from_secs(1) {
        let t = Instant::now();
        std::hint::black_box(work(n));
        runs.push((t.duration_since(started), t.elapsed()));
    }
    let mut sorted: Vec<Duration> = runs.iter().map(|r| r.1).collect();
    sorted.sort();
    let median = sorted[sorted.len() / 2];
    let slow: Vec<_> = runs.iter().filter(|r| r.1 > median * 13 / 10).collect();
    let extra = slow.iter().map(|r| (r.1 - median).as_secs_f64() * 1e6).sum::<f64>() / slow.len().max(1) as f64;
    let every_ms = if slow.len() > 1 { (slow[slow.len() - 1].0 - slow[0].0).as_secs_f64() * 1e3 / (slow.len() - 1) as f64 } else { 0.0 };
    println!(
        "{}",
        serde_json::json!({
            "loop_us": median.as_secs_f64() * 1e6,
            "runs": runs.len(),
            "slowed_pct": 100.0 * slow.len() as f64 / runs.len() as f64,
            "stall_us": extra,
            "every_ms": every_ms,
        })
    );
}

fn main() {
    if std::env::args().any(|a| a == "--stalls") {
        return stalls();
    }
    let Some(a) = args() else {
        eprintln!(
            "inproc: usage: cargo bench --bench inproc -- (--index DIR | --peer DIR) --queries FILE [--max-ms MS] [--iters N] [--merge] | --stalls"
        );
        return;
    };
    if a.peer {
        return peer(&a);
    }
    let vocab = Vocab::builtin().expect("vocabulary");
    let opened = Instant::now();
    let store = Store::open(&a.index).expect("open index");
    let open_ms = opened.elapsed().as_secs_f64() * 1e3;
    let segments_before = store.reader.searcher().segment_readers().len();
    if a.merge {
        // Merge into one segment first, to see what segment count costs.
        let mut w = store.writer().expect("writer");
        let ids = store.index.searchable_segment_ids().expect("segment ids");
        if ids.len() > 1 {
            w.merge(&ids).wait().expect("merge");
        }
        w.wait_merging_threads().expect("merge threads");
        store.reader.reload().expect("reload");
    }
    let queries: Vec<Query> =
        serde_json::from_slice(&std::fs::read(&a.queries).expect("read queries")).expect("queries are a JSON array of objects");
    let mut out = serde_json::Map::new();
    let mut mlt_doc = serde_json::Value::Null;
    for q in &queries {
        let (samples, hits) = if q.class == "mlt" {
            let like = q.like.clone().unwrap_or_else(|| q.q.clone());
            let req = SearchRequest { q: like, per_page: 1, page: 1, access: Access::Public, ..Default::default() };
            let top = store.search(&req, Some(&vocab)).expect("search").hits.into_iter().next().expect("the mlt seed query matches");
            let doc = store.get(&top.id, &vocab, &Access::Public).expect("get").doc;
            mlt_doc = serde_json::json!({"id": doc.id, "path": doc.path, "title": doc.title});
            let id = top.id.clone();
            time(a.max, a.iters, || store.similar(&id, 10, &Access::Public).expect("similar").len())
        } else {
            let req = SearchRequest {
                q: q.q.clone(),
                filters: q.filters.clone(),
                per_page: 10,
                page: 1,
                access: Access::Public,
                ..Default::default()
            };
            time(a.max, a.iters, || {
                let r = store.search(&req, Some(&vocab)).expect("search");
                assert!(!r.facets.is_empty());
                r.total
            })
        };
        out.insert(q.class.clone(), figures(&samples, hits));
    }
    let segments = store.reader.searcher().segment_readers().len();
    let report = serde_json::json!({
        "open_ms": open_ms,
        "docs": store.num_docs(),
        "segments_before": segments_before,
        "segments": segments,
        "queries": out,
        "mlt_doc": mlt_doc,
    });
    println!("{report}");
}
