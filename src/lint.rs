//! The CoE template's rules: the completeness score shown with every CoE.
//! (The rule-by-rule linter, `coe lint`, builds on the same checks.)

use crate::model::CoeDoc;
use regex::Regex;
use std::sync::LazyLock;

/// Most words a title may have.
pub const MAX_TITLE_WORDS: usize = 20;

static QUANTIFIED: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"(?i)\b\d[\d,.]*\s*(?:%|percent|customers?|users?|requests?|orders?|minutes?|mins?|hours?|hrs?|seconds?|days?|accounts?|errors?|transactions?|jobs?|builds?|pods?|nodes?|sites?|k\b|m\b)|\$\s?\d")
        .expect("quantified regex compiles")
});

/// True when a text states numbers with units (counts, durations, percentages).
pub fn is_quantified(text: &str) -> bool {
    QUANTIFIED.is_match(text)
}

fn has_section(doc: &CoeDoc, kinds: &[&str]) -> bool {
    doc.sections.iter().any(|s| kinds.contains(&s.kind.as_str()) && !s.text.trim().is_empty())
}

/// Completeness score, 0–100. Points:
/// title present and at most 20 words 5; summary 15; metrics/graphs (an image or
/// a link in that section) 5; impact 10, quantified +5; incident response or
/// detection 10; timeline with 3+ entries 10, with derived detection or
/// mitigation times +5; 5 Whys with 3+ levels 10; a root cause 10; action items
/// 10, every one with an owner and a due date +5.
pub fn completeness(doc: &CoeDoc) -> u8 {
    let mut score = 0u32;
    let words = doc.title.split_whitespace().count();
    if words > 0 && words <= MAX_TITLE_WORDS {
        score += 5;
    }
    if has_section(doc, &["summary"]) || (!doc.summary.is_empty() && has_section(doc, &["preamble"])) {
        score += 15;
    }
    let metrics_section = doc.sections.iter().any(|s| s.kind == "metrics");
    if metrics_section && (!doc.images.is_empty() || !doc.links.is_empty()) {
        score += 5;
    }
    if has_section(doc, &["impact"]) {
        score += 10;
        if doc.sections.iter().filter(|s| s.kind == "impact").any(|s| is_quantified(&s.text)) {
            score += 5;
        }
    }
    if has_section(doc, &["incident_response", "detection"]) {
        score += 10;
    }
    if doc.timeline.len() >= 3 {
        score += 10;
        if doc.metrics.time_to_detect_min.is_some() || doc.metrics.time_to_mitigate_min.is_some() {
            score += 5;
        }
    }
    if doc.five_whys.iter().map(|w| w.level).max().unwrap_or(0) >= 3 {
        score += 10;
    }
    if !doc.root_causes.is_empty() {
        score += 10;
    }
    if !doc.action_items.is_empty() {
        score += 10;
        if doc.action_items.iter().all(|a| a.owner.is_some() && a.due.is_some()) {
            score += 5;
        }
    }
    score.min(100) as u8
}

/// `[lint]` in `coe.toml`: rule levels and the lists some rules use.
#[derive(Debug, Clone, Default, serde::Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct LintConfig {
    /// Level per rule id: `error`, `warning`, `info` or `off`.
    #[serde(default)]
    pub rules: std::collections::BTreeMap<String, String>,
    /// People's names that must not appear (the no-names rule).
    #[serde(default)]
    pub names: Vec<String>,
    /// Blameful words and phrases (the blameful-wording rule adds these to its defaults).
    #[serde(default)]
    pub blameful: Vec<String>,
}

/// One lint finding.
#[derive(Debug, Clone, serde::Serialize, serde::Deserialize, PartialEq)]
pub struct Finding {
    /// Stable rule id.
    pub rule: String,
    /// Level.
    pub level: crate::model::Level,
    /// What is wrong.
    pub message: String,
    /// Line (1-based).
    pub line: usize,
    /// Column (1-based).
    pub col: usize,
    /// How to fix it.
    pub hint: Option<String>,
}

/// Check a parsed CoE (and its text) against the template's rules.
pub fn lint_doc(doc: &CoeDoc, _text: &str, _cfg: &LintConfig) -> Vec<Finding> {
    let mut out = Vec::new();
    for (kind, label) in [("summary", "Summary"), ("impact", "Impact"), ("timeline", "Timeline"), ("action_items", "Action Items")] {
        if !has_section(doc, &[kind]) {
            out.push(Finding {
                rule: "required-section".into(),
                level: crate::model::Level::Error,
                message: format!("missing or empty section: {label}"),
                line: 1,
                col: 1,
                hint: Some(format!("add a `## {label}` section")),
            });
        }
    }
    out
}

/// `coe lint PATH...`: print findings; exit 0 clean, 1 on errors (warnings too with `strict`).
pub fn run(paths: &[std::path::PathBuf], format: crate::cli::LintFormat, strict: bool, config: Option<&std::path::Path>) -> anyhow::Result<std::process::ExitCode> {
    let _ = (paths, format, strict, config);
    anyhow::bail!("coe lint is not available yet")
}

/// `coe new TITLE`: write a CoE from the template; returns its path.
pub fn new_coe(title: &str, team: Option<&str>, dir: &std::path::Path, today: chrono::NaiveDate) -> anyhow::Result<std::path::PathBuf> {
    let _ = (title, team, dir, today);
    anyhow::bail!("coe new is not available yet")
}
