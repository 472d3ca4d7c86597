//! Front matter: YAML between `---` lines or TOML between `+++` lines, read
//! into a JSON value in bounded time and memory (alias bombs are rejected).

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
