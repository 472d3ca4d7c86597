//! `coe new`: a new CoE from `index-schema/template.md`, dated today, named
//! `YYYY-MM-DD-slug.md` after its title, never over an existing file.

use anyhow::{Context, bail};
use chrono::NaiveDate;
use std::io::Write;
use std::path::{Path, PathBuf};

/// The template, with `{{title}}`, `{{date}}` and `{{team}}` placeholders.
pub const TEMPLATE: &str = include_str!("../../index-schema/template.md");

/// Longest slug in a file name, in bytes.
const MAX_SLUG: usize = 60;

/// A file-name slug of a title: lowercase letters and digits joined by `-`,
/// cut at a word boundary to at most 60 bytes (`coe` when nothing is left).
pub fn slugify(title: &str) -> String {
    let mut words: Vec<String> = Vec::new();
    let mut cur = String::new();
    for c in title.chars() {
        if c.is_alphanumeric() {
            cur.extend(c.to_lowercase());
        } else if c == '\'' || c == '’' {
            // "don't" → "dont"
        } else if !cur.is_empty() {
            words.push(std::mem::take(&mut cur));
        }
    }
    if !cur.is_empty() {
        words.push(cur);
    }
    let mut slug = String::new();
    for w in words {
        let extra = if slug.is_empty() { w.len() } else { w.len() + 1 };
        if slug.len() + extra > MAX_SLUG {
            if slug.is_empty() {
                // One very long word: cut it on a character boundary.
                slug.push_str(&w[..crate::text::floor_char_boundary(&w, MAX_SLUG)]);
            }
            break;
        }
        if !slug.is_empty() {
            slug.push('-');
        }
        slug.push_str(&w);
    }
    if slug.is_empty() { "coe".to_string() } else { slug }
}

/// A YAML double-quoted scalar (JSON string syntax is valid YAML).
fn yaml_str(s: &str) -> String {
    serde_json::to_string(s).unwrap_or_else(|_| "\"\"".to_string())
}

/// The text of a new CoE.
pub fn render(title: &str, team: Option<&str>, today: NaiveDate) -> String {
    TEMPLATE
        .replace("\"{{title}}\"", &yaml_str(title))
        .replace("\"{{team}}\"", &yaml_str(team.unwrap_or("")))
        .replace("{{title}}", title)
        .replace("{{date}}", &today.format("%Y-%m-%d").to_string())
}

/// `coe new TITLE`: write a CoE from the template; returns its path.
pub fn new_coe(title: &str, team: Option<&str>, dir: &Path, today: NaiveDate) -> anyhow::Result<PathBuf> {
    let title = title.trim();
    if title.is_empty() {
        bail!("the title is empty; give the issue and its impact in under 20 words");
    }
    if title.contains(['\n', '\r']) {
        bail!("the title must be one line");
    }
    let words = super::title_words(title);
    if words > super::MAX_TITLE_WORDS {
        eprintln!("warning: the title has {words} words; the template asks for under 20");
    }
    let team = team.map(str::trim).filter(|t| !t.is_empty());
    std::fs::create_dir_all(dir).with_context(|| format!("cannot create `{}`", dir.display()))?;
    let path = dir.join(format!("{}-{}.md", today.format("%Y-%m-%d"), slugify(title)));
    let mut f = match std::fs::OpenOptions::new().write(true).create_new(true).open(&path) {
        Ok(f) => f,
        Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => {
            bail!("`{}` already exists; not overwriting it (choose another title, or edit that file)", path.display())
        }
        Err(e) => return Err(e).with_context(|| format!("cannot create `{}`", path.display())),
    };
    f.write_all(render(title, team, today).as_bytes()).with_context(|| format!("cannot write `{}`", path.display()))?;
    Ok(path)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn slugs() {
        assert_eq!(slugify("DynamoDB throttling: checkout failed for 47 minutes!"), "dynamodb-throttling-checkout-failed-for-47-minutes");
        assert_eq!(slugify("Don't panic"), "dont-panic");
        assert_eq!(slugify("¿¡!?"), "coe");
        assert_eq!(slugify("Café outage"), "café-outage");
        let long = slugify(&"word ".repeat(30));
        assert!(long.len() <= MAX_SLUG && !long.ends_with('-'), "{long}");
    }

    #[test]
    fn render_escapes_front_matter() {
        let t = render("Quotes \"and\" colons: here", Some("pay\\ments"), NaiveDate::from_ymd_opt(2024, 6, 13).expect("date"));
        assert!(t.contains("title: \"Quotes \\\"and\\\" colons: here\""), "{t}");
        assert!(t.contains("# Quotes \"and\" colons: here"));
        assert!(t.contains("date: 2024-06-13"));
        assert!(t.contains("team: \"pay\\\\ments\""));
        assert!(!t.contains("{{"));
    }
}
