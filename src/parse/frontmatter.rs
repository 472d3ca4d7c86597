//! Front matter: YAML between `---` lines or TOML between `+++` lines, read
//! into a JSON value in bounded time and memory (alias bombs are rejected).

use crate::parse::pattern;
use serde_json::Value;

/// Front matter larger than this is rejected (the body is still read).
pub const MAX_FRONT_MATTER: usize = 64 * 1024;

/// Front matter split from the body.
#[derive(Debug, Default)]
pub struct Split<'a> {
    /// The front-matter text, without its fences.
    pub raw: Option<&'a str>,
    /// `yaml` or `toml`.
    pub format: &'static str,
    /// The body after the closing fence.
    pub body: &'a str,
    /// Line (1-based) where the body starts.
    pub body_line: usize,
}

/// Split front matter from a document. A document that opens a fence but never
/// closes it is treated as having none.
pub fn split(text: &str) -> Split<'_> {
    let t = text.strip_prefix('\u{feff}').unwrap_or(text);
    for (fence, format) in [("---", "yaml"), ("+++", "toml")] {
        let Some(rest) = t.strip_prefix(fence) else { continue };
        let Some(rest) = rest.strip_prefix("\r\n").or_else(|| rest.strip_prefix('\n')) else { continue };
        // Find a line that is exactly the fence.
        let mut pos = 0;
        let mut line_no = 2;
        while pos <= rest.len() {
            let end = rest[pos..].find('\n').map_or(rest.len(), |i| pos + i);
            let line = rest[pos..end].trim_end_matches('\r');
            if line == fence || (format == "yaml" && line == "...") {
                let body_start = (end + 1).min(rest.len());
                return Split { raw: Some(&rest[..pos]), format, body: &rest[body_start..], body_line: line_no + 1 };
            }
            if end == rest.len() {
                break;
            }
            pos = end + 1;
            line_no += 1;
        }
    }
    Split { raw: None, format: "", body: t, body_line: 1 }
}

/// Parse front matter into a JSON object. Errors are messages for a diagnostic.
pub fn parse(raw: &str, format: &str) -> Result<serde_json::Map<String, Value>, String> {
    if raw.len() > MAX_FRONT_MATTER {
        return Err(format!("front matter is {} bytes, over the {} byte limit", raw.len(), MAX_FRONT_MATTER));
    }
    if raw.trim().is_empty() {
        return Ok(serde_json::Map::new());
    }
    let value: Value = match format {
        "toml" => {
            let v: toml::Value = toml::from_str(raw).map_err(|e| format!("invalid TOML front matter: {}", first_line(&e.to_string())))?;
            serde_json::to_value(v).map_err(|e| format!("invalid TOML front matter: {e}"))?
        }
        _ => serde_saphyr::from_str::<Value>(raw).map_err(|e| format!("invalid YAML front matter: {}", first_line(&e.to_string())))?,
    };
    match value {
        Value::Object(m) => Ok(m),
        Value::Null => Ok(serde_json::Map::new()),
        _ => Err("front matter is not a mapping of keys to values".to_string()),
    }
}

fn first_line(s: &str) -> String {
    s.lines().next().unwrap_or("").chars().take(200).collect()
}

/// Keys read from `Key: value` lines at the top of the body (many templates
/// keep metadata there instead of in front matter): a whitelist, so prose like
/// "Status: resolved at 10:42" never becomes the document's review status.
const INLINE_KEYS: &[&str] = &[
    "team",
    "owning team",
    "owner team",
    "team name",
    "responsible team",
    "severity",
    "sev",
    "incident severity",
    "severity level",
    "impact level",
    "incident date",
    "date of incident",
    "date",
    "start time",
    "started at",
    "incident start",
    "services",
    "service",
    "services affected",
    "affected services",
    "impacted services",
    "affected systems",
    "systems affected",
    "components",
    "affected components",
    "product",
    "products",
    "technologies",
    "technology",
    "tech",
    "stack",
    "tags",
    "keywords",
    "visibility",
    "classification",
];

/// How far into the body inline metadata is looked for.
const INLINE_LINES: usize = 60;

/// The inline keys as one alternation, longest first.
fn inline_key_alternation() -> String {
    let mut keys: Vec<&str> = INLINE_KEYS.to_vec();
    keys.sort_by_key(|k| std::cmp::Reverse(k.len()));
    keys.iter().map(|k| regex::escape(k).replace(' ', r"[ _-]")).collect::<Vec<_>>().join("|")
}

/// A key anywhere in a line (after a separator).
static INLINE_KEY_RE: std::sync::LazyLock<regex::Regex> =
    std::sync::LazyLock::new(|| pattern::compile(&format!(r"(?i)(?:^|[\s|;,·])({})\s*:\s", inline_key_alternation())));

/// A key at the start of a line: exactly the lines where [`INLINE_KEY_RE`]'s
/// first match starts at 0. Anchored, it reads a few bytes of a line of
/// prose where the unanchored search reads all of it.
static INLINE_KEY_FIRST_RE: std::sync::LazyLock<regex::Regex> =
    std::sync::LazyLock::new(|| pattern::compile(&format!(r"(?i)^[\s|;,·]?(?:{})\s*:\s", inline_key_alternation())));

/// Metadata written as `Key: value` lines (`**Team:** Payments · **Severity:** SEV2`,
/// `- Date: 2024-03-01`) or two-column table rows (`| Severity | SEV2 |`) near
/// the top of the body. Keys are lowercased with `_` for spaces, like front
/// matter; the first occurrence of a key wins.
pub fn inline_fields(body: &str) -> serde_json::Map<String, Value> {
    let mut out = serde_json::Map::new();
    let mut fenced = false;
    for raw in body.lines().take(INLINE_LINES) {
        let t = raw.trim();
        if t.starts_with("```") || t.starts_with("~~~") {
            fenced = !fenced;
            continue;
        }
        if fenced || t.starts_with('#') {
            continue;
        }
        let line = unbold(t);
        let line = line.trim_start_matches(['>', '-', '*', '+', ' ']).trim();
        let mut put = |key: &str, value: &str| {
            let value = value.trim().trim_matches(|c: char| c == '|' || c == ',' || c == ';' || c == '·' || c == '*' || c == '_').trim();
            let key = key.to_lowercase().replace([' ', '-'], "_");
            if !value.is_empty() && value.len() <= 300 && !out.contains_key(&key) {
                out.insert(key, Value::String(strip_links(value)));
            }
        };
        if line.starts_with('|') {
            // A two-column table row: | Key | Value |
            let cells: Vec<&str> = line.trim_matches('|').split('|').map(str::trim).collect();
            if let [k, v] = cells.as_slice()
                && let key = k.trim_end_matches(':').replace(['_', '-'], " ")
                && INLINE_KEYS.iter().any(|x| x.eq_ignore_ascii_case(&key))
            {
                put(k.trim_end_matches(':'), v);
            }
            continue;
        }
        // The line must open with a key: "the team: …" in a sentence is
        // prose. Then the first of the keys found starts at 0.
        if !INLINE_KEY_FIRST_RE.is_match(line) {
            continue;
        }
        let found: Vec<(usize, usize, &str)> = INLINE_KEY_RE
            .captures_iter(line)
            .filter_map(|c| {
                let whole = c.get(0)?;
                Some((whole.start(), whole.end(), c.get(1)?.as_str()))
            })
            .collect();
        for (i, (_, end, key)) in found.iter().enumerate() {
            let stop = found.get(i + 1).map_or(line.len(), |n| n.0);
            put(key, &line[*end..stop]);
        }
    }
    out
}

/// `t` without its bold markers (`**`, `__`); borrowed when it has no `*`
/// or `_` (most lines: a byte search, where each `replace` searched and copied).
fn unbold(t: &str) -> std::borrow::Cow<'_, str> {
    if memchr::memchr2(b'*', b'_', t.as_bytes()).is_none() {
        return std::borrow::Cow::Borrowed(t);
    }
    std::borrow::Cow::Owned(t.replace("**", "").replace("__", ""))
}

/// `[text](url)` → `text`.
fn strip_links(s: &str) -> String {
    static LINK: std::sync::LazyLock<regex::Regex> = std::sync::LazyLock::new(|| pattern::compile(r"\[([^\]]*)\]\([^)]*\)"));
    LINK.replace_all(s, "$1").into_owned()
}

/// Look up a key case-insensitively, also inside `[extra]` / `params` tables.
pub fn get<'a>(m: &'a serde_json::Map<String, Value>, keys: &[&str]) -> Option<&'a Value> {
    for k in keys {
        for (key, v) in m {
            if key.eq_ignore_ascii_case(k) && !v.is_null() {
                return Some(v);
            }
        }
    }
    for nested in ["extra", "params", "metadata", "meta"] {
        if let Some(Value::Object(inner)) = m.get(nested)
            && let Some(v) = get(inner, keys)
        {
            return Some(v);
        }
    }
    None
}

/// A scalar as a string.
pub fn as_string(v: &Value) -> Option<String> {
    match v {
        Value::String(s) => Some(s.trim().to_string()).filter(|s| !s.is_empty()),
        Value::Number(n) => Some(n.to_string()),
        Value::Bool(b) => Some(b.to_string()),
        Value::Array(a) => a.first().and_then(as_string),
        _ => None,
    }
}

/// A list of strings (a sequence, or a comma-separated string).
pub fn as_list(v: &Value) -> Vec<String> {
    match v {
        Value::Array(a) => a.iter().filter_map(as_string).collect(),
        Value::String(s) => s.split(',').map(|x| x.trim().to_string()).filter(|x| !x.is_empty()).collect(),
        Value::Object(o) => o.keys().cloned().collect(),
        _ => as_string(v).into_iter().collect(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn inline_metadata_lines_and_tables() {
        let body = "# Checkout outage\n\n**Team:** Payments **Severity:** SEV2\n- Date: March 3, 2024\n\
                    | Services affected | [checkout](http://x), cart |\n\n\
                    The team: a sentence, not a field.\n\n## Timeline\n\nStatus: resolved at 10:42\n";
        let m = inline_fields(body);
        let get = |k: &str| m.get(k).and_then(Value::as_str);
        assert_eq!(get("team"), Some("Payments"));
        assert_eq!(get("severity"), Some("SEV2"));
        assert_eq!(get("date"), Some("March 3, 2024"));
        assert_eq!(get("services_affected"), Some("checkout, cart"));
        assert_eq!(m.len(), 4, "no prose, no status: {m:?}");
        assert!(inline_fields("```\nTeam: in code\n```\n").is_empty());
    }

    #[test]
    fn inline_keys_open_the_line_whatever_the_markup() {
        let m = inline_fields("__Owner team:__ SRE\n* Severity: SEV1\n> Incident date: 2024-03-01 · Sev: 2\nSo the team: prose\n");
        let get = |k: &str| m.get(k).and_then(Value::as_str);
        assert_eq!(get("owner_team"), Some("SRE"));
        assert_eq!(get("severity"), Some("SEV1"));
        assert_eq!(get("incident_date"), Some("2024-03-01"));
        assert_eq!(get("sev"), Some("2"));
        assert_eq!(m.len(), 4, "{m:?}");
    }

    #[test]
    fn splits_yaml_and_toml() {
        let s = split("---\ntitle: A\n---\n# Body\n");
        assert_eq!(s.raw, Some("title: A\n"));
        assert_eq!(s.body, "# Body\n");
        assert_eq!(s.body_line, 4);
        let s = split("+++\ntitle = \"B\"\n+++\nbody");
        assert_eq!(s.format, "toml");
        assert_eq!(s.body, "body");
        let s = split("---\nno close\n");
        assert!(s.raw.is_none());
        let s = split("---\r\ntitle: C\r\n---\r\nx");
        assert_eq!(s.raw, Some("title: C\r\n"));
    }

    #[test]
    fn alias_bomb_is_rejected() {
        let mut y = String::from("a: &a [\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\"]\n");
        let names = ["b", "c", "d", "e", "f", "g", "h", "i"];
        let mut prev = "a";
        for n in names {
            y.push_str(&format!("{n}: &{n} [*{prev},*{prev},*{prev},*{prev},*{prev},*{prev},*{prev},*{prev},*{prev}]\n"));
            prev = n;
        }
        assert!(parse(&y, "yaml").is_err());
    }

    #[test]
    fn toml_extra_tables_are_searched() {
        let m = parse("title = \"T\"\n[extra]\nteam = \"infra\"\n", "toml").expect("toml");
        assert_eq!(get(&m, &["team"]).and_then(as_string), Some("infra".into()));
    }
}
