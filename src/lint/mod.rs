//! The CoE template's rules: the completeness score shown with every CoE, and
//! the rule-by-rule linter behind `coe lint` (and the findings on a CoE page).
//!
//! Each rule has a stable kebab-case id and a default level; `[lint]` in
//! `coe.toml` changes levels (`rules = { "third-person" = "error" }`, `"off"`
//! disables a rule) and supplies the lists some rules use. [`lint_doc`] checks
//! one parsed document; [`run`] is the command; [`new_coe`] writes a new CoE
//! from `index-schema/template.md`.

mod checks;
mod new;
mod output;
mod prose;

pub use new::{new_coe, slugify};

use crate::model::{CoeDoc, Level};
use crate::parse::pattern;
use regex::Regex;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::sync::LazyLock;

/// Most words a title may have: the template asks for a title *under* twenty words.
pub const MAX_TITLE_WORDS: usize = 19;

/// How many findings of one rule a file shows by default; the rest are counted
/// in one closing finding (`[lint] max_per_rule`, 0 for no limit).
pub const DEFAULT_MAX_PER_RULE: usize = 10;

static QUANTIFIED: LazyLock<Regex> = LazyLock::new(|| {
    pattern::compile(concat!(
        r"(?i)\b\d[\d,.]*\s*(?:%|percent|customers?|users?|clients?|accounts?|tenants?|merchants?|sellers?|members?|people|visitors?|",
        r"requests?|calls?|queries|query|messages?|orders?|transactions?|payments?|attempts?|sessions?|logins?|errors?|failures?|",
        r"jobs?|builds?|deploys?|deployments?|pods?|nodes?|hosts?|servers?|instances?|machines?|vms?|clusters?|regions?|zones?|sites?|",
        r"packages?|crates?|downloads?|repos(?:itories)?|projects?|files?|records?|rows?|items?|events?|emails?|tickets?|",
        r"milliseconds?|ms\b|seconds?|secs?\b|s\b|minutes?|mins?\b|m\b|hours?|hrs?\b|h\b|days?|d\b|weeks?|months?|",
        r"[kmbt]?b\b|[kmg]bps\b|rps\b|qps\b|k\b|x\b|times\b)",
        r"|[$€£]\s?\d",
        r"|\b(?:no|zero|none of the)\s+(?:\w+\s+)?(?:customers?|users?|clients?|accounts?|packages?|crates?|data|requests?|orders?|payments?|transactions?|records?|funds|credentials?|tokens?|downtime|impact)\b",
        r"|\b\d{1,2}:\d{2}\s*(?:[ap]\.?m\.?\s*)?(?:[a-z]{2,4}\s*)?(?:-|–|—|to|until|through)\s*\d{1,2}:\d{2}",
    ))
});

/// True when a text states numbers with units (counts, durations, percentages,
/// money, or a time range such as `14:02 to 14:49`).
pub fn is_quantified(text: &str) -> bool {
    QUANTIFIED.is_match(text)
}

static PLACEHOLDER: LazyLock<Regex> = LazyLock::new(|| {
    pattern::compile(
        r"(?i)^[\s\-–—.…*_>|:]*(?:todo|tbd|tba|tbc|n/?a|none yet|to be (?:written|determined|completed|added)|coming soon|fill (?:me )?in|placeholder|xxx|\.\.\.)?[\s\-–—.…*_>|:!]*$",
    )
});

/// True when a section body has real content: not empty, and not only a
/// placeholder such as `TODO`, `TBD`, `N/A` or `…`.
pub fn is_written(text: &str) -> bool {
    !PLACEHOLDER.is_match(text.trim())
}

fn has_section(doc: &CoeDoc, kinds: &[&str]) -> bool {
    doc.sections.iter().any(|s| kinds.contains(&s.kind.as_str()) && is_written(&s.text))
}

/// Completeness score, 0–100. Points:
/// title present and under 20 words ([`MAX_TITLE_WORDS`]) 5; summary 15;
/// metrics/graphs (an image or a link in that section) 5; impact 10,
/// quantified ([`is_quantified`]) +5; incident response or detection 10;
/// timeline with 3+ entries 10, with derived detection or mitigation times +5;
/// 5 Whys with 3+ levels 10; a root cause 10; action items 10, every one with
/// an owner and a due date +5. A section counts when it has content beyond a
/// placeholder (`TODO`, `TBD`, …; see [`is_written`]), so a fresh `coe new`
/// file scores 5 (its title).
pub fn completeness(doc: &CoeDoc) -> u8 {
    let mut score = 0u32;
    let words = title_words(&doc.title);
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

/// Words of a title (tokens with at least one letter or digit).
pub fn title_words(title: &str) -> usize {
    title.split_whitespace().filter(|w| w.chars().any(char::is_alphanumeric)).count()
}

/// One lint rule: a stable id, a default level, and its documentation.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Rule {
    /// Stable kebab-case id, used in output and in `[lint] rules`.
    pub id: &'static str,
    /// Level when `coe.toml` says nothing.
    pub level: Level,
    /// One line: what the rule checks.
    pub summary: &'static str,
    /// How to satisfy it.
    pub help: &'static str,
}

/// Every rule, in the order they are documented.
pub const RULES: &[Rule] = &[
    Rule {
        id: "required-section",
        level: Level::Error,
        summary: "Required sections are present and not empty: Summary, Impact, Incident Response, Timeline, 5 Whys or Root Cause, Action Items.",
        help: "Add the missing section under its usual heading (`coe new` writes them all), and replace the guiding comment in each with content.",
    },
    Rule {
        id: "metrics-graphs",
        level: Level::Warning,
        summary: "A Metrics / Graphs section shows at least one graph (an image) or a dashboard link.",
        help: "Add a `## Metrics / Graphs` section with one or two graphs of the lead-up, the impact and the recovery, or a link to the dashboard.",
    },
    Rule {
        id: "title-length",
        level: Level::Error,
        summary: "The CoE has a title, under 20 words.",
        help: "Give the CoE a `title:` in front matter or a `# Title` heading that briefly states the issue and its impact in under 20 words.",
    },
    Rule {
        id: "third-person",
        level: Level::Warning,
        summary: "The text is written in the third person: no \"I\", \"we\", \"our\" or \"us\" outside quotes, code and headings.",
        help: "Name the team or the role instead: \"the payments team\", \"an on-call engineer\".",
    },
    Rule {
        id: "no-names",
        level: Level::Error,
        summary: "No people are named: no personal e-mail addresses, no @handles, no names from `[lint] names`.",
        help: "Refer to people by role (\"an engineer on the checkout team\"); team addresses such as security@ and team handles are fine.",
    },
    Rule {
        id: "five-whys-depth",
        level: Level::Warning,
        summary: "The 5 Whys go at least three levels deep and end in a root cause.",
        help: "Keep asking why of each answer until no question is left; label the last answer `Root cause:` or add a `## Root Cause` section.",
    },
    Rule {
        id: "action-item-fields",
        level: Level::Warning,
        summary: "Every action item has a title, a severity or priority, an owner, and a due date that parses.",
        help: "Use a table `| Action | Severity | Owner | Due | Status |`, or write `P1`, `owner: team`, `due: 2024-07-01` in each list item.",
    },
    Rule {
        id: "impact-quantified",
        level: Level::Warning,
        summary: "The Impact section quantifies the impact: counts, durations, percentages, customers.",
        help: "State numbers with units: how long (47 minutes), how many (12,480 requests, 9,310 customers), how much (18% of checkouts).",
    },
    Rule {
        id: "timeline-complete",
        level: Level::Warning,
        summary: "Timeline entries have times of day, and the timeline includes detection and mitigation.",
        help: "Start each entry with a date, time and zone (`- 2024-01-01 14:02 UTC — …`), and include when the issue was detected and when it was mitigated.",
    },
    Rule {
        id: "blameful-wording",
        level: Level::Warning,
        summary: "No blameful wording (\"human error\", \"careless\", …; extend the list with `[lint] blameful`).",
        help: "Describe the gap in the system or process (a missing guardrail, test or alarm), not a person's failing.",
    },
    Rule {
        id: "empty-section",
        level: Level::Info,
        summary: "Other sections are not left empty.",
        help: "Write the section or remove its heading.",
    },
    Rule {
        id: "placeholder-text",
        level: Level::Info,
        summary: "No TODO, TBD, FIXME or XXX markers are left in the text.",
        help: "Replace the marker with the missing content.",
    },
    Rule {
        id: "parse-diagnostic",
        level: Level::Warning,
        summary: "The document can be read in full (valid UTF-8, valid front matter).",
        help: "Fix the front matter (YAML between `---` lines, or TOML between `+++` lines) or the file's encoding.",
    },
];

/// The rule with this id.
pub fn rule(id: &str) -> Option<&'static Rule> {
    RULES.iter().find(|r| r.id == id)
}

/// `[lint]` in `coe.toml`: rule levels and the lists some rules use.
#[derive(Debug, Clone, Default, serde::Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct LintConfig {
    /// Level per rule id: `error`, `warning`, `info` or `off`.
    #[serde(default)]
    pub rules: BTreeMap<String, String>,
    /// People's names that must not appear (the no-names rule), matched as
    /// whole words and case-sensitively, so `Will` does not match `will`.
    #[serde(default)]
    pub names: Vec<String>,
    /// Blameful words and phrases (the blameful-wording rule adds these to its defaults).
    #[serde(default)]
    pub blameful: Vec<String>,
    /// Globs (relative to each folder given to `coe lint`) of files not to check, e.g. `templates/**`.
    #[serde(default)]
    pub exclude: Vec<String>,
    /// Findings of one rule shown per file before the rest are summed up in one
    /// finding (default 10; 0 shows all).
    pub max_per_rule: Option<usize>,
}

impl LintConfig {
    /// Check rule ids and levels, naming the bad key.
    pub fn validate(&self) -> Result<(), String> {
        for (id, level) in &self.rules {
            if rule(id).is_none() {
                let known: Vec<&str> = RULES.iter().map(|r| r.id).collect();
                return Err(format!("[lint] rules: unknown rule `{id}` (known rules: {})", known.join(", ")));
            }
            if parse_level(level).is_none() {
                return Err(format!("[lint] rules.{id}: unknown level `{level}` (use error, warning, info or off)"));
            }
        }
        for (i, n) in self.names.iter().enumerate() {
            if n.trim().is_empty() {
                return Err(format!("[lint] names[{i}]: empty name"));
            }
        }
        for (i, n) in self.blameful.iter().enumerate() {
            if n.trim().is_empty() {
                return Err(format!("[lint] blameful[{i}]: empty phrase"));
            }
        }
        crate::source::globset(&self.exclude, "[lint] exclude").map_err(|e| e.to_string())?;
        Ok(())
    }

    /// The level a rule runs at (`None`: off). Unknown level strings fall back
    /// to the rule's default (`validate` reports them).
    pub fn level(&self, id: &str) -> Option<Level> {
        let default = rule(id).map_or(Level::Warning, |r| r.level);
        match self.rules.get(id) {
            Some(l) => parse_level(l).unwrap_or(Some(default)),
            None => Some(default),
        }
    }

    fn cap(&self) -> usize {
        match self.max_per_rule {
            Some(0) => usize::MAX,
            Some(n) => n,
            None => DEFAULT_MAX_PER_RULE,
        }
    }
}

/// `Some(None)` for off, `Some(Some(level))`, or `None` when not a level.
fn parse_level(s: &str) -> Option<Option<Level>> {
    match s.trim().to_ascii_lowercase().as_str() {
        "error" | "deny" => Some(Some(Level::Error)),
        "warning" | "warn" => Some(Some(Level::Warning)),
        "info" | "note" => Some(Some(Level::Info)),
        "off" | "none" | "allow" => Some(None),
        _ => None,
    }
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
    /// Column (1-based, in Unicode characters).
    pub col: usize,
    /// How to fix it.
    pub hint: Option<String>,
}

/// Check a parsed CoE (and its text: the whole Markdown file as decoded)
/// against the template's rules. Findings come sorted by line and column; at
/// most `max_per_rule` per rule, then one finding that counts the rest.
pub fn lint_doc(doc: &CoeDoc, text: &str, cfg: &LintConfig) -> Vec<Finding> {
    let raw = checks::run_all(doc, text, cfg);
    let mut out: Vec<Finding> = Vec::new();
    let mut per_rule: BTreeMap<&'static str, (usize, Vec<checks::Raw>)> = BTreeMap::new();
    for f in raw {
        let e = per_rule.entry(f.rule).or_default();
        e.0 += 1;
        e.1.push(f);
    }
    let cap = cfg.cap();
    for (id, (count, mut list)) in per_rule {
        let Some(level) = cfg.level(id) else { continue };
        list.sort_by_key(|f| (f.line, f.col));
        let hidden = count.saturating_sub(cap);
        let first_hidden = list.get(cap).map(|f| (f.line, f.col));
        for f in list.into_iter().take(cap) {
            out.push(Finding { rule: id.to_string(), level, message: f.message, line: f.line, col: f.col, hint: f.hint });
        }
        if hidden > 0
            && let Some((line, col)) = first_hidden
        {
            out.push(Finding {
                rule: id.to_string(),
                level,
                message: format!("{hidden} more `{id}` finding{} in this file not shown", if hidden == 1 { "" } else { "s" }),
                line,
                col,
                hint: Some("set `max_per_rule = 0` under [lint] in coe.toml to list them all".into()),
            });
        }
    }
    out.sort_by(|a, b| (a.line, a.col, &a.rule).cmp(&(b.line, b.col, &b.rule)));
    out
}

/// One checked file, as reported.
#[derive(Debug, Clone, serde::Serialize)]
pub struct FileReport {
    /// The path as shown (relative to the working directory when possible, `/` separators).
    pub path: String,
    /// The CoE's title.
    pub title: String,
    /// Completeness score, 0–100.
    pub completeness: u8,
    /// Findings, sorted by position.
    pub findings: Vec<Finding>,
}

/// Read, parse and lint one file's bytes. `display` is the path shown.
pub fn lint_bytes(display: &str, bytes: &[u8], cfg: &LintConfig, vocab: &crate::vocab::Vocab) -> FileReport {
    let mut diags = Vec::new();
    let text = crate::parse::decode(bytes, &mut diags);
    let name = display.rsplit('/').next().unwrap_or(display);
    let defaults = crate::parse::Defaults::default();
    let doc = crate::parse::parse_text(crate::parse::Input { source: "lint", path: name, bytes, defaults: &defaults }, &text, diags, vocab);
    let findings = lint_doc(&doc, &text, cfg);
    FileReport { path: display.to_string(), title: doc.title.clone(), completeness: doc.completeness, findings }
}

/// Load `[lint]` from `config`, else from `./coe.toml` when it exists, and validate it.
pub fn load_config(config: Option<&Path>) -> anyhow::Result<LintConfig> {
    let path = match config {
        Some(p) => Some(p.to_path_buf()),
        None => Some(PathBuf::from("coe.toml")).filter(|p| p.is_file()),
    };
    let cfg = match path {
        Some(p) => crate::config::read_file(&p)?.lint,
        None => LintConfig::default(),
    };
    cfg.validate().map_err(anyhow::Error::msg)?;
    Ok(cfg)
}

/// `coe lint PATH...`: print findings; exit 0 clean, 1 on errors (warnings too with `strict`).
pub fn run(paths: &[PathBuf], format: crate::cli::LintFormat, strict: bool, config: Option<&Path>) -> anyhow::Result<ExitCode> {
    let cfg = load_config(config)?;
    let vocab = crate::vocab::Vocab::builtin()?;
    let files = collect(paths, &cfg)?;
    let mut reports = Vec::with_capacity(files.len());
    for (display, abs) in &files {
        let bytes = match std::fs::read(abs) {
            Ok(b) => b,
            Err(e) => anyhow::bail!("cannot read `{display}`: {e}"),
        };
        if crate::parse::looks_binary(&bytes) {
            eprintln!("warning: skipped `{display}`: a binary file, not a CoE");
            continue;
        }
        if bytes.len() as u64 > crate::source::DEFAULT_MAX_SIZE {
            eprintln!("warning: skipped `{display}`: larger than {} bytes", crate::source::DEFAULT_MAX_SIZE);
            continue;
        }
        reports.push(lint_bytes(display, &bytes, &cfg, &vocab));
    }
    if files.is_empty() {
        eprintln!("warning: no Markdown files found to check");
    }
    let rendered = match format {
        crate::cli::LintFormat::Text => output::text(&reports),
        crate::cli::LintFormat::Json => output::json(&reports)?,
        crate::cli::LintFormat::Sarif => output::sarif(&reports, &cfg)?,
    };
    {
        use std::io::Write;
        let mut out = std::io::stdout().lock();
        out.write_all(rendered.as_bytes())?;
        out.flush()?;
    }
    let levels = reports.iter().flat_map(|r| r.findings.iter().map(|f| f.level));
    let fail = levels.into_iter().any(|l| l == Level::Error || (strict && l == Level::Warning));
    Ok(if fail { ExitCode::from(1) } else { ExitCode::SUCCESS })
}

/// The files to check: each PATH itself, or the Markdown files under a folder
/// (README, LICENSE and similar repository files, hidden folders and
/// `[lint] exclude` skipped). Returns (shown path, path to read).
fn collect(paths: &[PathBuf], cfg: &LintConfig) -> anyhow::Result<Vec<(String, PathBuf)>> {
    let mut out = Vec::new();
    let exclude = crate::source::globset(&cfg.exclude, "[lint] exclude")?;
    for path in paths {
        let meta = std::fs::metadata(path).map_err(|e| anyhow::anyhow!("cannot read `{}`: {e}", path.display()))?;
        if meta.is_dir() {
            let mut spec = crate::source::SourceSpec::new(crate::source::SourceSpec::name_for(path), path);
            spec.exclude = exclude.clone();
            let (found, skipped) = crate::source::walk(&spec)?;
            for s in skipped {
                if !s.reason.starts_with("repository file") && !s.reason.starts_with("excluded") {
                    eprintln!("warning: skipped `{}`: {}", show_path(&path.join(&s.path)), s.reason);
                }
            }
            for (rel, _) in found.iter() {
                let file = path.join(rel);
                out.push((show_path(&file), file));
            }
        } else {
            out.push((show_path(path), path.clone()));
        }
    }
    Ok(out)
}

/// A path as shown in findings: relative to the working directory when inside
/// it, without a leading `./`, with `/` separators.
fn show_path(p: &Path) -> String {
    let rel = match std::env::current_dir() {
        Ok(cwd) if p.is_absolute() => p.strip_prefix(&cwd).map(Path::to_path_buf).unwrap_or_else(|_| p.to_path_buf()),
        _ => p.to_path_buf(),
    };
    let parts: Vec<String> = rel
        .components()
        .filter(|c| !matches!(c, std::path::Component::CurDir))
        .map(|c| match c {
            std::path::Component::RootDir => String::new(),
            other => other.as_os_str().to_string_lossy().into_owned(),
        })
        .collect();
    let s = parts.join("/");
    if rel.is_absolute() && !s.starts_with('/') { format!("/{s}") } else { s }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quantified_units() {
        for t in
            ["47 minutes", "18.6% of checkouts", "12,480 requests failed", "$612,000", "from 14:02 to 14:49 UTC", "1h 48m", "3 regions"]
        {
            assert!(is_quantified(t), "{t}");
        }
        assert!(is_quantified("No packages were compromised."));
        for t in ["many customers were affected", "the site was slow", "version 2 of the API"] {
            assert!(!is_quantified(t), "{t}");
        }
    }

    #[test]
    fn placeholders_are_not_written() {
        for t in ["", "  ", "TODO", "TBD.", "- N/A", "...", "…", "_To be written_"] {
            assert!(!is_written(t), "{t:?}");
        }
        for t in ["DNS broke.", "N/A: no customers were affected"] {
            assert!(is_written(t), "{t:?}");
        }
    }

    #[test]
    fn configured_names_are_whole_words_whatever_their_letters() {
        let cfg = LintConfig { names: vec!["Zoë".into(), "Élise Roy".into()], ..Default::default() };
        let vocab = crate::vocab::Vocab::builtin().expect("vocab");
        let text = "# Cache outage\n\n## Summary\n\nZoë paged Élise Roy at once; Zoëy and Élise Royer were not involved.\n";
        let report = lint_bytes("names.md", text.as_bytes(), &cfg, &vocab);
        let names: Vec<&str> = report.findings.iter().filter(|f| f.rule == "no-names").map(|f| f.message.as_str()).collect();
        assert_eq!(names, ["names a person: `Zoë`", "names a person: `Élise Roy`"]);
    }

    #[test]
    fn config_levels_and_validation() {
        let cfg: LintConfig = toml::from_str("rules = { \"third-person\" = \"error\", \"no-names\" = \"off\" }").expect("toml");
        assert!(cfg.validate().is_ok());
        assert_eq!(cfg.level("third-person"), Some(Level::Error));
        assert_eq!(cfg.level("no-names"), None);
        assert_eq!(cfg.level("title-length"), Some(Level::Error));
        let bad: LintConfig = toml::from_str("rules = { \"third-persn\" = \"error\" }").expect("toml");
        assert!(bad.validate().expect_err("unknown rule").contains("third-persn"));
        let bad: LintConfig = toml::from_str("rules = { \"third-person\" = \"fatal\" }").expect("toml");
        assert!(bad.validate().expect_err("bad level").contains("fatal"));
        assert!(toml::from_str::<LintConfig>("nmaes = []").is_err());
    }

    #[test]
    fn title_word_count_ignores_dashes() {
        assert_eq!(title_words("DNS outage — 3 hours"), 4);
        assert_eq!(title_words(""), 0);
    }
}
