//! How the built-in patterns of the extractor, the linter and the query
//! rewriter compile: one place for the regex policy.
//!
//! Word boundaries in built-in patterns are ASCII (`(?-u:\b)`). A Unicode
//! `\b` stops the fast lazy DFA at the first non-ASCII byte (an em dash in a
//! timeline line, a curly quote), and the search falls back to a backtracker
//! or the PikeVM: dates took three times as long to find that way, and
//! root-cause sentences three and a half. Those patterns are ASCII words
//! around each boundary, so they match the same but for a letter outside
//! ASCII right next to a word. Patterns made from data (people's names,
//! configured phrases) keep Unicode boundaries: "Zoë" must end a word.

use regex::Regex;

/// `p` with every word boundary `\b` made ASCII. Escapes are read as the
/// regex parser reads them, so an escaped backslash before a `b` (`\\b`,
/// a backslash then the letter) stays as written, and so does a special
/// boundary such as `\b{start}`.
pub(crate) fn ascii_boundaries(p: &str) -> String {
    let mut out = String::with_capacity(p.len() + 16);
    let mut chars = p.chars().peekable();
    while let Some(c) = chars.next() {
        if c != '\\' {
            out.push(c);
            continue;
        }
        match chars.next() {
            Some('b') if chars.peek() != Some(&'{') => out.push_str(r"(?-u:\b)"),
            Some(e) => {
                out.push('\\');
                out.push(e);
            }
            None => out.push('\\'),
        }
    }
    out
}

/// Compile a built-in pattern, with ASCII word boundaries: a constant of
/// ours, which the tests compile.
pub(crate) fn compile(pattern: &str) -> Regex {
    Regex::new(&ascii_boundaries(pattern)).unwrap_or_else(|e| panic!("built-in pattern does not compile: {e}"))
}

/// Compile a pattern made from configuration or data, which may not compile.
/// Its word boundaries stay Unicode (see the module docs).
pub(crate) fn try_compile(pattern: &str) -> Result<Regex, regex::Error> {
    Regex::new(pattern)
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
        // An escaped backslash before `b`, and a special boundary, stay as written.
        assert_eq!(ascii_boundaries(r"C:\\bin\b"), r"C:\\bin(?-u:\b)");
        assert_eq!(ascii_boundaries(r"\b{start}x\B"), r"\b{start}x\B");
        assert!(compile(r"C:\\bin\b").is_match(r"C:\bin ok"));
        assert!(try_compile(r"\bfoo(").is_err());
        // A name from the configuration ends at a letter outside ASCII.
        assert!(try_compile(r"\bZoë\b").expect("compiles").is_match("Ask Zoë."));
        assert!(!try_compile(r"\bZoë\b").expect("compiles").is_match("Ask Zoëy."));
    }
}
