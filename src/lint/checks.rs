//! The rules themselves. Each check reads the parsed document (sections,
//! timeline, 5 Whys, action items) or the prose scan of the original text, and
//! yields findings with the line and column they point at.

use super::prose::{self, Lines, Place, Prose};
use super::{LintConfig, MAX_TITLE_WORDS, is_quantified, is_written, title_words};
use crate::model::{ActionStatus, CoeDoc, EventKind, Level, Section};
use crate::parse::dates;
use crate::parse::pattern;
use regex::Regex;
use std::collections::BTreeMap;
use std::sync::LazyLock;

/// A finding before levels and caps are applied.
#[derive(Debug, Clone)]
pub struct Raw {
    /// Rule id.
    pub rule: &'static str,
    /// Message.
    pub message: String,
    /// Line (1-based).
    pub line: usize,
    /// Column (1-based).
    pub col: usize,
    /// Hint.
    pub hint: Option<String>,
}

fn raw(rule: &'static str, line: usize, col: usize, message: impl Into<String>, hint: impl Into<String>) -> Raw {
    Raw { rule, message: message.into(), line, col, hint: Some(hint.into()) }
}

/// The required sections: a label, the kinds that satisfy it, and a hint.
const REQUIRED: &[(&str, &[&str], &str)] = &[
    ("Summary", &["summary"], "context, how the event was discovered, the customer impact, and what was done about it"),
    ("Impact", &["impact"], "the total customer impact and its duration, quantified"),
    (
        "Incident Response",
        &["incident_response", "detection", "resolution"],
        "how the issue was detected, escalated, diagnosed and mitigated, and how long each step took",
    ),
    ("Timeline", &["timeline"], "timestamped events from the trigger through detection and mitigation to resolution"),
    ("5 Whys", &["five_whys", "root_cause"], "a chain of whys from the customer impact down to the root cause"),
    ("Action Items", &["action_items"], "one row per action, with a severity, an owner (team or role) and a due date"),
];

fn kind_label(kind: &str) -> &str {
    match kind {
        "summary" => "Summary",
        "metrics" => "Metrics / Graphs",
        "impact" => "Impact",
        "incident_response" => "Incident Response",
        "detection" => "Detection",
        "resolution" => "Resolution",
        "timeline" => "Timeline",
        "five_whys" => "5 Whys",
        "root_cause" => "Root Cause",
        "action_items" => "Action Items",
        "contributing_factors" => "Contributing Factors",
        "lessons_learned" => "Lessons Learned",
        other => other,
    }
}

/// What a section of this kind should say (for hints).
fn kind_hint(kind: &str) -> &'static str {
    match kind {
        "detection" => "when and how the issue was detected (alarm or customer report), and how detection could have been faster",
        "resolution" => "how the impact was mitigated and the issue resolved, and what slowed it down",
        "root_cause" => "the root cause (or causes) the 5 Whys reached, with contributing factors and the trigger",
        other => required_for(other).map_or("", |r| r.2),
    }
}

fn required_for(kind: &str) -> Option<&'static (&'static str, &'static [&'static str], &'static str)> {
    REQUIRED.iter().find(|(_, kinds, _)| kinds.contains(&kind))
}

struct Ctx<'a> {
    doc: &'a CoeDoc,
    text: &'a str,
    cfg: &'a LintConfig,
    prose: Prose,
    lines: Lines<'a>,
    /// For each section: index of its parent section (not the title or preamble).
    parent: Vec<Option<usize>>,
    /// For each section: whether it or a subsection has content.
    written: Vec<bool>,
}

impl Ctx<'_> {
    fn on(&self, rule: &str) -> bool {
        self.cfg.level(rule).is_some()
    }

    fn sections(&self) -> &[Section] {
        &self.doc.sections
    }

    /// Root sections (not inheriting their kind from a parent) of these kinds.
    fn roots<'s>(&'s self, kinds: &'s [&str]) -> impl Iterator<Item = (usize, &'s Section)> + 's {
        self.sections()
            .iter()
            .enumerate()
            .filter(move |(i, s)| kinds.contains(&s.kind.as_str()) && self.parent[*i].is_none_or(|p| self.sections()[p].kind != s.kind))
    }

    fn heading_name(&self, s: &Section) -> String {
        let label = kind_label(&s.kind);
        let h = clip(s.heading.trim(), 50);
        let h = h.as_str();
        if crate::vocab::normalize_heading(h) == crate::vocab::normalize_heading(label) || h.is_empty() {
            format!("`{h}`")
        } else {
            format!("`{h}` ({label})")
        }
    }

    fn media_in(&self, s: &Section) -> (usize, usize) {
        let mut images = 0;
        let mut links = 0;
        for m in &self.prose.media {
            let (line, _) = self.lines.pos(m.at);
            if line >= s.line_start && line <= s.line_end {
                if m.image {
                    images += 1;
                } else {
                    links += 1;
                }
            }
        }
        (images, links)
    }
}

fn tree(sections: &[Section]) -> (Vec<Option<usize>>, Vec<bool>) {
    let mut parent = vec![None; sections.len()];
    let mut stack: Vec<usize> = Vec::new();
    for (i, s) in sections.iter().enumerate() {
        if s.kind == "preamble" || s.level == 0 {
            stack.clear();
            continue;
        }
        while stack.last().is_some_and(|&j| sections[j].level >= s.level) {
            stack.pop();
        }
        parent[i] = stack.last().copied();
        stack.push(i);
    }
    let mut written: Vec<bool> = sections.iter().map(|s| is_written(&s.text)).collect();
    for i in (0..sections.len()).rev() {
        if written[i]
            && let Some(p) = parent[i]
        {
            written[p] = true;
        }
    }
    (parent, written)
}

/// Run every enabled rule.
pub fn run_all(doc: &CoeDoc, text: &str, cfg: &LintConfig) -> Vec<Raw> {
    let (parent, written) = tree(&doc.sections);
    let cx = Ctx { doc, text, cfg, prose: prose::scan(text), lines: Lines::new(text), parent, written };
    let mut out = Vec::new();
    sections(&cx, &mut out);
    if cx.on("metrics-graphs") {
        metrics(&cx, &mut out);
    }
    if cx.on("title-length") {
        title(&cx, &mut out);
    }
    if cx.on("third-person") {
        third_person(&cx, &mut out);
    }
    if cx.on("no-names") {
        names(&cx, &mut out);
    }
    if cx.on("five-whys-depth") {
        five_whys(&cx, &mut out);
    }
    if cx.on("action-item-fields") {
        action_items(&cx, &mut out);
    }
    if cx.on("impact-quantified") {
        impact(&cx, &mut out);
    }
    if cx.on("timeline-complete") {
        timeline(&cx, &mut out);
    }
    if cx.on("blameful-wording") {
        blameful(&cx, &mut out);
    }
    if cx.on("placeholder-text") {
        placeholders(&cx, &mut out);
    }
    if cx.on("parse-diagnostic") {
        for d in &doc.diagnostics {
            if d.level >= Level::Warning {
                out.push(raw(
                    "parse-diagnostic",
                    d.line.unwrap_or(1),
                    1,
                    format!("{} ({})", d.message, d.code),
                    "fix the front matter (YAML between `---` lines, or TOML between `+++` lines) or save the file as UTF-8",
                ));
            }
        }
    }
    out
}

/// required-section, and the empty-section findings of every rule: a section
/// (with its subsections) that has no content is reported once, at its heading.
fn sections(cx: &Ctx, out: &mut Vec<Raw>) {
    let secs = cx.sections();
    // Missing sections.
    if cx.on("required-section") {
        for (label, kinds, hint) in REQUIRED {
            let present = secs.iter().any(|s| kinds.contains(&s.kind.as_str()));
            let preamble_summary = *label == "Summary"
                && secs.iter().enumerate().any(|(i, s)| s.kind == "preamble" && cx.written[i] && !cx.doc.summary.is_empty());
            if !present && !preamble_summary {
                let name = if *label == "5 Whys" { "5 Whys or Root Cause" } else { label };
                out.push(raw("required-section", 1, 1, format!("missing section: {name}"), format!("add a `## {label}` section: {hint}")));
            }
        }
    }
    // Empty sections, reported at the topmost empty heading.
    for (i, s) in secs.iter().enumerate() {
        if s.kind == "preamble" || s.level == 0 || cx.written[i] {
            continue;
        }
        if cx.parent[i].is_some_and(|p| !cx.written[p]) {
            continue;
        }
        let is_root = cx.parent[i].is_none_or(|p| secs[p].kind != s.kind);
        let name = cx.heading_name(s);
        if is_root && required_for(&s.kind).is_some() {
            if cx.on("required-section") {
                let hint = kind_hint(&s.kind);
                out.push(raw("required-section", s.line_start, 1, format!("section {name} is empty"), format!("write {hint}")));
            }
        } else if is_root && s.kind == "metrics" {
            if cx.on("metrics-graphs") {
                out.push(raw(
                    "metrics-graphs",
                    s.line_start,
                    1,
                    format!("section {name} is empty"),
                    "add one or two graphs of the lead-up, impact and recovery (images), or a dashboard link",
                ));
            }
        } else if cx.on("empty-section") {
            // Headings that are content themselves (timeline entries, questions) are fine.
            let entry = cx.doc.timeline.iter().any(|e| e.line == s.line_start) || has_date_or_time(&s.heading);
            if !entry && !s.heading.trim_end().ends_with('?') {
                out.push(raw(
                    "empty-section",
                    s.line_start,
                    1,
                    format!("section {name} is empty"),
                    "write the section or remove its heading",
                ));
            }
        }
    }
}

fn metrics(cx: &Ctx, out: &mut Vec<Raw>) {
    let roots: Vec<(usize, &Section)> = cx.roots(&["metrics"]).collect();
    if roots.is_empty() {
        if !cx.prose.media.iter().any(|m| m.image) {
            out.push(raw(
                "metrics-graphs",
                1,
                1,
                "no Metrics / Graphs section and no graph",
                "add a `## Metrics / Graphs` section with a graph of the impact and recovery, or a dashboard link",
            ));
        }
        return;
    }
    // Written metrics sections need an image or a link (empty ones were reported already).
    let written: Vec<&(usize, &Section)> = roots.iter().filter(|(i, _)| cx.written[*i]).collect();
    if written.is_empty() {
        return;
    }
    let secs = cx.sections();
    let has_media = written.iter().any(|(i, _)| {
        // The section and its subsections.
        let end = (i + 1..secs.len()).find(|&j| secs[j].level <= secs[*i].level).unwrap_or(secs.len());
        (*i..end).any(|j| {
            let (img, links) = cx.media_in(&secs[j]);
            img + links > 0
        })
    });
    if !has_media && let Some((_, s)) = written.first() {
        out.push(raw(
            "metrics-graphs",
            s.line_start,
            1,
            format!("section {} has no graph (image) or dashboard link", cx.heading_name(s)),
            "add an image of the key graph (`![Error rate, 14:00-15:00 UTC](graphs/errors.png)`) or a link to the dashboard",
        ));
    }
}

fn title(cx: &Ctx, out: &mut Vec<Raw>) {
    let (title, line) = if cx.doc.diagnostics.iter().any(|d| d.code == "no-title") {
        // An H1 that opens the document is its title even when its words read
        // like a section ("# Incident report May 12 - …").
        match cx.sections().iter().find(|s| s.level >= 1) {
            Some(s) if s.level == 1 && !s.heading.trim().is_empty() => (s.heading.trim().to_string(), Some((s.line_start, 1))),
            _ => {
                out.push(raw(
                    "title-length",
                    1,
                    1,
                    "no title",
                    "add `title:` to the front matter or a `# Title` heading: the issue and its impact in under 20 words",
                ));
                return;
            }
        }
    } else {
        (cx.doc.title.clone(), None)
    };
    let words = title_words(&title);
    if words > MAX_TITLE_WORDS {
        let (line, col) = line.unwrap_or_else(|| title_pos(cx));
        out.push(raw(
            "title-length",
            line,
            col,
            format!("title has {words} words; keep it under 20"),
            "state the issue and its customer impact briefly; details belong in the Summary",
        ));
    }
}

/// Where the title is written: the front-matter `title` line, else its heading.
fn title_pos(cx: &Ctx) -> (usize, usize) {
    let split = crate::parse::frontmatter::split(cx.text);
    if let Some(raw) = split.raw {
        for (i, l) in raw.lines().enumerate() {
            let t = l.trim_start().to_ascii_lowercase();
            if t.starts_with("title:") || t.starts_with("title =") || t.starts_with("title=") {
                return (i + 2, l.len() - l.trim_start().len() + 1);
            }
        }
    }
    cx.sections().iter().find(|s| s.heading.trim() == cx.doc.title).map_or((1, 1), |s| (s.line_start, 1))
}

/// A word found in the prose.
struct Hit<'a> {
    at: usize,
    word: &'a str,
}

/// Matches of `re` in blocks of these places, outside URLs (and quotes when `skip_quotes`).
fn find<'p>(prose: &'p Prose, places: &[Place], skip_quotes: bool, re: &Regex) -> Vec<(Hit<'p>, &'p prose::Block, usize)> {
    let mut out = Vec::new();
    for b in prose.blocks.iter().filter(|b| places.contains(&b.place)) {
        for m in re.find_iter(&b.text) {
            if b.in_url(m.start(), m.end()) || (skip_quotes && b.in_quotes(m.start(), m.end())) {
                continue;
            }
            if let Some(at) = b.abs(m.start()) {
                out.push((Hit { at, word: m.as_str() }, b, m.start()));
            }
        }
    }
    out
}

static FIRST_PERSON: LazyLock<Regex> = LazyLock::new(|| {
    pattern::compile(r"(?i)\b(?:we(?:['’](?:re|ve|ll|d))?|us|our|ours|ourselves|i(?:['’](?:m|ve|ll|d))?|me|my|myself|let['’]s)\b")
});

/// Words before a capital "I" that make it a numeral ("Phase I", "Type I").
const ROMAN_CONTEXT: &[&str] =
    &["phase", "tier", "type", "part", "stage", "level", "class", "grade", "chapter", "volume", "war", "appendix"];

fn is_first_person(text: &str, start: usize, end: usize) -> bool {
    let w = &text[start..end];
    let lower = w.to_lowercase();
    let before = text[..start].chars().next_back();
    let after = text[end..].chars().next();
    let after2 = text[end..].chars().nth(1);
    // Acronyms: US (United States), ME, MY.
    if w.len() == 2 && w.chars().all(|c| c.is_ascii_uppercase()) && matches!(lower.as_str(), "us" | "me" | "my") {
        return false;
    }
    // Part of an identifier, path, handle or address: us-east-1, I/O, @us, our.example.
    if before.is_some_and(|c| c.is_alphanumeric() || "-_/.@#$\\&'’+=".contains(c)) {
        return false;
    }
    if after.is_some_and(|c| "-_/@=+(".contains(c)) || (after == Some('.') && after2.is_some_and(char::is_alphanumeric)) {
        return false;
    }
    if lower == "i" {
        // Enumerations "(i)", "i)" and a lowercase "i" as a variable.
        if before == Some('(') || after == Some(')') || w == "i" && after.is_some_and(|c| c == ',' || c == ':') {
            return false;
        }
        if w == "I" {
            let prev_word = text[..start].trim_end().rsplit(|c: char| !c.is_alphanumeric()).next().unwrap_or("").to_lowercase();
            if ROMAN_CONTEXT.contains(&prev_word.as_str()) {
                return false;
            }
        }
    }
    // "Let's Encrypt", the certificate authority.
    if lower.starts_with("let") && text[end..].trim_start().to_lowercase().starts_with("encrypt") {
        return false;
    }
    true
}

fn third_person(cx: &Ctx, out: &mut Vec<Raw>) {
    let hits = find(&cx.prose, &[Place::Body], true, &FIRST_PERSON);
    // One finding per line, naming the words on it.
    let mut per_line: BTreeMap<usize, (usize, Vec<String>)> = BTreeMap::new();
    for (h, b, off) in hits {
        if b.in_label(off, off + h.word.len()) || !is_first_person(&b.text, off, off + h.word.len()) {
            continue;
        }
        let (line, col) = cx.lines.pos(h.at);
        let e = per_line.entry(line).or_insert((col, Vec::new()));
        let w = format!("\"{}\"", h.word);
        if !e.1.contains(&w) {
            e.1.push(w);
        }
    }
    for (line, (col, words)) in per_line {
        out.push(raw(
            "third-person",
            line,
            col,
            format!("first person {}; write in the third person", words.join(", ")),
            "name the team or role instead (\"the payments team\", \"an on-call engineer\")",
        ));
    }
}

static EMAIL: LazyLock<Regex> = LazyLock::new(|| {
    pattern::compile(
        r"[A-Za-z0-9][A-Za-z0-9._%+-]*@[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?)*\.[A-Za-z]{2,}\b",
    )
});
static HANDLE: LazyLock<Regex> = LazyLock::new(|| pattern::compile(r"@[A-Za-z][A-Za-z0-9_-]*"));

/// Local parts of addresses that belong to a team or a function, not a person.
const ROLE_ADDRESSES: &[&str] = &[
    "security",
    "secure",
    "support",
    "help",
    "helpdesk",
    "info",
    "admin",
    "administrator",
    "admins",
    "abuse",
    "noreply",
    "no-reply",
    "donotreply",
    "do-not-reply",
    "postmaster",
    "hostmaster",
    "webmaster",
    "root",
    "contact",
    "team",
    "ops",
    "oncall",
    "on-call",
    "incident",
    "incidents",
    "sre",
    "devops",
    "press",
    "media",
    "privacy",
    "legal",
    "billing",
    "sales",
    "hello",
    "status",
    "notifications",
    "alerts",
    "git",
    "github",
    "infra",
    "infrastructure",
    "operations",
    "engineering",
    "staff",
    "community",
    "conduct",
    "moderation",
    "moderators",
    "feedback",
    "questions",
    "report",
    "reports",
    "psirt",
    "cert",
    "csirt",
    "announce",
    "announcements",
    "dev",
    "developers",
    "users",
    "maintainers",
    "core",
    "board",
    "office",
    "jobs",
    "careers",
    "example",
    "user",
    "username",
    "name",
    "you",
    "someone",
    "somebody",
    "foo",
    "test",
];

fn is_role_address(local: &str) -> bool {
    ROLE_ADDRESSES.contains(&local)
        || ROLE_ADDRESSES
            .iter()
            .any(|r| local.starts_with(&format!("{r}-")) || local.ends_with(&format!("-{r}")) || local.ends_with(&format!(".{r}")))
        || local.contains("bot")
}

/// Handles that are not people: channel-wide mentions and team handles.
fn is_role_handle(h: &str) -> bool {
    let l = h.trim_start_matches('@').to_lowercase();
    const WORDS: &[&str] = &["here", "channel", "everyone", "all", "team", "oncall", "on-call", "channel", "room"];
    const SUFFIXES: &[&str] = &[
        "team",
        "teams",
        "oncall",
        "on-call",
        "ops",
        "sre",
        "core",
        "maintainers",
        "admins",
        "devs",
        "eng",
        "engineering",
        "security",
        "infra",
        "support",
        "bot",
    ];
    const PARTS: &[&str] = &["bot", "status", "support", "official", "team", "announce", "alerts", "news", "oncall"];
    WORDS.contains(&l.as_str())
        || PARTS.iter().any(|p| l.contains(p))
        || SUFFIXES.iter().any(|s| l.ends_with(&format!("-{s}")) || l.ends_with(&format!("_{s}")))
}

fn names(cx: &Ctx, out: &mut Vec<Raw>) {
    let places = [Place::Body, Place::Heading, Place::BlockQuote];
    let hint = "refer to people by role (\"an engineer on the checkout team\"); team addresses and team handles are fine";
    let mut emails: Vec<(usize, usize)> = Vec::new();
    for (h, b, off) in find(&cx.prose, &places, false, &EMAIL) {
        emails.push((h.at, h.at + h.word.len()));
        if b.text[..off].ends_with(|c: char| c.is_alphanumeric() || c == '.') {
            continue;
        }
        // `id+user@users.noreply.github.com`: every `+` part is looked at.
        let local = h.word.split('@').next().unwrap_or("").to_lowercase();
        if local.split('+').any(is_role_address) {
            continue;
        }
        let (line, col) = cx.lines.pos(h.at);
        out.push(raw("no-names", line, col, format!("e-mail address `{}` identifies a person", h.word), hint));
    }
    for (h, b, off) in find(&cx.prose, &places, false, &HANDLE) {
        if emails.iter().any(|&(s, e)| h.at >= s && h.at < e) {
            continue;
        }
        let before = b.text[..off].chars().next_back();
        let end = off + h.word.len();
        let after = b.text[end..].chars().next();
        let after2 = b.text[end..].chars().nth(1);
        if before.is_some_and(|c| c.is_alphanumeric() || "._-/@+:=`'".contains(c)) {
            continue;
        }
        if after.is_some_and(|c| c == '/' || c == '@') || (after == Some('.') && after2.is_some_and(char::is_alphanumeric)) {
            continue;
        }
        if is_role_handle(h.word) {
            continue;
        }
        let (line, col) = cx.lines.pos(h.at);
        out.push(raw("no-names", line, col, format!("handle `{}` names a person", h.word), hint));
    }
    for name in &cx.cfg.names {
        let name = name.trim();
        if name.is_empty() {
            continue;
        }
        let Ok(re) = pattern::try_compile(&format!(r"\b{}\b", regex::escape(name).replace(' ', r"\s+"))) else { continue };
        for (h, _, _) in find(&cx.prose, &places, false, &re) {
            let (line, col) = cx.lines.pos(h.at);
            out.push(raw(
                "no-names",
                line,
                col,
                format!("names a person: `{}`", h.word.split_whitespace().collect::<Vec<_>>().join(" ")),
                hint,
            ));
        }
    }
}

fn five_whys(cx: &Ctx, out: &mut Vec<Raw>) {
    let roots: Vec<(usize, &Section)> = cx.roots(&["five_whys"]).filter(|(i, _)| cx.written[*i]).collect();
    let Some((_, first)) = roots.first() else { return };
    let name = cx.heading_name(first);
    let depth = cx.doc.five_whys.iter().map(|w| w.level).max().unwrap_or(0);
    if cx.doc.five_whys.is_empty() {
        out.push(raw(
            "five-whys-depth",
            first.line_start,
            1,
            format!("no why questions found in {name}"),
            "write numbered steps: `1. Why did checkout fail? Because …`, then ask why of each answer",
        ));
        return;
    }
    if depth < 3 {
        out.push(raw(
            "five-whys-depth",
            first.line_start,
            1,
            format!("{name} stop after {depth} level{}; go at least 3 levels deep", if depth == 1 { "" } else { "s" }),
            "ask why of the last answer until no question is left: that answer is the root cause",
        ));
    }
    let root_section = cx.roots(&["root_cause"]).any(|(i, _)| cx.written[i]);
    let stated = cx.sections().iter().filter(|s| s.kind == "five_whys").any(|s| s.text.to_lowercase().contains("root cause"));
    if !root_section && !stated {
        out.push(raw(
            "five-whys-depth",
            first.line_start,
            1,
            format!("{name} do not end in a stated root cause"),
            "label the final answer `Root cause:` or add a `## Root Cause` section",
        ));
    }
}

fn action_items(cx: &Ctx, out: &mut Vec<Raw>) {
    let roots: Vec<(usize, &Section)> = cx.roots(&["action_items"]).filter(|(i, _)| cx.written[*i]).collect();
    let Some((_, first)) = roots.first() else { return };
    // Items decided against need no owner or due date.
    let items: Vec<&crate::model::ActionItem> =
        cx.doc.action_items.iter().filter(|a| a.status != ActionStatus::NotDoing && !NOT_DOING.is_match(&a.title)).collect();
    if cx.doc.action_items.is_empty() {
        out.push(raw(
            "action-item-fields",
            first.line_start,
            1,
            format!("no action items found in {}", cx.heading_name(first)),
            "list them as a table (`| Action | Severity | Owner | Due | Status |`) or as list items with `P1`, `owner:` and `due:`",
        ));
        return;
    }
    let due_ok = |d: &Option<String>| d.as_deref().is_some_and(|d| chrono::NaiveDate::parse_from_str(d, "%Y-%m-%d").is_ok());
    let missing = |a: &crate::model::ActionItem| -> Vec<&'static str> {
        let mut m = Vec::new();
        if a.title.trim().is_empty() {
            m.push("title");
        }
        if a.severity.is_none() && !PRIORITY_WORD.is_match(cx.lines.line(a.line)) {
            m.push("severity");
        }
        if a.owner.is_none() {
            m.push("owner");
        }
        if a.due.is_none() {
            m.push(if DUE_WORD.is_match(cx.lines.line(a.line)) { "due date that parses" } else { "due date" });
        }
        m
    };
    // A field no item has is reported once, for the whole list.
    let fields = ["severity", "owner", "due date"];
    let none_have: Vec<&str> = if items.len() >= 2 {
        fields.iter().copied().filter(|f| items.iter().all(|a| missing(a).contains(f))).collect()
    } else {
        Vec::new()
    };
    if !none_have.is_empty() {
        out.push(raw(
            "action-item-fields",
            items[0].line,
            1,
            format!("none of the {} action items has a {}", items.len(), join_or(&none_have)),
            "add a column (`| Action | Severity | Owner | Due | Status |`) or write `P2`, `owner: team`, `due: 2024-07-01` in each item",
        ));
    }
    for a in &items {
        let m: Vec<&str> = missing(a).into_iter().filter(|f| !none_have.contains(f)).collect();
        let bad_due = a.due.is_some() && !due_ok(&a.due);
        let title = clip(&a.title, 60);
        if !m.is_empty() {
            out.push(raw(
                "action-item-fields",
                a.line,
                1,
                format!("action item \"{title}\" has no {}", join_and(&m)),
                "give every action item a severity or priority, an owner (team or role) and a due date (YYYY-MM-DD)",
            ));
        }
        if bad_due && !none_have.contains(&"due date") {
            out.push(raw(
                "action-item-fields",
                a.line,
                1,
                format!("action item \"{title}\" has a due date that does not parse: `{}`", a.due.as_deref().unwrap_or("")),
                "write the due date as YYYY-MM-DD (or `July 1, 2024`, `Q3 2024`)",
            ));
        }
    }
}

/// A due date was written but did not parse (`due: next sprint`).
static DUE_WORD: LazyLock<Regex> = LazyLock::new(|| pattern::compile(r"(?i)\b(?:due|deadline|eta)\b\s*(?:date)?\s*[:=]"));

/// An item marked as decided against in its text (`… (not doing: reason)`).
static NOT_DOING: LazyLock<Regex> = LazyLock::new(|| {
    pattern::compile(r"(?i)\b(?:not doing|not planned|won['’]?t (?:do|fix)|wontfix|cancell?ed|declined|dropped|rejected)\b")
});

/// A priority written as a bare word near the start of an item (`- **HIGH** …`, `[Critical] …`).
static PRIORITY_WORD: LazyLock<Regex> = LazyLock::new(|| {
    pattern::compile(
        r"^\s*(?:[-*+]|\d+[.)])?\s*(?:\[[ xX]\]\s*)?[*_\[(|]*\s*(?i:critical|high|medium|med|low|blocker|urgent|major|minor)\b[*_\])|:]",
    )
});

fn join_and(v: &[&str]) -> String {
    match v {
        [] => String::new(),
        [a] => a.to_string(),
        [rest @ .., last] => format!("{} and {last}", rest.join(", ")),
    }
}

fn join_or(v: &[&str]) -> String {
    match v {
        [] => String::new(),
        [a] => a.to_string(),
        [rest @ .., last] => format!("{} or {last}", rest.join(", ")),
    }
}

fn clip(s: &str, max: usize) -> String {
    if s.chars().count() <= max {
        return s.to_string();
    }
    let mut t: String = s.chars().take(max).collect();
    t.push('…');
    t
}

fn impact(cx: &Ctx, out: &mut Vec<Raw>) {
    let secs = cx.sections();
    let roots: Vec<(usize, &Section)> = cx.roots(&["impact"]).filter(|(i, _)| cx.written[*i]).collect();
    let Some((_, first)) = roots.first() else { return };
    if secs.iter().filter(|s| s.kind == "impact").any(|s| is_quantified(&s.text)) {
        return;
    }
    out.push(raw(
        "impact-quantified",
        first.line_start,
        1,
        format!("{} does not quantify the impact", cx.heading_name(first)),
        "state numbers with units: how long (47 minutes), how many (12,480 requests, 9,310 customers), how much (18% of checkouts)",
    ));
}

/// Words that mark detection, beyond the timeline classifier's (generous on purpose:
/// the rule asks only that some entry says when the issue became known).
static DETECT_WORDS: LazyLock<Regex> = LazyLock::new(|| {
    pattern::compile(
        r"(?i)\b(?:detect\w*|alert\w*|alarm\w*|pag(?:e|ed|ing)|notic\w*|report\w*|discover\w*|observ\w*|spott\w*|flag(?:s|ged)?|identif\w*|became aware|aware of|disclos\w*|realis\w*|realiz\w*|diagnos\w*|learned|received|contacted|first (?:sign|symptom|error|complaint)s?|complain\w*|ticket|escalat\w*|investigat\w*|on-?call)\b",
    )
});

/// Words that mark mitigation or resolution.
static MITIGATE_WORDS: LazyLock<Regex> = LazyLock::new(|| {
    pattern::compile(
        r"(?i)\b(?:mitigat\w*|roll(?:ed|ing)?[ -]?back|revert\w*|fix(?:ed|es)?|hot-?fix\w*|patch\w*|releas\w*|restor\w*|recover\w*|resolv\w*|disabl\w*|block\w*|remov\w*|delet\w*|revok\w*|rotat\w*|fail(?:ed)?[ -]?over|restart\w*|reboot\w*|scal(?:ed|ing) (?:up|out)|increas\w*|drain\w*|redeploy\w*|deployed|workaround|back (?:up|online|to normal)|resum\w*|stabili[sz]\w*|contain\w*|banned|suspend\w*|yanked|closed)\b",
    )
});

fn has_date_or_time(s: &str) -> bool {
    dates::first_date(s, Some(2000)).is_some() || dates::find_time(s).is_some()
}

/// A line that starts like a timeline entry: a date, a time or a weekday.
static ENTRY_START: LazyLock<Regex> = LazyLock::new(|| {
    pattern::compile(concat!(
        r"^\s*(?:[-*+]\s+|\d+[.)]\s+)?[|*_\[(]*\s*(?:\d{1,4}[-/.]\d{1,2}(?:[-/.]\d{2,4})?\b|\d{1,2}:\d{2}|",
        r"(?i:jan|feb|mar|apr|may|jun|jul|aug|sep|oct|nov|dec)[a-z]*\.?\s+\d{1,2}\b|(?i:mon|tue|wed|thu|fri|sat|sun)[a-z]*\b)"
    ))
});

fn timeline(cx: &Ctx, out: &mut Vec<Raw>) {
    let roots: Vec<(usize, &Section)> = cx.roots(&["timeline"]).filter(|(i, _)| cx.written[*i]).collect();
    let Some((_, first)) = roots.first() else { return };
    let name = cx.heading_name(first);
    // The timeline as written (headings and text, comments left out).
    let written: String = cx
        .sections()
        .iter()
        .filter(|s| s.kind == "timeline")
        .flat_map(|s| [s.heading.as_str(), s.text.as_str()])
        .collect::<Vec<_>>()
        .join("\n");
    let entries = &cx.doc.timeline;
    if entries.is_empty() {
        // Lines that start like entries the extractor could not read (`02-26-2024 - …`)
        // get the benefit of the doubt.
        if !written.lines().any(|l| ENTRY_START.is_match(l)) {
            out.push(raw(
                "timeline-complete",
                first.line_start,
                1,
                format!("{name} has no entries with a date or time"),
                "start each entry with a date, time and zone: `- 2024-01-01 14:02 UTC — Deployment started`",
            ));
            return;
        }
    }
    // An entry whose time does not read at all ("??", "TBD") is reported; entries
    // with a date but no time of day only when most are like that (a few
    // lead-up events days earlier are naturally date-only).
    for e in entries.iter().filter(|e| e.at.is_none() && !has_date_or_time(&e.time_text)) {
        out.push(raw(
            "timeline-complete",
            e.line,
            1,
            format!("timeline entry has no date or time: `{}`", clip(e.time_text.trim(), 40)),
            "give each entry a time and zone (`14:02 UTC`)",
        ));
    }
    // The time may sit in another column of a table row: look at the whole source line.
    let date_only: Vec<&crate::model::TimelineEntry> = entries
        .iter()
        .filter(|e| {
            e.at.is_none()
                && has_date_or_time(&e.time_text)
                && dates::find_time(&e.time_text).is_none()
                && dates::find_time(cx.lines.line(e.line)).is_none()
        })
        .collect();
    if date_only.len() * 2 > entries.len()
        && let Some(e) = date_only.first()
    {
        out.push(raw(
            "timeline-complete",
            e.line,
            1,
            format!("{} of {} timeline entries have a date but no time of day", date_only.len(), entries.len()),
            "give each entry a time and zone (`14:02 UTC`), not only a date",
        ));
    }
    let detect = entries.iter().any(|e| e.kind == EventKind::Detect) || DETECT_WORDS.is_match(&written);
    let mitigate = entries.iter().any(|e| matches!(e.kind, EventKind::Mitigate | EventKind::Resolve)) || MITIGATE_WORDS.is_match(&written);
    if !detect {
        out.push(raw(
            "timeline-complete",
            first.line_start,
            1,
            format!("{name} does not say when the issue was detected"),
            "add the entry for the alarm, page or customer report that revealed the issue",
        ));
    }
    if !mitigate {
        out.push(raw(
            "timeline-complete",
            first.line_start,
            1,
            format!("{name} does not say when the impact was mitigated or resolved"),
            "add the entries for the mitigation (rollback, failover, fix) and the end of customer impact",
        ));
    }
}

/// Default blameful words and phrases (`[lint] blameful` adds to them).
pub const DEFAULT_BLAMEFUL: &[&str] = &[
    "human error",
    "operator error",
    "user error",
    "pilot error",
    "careless",
    "carelessly",
    "carelessness",
    "negligent",
    "negligently",
    "negligence",
    "sloppy",
    "incompetent",
    "incompetence",
    "reckless",
    "recklessly",
    "stupid",
    "idiot",
    "screwed up",
    "messed up",
    "dropped the ball",
    "should have known better",
    "didn't bother",
    "did not bother",
    "fat-fingered",
    "fat finger",
    "fat-finger",
    "rookie mistake",
    "his fault",
    "her fault",
    "their fault",
    "fault of the engineer",
    "blame the",
    "blame on",
];

/// One case-insensitive regex for whole-word phrases (spaces match any whitespace).
fn phrase_regex<'a>(phrases: impl Iterator<Item = &'a str>) -> Option<Regex> {
    let alts: Vec<String> =
        phrases.map(str::trim).filter(|p| !p.is_empty()).map(|p| regex::escape(p).replace(' ', r"\s+").replace('\'', "['’]")).collect();
    pattern::try_compile(&format!(r"(?i)\b(?:{})\b", alts.join("|"))).ok()
}

static DEFAULT_BLAMEFUL_RE: LazyLock<Option<Regex>> = LazyLock::new(|| phrase_regex(DEFAULT_BLAMEFUL.iter().copied()));

fn blameful(cx: &Ctx, out: &mut Vec<Raw>) {
    let custom;
    let re = if cx.cfg.blameful.is_empty() {
        DEFAULT_BLAMEFUL_RE.as_ref()
    } else {
        custom = phrase_regex(DEFAULT_BLAMEFUL.iter().copied().chain(cx.cfg.blameful.iter().map(String::as_str)));
        custom.as_ref()
    };
    let Some(re) = re else { return };
    for (h, _, _) in find(&cx.prose, &[Place::Body, Place::Heading], true, re) {
        let (line, col) = cx.lines.pos(h.at);
        let phrase = h.word.split_whitespace().collect::<Vec<_>>().join(" ");
        out.push(raw(
            "blameful-wording",
            line,
            col,
            format!("blameful wording \"{phrase}\""),
            "describe the gap in the system or process (a missing guardrail, test or alarm), not a person's failing",
        ));
    }
}

static MARKER: LazyLock<Regex> = LazyLock::new(|| pattern::compile(r"\b(?:TODO|TBD|FIXME|XXX)\b"));

fn placeholders(cx: &Ctx, out: &mut Vec<Raw>) {
    for (h, _, _) in find(&cx.prose, &[Place::Body, Place::Heading], true, &MARKER) {
        let (line, col) = cx.lines.pos(h.at);
        out.push(raw(
            "placeholder-text",
            line,
            col,
            format!("placeholder `{}` left in the text", h.word),
            "replace it with the missing content",
        ));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fp(text: &str) -> bool {
        let m = FIRST_PERSON.find(text).expect("a match");
        is_first_person(text, m.start(), m.end())
    }

    #[test]
    fn first_person_context() {
        assert!(fp("Then we rolled back."));
        assert!(fp("We're sorry."));
        assert!(fp("It paged me."));
        assert!(!fp("Traffic in US regions."));
        assert!(!fp("Instances in us-east-1 failed."));
        assert!(!fp("Disk I/O was saturated."));
        assert!(!fp("Options (i) and (ii)."));
        assert!(!fp("A Type I error."));
        assert!(!fp("Certificates from Let's Encrypt expired."));
        assert!(!fp("See our.example.com for details."));
    }

    #[test]
    fn role_addresses_and_handles() {
        assert!(is_role_handle("@here"));
        assert!(is_role_handle("@payments-oncall"));
        assert!(is_role_handle("@dependabot"));
        assert!(!is_role_handle("@jdoe"));
    }

    #[test]
    fn joins() {
        assert_eq!(join_and(&["severity", "owner", "due date"]), "severity, owner and due date");
        assert_eq!(join_or(&["owner"]), "owner");
    }
}
