//! The index on disk: search by technology, section scopes, facets, upsert,
//! removal, rename, schema-version rebuild, and the writer lock.

use crate::util::{copy_tree, examples, index_of, reindex};
use coe_kb::index::Store;
use coe_kb::index::search::{Access, SearchRequest, Sort};
use coe_kb::vocab::Vocab;

fn q(store: &Store, q: &str) -> coe_kb::index::search::SearchResponse {
    let vocab = Vocab::builtin().expect("vocab");
    store
        .search(&SearchRequest { q: q.into(), page: 1, per_page: 50, access: Access::All, ..Default::default() }, Some(&vocab))
        .expect("search")
}

fn titles(r: &coe_kb::index::search::SearchResponse) -> Vec<String> {
    r.hits.iter().map(|h| h.title.to_string()).collect()
}

#[test]
fn search_by_technology_and_sections() {
    let (_d, store, report) = index_of("examples", &examples());
    assert_eq!(report.added, store.num_docs() as usize);
    let r = q(&store, "technology:dynamodb");
    assert!(r.total >= 2, "{:?}", titles(&r));
    assert!(r.hits.iter().all(|h| h.technologies.iter().any(|t| t == "DynamoDB")));
    // An alias is rewritten to the canonical technology.
    let alias = q(&store, "technology:postgres");
    assert!(alias.total >= 1 && alias.hits.iter().all(|h| h.technologies.iter().any(|t| t == "PostgreSQL")));
    let phrase = q(&store, "\"connection pool\"");
    assert!(phrase.total >= 1);
    let scoped = q(&store, "root_cause:certificate");
    assert!(scoped.hits.iter().any(|h| h.title.to_lowercase().contains("certificate")), "{:?}", titles(&scoped));
    let natural = q(&store, "what went wrong with DynamoDB throttling?");
    assert!(natural.hits.first().is_some_and(|h| h.technologies.iter().any(|t| t == "DynamoDB")), "{:?}", titles(&natural));
    assert!(natural.hits[0].snippet_html.contains("<b>"), "snippet highlights: {}", natural.hits[0].snippet_html);
}

/// A word no CoE contains that names a technology (`postgres` where the
/// CoEs say PostgreSQL) also finds the CoEs tagged with it; a word some CoE
/// contains keeps its own meaning.
#[test]
fn a_technology_called_by_another_name_is_found() {
    let tree = tempfile::tempdir().expect("tempdir");
    let doc = |title: &str, body: &str| format!("# {title}\n\n## Summary\n\n{body}\n\n## Root cause\n\nA slow disk.\n");
    let files = [
        ("pg.md", doc("Primary failover", "The PostgreSQL primary failed over to its replica.")),
        ("vacuum.md", doc("Bloat", "PostgreSQL autovacuum fell behind on the orders table.")),
        ("kafka.md", doc("Consumer lag", "Kafka consumers fell behind after a failover.")),
        ("es.md", doc("Index read-only", "Elasticsearch set the index read-only when the disk filled.")),
        ("search.md", doc("Search page slow", "The search page timed out.")),
    ];
    for (name, text) in &files {
        std::fs::write(tree.path().join(name), text).expect("write");
    }
    let (_d, store, _) = index_of("names", tree.path());
    let r = q(&store, "postgres failover?");
    assert_eq!(titles(&r).first().map(String::as_str), Some("Primary failover"), "{:?}", titles(&r));
    assert_eq!(r.total, 3, "{:?}", titles(&r));
    // Words that together name a technology are followed by its name.
    let mut es = titles(&q(&store, "elastic search?"));
    es.sort();
    assert_eq!(es, ["Index read-only", "Search page slow"]);
    assert!(!r.fuzzy && r.warning.is_none());
    assert_eq!(q(&store, "postgres").total, 2);
    // A word that is there is searched as itself, alias or not.
    assert_eq!(titles(&q(&store, "autovacuum")), ["Bloat"]);
    // Syntax is left as written.
    assert_eq!(q(&store, "title:postgres").total, 0);
}

#[test]
fn facets_filters_and_sort() {
    let (_d, store, _) = index_of("examples", &examples());
    let all = q(&store, "");
    assert_eq!(all.total as u64, store.num_docs());
    let techs = &all.facets["technology"];
    let dynamo = techs.iter().find(|f| &*f.value == "DynamoDB").expect("DynamoDB facet");
    let vocab = Vocab::builtin().expect("vocab");
    let mut req = SearchRequest { page: 1, per_page: 50, access: Access::All, ..Default::default() };
    req.filters.insert("technology".into(), vec!["DynamoDB".into()]);
    let filtered = store.search(&req, Some(&vocab)).expect("search");
    assert_eq!(filtered.total as u64, dynamo.count);
    // OR within a field.
    req.filters.insert("technology".into(), vec!["DynamoDB".into(), "Redis".into()]);
    let either = store.search(&req, Some(&vocab)).expect("search");
    assert!(either.total > filtered.total);
    // AND across fields.
    req.filters.insert("severity".into(), vec!["SEV1".into()]);
    let both = store.search(&req, Some(&vocab)).expect("search");
    assert!(both.hits.iter().all(|h| h.severity.as_deref() == Some("SEV1")));
    // Sort by date: newest first.
    let by_date = store
        .search(&SearchRequest { sort: Sort::Date, page: 1, per_page: 50, access: Access::All, ..Default::default() }, None)
        .expect("search");
    let dates: Vec<String> = by_date.hits.iter().filter_map(|h| h.date.as_deref().map(str::to_string)).collect();
    let mut sorted = dates.clone();
    sorted.sort_by(|a, b| b.cmp(a));
    assert_eq!(dates, sorted);
    // Date range.
    let ranged = store
        .search(
            &SearchRequest {
                since: chrono::NaiveDate::from_ymd_opt(2026, 1, 1),
                page: 1,
                per_page: 50,
                access: Access::All,
                ..Default::default()
            },
            None,
        )
        .expect("search");
    assert!(ranged.total > 0 && ranged.hits.iter().all(|h| h.date.as_deref().is_some_and(|d| d >= "2026-01-01")));
}

/// A page of results is the same hits, in the same order and with the same
/// snippets, as pages of one hit each.
#[test]
fn a_page_is_the_pages_of_one_hit_each() {
    let (_d, store, _) = index_of("examples", &examples());
    let vocab = Vocab::builtin().expect("vocab");
    let search = |page: usize, per_page: usize| {
        let req = SearchRequest { q: "outage database".into(), page, per_page, access: Access::All, ..Default::default() };
        store.search(&req, Some(&vocab)).expect("search")
    };
    let whole = search(1, 10);
    assert!(whole.hits.len() >= 6, "{:?}", titles(&whole));
    assert!(whole.hits.windows(2).all(|w| w[0].score >= w[1].score), "{:?}", titles(&whole));
    for (i, hit) in whole.hits.iter().enumerate() {
        let one = search(i + 1, 1);
        assert_eq!(one.hits.first(), Some(hit), "hit {i}");
    }
}

/// Facet counts agree whether the matches are counted on the search
/// threads (1,000 or more, in several segments) or on the searching one.
#[test]
fn facet_counts_agree_for_many_matches_and_few() {
    // Two sources, each committed on its own: two segments.
    let trees = [tempfile::tempdir().expect("tempdir"), tempfile::tempdir().expect("tempdir")];
    for n in 0..2_400 {
        let extra = if n % 3 == 0 { " Redis evicted keys." } else { "" };
        let more = if n % 10 == 0 { " Postgres failed over." } else { "" };
        let text = format!("# Lag {n}\n\n## Summary\n\nKafka consumers fell behind.{extra}{more}\n\n## Root cause\n\nA slow disk.\n");
        std::fs::write(trees[n % 2].path().join(format!("lag-{n}.md")), text).expect("write");
    }
    let (_d, store, report) = index_of("many", trees[0].path());
    assert_eq!(report.added + reindex(&store, "more", trees[1].path()).added, 2_400);
    assert!(store.reader.searcher().segment_readers().len() > 1, "the test needs several segments");
    let count = |r: &coe_kb::index::search::SearchResponse, tech: &str| {
        r.facets["technology"].iter().find(|f| &*f.value == tech).map_or(0, |f| f.count)
    };
    let many = q(&store, "kafka");
    assert_eq!((many.total, count(&many, "Kafka"), count(&many, "Redis")), (2_400, 2_400, 800));
    let some = q(&store, "redis");
    assert_eq!((some.total, count(&some, "Kafka"), count(&some, "Redis")), (800, 800, 800));
    let few = q(&store, "postgres");
    assert_eq!((few.total, count(&few, "Kafka"), count(&few, "Redis")), (240, 240, 80));
    // A page without snippets (no word in the body).
    let scoped = q(&store, "summary:redis");
    assert_eq!((scoped.total, count(&scoped, "Kafka"), count(&scoped, "Redis")), (800, 800, 800));
    assert!(scoped.hits.iter().all(|h| h.summary == h.snippet), "{:?}", scoped.hits.first());
}

#[test]
fn typo_tolerance_and_bad_queries() {
    let (_d, store, _) = index_of("examples", &examples());
    let r = q(&store, "kuberntes");
    assert!(r.fuzzy && r.total > 0);
    // Regression: every typo match had the same score, so a page came in
    // index order; each is scored as the word spelt right would be.
    let right = q(&store, "kubernetes");
    let ranked = |r: &coe_kb::index::search::SearchResponse| r.hits.iter().map(|h| (h.id.clone(), h.score)).collect::<Vec<_>>();
    assert_eq!(ranked(&r), ranked(&right));
    assert!(r.hits.first().map(|h| h.score) > r.hits.last().map(|h| h.score), "{:?}", ranked(&r));
    // Regression: `word~` was documented as typo-tolerant, but tantivy's
    // grammar dropped the `~` and the misspelling matched nothing.
    let marked = q(&store, "kuberntes~");
    assert!(marked.fuzzy && marked.total == r.total, "{marked:?}");
    let marked_in_field = q(&store, "title:dynamdb~1");
    assert!(marked_in_field.fuzzy && marked_in_field.total > 0);
    // Plain words keep their first letter as typed (the walk of the term
    // dictionary stays under it); several words match any of them.
    assert_eq!(q(&store, "gubernetes~").total, 0);
    let two = q(&store, "kuberntes~ dynamdb~");
    assert!(two.fuzzy && two.total > r.total, "{two:?}");
    // Regression: a typo that stemming puts two edits away (`certficate`
    // stems to `certfic`, `certificate` to `certif`) found nothing.
    let stemmed = q(&store, "certficate");
    let right = q(&store, "certificate");
    assert!(stemmed.fuzzy && right.total > 0, "{stemmed:?}");
    assert_eq!(ranked(&stemmed), ranked(&right));
    // A letter missing whose stem (`throtl`) is one edit from the right one
    // (`throttl`) finds it without the neighbours of the word as typed.
    let missing = q(&store, "throtling");
    let right = q(&store, "throttling");
    assert!(missing.fuzzy && right.total > 0, "{missing:?}");
    assert_eq!(ranked(&missing), ranked(&right));
    // Regression: typo hits showed their summary, with nothing highlighted,
    // since the terms a typo reaches are known only once it is searched.
    // They are highlighted as the word spelt right is.
    let snippets = |r: &coe_kb::index::search::SearchResponse| r.hits.iter().map(|h| h.snippet_html.clone()).collect::<Vec<_>>();
    for typo in [&missing, &stemmed, &marked] {
        assert!(typo.hits.first().is_some_and(|h| h.snippet_html.contains("<b>")), "{:?}", snippets(typo));
    }
    assert_eq!(snippets(&missing), snippets(&right));
    let vocab = Vocab::builtin().expect("vocab");
    let deep = "(".repeat(1000) + "x";
    let err = store.search(&SearchRequest { q: deep, page: 1, per_page: 10, ..Default::default() }, Some(&vocab));
    assert!(matches!(err, Err(coe_kb::Error::BadQuery(_))));
    let big = "a ".repeat(50_000);
    assert!(store.search(&SearchRequest { q: big, page: 1, per_page: 10, ..Default::default() }, Some(&vocab)).is_err());
    // Regression: `title:*` (an exists-query on a field without a fast column) was a 500.
    let exists = store.search(&SearchRequest { q: "title:*".into(), page: 1, per_page: 10, ..Default::default() }, Some(&vocab));
    assert!(matches!(exists, Err(coe_kb::Error::BadQuery(_))), "{exists:?}");
    // Stray syntax is read leniently rather than failing.
    let lenient = q(&store, "error: timeout AND (");
    assert!(lenient.warning.is_some() || lenient.total > 0);
}

#[test]
fn upsert_rename_and_removal() {
    let tree = copy_tree(&examples());
    let (_d, store, _) = index_of("ex", tree.path());
    let n = store.num_docs();
    let file = tree.path().join("bgp-route-leak-transit-provider.md");
    let text = std::fs::read_to_string(&file).expect("read");
    // Edit: still one document, new content searchable.
    std::fs::write(&file, text.replace("## ", "Zanzibarquux marker.\n\n## ")).expect("write");
    let r = reindex(&store, "ex", tree.path());
    assert_eq!((r.updated, r.added, r.removed), (1, 0, 0));
    assert_eq!(store.num_docs(), n);
    assert_eq!(q(&store, "zanzibarquux").total, 1);
    // Unchanged files are skipped.
    let again = reindex(&store, "ex", tree.path());
    assert_eq!(again.unchanged as u64, n);
    // Rename: old id gone, new id present.
    let renamed = tree.path().join("renamed-bgp.md");
    std::fs::rename(&file, &renamed).expect("rename");
    let r = reindex(&store, "ex", tree.path());
    assert_eq!((r.added, r.removed), (1, 1));
    let hit = &q(&store, "zanzibarquux").hits[0];
    assert_eq!(hit.id, "ex--renamed-bgp");
    // Delete.
    std::fs::remove_file(&renamed).expect("rm");
    let r = reindex(&store, "ex", tree.path());
    assert_eq!(r.removed, 1);
    assert_eq!(q(&store, "zanzibarquux").total, 0);
    assert_eq!(store.num_docs(), n - 1);
}

/// Regression: files written within one clock tick share an mtime, so a file
/// renamed over another of the same size (or edited and its mtime put back)
/// looked unchanged and the index kept stale contents.
#[test]
fn same_size_same_mtime_changes_are_not_missed() {
    let tree = tempfile::tempdir().expect("tree");
    let old = std::time::SystemTime::now() - std::time::Duration::from_secs(3600);
    let write = |name: &str, word: &str| {
        let p = tree.path().join(name);
        std::fs::write(&p, format!("# Outage {word}\n\n## Summary\n\n{word} broke.\n")).expect("write");
        std::fs::File::options().write(true).open(&p).expect("open").set_modified(old).expect("set mtime");
    };
    write("a.md", "alphaword");
    write("b.md", "bravoword");
    let (_d, store, _) = index_of("m", tree.path());
    assert_eq!(reindex(&store, "m", tree.path()).unchanged, 2, "old, untouched files are skipped by stat");
    // Rename a over b: same size, same mtime as the b that was indexed.
    std::fs::rename(tree.path().join("a.md"), tree.path().join("b.md")).expect("rename");
    reindex(&store, "m", tree.path());
    assert_eq!(q(&store, "alphaword").hits.iter().map(|h| h.id.as_str()).collect::<Vec<_>>(), ["m--b"]);
    assert_eq!(q(&store, "bravoword").total, 0);
    // Edit in place to the same size and put the mtime back (`touch -r`, tar, rsync -t).
    write("b.md", "charlieword");
    reindex(&store, "m", tree.path());
    assert_eq!(q(&store, "charlieword").total, 1);
    assert_eq!(store.num_docs(), 1);
}

/// Regression: after updates, deleted documents still count in term
/// frequencies until segments merge, and more-like-this panicked (500) on a
/// term in every document.
#[test]
fn similar_works_with_deleted_documents_in_the_index() {
    let tree = copy_tree(&examples());
    let files: Vec<std::path::PathBuf> =
        walkdir::WalkDir::new(tree.path()).into_iter().map(|e| e.expect("entry").into_path()).filter(|p| p.is_file()).collect();
    let append = |p: &std::path::Path, extra: &str| {
        let text = std::fs::read_to_string(p).expect("read");
        std::fs::write(p, text + extra).expect("write");
    };
    // A word in every document, twice: more-like-this picks it.
    for p in &files {
        append(p, "\nquuxcommon quuxcommon\n");
    }
    let (_d, store, _) = index_of("ex", tree.path());
    // Update two thirds: their old versions stay in the first segment, deleted.
    for p in files.iter().take(files.len() * 2 / 3) {
        append(p, "\nEdited once more.\n");
    }
    let r = reindex(&store, "ex", tree.path());
    assert!(r.updated >= 10, "{r:?}");
    let searcher = store.reader.searcher();
    let max_doc: u32 = searcher.segment_readers().iter().map(|s| s.max_doc()).sum();
    assert!(u64::from(max_doc) > searcher.num_docs(), "deleted documents are still in the segments");
    let id = q(&store, "quuxcommon").hits[0].id.clone();
    let similar = store.similar(&id, 5, &Access::All).expect("similar answers");
    assert!(!similar.is_empty());
    assert!(similar.iter().all(|s| s.id != id));
}

#[test]
fn schema_version_change_rebuilds_and_first_seen_survives() {
    let (dir, store, _) = index_of("examples", &examples());
    let any = q(&store, "").hits[0].clone();
    let first_seen = store.first_seen(&any.id).expect("first seen recorded");
    drop(store);
    std::fs::write(dir.path().join("schema-version"), "0").expect("write version");
    let store = Store::open(dir.path()).expect("reopen");
    assert_eq!(store.num_docs(), 0, "an index from another schema version is rebuilt");
    reindex(&store, "examples", &examples());
    assert_eq!(store.first_seen(&any.id), Some(first_seen));
}

#[test]
fn second_writer_gets_a_clear_error() {
    let (_d, store, _) = index_of("examples", &examples());
    let _w = store.writer().expect("first writer");
    let Err(err) = store.writer() else { panic!("second writer must fail") };
    assert!(err.to_string().contains("locked by another process"), "{err}");
}

/// A bulk load in several commits ends merged, and the merged-away
/// segments' files are gone from disk (they were kept, doubling the index,
/// while the merge plan still held their metadata).
#[test]
fn bulk_load_merges_and_leaves_no_stale_files() {
    let dir = tempfile::tempdir().expect("tempdir");
    let store = Store::open(dir.path()).expect("open");
    let mut w = store.bulk_writer(900).expect("writer");
    let vocab = Vocab::builtin().expect("vocab");
    // Three sources, three reconciles: three commits, three segments.
    let mut sources = Vec::new();
    for s in 0..3 {
        let src = tempfile::tempdir().expect("tempdir");
        for i in 0..300 {
            let body = format!("# Incident {s}-{i}\n\n## Summary\n\nCache node {i} restarted.\n\n## Root cause\n\nA kernel upgrade.\n");
            std::fs::write(src.path().join(format!("coe-{i:05}.md")), body).expect("write");
        }
        let spec = coe_kb::source::SourceSpec::new(format!("bulk{s}"), src.path());
        coe_kb::source::reconcile(&store, &mut w, &spec, &vocab, 0, &|_, _| {}).expect("reconcile");
        sources.push(src);
    }
    assert!(store.index.searchable_segment_ids().expect("segments").len() >= 2, "several commits, several segments");
    store.finish_bulk(w).expect("finish");
    let segments = store.index.searchable_segment_ids().expect("segments");
    assert_eq!(segments.len(), 1, "under MIN_PARALLEL_DOCS: one segment");
    let live = segments[0].uuid_string();
    let stale: Vec<String> = std::fs::read_dir(dir.path().join("index"))
        .expect("read index dir")
        .filter_map(|e| e.ok().map(|e| e.file_name().to_string_lossy().into_owned()))
        .filter(|n| n.len() >= 32 && n.chars().take(32).all(|c| c.is_ascii_hexdigit()) && !n.starts_with(&live))
        .collect();
    assert!(stale.is_empty(), "files of merged-away segments left behind: {stale:?}");
    assert_eq!(store.num_docs(), 900);
}

/// `coe index` in many commits: the writer's own merge policy used to merge
/// in the background while the bulk load's final merges ran on the same
/// segments, and the second to end failed the whole load ("the segments that
/// were merged could not be found"; seen at 100k). The bulk writer merges
/// nothing on its own, so every commit is still its own segment when the
/// final merge plans, and that merge ends with every document.
#[test]
fn bulk_load_merges_only_at_the_end() {
    let commits = 20;
    let vocab = Vocab::builtin().expect("vocab");
    let dir = tempfile::tempdir().expect("tempdir");
    let store = Store::open(dir.path()).expect("open");
    let mut w = store.bulk_writer(commits).expect("writer");
    let src = tempfile::tempdir().expect("tempdir");
    for c in 0..commits {
        let body = format!("# Incident {c}\n\n## Summary\n\nA disk filled.\n");
        std::fs::write(src.path().join(format!("coe-{c:03}.md")), body).expect("write");
        let spec = coe_kb::source::SourceSpec::new(format!("s{c}"), src.path());
        let report = coe_kb::source::reconcile(&store, &mut w, &spec, &vocab, 0, &|_, _| {}).expect("reconcile");
        assert_eq!(report.added as usize, c + 1);
    }
    // Time enough for a background merge of the first segments to end.
    std::thread::sleep(std::time::Duration::from_millis(300));
    assert_eq!(store.index.searchable_segment_ids().expect("segments").len(), commits, "no merge before the end");
    store.finish_bulk(w).expect("the final merge");
    assert_eq!(store.index.searchable_segment_ids().expect("segments").len(), 1);
    assert_eq!(store.num_docs() as usize, (1..=commits).sum::<usize>());
}

/// A bulk load on several indexing threads (as for a large corpus, here on
/// fewer files) ends with every document once, in the segments of the plan.
#[test]
fn bulk_load_on_several_threads_keeps_every_document() {
    let vocab = Vocab::builtin().expect("vocab");
    let dir = tempfile::tempdir().expect("tempdir");
    let store = Store::open(dir.path()).expect("open");
    let mut w = store.bulk_writer(coe_kb::index::ONE_WRITER_FILES).expect("writer");
    let src = tempfile::tempdir().expect("tempdir");
    for i in 0..600 {
        let body = format!("# Incident {i}\n\n## Summary\n\nQueue {i} backed up.\n\n## Root cause\n\nA consumer stalled.\n");
        std::fs::write(src.path().join(format!("coe-{i:04}.md")), body).expect("write");
    }
    let spec = coe_kb::source::SourceSpec::new("threads", src.path());
    let report = coe_kb::source::reconcile(&store, &mut w, &spec, &vocab, 0, &|_, _| {}).expect("reconcile");
    assert_eq!(report.added, 600);
    store.finish_bulk(w).expect("finish");
    assert_eq!(store.index.searchable_segment_ids().expect("segments").len(), 1, "under MIN_PARALLEL_DOCS: one segment");
    assert_eq!(store.num_docs(), 600);
    let ids = store.state("threads").expect("state");
    assert_eq!(ids.len(), 600, "each path once");
}

#[test]
fn facet_counts_match_the_documents_across_segments() {
    let (_d, store, _) = index_of("examples", &examples());
    // A second source, committed on its own: a second segment whose facet
    // ordinals differ from the first's.
    let copy = copy_tree(&examples());
    std::fs::remove_dir_all(copy.path().join("payments")).ok();
    reindex(&store, "copy", copy.path());
    assert!(store.reader.searcher().segment_readers().len() > 1, "the test needs several segments");
    let vocab = Vocab::builtin().expect("vocab");
    // Everything, a term, a phrase and five words: cheap queries search the
    // segments one after the other, a phrase or many words side by side.
    for q in ["", "outage", "\"root cause\"", "disk cache database certificate deploy"] {
        let req = SearchRequest { q: q.into(), page: 1, per_page: 100, access: Access::All, ..Default::default() };
        let all = store.search(&req, Some(&vocab)).expect("search");
        assert!(all.total > 0, "`{q}` finds CoEs");
        assert_eq!(all.hits.len(), all.total, "one page holds every match of `{q}`");
        let mut expected: std::collections::BTreeMap<&str, std::collections::BTreeMap<String, u64>> = Default::default();
        for h in &all.hits {
            let mut add = |dim: &'static str, v: &str| *expected.entry(dim).or_default().entry(v.to_string()).or_default() += 1;
            h.technologies.iter().for_each(|v| add("technology", v));
            h.services.iter().for_each(|v| add("service", v));
            h.failure_modes.iter().for_each(|v| add("failure_mode", v));
            h.team.iter().for_each(|v| add("team", v));
            h.severity.iter().for_each(|v| add("severity", v));
            h.date.iter().for_each(|v| add("year", &v[..4]));
        }
        for (dim, counts) in &expected {
            // The 50 most frequent values (ties by name); years newest first.
            let mut want: Vec<(String, u64)> = counts.iter().map(|(v, n)| (v.clone(), *n)).collect();
            if *dim == "year" {
                want.sort_by(|a, b| b.0.cmp(&a.0));
            } else {
                want.sort_by(|a, b| b.1.cmp(&a.1).then_with(|| a.0.cmp(&b.0)));
            }
            want.truncate(50);
            let got: Vec<(String, u64)> = all.facets[*dim].iter().map(|f| (f.value.to_string(), f.count)).collect();
            assert_eq!(got, want, "facet `{dim}` of `{q}`");
        }
    }
}

fn reindex_at(store: &Store, name: &str, root: &std::path::Path, now: i64) {
    let vocab = Vocab::builtin().expect("vocab");
    let mut w = store.writer().expect("writer");
    let spec = coe_kb::source::SourceSpec::new(name, root);
    coe_kb::source::reconcile(store, &mut w, &spec, &vocab, now, &|_, _| {}).expect("reconcile");
}

/// Rebuild the index from scratch (as a schema change does) and reopen it.
fn rebuilt(dir: &std::path::Path) -> Store {
    std::fs::write(dir.join("schema-version"), "0").expect("write version");
    let store = Store::open(dir).expect("reopen");
    assert_eq!(store.num_docs(), 0);
    store
}

#[test]
fn first_seen_dates_from_the_old_json_table_carry_over() {
    let (dir, store, _) = index_of("examples", &examples());
    let id = q(&store, "").hits[0].id.clone();
    drop(store);
    // An index from before the log: first_seen.json holds the table.
    std::fs::remove_file(dir.path().join("first_seen.log")).expect("a log was written");
    std::fs::write(dir.path().join("first_seen.json"), format!("{{\"{id}\": 1234567890}}")).expect("write table");
    let store = rebuilt(dir.path());
    reindex(&store, "examples", &examples());
    assert_eq!(store.first_seen(&id), Some(1_234_567_890));
    assert!(!dir.path().join("first_seen.json").exists(), "the table became the log");
    let log = std::fs::read_to_string(dir.path().join("first_seen.log")).expect("log");
    assert!(log.contains(&format!("[\"{id}\",1234567890]")), "{log}");
}

#[test]
fn a_first_seen_line_cut_short_by_a_crash_is_dropped_and_the_log_goes_on() {
    let src = copy_tree(&examples());
    let (dir, store, _) = index_of("examples", src.path());
    drop(store);
    let log = dir.path().join("first_seen.log");
    let mut bytes = std::fs::read(&log).expect("log");
    bytes.extend_from_slice(b"[\"cut-short\",17");
    std::fs::write(&log, bytes).expect("write");
    // A new CoE after the crash: its line must start on a line of its own.
    std::fs::write(src.path().join("late.md"), "# Late arrival\n\n## Summary\n\nThe queue stalled.\n").expect("write");
    let store = rebuilt(dir.path());
    reindex_at(&store, "examples", src.path(), 1_750_000_000);
    let late = q(&store, "arrival").hits[0].id.clone();
    assert_eq!(store.first_seen(&late), Some(1_750_000_000));
    drop(store);
    // Read back after another rebuild: a lost line would take the new date.
    let store = rebuilt(dir.path());
    reindex_at(&store, "examples", src.path(), 1_800_000_000);
    assert_eq!(store.first_seen(&late), Some(1_750_000_000));
    assert!(!std::fs::read_to_string(&log).expect("log").contains("cut-short"));
}

/// The id of the CoE titled `title`.
fn id_titled(store: &Store, title: &str) -> String {
    q(store, "").hits.into_iter().find(|h| h.title == title).map(|h| h.id.to_string()).unwrap_or_else(|| panic!("no CoE titled {title:?}"))
}

#[test]
fn a_few_changes_after_a_restart_keep_their_first_seen_dates() {
    // A restart looks up the first few ids of a batch in the log without
    // reading the whole table: live, re-added and new documents must all get
    // the date the table would give them.
    let src = copy_tree(&examples());
    let (dir, store, _) = index_of("examples", src.path());
    let pool = "Cart service connection pool exhaustion during slow tax lookups";
    let bgp = "BGP route leak at an upstream transit provider blackholed edge traffic from the US West Coast for thirty-eight minutes on a Monday afternoon";
    let (gone, edited) = (id_titled(&store, pool), id_titled(&store, bgp));
    let file = src.path().join("checkout-connection-pool-exhaustion.md");
    let text = std::fs::read_to_string(&file).expect("read");
    std::fs::remove_file(&file).expect("remove");
    reindex_at(&store, "examples", src.path(), 1_710_000_000);
    assert!(q(&store, "HikariCP").hits.iter().all(|h| h.id != gone));
    drop(store);

    // A crash cut the log's last line short; then, after a restart: the
    // removed CoE is back, another is edited, and one is new.
    let log = dir.path().join("first_seen.log");
    let mut bytes = std::fs::read(&log).expect("log");
    bytes.extend_from_slice(b"[\"cut-short\",17");
    std::fs::write(&log, bytes).expect("write");
    std::fs::write(&file, text).expect("restore");
    let bgp_file = src.path().join("bgp-route-leak-transit-provider.md");
    let more = std::fs::read_to_string(&bgp_file).expect("read") + "\nThe provider's quokka report arrived.\n";
    std::fs::write(&bgp_file, more).expect("edit");
    std::fs::write(src.path().join("late.md"), "# Late arrival\n\n## Summary\n\nThe queue stalled.\n").expect("write");
    let store = Store::open(dir.path()).expect("reopen");
    reindex_at(&store, "examples", src.path(), 1_750_000_000);
    let late = id_titled(&store, "Late arrival");
    assert_eq!(store.first_seen(&gone), Some(1_700_000_000), "re-added: the log's date");
    assert_eq!(store.first_seen(&edited), Some(1_700_000_000), "edited: its live copy's date");
    assert_eq!(q(&store, "quokka").hits[0].id, edited);
    assert_eq!(store.first_seen(&late), Some(1_750_000_000), "new: now");
    drop(store);

    // A rebuild reads the whole log: the new line was written on a line of its own.
    let store = rebuilt(dir.path());
    reindex_at(&store, "examples", src.path(), 1_800_000_000);
    assert_eq!(store.first_seen(&late), Some(1_750_000_000));
    assert_eq!(store.first_seen(&gone), Some(1_700_000_000));
    assert!(!std::fs::read_to_string(&log).expect("log").contains("cut-short"));
}
