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
//! Digits `\d` in built-in patterns are ASCII too (see [`compile`]).

use regex::Regex;

/// `p` with every word boundary `\b` made ASCII. Escapes are read as the
/// regex parser reads them, so an escaped backslash before a `b` (`\\b`,
/// a backslash then the letter) stays as written, and so does a special
/// boundary such as `\b{start}`.
pub(crate) fn ascii_boundaries(p: &str) -> String {
    rewrite(p, false)
}

/// `p` with its word boundaries and digit classes made ASCII: each `\b`
/// as [`ascii_boundaries`] makes it, each `\d` as `[0-9]`, or `0-9` inside
/// a bracketed class.
pub(crate) fn ascii_classes(p: &str) -> String {
    rewrite(p, true)
}

/// The one walk behind [`ascii_boundaries`] and [`ascii_classes`]: escapes
/// read as the regex parser reads them, and bracketed classes tracked so
/// that a digit class inside one stays a range.
fn rewrite(p: &str, digits: bool) -> String {
    let mut out = String::with_capacity(p.len() + 16);
    let mut chars = p.chars().peekable();
    // Depth of bracketed classes, and whether a `]` now would be a literal
    // (right after `[` or `[^`).
    let (mut depth, mut literal_close) = (0u32, false);
    while let Some(c) = chars.next() {
        let opening = literal_close;
        literal_close = false;
        match c {
            '\\' => match chars.next() {
                Some('b') if chars.peek() != Some(&'{') => out.push_str(r"(?-u:\b)"),
                Some('d') if digits && depth > 0 => out.push_str("0-9"),
                Some('d') if digits => out.push_str("[0-9]"),
                Some(e) => {
                    out.push('\\');
                    out.push(e);
                }
                None => out.push('\\'),
            },
            '[' => {
                depth += 1;
                out.push('[');
                if chars.peek() == Some(&'^') {
                    chars.next();
                    out.push('^');
                }
                literal_close = true;
            }
            ']' if depth > 0 && !opening => {
                depth -= 1;
                out.push(']');
            }
            _ => out.push(c),
        }
    }
    out
}

/// Compile a built-in pattern, with ASCII word boundaries and ASCII digits:
/// a constant of ours, which the tests compile. (A digit outside ASCII is
/// no use to a built-in pattern: the numbers it captures are parsed, and
/// Rust parses ASCII digits only. A Unicode `\d` is also some sixty ranges
/// to compile into every automaton.)
pub(crate) fn compile(pattern: &str) -> Regex {
    Regex::new(&ascii_classes(pattern)).unwrap_or_else(|e| panic!("built-in pattern does not compile: {e}"))
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
        // Digits are ASCII in built-in patterns, inside a class too.
        assert_eq!(ascii_classes(r"\d{2}[^\d:]\\d[]\d][\w\d]"), r"[0-9]{2}[^0-9:]\\d[]0-9][\w0-9]");
        assert!(compile(r"^\d+[^\d]$").is_match("42x"));
        assert!(!compile(r"^\d+$").is_match("٤٢"));
        // A name from the configuration ends at a letter outside ASCII.
        assert!(try_compile(r"\bZoë\b").expect("compiles").is_match("Ask Zoë."));
        assert!(!try_compile(r"\bZoë\b").expect("compiles").is_match("Ask Zoëy."));
    }
}
