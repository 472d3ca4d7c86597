//! Criterion benchmarks of the core: parse throughput (MB/s), full index build,
//! and query latency over a fixed query mix. Runs on examples/coes, and on the
//! folder named by `COE_BENCH_CORPUS` when set (e.g. ../shared/corpus).
#![allow(missing_docs)]

use coe_kb::index::Store;
use coe_kb::index::search::{Access, SearchRequest, Sort};
use coe_kb::parse::{self, Defaults};
use coe_kb::source::{self, SourceSpec};
use coe_kb::vocab::Vocab;
use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use std::path::PathBuf;

fn corpora() -> Vec<(String, PathBuf)> {
    let mut v = vec![("examples".to_string(), PathBuf::from("examples/coes"))];
    if let Some(p) = std::env::var_os("COE_BENCH_CORPUS") {
        let p = PathBuf::from(p);
        v.push((SourceSpec::name_for(&p), p));
    }
    v
}

fn load(root: &PathBuf) -> Vec<(String, Vec<u8>)> {
    let spec = SourceSpec::new("bench", root);
    let (files, _) = source::walk(&spec).expect("walk corpus");
    files.into_iter().filter_map(|f| std::fs::read(&f.abs).ok().map(|b| (f.rel, b))).collect()
}

fn bench_parse(c: &mut Criterion) {
    let vocab = Vocab::builtin().expect("vocab");
    for (name, root) in corpora() {
        let files = load(&root);
        let bytes: usize = files.iter().map(|(_, b)| b.len()).sum();
        let mut g = c.benchmark_group(format!("parse/{name}"));
        g.throughput(Throughput::Bytes(bytes as u64));
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
    for (name, root) in corpora() {
        let bytes: usize = load(&root).iter().map(|(_, b)| b.len()).sum();
        let mut g = c.benchmark_group(format!("index/{name}"));
        g.sample_size(10);
        g.throughput(Throughput::Bytes(bytes as u64));
        g.bench_function("full build", |b| {
            b.iter(|| {
                let dir = tempfile::tempdir().expect("tempdir");
                let store = Store::open(dir.path()).expect("open");
                let mut w = store.writer().expect("writer");
                let spec = SourceSpec::new("bench", &root);
                let r = source::reconcile(&store, &mut w, &spec, &vocab, 0, &|_, _| {}).expect("reconcile");
                std::hint::black_box(r.added);
            })
        });
        g.finish();
    }
}

fn bench_query(c: &mut Criterion) {
    let vocab = Vocab::builtin().expect("vocab");
    let queries: &[(&str, &str)] = &[
        ("term", "throttling"),
        ("phrase", "\"connection pool\""),
        ("section", "root_cause:certificate"),
        ("technology", "technology:kubernetes"),
        ("natural", "what went wrong with dynamodb throttling?"),
        ("fuzzy", "kubernets~"),
    ];
    for (name, root) in corpora() {
        let dir = tempfile::tempdir().expect("tempdir");
        let store = Store::open(dir.path()).expect("open");
        let mut w = store.writer().expect("writer");
        source::reconcile(&store, &mut w, &SourceSpec::new("bench", &root), &vocab, 0, &|_, _| {}).expect("reconcile");
        let mut g = c.benchmark_group(format!("query/{name}"));
        for (label, q) in queries {
            let req =
                SearchRequest { q: q.to_string(), per_page: 10, page: 1, sort: Sort::Relevance, access: Access::All, ..Default::default() };
            g.bench_function(*label, |b| b.iter(|| std::hint::black_box(store.search(&req, Some(&vocab)).expect("search").total)));
        }
        let mut faceted = SearchRequest { q: "outage".into(), per_page: 10, page: 1, access: Access::All, ..Default::default() };
        faceted.filters.insert("severity".into(), vec!["SEV2".into()]);
        g.bench_function("facet-filtered", |b| {
            b.iter(|| std::hint::black_box(store.search(&faceted, Some(&vocab)).expect("search").total))
        });
        g.finish();
    }
}

criterion_group!(benches, bench_parse, bench_index, bench_query);
criterion_main!(benches);
