//! `coe lint` and `coe new`: a passing and a failing fixture for every rule,
//! accurate positions, levels from coe.toml, snapshots of the text, JSON and
//! SARIF output (the SARIF validated against the published 2.1.0 schema), exit
//! codes, the template, and a run over ../shared/corpus.

use crate::util::{coe, root};
use coe_kb::lint::{self, Finding, LintConfig, RULES};
use coe_kb::vocab::Vocab;
use std::path::{Path, PathBuf};

fn fixtures() -> PathBuf {
    root().join("tests/fixtures/lint")
}

/// The `[lint]` table of tests/fixtures/lint/coe.toml (a names list and an extra blameful phrase).
fn config() -> LintConfig {
    coe_kb::config::read_file(&fixtures().join("coe.toml")).expect("fixture config").lint
}

fn lint_file(path: &Path, cfg: &LintConfig) -> lint::FileReport {
    let bytes = std::fs::read(path).expect("read fixture");
    let vocab = Vocab::builtin().expect("vocab");
    lint::lint_bytes(&path.display().to_string(), &bytes, cfg, &vocab)
}

fn rules_of(findings: &[Finding]) -> Vec<&str> {
    let mut v: Vec<&str> = findings.iter().map(|f| f.rule.as_str()).collect();
    v.dedup();
    v
}

#[test]
fn clean_fixture_has_no_findings_and_full_score() {
    let r = lint_file(&fixtures().join("clean.md"), &config());
    assert_eq!(r.findings, vec![], "clean.md");
    assert_eq!(r.completeness, 100);
}

#[test]
fn every_rule_has_a_passing_and_a_failing_fixture() {
    let cfg = config();
    for rule in RULES {
        let pass = fixtures().join("pass").join(format!("{}.md", rule.id));
        let fail = fixtures().join("fail").join(format!("{}.md", rule.id));
        let p = lint_file(&pass, &cfg);
        assert_eq!(p.findings, vec![], "pass/{}.md must lint clean", rule.id);
        let f = lint_file(&fail, &cfg);
        assert!(!f.findings.is_empty(), "fail/{}.md must trip its rule", rule.id);
        assert_eq!(rules_of(&f.findings), vec![rule.id], "fail/{}.md must trip only its rule: {:#?}", rule.id, f.findings);
        assert!(f.findings.iter().all(|x| x.level == rule.level), "default level of {}", rule.id);
        assert!(f.findings.iter().all(|x| x.hint.as_deref().is_some_and(|h| !h.is_empty())), "every finding has a hint");
    }
    // No stray fixtures for rules that do not exist.
    for dir in ["pass", "fail"] {
        for e in std::fs::read_dir(fixtures().join(dir)).expect("fixture dir") {
            let name = e.expect("entry").file_name().to_string_lossy().trim_end_matches(".md").to_string();
            assert!(lint::rule(&name).is_some(), "{dir}/{name}.md names no rule");
        }
    }
}

/// Word-level findings point at the word they quote.
#[test]
fn positions_point_at_the_words() {
    let cfg = config();
    for (file, quote) in
        [("fail/third-person.md", '"'), ("fail/no-names.md", '`'), ("fail/blameful-wording.md", '"'), ("fail/placeholder-text.md", '`')]
    {
        let path = fixtures().join(file);
        let text = std::fs::read_to_string(&path).expect("read");
        let r = lint_file(&path, &cfg);
        for f in &r.findings {
            let word = f.message.split(quote).nth(1).expect("a quoted word in the message");
            let line = text.lines().nth(f.line - 1).expect("line exists");
            let at: String = line.chars().skip(f.col - 1).take(word.chars().count()).collect();
            assert_eq!(at, word, "{file}:{}:{} {}", f.line, f.col, f.message);
        }
    }
    // Section findings point at their heading.
    let r = lint_file(&fixtures().join("fail/required-section.md"), &cfg);
    let text = std::fs::read_to_string(fixtures().join("fail/required-section.md")).expect("read");
    for f in r.findings.iter().filter(|f| f.message.contains("is empty")) {
        assert!(text.lines().nth(f.line - 1).expect("line").starts_with("## "), "{f:?}");
    }
}

#[test]
fn levels_come_from_config() {
    let path = fixtures().join("fail/third-person.md");
    let mut cfg = config();
    cfg.rules.insert("third-person".into(), "error".into());
    let r = lint_file(&path, &cfg);
    assert!(r.findings.iter().all(|f| f.level == coe_kb::model::Level::Error));
    cfg.rules.insert("third-person".into(), "off".into());
    assert_eq!(lint_file(&path, &cfg).findings, vec![]);
    // A cap per rule, then one finding that counts the rest.
    let mut cfg = config();
    cfg.max_per_rule = Some(1);
    let r = lint_file(&path, &cfg);
    assert_eq!(r.findings.len(), 2);
    assert!(r.findings[1].message.starts_with("2 more `third-person` findings"), "{:?}", r.findings[1]);
    // The names list is case-sensitive: "Will" is a name, "will" is not.
    let r = lint_file(&fixtures().join("pass/no-names.md"), &config());
    assert_eq!(r.findings, vec![]);
}

fn run_in_fixtures(args: &[&str]) -> std::process::Output {
    coe().current_dir(fixtures()).arg("lint").args(args).output().expect("run coe lint")
}

#[test]
fn text_output_snapshot() {
    let out = run_in_fixtures(&["fail"]);
    assert_eq!(out.status.code(), Some(1), "{}", String::from_utf8_lossy(&out.stderr));
    let stdout = String::from_utf8(out.stdout).expect("utf-8");
    for line in stdout.lines().filter(|l| !l.starts_with("  = hint: ") && !l.contains("files checked")) {
        // path:line:col: level[rule-id]: message
        let mut parts = line.splitn(4, ':');
        let path = parts.next().expect("path");
        assert!(path.starts_with("fail/") && path.ends_with(".md"), "{line}");
        assert!(parts.next().expect("line").parse::<usize>().is_ok(), "{line}");
        assert!(parts.next().expect("col").parse::<usize>().is_ok(), "{line}");
        let rest = parts.next().expect("rest");
        assert!(rest.starts_with(" error[") || rest.starts_with(" warning[") || rest.starts_with(" info["), "{line}");
    }
    insta::with_settings!({ snapshot_path => "snapshots", prepend_module_to_snapshot => false }, {
        insta::assert_snapshot!("lint_text", stdout);
    });
}

#[test]
fn json_output_snapshot() {
    let out = run_in_fixtures(&["fail", "--format", "json"]);
    assert_eq!(out.status.code(), Some(1));
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).expect("json");
    assert_eq!(v["summary"]["files"], 13);
    insta::with_settings!({ snapshot_path => "snapshots", prepend_module_to_snapshot => false }, {
        insta::assert_json_snapshot!("lint_json", v);
    });
}

#[test]
fn sarif_output_snapshot_and_schema() {
    let out = run_in_fixtures(&["fail", "clean.md", "--format", "sarif"]);
    assert_eq!(out.status.code(), Some(1));
    let mut v: serde_json::Value = serde_json::from_slice(&out.stdout).expect("json");
    assert_eq!(v["version"], "2.1.0");
    assert_eq!(v["$schema"], "https://json.schemastore.org/sarif-2.1.0.json");
    let run = &v["runs"][0];
    assert_eq!(run["tool"]["driver"]["name"], "coe-lint");
    let ids: Vec<&str> = run["tool"]["driver"]["rules"].as_array().expect("rules").iter().map(|r| r["id"].as_str().expect("id")).collect();
    assert_eq!(ids, RULES.iter().map(|r| r.id).collect::<Vec<_>>());
    for r in run["results"].as_array().expect("results") {
        assert!(["error", "warning", "note"].contains(&r["level"].as_str().expect("level")));
        let loc = &r["locations"][0]["physicalLocation"];
        assert!(loc["artifactLocation"]["uri"].as_str().expect("uri").starts_with("fail/"));
        assert!(loc["region"]["startLine"].as_u64().expect("line") >= 1);
        assert!(loc["region"]["startColumn"].as_u64().expect("col") >= 1);
    }
    // Validate against the published SARIF 2.1.0 schema (draft-04), formats included.
    let schema: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(fixtures().join("sarif-schema-2.1.0.json")).expect("schema")).expect("schema json");
    let validator = jsonschema::draft4::options().should_validate_formats(true).build(&schema).expect("schema compiles");
    let errors: Vec<String> = validator.iter_errors(&v).map(|e| format!("{} at {}", e, e.instance_path())).collect();
    assert!(errors.is_empty(), "SARIF does not validate: {errors:#?}");
    // The schema does catch mistakes.
    let mut bad = v.clone();
    bad["runs"][0]["results"][0]["level"] = "fatal".into();
    assert!(!validator.is_valid(&bad));
    // The snapshot does not change with the crate version.
    let driver = &mut v["runs"][0]["tool"]["driver"];
    driver["version"] = "[version]".into();
    driver["semanticVersion"] = "[version]".into();
    if let Some(d) = driver.as_object_mut() {
        d.remove("informationUri");
    }
    insta::with_settings!({ snapshot_path => "snapshots", prepend_module_to_snapshot => false }, {
        insta::assert_json_snapshot!("lint_sarif", v);
    });
}

#[test]
fn exit_codes() {
    let code = |args: &[&str]| run_in_fixtures(args).status.code();
    assert_eq!(code(&["clean.md"]), Some(0));
    assert_eq!(code(&["pass"]), Some(0));
    // Warnings fail only with --strict; infos never.
    assert_eq!(code(&["fail/metrics-graphs.md"]), Some(0));
    assert_eq!(code(&["fail/metrics-graphs.md", "--strict"]), Some(1));
    assert_eq!(code(&["fail/empty-section.md", "--strict"]), Some(0));
    assert_eq!(code(&["fail/title-length.md"]), Some(1));
    // Usage errors.
    let out = run_in_fixtures(&["no-such-file.md"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("no-such-file.md"));
    let dir = tempfile::tempdir().expect("tempdir");
    let bad = dir.path().join("coe.toml");
    std::fs::write(&bad, "[lint]\nrules = { \"third-persn\" = \"error\" }\n").expect("write");
    let out = run_in_fixtures(&["clean.md", "--config", bad.to_str().expect("utf-8 path")]);
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("third-persn"), "{}", String::from_utf8_lossy(&out.stderr));
    std::fs::write(&bad, "[lint]\nrules = { \"third-person\" = \"fatal\" }\n").expect("write");
    let out = run_in_fixtures(&["clean.md", "--config", bad.to_str().expect("utf-8 path")]);
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("fatal"));
    std::fs::write(&bad, "[lint]\nnmaes = [\"x\"]\n").expect("write");
    let out = run_in_fixtures(&["clean.md", "--config", bad.to_str().expect("utf-8 path")]);
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("nmaes"));
    // A config can turn a failing rule off.
    std::fs::write(&bad, "[lint]\nrules = { \"title-length\" = \"off\" }\n").expect("write");
    let out = run_in_fixtures(&["fail/title-length.md", "--config", bad.to_str().expect("utf-8 path")]);
    assert_eq!(out.status.code(), Some(0));
}

#[test]
fn new_coe_lints_to_exactly_the_unwritten_sections() {
    let dir = tempfile::tempdir().expect("tempdir");
    let today = chrono::NaiveDate::from_ymd_opt(2024, 6, 13).expect("date");
    let path = lint::new_coe("DynamoDB throttling: checkout failed for 47 minutes", Some("payments"), dir.path(), today).expect("new");
    assert_eq!(path.file_name().expect("name"), "2024-06-13-dynamodb-throttling-checkout-failed-for-47-minutes.md");
    let text = std::fs::read_to_string(&path).expect("read");
    assert!(text.contains("date: 2024-06-13") && text.contains("team: \"payments\""), "{text}");
    assert!(text.contains("# DynamoDB throttling: checkout failed for 47 minutes"));
    // Never overwrites.
    let e = lint::new_coe("DynamoDB throttling: checkout failed for 47 minutes", None, dir.path(), today).expect_err("exists");
    assert!(e.to_string().contains("already exists"), "{e}");
    assert_eq!(std::fs::read_to_string(&path).expect("read"), text);
    let r = lint_file(&path, &LintConfig::default());
    let got: Vec<(&str, &str)> = r.findings.iter().map(|f| (f.rule.as_str(), f.message.as_str())).collect();
    assert_eq!(
        got,
        vec![
            ("required-section", "section `Summary` is empty"),
            ("metrics-graphs", "section `Metrics / Graphs` is empty"),
            ("required-section", "section `Impact` is empty"),
            ("required-section", "section `Incident Response` is empty"),
            ("required-section", "section `Timeline` is empty"),
            ("required-section", "section `5 Whys` is empty"),
            ("required-section", "section `Root Cause` is empty"),
            ("required-section", "section `Action Items` is empty"),
        ]
    );
    // Each finding points at its heading.
    for f in &r.findings {
        assert!(text.lines().nth(f.line - 1).expect("line").starts_with("## "), "{f:?}");
    }
    assert_eq!(r.completeness, 5, "only the title counts");
    // The parsed front matter: a draft of the team, with no severity claimed yet.
    let doc = coe_kb::parse::parse(
        coe_kb::parse::Input { source: "t", path: "x.md", bytes: text.as_bytes(), defaults: &Default::default() },
        &Vocab::builtin().expect("vocab"),
    );
    assert_eq!(doc.title, "DynamoDB throttling: checkout failed for 47 minutes");
    assert_eq!((doc.team.as_deref(), doc.status.as_deref(), doc.severity.as_deref()), (Some("payments"), Some("draft"), None));
    assert!(doc.diagnostics.is_empty(), "{:?}", doc.diagnostics);
}

#[test]
fn new_through_the_binary() {
    let dir = tempfile::tempdir().expect("tempdir");
    let out = coe().args(["new", "Cache eviction logged out 8% of users", "--dir"]).arg(dir.path()).output().expect("run");
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let path = PathBuf::from(String::from_utf8_lossy(&out.stdout).trim().to_string());
    assert!(path.starts_with(dir.path()) && path.is_file(), "{path:?}");
    let name = path.file_name().expect("name").to_string_lossy().into_owned();
    assert!(name.ends_with("-cache-eviction-logged-out-8-of-users.md"), "{name}");
    let out = coe().args(["new", "Cache eviction logged out 8% of users", "--dir"]).arg(dir.path()).output().expect("run");
    assert_eq!(out.status.code(), Some(2));
    let out = coe().arg("lint").arg(&path).output().expect("run");
    assert_eq!(out.status.code(), Some(1));
    assert_eq!(String::from_utf8_lossy(&out.stdout).lines().filter(|l| l.contains("is empty")).count(), 8);
}

/// The development corpus (../shared/corpus), when present: no crash, JSON out.
#[test]
fn lints_the_shared_corpus() {
    let corpus = root().join("../shared/corpus");
    if !corpus.is_dir() {
        assert!(std::env::var_os("CI").is_none(), "CI must have ../shared/corpus");
        eprintln!("skipping: no ../shared/corpus");
        return;
    }
    let out = coe().arg("lint").arg(&corpus).args(["--format", "json"]).output().expect("run");
    assert!(matches!(out.status.code(), Some(0 | 1)), "exit {:?}: {}", out.status.code(), String::from_utf8_lossy(&out.stderr));
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).expect("json");
    let files = v["files"].as_array().expect("files");
    assert!(files.len() >= 100, "{} files", files.len());
    for f in files {
        let score = f["completeness"].as_u64().expect("score");
        assert!(score <= 100);
        // No flood: each rule shows at most max_per_rule findings plus one summary.
        let mut per_rule = std::collections::BTreeMap::<&str, usize>::new();
        for x in f["findings"].as_array().expect("findings") {
            *per_rule.entry(x["rule"].as_str().expect("rule")).or_default() += 1;
        }
        assert!(per_rule.values().all(|&n| n <= lint::DEFAULT_MAX_PER_RULE + 1), "{}: {per_rule:?}", f["path"]);
    }
}
