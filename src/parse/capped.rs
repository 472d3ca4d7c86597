//! Patterns with bounded repeats (`[\w .-]{0,40}`), which take tens of
//! milliseconds each to compile over Unicode classes: they run with the
//! repeats unbounded (about 1 ms to compile), and only a match that runs past
//! a bound is redone by the exact pattern, compiled on first need.
//!
//! The unbounded pattern matches everything the exact one does, in the same
//! order of preference, so when its match keeps within every bound it is the
//! exact pattern's match too; anything else is handed to the exact pattern.

use crate::parse::pattern;
use regex::{Captures, Regex};
use regex_syntax::ast::{self, Ast, RepetitionKind, RepetitionRange};
use std::sync::OnceLock;

/// A regex with bounded repeats, compiled cheaply (see the module docs).
pub struct Capped {
    pattern: &'static str,
    /// (capture group, most characters it holds when each repeat in it keeps within its bound).
    caps: &'static [(usize, usize)],
    fast: OnceLock<Regex>,
    exact: OnceLock<Regex>,
}

impl Capped {
    /// `pattern` with its bounded repeats; `caps` says, for each capture
    /// group holding one, how many characters the group may have at most
    /// for the repeat to be within bounds (a smaller figure is safe: it only
    /// sends more matches to the exact pattern). Every bounded repeat must
    /// sit in a group named here.
    pub const fn new(pattern: &'static str, caps: &'static [(usize, usize)]) -> Self {
        Capped { pattern, caps, fast: OnceLock::new(), exact: OnceLock::new() }
    }

    /// The leftmost-first match of the exact pattern, with its groups.
    pub fn captures<'h>(&self, haystack: &'h str) -> Option<Captures<'h>> {
        let fast = self.fast.get_or_init(|| pattern::compile(&unbounded(self.pattern)));
        let c = fast.captures(haystack)?;
        let within = self.caps.iter().all(|&(group, most)| c.get(group).is_none_or(|m| m.as_str().chars().count() <= most));
        if within { Some(c) } else { self.exact.get_or_init(|| pattern::compile(self.pattern)).captures(haystack) }
    }

    /// Whether the exact pattern matches.
    pub fn is_match(&self, haystack: &str) -> bool {
        self.captures(haystack).is_some()
    }
}

/// `pattern` with every `{m,n}` repeat made `{m,}`.
fn unbounded(pattern: &str) -> String {
    let Ok(mut parsed) = ast::parse::Parser::new().parse(pattern) else { return pattern.to_string() };
    open_bounds(&mut parsed);
    let mut out = String::new();
    match ast::print::Printer::new().print(&parsed, &mut out) {
        Ok(()) => out,
        Err(_) => pattern.to_string(),
    }
}

fn open_bounds(node: &mut Ast) {
    match node {
        Ast::Repetition(r) => {
            if let RepetitionKind::Range(RepetitionRange::Bounded(m, _)) = r.op.kind {
                r.op.kind = RepetitionKind::Range(RepetitionRange::AtLeast(m));
            }
            open_bounds(&mut r.ast);
        }
        Ast::Group(g) => open_bounds(&mut g.ast),
        Ast::Alternation(a) => a.asts.iter_mut().for_each(open_bounds),
        Ast::Concat(c) => c.asts.iter_mut().for_each(open_bounds),
        _ => {}
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bounds_open_and_long_matches_are_exact() {
        assert_eq!(unbounded(r"(?i)a(\w{0,3}?)b[x-]{1,2}c{2}"), r"(?i)a(\w{0,}?)b[x-]{1,}c{2}");
        let re = Capped::new(r"k=([a-z]{1,3})(?:;|$)", &[(1, 3)]);
        let first = |h: &str| re.captures(h).and_then(|c| c.get(1)).map(|m| m.as_str().to_string());
        // Within the bound: the fast pattern's match.
        assert_eq!(first("k=ab;"), Some("ab".into()));
        // Past it at the first place: the exact pattern's later match, as `{1,3}` finds it.
        assert_eq!(first("k=abcdef; k=xy"), Some("xy".into()));
        assert_eq!(first("k=abcdef;"), None);
        assert!(!re.is_match("k=abcd"));
    }
}
