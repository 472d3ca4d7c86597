//! In-process query latency for benches/compare.py: opens an existing index and
//! times each query of a JSON query mix (search with facet counts and snippets,
//! or more-like-this), printing p50/p99 per query as one JSON object.
//!
//! `cargo bench --bench inproc -- --index DIR --queries FILE [--max-ms 2000] [--iters 500] [--merge]`
//! (`--merge` first merges the index into one segment, to measure what segment count costs)
//! (without `--index` it prints this usage and exits 0, so `cargo bench` stays green).
//!
//! The query file is a JSON array of `{"class": "term", "q": "throttling",
//! "filters": {"technology": ["Kubernetes"]}}`, or `{"class": "mlt", "like": "throttling"}`
//! for more-like-this on the top hit of `like`.
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
}

struct Args {
    index: PathBuf,
    queries: PathBuf,
    max: Duration,
    iters: usize,
    merge: bool,
}

fn args() -> Option<Args> {
    let mut index = None;
    let mut queries = None;
    let mut max = Duration::from_millis(2000);
    let mut iters = 500;
    let mut merge = false;
    let mut it = std::env::args().skip(1);
    while let Some(a) = it.next() {
        match a.as_str() {
            "--index" => index = it.next().map(PathBuf::from),
            "--queries" => queries = it.next().map(PathBuf::from),
            "--max-ms" => max = Duration::from_millis(it.next().and_then(|v| v.parse().ok()).unwrap_or(2000)),
            "--iters" => iters = it.next().and_then(|v| v.parse().ok()).unwrap_or(500),
            "--merge" => merge = true,
            _ => {} // `--bench` and friends from cargo
        }
    }
    Some(Args { index: index?, queries: queries?, max, iters, merge })
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

fn main() {
    let Some(a) = args() else {
        eprintln!("inproc: usage: cargo bench --bench inproc -- --index DIR --queries FILE [--max-ms MS] [--iters N]");
        return;
    };
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
        out.insert(
            q.class.clone(),
            serde_json::json!({
                "p50_us": pct(&samples, 0.5),
                "p99_us": pct(&samples, 0.99),
                "n": samples.len(),
                "hits": hits,
            }),
        );
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
