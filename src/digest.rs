//! The weekly digest of new CoEs: which CoEs are new in a window, grouped by
//! technology or team, rendered as Markdown, HTML, JSON, plain text, Slack
//! mrkdwn, or an Atom feed; and scheduled webhook delivery that neither skips
//! nor repeats a digest across restarts.
//!
//! A CoE is *new in a window* when its front-matter `published` date falls in
//! the window; a CoE without one is new when coe-kb first indexed it then
//! (first-seen dates are persisted and survive index rebuilds).

use crate::index::Store;
use crate::index::search::{Access, ActionRow, SearchRequest};
use crate::model::{ActionItem, ActionStatus, CoeDoc};
use chrono::{DateTime, NaiveDate, Utc};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::fmt::Write as _;

/// Which date puts a CoE in the window.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum WindowBy {
    /// `published` from front matter, else first seen by coe-kb.
    #[default]
    FirstSeen,
    /// The incident date.
    IncidentDate,
}

/// How CoEs are grouped.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum GroupBy {
    /// By primary technology.
    #[default]
    Technology,
    /// By team.
    Team,
}

/// What to put in a digest.
#[derive(Debug, Clone, Default)]
pub struct DigestRequest {
    /// Window start (inclusive).
    pub since: DateTime<Utc>,
    /// Window end (exclusive).
    pub until: DateTime<Utc>,
    /// Only CoEs with one of these technologies.
    pub technology: Vec<String>,
    /// Only CoEs of one of these teams.
    pub team: Vec<String>,
    /// Which date counts.
    pub by: WindowBy,
    /// Grouping.
    pub group_by: GroupBy,
    /// Links are built from this (e.g. `https://coe.example.com`).
    pub base_url: Option<String>,
    /// Who reads it.
    pub access: Access,
}

/// One CoE in a digest. Keys are a stable contract (`--format json`).
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct DigestCoe {
    /// Id.
    pub id: String,
    /// Title.
    pub title: String,
    /// Team.
    pub team: Option<String>,
    /// Severity.
    pub severity: Option<String>,
    /// Incident date.
    pub date: Option<String>,
    /// When it entered the window (published, else first seen), RFC 3339.
    pub first_seen: Option<String>,
    /// Technologies.
    pub technologies: Vec<String>,
    /// Services.
    pub services: Vec<String>,
    /// Failure modes.
    pub failure_modes: Vec<String>,
    /// Short summary.
    pub summary: String,
    /// Root causes.
    pub root_causes: Vec<String>,
    /// Key lessons.
    pub lessons: Vec<String>,
    /// Action items.
    pub action_items: Vec<ActionItem>,
    /// Link to the CoE.
    pub url: String,
}

/// A group of CoEs.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct Group {
    /// Technology or team (or "Other").
    pub name: String,
    /// CoEs, newest first.
    pub coes: Vec<DigestCoe>,
}

/// A digest. Keys are a stable contract (`--format json`).
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct Digest {
    /// Window start, RFC 3339.
    pub since: String,
    /// Window end, RFC 3339.
    pub until: String,
    /// New CoEs in the window.
    pub count: usize,
    /// Grouped CoEs.
    pub groups: Vec<Group>,
    /// Open action items across all readable CoEs.
    pub open_action_items: usize,
    /// Overdue action items across all readable CoEs.
    pub overdue_action_items: Vec<ActionRow>,
}

fn in_filters(d: &CoeDoc, req: &DigestRequest) -> bool {
    (req.technology.is_empty() || d.technologies.iter().any(|t| req.technology.iter().any(|x| x.eq_ignore_ascii_case(t))))
        && (req.team.is_empty() || d.team.as_ref().is_some_and(|t| req.team.iter().any(|x| x.eq_ignore_ascii_case(t))))
}

fn day_start(d: NaiveDate) -> Option<DateTime<Utc>> {
    d.and_hms_opt(0, 0, 0).map(|x| x.and_utc())
}

/// When a CoE entered the window's timeline under `by`.
pub fn entered(d: &CoeDoc, first_seen: Option<i64>, by: WindowBy) -> Option<DateTime<Utc>> {
    let parse = |s: &Option<String>| s.as_deref().and_then(|x| NaiveDate::parse_from_str(x, "%Y-%m-%d").ok()).and_then(day_start);
    match by {
        WindowBy::IncidentDate => parse(&d.date),
        WindowBy::FirstSeen => parse(&d.published).or_else(|| first_seen.and_then(|s| DateTime::from_timestamp(s, 0))),
    }
}

/// Link to a CoE's page.
pub fn coe_url(base: Option<&str>, id: &str) -> String {
    format!("{}/coe/{}", base.unwrap_or("").trim_end_matches('/'), id)
}

/// Build a digest.
pub fn build(store: &Store, req: &DigestRequest, today: NaiveDate) -> crate::Result<Digest> {
    let docs = store.all_docs(&req.access, None)?;
    let mut picked: Vec<(DateTime<Utc>, CoeDoc)> = docs
        .into_iter()
        .filter(|(d, _)| in_filters(d, req))
        .filter_map(|(d, fs)| entered(&d, fs, req.by).filter(|t| *t >= req.since && *t < req.until).map(|t| (t, d)))
        .collect();
    picked.sort_by(|a, b| b.0.cmp(&a.0).then_with(|| a.1.title.cmp(&b.1.title)));
    let count = picked.len();
    let mut groups: BTreeMap<String, Vec<DigestCoe>> = BTreeMap::new();
    for (t, d) in picked {
        let key = match req.group_by {
            GroupBy::Technology => d.technologies.first().cloned(),
            GroupBy::Team => d.team.clone(),
        }
        .unwrap_or_else(|| "Other".into());
        groups.entry(key).or_default().push(DigestCoe {
            url: coe_url(req.base_url.as_deref(), &d.id),
            id: d.id,
            title: d.title,
            team: d.team,
            severity: d.severity,
            date: d.date,
            first_seen: Some(t.to_rfc3339()),
            technologies: d.technologies,
            services: d.services,
            failure_modes: d.failure_modes,
            summary: crate::parse::whys::clip(&d.summary, 400),
            root_causes: d.root_causes,
            lessons: d.lessons,
            action_items: d.action_items,
        });
    }
    let mut groups: Vec<Group> = groups.into_iter().map(|(name, coes)| Group { name, coes }).collect();
    groups.sort_by(|a, b| {
        b.coes.len().cmp(&a.coes.len()).then_with(|| (a.name == "Other").cmp(&(b.name == "Other"))).then_with(|| a.name.cmp(&b.name))
    });
    let aq = crate::index::search::ActionQuery {
        status: Some("open".into()),
        team: req.team.clone(),
        technology: req.technology.clone(),
        access: req.access.clone(),
        ..Default::default()
    };
    let open = store.action_items(&aq, today)?;
    let open_action_items = open.len();
    let overdue_action_items: Vec<ActionRow> = open.into_iter().filter(|r| r.overdue).collect();
    Ok(Digest { since: req.since.to_rfc3339(), until: req.until.to_rfc3339(), count, groups, open_action_items, overdue_action_items })
}

fn day(s: &str) -> &str {
    s.get(..10).unwrap_or(s)
}

fn status_mark(s: ActionStatus) -> &'static str {
    match s {
        ActionStatus::Open => "[ ]",
        ActionStatus::Done => "[x]",
        ActionStatus::NotDoing => "[-]",
    }
}

/// "No new CoEs this week." (or "in this window" for other windows).
fn empty_line(d: &Digest) -> &'static str {
    let span = DateTime::parse_from_rfc3339(&d.until).ok().zip(DateTime::parse_from_rfc3339(&d.since).ok()).map(|(u, s)| u - s);
    if span.is_some_and(|s| s <= chrono::Duration::days(7)) { "No new CoEs this week." } else { "No new CoEs in this window." }
}

/// Markdown (also the source of the HTML form).
pub fn to_markdown(d: &Digest) -> String {
    let mut o = String::new();
    let _ = writeln!(o, "# CoE digest: {} to {}\n", day(&d.since), day(&d.until));
    if d.count == 0 {
        let _ = writeln!(o, "**{}**\n", empty_line(d));
    } else {
        let _ = writeln!(
            o,
            "**{} new CoE{}** in {} group{} · {} open action item{} · {} overdue\n",
            d.count,
            if d.count == 1 { "" } else { "s" },
            d.groups.len(),
            if d.groups.len() == 1 { "" } else { "s" },
            d.open_action_items,
            if d.open_action_items == 1 { "" } else { "s" },
            d.overdue_action_items.len()
        );
    }
    for g in &d.groups {
        let _ = writeln!(o, "## {} ({})\n", g.name, g.coes.len());
        for c in &g.coes {
            let _ = writeln!(o, "### [{}]({})\n", c.title, c.url);
            let mut meta = Vec::new();
            meta.extend(c.severity.clone());
            meta.extend(c.team.clone().map(|t| format!("team {t}")));
            meta.extend(c.date.clone().map(|t| format!("incident {t}")));
            if !c.technologies.is_empty() {
                meta.push(c.technologies.join(", "));
            }
            if !c.services.is_empty() {
                meta.push(format!("services: {}", c.services.join(", ")));
            }
            let _ = writeln!(o, "*{}*\n", meta.join(" · "));
            if !c.summary.is_empty() {
                let _ = writeln!(o, "{}\n", c.summary);
            }
            if !c.root_causes.is_empty() {
                let _ = writeln!(o, "**Root cause:** {}\n", c.root_causes.join(" "));
            }
            if !c.lessons.is_empty() {
                let _ = writeln!(o, "**Key lessons:**\n");
                for l in &c.lessons {
                    let _ = writeln!(o, "- {l}");
                }
                o.push('\n');
            }
            if !c.action_items.is_empty() {
                let open = c.action_items.iter().filter(|a| a.status == ActionStatus::Open).count();
                let _ = writeln!(o, "**Action items** ({open} open, {} done):\n", c.action_items.len() - open);
                for a in &c.action_items {
                    let mut extra = Vec::new();
                    extra.extend(a.severity.clone());
                    extra.extend(a.owner.clone());
                    extra.extend(a.due.clone().map(|d| format!("due {d}")));
                    let tail = if extra.is_empty() { String::new() } else { format!(" ({})", extra.join(", ")) };
                    let _ = writeln!(o, "- {} {}{}", status_mark(a.status), a.title, tail);
                }
                o.push('\n');
            }
        }
    }
    if !d.overdue_action_items.is_empty() {
        let _ = writeln!(o, "## Overdue action items ({})\n", d.overdue_action_items.len());
        for r in &d.overdue_action_items {
            let _ = writeln!(
                o,
                "- {} — due {}, owner {} — *{}*",
                r.item.title,
                r.item.due.as_deref().unwrap_or("?"),
                r.item.owner.as_deref().unwrap_or("unassigned"),
                r.coe.title
            );
        }
        o.push('\n');
    }
    o
}

/// A standalone HTML page (for e-mail), rendered from the Markdown and sanitized.
pub fn to_html(d: &Digest) -> String {
    let body = crate::parse::markdown::render_safe(&to_markdown(d));
    format!(
        "<!doctype html>\n<html lang=\"en\"><head><meta charset=\"utf-8\"><title>CoE digest {} to {}</title></head>\n<body>\n{}</body></html>\n",
        day(&d.since),
        day(&d.until),
        body
    )
}

/// Plain text for terminals.
pub fn to_text(d: &Digest) -> String {
    let mut o = String::new();
    let _ = writeln!(
        o,
        "CoE digest {} to {}: {} new, {} open action items, {} overdue",
        day(&d.since),
        day(&d.until),
        d.count,
        d.open_action_items,
        d.overdue_action_items.len()
    );
    if d.count == 0 {
        let _ = writeln!(o, "{}", empty_line(d));
    }
    for g in &d.groups {
        let _ = writeln!(o, "\n{} ({})", g.name, g.coes.len());
        for c in &g.coes {
            let _ = writeln!(o, "  - {} [{}] {}", c.title, c.severity.as_deref().unwrap_or("—"), c.url);
            if let Some(rc) = c.root_causes.first() {
                let _ = writeln!(o, "    root cause: {}", crate::parse::whys::clip(rc, 160));
            }
        }
    }
    o
}

fn slack_escape(s: &str) -> String {
    s.replace('&', "&amp;").replace('<', "&lt;").replace('>', "&gt;")
}

/// Slack mrkdwn (`{"text": …}` webhooks).
pub fn to_slack(d: &Digest) -> String {
    let mut o = String::new();
    let _ = writeln!(o, "*CoE digest {} to {}*", day(&d.since), day(&d.until));
    if d.count == 0 {
        let _ = writeln!(o, "{}", empty_line(d));
    } else {
        let _ = writeln!(o, "{} new CoEs · {} open action items · {} overdue", d.count, d.open_action_items, d.overdue_action_items.len());
    }
    for g in &d.groups {
        let _ = writeln!(o, "\n*{}*", slack_escape(&g.name));
        for c in &g.coes {
            let link = if c.url.starts_with("http") { format!("<{}|{}>", c.url, slack_escape(&c.title)) } else { slack_escape(&c.title) };
            let _ = writeln!(
                o,
                "• {} — {} {}",
                link,
                c.severity.as_deref().unwrap_or(""),
                c.team.as_deref().map(slack_escape).unwrap_or_default()
            );
            if let Some(rc) = c.root_causes.first() {
                let _ = writeln!(o, "   _Root cause:_ {}", slack_escape(&crate::parse::whys::clip(rc, 200)));
            }
        }
    }
    o
}

/// An Atom feed (RFC 4287) of CoEs, newest first.
pub fn atom_feed(title: &str, self_url: &str, base: &str, docs: &[(CoeDoc, Option<i64>)]) -> String {
    use atom_syndication::{Category, Entry, Feed, FixedDateTime, Link, Person, Text};
    let to_fixed = |t: DateTime<Utc>| -> FixedDateTime { t.fixed_offset() };
    let mut entries = Vec::new();
    let mut newest: Option<DateTime<Utc>> = None;
    for (d, fs) in docs {
        let updated = entered(d, *fs, WindowBy::FirstSeen).unwrap_or_else(|| DateTime::<Utc>::from_timestamp(0, 0).unwrap_or_default());
        newest = Some(newest.map_or(updated, |n| n.max(updated)));
        let url = coe_url(Some(base), &d.id);
        let mut e = Entry::default();
        e.set_id(format!("{}#{}", base.trim_end_matches('/'), d.id));
        e.set_title(Text::plain(d.title.clone()));
        e.set_updated(to_fixed(updated));
        if let Some(p) = d.date.as_deref().and_then(|x| NaiveDate::parse_from_str(x, "%Y-%m-%d").ok()).and_then(day_start) {
            e.set_published(Some(to_fixed(p)));
        }
        e.set_links(vec![Link { href: url, rel: "alternate".into(), mime_type: Some("text/html".into()), ..Default::default() }]);
        let mut summary = d.summary.clone();
        if let Some(rc) = d.root_causes.first() {
            summary.push_str("\n\nRoot cause: ");
            summary.push_str(rc);
        }
        e.set_summary(Some(Text::plain(summary)));
        let mut cats: Vec<Category> =
            d.technologies.iter().map(|t| Category { term: t.clone(), scheme: Some("technology".into()), label: None }).collect();
        cats.extend(d.failure_modes.iter().map(|t| Category { term: t.clone(), scheme: Some("failure-mode".into()), label: None }));
        cats.extend(d.team.iter().map(|t| Category { term: t.clone(), scheme: Some("team".into()), label: None }));
        e.set_categories(cats);
        if let Some(team) = &d.team {
            e.set_authors(vec![Person { name: team.clone(), ..Default::default() }]);
        }
        entries.push(e);
    }
    let mut feed = Feed::default();
    feed.set_title(Text::plain(title.to_string()));
    feed.set_id(self_url.to_string());
    feed.set_updated(to_fixed(newest.unwrap_or_else(|| DateTime::<Utc>::from_timestamp(0, 0).unwrap_or_default())));
    feed.set_links(vec![
        Link { href: self_url.to_string(), rel: "self".into(), mime_type: Some("application/atom+xml".into()), ..Default::default() },
        Link { href: base.to_string(), rel: "alternate".into(), mime_type: Some("text/html".into()), ..Default::default() },
    ]);
    feed.set_authors(vec![Person { name: "coe-kb".into(), ..Default::default() }]);
    feed.set_entries(entries);
    feed.to_string()
}

/// The newest CoEs matching a search, for a feed.
pub fn feed_docs(store: &Store, req: &SearchRequest, limit: usize) -> crate::Result<Vec<(CoeDoc, Option<i64>)>> {
    let mut all_matching = Vec::new();
    let mut page = 1;
    let mut req = req.clone();
    req.per_page = crate::index::search::MAX_PER_PAGE;
    loop {
        req.page = page;
        let r = store.search(&req, None)?;
        all_matching.extend(r.hits.into_iter().map(|h| String::from(h.id)));
        if page * req.per_page >= r.total || page >= 20 {
            break;
        }
        page += 1;
    }
    let ids: std::collections::HashSet<String> = all_matching.into_iter().collect();
    let mut docs: Vec<(CoeDoc, Option<i64>)> =
        store.all_docs(&req.access, None)?.into_iter().filter(|(d, _)| ids.contains(&d.id)).collect();
    docs.sort_by_key(|(d, fs)| std::cmp::Reverse(entered(d, *fs, WindowBy::FirstSeen)));
    docs.truncate(limit);
    Ok(docs)
}

/// Parse `7d`, `2w`, `24h` (a span back from now) or a date.
pub fn parse_since(s: &str, now: DateTime<Utc>) -> Result<DateTime<Utc>, String> {
    let t = s.trim();
    if let Ok(d) = NaiveDate::parse_from_str(t, "%Y-%m-%d") {
        return day_start(d).ok_or_else(|| format!("invalid date `{s}`"));
    }
    if let Ok(dt) = DateTime::parse_from_rfc3339(t) {
        return Ok(dt.with_timezone(&Utc));
    }
    let (num, unit) = t.split_at(t.find(|c: char| !c.is_ascii_digit()).unwrap_or(t.len()));
    let n: i64 = num.parse().map_err(|_| format!("`{s}` is not a date (YYYY-MM-DD) or a span like 7d, 2w, 24h"))?;
    let span = match unit {
        "d" | "day" | "days" => chrono::Duration::days(n),
        "w" | "week" | "weeks" => chrono::Duration::weeks(n),
        "h" | "hour" | "hours" => chrono::Duration::hours(n),
        _ => return Err(format!("`{s}` is not a date (YYYY-MM-DD) or a span like 7d, 2w, 24h")),
    };
    Ok(now - span)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn spans_and_dates() {
        let now = DateTime::parse_from_rfc3339("2026-11-26T12:00:00Z").expect("now").with_timezone(&Utc);
        assert_eq!(parse_since("7d", now).expect("7d").to_rfc3339(), "2026-11-19T12:00:00+00:00");
        assert_eq!(parse_since("2026-11-01", now).expect("date").to_rfc3339(), "2026-11-01T00:00:00+00:00");
        assert!(parse_since("last week", now).is_err());
    }
}

/// A webhook that receives the digest.
#[derive(Debug, Clone, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct WebhookConfig {
    /// Name (the key of its delivery record; default: the URL).
    pub name: Option<String>,
    /// Where to POST.
    pub url: String,
    /// `slack` (`{"text": mrkdwn}`) or `json` (the digest's JSON).
    #[serde(default)]
    pub format: WebhookFormat,
    /// Only CoEs with these technologies.
    #[serde(default)]
    pub technology: Vec<String>,
    /// Only CoEs of these teams.
    #[serde(default)]
    pub team: Vec<String>,
}

/// Payload shape of a webhook.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum WebhookFormat {
    /// Slack-compatible `{"text": …}` with mrkdwn.
    #[default]
    Slack,
    /// The digest as JSON.
    Json,
}

/// `[digest]` in `coe.toml`.
#[derive(Debug, Clone, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct DigestConfig {
    /// When: `mon 09:00` (any weekday) or `daily 09:00`.
    #[serde(default = "default_schedule")]
    pub schedule: String,
    /// IANA time zone of the schedule, e.g. `Europe/Berlin` (default UTC).
    #[serde(default = "default_tz")]
    pub timezone: String,
    /// How far back each digest looks (default 7 days).
    #[serde(default = "default_window", with = "humantime_serde")]
    pub window: std::time::Duration,
    /// Base URL for links.
    pub base_url: Option<String>,
    /// Grouping.
    #[serde(default)]
    pub group_by: GroupBy,
    /// Webhooks.
    #[serde(default)]
    pub webhook: Vec<WebhookConfig>,
}

fn default_schedule() -> String {
    "mon 09:00".into()
}
fn default_tz() -> String {
    "UTC".into()
}
fn default_window() -> std::time::Duration {
    std::time::Duration::from_secs(7 * 24 * 3600)
}

/// A parsed schedule.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Schedule {
    /// Weekday, or every day.
    pub weekday: Option<chrono::Weekday>,
    /// Local time of day.
    pub time: chrono::NaiveTime,
    /// Zone.
    pub tz: chrono_tz::Tz,
}

impl Schedule {
    /// Parse `mon 09:00` / `daily 09:00` in a zone.
    pub fn parse(spec: &str, tz: &str) -> Result<Schedule, String> {
        let tz: chrono_tz::Tz =
            tz.parse().map_err(|_| format!("digest.timezone: unknown time zone `{tz}` (use an IANA name like Europe/Berlin)"))?;
        let mut parts = spec.split_whitespace();
        let (day, time) = match (parts.next(), parts.next(), parts.next()) {
            (Some(d), Some(t), None) => (d, t),
            _ => return Err(format!("digest.schedule: `{spec}` should look like `mon 09:00` or `daily 09:00`")),
        };
        let weekday = if day.eq_ignore_ascii_case("daily") {
            None
        } else {
            Some(day.parse::<chrono::Weekday>().map_err(|_| format!("digest.schedule: `{day}` is not a weekday"))?)
        };
        let time =
            chrono::NaiveTime::parse_from_str(time, "%H:%M").map_err(|_| format!("digest.schedule: `{time}` is not a time like 09:00"))?;
        Ok(Schedule { weekday, time, tz })
    }

    /// The most recent scheduled instant at or before `now`.
    pub fn latest_slot(&self, now: DateTime<Utc>) -> Option<DateTime<Utc>> {
        use chrono::{Datelike, TimeZone};
        let local_today = now.with_timezone(&self.tz).date_naive();
        for back in 0..9 {
            let day = local_today - chrono::Duration::days(back);
            if self.weekday.is_some_and(|w| day.weekday() != w) {
                continue;
            }
            let Some(t) = self.tz.from_local_datetime(&day.and_time(self.time)).earliest() else { continue };
            let t = t.with_timezone(&Utc);
            if t <= now {
                return Some(t);
            }
        }
        None
    }
}

/// What a delivery attempt did.
#[derive(Debug, Clone, PartialEq)]
pub struct Delivery {
    /// Webhook key.
    pub webhook: String,
    /// The slot delivered.
    pub slot: DateTime<Utc>,
    /// Ok, or the last error.
    pub result: Result<(), String>,
    /// HTTP attempts made.
    pub attempts: u32,
}

/// Scheduled delivery with a persisted record of the last slot sent per webhook.
pub struct Scheduler {
    cfg: DigestConfig,
    schedule: Schedule,
    state_path: std::path::PathBuf,
    state: BTreeMap<String, String>,
    client: reqwest::Client,
    /// Attempts per delivery.
    pub attempts: u32,
    /// First retry delay (doubles each time).
    pub backoff: std::time::Duration,
}

impl std::fmt::Debug for Scheduler {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Scheduler").field("schedule", &self.schedule).finish()
    }
}

/// Send one payload to a webhook (one attempt).
pub async fn post(client: &reqwest::Client, url: &str, digest: &Digest, format: WebhookFormat) -> Result<(), String> {
    let body = match format {
        WebhookFormat::Slack => serde_json::json!({ "text": to_slack(digest) }),
        WebhookFormat::Json => serde_json::to_value(digest).map_err(|e| e.to_string())?,
    };
    let r = client.post(url).json(&body).timeout(std::time::Duration::from_secs(15)).send().await.map_err(|e| e.to_string())?;
    if r.status().is_success() { Ok(()) } else { Err(format!("webhook answered {}", r.status())) }
}

impl Scheduler {
    /// A scheduler whose delivery record lives in `data_dir/digest-state.json`.
    pub fn new(cfg: DigestConfig, data_dir: &std::path::Path) -> Result<Scheduler, String> {
        let schedule = Schedule::parse(&cfg.schedule, &cfg.timezone)?;
        let state_path = data_dir.join("digest-state.json");
        let state = std::fs::read(&state_path).ok().and_then(|b| serde_json::from_slice(&b).ok()).unwrap_or_default();
        let client = reqwest::Client::builder().build().map_err(|e| e.to_string())?;
        Ok(Scheduler { cfg, schedule, state_path, state, client, attempts: 4, backoff: std::time::Duration::from_secs(2) })
    }

    fn key(w: &WebhookConfig) -> String {
        w.name.clone().unwrap_or_else(|| w.url.clone())
    }

    fn save(&self) -> Result<(), String> {
        let json = serde_json::to_vec_pretty(&self.state).map_err(|e| e.to_string())?;
        let tmp = self.state_path.with_extension("tmp");
        std::fs::write(&tmp, json).map_err(|e| e.to_string())?;
        std::fs::rename(&tmp, &self.state_path).map_err(|e| e.to_string())
    }

    /// Deliver every digest that is due at `now`. A webhook seen for the first
    /// time starts from the current slot (nothing is sent at first start); a
    /// slot missed while down is sent once; a slot already sent never again.
    pub async fn tick(&mut self, store: &Store, now: DateTime<Utc>) -> Vec<Delivery> {
        let Some(slot) = self.schedule.latest_slot(now) else { return Vec::new() };
        let mut out = Vec::new();
        let hooks = self.cfg.webhook.clone();
        for w in hooks {
            let key = Self::key(&w);
            let last = self.state.get(&key).and_then(|s| DateTime::parse_from_rfc3339(s).ok()).map(|d| d.with_timezone(&Utc));
            match last {
                None => {
                    self.state.insert(key.clone(), slot.to_rfc3339());
                    if let Err(e) = self.save() {
                        tracing::warn!(error = %e, "cannot save the digest delivery record");
                    }
                    continue;
                }
                Some(l) if l >= slot => continue,
                Some(_) => {}
            }
            let window = chrono::Duration::from_std(self.cfg.window).unwrap_or(chrono::Duration::days(7));
            let req = DigestRequest {
                since: slot - window,
                until: slot,
                technology: w.technology.clone(),
                team: w.team.clone(),
                by: WindowBy::FirstSeen,
                group_by: self.cfg.group_by,
                base_url: self.cfg.base_url.clone(),
                access: Access::Public,
            };
            let today = slot.date_naive();
            let digest = match build(store, &req, today) {
                Ok(d) => d,
                Err(e) => {
                    out.push(Delivery { webhook: key, slot, result: Err(e.to_string()), attempts: 0 });
                    continue;
                }
            };
            let mut attempts = 0;
            let mut result = Err(String::new());
            let mut delay = self.backoff;
            while attempts < self.attempts {
                attempts += 1;
                result = post(&self.client, &w.url, &digest, w.format).await;
                if result.is_ok() {
                    break;
                }
                tokio::time::sleep(delay).await;
                delay *= 2;
            }
            match &result {
                Ok(()) => {
                    tracing::info!(webhook = %key, slot = %slot, coes = digest.count, attempts, "digest delivered");
                    self.state.insert(key.clone(), slot.to_rfc3339());
                    if let Err(e) = self.save() {
                        tracing::warn!(error = %e, "cannot save the digest delivery record");
                    }
                }
                Err(e) => tracing::warn!(webhook = %key, error = %e, attempts, "digest delivery failed; will retry"),
            }
            out.push(Delivery { webhook: key, slot, result, attempts });
        }
        out
    }
}
