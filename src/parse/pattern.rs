//! How the built-in patterns of the extractor, the linter and the query
//! rewriter compile: one place for the regex policy.
//!
//! Word boundaries are ASCII (`(?-u:\b)`). A Unicode `\b` stops the fast
//! lazy DFA at the first non-ASCII byte (an em dash in a timeline line, a
//! curly quote), and the search falls back to a backtracker or the PikeVM:
//! dates and failure modes took several times as long to find that way.
//! Patterns and data are ASCII words around the boundary, so the matches are
//! the same but for letters outside ASCII next to a word.

use regex::Regex;

/// `p` with every word boundary made ASCII.
pub(crate) fn ascii_boundaries(p: &str) -> String {
    p.replace(r"\b", r"(?-u:\b)")
}

/// Compile a built-in pattern: a constant of ours, compiled by the tests.
pub(crate) fn compile(pattern: &str) -> Regex {
    try_compile(pattern).unwrap_or_else(|e| panic!("built-in pattern does not compile: {e}"))
}

/// Compile a pattern made from configuration or data, which may not compile.
pub(crate) fn try_compile(pattern: &str) -> Result<Regex, regex::Error> {
    Regex::new(&ascii_boundaries(pattern))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn boundaries_are_ascii_so_non_ascii_text_keeps_matching() {
        let re = compile(r"\b(\d{1,2}):(\d{2})\b");
        // An em dash after the time: the match is the same as with `\b`.
        let c = re.captures("14:05 — paged the on-call").expect("matches");
        assert_eq!((&c[1], &c[2]), ("14", "05"));
        assert!(!re.is_match("114:055"));
        assert_eq!(ascii_boundaries(r"\bfoo\b"), r"(?-u:\b)foo(?-u:\b)");
        assert!(try_compile(r"\bfoo(").is_err());
    }
}
