//! Vocabularies kept as data in `index-schema/`: heading aliases, technologies and
//! failure-mode rules, plus the extensions an organisation adds in `coe.toml`.
//!
//! The files are embedded at build time; [`Vocab::load`] merges the config's
//! additions at run time, so extending a vocabulary needs no rebuild.

use crate::parse::pattern::ascii_boundaries;
use aho_corasick::{AhoCorasick, AhoCorasickBuilder, MatchKind};
use serde::Deserialize;
use std::collections::HashMap;

mod aliases;

/// The heading-alias table, as shipped.
pub const HEADINGS_TOML: &str = include_str!("../index-schema/headings.toml");
/// The technology vocabulary, as shipped.
pub const TECHNOLOGIES_TOML: &str = include_str!("../index-schema/technologies.toml");
/// The failure-mode rules, as shipped.
pub const FAILURE_MODES_TOML: &str = include_str!("../index-schema/failure_modes.toml");

/// One canonical section kind and the headings that mean it.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct HeadingKind {
    /// Canonical id (`summary`, `timeline`, …).
    pub id: String,
    /// Display label.
    pub label: String,
    /// Normalised headings that map to this kind.
    pub aliases: Vec<String>,
}

/// One technology of the vocabulary.
#[derive(Debug, Clone, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct Technology {
    /// Canonical name, also the facet value.
    pub name: String,
    /// Category (database, cloud, …).
    #[serde(default)]
    pub category: String,
    /// Case-insensitive aliases, matched on word boundaries.
    #[serde(default)]
    pub aliases: Vec<String>,
    /// Forms matched only with this exact capitalisation.
    #[serde(default)]
    pub case_sensitive: Vec<String>,
    /// When set, `case_sensitive` forms count only with one of these words nearby.
    #[serde(default)]
    pub context: Vec<String>,
}

/// A failure-mode rule: regexes that score a document.
#[derive(Debug, Clone, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct FailureModeRule {
    /// Stable id (`capacity`, `dns`, …), the facet value.
    pub id: String,
    /// Display label.
    #[serde(default)]
    pub label: String,
    /// One-sentence description.
    #[serde(default)]
    pub description: String,
    /// Regexes (case-insensitive).
    pub patterns: Vec<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct HeadingsFile {
    kind: Vec<HeadingKind>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct TechFile {
    technology: Vec<Technology>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct FailureFile {
    failure_mode: Vec<FailureModeRule>,
}

/// What an organisation adds to the shipped vocabularies (`[vocabulary]` in `coe.toml`).
#[derive(Debug, Clone, Default, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct VocabExtension {
    /// Extra technologies (same keys as `technologies.toml`).
    #[serde(default)]
    pub technology: Vec<Technology>,
    /// Extra failure modes, or extra patterns for an existing id.
    #[serde(default)]
    pub failure_mode: Vec<FailureModeRule>,
    /// Known service names, matched in the Summary and Impact sections.
    #[serde(default)]
    pub services: Vec<String>,
}

/// Whether failure-mode patterns are the shipped ones (see [`rule_forms`]).
#[derive(Clone, Copy, PartialEq)]
enum Shipped {
    Yes,
    No,
}

/// The patterns of `rule` in the form they compile to, each checked. The
/// shipped rules are English and written in ASCII, and compile without
/// Unicode (`(?-u:…)`: ASCII case folding, word boundaries and classes):
/// that took compile time from 17 to 9 ms, the lazy DFA's warm-up on the
/// first documents by a tenth and the scan by a seventh. An organisation's
/// patterns keep Unicode classes and case folding (their words need not be
/// English), with ASCII word boundaries as in [`ascii_boundaries`].
fn rule_forms(rule: &FailureModeRule, shipped: Shipped) -> Result<Vec<String>, VocabError> {
    rule.patterns
        .iter()
        .map(|p| {
            let form = if shipped == Shipped::Yes { format!("(?-u:{p})") } else { ascii_boundaries(p) };
            match regex_syntax::Parser::new().parse(&form) {
                Ok(_) => Ok(form),
                Err(e) => Err(VocabError::Pattern { id: rule.id.clone(), pattern: p.clone(), message: e.to_string() }),
            }
        })
        .collect()
}

/// A failure-mode rule: its patterns as one alternation, checked when the
/// vocabulary loads. All rules are compiled together, on first use, into one
/// multi-pattern regex ([`Vocab::failure_mode_matches`]).
#[derive(Debug)]
pub struct CompiledRule {
    /// Id.
    pub id: String,
    /// Label.
    pub label: String,
    /// The patterns as one alternation.
    pattern: String,
}

/// Lazy-DFA cache of the failure-mode regex. Every rule in one automaton needs
/// more than the default 2 MB: with less the cache is cleared over and over,
/// the search falls back to a far slower engine, and tagging took a third of
/// parse time. The cache grows only as far as the text needs.
const FAILURE_DFA_CACHE: usize = 16 << 20;

/// One case-insensitive regex matching every rule, one pattern id per rule:
/// the text is scanned once rather than once per rule.
fn compile_rules(rules: &[CompiledRule]) -> Result<regex_automata::meta::Regex, String> {
    let patterns: Vec<&str> = rules.iter().map(|r| r.pattern.as_str()).collect();
    regex_automata::meta::Builder::new()
        .configure(
            regex_automata::meta::Config::new()
                .hybrid_cache_capacity(FAILURE_DFA_CACHE)
                // Hundreds of alternatives yield no useful literal prefilter:
                // extracting one was a fifth of the compile time, and scans
                // took as long without it.
                .auto_prefilter(false)
                .nfa_size_limit(Some(rules.len().max(1) * (4 << 20))),
        )
        .syntax(regex_automata::util::syntax::Config::new().case_insensitive(true))
        .build_many(&patterns)
        .map_err(|e| e.to_string())
}

/// A match of a technology alias in a text.
#[derive(Debug, Clone, PartialEq)]
pub struct TechMatch {
    /// Index into [`Vocab::technologies`].
    pub tech: usize,
    /// Byte range of the match.
    pub start: usize,
    /// End of the match.
    pub end: usize,
}

/// All vocabularies, compiled and ready to match.
pub struct Vocab {
    /// Section kinds with their aliases.
    pub kinds: Vec<HeadingKind>,
    alias_to_kind: HashMap<String, usize>,
    /// The technologies.
    pub technologies: Vec<Technology>,
    /// Alias matchers, built on first use (a restart with nothing to parse
    /// never needs them).
    matchers: std::sync::OnceLock<aliases::Aliases>,
    /// Failure-mode rules.
    pub failure_modes: Vec<CompiledRule>,
    /// All rules in one regex, built on first use.
    failure_regex: std::sync::OnceLock<Option<regex_automata::meta::Regex>>,
    /// Known services.
    pub services: Vec<String>,
    services_ac: Option<(AhoCorasick, Vec<usize>)>,
    name_index: HashMap<String, usize>,
    /// Tells this vocabulary's entries in the per-thread heading memo from
    /// another's.
    memo_id: u64,
}

/// Headings whose kind a thread has looked up, as (the vocabulary's
/// `memo_id`, heading → index into its kinds): documents repeat their
/// headings ("Summary", "Timeline"), and normalising one costs more than the
/// lookup. Started over past [`HEADING_MEMO`] headings or for another vocabulary.
type HeadingMemo = (u64, rustc_hash::FxHashMap<Box<str>, Option<usize>>);

/// Headings remembered per thread before the memo starts over.
const HEADING_MEMO: usize = 4096;

/// Headings longer than this are not remembered: real ones are short, and a
/// document of one huge heading must not make the memo hold it.
const HEADING_MEMO_BYTES: usize = 160;

thread_local! {
    static HEADINGS: std::cell::RefCell<HeadingMemo> = std::cell::RefCell::default();
}

impl std::fmt::Debug for Vocab {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Vocab")
            .field("kinds", &self.kinds.len())
            .field("technologies", &self.technologies.len())
            .field("failure_modes", &self.failure_modes.len())
            .finish()
    }
}

/// An error in a vocabulary file or extension.
#[derive(Debug, thiserror::Error)]
pub enum VocabError {
    /// A TOML file did not parse.
    #[error("vocabulary `{file}`: {message}")]
    Toml {
        /// Which file.
        file: String,
        /// Parser message.
        message: String,
    },
    /// A failure-mode pattern is not a valid regex.
    #[error("failure mode `{id}`: invalid pattern `{pattern}`: {message}")]
    Pattern {
        /// Rule id.
        id: String,
        /// The pattern.
        pattern: String,
        /// Regex error.
        message: String,
    },
}

/// Normalise a heading for alias lookup: lowercase, numbering, parentheses and
/// anything after `:` / ` - ` removed, punctuation folded to spaces.
pub fn normalize_heading(h: &str) -> String {
    let mut s = h.trim().to_lowercase().replace("(s)", "s");
    // Drop parenthesised text.
    let mut out = String::with_capacity(s.len());
    let mut depth = 0u32;
    for c in s.chars() {
        match c {
            '(' | '[' => depth += 1,
            ')' | ']' => depth = depth.saturating_sub(1),
            _ if depth == 0 => out.push(c),
            _ => {}
        }
    }
    s = out;
    for sep in [":", " - ", " – ", " — "] {
        if let Some(i) = s.find(sep) {
            let head = s[..i].trim();
            if !head.is_empty() {
                s = head.to_string();
            }
        }
    }
    let folded: String = s.chars().map(|c| if c.is_alphanumeric() || c == '&' || c == ';' { c } else { ' ' }).collect();
    let mut words: Vec<&str> = folded.split_whitespace().collect();
    // Leading numbering: "1", "2.", "iii", "step 3".
    while let Some(first) = words.first() {
        let roman = !first.is_empty() && first.chars().all(|c| "ivx".contains(c)) && words.len() > 1;
        // "5 Whys" keeps its number; "5. Timeline" does not.
        let five_whys = words.get(1).is_some_and(|w| w.starts_with("why"));
        let numeric = first.chars().all(|c| c.is_ascii_digit()) && words.len() > 1 && !five_whys;
        let letter = first.len() == 1 && words.len() > 1 && first.chars().all(|c| c.is_ascii_lowercase()) && *first != "a";
        if numeric || roman || letter {
            words.remove(0);
        } else if *first == "step" && words.len() > 2 {
            words.drain(..2);
        } else {
            break;
        }
    }
    words.join(" ")
}

fn parse_toml<T: for<'de> Deserialize<'de>>(file: &str, text: &str) -> Result<T, VocabError> {
    toml::from_str(text).map_err(|e| VocabError::Toml { file: file.to_string(), message: e.to_string() })
}

fn is_word_byte(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b == b'_'
}

/// True when `text[start..end]` stands on word boundaries.
pub fn on_word_boundary(text: &str, start: usize, end: usize) -> bool {
    let bytes = text.as_bytes();
    let before_ok = start == 0 || !is_word_byte(bytes[start - 1]) || !is_word_byte(bytes[start]);
    let after_ok = end >= bytes.len() || !is_word_byte(bytes[end]) || !is_word_byte(bytes[end - 1]);
    // Treat "Node.js" style dots as part of a word only when followed by a letter.
    let dot_join = end < bytes.len()
        && bytes[end] == b'.'
        && end + 1 < bytes.len()
        && bytes[end + 1].is_ascii_alphanumeric()
        && is_word_byte(bytes[end - 1]);
    before_ok && after_ok && !dot_join
}

impl Vocab {
    /// The shipped vocabularies.
    pub fn builtin() -> Result<Vocab, VocabError> {
        Vocab::load(&VocabExtension::default())
    }

    /// The shipped vocabularies plus an organisation's extension.
    pub fn load(ext: &VocabExtension) -> Result<Vocab, VocabError> {
        let kinds = parse_toml::<HeadingsFile>("index-schema/headings.toml", HEADINGS_TOML)?.kind;
        let mut technologies = parse_toml::<TechFile>("index-schema/technologies.toml", TECHNOLOGIES_TOML)?.technology;
        let mut rules = parse_toml::<FailureFile>("index-schema/failure_modes.toml", FAILURE_MODES_TOML)?.failure_mode;

        for t in &ext.technology {
            match technologies.iter_mut().find(|x| x.name.eq_ignore_ascii_case(&t.name)) {
                Some(existing) => {
                    existing.aliases.extend(t.aliases.iter().cloned());
                    existing.case_sensitive.extend(t.case_sensitive.iter().cloned());
                    existing.context.extend(t.context.iter().cloned());
                }
                None => technologies.push(t.clone()),
            }
        }
        // Each pattern in the form it compiles to, checked one by one so
        // that an error names the pattern as written.
        for r in &mut rules {
            r.patterns = rule_forms(r, Shipped::Yes)?;
        }
        for r in &ext.failure_mode {
            let forms = rule_forms(r, Shipped::No)?;
            match rules.iter_mut().find(|x| x.id == r.id) {
                Some(existing) => existing.patterns.extend(forms),
                None => rules.push(FailureModeRule { patterns: forms, ..r.clone() }),
            }
        }

        let mut alias_to_kind = HashMap::new();
        for (i, k) in kinds.iter().enumerate() {
            for a in &k.aliases {
                alias_to_kind.entry(normalize_heading(a)).or_insert(i);
            }
        }

        let mut name_index = HashMap::new();
        for (i, t) in technologies.iter().enumerate() {
            name_index.insert(t.name.to_lowercase(), i);
            for a in &t.aliases {
                name_index.entry(a.to_lowercase()).or_insert(i);
            }
        }

        let failure_modes = rules
            .into_iter()
            .map(|r| {
                let pattern = r.patterns.iter().map(|p| format!("(?:{p})")).collect::<Vec<_>>().join("|");
                CompiledRule { id: r.id, label: r.label, pattern }
            })
            .collect();

        let services = ext.services.clone();
        let services_ac = if services.is_empty() {
            None
        } else {
            let pats: Vec<String> = services.iter().map(|s| s.to_lowercase()).collect();
            let owners = (0..services.len()).collect();
            AhoCorasickBuilder::new()
                .ascii_case_insensitive(true)
                .match_kind(MatchKind::LeftmostLongest)
                .build(&pats)
                .ok()
                .map(|ac| (ac, owners))
        };

        Ok(Vocab {
            kinds,
            alias_to_kind,
            technologies,
            matchers: std::sync::OnceLock::new(),
            failure_modes,
            failure_regex: std::sync::OnceLock::new(),
            services,
            services_ac,
            name_index,
            memo_id: {
                static NEXT: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(1);
                NEXT.fetch_add(1, std::sync::atomic::Ordering::Relaxed)
            },
        })
    }

    /// The canonical section kind of a heading, if it maps to one. Singular
    /// and plural forms of the last word both match ("Measure" / "Measures").
    pub fn heading_kind(&self, heading: &str) -> Option<&str> {
        let kind = if heading.len() > HEADING_MEMO_BYTES {
            self.kind_index(heading)
        } else {
            HEADINGS.with_borrow_mut(|(id, memo)| {
                if *id != self.memo_id || memo.len() >= HEADING_MEMO {
                    *id = self.memo_id;
                    memo.clear();
                }
                if let Some(&k) = memo.get(heading) {
                    return k;
                }
                let k = self.kind_index(heading);
                memo.insert(heading.into(), k);
                k
            })
        };
        kind.and_then(|i| self.kinds.get(i)).map(|k| k.id.as_str())
    }

    /// [`Vocab::heading_kind`], as an index into `kinds`, without the memo.
    fn kind_index(&self, heading: &str) -> Option<usize> {
        let n = normalize_heading(heading);
        if n.is_empty() {
            return None;
        }
        self.kind_of_normalized(&n).or_else(|| {
            let other = match n.strip_suffix('s') {
                Some(stem) if !n.ends_with("ss") => stem.to_string(),
                _ => format!("{n}s"),
            };
            self.kind_of_normalized(&other)
        })
    }

    /// The kind of a normalized heading: the whole heading, else its longest
    /// run of leading words that is an alias ("root cause analysis" is a
    /// `root cause`). A few lookups, one per word, whatever the number of aliases.
    fn kind_of_normalized(&self, n: &str) -> Option<usize> {
        std::iter::once(n.len())
            .chain(n.rmatch_indices(' ').map(|(i, _)| i))
            .find_map(|end| n.get(..end).and_then(|words| self.alias_to_kind.get(words)))
            .copied()
    }

    /// The canonical name of the technology that `name` is a name or
    /// (unambiguous) alias of, in any case; the exact-case forms of words
    /// that are also common English (`Go`, `Vault`) are not looked up.
    pub fn technology_named(&self, name: &str) -> Option<&str> {
        self.name_index.get(&name.trim().to_lowercase()).map(|&i| self.technologies[i].name.as_str())
    }

    /// The canonical technology name for a user-supplied name or alias.
    pub fn canonical_technology(&self, name: &str) -> Option<&str> {
        self.technology_named(name).or_else(|| {
            self.technologies.iter().find(|t| t.case_sensitive.iter().any(|c| c.eq_ignore_ascii_case(name.trim()))).map(|t| t.name.as_str())
        })
    }

    fn matchers(&self) -> &aliases::Aliases {
        let techs = || self.technologies.iter().enumerate();
        self.matchers.get_or_init(|| {
            aliases::Aliases::new(
                techs().flat_map(|(i, t)| t.aliases.iter().map(move |a| (a.as_str(), i))),
                techs().flat_map(|(i, t)| t.case_sensitive.iter().map(move |a| (a.as_str(), i))),
            )
        })
    }

    /// Build the tagging automata now, side by side, before a parse needs
    /// them (a parse builds each in turn: about 100 ms that the first change
    /// after a start waited for). Cheap once they are built.
    pub fn prepare(&self) {
        if self.matchers.get().is_some() && self.failure_regex.get().is_some() {
            return;
        }
        rayon::join(
            || {
                self.matchers();
            },
            || {
                self.failure_regex();
            },
        );
    }

    /// The failure-mode regex, built on first use.
    fn failure_regex(&self) -> Option<&regex_automata::meta::Regex> {
        self.failure_regex
            .get_or_init(|| {
                compile_rules(&self.failure_modes)
                    .map_err(|e| tracing::warn!(error = %e, "failure-mode rules do not compile; no failure modes are tagged"))
                    .ok()
            })
            .as_ref()
    }

    /// The rule (index into [`Vocab::failure_modes`]) of each failure-mode
    /// match in `text`, left to right, matches not overlapping. Matches
    /// nothing, with a warning, if the rules exceed the size limit (their
    /// syntax is checked at load).
    pub fn failure_mode_matches<'a>(&'a self, text: &'a str) -> impl Iterator<Item = usize> + 'a {
        self.failure_regex().into_iter().flat_map(move |re| {
            // Only the rule of each match is wanted: its end is enough
            // to go on from, so the reverse scan for its start is skipped.
            let mut at = regex_automata::util::iter::Searcher::new(regex_automata::Input::new(text));
            std::iter::from_fn(move || {
                at.try_advance_half(|input| Ok(re.search_half(input))).ok().flatten().map(|m| m.pattern().as_usize())
            })
        })
    }

    /// Every technology mention in `text`, on word boundaries. Ambiguous forms
    /// count only when one of their context words occurs in the same paragraph.
    pub fn find_technologies(&self, text: &str) -> Vec<TechMatch> {
        let mut out = Vec::new();
        self.matchers().find(text, |m| {
            let t = &self.technologies[m.owner];
            if m.exact && !t.context.is_empty() {
                let lower = paragraph_around(text, m.start, m.end).to_lowercase();
                if !t.context.iter().any(|c| contains_word(&lower, &c.to_lowercase())) {
                    return;
                }
            }
            out.push(TechMatch { tech: m.owner, start: m.start, end: m.end });
        });
        out
    }

    /// Known services mentioned in `text`.
    pub fn find_services(&self, text: &str) -> Vec<String> {
        let mut out: Vec<String> = Vec::new();
        if let Some((ac, owners)) = &self.services_ac {
            for m in ac.find_iter(text) {
                if on_word_boundary(text, m.start(), m.end()) {
                    let s = &self.services[owners[m.pattern().as_usize()]];
                    if !out.contains(s) {
                        out.push(s.clone());
                    }
                }
            }
        }
        out
    }
}

/// True when `needle` occurs in `hay` on word boundaries.
pub fn contains_word(hay: &str, needle: &str) -> bool {
    if needle.is_empty() {
        return false;
    }
    let mut from = 0;
    while let Some(i) = hay[from..].find(needle) {
        let s = from + i;
        let e = s + needle.len();
        if on_word_boundary(hay, s, e) {
            return true;
        }
        from = s + hay[s..].chars().next().map_or(1, char::len_utf8);
    }
    false
}

/// The paragraph (text between blank lines) around a byte range.
pub fn paragraph_around(text: &str, start: usize, end: usize) -> &str {
    let s = text[..start].rfind("\n\n").map_or(0, |i| i + 2);
    let e = text[end..].find("\n\n").map_or(text.len(), |i| end + i);
    &text[s..e]
}

/// The sentence around a byte range, trimmed to at most ~240 bytes.
pub fn sentence_around(text: &str, start: usize, end: usize) -> String {
    let bytes = text.as_bytes();
    let mut s = start;
    while s > 0 && !matches!(bytes[s - 1], b'.' | b'!' | b'?' | b'\n') && start - s < 200 {
        s -= 1;
    }
    let mut e = end;
    while e < bytes.len() && !matches!(bytes[e], b'.' | b'!' | b'?' | b'\n') && e - end < 200 {
        e += 1;
    }
    let (s, e) = (crate::text::floor_char_boundary(text, s), crate::text::ceil_char_boundary(text, e));
    text[s..e].trim().to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn normalizes_headings() {
        assert_eq!(normalize_heading("Root Cause(s)"), "root causes");
        assert_eq!(normalize_heading("Timeline (all times PST) 2021-10-31"), "timeline 2021 10 31");
        assert_eq!(normalize_heading("3. Timeline"), "timeline");
        assert_eq!(normalize_heading("5. Timeline"), "timeline", "a section number, not the 5 whys");
        assert_eq!(normalize_heading("2. 5 Whys"), "5 whys");
        assert_eq!(normalize_heading("Root cause identification: The Five Whys"), "root cause identification");
        assert_eq!(normalize_heading("5 Why's"), "5 why s");
        assert_eq!(normalize_heading("What went wrong?"), "what went wrong");
    }

    /// The shipped rules compile without Unicode yet match either apostrophe;
    /// an organisation's rules keep Unicode case folding and classes, and a
    /// bad one is named as written.
    #[test]
    fn failure_mode_patterns_compile_in_their_form() {
        let rule = |id: &str, p: &str| FailureModeRule {
            id: id.into(),
            label: String::new(),
            description: String::new(),
            patterns: vec![p.into()],
        };
        let ext = VocabExtension {
            failure_mode: vec![rule("storage", r"\bspeicherstörung\b"), rule("dns", r"\bnamensauflösung\b")],
            ..Default::default()
        };
        let v = Vocab::load(&ext).expect("loads");
        let id = |text: &str| v.failure_mode_matches(text).map(|i| v.failure_modes[i].id.clone()).collect::<Vec<_>>();
        assert_eq!(id("The renewal didn\u{2019}t run."), ["certificate-expiry"]);
        assert_eq!(id("The renewal didn't run."), ["certificate-expiry"]);
        assert_eq!(id("Eine SPEICHERSTÖRUNG, dann NAMENSAUFLÖSUNG."), ["storage", "dns"]);
        let bad = VocabExtension { failure_mode: vec![rule("x", r"\b(unclosed")], ..Default::default() };
        let Err(err) = Vocab::load(&bad).map(drop) else { panic!("a bad pattern is an error") };
        let err = err.to_string();
        assert!(err.contains(r"invalid pattern `\b(unclosed`"), "{err}");
    }

    #[test]
    fn shipped_vocabularies_load() {
        let v = Vocab::builtin().expect("vocabularies parse");
        assert!(v.technologies.len() >= 200, "at least 200 technologies");
        assert_eq!(v.heading_kind("Issue Summary"), Some("summary"));
        assert_eq!(v.heading_kind("Timeline (all times PST) Oct 31"), Some("timeline"));
        assert_eq!(v.heading_kind("Root Cause(s)"), Some("root_cause"));
        assert_eq!(v.heading_kind("Corrective and Preventative Measures"), Some("action_items"));
        assert_eq!(v.heading_kind("Lessons learnt"), Some("lessons_learned"));
        assert_eq!(v.heading_kind("Process improvements"), None);
        assert_eq!(v.heading_kind("Corrective and Preventative Measure"), Some("action_items"));
        // Leading words that are an alias: the longest one wins ("summary"
        // and "summary of impact" are both aliases, of different kinds).
        assert_eq!(v.heading_kind("Summary of impact on customers"), Some("impact"));
        assert_eq!(v.heading_kind("Summary for leadership"), Some("summary"));
        assert_eq!(v.heading_kind("Root cause identification the five whys we ran"), Some("five_whys"));
        // Headings of published postmortems.
        assert_eq!(v.heading_kind("Future measures"), Some("action_items"));
        assert_eq!(v.heading_kind("Long-term changes to our release process"), Some("action_items"));
        assert_eq!(v.heading_kind("Action Taken"), Some("resolution"));
        assert_eq!(v.heading_kind("What can we learn from this incident?"), Some("lessons_learned"));
        assert_eq!(v.heading_kind("Affected packages"), Some("impact"));
        assert_eq!(v.heading_kind("Q&A"), Some("faq"));
        // Remembered per thread and vocabulary: the second lookup, through
        // another vocabulary in between and past the memo's size, agrees.
        let w = Vocab::builtin().expect("vocabularies parse");
        for _ in 0..2 {
            assert_eq!(v.heading_kind("Future measures"), Some("action_items"));
            assert_eq!(w.heading_kind("Future measures"), Some("action_items"));
            assert_eq!(w.heading_kind("Weather report"), None);
        }
        for i in 0..HEADING_MEMO + 1 {
            assert_eq!(v.heading_kind(&format!("Heading {i}")), None);
        }
        assert_eq!(v.heading_kind("Timeline"), Some("timeline"));
        // A heading too long to remember is still read.
        assert_eq!(v.heading_kind(&format!("Timeline {}", "x".repeat(HEADING_MEMO_BYTES))), Some("timeline"));
    }

    #[test]
    fn ambiguous_words_need_context() {
        let v = Vocab::builtin().expect("vocabularies parse");
        let names = |t: &str| -> Vec<String> { v.find_technologies(t).into_iter().map(|m| v.technologies[m.tech].name.clone()).collect() };
        assert!(names("We had to go back and rust never sleeps.").is_empty());
        assert!(names("The team could not Go live; spark of hope.").iter().all(|n| n != "Go"));
        assert_eq!(names("DynamoDB throttled writes"), vec!["DynamoDB"]);
        assert!(names("postgres connection pool").contains(&"PostgreSQL".to_string()));
    }
}
