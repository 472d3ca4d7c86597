//! Rendering of `coe lint` results: compiler-style text, JSON for tools, and
//! SARIF 2.1.0 for code scanning.

use super::{FileReport, LintConfig, RULES};
use crate::model::Level;
use serde_json::{Value, json};
use std::fmt::Write as _;

/// SARIF's `$schema`.
pub const SARIF_SCHEMA: &str = "https://json.schemastore.org/sarif-2.1.0.json";

fn counts(reports: &[FileReport]) -> (usize, usize, usize) {
    let mut c = (0, 0, 0);
    for f in reports.iter().flat_map(|r| &r.findings) {
        match f.level {
            Level::Error => c.0 += 1,
            Level::Warning => c.1 += 1,
            Level::Info => c.2 += 1,
        }
    }
    c
}

fn plural(n: usize, word: &str) -> String {
    format!("{n} {word}{}", if n == 1 { "" } else { "s" })
}

/// `path:line:col: level[rule-id]: message`, a hint line under each, and a summary.
pub fn text(reports: &[FileReport]) -> String {
    let mut s = String::new();
    for r in reports {
        for f in &r.findings {
            let _ = writeln!(s, "{}:{}:{}: {}[{}]: {}", r.path, f.line, f.col, f.level.as_str(), f.rule, f.message);
            if let Some(h) = &f.hint {
                let _ = writeln!(s, "  = hint: {h}");
            }
        }
    }
    let (e, w, i) = counts(reports);
    let files = plural(reports.len(), "file");
    if e + w + i == 0 {
        let _ = writeln!(s, "{files} checked: no problems found");
    } else {
        let _ = writeln!(s, "{files} checked: {}, {}, {}", plural(e, "error"), plural(w, "warning"), plural(i, "info"));
    }
    s
}

/// `{files: [{path, title, completeness, findings}], summary: {files, errors, warnings, infos}}`.
pub fn json(reports: &[FileReport]) -> anyhow::Result<String> {
    let (e, w, i) = counts(reports);
    let v = json!({
        "files": reports,
        "summary": {"files": reports.len(), "errors": e, "warnings": w, "infos": i},
    });
    Ok(serde_json::to_string_pretty(&v)? + "\n")
}

fn sarif_level(l: Level) -> &'static str {
    match l {
        Level::Error => "error",
        Level::Warning => "warning",
        Level::Info => "note",
    }
}

/// A relative path as a URI reference: `/` separators, unsafe bytes percent-encoded.
pub fn uri(path: &str) -> String {
    let mut out = String::with_capacity(path.len());
    for b in path.bytes() {
        if b.is_ascii_alphanumeric() || b"-._~/!$&'()*+,;=:@".contains(&b) {
            out.push(b as char);
        } else {
            let _ = write!(out, "%{b:02X}");
        }
    }
    if path.starts_with('/') { format!("file://{out}") } else { out }
}

/// One SARIF 2.1.0 log with one run.
pub fn sarif(reports: &[FileReport], cfg: &LintConfig) -> anyhow::Result<String> {
    let rules: Vec<Value> = RULES
        .iter()
        .map(|r| {
            json!({
                "id": r.id,
                "name": pascal(r.id),
                "shortDescription": {"text": r.summary},
                "fullDescription": {"text": format!("{} {}", r.summary, r.help)},
                "help": {"text": r.help, "markdown": r.help},
                "defaultConfiguration": {
                    "level": cfg.level(r.id).map_or("none", sarif_level),
                    "enabled": cfg.level(r.id).is_some(),
                },
            })
        })
        .collect();
    let mut artifacts = Vec::new();
    let mut results = Vec::new();
    for (ai, r) in reports.iter().enumerate() {
        let u = uri(&r.path);
        artifacts.push(json!({
            "location": {"uri": u},
            "properties": {"title": r.title, "completeness": r.completeness},
        }));
        for f in &r.findings {
            let mut text = f.message.clone();
            if let Some(h) = &f.hint {
                text.push_str(". Hint: ");
                text.push_str(h);
            }
            results.push(json!({
                "ruleId": f.rule,
                "ruleIndex": RULES.iter().position(|x| x.id == f.rule).unwrap_or(0),
                "level": sarif_level(f.level),
                "message": {"text": text},
                "locations": [{
                    "physicalLocation": {
                        "artifactLocation": {"uri": u, "index": ai},
                        "region": {"startLine": f.line.max(1), "startColumn": f.col.max(1)},
                    }
                }],
            }));
        }
    }
    let mut driver = json!({
        "name": "coe-lint",
        "version": env!("CARGO_PKG_VERSION"),
        "semanticVersion": env!("CARGO_PKG_VERSION"),
        "rules": rules,
    });
    if let Some(u) = information_uri() {
        driver["informationUri"] = json!(u);
    }
    let v = json!({
        "$schema": SARIF_SCHEMA,
        "version": "2.1.0",
        "runs": [{
            "tool": {"driver": driver},
            "columnKind": "unicodeCodePoints",
            "artifacts": artifacts,
            "results": results,
        }],
    });
    Ok(serde_json::to_string_pretty(&v)? + "\n")
}

/// Where the tool is documented: the package's repository or homepage, when set in Cargo.toml.
fn information_uri() -> Option<&'static str> {
    [env!("CARGO_PKG_REPOSITORY"), env!("CARGO_PKG_HOMEPAGE")].into_iter().find(|u| u.starts_with("http"))
}

fn pascal(id: &str) -> String {
    id.split('-')
        .map(|w| {
            let mut c = w.chars();
            c.next().map(|f| f.to_uppercase().collect::<String>() + c.as_str()).unwrap_or_default()
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn uris_are_encoded() {
        assert_eq!(uri("coes/2024 x.md"), "coes/2024%20x.md");
        assert_eq!(uri("/abs/é.md"), "file:///abs/%C3%A9.md");
        assert_eq!(pascal("third-person"), "ThirdPerson");
    }
}
