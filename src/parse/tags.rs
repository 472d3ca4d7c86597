//! Tags: technologies (vocabulary matches with evidence), failure modes (rules
//! from `index-schema/failure_modes.toml`), services affected, and severity.

use crate::model::Evidence;
use crate::parse::pattern;
use crate::vocab::{Vocab, sentence_around};
use regex::Regex;
use std::collections::HashMap;
use std::sync::LazyLock;

/// Text of one section with the weight its mentions carry.
pub struct Weighted<'a> {
    /// Canonical section kind (or `title`).
    pub kind: &'a str,
    /// The text.
    pub text: &'a str,
}

fn weight(kind: &str) -> f32 {
    match kind {
        "title" => 4.0,
        "summary" | "root_cause" | "five_whys" | "trigger" | "contributing_factors" => 2.0,
        "impact" | "timeline" | "resolution" | "preamble" | "detection" | "incident_response" => 1.0,
        "appendix" | "faq" => 0.3,
        _ => 0.8,
    }
}

/// A technology needs this much weight to be a tag: one mention in the title,
/// summary, root cause, impact or timeline, or two elsewhere. A single passing
/// mention in an appendix, an action item or lessons learned is not enough.
const MIN_TECH_SCORE: f32 = 1.0;

/// Technologies mentioned in the text, most prominent first, with evidence.
pub fn technologies(vocab: &Vocab, parts: &[Weighted]) -> (Vec<String>, Vec<Evidence>) {
    let mut score: HashMap<usize, f32> = HashMap::new();
    let mut evidence: HashMap<usize, String> = HashMap::new();
    let mut order: Vec<usize> = Vec::new();
    for p in parts {
        for m in vocab.find_technologies(p.text) {
            *score.entry(m.tech).or_insert(0.0) += weight(p.kind);
            if let std::collections::hash_map::Entry::Vacant(e) = evidence.entry(m.tech) {
                e.insert(sentence_around(p.text, m.start, m.end));
                order.push(m.tech);
            }
        }
    }
    order.retain(|i| score[i] >= MIN_TECH_SCORE);
    order.sort_by(|a, b| score[b].partial_cmp(&score[a]).unwrap_or(std::cmp::Ordering::Equal));
    let names: Vec<String> = order.iter().map(|&i| vocab.technologies[i].name.clone()).collect();
    let ev = order.iter().map(|&i| Evidence { technology: vocab.technologies[i].name.clone(), text: evidence[&i].clone() }).collect();
    (names, ev)
}

/// Failure modes whose rules score at least 2 (a mention in a root-cause
/// section counts 3, in the summary or title 2, elsewhere 1). At most four.
pub fn failure_modes(vocab: &Vocab, parts: &[Weighted]) -> Vec<String> {
    let mut score = vec![0.0f32; vocab.failure_modes.len()];
    let mut counted = vec![0u8; vocab.failure_modes.len()];
    for p in parts {
        let w = match p.kind {
            "root_cause" | "five_whys" | "trigger" | "contributing_factors" => 3.0,
            "title" | "summary" => 2.0,
            "appendix" | "faq" => 0.3,
            _ => 1.0,
        };
        counted.fill(0);
        for rule in vocab.failure_mode_matches(p.text) {
            // At most ten matches of a rule count per part.
            if let (Some(n), Some(s)) = (counted.get_mut(rule), score.get_mut(rule))
                && *n < 10
            {
                *n += 1;
                *s += w;
            }
        }
    }
    let mut scored: Vec<(f32, usize)> = score.into_iter().enumerate().filter(|(_, s)| *s >= 2.0).map(|(i, s)| (s, i)).collect();
    scored.sort_by(|a, b| b.0.partial_cmp(&a.0).unwrap_or(std::cmp::Ordering::Equal));
    scored.into_iter().take(4).map(|(_, i)| vocab.failure_modes[i].id.clone()).collect()
}

static SERVICE_RE: LazyLock<Regex> = LazyLock::new(|| {
    pattern::compile(
        r"\b(?:[Tt]he\s+)?`?([A-Z][A-Za-z0-9]+(?:[ .-][A-Z][A-Za-z0-9]+)?|[a-z][a-z0-9]+(?:-[a-z0-9]+)+)`?\s+(?:service|API|api|microservice|backend|frontend|cluster|website|site|app|endpoint)s?\b",
    )
});

const NOT_SERVICES: &[&str] = &[
    "The",
    "This",
    "That",
    "Our",
    "Their",
    "Its",
    "A",
    "An",
    "All",
    "Any",
    "Each",
    "Every",
    "Some",
    "No",
    "Other",
    "Main",
    "New",
    "Old",
    "Whole",
    "Entire",
    "Affected",
    "Internal",
    "External",
    "Public",
    "Private",
    "Production",
    "Staging",
    "Web",
    "Mobile",
    "Backend",
    "Frontend",
    "Core",
    "Customer",
    // How much of it was hit, not its name ("Total service disruption").
    "Total",
    "Partial",
    "Complete",
    "Full",
    "Major",
    "Minor",
    "Brief",
    "Intermittent",
    "Widespread",
    "Global",
    "Regional",
    "Degraded",
    "Several",
    "Multiple",
    "Many",
    "Most",
    "Both",
];

/// Services affected: known services (config) and "X service" phrases in the
/// Summary and Impact sections.
pub fn services(vocab: &Vocab, parts: &[Weighted], technologies: &[String]) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    for p in parts {
        if !matches!(p.kind, "impact" | "summary" | "title" | "preamble") {
            continue;
        }
        for s in vocab.find_services(p.text) {
            if !out.contains(&s) {
                out.push(s);
            }
        }
        for c in SERVICE_RE.captures_iter(p.text) {
            let Some(m) = c.get(1) else { continue };
            let name = m.as_str().trim();
            let first = name.split([' ', '.', '-']).next().unwrap_or("");
            if NOT_SERVICES.contains(&first) || name.len() < 3 {
                continue;
            }
            if technologies.iter().any(|t| t.eq_ignore_ascii_case(name)) || vocab.canonical_technology(name).is_some() {
                continue;
            }
            // Lowercase hyphenated words are often adjectives ("newly-provisioned
            // service"): keep them when they look like a service name or recur.
            if name.starts_with(|c: char| c.is_ascii_lowercase()) && !looks_like_service(name) {
                let mentions: usize = parts.iter().map(|p| p.text.matches(name).count()).sum();
                if mentions < 2 {
                    continue;
                }
            }
            if !out.iter().any(|o| o.eq_ignore_ascii_case(name)) {
                out.push(name.to_string());
            }
        }
    }
    out.truncate(12);
    out
}

fn looks_like_service(name: &str) -> bool {
    const SUFFIXES: &[&str] = &[
        "-api",
        "-service",
        "-svc",
        "-worker",
        "-workers",
        "-db",
        "-proxy",
        "-gateway",
        "-web",
        "-app",
        "-server",
        "-backend",
        "-frontend",
        "-bff",
        "-router",
        "-sink",
        "-consumer",
        "-producer",
        "-cache",
        "-queue",
        "-scheduler",
        "-cron",
        "-intents",
        "-events",
        "-auth",
        "-store",
    ];
    SUFFIXES.iter().any(|s| name.ends_with(s))
}

static SEV_TEXT_RE: LazyLock<Regex> = LazyLock::new(|| {
    pattern::compile(
        r"(?i)\b(?:sev(?:erity)?[- ]?([0-5])\b|severity\s*(?:level\s*)?[:=]?\s*(critical|high|major|medium|moderate|low|minor)\b|\bP([0-4])\s+incident\b)",
    )
});

/// Normalise a severity to `SEV0` … `SEV5`.
pub fn normalize_severity(s: &str) -> Option<String> {
    let l = s.trim().to_lowercase().replace([' ', '-', '_'], "");
    let digit = |t: &str| t.chars().find(|c| c.is_ascii_digit()).filter(|c| ('0'..='5').contains(c));
    let n = if let Some(rest) = l.strip_prefix("severity").or_else(|| l.strip_prefix("sev")) {
        digit(rest).map(|d| d.to_string()).or_else(|| word_level(rest))
    } else if l.len() == 2 && l.starts_with('p') {
        digit(&l).map(|d| d.to_string())
    } else if l.len() == 1 {
        digit(&l).map(|d| d.to_string())
    } else {
        word_level(&l)
    }?;
    Some(format!("SEV{n}"))
}

fn word_level(w: &str) -> Option<String> {
    let n = match w {
        "critical" | "blocker" | "urgent" => "1",
        "high" | "major" => "2",
        "medium" | "moderate" | "normal" => "3",
        "low" | "minor" => "4",
        "trivial" | "informational" | "info" => "5",
        _ => return None,
    };
    Some(n.to_string())
}

/// A severity stated in the text ("SEV2", "Severity: High", "P1 incident").
pub fn severity_in_text(text: &str) -> Option<String> {
    let c = SEV_TEXT_RE.captures(text)?;
    if let Some(d) = c.get(1).or_else(|| c.get(3)) {
        return Some(format!("SEV{}", d.as_str()));
    }
    c.get(2).and_then(|w| word_level(&w.as_str().to_lowercase())).map(|n| format!("SEV{n}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn severities() {
        assert_eq!(normalize_severity("SEV-2").as_deref(), Some("SEV2"));
        assert_eq!(normalize_severity("high").as_deref(), Some("SEV2"));
        assert_eq!(normalize_severity("P1").as_deref(), Some("SEV1"));
        assert_eq!(normalize_severity("whatever"), None);
        assert_eq!(severity_in_text("This was a Sev 1 outage").as_deref(), Some("SEV1"));
    }

    #[test]
    fn failure_modes_need_evidence() {
        let v = Vocab::builtin().expect("vocab");
        let parts = [Weighted { kind: "root_cause", text: "The TLS certificate expired because renewal was manual." }];
        let fm = failure_modes(&v, &parts);
        assert!(fm.contains(&"certificate-expiry".to_string()), "{fm:?}");
        let none = failure_modes(&v, &[Weighted { kind: "other", text: "A calm day." }]);
        assert!(none.is_empty());
        // Words that name a failure only in context: a card's expiration date
        // is not a certificate's, and an unbound cost is not the DNS resolver.
        let card = [Weighted { kind: "summary", text: "The charge failed: the expiration date of the credit card was invalid." }];
        assert!(failure_modes(&v, &card).is_empty(), "{:?}", failure_modes(&v, &card));
        let cost = [Weighted { kind: "summary", text: "A bug allowed an item to have an unbound CLVM cost." }];
        assert!(!failure_modes(&v, &cost).contains(&"dns".to_string()));
        let cert = [Weighted { kind: "summary", text: "Nobody watched the certificate's expiration date." }];
        assert!(failure_modes(&v, &cert).contains(&"certificate-expiry".to_string()));
        let dns = [Weighted { kind: "root_cause", text: "The Unbound resolvers ran out of memory." }];
        assert!(failure_modes(&v, &dns).contains(&"dns".to_string()));
    }

    #[test]
    fn services_from_impact() {
        let v = Vocab::builtin().expect("vocab");
        let parts = [Weighted {
            kind: "impact",
            text: "The Checkout service and the checkout-api service returned errors. The whole service was down. \
                   Total service disruption lasted an hour, with Partial API outages after.",
        }];
        let s = services(&v, &parts, &[]);
        assert_eq!(s, vec!["Checkout", "checkout-api"]);
    }
}
