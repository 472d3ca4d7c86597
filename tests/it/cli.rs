//! The real `coe` binary: index, search, show, help, and exit codes.

use crate::util::{coe, examples, root};

#[test]
fn index_search_show_round_trip() {
    let dir = tempfile::tempdir().expect("tempdir");
    let out = coe().arg("index").arg(examples()).arg("--index").arg(dir.path()).output().expect("run");
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(stdout.contains("added"), "{stdout}");
    let out = coe().args(["search", "dynamodb", "--json", "--limit", "3"]).arg("--index").arg(dir.path()).output().expect("run");
    assert!(out.status.success());
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).expect("json");
    assert!(v["total"].as_u64().expect("total") >= 2);
    for k in ["id", "title", "date", "score", "snippet", "technologies", "services"] {
        assert!(v["hits"][0].get(k).is_some(), "hit key {k}");
    }
    assert!(v["facets"]["technology"].as_array().is_some_and(|a| !a.is_empty()));
    let id = v["hits"][0]["id"].as_str().expect("id").to_string();
    let out = coe().args(["show", &id]).arg("--index").arg(dir.path()).output().expect("run");
    assert!(out.status.success());
    assert!(String::from_utf8_lossy(&out.stdout).contains(&id));
    // Filters through the CLI, with an alias for the technology.
    let out = coe().args(["search", "--technology", "postgres", "--json"]).arg("--index").arg(dir.path()).output().expect("run");
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).expect("json");
    assert!(v["hits"].as_array().expect("hits").iter().all(|h| h["technologies"].as_array().expect("t").iter().any(|t| t == "PostgreSQL")));
}

#[test]
fn index_reports_skips_and_strict_fails() {
    let dir = tempfile::tempdir().expect("tempdir");
    let out = coe().arg("index").arg(root().join("tests/fixtures/hostile")).arg("--index").arg(dir.path()).output().expect("run");
    assert!(out.status.success(), "bad files never abort an index run");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("binary.md") && stderr.contains("binary file"), "{stderr}");
    let out =
        coe().arg("index").arg(root().join("tests/fixtures/hostile")).arg("--strict").arg("--index").arg(dir.path()).output().expect("run");
    assert_eq!(out.status.code(), Some(1));
}

#[test]
fn helpful_errors() {
    let dir = tempfile::tempdir().expect("tempdir");
    let out = coe().args(["search", "x"]).arg("--index").arg(dir.path().join("none")).output().expect("run");
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("coe index"));
    let out = coe().args(["parse", "/no/such/file.md"]).output().expect("run");
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("/no/such/file.md"));
    let out = coe().arg("--help").output().expect("run");
    assert!(String::from_utf8_lossy(&out.stdout).contains("serve") || String::from_utf8_lossy(&out.stdout).contains("index"));
}

#[test]
fn clap_definition_is_valid() {
    use clap::CommandFactory;
    coe_kb::cli::Cli::command().debug_assert();
}

/// The README's example `coe.toml` uses only keys the code accepts.
#[test]
fn readme_config_example_parses() {
    let readme = std::fs::read_to_string(root().join("README.md")).expect("README");
    let start = readme.find("## Configuration").expect("configuration section");
    let block = &readme[start..];
    let open = block.find("```toml\n").expect("toml block") + "```toml\n".len();
    let close = block[open..].find("```").expect("end of block") + open;
    let cfg: coe_kb::config::FileConfig = toml::from_str(&block[open..close]).expect("README coe.toml example parses");
    assert!(cfg.source.len() >= 2 && cfg.digest.is_some() && !cfg.access.token.is_empty());
    let d = cfg.digest.expect("digest");
    coe_kb::digest::Schedule::parse(&d.schedule, &d.timezone).expect("schedule");
    coe_kb::vocab::Vocab::load(&cfg.vocabulary).expect("vocabulary extension compiles");
}
