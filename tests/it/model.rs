//! Property tests. A model test: random create / edit / rename / delete /
//! restart sequences against a real directory; once quiet, the index equals a
//! model of the file system. And a fuzz-style property: the parser is total
//! (never panics) on arbitrary and Markdown-shaped input.

use coe_kb::index::Store;
use coe_kb::parse::{self, Defaults};
use coe_kb::source::{self, SourceSpec};
use coe_kb::vocab::Vocab;
use proptest::prelude::*;
use std::collections::BTreeMap;
use std::sync::LazyLock;

static VOCAB: LazyLock<Vocab> = LazyLock::new(|| Vocab::builtin().expect("vocab"));

#[derive(Debug, Clone)]
enum Op {
    Create(u8, u8),
    Edit(u8, u8),
    Rename(u8, u8),
    Delete(u8),
    Restart,
    Reconcile,
}

fn op() -> impl Strategy<Value = Op> {
    prop_oneof![
        3 => (0u8..8, 0u8..4).prop_map(|(f, d)| Op::Create(f, d)),
        3 => (0u8..8, 0u8..200).prop_map(|(f, w)| Op::Edit(f, w)),
        2 => (0u8..8, 0u8..8).prop_map(|(a, b)| Op::Rename(a, b)),
        2 => (0u8..8).prop_map(Op::Delete),
        1 => Just(Op::Restart),
        2 => Just(Op::Reconcile),
    ]
}

fn name(f: u8) -> String {
    // Names with spaces, dashes, dots and non-ASCII: ids must stay one per file.
    let names = ["a.md", "b c.md", "sub/d-e.md", "sub/deep/f.md", "g.v2.md", "caf\u{e9}.md", "h_i.md", "sub/j.md"];
    names[f as usize % names.len()].to_string()
}

fn body(word: u8) -> String {
    format!("# Title {word}\n\n## Summary\n\nword{word} happened with Kafka.\n\n## Timeline\n\n- 10:00 UTC deploy started\n")
}

fn indexed(store: &Store) -> BTreeMap<String, u64> {
    store.state("m").expect("state").into_iter().map(|(p, ix)| (p, ix.file.hash)).collect()
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 24, ..ProptestConfig::default() })]

    #[test]
    fn index_converges_to_the_file_system(ops in proptest::collection::vec(op(), 1..25)) {
        let tree = tempfile::tempdir().expect("tree");
        let data = tempfile::tempdir().expect("data");
        let spec = SourceSpec::new("m", tree.path());
        let mut store = Store::open(data.path()).expect("open");
        let mut writer = store.writer().expect("writer");
        let mut model: BTreeMap<String, String> = BTreeMap::new();
        for op in ops {
            match op {
                Op::Create(f, d) | Op::Edit(f, d) => {
                    let p = tree.path().join(name(f));
                    std::fs::create_dir_all(p.parent().expect("parent")).expect("mkdir");
                    let text = body(d);
                    std::fs::write(&p, &text).expect("write");
                    model.insert(name(f), text);
                }
                Op::Rename(a, b) => {
                    if a != b && model.contains_key(&name(a)) {
                        let to = tree.path().join(name(b));
                        std::fs::create_dir_all(to.parent().expect("parent")).expect("mkdir");
                        std::fs::rename(tree.path().join(name(a)), &to).expect("rename");
                        let text = model.remove(&name(a)).expect("model");
                        model.insert(name(b), text);
                    }
                }
                Op::Delete(f) => {
                    if model.remove(&name(f)).is_some() {
                        std::fs::remove_file(tree.path().join(name(f))).expect("rm");
                    }
                }
                Op::Restart => {
                    // As a process that exits: the writer's threads end (and
                    // its lock is released) before the index opens again.
                    writer.wait_merging_threads().expect("the writer stops");
                    drop(store);
                    store = Store::open(data.path()).expect("reopen");
                    writer = store.writer().expect("writer");
                }
                Op::Reconcile => {
                    source::reconcile(&store, &mut writer, &spec, &VOCAB, 0, &|_, _| {}).expect("reconcile");
                }
            }
        }
        source::reconcile(&store, &mut writer, &spec, &VOCAB, 0, &|_, _| {}).expect("reconcile");
        let expected: BTreeMap<String, u64> = model.iter().map(|(p, t)| (p.clone(), xxhash_rust::xxh3::xxh3_64(t.as_bytes()))).collect();
        prop_assert_eq!(indexed(&store), expected.clone());
        prop_assert_eq!(store.num_docs() as usize, expected.len(), "exactly one document per file");
    }
}

/// Fuzzing cases per property: `COE_FUZZ_CASES` (default 256); long runs use
/// e.g. `COE_FUZZ_CASES=2000000 cargo test --release --test it parser_is_total`.
fn fuzz_config() -> ProptestConfig {
    let cases = std::env::var("COE_FUZZ_CASES").ok().and_then(|v| v.parse().ok()).unwrap_or(256);
    ProptestConfig { cases, ..ProptestConfig::default() }
}

proptest! {
    #![proptest_config(fuzz_config())]

    #[test]
    fn parser_is_total_on_arbitrary_bytes(bytes in proptest::collection::vec(any::<u8>(), 0..4096)) {
        let d = parse::parse(parse::Input { source: "f", path: "x.md", bytes: &bytes, defaults: &Defaults::default() }, &VOCAB);
        prop_assert!(d.completeness <= 100);
    }

    #[test]
    fn parser_is_total_on_markdown_shaped_input(parts in proptest::collection::vec(markdown_piece(), 0..60)) {
        let text: String = parts.concat();
        let d = parse::parse(parse::Input { source: "f", path: "2024-01-02-x.md", bytes: text.as_bytes(), defaults: &Defaults::default() }, &VOCAB);
        let html = parse::markdown::render_html(&text, 0);
        prop_assert!(!html.contains("<script"));
        for s in &d.sections {
            prop_assert!(s.line_start <= s.line_end);
        }
    }
}

fn markdown_piece() -> impl Strategy<Value = String> {
    prop_oneof![
        Just("---\ntitle: x\ndate: 2024-02-30\n---\n".to_string()),
        Just("+++\ntitle = 1\n[extra]\n+++\n".to_string()),
        Just("# Title\n".to_string()),
        Just("## Timeline (all times PST)\n".to_string()),
        Just("## Action Items\n".to_string()),
        Just("## 5 Whys\n".to_string()),
        Just("## Root Cause\n".to_string()),
        Just("### 14:05\n".to_string()),
        Just("- [ ] do it (owner: x, due 2024-13-45, P9)\n".to_string()),
        Just("- [x] ~~done~~\n".to_string()),
        Just("| Time | Event |\n|---|---|\n| 25:99 | bad |\n".to_string()),
        Just("| Action | Owner |\n|--|\n".to_string()),
        Just("1. Why? Because.\n3a. Why?\n".to_string()),
        Just("> > > > >\n".to_string()),
        Just("<script>alert(1)</script>\n".to_string()),
        Just("[x](javascript:alert(1))\n".to_string()),
        Just("```\ncode\n".to_string()),
        Just("\r\n".to_string()),
        Just("\u{feff}".to_string()),
        "[ -~]{0,80}\n",
        "[0-9:APMUTCapm ./-]{0,30}\n",
    ]
}
