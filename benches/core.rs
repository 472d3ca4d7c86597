//! Criterion benchmarks of the core: parse throughput (MB/s), full index build
//! (docs/s and MB/s), and query latency over a fixed query mix (single term,
//! phrase, section-scoped, facet-filtered with facet counts, fuzzy,
//! more-like-this) at 1k and 10k generated documents (`coe gen-corpus`, seed 42).
//! Also runs on examples/coes, and on the folder named by `COE_BENCH_CORPUS`
//! when set (e.g. ../shared/corpus). `COE_BENCH_SIZES=1000` limits the sizes;
//! the 10k index build runs only with `COE_BENCH_FULL=1` (about a minute a sample).
//! The side-by-side comparison with other engines is benches/compare.py.
#![allow(missing_docs)]

use coe_kb::index::Store;
use coe_kb::index::search::{Access, SearchRequest, Sort};
use coe_kb::parse::{self, Defaults};
use coe_kb::source::{self, SourceSpec};
use coe_kb::vocab::Vocab;
use criterion::{BenchmarkId, Criterion, Throughput, criterion_group, criterion_main};
use std::path::{Path, PathBuf};
use std::sync::OnceLock;

struct Corpus {
    name: String,
    root: PathBuf,
    generated: Option<usize>,
}

/// Generated corpora live for the whole run.
fn gen_dir() -> &'static Path {
    static DIR: OnceLock<tempfile::TempDir> = OnceLock::new();
    DIR.get_or_init(|| tempfile::tempdir().expect("tempdir")).path()
}

fn sizes() -> Vec<usize> {
    std::env::var("COE_BENCH_SIZES")
        .ok()
        .map(|s| s.split(',').filter_map(|x| x.trim().parse().ok()).collect())
        .unwrap_or_else(|| vec![1_000, 10_000])
}

fn corpora() -> Vec<Corpus> {
    let mut v = vec![Corpus { name: "examples".into(), root: PathBuf::from("examples/coes"), generated: None }];
    for n in sizes() {
        let root = gen_dir().join(format!("gen-{n}"));
        if !root.is_dir() {
            coe_kb::r#gen::generate(n, &root, 42).expect("generate corpus");
        }
        v.push(Corpus { name: format!("gen-{}k", n / 1000), root, generated: Some(n) });
    }
    if let Some(p) = std::env::var_os("COE_BENCH_CORPUS") {
        let p = PathBuf::from(p);
        v.push(Corpus { name: SourceSpec::name_for(&p), root: p, generated: None });
    }
    v
}

fn load(root: &Path) -> Vec<(String, Vec<u8>)> {
    let spec = SourceSpec::new("bench", root);
    let (files, _) = source::walk(&spec).expect("walk corpus");
    files.iter().filter_map(|(rel, _)| std::fs::read(root.join(rel)).ok().map(|b| (rel.to_string(), b))).collect()
}

fn build_index(root: &Path, vocab: &Vocab) -> (tempfile::TempDir, Store) {
    let dir = tempfile::tempdir().expect("tempdir");
    let store = Store::open(dir.path()).expect("open");
    let mut w = store.writer().expect("writer");
    source::reconcile(&store, &mut w, &SourceSpec::new("bench", root), vocab, 0, &|_, _| {}).expect("reconcile");
    (dir, store)
}

fn bench_parse(c: &mut Criterion) {
    let vocab = Vocab::builtin().expect("vocab");
    for corpus in corpora().into_iter().filter(|c| c.generated.is_none_or(|n| n <= 1_000)) {
        let files = load(&corpus.root);
        let bytes: usize = files.iter().map(|(_, b)| b.len()).sum();
        let mut g = c.benchmark_group(format!("parse/{}", corpus.name));
        g.sample_size(10);
        g.throughput(Throughput::BytesDecimal(bytes as u64));
        g.bench_function("all files", |b| {
            b.iter(|| {
                for (rel, data) in &files {
                    let d = parse::parse(parse::Input { source: "b", path: rel, bytes: data, defaults: &Defaults::default() }, &vocab);
                    std::hint::black_box(d);
                }
            })
        });
        g.finish();
    }
}

fn bench_index(c: &mut Criterion) {
    let vocab = Vocab::builtin().expect("vocab");
    let full = std::env::var_os("COE_BENCH_FULL").is_some();
    for corpus in corpora().into_iter().filter(|c| full || c.generated.is_none_or(|n| n <= 1_000)) {
        let files = load(&corpus.root);
        let bytes: usize = files.iter().map(|(_, b)| b.len()).sum();
        // One group per unit: criterion reports one throughput per group.
        for (unit, tp) in [("MB", Throughput::BytesDecimal(bytes as u64)), ("docs", Throughput::Elements(files.len() as u64))] {
            let mut g = c.benchmark_group(format!("index-{unit}/{}", corpus.name));
            g.sample_size(10);
            g.throughput(tp);
            g.bench_function("full build", |b| b.iter(|| std::hint::black_box(build_index(&corpus.root, &vocab).1.num_docs())));
            g.finish();
        }
    }
}

/// (label, query, optional facet filter as (field, value)).
type QueryCase<'a> = (&'a str, &'a str, Option<(&'a str, &'a str)>);

fn bench_query(c: &mut Criterion) {
    let vocab = Vocab::builtin().expect("vocab");
    let queries: &[QueryCase] = &[
        ("term", "throttling", None),
        ("phrase", "\"connection pool\"", None),
        ("section", "root_cause:certificate", None),
        ("facet-filtered", "outage", Some(("technology", "Kubernetes"))),
        ("fuzzy", "kubernets~", None),
        ("natural", "what went wrong with dynamodb throttling?", None),
    ];
    for corpus in corpora() {
        let (_dir, store) = build_index(&corpus.root, &vocab);
        let mut g = c.benchmark_group(format!("query/{}", corpus.name));
        for (label, q, filter) in queries {
            let mut req =
                SearchRequest { q: q.to_string(), per_page: 10, page: 1, sort: Sort::Relevance, access: Access::All, ..Default::default() };
            if let Some((k, v)) = filter {
                req.filters.insert(k.to_string(), vec![v.to_string()]);
            }
            g.bench_function(BenchmarkId::from_parameter(label), |b| {
                b.iter(|| {
                    let r = store.search(&req, Some(&vocab)).expect("search");
                    std::hint::black_box((r.total, r.facets.len()))
                })
            });
        }
        let seed = SearchRequest { q: "throttling".into(), per_page: 1, page: 1, access: Access::All, ..Default::default() };
        if let Some(top) = store.search(&seed, Some(&vocab)).expect("search").hits.into_iter().next() {
            g.bench_function(BenchmarkId::from_parameter("more-like-this"), |b| {
                b.iter(|| std::hint::black_box(store.similar(&top.id, 10, &Access::All).expect("similar").len()))
            });
        }
        g.finish();
    }
}

criterion_group!(benches, bench_parse, bench_index, bench_query);
criterion_main!(benches);
