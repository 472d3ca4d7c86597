//! Extraction: one Markdown CoE in, one [`CoeDoc`] out. Pure (no I/O) and total:
//! a broken document yields what could be read plus diagnostics, never an error.

pub mod actions;
pub mod capped;
pub mod dates;
pub mod frontmatter;
pub mod markdown;
pub(crate) mod pattern;
pub mod tags;
pub mod timeline;
pub mod whys;

use crate::model::{CoeDoc, Diagnostic, Level, Section, Visibility};
use crate::vocab::Vocab;
use chrono::{Datelike, NaiveDate};
use markdown::{LineIndex, RawSection};
use serde_json::Value;

/// Defaults a source gives its documents.
#[derive(Debug, Clone, Default)]
pub struct Defaults {
    /// Team when the document names none.
    pub team: Option<String>,
    /// Visibility when the document states none.
    pub visibility: Visibility,
}

/// One document to parse.
#[derive(Debug, Clone, Copy)]
pub struct Input<'a> {
    /// Source name.
    pub source: &'a str,
    /// Path relative to the source root (`/` separators).
    pub path: &'a str,
    /// File contents.
    pub bytes: &'a [u8],
    /// Source defaults.
    pub defaults: &'a Defaults,
}

/// True when the bytes look binary (a NUL in the first 8 KB, not UTF-16).
pub fn looks_binary(bytes: &[u8]) -> bool {
    if bytes.starts_with(&[0xFF, 0xFE]) || bytes.starts_with(&[0xFE, 0xFF]) {
        return false;
    }
    bytes.iter().take(8192).any(|&b| b == 0)
}

/// Decode bytes as text: UTF-8, UTF-16 with a BOM, else lossy UTF-8 with a diagnostic.
pub fn decode(bytes: &[u8], diags: &mut Vec<Diagnostic>) -> String {
    let utf16 = |le: bool| -> String {
        let units: Vec<u16> = bytes[2..]
            .chunks_exact(2)
            .map(|c| if le { u16::from_le_bytes([c[0], c[1]]) } else { u16::from_be_bytes([c[0], c[1]]) })
            .collect();
        String::from_utf16_lossy(&units)
    };
    let text = if bytes.starts_with(&[0xFF, 0xFE]) {
        utf16(true)
    } else if bytes.starts_with(&[0xFE, 0xFF]) {
        utf16(false)
    } else {
        match std::str::from_utf8(bytes) {
            Ok(s) => s.to_string(),
            Err(e) => {
                let line = bytes[..e.valid_up_to()].iter().filter(|&&b| b == b'\n').count() + 1;
                diags.push(Diagnostic::new(
                    "invalid-utf8",
                    Level::Warning,
                    "file is not valid UTF-8; invalid bytes were replaced",
                    Some(line),
                ));
                String::from_utf8_lossy(bytes).into_owned()
            }
        }
    };
    let text = text.strip_prefix('\u{feff}').map(str::to_string).unwrap_or(text);
    if text.contains('\r') { text.replace("\r\n", "\n").replace('\r', "\n") } else { text }
}

/// A stable, URL-safe id from a source name and a relative path.
pub fn make_id(source: &str, path: &str) -> String {
    let stem = path.strip_suffix(".md").or_else(|| path.strip_suffix(".markdown")).unwrap_or(path);
    let mut parts = vec![slug(source)];
    parts.extend(stem.split('/').filter(|p| !p.is_empty()).map(slug));
    parts.join("--")
}

/// Keep `[A-Za-z0-9._-]`, fold everything else to `-`.
pub fn slug(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        if c.is_ascii_alphanumeric() || c == '.' || c == '_' || c == '-' {
            out.push(c);
        } else if !out.ends_with('-') {
            out.push('-');
        }
    }
    let t = out.trim_matches(|c| c == '-' || c == '.').to_string();
    if t.is_empty() { "x".to_string() } else { t }
}

/// A template's title left as it was ("ISSUE NAME", "[Incident title]",
/// "Untitled"): no title.
static PLACEHOLDER_TITLE: std::sync::LazyLock<regex::Regex> = std::sync::LazyLock::new(|| {
    pattern::compile(
        r"(?i)^(?:[\[<{(]*\s*(?:(?:issue|incident|event|outage|coe|post-?mortem)\s+)?(?:name|title)(?:\s+(?:here|goes\s+here))?\s*[\]>})]*|untitled|tbd|todo|tba)$",
    )
});

fn title_from_path(path: &str) -> String {
    let name = path.rsplit('/').next().unwrap_or(path);
    let stem = name.rsplit_once('.').map_or(name, |(s, _)| s);
    let words: Vec<&str> = stem.split(['-', '_', ' ']).filter(|w| !w.is_empty()).collect();
    // Drop a leading date ("2021-05-09-…", "04-25-…"): two or three numbers
    // ("12-factor-…" and "500-errors-…" keep theirs).
    let skip = words.iter().take(3).take_while(|w| w.len() <= 4 && w.bytes().all(|b| b.is_ascii_digit())).count();
    let skip = if skip >= 2 && skip < words.len() { skip } else { 0 };
    let t = words[skip..].join(" ");
    let t = if t.is_empty() { stem.to_string() } else { t };
    let mut c = t.chars();
    match c.next() {
        Some(f) => f.to_uppercase().collect::<String>() + c.as_str(),
        None => t,
    }
}

/// Whether a title made from a file name is an id rather than words: hex
/// digits only (a UUID, a hash, a number, a bare date), with a digit.
fn is_opaque(title: &str) -> bool {
    title.split_whitespace().all(|w| w.bytes().all(|b| b.is_ascii_hexdigit())) && title.bytes().any(|b| b.is_ascii_digit())
}

/// A name without a leading "the" ("The Cargo Team" is the "Cargo Team"),
/// so that a team's facet reads the same however a document starts it.
fn without_article(name: &str) -> &str {
    match name.get(..4) {
        Some(the) if the.eq_ignore_ascii_case("the ") && !name[4..].trim().is_empty() => name[4..].trim_start(),
        _ => name,
    }
}

/// The opening text (600 bytes) of each section of `kind`: where a CoE
/// says when it happened.
fn openings<'a>(sections: &'a [(&str, &RawSection)], kind: &'a str) -> impl Iterator<Item = String> + 'a {
    sections.iter().filter(move |(k, _)| *k == kind).map(|(_, s)| {
        let mut t = s.text();
        t.truncate(crate::text::floor_char_boundary(&t, 600));
        t
    })
}

/// The date of a CoE that names only a month and year ("in December
/// 2019", in its title or first paragraphs): a day of that month written
/// without a year ("on December 13"), else its first day.
fn month_date(title: &str, sections: &[(&str, &RawSection)]) -> Option<NaiveDate> {
    let texts: Vec<String> =
        std::iter::once(title.to_string()).chain(openings(sections, "summary")).chain(openings(sections, "preamble")).collect();
    let month = texts.iter().find_map(|t| dates::first_month(t))?;
    let same_month = |t: &String| {
        dates::dates(t, Some(month.year())).map(|(d, _, _)| d).find(|d| (d.year(), d.month()) == (month.year(), month.month()))
    };
    Some(texts.iter().find_map(same_month).unwrap_or(month))
}

fn fm_date(v: &Value) -> Option<NaiveDate> {
    let s = frontmatter::as_string(v)?;
    dates::first_date(&s, None).or_else(|| s.get(..10).and_then(|p| NaiveDate::parse_from_str(p, "%Y-%m-%d").ok()))
}

/// Parse one CoE.
pub fn parse(input: Input, vocab: &Vocab) -> CoeDoc {
    let mut diags = Vec::new();
    let text = decode(input.bytes, &mut diags);
    parse_text(input, &text, diags, vocab)
}

/// Parse already-decoded text (`\n` line endings).
pub fn parse_text(input: Input, text: &str, mut diags: Vec<Diagnostic>, vocab: &Vocab) -> CoeDoc {
    let split = frontmatter::split(text);
    let fm = match split.raw {
        Some(raw) => match frontmatter::parse(raw, split.format) {
            Ok(m) => m,
            Err(msg) => {
                diags.push(Diagnostic::new("front-matter", Level::Warning, msg, Some(1)));
                serde_json::Map::new()
            }
        },
        None => serde_json::Map::new(),
    };
    let inline = frontmatter::inline_fields(split.body);
    let get = |keys: &[&str]| frontmatter::get(&fm, keys).or_else(|| frontmatter::get(&inline, keys));
    let lines = LineIndex::new(split.body, split.body_line);
    let walked = markdown::walk(split.body, &lines);

    // Title.
    let mut sections_raw: Vec<RawSection> = walked.sections;
    let fm_title = get(&["title", "name", "subject"]).and_then(frontmatter::as_string);
    let mut title_idx = None;
    if fm_title.is_none() {
        // The first H1 is the title when it is the first heading and the only H1
        // ("# Incident report May 12 2025 - …" would otherwise read as a summary).
        let h1s = sections_raw.iter().filter(|s| s.level == 1).count();
        let first_heading = sections_raw.iter().position(|s| s.level >= 1);
        title_idx = sections_raw
            .iter()
            .position(|s| s.level == 1 && vocab.heading_kind(&s.heading).is_none())
            .or_else(|| first_heading.filter(|&i| sections_raw[i].level == 1 && h1s == 1 && sections_raw.len() > i + 1));
    } else if let Some(i) = sections_raw.iter().position(|s| s.level >= 1) {
        // A first H1 that repeats the front-matter title is the title, not a section.
        if sections_raw[i].level == 1 && vocab.heading_kind(&sections_raw[i].heading).is_none() {
            title_idx = Some(i);
        }
    }
    let mut named_by_file = false;
    let written = fm_title.or_else(|| title_idx.map(|i| sections_raw[i].heading.clone())).filter(|t| !t.trim().is_empty());
    let mut title = match written {
        Some(t) if !PLACEHOLDER_TITLE.is_match(t.trim()) => t,
        other => {
            let message = match other {
                Some(t) => format!("the title `{}` is the template's placeholder; using the file name", t.trim()),
                None => "no title in front matter or H1; using the file name".to_string(),
            };
            diags.push(Diagnostic::new("no-title", Level::Info, message, None));
            named_by_file = true;
            title_from_path(input.path)
        }
    };

    // Classify sections: known heading → kind; else inherit the parent's kind.
    let mut kinds: Vec<String> = Vec::with_capacity(sections_raw.len());
    let mut stack: Vec<(u8, String)> = Vec::new();
    for (i, s) in sections_raw.iter().enumerate() {
        let kind = if s.level == 0 || Some(i) == title_idx {
            "preamble".to_string()
        } else {
            while stack.last().is_some_and(|(l, _)| *l >= s.level) {
                stack.pop();
            }
            let k = match vocab.heading_kind(&s.heading) {
                Some(k) => k.to_string(),
                // A day or time heading right after a timeline continues it ("## May 12").
                None if kinds.last().is_some_and(|k| k == "timeline") && dates::leading_datetime(&s.heading, 3, Some(2000)).is_some() => {
                    "timeline".to_string()
                }
                None => stack.last().map(|(_, k)| k.clone()).filter(|k| k != "preamble").unwrap_or_else(|| "other".to_string()),
            };
            stack.push((s.level, k.clone()));
            k
        };
        kinds.push(kind);
    }
    // Drop an empty preamble.
    if sections_raw.first().is_some_and(|s| s.level == 0 && s.blocks.is_empty()) {
        sections_raw.remove(0);
        kinds.remove(0);
    }
    let classified: Vec<(&str, &RawSection)> = kinds.iter().map(String::as_str).zip(sections_raw.iter()).collect();

    // Dates: front matter, else title, else file name, else the timeline.
    let fm_date_v =
        get(&["incident_date", "date_of_incident", "start_time", "started_at", "start", "date", "incident_start"]).and_then(fm_date);
    let path_date = dates::first_date(input.path, None);
    let title_date = dates::first_date(&title, None);
    let prose_date = |kind: &str| openings(&classified, kind).find_map(|t| dates::first_date(&t, None));
    let mut date = fm_date_v.or(title_date).or(path_date).or_else(|| prose_date("summary"));
    let timeline = timeline::extract(&classified, date);
    if date.is_none() {
        date = timeline
            .iter()
            .find_map(|e| e.at.as_deref().and_then(|a| a.get(..10)).and_then(|d| NaiveDate::parse_from_str(d, "%Y-%m-%d").ok()))
            .or_else(|| prose_date("preamble"))
            .or_else(|| month_date(&title, &classified));
    }
    let year = dates::year_of(date);
    let metrics = timeline::metrics(&timeline);
    let action_items = actions::extract(&classified, year);
    let five_whys = whys::extract(&classified);

    // Sections for the model.
    let sections: Vec<Section> = classified
        .iter()
        .map(|(k, s)| Section {
            kind: k.to_string(),
            heading: s.heading.clone(),
            level: s.level,
            anchor: s.anchor.clone(),
            line_start: s.line_start,
            line_end: s.line_end.max(s.line_start),
            text: s.text(),
        })
        .collect();
    let full_text: String = sections.iter().map(|s| s.text.as_str()).collect::<Vec<_>>().join("\n\n");
    let root_causes = whys::root_causes(&classified, &five_whys, &full_text);

    // Summary.
    let summary = get(&["summary", "description", "abstract", "excerpt", "tldr"])
        .and_then(frontmatter::as_string)
        .or_else(|| first_paragraphs(&sections, "summary"))
        .or_else(|| first_paragraphs(&sections, "preamble"))
        .or_else(|| sections.iter().find(|s| !s.text.trim().is_empty()).map(|s| whys::clip(&s.text, 600)))
        .map(|s| whys::clip(&s, 600))
        .unwrap_or_default();
    // A file named by an id (`0afb9162-9810-….md`) says nothing: the
    // summary's first sentence names the CoE instead.
    if named_by_file
        && is_opaque(&title)
        && let Some(first) = whys::sentences(&summary).next()
    {
        title = whys::clip(first.trim_end_matches('.'), 100);
    }

    // Tags.
    let mut parts: Vec<tags::Weighted> = vec![tags::Weighted { kind: "title", text: &title }];
    parts.extend(sections.iter().map(|s| tags::Weighted { kind: &s.kind, text: &s.text }));
    let (mut technologies, mut evidence) = tags::technologies(vocab, &parts);
    let mut fm_techs: Vec<String> = Vec::new();
    for key in ["technologies", "technology", "tech", "stack"] {
        if let Some(v) = get(&[key]) {
            fm_techs.extend(frontmatter::as_list(v));
        }
    }
    let mut tag_list: Vec<String> = Vec::new();
    for key in ["tags", "keywords", "categories", "labels"] {
        if let Some(v) = get(&[key]) {
            tag_list.extend(frontmatter::as_list(v));
        }
    }
    tag_list.dedup();
    let mut declared: Vec<String> = Vec::new();
    for t in fm_techs.iter().chain(tag_list.iter()) {
        let canonical = vocab.canonical_technology(t).map(str::to_string);
        let explicit = fm_techs.contains(t);
        if let Some(name) = canonical.or_else(|| explicit.then(|| t.clone())) {
            if !evidence.iter().any(|e| e.technology == name) {
                evidence.push(crate::model::Evidence { technology: name.clone(), text: "front matter".into() });
            }
            declared.push(name);
        }
    }
    // Declared technologies first, then what the text mentions.
    declared.append(&mut technologies);
    technologies = declared;
    dedup_keep_order(&mut technologies);
    let mut failure_modes = tags::failure_modes(vocab, &parts);
    if let Some(v) = get(&["failure_modes", "failure_mode", "failure-modes"]) {
        for f in frontmatter::as_list(v).into_iter().rev() {
            let id = f.to_lowercase().replace([' ', '_'], "-");
            failure_modes.retain(|x| *x != id);
            failure_modes.insert(0, id);
        }
    }
    let mut services: Vec<String> = Vec::new();
    for key in ["services", "service", "services_affected", "affected_services", "product", "products", "systems", "components"] {
        if let Some(v) = get(&[key]) {
            services.extend(frontmatter::as_list(v));
        }
    }
    services.extend(tags::services(vocab, &parts, &technologies));
    dedup_keep_order(&mut services);

    let severity = get(&["severity", "sev", "priority", "impact_level", "level"])
        .and_then(frontmatter::as_string)
        .and_then(|s| tags::normalize_severity(&s))
        .or_else(|| tags::severity_in_text(&format!("{title}\n{summary}")))
        .or_else(|| sections.iter().find(|s| s.kind == "impact").and_then(|s| tags::severity_in_text(&s.text)));
    let published =
        get(&["published", "published_at", "publish_date", "publication_date", "pubdate"]).and_then(fm_date).map(|d| d.to_string());
    let lessons = whys::lessons(&classified);
    let status = get(&["status", "state"]).and_then(frontmatter::as_string).map(|s| normalize_status(&s));
    let team = get(&["team", "owner", "owning_team", "owner_team", "teams", "team_name", "company", "organization", "org"])
        .and_then(frontmatter::as_string)
        .map(|t| without_article(&t).to_string())
        .or_else(|| input.defaults.team.clone());
    let visibility = match get(&["visibility", "audience", "classification"]).and_then(frontmatter::as_string) {
        Some(v) if ["internal", "private", "confidential", "restricted"].contains(&v.to_lowercase().as_str()) => Visibility::Internal,
        Some(v) if v.eq_ignore_ascii_case("public") => Visibility::Public,
        Some(v) => {
            diags.push(Diagnostic::new(
                "visibility",
                Level::Warning,
                format!("unknown visibility `{v}`; using the source default"),
                Some(1),
            ));
            input.defaults.visibility
        }
        None => input.defaults.visibility,
    };
    let id = get(&["id", "uuid", "slug"])
        .and_then(frontmatter::as_string)
        .map(|s| format!("{}--{}", slug(input.source), slug(&s)))
        .unwrap_or_else(|| make_id(input.source, input.path));

    let metric_links: Vec<crate::model::Link> = walked_links(&classified, "metrics");
    let links = if metric_links.is_empty() { walked.links.into_iter().take(50).collect() } else { metric_links };

    if sections.iter().all(|s| s.kind == "preamble" || s.kind == "other") && !sections.is_empty() {
        diags.push(Diagnostic::new("no-known-sections", Level::Info, "no heading matched a known CoE section", None));
    }

    let mut doc = CoeDoc {
        id,
        source: input.source.to_string(),
        path: input.path.to_string(),
        title: title.trim().to_string(),
        date: date.map(|d| d.to_string()),
        severity,
        status,
        published,
        team,
        visibility,
        services,
        technologies,
        failure_modes,
        tags: tag_list,
        summary,
        sections,
        root_causes,
        lessons,
        five_whys,
        timeline,
        action_items,
        metrics,
        links,
        images: walked.images.into_iter().take(50).collect(),
        evidence,
        completeness: 0,
        diagnostics: diags,
    };
    doc.completeness = crate::lint::completeness(&doc);
    doc
}

fn walked_links(sections: &[(&str, &RawSection)], kind: &str) -> Vec<crate::model::Link> {
    sections.iter().filter(|(k, _)| *k == kind).flat_map(|(_, s)| s.blocks.iter().flat_map(|b| b.links.iter().cloned())).collect()
}

fn first_paragraphs(sections: &[Section], kind: &str) -> Option<String> {
    let s = sections.iter().find(|s| s.kind == kind && !s.text.trim().is_empty())?;
    let mut out = String::new();
    for p in s.text.split("\n\n") {
        if !out.is_empty() && out.len() > 200 {
            break;
        }
        if !out.is_empty() {
            out.push(' ');
        }
        out.push_str(p.trim());
    }
    Some(out).filter(|o| !o.is_empty())
}

fn normalize_status(s: &str) -> String {
    let l = s.trim().to_lowercase().replace(['_', '-'], " ");
    match l.as_str() {
        "draft" | "wip" | "in progress" | "todo" => "draft".into(),
        "in review" | "review" | "reviewing" | "under review" | "pending review" => "in review".into(),
        "published" | "final" | "complete" | "completed" | "done" | "closed" | "approved" => "published".into(),
        _ => l,
    }
}

fn dedup_keep_order(v: &mut Vec<String>) {
    let mut seen = std::collections::HashSet::new();
    v.retain(|x| seen.insert(x.to_lowercase()));
}

#[cfg(test)]
mod tests {
    use super::*;

    fn doc(path: &str, md: &str) -> CoeDoc {
        let v = Vocab::builtin().expect("vocab");
        parse(Input { source: "t", path, bytes: md.as_bytes(), defaults: &Defaults::default() }, &v)
    }

    #[test]
    fn a_team_is_named_without_a_leading_article() {
        let team = |t: &str| doc("a.md", &format!("---\nteam: {t}\n---\n# Outage\n")).team;
        assert_eq!(team("The Cargo Team").as_deref(), Some("Cargo Team"));
        assert_eq!(team("the crates.io team").as_deref(), Some("crates.io team"));
        assert_eq!(team("Theme Park").as_deref(), Some("Theme Park"));
        assert_eq!(team("payments").as_deref(), Some("payments"));
        assert_eq!(without_article("The "), "The ");
    }

    #[test]
    fn ids_are_url_safe_and_stable() {
        assert_eq!(make_id("examples", "payments/2024-06-13 dynamo throttling.md"), "examples--payments--2024-06-13-dynamo-throttling");
        assert_eq!(make_id("a b", "x/y"), "a-b--x--y");
    }

    #[test]
    fn title_fallbacks() {
        assert_eq!(doc("x.md", "---\ntitle: From FM\n---\n# H1\n").title, "From FM");
        assert_eq!(doc("x.md", "# The H1\n\ntext").title, "The H1");
        assert_eq!(doc("2021-05-09-negative-coin-values.md", "## Summary\n\ntext").title, "Negative coin values");
        assert_eq!(doc("x.md", "Setext Title\n============\n\nbody").title, "Setext Title");
        // A file named by an id: the summary's first sentence names the CoE.
        let text = "---\ncompany: Example\n---\n\nThe ledger queue stalled after a disk filled. It recovered in an hour.\n";
        assert_eq!(doc("3f2a9c1e-77b0-4c1d-9e55-0a1b2c3d4e5f.md", text).title, "The ledger queue stalled after a disk filled");
        assert_eq!(doc("20240301.md", text).title, "The ledger queue stalled after a disk filled");
        // Words of hex letters only are still words.
        assert_eq!(doc("face-bead.md", text).title, "Face bead");
        // A template's title left as it was: the file name, its leading date
        // dropped.
        let phish = doc("2023-04/04-25-Laptop_Phish.md", "# ISSUE NAME\n\nA phishing mail.\n\n## Timeline\n\nx\n");
        assert_eq!(phish.title, "Laptop Phish");
        assert!(
            phish.diagnostics.iter().any(|d| d.message.contains("`ISSUE NAME` is the template's placeholder")),
            "{:?}",
            phish.diagnostics
        );
        assert_eq!(doc("x/2024-03-scanner-leak.md", "---\ntitle: \"[Incident title]\"\n---\nA leak.\n").title, "Scanner leak");
        assert_eq!(doc("1234.md", "# Untitled\n\nThe cache stampeded at noon. More.\n").title, "The cache stampeded at noon");
        assert_eq!(doc("x.md", "# Naming service outage\n\ntext").title, "Naming service outage");
        assert_eq!(doc("12-factor-drift.md", "## Summary\n\ntext").title, "12 factor drift");
    }

    #[test]
    fn dates_from_a_month_and_year_and_short_us_dates() {
        // A month and year alone date a CoE to that month's first day, or to
        // a day of that month written without a year.
        let monthly = doc("ab12cd34.md", "A replica fell behind in December 2019, and writes were lost.\n");
        assert_eq!(monthly.date.as_deref(), Some("2019-12-01"));
        let daily = doc("x.md", "# Replica lag in Dec 2019\n\n## Summary\n\nOn December 13 a replica fell behind.\n");
        assert_eq!(daily.date.as_deref(), Some("2019-12-13"));
        // "may 2020" in prose is not a month.
        assert_eq!(doc("x.md", "# Lag\n\nIt may 2020 be late.\n").date, None);
        // A timeline under a short US date ("4/21/23") is dated by it.
        let short = doc(
            "x.md",
            "# Phish\n\n## Timeline (PST)\n\n4/21/23\n\n11:12 AM: A login alert came in.\n\n11:31 AM: The account was locked.\n",
        );
        assert_eq!(short.date.as_deref(), Some("2023-04-21"));
        assert_eq!(short.timeline.first().and_then(|e| e.at.as_deref()), Some("2023-04-21T11:12:00-08:00"));
    }

    #[test]
    fn crlf_and_latin1() {
        let d = doc("x.md", "# T\r\n\r\n## Summary\r\n\r\nDNS broke.\r\n");
        assert_eq!(d.summary, "DNS broke.");
        let v = Vocab::builtin().expect("vocab");
        let bytes = b"# Caf\xe9 outage\n\n## Summary\n\nthe caf\xe9 db\n";
        let d = parse(Input { source: "t", path: "x.md", bytes, defaults: &Defaults::default() }, &v);
        assert!(d.diagnostics.iter().any(|d| d.code == "invalid-utf8"));
        assert!(d.title.starts_with("Caf"));
    }

    #[test]
    fn hostile_front_matter_keeps_body() {
        let d = doc("x.md", "---\na: [[[[\n---\n# Survivor\n\n## Summary\n\nKafka lag grew.\n");
        assert_eq!(d.title, "Survivor");
        assert!(d.diagnostics.iter().any(|x| x.code == "front-matter"));
        assert!(d.technologies.contains(&"Kafka".to_string()));
    }

    #[test]
    fn subheadings_inherit_kind() {
        let d =
            doc("x.md", "# T\n\n## Action Items\n\n### Process\n\n- Write a runbook\n\n## Lessons learned\n\n### What went well\n\nx\n");
        let kinds: Vec<&str> = d.sections.iter().map(|s| s.kind.as_str()).collect();
        assert_eq!(kinds, vec!["preamble", "action_items", "action_items", "lessons_learned", "lessons_learned"]);
        assert_eq!(d.action_items[0].group.as_deref(), Some("Process"));
    }
}
