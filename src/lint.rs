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
