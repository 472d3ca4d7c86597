//! Dates, times and time zones in the forms real postmortems use:
//! ISO 8601, `14:05`, `4:19 PM PST`, `June 13, 2023 14:05 UTC`, `13 June 2023`.

use crate::parse::pattern;
use chrono::{DateTime, Datelike, FixedOffset, NaiveDate, NaiveDateTime, NaiveTime, Offset, TimeZone};
use regex::Regex;
use std::sync::LazyLock;

const MONTH: &str = r"(?:jan(?:uary)?|feb(?:ruary)?|mar(?:ch)?|apr(?:il)?|may|june?|july?|aug(?:ust)?|sep(?:t(?:ember)?)?|oct(?:ober)?|nov(?:ember)?|dec(?:ember)?)\.?";

static DATE_RE: LazyLock<Regex> = LazyLock::new(|| {
    let p = format!(
        r"(?ix)
        \b(?P<iy>\d{{4}})[-/](?P<im>\d{{1,2}})[-/](?P<id>\d{{1,2}})(?:\b|T)
        | \b(?P<mm>{MONTH})\s+(?P<md>\d{{1,2}})(?:st|nd|rd|th)?\b(?:,?\s+(?P<my>\d{{4}})\b)?
        | \b(?P<dd>\d{{1,2}})(?:st|nd|rd|th)?\s+(?:of\s+)?(?P<dm>{MONTH})(?:,?\s+(?P<dy>\d{{4}})\b)?
        | \b(?P<um>\d{{1,2}})[/-](?P<ud>\d{{1,2}})[/-](?P<uy>\d{{4}})\b
        | \b(?P<sm>\d{{1,2}})/(?P<sd>\d{{1,2}})/(?P<sy>\d{{2}})\b"
    );
    pattern::compile(&p)
});

static TIME_RE: LazyLock<Regex> = LazyLock::new(|| {
    pattern::compile(
        r"(?ix)
        (?:^|[^\d:])(?P<h>\d{1,2}):(?P<m>\d{2})(?::(?P<s>\d{2}))?(?:\.\d+)?\s*(?P<ap>[ap]\.?m\b\.?)?
        | (?:^|[^\d:.])(?P<h2>\d{1,2})\s*(?P<ap2>[ap]\.?m)\b\.?",
    )
});

static TZ_RE: LazyLock<Regex> = LazyLock::new(|| {
    pattern::compile(
        r"^\s*\(?\s*(?P<tz>UTC|GMT|Z|PST|PDT|PT|EST|EDT|ET|CST|CDT|CT|MST|MDT|MT|CET|CEST|BST|IST|JST|AEST|AEDT|NZST|NZDT|HKT|SGT|UTC\s?[+-]\s?\d{1,2}(?::?\d{2})?|GMT\s?[+-]\s?\d{1,2}(?::?\d{2})?|[+-]\d{2}:?\d{2})\b\)?",
    )
});

static ZONE_NOTE_RE: LazyLock<Regex> = LazyLock::new(|| {
    pattern::compile(
        r"(?i)\b(?:all\s+)?times?\s+(?:are\s+)?(?:(?:shown\s+|given\s+|listed\s+)?in\s+)?(?:the\s+)?\(?(?P<tz>UTC|GMT|PST|PDT|PT|EST|EDT|ET|CST|CDT|MST|MDT|CET|CEST|BST|IST|JST|AEST|AEDT|UTC\s?[+-]\s?\d{1,2})\b|\((?P<tz2>UTC|GMT|PST|PDT|PT|EST|EDT|ET|CET|CEST|BST|IST|JST)\)|\bin\s+(?P<tz3>UTC|GMT)\b",
    )
});

/// A date and/or time found in a text.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Found {
    /// The calendar date, when given (year may come from context).
    pub date: Option<NaiveDate>,
    /// The time of day, when given.
    pub time: Option<NaiveTime>,
    /// The zone, when given right after the time.
    pub tz: Option<FixedOffset>,
    /// Byte offset where the match starts.
    pub start: usize,
    /// Byte offset where the match ends.
    pub end: usize,
}

/// The UTC offset of a zone abbreviation or numeric offset.
pub fn tz_offset(abbr: &str) -> Option<FixedOffset> {
    let a = abbr.trim().to_ascii_uppercase().replace(' ', "");
    let hours = match a.as_str() {
        "UTC" | "GMT" | "Z" => 0,
        "PST" => -8,
        "PDT" | "PT" => -7,
        "MST" => -7,
        "MDT" | "MT" => -6,
        "CST" => -6,
        "CDT" | "CT" => -5,
        "EST" => -5,
        "EDT" | "ET" => -4,
        "CET" => 1,
        "CEST" => 2,
        "BST" => 1,
        "IST" => 5, // +05:30, handled below
        "JST" => 9,
        "HKT" | "SGT" => 8,
        "AEST" => 10,
        "AEDT" => 11,
        "NZST" => 12,
        "NZDT" => 13,
        _ => {
            let rest = a.trim_start_matches("UTC").trim_start_matches("GMT");
            let sign = match rest.chars().next()? {
                '+' => 1,
                '-' => -1,
                _ => return None,
            };
            let digits: String = rest[1..].chars().filter(|c| c.is_ascii_digit()).collect();
            let (h, m) = match digits.len() {
                1 | 2 => (digits.parse::<i32>().ok()?, 0),
                3 => (digits[..1].parse::<i32>().ok()?, digits[1..].parse::<i32>().ok()?),
                4 => (digits[..2].parse::<i32>().ok()?, digits[2..].parse::<i32>().ok()?),
                _ => return None,
            };
            if h > 14 || m > 59 {
                return None;
            }
            return FixedOffset::east_opt(sign * (h * 3600 + m * 60));
        }
    };
    if a == "IST" {
        return FixedOffset::east_opt(5 * 3600 + 1800);
    }
    FixedOffset::east_opt(hours * 3600)
}

fn month_number(m: &str) -> Option<u32> {
    let m = m.trim_end_matches('.').to_ascii_lowercase();
    let idx = ["jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"].iter().position(|p| m.starts_with(p))?;
    Some(idx as u32 + 1)
}

fn plausible_year(y: i32) -> bool {
    (1970..=2100).contains(&y)
}

/// Every date in `text` (with where it starts and ends), in order, found
/// one at a time: a caller after the first stops the search there. `year`
/// fills in dates written without one.
pub fn dates(text: &str, year: Option<i32>) -> impl Iterator<Item = (NaiveDate, usize, usize)> + '_ {
    DATE_RE.captures_iter(text).filter_map(move |c| {
        let whole = c.get(0)?;
        let num = |name: &str| c.name(name).and_then(|m| m.as_str().parse::<i32>().ok());
        let date = if let Some(y) = num("iy") {
            let (m, d) = (num("im").unwrap_or(0), num("id").unwrap_or(0));
            if plausible_year(y) { NaiveDate::from_ymd_opt(y, m as u32, d as u32) } else { None }
        } else if let Some(mm) = c.name("mm") {
            let y = num("my").or(year);
            let d = num("md").unwrap_or(0);
            match (y, month_number(mm.as_str())) {
                (Some(y), Some(m)) if plausible_year(y) => NaiveDate::from_ymd_opt(y, m, d as u32),
                _ => None,
            }
        } else if let Some(dm) = c.name("dm") {
            let y = num("dy").or(year);
            let d = num("dd").unwrap_or(0);
            match (y, month_number(dm.as_str())) {
                (Some(y), Some(m)) if plausible_year(y) => NaiveDate::from_ymd_opt(y, m, d as u32),
                _ => None,
            }
        } else if let Some(y) = num("uy").or_else(|| num("sy").map(|y| 2000 + y)) {
            // Numbers only, month first unless it cannot be; a two-digit year
            // ("4/21/23") is this century's. One of the two forms matched.
            let (a, b) = (num("um").or_else(|| num("sm")).unwrap_or(0), num("ud").or_else(|| num("sd")).unwrap_or(0));
            let (m, d) = if a > 12 { (b, a) } else { (a, b) };
            if plausible_year(y) { NaiveDate::from_ymd_opt(y, m as u32, d as u32) } else { None }
        } else {
            None
        };
        date.map(|d| (d, whole.start(), whole.end()))
    })
}

/// The first date in `text`.
pub fn first_date(text: &str, year: Option<i32>) -> Option<NaiveDate> {
    dates(text, year).next().map(|(d, _, _)| d)
}

/// The first time of day in `text`, with the zone written right after it.
pub fn find_time(text: &str) -> Option<(NaiveTime, Option<FixedOffset>, usize, usize)> {
    for c in TIME_RE.captures_iter(text) {
        let (h, m, s, ap, hm) = if let Some(h) = c.name("h") {
            let m = c.name("m").and_then(|x| x.as_str().parse::<u32>().ok()).unwrap_or(0);
            let s = c.name("s").and_then(|x| x.as_str().parse::<u32>().ok()).unwrap_or(0);
            (h.as_str().parse::<u32>().ok()?, m, s, c.name("ap"), h)
        } else if let Some(h) = c.name("h2") {
            (h.as_str().parse::<u32>().ok()?, 0, 0, c.name("ap2"), h)
        } else {
            continue;
        };
        let mut hour = h;
        if let Some(ap) = ap {
            let pm = ap.as_str().to_ascii_lowercase().starts_with('p');
            if hour <= 12 {
                if pm && hour < 12 {
                    hour += 12;
                } else if !pm && hour == 12 {
                    hour = 0;
                }
            }
        }
        let Some(t) = NaiveTime::from_hms_opt(hour, m, s) else { continue };
        let end = c.get(0).map_or(hm.end(), |w| w.end());
        let (tz, end) = match TZ_RE.captures(&text[end..]) {
            Some(tc) => {
                let tz = tc.name("tz").and_then(|z| tz_offset(z.as_str()));
                let e = tc.get(0).map_or(0, |w| w.end());
                (tz, end + e)
            }
            None => (None, end),
        };
        return Some((t, tz, hm.start(), end));
    }
    None
}

/// A date and/or time near the start of `text` (within `window` bytes), as a
/// timeline entry or heading begins.
pub fn leading_datetime(text: &str, window: usize, year: Option<i32>) -> Option<Found> {
    // Only the opening can hold a match that starts within the window: a
    // timeline line's later text is not searched.
    let text = opening(text, window);
    // Full ISO timestamps first.
    if let Some((dt, tz, s, e)) = find_iso_timestamp(text)
        && s <= window
    {
        return Some(Found { date: Some(dt.date()), time: Some(dt.time()), tz, start: s, end: e });
    }
    // Dates come in order: only the first can start within the window.
    let date = dates(text, year).next().filter(|(_, s, _)| *s <= window);
    let time = find_time(text).filter(|(_, _, s, _)| *s <= window || date.is_some_and(|(_, _, de)| *s <= de + 12));
    match (date, time) {
        (None, None) => None,
        (d, t) => {
            let start = d.map_or(usize::MAX, |x| x.1).min(t.map_or(usize::MAX, |x| x.2));
            let end = d.map_or(0, |x| x.2).max(t.map_or(0, |x| x.3));
            Some(Found { date: d.map(|x| x.0), time: t.map(|x| x.0), tz: t.and_then(|x| x.1), start, end })
        }
    }
}

/// Bytes past a window that a date, time and zone starting in it could span.
const LEADING_SLACK: usize = 96;

/// The start of `text` that holds every date or time beginning within
/// `window` bytes: it ends at the first ASCII whitespace [`LEADING_SLACK`]
/// bytes past the window, never inside a word, so a pattern's word
/// boundaries read there as they do in the whole text.
fn opening(text: &str, window: usize) -> &str {
    let from = window.saturating_add(LEADING_SLACK);
    match text.as_bytes().get(from..).and_then(|rest| rest.iter().position(u8::is_ascii_whitespace)) {
        Some(i) => &text[..from + i],
        None => text,
    }
}

/// The first RFC 3339 / ISO 8601 timestamp with a time part, and its zone when written.
pub fn find_iso_timestamp(text: &str) -> Option<(NaiveDateTime, Option<FixedOffset>, usize, usize)> {
    static ISO: LazyLock<Regex> =
        LazyLock::new(|| pattern::compile(r"\b(\d{4}-\d{2}-\d{2})[T ](\d{2}:\d{2}(?::\d{2})?)(?:\.\d+)?\s?(Z|[+-]\d{2}:?\d{2}|UTC)?"));
    let c = ISO.captures(text)?;
    let whole = c.get(0)?;
    let date = NaiveDate::parse_from_str(c.get(1)?.as_str(), "%Y-%m-%d").ok()?;
    let t = c.get(2)?.as_str();
    let time = NaiveTime::parse_from_str(t, "%H:%M:%S").or_else(|_| NaiveTime::parse_from_str(t, "%H:%M")).ok()?;
    let tz = c.get(3).and_then(|z| tz_offset(z.as_str()));
    Some((NaiveDateTime::new(date, time), tz, whole.start(), whole.end()))
}

/// The zone a section declares ("All times in PST", "Timeline (UTC)").
pub fn zone_note(text: &str) -> Option<FixedOffset> {
    let c = ZONE_NOTE_RE.captures(text)?;
    let z = c.name("tz").or_else(|| c.name("tz2")).or_else(|| c.name("tz3"))?;
    tz_offset(z.as_str())
}

/// UTC as a fixed offset.
pub fn utc() -> FixedOffset {
    chrono::Utc.fix()
}

/// Combine a date, a time and a zone into a timestamp.
pub fn combine(date: NaiveDate, time: NaiveTime, tz: FixedOffset) -> Option<DateTime<FixedOffset>> {
    tz.from_local_datetime(&NaiveDateTime::new(date, time)).single()
}

/// Parse a due date as people write it (`2024-07-01`, `July 1, 2024`, `Q3 2024`).
pub fn parse_due(text: &str, year: Option<i32>) -> Option<NaiveDate> {
    if let Some(d) = first_date(text, year) {
        return Some(d);
    }
    static Q: LazyLock<Regex> = LazyLock::new(|| pattern::compile(r"(?i)\bQ([1-4])\s*(?:FY)?\s*'?(\d{2,4})\b"));
    let c = Q.captures(text)?;
    let q: u32 = c.get(1)?.as_str().parse().ok()?;
    let mut y: i32 = c.get(2)?.as_str().parse().ok()?;
    if y < 100 {
        y += 2000;
    }
    let (m, d) = match q {
        1 => (3, 31),
        2 => (6, 30),
        3 => (9, 30),
        _ => (12, 31),
    };
    NaiveDate::from_ymd_opt(y, m, d)
}

/// The first month named with a year but no day ("in December 2019"), as
/// its first day. The month is capitalised, so that "may 2020" in prose is
/// not read as a date.
pub fn first_month(text: &str) -> Option<NaiveDate> {
    static M: LazyLock<Regex> = LazyLock::new(|| pattern::compile(&format!(r"(?i)\b(?P<m>{MONTH}),?\s+(?P<y>19[7-9]\d|20\d\d)\b")));
    M.captures_iter(text).find_map(|c| {
        let m = c.name("m")?;
        if !m.as_str().starts_with(|c: char| c.is_ascii_uppercase()) {
            return None;
        }
        NaiveDate::from_ymd_opt(c.name("y")?.as_str().parse().ok()?, month_number(m.as_str())?, 1)
    })
}

/// A plausible four-digit year written in a text ("Date (2022)").
pub fn first_year(text: &str) -> Option<i32> {
    static Y: LazyLock<Regex> = LazyLock::new(|| pattern::compile(r"\b(19[7-9]\d|20\d\d)\b"));
    Y.captures(text).and_then(|c| c.get(1)).and_then(|m| m.as_str().parse().ok())
}

/// The year of a date, for filling in dates written without one.
pub fn year_of(d: Option<NaiveDate>) -> Option<i32> {
    d.map(|d| d.year())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(y: i32, m: u32, dd: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, dd).expect("valid date")
    }

    #[test]
    fn dates_in_many_forms() {
        assert_eq!(first_date("on 2023-06-13 we", None), Some(d(2023, 6, 13)));
        assert_eq!(first_date("June 13, 2023 14:05 UTC", None), Some(d(2023, 6, 13)));
        assert_eq!(first_date("13th June 2023", None), Some(d(2023, 6, 13)));
        assert_eq!(first_date("Oct 31", Some(2021)), Some(d(2021, 10, 31)));
        assert_eq!(first_date("may be", Some(2021)), None);
        assert_eq!(first_date("2018/01/17", None), Some(d(2018, 1, 17)));
        assert_eq!(first_date("on 02-26-2024", None), Some(d(2024, 2, 26)));
        assert_eq!(first_date("on 4/21/23, 11:12 AM", None), Some(d(2023, 4, 21)));
        assert_eq!(first_date("from 21/4/23", None), Some(d(2023, 4, 21)));
        assert_eq!(first_date("a 1/2 share, 3/4/567", None), None);
    }

    #[test]
    fn months_without_a_day() {
        assert_eq!(first_month("An outage in December 2019 took"), Some(d(2019, 12, 1)));
        assert_eq!(first_month("In early Aug. 2022, queries"), Some(d(2022, 8, 1)));
        assert_eq!(first_month("June, 2021"), Some(d(2021, 6, 1)));
        assert_eq!(first_month("it may 2020 be"), None);
        assert_eq!(first_month("March 1850"), None);
    }

    #[test]
    fn times_with_zones() {
        let (t, tz, _, _) = find_time("4:19 PM PST - pods evicted").expect("time");
        assert_eq!(t, NaiveTime::from_hms_opt(16, 19, 0).expect("t"));
        assert_eq!(tz, tz_offset("PST"));
        let (t, tz, _, _) = find_time("- 14:05 UTC – alert fired").expect("time");
        assert_eq!(t, NaiveTime::from_hms_opt(14, 5, 0).expect("t"));
        assert_eq!(tz, Some(utc()));
        let (t, _, _, _) = find_time("2018-01-17 17:14pm").expect("time");
        assert_eq!(t, NaiveTime::from_hms_opt(17, 14, 0).expect("t"));
        let (t, _, _, _) = find_time("around 9am").expect("time");
        assert_eq!(t, NaiveTime::from_hms_opt(9, 0, 0).expect("t"));
    }

    #[test]
    fn leading_dates_and_times_are_read_from_the_opening() {
        let tail = " then the pager went off again and again".repeat(20);
        let line = format!("**June 13, 2023 4:19 PM PST** - pods evicted{tail} until 2024-01-02T03:04:05Z");
        let f = leading_datetime(&line, 24, None).expect("leading");
        assert_eq!((f.date, f.time, f.tz), (Some(d(2023, 6, 13)), NaiveTime::from_hms_opt(16, 19, 0), tz_offset("PST")));
        // A timestamp past the window is not the line's, however long the line.
        assert!(leading_datetime(&format!("Pods evicted{tail} at 2024-01-02T03:04:05Z"), 24, None).is_none());
        // The opening ends at a space, never inside a word or number.
        let words = "a".repeat(200);
        assert_eq!(opening(&words, 4), words);
        let spaced = format!("{} 2023-06-13", "x".repeat(100));
        assert_eq!(opening(&spaced, 4), "x".repeat(100));
    }

    #[test]
    fn iso_timestamps() {
        let (dt, tz, _, _) = find_iso_timestamp("at 2024-06-13T14:05:00Z the").expect("iso");
        assert_eq!(dt.to_string(), "2024-06-13 14:05:00");
        assert_eq!(tz, Some(utc()));
        let (_, tz, _, _) = find_iso_timestamp("2018-01-17 17:14").expect("iso");
        assert_eq!(tz, None);
    }

    #[test]
    fn zone_notes() {
        assert_eq!(zone_note("All times in PST"), tz_offset("PST"));
        assert_eq!(zone_note("Timeline (all times PDT)"), tz_offset("PDT"));
        assert_eq!(zone_note("Timeline (times in BST)"), tz_offset("BST"));
        assert_eq!(zone_note("Timeline (in UTC)"), tz_offset("UTC"));
        assert_eq!(zone_note("nothing here"), None);
    }

    #[test]
    fn due_dates() {
        assert_eq!(parse_due("Q3 2024", None), Some(d(2024, 9, 30)));
        assert_eq!(parse_due("2024-07-01", None), Some(d(2024, 7, 1)));
        assert_eq!(parse_due("soon", None), None);
    }
}
