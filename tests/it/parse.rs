//! Extraction over the examples: a snapshot of `coe parse --json` for every
//! example, and behaviour every example must show.

use crate::util::{coe, examples};

fn example_files() -> Vec<std::path::PathBuf> {
    let mut v: Vec<_> = walkdir::WalkDir::new(examples())
        .into_iter()
        .filter_map(Result::ok)
        .filter(|e| e.file_type().is_file() && e.path().extension().is_some_and(|x| x == "md"))
        .map(|e| e.into_path())
        .collect();
    v.sort();
    v
}

#[test]
fn there_are_at_least_15_examples() {
    assert!(example_files().len() >= 15);
}

#[test]
fn parse_json_snapshots() {
    for f in example_files() {
        let out = coe().arg("parse").arg(&f).arg("--json").output().expect("run coe parse");
        assert!(out.status.success(), "coe parse {} failed: {}", f.display(), String::from_utf8_lossy(&out.stderr));
        let v: serde_json::Value = serde_json::from_slice(&out.stdout).expect("valid json");
        for key in [
            "id",
            "title",
            "date",
            "severity",
            "status",
            "team",
            "services",
            "technologies",
            "failure_modes",
            "root_causes",
            "summary",
            "sections",
            "five_whys",
            "timeline",
            "action_items",
            "metrics",
            "diagnostics",
        ] {
            assert!(v.get(key).is_some(), "{}: key `{key}` missing from --json", f.display());
        }
        let name = f.strip_prefix(examples()).expect("prefix").to_string_lossy().replace(['/', '.'], "_");
        insta::with_settings!({ snapshot_path => "snapshots", prepend_module_to_snapshot => false }, {
            insta::assert_json_snapshot!(name, v);
        });
    }
}

#[test]
fn every_example_yields_the_core_structure() {
    let vocab = coe_kb::vocab::Vocab::builtin().expect("vocab");
    let mut with_timeline = 0;
    let mut with_actions = 0;
    let mut with_root = 0;
    for f in example_files() {
        let bytes = std::fs::read(&f).expect("read");
        let d = coe_kb::parse::parse(
            coe_kb::parse::Input { source: "examples", path: "x.md", bytes: &bytes, defaults: &Default::default() },
            &vocab,
        );
        assert!(!d.title.is_empty(), "{}: no title", f.display());
        assert!(d.date.is_some(), "{}: no date", f.display());
        assert!(!d.technologies.is_empty(), "{}: no technology", f.display());
        with_timeline += usize::from(d.timeline.len() >= 3);
        with_actions += usize::from(!d.action_items.is_empty());
        with_root += usize::from(!d.root_causes.is_empty());
    }
    let n = example_files().len();
    assert!(with_timeline >= n - 1, "timelines: {with_timeline}/{n}");
    assert!(with_actions >= n - 1, "action items: {with_actions}/{n}");
    assert!(with_root >= n - 2, "root causes: {with_root}/{n}");
}

#[test]
fn hostile_fixtures_do_not_break_parse() {
    let dir = crate::util::root().join("tests/fixtures/hostile");
    for name in ["xss.md", "bomb.md", "nested.md", "latin1.md"] {
        let out = coe().arg("parse").arg(dir.join(name)).arg("--json").output().expect("run");
        assert!(out.status.success(), "{name}: {}", String::from_utf8_lossy(&out.stderr));
    }
    let bomb = coe().args(["parse", "--json"]).arg(dir.join("bomb.md")).output().expect("run");
    let v: serde_json::Value = serde_json::from_slice(&bomb.stdout).expect("json");
    assert_eq!(v["title"], "Alias bomb survivor");
    assert!(v["diagnostics"].as_array().expect("diags").iter().any(|d| d["code"] == "front-matter"));
    let bin = coe().arg("parse").arg(dir.join("binary.md")).output().expect("run");
    assert_eq!(bin.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&bin.stderr).contains("binary"));
}
