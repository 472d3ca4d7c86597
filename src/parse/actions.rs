//! Action items from task lists, tables, or plain lists under an action-items
//! heading (sub-groups such as `### Process` kept), with owner, due date,
//! severity, status and link read from columns or inline text.

use super::capped::Capped;
use super::dates;
use super::markdown::{Block, BlockKind, RawSection};
use crate::model::{ActionItem, ActionStatus};
use crate::parse::pattern;
use regex::Regex;
use std::sync::LazyLock;

// Bounded repeats of Unicode classes: see `Capped`. A group's cap is its
// repeat's bound plus the characters the group always holds besides it
// (optional parts such as `@?` not counted: a longer match goes to the exact
// pattern).
static OWNER_RE: Capped = Capped::new(
    r"(?i)\b(?:owner|owned by|assignee|assigned to|responsible|dri)\s*[:=]?\s*(@?[A-Za-z0-9][\w .&/-]{0,40}?)\s*(?:[,;)\]|]|$|\s+(?:due|by|eta|priority|severity|sev|p[0-4])\b)",
    &[(1, 41)],
);
/// An owner named first in a parenthetical that goes on with the due date:
/// "(edge-networking, due 2023-05-19)", "(Jane Doe; due June 2)".
static OWNER_DUE_RE: Capped = Capped::new(r"(?i)\(\s*(@?[A-Za-z][\w .&/-]{0,40}?)\s*[,;]\s*due\b", &[(1, 41)]);
/// What comes first in such a parenthetical without being an owner: a
/// priority or severity ("(P1, due …)"), or no one.
static NOT_AN_OWNER: LazyLock<Regex> = LazyLock::new(|| {
    pattern::compile(r"(?i)^(?:p[0-4]|sev[- ]?[0-5]|critical|high|medium|low|tbd|tba|n/?a|none|nobody|unassigned|unknown)$")
});
static HANDLE_RE: Capped = Capped::new(r"(?:^|[\s(])@([A-Za-z0-9][\w-]{1,38}(?:/[\w-]+)?)", &[(1, 39)]);
static DUE_RE: LazyLock<Regex> =
    LazyLock::new(|| pattern::compile(r"(?i)\b(?:due(?:\s+date)?|deadline|eta|target(?:\s+date)?|by)\s*[:=]?\s*([^,;)\]|]{4,30})"));
static SEV_RE: LazyLock<Regex> = LazyLock::new(|| {
    pattern::compile(
        r"(?i)\b(?:(?:severity|priority|sev|pri)\s*[:=]?\s*(critical|high|medium|low|p[0-4]|sev[- ]?[0-5]|[0-5])\b|(p[0-4]|sev[- ]?[0-5])\b)",
    )
});
static STATUS_RE: Capped = Capped::new(
    r"(?i)(?:\bstatus\s*[:=]\s*([a-z][\w' -]{1,20})|[(\[]\s*(done|completed?|closed|fixed|resolved|merged|in progress|open|todo|won'?t (?:do|fix)|wontfix|not doing|cancell?ed|declined|dropped)\s*(?:[)\]]|[:—–-])|(✅|✔|☑))",
    &[(1, 21)],
);
/// A status word ending an item's line after a dash: "Lower the TTL — done.",
/// "Add an alert - in progress".
static TRAILING_STATUS_RE: LazyLock<Regex> = LazyLock::new(|| {
    pattern::compile(
        r"(?im)\s[—–-]{1,2}\s*(done|completed?|closed|fixed|resolved|merged|shipped|in progress|ongoing|open|todo|not started|won'?t (?:do|fix)|wontfix|not doing|cancell?ed|declined|dropped)\s*[.!]?\s*$",
    )
});
static TICKET_RE: LazyLock<Regex> = LazyLock::new(|| pattern::compile(r"\b([A-Z][A-Z0-9]{1,9}-\d{1,6})\b"));

/// Normalise a status word.
pub fn parse_status(s: &str) -> Option<ActionStatus> {
    let l = s.trim().to_lowercase();
    if l.is_empty() {
        return None;
    }
    if ["won't", "wont", "not doing", "not planned", "declined", "cancel", "dropped", "rejected", "out of scope", "n/a", "abandoned"]
        .iter()
        .any(|k| l.contains(k))
    {
        return Some(ActionStatus::NotDoing);
    }
    if ["done", "complete", "closed", "fixed", "resolved", "merged", "shipped", "finished", "yes", "✅", "✔", "☑", "[x]"]
        .iter()
        .any(|k| l.contains(k))
    {
        return Some(ActionStatus::Done);
    }
    Some(ActionStatus::Open)
}

fn clean(s: &str) -> String {
    s.trim().trim_matches(|c: char| c == '*' || c == '_' || c == '`').trim().to_string()
}

/// Read owner, due date, severity and status written inline.
fn inline_meta(item: &mut ActionItem, text: &str, year: Option<i32>) {
    if item.owner.is_none() {
        let first_named = || OWNER_DUE_RE.captures(text).filter(|c| c.get(1).is_some_and(|m| !NOT_AN_OWNER.is_match(m.as_str().trim())));
        if let Some(c) = OWNER_RE.captures(text).or_else(first_named) {
            item.owner = c.get(1).map(|m| clean(m.as_str())).filter(|s| !s.is_empty());
        } else if let Some(c) = HANDLE_RE.captures(text) {
            item.owner = c.get(1).map(|m| format!("@{}", m.as_str()));
        }
    }
    // The first mention that reads as a date: "posted by the plan job (…,
    // due 2023-06-02)" has a "by" before its due date.
    if item.due.is_none()
        && let Some(d) = DUE_RE.captures_iter(text).find_map(|c| dates::parse_due(c.get(1)?.as_str(), year))
    {
        item.due = Some(d.to_string());
    }
    if item.severity.is_none()
        && let Some(c) = SEV_RE.captures(text)
    {
        let v = c.get(1).or_else(|| c.get(2)).map(|m| m.as_str().to_string());
        item.severity = v.map(|v| normalize_priority(&v));
    }
    if let Some(c) = STATUS_RE.captures(text) {
        let v = c.get(1).or_else(|| c.get(2)).or_else(|| c.get(3)).map(|m| m.as_str());
        if let Some(s) = v.and_then(parse_status) {
            item.status = s;
        }
    } else if let Some(s) = TRAILING_STATUS_RE.captures(text).and_then(|c| c.get(1)).and_then(|m| parse_status(m.as_str())) {
        item.status = s;
    }
    if item.link.is_none()
        && let Some(c) = TICKET_RE.captures(text)
    {
        item.link = c.get(1).map(|m| m.as_str().to_string());
    }
}

fn normalize_priority(v: &str) -> String {
    let t = v.trim();
    let l = t.to_lowercase().replace([' ', '-'], "");
    if let Some(n) = l.strip_prefix("sev") {
        return format!("SEV{n}");
    }
    if l.len() == 2 && l.starts_with('p') {
        return l.to_uppercase();
    }
    if l.len() == 1 && l.chars().all(|c| c.is_ascii_digit()) {
        return format!("P{l}");
    }
    let mut c = t.chars();
    match c.next() {
        Some(f) => f.to_uppercase().collect::<String>() + &c.as_str().to_lowercase(),
        None => String::new(),
    }
}

/// Strip inline metadata and a trailing ticket link from a title.
fn clean_title(text: &str, links: &[crate::model::Link]) -> String {
    let mut t = text.lines().next().unwrap_or("").trim().to_string();
    // A trailing status after a dash.
    if let Some(m) = TRAILING_STATUS_RE.find(&t) {
        t.truncate(m.start());
    }
    // A trailing parenthetical made only of metadata.
    if let Some(open) = t.rfind('(')
        && t.ends_with(')')
    {
        let inner = &t[open..];
        if OWNER_RE.is_match(inner) || DUE_RE.is_match(inner) || SEV_RE.is_match(inner) || STATUS_RE.is_match(inner) {
            t.truncate(open);
        }
    }
    if let Some(l) = links.last() {
        let lt = l.text.trim();
        if !lt.is_empty() && lt.len() <= 24 && t.trim_end().ends_with(lt) {
            let cut = t.trim_end().len() - lt.len();
            t.truncate(cut);
        }
    }
    let t = t.trim().trim_end_matches([':', '-', '–', '—', ',', ';']).trim();
    clean(t)
}

fn item_from_block(b: &Block, group: Option<&str>, year: Option<i32>) -> Option<ActionItem> {
    let title = clean_title(&b.text, &b.links);
    if title.chars().filter(|c| c.is_alphanumeric()).count() < 3 {
        return None;
    }
    let mut item = ActionItem {
        title,
        status: match b.checked {
            Some(true) => ActionStatus::Done,
            _ if b.struck => ActionStatus::Done,
            _ => ActionStatus::Open,
        },
        link: b.links.iter().find(|l| l.url.starts_with("http")).map(|l| l.url.clone()),
        group: group.map(str::to_string),
        line: b.line,
        ..Default::default()
    };
    inline_meta(&mut item, &b.text, year);
    if b.checked == Some(true) {
        item.status = ActionStatus::Done;
    }
    Some(item)
}

const TITLE_COLS: &[&str] =
    &["action", "action item", "title", "item", "task", "description", "what", "remediation", "follow-up", "follow up", "summary", "name"];
const SEV_COLS: &[&str] = &["severity", "priority", "sev", "pri", "p", "impact", "importance"];
const OWNER_COLS: &[&str] = &["owner", "owners", "assignee", "who", "team", "responsible", "dri", "assigned to"];
const DUE_COLS: &[&str] = &["due", "due date", "deadline", "eta", "target", "target date", "by when", "date", "when"];
const STATUS_COLS: &[&str] = &["status", "state", "done", "progress", "complete"];
const LINK_COLS: &[&str] = &["ticket", "issue", "link", "jira", "tracking", "pr", "reference", "tracker", "bug"];

fn col(header: &[String], names: &[&str]) -> Option<usize> {
    header.iter().position(|h| {
        let h = h.trim().trim_matches(|c: char| !c.is_alphanumeric()).to_lowercase();
        names.contains(&h.as_str())
    })
}

fn table_items(b: &Block, group: Option<&str>, year: Option<i32>) -> Vec<ActionItem> {
    let Some(header) = b.rows.first() else { return Vec::new() };
    let title_c = col(header, TITLE_COLS).unwrap_or(0);
    let (sev_c, owner_c, due_c, status_c, link_c) =
        (col(header, SEV_COLS), col(header, OWNER_COLS), col(header, DUE_COLS), col(header, STATUS_COLS), col(header, LINK_COLS));
    let mut out = Vec::new();
    for (i, r) in b.rows.iter().enumerate().skip(1) {
        let get = |c: Option<usize>| c.and_then(|c| r.get(c)).map(|s| clean(s)).filter(|s| !s.is_empty() && s != "-" && s != "—");
        let Some(title) = get(Some(title_c)) else { continue };
        let mut item = ActionItem {
            title,
            severity: get(sev_c).map(|s| normalize_priority(&s)),
            owner: get(owner_c),
            due: get(due_c).map(|d| dates::parse_due(&d, year).map_or(d, |x| x.to_string())),
            status: get(status_c).and_then(|s| parse_status(&s)).unwrap_or_default(),
            link: get(link_c),
            group: group.map(str::to_string),
            line: b.line + i + 1,
        };
        if let Some(l) = b.links.iter().find(|l| r.iter().any(|c| c.contains(&l.text)) && l.url.starts_with("http")) {
            item.link = Some(l.url.clone());
        }
        inline_meta(&mut item, &r.join(" | "), year);
        out.push(item);
    }
    out
}

/// The first sentence of a paragraph, at most 200 bytes.
fn first_sentence(text: &str) -> String {
    let t = text.split_whitespace().collect::<Vec<_>>().join(" ");
    let end = t.char_indices().find(|(i, c)| matches!(c, '.' | '!' | '?') && t[i + 1..].starts_with(' ')).map_or(t.len(), |(i, _)| i + 1);
    crate::parse::whys::clip(&t[..end], 200)
}

/// Extract action items from classified sections.
pub fn extract(sections: &[(&str, &RawSection)], year: Option<i32>) -> Vec<ActionItem> {
    let mut out: Vec<ActionItem> = Vec::new();
    let mut root_level = u8::MAX;
    let mut in_actions = false;
    for (kind, sec) in sections {
        let is_action = *kind == "action_items";
        if is_action && (!in_actions || sec.level <= root_level) {
            if !in_actions || sec.level < root_level {
                root_level = sec.level;
            }
            in_actions = true;
        } else if !is_action {
            in_actions = false;
            root_level = u8::MAX;
        }
        let group = if is_action && sec.level > root_level { Some(sec.heading.as_str()) } else { None };
        // Prose remediation: an action section with no list or table holds one
        // action per paragraph (its first sentence is the title).
        if is_action && !sec.blocks.iter().any(|b| matches!(b.kind, BlockKind::Item | BlockKind::Table)) {
            for b in sec.blocks.iter().filter(|b| b.kind == BlockKind::Para) {
                let first = first_sentence(&b.text);
                if first.chars().filter(|c| c.is_alphanumeric()).count() < 12 {
                    continue;
                }
                let mut item = ActionItem { title: first, group: group.map(str::to_string), line: b.line, ..Default::default() };
                item.link = b.links.iter().find(|l| l.url.starts_with("http")).map(|l| l.url.clone());
                inline_meta(&mut item, &b.text, year);
                out.push(item);
            }
            continue;
        }
        let mut parent: Option<usize> = None;
        for b in &sec.blocks {
            match b.kind {
                BlockKind::Table if is_action => out.extend(table_items(b, group, year)),
                BlockKind::Item if is_action || b.checked.is_some() => {
                    let g = if is_action { group } else { Some(sec.heading.as_str()).filter(|h| !h.is_empty()) };
                    if b.depth > 0
                        && let Some(p) = parent
                    {
                        // Sub-bullets hold details of their parent item.
                        let mut tmp = out[p].clone();
                        inline_meta(&mut tmp, &b.text, year);
                        out[p] = tmp;
                        if b.checked.is_none() {
                            continue;
                        }
                    }
                    if let Some(item) = item_from_block(b, g, year) {
                        out.push(item);
                        if b.depth == 0 {
                            parent = Some(out.len() - 1);
                        }
                    }
                }
                _ => {}
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::parse::markdown::{LineIndex, walk};

    fn run(md: &str) -> Vec<ActionItem> {
        let w = walk(md, &LineIndex::new(md, 1));
        let secs: Vec<(&str, &RawSection)> =
            w.sections.iter().map(|s| (if s.heading.starts_with("Action") || s.level > 2 { "action_items" } else { "other" }, s)).collect();
        extract(&secs, Some(2024))
    }

    #[test]
    fn task_lists_with_inline_meta() {
        let items = run(
            "## Action Items\n\n- [ ] Add alarm on throttles (owner: payments-oncall, due 2024-07-01, P1)\n- [x] Raise table capacity [#12](https://x/12)\n",
        );
        assert_eq!(items.len(), 2);
        assert_eq!(items[0].title, "Add alarm on throttles");
        assert_eq!(items[0].owner.as_deref(), Some("payments-oncall"));
        assert_eq!(items[0].due.as_deref(), Some("2024-07-01"));
        assert_eq!(items[0].severity.as_deref(), Some("P1"));
        assert_eq!(items[1].status, ActionStatus::Done);
        assert_eq!(items[1].title, "Raise table capacity");
        assert_eq!(items[1].link.as_deref(), Some("https://x/12"));
    }

    #[test]
    fn inline_meta_past_a_bound_reads_as_the_bounded_pattern_does() {
        let long = "the platform reliability and infrastructure operations group at large";
        let handle = "h".repeat(45);
        let items = run(&format!(
            "## Action Items\n\n- [ ] Fix paging (owner: {long}; assigned to @sre-team)\n- [ ] Fix alerts @{handle}\n- [ ] Fix docs (status: done after the second rollout finished)\n"
        ));
        // The first owner runs past 40 characters: the next one is taken.
        assert_eq!(items[0].owner.as_deref(), Some("@sre-team"));
        // A handle is cut at 39 characters, as the bounded repeat cuts it.
        assert_eq!(items[1].owner, Some(format!("@{}", &handle[..39])));
        // A status word read from its first 21 characters.
        assert_eq!(items[2].status, ActionStatus::Done);
    }

    /// "Action (owner, due date) — status": the owner named first in the
    /// parenthetical, the status after the dash, and neither in the title.
    #[test]
    fn owner_due_parenthetical_and_trailing_status() {
        let items = run(
            "## Action items\n\n- Lower the TTL to 60 seconds (edge-networking, due 2023-05-12) — done.\n- Alert on traffic share (Jane Doe; due 2023-06-30) - in progress\n- Size canary fleets for a quarter of traffic (due 2023-07-14) – won't do\n- Drain the old pool, by design - no owner here\n",
        );
        assert_eq!(items.len(), 4);
        assert_eq!(items[0].title, "Lower the TTL to 60 seconds");
        assert_eq!(items[0].owner.as_deref(), Some("edge-networking"));
        assert_eq!(items[0].due.as_deref(), Some("2023-05-12"));
        assert_eq!(items[0].status, ActionStatus::Done);
        assert_eq!(items[1].title, "Alert on traffic share");
        assert_eq!(items[1].owner.as_deref(), Some("Jane Doe"));
        assert_eq!(items[1].status, ActionStatus::Open);
        assert_eq!(items[2].title, "Size canary fleets for a quarter of traffic");
        assert_eq!(items[2].owner, None);
        assert_eq!(items[2].status, ActionStatus::NotDoing);
        // A dash before words that are no status leaves the item as written.
        assert_eq!(items[3].title, "Drain the old pool, by design - no owner here");
        assert_eq!(items[3].status, ActionStatus::Open);
        // A "by" in the text before the due date.
        let by = run("## Action items\n\n- Comment the plan posted by the CI job (web, due 2023-06-02) — done.\n");
        assert_eq!((by[0].owner.as_deref(), by[0].due.as_deref()), (Some("web"), Some("2023-06-02")));
        // A priority first is no owner.
        let p1 = run("## Action items\n\n- [ ] Alarm on every failure of the job (P1, due 2024-03-15)\n");
        assert_eq!((p1[0].owner.as_deref(), p1[0].severity.as_deref()), (None, Some("P1")));
    }

    #[test]
    fn prose_remediation_paragraphs() {
        let items = run(
            "## Action Items\n\nA new decommissioning process will be created. It removes stale IPs.\n\nTest instances will be replaced later this year.\n",
        );
        assert_eq!(items.len(), 2);
        assert_eq!(items[0].title, "A new decommissioning process will be created.");
    }

    #[test]
    fn tables_and_groups() {
        let md = "## Action Items\n\n### Technical\n\n| Action | Priority | Owner | Due | Status |\n|---|---|---|---|---|\n| Add retries | High | checkout | July 1, 2024 | Done |\n| Drop feature | Low | web | Q3 2024 | Won't do |\n\n### Process\n\n- Write a runbook\n";
        let items = run(md);
        assert_eq!(items.len(), 3);
        assert_eq!(items[0].group.as_deref(), Some("Technical"));
        assert_eq!(items[0].due.as_deref(), Some("2024-07-01"));
        assert_eq!(items[0].status, ActionStatus::Done);
        assert_eq!(items[1].status, ActionStatus::NotDoing);
        assert_eq!(items[2].group.as_deref(), Some("Process"));
    }
}
