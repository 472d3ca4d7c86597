//! Timeline extraction: entries from lists, tables, paragraphs or one heading per
//! entry; dates carried from day headings, the title or the file name; the
//! section's declared zone applied; each entry classified; durations derived.

use super::dates::{self, Found};
use super::markdown::{BlockKind, RawSection};
use crate::model::{EventKind, Metrics, TimelineEntry};
use crate::parse::pattern;
use chrono::{DateTime, Duration, FixedOffset, NaiveDate};
use regex::Regex;
use std::sync::LazyLock;

/// Keyword rules that classify an entry, checked in this order.
static KIND_RULES: LazyLock<Vec<(EventKind, Regex)>> = LazyLock::new(|| {
    let rules: [(EventKind, &str); 5] = [
        (
            EventKind::Resolve,
            r"\b(?:resolved|fully (?:restored|recovered|operational)|back to normal|returned to normal|all[- ]clear|incident (?:was |is )?(?:closed|over|resolved)|closed the incident|recovered|service (?:was )?restored|normal operations?|marked (?:as )?resolved|confirmed (?:the )?fix)\b",
        ),
        (
            EventKind::Mitigate,
            r"\b(?:roll(?:ed|ing)? ?back|rollback|revert(?:ed|ing)?|mitigat\w*|fail(?:ed|ing)? ?over|restart(?:ed|ing)?|reboot(?:ed)?|disabled?|scaled (?:up|out)|increased (?:the )?(?:limit|capacity|quota)|workaround|hot ?fix\w*|fix (?:was )?(?:deployed|applied|merged)|deployed (?:a|the) fix|patch(?:ed)? |(?:shifted|drained|moved|redirected) traffic|traffic (?:was )?(?:shifted|drained|moved)|drain(?:ed|ing)|blocked|isolated|recovering|(?:errors?|latency) (?:began|started) to (?:drop|decrease|subside|recover)|renewed|rotated|revoked|removed|paused|throttled (?:the )?|killed)\b",
        ),
        (
            EventKind::Detect,
            r"\b(?:alert(?:s|ed|ing)?|alarm(?:s|ed)?|fir(?:e|es|ed|ing)|pag(?:e|es|ed|ing)\b|pager|noticed|notices|detected|discover(?:ed|s)|reported|report(?:s)? (?:from|of)|became aware|first report|monitoring (?:showed|detected|flagged)|on-?call (?:was )?(?:notified|alerted)|notified|spotted|observed|flagged)\b",
        ),
        (
            EventKind::Escalate,
            r"\b(?:escalat\w*|incident (?:was )?declared|declared (?:an? |the )?(?:incident|sev|outage)|incident commander|war ?room|bridge|engaged|pulled in|joined|status ?page|all hands)\b",
        ),
        (
            EventKind::Start,
            r"\b(?:began|begins|started|starts|start of|deploy(?:ed|ment|ing)?|rolled out|roll-?out|pushed|merged|introduced|change (?:was )?(?:made|applied)|first (?:error|failure|sign|symptom)s?|outage (?:began|started)|impact (?:began|started)|triggered|expired|went down|went offline|became unavailable|stopped (?:working|responding)|was (?:published|uploaded|released))\b",
        ),
    ];
    rules.into_iter().map(|(k, p)| (k, pattern::compile(&format!("(?i){p}")))).collect()
});

/// Entries that say customer impact began.
static IMPACT_START: LazyLock<Regex> = LazyLock::new(|| {
    pattern::compile(
        r"(?i)\b(?:(?:customer |user )?impact|outage|errors?|failures?|incident|disruption|degradation)\s+(?:began|begins|started|starts)\b|\bfirst (?:errors?|failures?|reports?|alerts?)\b|\bbegan (?:failing|returning|erroring|timing out)\b|\bimpact begins\b",
    )
});

/// Classify an entry's text.
pub fn classify(text: &str) -> EventKind {
    for (kind, re) in KIND_RULES.iter() {
        if re.is_match(text) {
            return *kind;
        }
    }
    EventKind::Other
}

struct Ctx {
    date: Option<NaiveDate>,
    zone: Option<FixedOffset>,
    year: Option<i32>,
    last: Option<DateTime<FixedOffset>>,
}

fn strip_markup(s: &str) -> (&str, usize) {
    let trimmed = s.trim_start_matches(|c: char| c.is_whitespace() || "*_[(`~>#|".contains(c));
    (trimmed, s.len() - trimmed.len())
}

fn rest_after(text: &str, end: usize) -> String {
    let rest = text.get(end..).unwrap_or("");
    rest.trim_start_matches(|c: char| c.is_whitespace() || "*_)]`:-–—|,.".contains(c)).trim().to_string()
}

impl Ctx {
    fn stamp(&mut self, f: &Found) -> Option<String> {
        let date = f.date.or(self.date)?;
        let time = f.time?;
        let tz = f.tz.or(self.zone).unwrap_or_else(dates::utc);
        let mut dt = dates::combine(date, time, tz)?;
        // Times-only entries past midnight roll over to the next day.
        if f.date.is_none()
            && let Some(last) = self.last
            && dt < last
            && last - dt > Duration::hours(6)
        {
            dt += Duration::days(1);
            self.date = Some(dt.date_naive());
        }
        self.last = Some(dt);
        Some(dt.to_rfc3339())
    }

    /// An entry from a line that starts with a time, or None.
    fn entry(&mut self, raw: &str, line: usize, window: usize) -> Option<TimelineEntry> {
        let (text, skipped) = strip_markup(raw);
        let f = dates::leading_datetime(text, window, self.year)?;
        if f.start > window {
            return None;
        }
        if let Some(d) = f.date {
            self.date = Some(d);
            if self.year.is_none() {
                self.year = dates::year_of(Some(d));
            }
        }
        let time_text = text.get(f.start..f.end).unwrap_or("").trim().to_string();
        let at = if f.time.is_some() { self.stamp(&f) } else { None };
        let body = rest_after(text, f.end);
        let _ = skipped;
        Some(TimelineEntry { at, time_text, kind: classify(&body), text: body, line })
    }
}

/// Extract the timeline from the sections of kind `timeline`.
pub fn extract(sections: &[(&str, &RawSection)], doc_date: Option<NaiveDate>) -> Vec<TimelineEntry> {
    let mut out: Vec<TimelineEntry> = Vec::new();
    let mut ctx = Ctx { date: doc_date, zone: None, year: dates::year_of(doc_date), last: None };
    let mut root_level = u8::MAX;
    for (kind, sec) in sections {
        if *kind != "timeline" {
            continue;
        }
        if let Some(z) = dates::zone_note(&sec.heading) {
            ctx.zone = Some(z);
        }
        let first_text: String = sec.blocks.iter().take(2).map(|b| b.text.as_str()).collect::<Vec<_>>().join(" ");
        if let Some(z) = dates::zone_note(&first_text) {
            ctx.zone = Some(z);
        }
        let is_root = sec.level <= root_level;
        if is_root {
            root_level = sec.level;
            if let Some(d) = dates::first_date(&sec.heading, ctx.year) {
                ctx.date = Some(d);
            }
        }
        // One heading per entry (or a day heading).
        let mut heading_entry = None;
        if !is_root && let Some(e) = ctx.entry(&sec.heading, sec.line_start, 3) {
            if e.time_text.is_empty() || (e.at.is_none() && e.text.is_empty() && has_only_date(&e.time_text, ctx.year)) {
                // A pure day heading: sets the date for what follows.
            } else {
                heading_entry = Some(e);
            }
        }
        let mut block_entries: Vec<TimelineEntry> = Vec::new();
        let mut description: Vec<String> = Vec::new();
        for b in &sec.blocks {
            match b.kind {
                BlockKind::Table => block_entries.extend(table_entries(&mut ctx, &b.rows, b.line)),
                BlockKind::Item | BlockKind::Para => {
                    let mut any = false;
                    for (i, l) in b.text.lines().enumerate() {
                        let window = if b.kind == BlockKind::Item && i == 0 { 12 } else { 4 };
                        match ctx.entry(l, b.line + i, window) {
                            Some(e) if !e.text.is_empty() || e.at.is_some() => {
                                any = true;
                                block_entries.push(e);
                            }
                            Some(_) => {}
                            None => {
                                let t = l.trim();
                                if t.is_empty() {
                                    continue;
                                }
                                // Continuation of the previous entry in this block, or a description.
                                if any && let Some(last) = block_entries.last_mut() {
                                    if last.text.len() < 400 {
                                        last.text.push(' ');
                                        last.text.push_str(t);
                                    }
                                } else if b.depth > 0
                                    && let Some(last) = block_entries.last_mut()
                                {
                                    if last.text.len() < 400 {
                                        last.text.push_str("; ");
                                        last.text.push_str(t);
                                    }
                                } else {
                                    description.push(t.to_string());
                                }
                            }
                        }
                    }
                }
                BlockKind::Code => {}
            }
        }
        if let Some(mut e) = heading_entry {
            if !description.is_empty() {
                let d = description.join(" ");
                e.text = if e.text.is_empty() { d } else { format!("{} — {}", e.text, d) };
                truncate(&mut e.text, 500);
            }
            if e.kind == EventKind::Other {
                e.kind = classify(&e.text);
            }
            out.push(e);
        }
        out.extend(block_entries);
    }
    for e in &mut out {
        truncate(&mut e.text, 500);
    }
    out
}

fn has_only_date(s: &str, year: Option<i32>) -> bool {
    dates::first_date(s, year).is_some() && dates::find_time(s).is_none()
}

fn truncate(s: &mut String, max: usize) {
    if s.len() > max {
        s.truncate(crate::text::floor_char_boundary(s, max));
        s.push('…');
    }
}

fn table_entries(ctx: &mut Ctx, rows: &[Vec<String>], line: usize) -> Vec<TimelineEntry> {
    let Some(header) = rows.first() else { return Vec::new() };
    let lower: Vec<String> = header.iter().map(|h| h.to_lowercase()).collect();
    let has_word = |h: &str, words: &[&str]| h.split_whitespace().any(|w| words.contains(&w.trim_matches(|c: char| !c.is_alphanumeric())));
    let time_col = lower.iter().position(|h| has_word(h, &["time", "timestamp", "when", "at"]));
    // A separate "Date" column is combined with the time; a weekday column ("Day") is dropped.
    let date_col = lower.iter().position(|h| has_word(h, &["date"])).filter(|c| Some(*c) != time_col);
    let day_col = lower.iter().position(|h| h.trim() == "day" || h.trim() == "weekday");
    for h in header {
        if let Some(y) = dates::first_year(h) {
            ctx.year = Some(y);
        }
    }
    let (time_col, data) = match time_col.or(date_col) {
        Some(c) => {
            if let Some(z) = dates::zone_note(&header[c]).or_else(|| dates::zone_note(&format!("times in {}", header[c]))) {
                ctx.zone = Some(z);
            }
            (c, &rows[1..])
        }
        None => {
            // Headerless-looking table: the first column holds times.
            if dates::leading_datetime(&header[0], 4, ctx.year).is_some() { (0, rows) } else { (0, &rows[1..]) }
        }
    };
    let skip = |j: usize| j == time_col || Some(j) == date_col || Some(j) == day_col;
    let mut out = Vec::new();
    for (i, r) in data.iter().enumerate() {
        let Some(time_cell) = r.get(time_col) else { continue };
        let cell = match date_col.and_then(|c| r.get(c)) {
            Some(d) if !d.trim().is_empty() => format!("{} {}", d.trim(), time_cell.trim()),
            _ => time_cell.trim().to_string(),
        };
        let text: Vec<&str> = r.iter().enumerate().filter(|(j, c)| !skip(*j) && !c.trim().is_empty()).map(|(_, c)| c.trim()).collect();
        let text = text.join(" — ");
        let (cell_text, _) = strip_markup(&cell);
        match dates::leading_datetime(cell_text, 16, ctx.year) {
            Some(f) => {
                if let Some(d) = f.date {
                    ctx.date = Some(d);
                }
                let at = if f.time.is_some() { ctx.stamp(&f) } else { None };
                out.push(TimelineEntry { at, time_text: cell.clone(), kind: classify(&text), text, line: line + i + 2 });
            }
            None if !text.is_empty() => {
                out.push(TimelineEntry { at: None, time_text: cell.clone(), kind: classify(&text), text, line: line + i + 2 })
            }
            None => {}
        }
    }
    out
}

/// Time to detect, to mitigate, and duration, from the classified entries.
pub fn metrics(entries: &[TimelineEntry]) -> Metrics {
    let parse = |e: &TimelineEntry| e.at.as_deref().and_then(|a| DateTime::parse_from_rfc3339(a).ok());
    let timed: Vec<(EventKind, DateTime<FixedOffset>)> = entries.iter().filter_map(|e| parse(e).map(|t| (e.kind, t))).collect();
    // Where the incident started: an entry that says impact began; else the
    // last change before the first detection (lead-up work days earlier is
    // not the start); else the first start-like entry; else the first entry.
    let first_detect = timed.iter().find(|(k, _)| *k == EventKind::Detect).map(|(_, t)| *t);
    let strong = entries.iter().filter(|e| IMPACT_START.is_match(&e.text)).find_map(parse);
    let before_detect = first_detect.and_then(|d| timed.iter().rev().find(|(k, t)| *k == EventKind::Start && *t <= d)).map(|(_, t)| *t);
    let Some(start) = strong
        .or(before_detect)
        .or_else(|| timed.iter().find(|(k, _)| *k == EventKind::Start).map(|(_, t)| *t))
        .or_else(|| timed.first().map(|(_, t)| *t))
    else {
        return Metrics::default();
    };
    let minutes = |t: DateTime<FixedOffset>| -> Option<i64> {
        let m = (t - start).num_minutes();
        (0..=60 * 24 * 60).contains(&m).then_some(m)
    };
    let first_of = |k: EventKind| timed.iter().find(|(kk, t)| *kk == k && *t >= start).map(|(_, t)| *t);
    let detect = first_of(EventKind::Detect);
    let mitigate = first_of(EventKind::Mitigate);
    let resolve = timed.iter().rev().find(|(k, t)| *k == EventKind::Resolve && *t >= start).map(|(_, t)| *t);
    let end = resolve.or_else(|| timed.iter().rev().find(|(k, _)| *k == EventKind::Mitigate).map(|(_, t)| *t));
    Metrics {
        time_to_detect_min: detect.and_then(minutes),
        time_to_mitigate_min: mitigate.and_then(minutes),
        duration_min: end.and_then(minutes).filter(|m| *m > 0),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::parse::markdown::{LineIndex, walk};

    fn run(md: &str, date: Option<NaiveDate>) -> Vec<TimelineEntry> {
        let w = walk(md, &LineIndex::new(md, 1));
        let secs: Vec<(&str, &RawSection)> = w
            .sections
            .iter()
            .map(|s| (if s.heading.to_lowercase().starts_with("timeline") || s.level > 2 { "timeline" } else { "other" }, s))
            .collect();
        extract(&secs, date)
    }

    #[test]
    fn list_entries_with_zone() {
        let md = "## Timeline (all times PST)\n\n- 14:05 deploy started\n- 14:12 alert fired\n- 14:30 rolled back\n- 15:00 resolved\n";
        let e = run(md, NaiveDate::from_ymd_opt(2023, 6, 13));
        assert_eq!(e.len(), 4);
        assert_eq!(e[0].at.as_deref(), Some("2023-06-13T14:05:00-08:00"));
        assert_eq!(e[1].kind, EventKind::Detect);
        assert_eq!(e[2].kind, EventKind::Mitigate);
        let m = metrics(&e);
        assert_eq!(m.time_to_detect_min, Some(7));
        assert_eq!(m.time_to_mitigate_min, Some(25));
        assert_eq!(m.duration_min, Some(55));
    }

    #[test]
    fn heading_per_entry_with_day_headings() {
        let md = "## Timeline\n\nAll times in CET\n\n### 2018-01-17 17:14pm\n\nErrors started\n\n### 17:30\n\nAlert fired\n";
        let e = run(md, None);
        assert_eq!(e.len(), 2);
        assert_eq!(e[0].at.as_deref(), Some("2018-01-17T17:14:00+01:00"));
        assert_eq!(e[1].text, "Alert fired");
        assert_eq!(e[1].at.as_deref(), Some("2018-01-17T17:30:00+01:00"));
    }

    #[test]
    fn table_entries_parse() {
        let md = "## Timeline\n\n| Time (UTC) | Event |\n|---|---|\n| June 13, 2023 14:05 | Deploy began |\n| 14:20 | Paged on-call |\n";
        let e = run(md, None);
        assert_eq!(e.len(), 2);
        assert_eq!(e[1].at.as_deref(), Some("2023-06-13T14:20:00+00:00"));
        assert_eq!(e[1].kind, EventKind::Detect);
    }

    #[test]
    fn separate_date_and_time_columns() {
        let md = "## Timeline (all times PST)\n\n| Day | Date (2022) | Time (PST) | Event |\n|---|---|---|---|\n| Mon | Jun 27 | 13:47 | Instance turned off |\n| Tue | Jun 28 | 20:36 | Abuse report email received |\n";
        let e = run(md, None);
        assert_eq!(e.len(), 2);
        assert_eq!(e[0].at.as_deref(), Some("2022-06-27T13:47:00-08:00"));
        assert_eq!(e[1].text, "Abuse report email received");
    }

    #[test]
    fn lead_up_changes_do_not_start_the_incident() {
        let md = "## Timeline\n\n### 2023-07-19\n\n- 17:41 UTC PR merged\n\n### 2023-07-20\n\n- 12:17 UTC deployment promoted to production\n- 12:28 UTC a user notified the team\n- 12:30 UTC deployment rolled back\n";
        let m = metrics(&run(md, None));
        assert_eq!(m.time_to_detect_min, Some(11));
        assert_eq!(m.time_to_mitigate_min, Some(13));
    }

    #[test]
    fn midnight_rollover() {
        let md = "## Timeline\n\n- 23:50 errors began\n- 00:10 paged\n";
        let e = run(md, NaiveDate::from_ymd_opt(2024, 2, 28));
        assert_eq!(e[1].at.as_deref(), Some("2024-02-29T00:10:00+00:00"));
    }
}
