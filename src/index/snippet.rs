//! Result snippets: the stretch of a body where the query's terms are, with
//! those terms highlighted. The fragment is the one Tantivy's
//! `SnippetGenerator` picks, found without running the whole analyzer over
//! the text: only words that could stem to a query term are analyzed.

use super::words::words;
use crate::error::Result;
use std::borrow::Cow;
use std::collections::BTreeSet;
use std::ops::Range;
use tantivy::query::Query;
use tantivy::schema::Field;
use tantivy::tokenizer::TextAnalyzer;
use tantivy::{Searcher, Term};

/// Bytes a snippet spans at most (Tantivy's `max_num_chars`).
const MAX_BYTES: usize = 220;
/// Bytes of body before the earliest query term that the fragment may start in.
const BEFORE: usize = 120;
/// Bytes of body after the earliest query term that the fragment may end in.
const AFTER: usize = 300;

/// A snippet: plain text and HTML with the query's terms in `<b>`.
#[derive(Debug, Clone, PartialEq)]
pub(super) struct Snippet {
    /// The fragment, as in the body.
    pub text: String,
    /// The fragment, escaped, with each query term in `<b>…</b>`.
    pub html: String,
}

/// Makes the snippets of one query's result page.
pub(super) struct Highlighter {
    /// The query's terms in the field that some document holds, as the
    /// analyzer wrote them, with their weight (1 / (1 + document frequency)).
    terms: Vec<(String, f32)>,
    /// Every query term in the field, to place the window (stems are
    /// prefixes of the words they come from, ASCII case aside).
    needles: Vec<Needle>,
    /// Which (lowercase ASCII) bytes start a term: the stemmer keeps a
    /// word's first letter, so a word whose first letter starts no term
    /// cannot become one.
    firsts: [bool; 256],
    /// Each term's bytes but its last two (at least its first byte): an ASCII
    /// word that becomes the term starts with them, ASCII case aside. The
    /// stemmer changes at most the last two letters of a stem from the
    /// word's ("dying" → "die", "possibility" → "possibl"), so most words
    /// are passed over without hashing them.
    heads: Vec<Box<[u8]>>,
    /// The field's analyzer, for the words that could be a query term.
    analyzer: TextAnalyzer,
    /// The analyzer's last output, reused.
    stem: String,
    /// Words already analyzed for this page, and their weight: the same
    /// words come back from one body to the next.
    seen: rustc_hash::FxHashMap<Box<str>, Option<f32>>,
}

impl Highlighter {
    /// The highlighter of `query`'s terms in `field` (a searched query: a
    /// typo's terms are known once its weight is built); `None` when the
    /// query has no term there (a section-scoped query), so no snippet could
    /// highlight anything.
    pub(super) fn new(searcher: &Searcher, query: &dyn Query, field: Field) -> Result<Option<Highlighter>> {
        let mut set: BTreeSet<&Term> = BTreeSet::new();
        query.query_terms(&mut |t, _| {
            if t.field() == field && t.value().as_str().is_some_and(|s| !s.is_empty()) {
                set.insert(t);
            }
        });
        if set.is_empty() {
            return Ok(None);
        }
        let mut all = Vec::with_capacity(set.len());
        let mut weighted = Vec::with_capacity(set.len());
        for t in set {
            let value = t.value();
            let Some(s) = value.as_str() else { continue };
            all.push(s.to_string());
            let df = searcher.doc_freq(t)?;
            if df > 0 {
                weighted.push((s.to_string(), 1.0 / (1.0 + df as f32)));
            }
        }
        Ok(Highlighter::from_terms(&all, weighted, searcher.index().tokenizer_for_field(field)?))
    }

    /// The highlighter of `weighted` terms, placing windows by `all` terms;
    /// `None` when no term has a weight.
    fn from_terms(all: &[String], weighted: Vec<(String, f32)>, analyzer: TextAnalyzer) -> Option<Highlighter> {
        if weighted.is_empty() {
            return None;
        }
        let needles = all.iter().map(|t| Needle::new(t)).collect();
        let mut firsts = [false; 256];
        for (t, _) in &weighted {
            if let Some(&b) = t.as_bytes().first() {
                firsts[usize::from(b)] = true;
            }
        }
        let heads = weighted.iter().map(|(t, _)| t.as_bytes().get(..head_len(t.len())).unwrap_or_default().into()).collect();
        Some(Highlighter { terms: weighted, needles, firsts, heads, analyzer, stem: String::new(), seen: Default::default() })
    }

    /// The snippet of `body` (UTF-8 bytes), or `None` when no query term is
    /// in its window.
    pub(super) fn snippet(&mut self, body: &[u8]) -> Option<Snippet> {
        let text = window(body, &self.needles);
        let (start, stop, marks) = self.best_fragment(&text)?;
        Some(Snippet { text: text[start..stop].to_string(), html: to_html(&text, start..stop, &marks) })
    }

    /// The weight of `word` if the analyzer turns it into a query term.
    fn weight_of(&mut self, word: &str) -> Option<f32> {
        let first = word.as_bytes().first()?.to_ascii_lowercase();
        if first.is_ascii() && !self.firsts[usize::from(first)] {
            return None;
        }
        let bytes = word.as_bytes();
        if bytes.is_ascii() && !self.heads.iter().any(|h| bytes.get(..h.len()).is_some_and(|b| b.eq_ignore_ascii_case(h))) {
            return None;
        }
        if let Some(&w) = self.seen.get(word) {
            return w;
        }
        let w = self.analyze(word);
        self.seen.insert(word.into(), w);
        w
    }

    /// The weight of the query term the analyzer turns `word` into, if any.
    fn analyze(&mut self, word: &str) -> Option<f32> {
        let mut stream = self.analyzer.token_stream(word);
        self.stem.clear();
        stream.process(&mut |t| {
            if self.stem.is_empty() {
                self.stem.push_str(&t.text);
            }
        });
        if !self.stem.is_ascii() {
            self.stem = self.stem.to_lowercase();
        }
        self.terms.iter().find(|(t, _)| *t == self.stem).map(|&(_, w)| w)
    }

    /// The best fragment of `text` as `SnippetGenerator` picks it: tokens go
    /// into fragments of at most [`MAX_BYTES`], each scored by the weights of
    /// the query terms in it; the highest score wins, the earliest on a tie.
    /// Its start, end and the ranges of its query terms, all in `text`.
    fn best_fragment(&mut self, text: &str) -> Option<(usize, usize, Vec<Range<usize>>)> {
        let mut best: Option<Fragment> = None;
        let mut cur = Fragment::at(0);
        for w in words(text) {
            let word = &text[w.clone()];
            if word.len() >= super::schema::LONGEST_TOKEN || super::schema::is_stop_word(word) {
                continue;
            }
            if w.end - cur.start > MAX_BYTES {
                cur.offer_to(&mut best);
                cur = Fragment::at(w.start);
            }
            cur.stop = w.end;
            if let Some(weight) = self.weight_of(word) {
                cur.score += weight;
                cur.marks.push(w);
            }
        }
        cur.offer_to(&mut best);
        best.map(|f| (f.start, f.stop, f.marks))
    }
}

/// How many leading bytes of a term of `len` bytes every word that stems to
/// it starts with: all but the last two, and at least one (see
/// [`Highlighter`]'s `heads`).
fn head_len(len: usize) -> usize {
    len.saturating_sub(2).max(1).min(len)
}

/// A candidate fragment.
struct Fragment {
    score: f32,
    start: usize,
    stop: usize,
    marks: Vec<Range<usize>>,
}

impl Fragment {
    fn at(start: usize) -> Fragment {
        Fragment { score: 0.0, start, stop: start, marks: Vec::new() }
    }

    /// Keep this fragment in `best` if it scores and beats it (a later
    /// fragment must score strictly higher).
    fn offer_to(self, best: &mut Option<Fragment>) {
        if self.score > 0.0 && best.as_ref().is_none_or(|b| self.score > b.score) {
            *best = Some(self);
        }
    }
}

/// `text[span]` escaped for HTML, with each of `marks` (sorted ranges of
/// `text` within `span`, not overlapping) in `<b>…</b>`.
fn to_html(text: &str, span: Range<usize>, marks: &[Range<usize>]) -> String {
    let mut html = String::with_capacity(span.len() + 7 * marks.len());
    let mut from = span.start;
    for m in marks {
        crate::parse::markdown::escape_into(&mut html, &text[from..m.start]);
        html.push_str("<b>");
        crate::parse::markdown::escape_into(&mut html, &text[m.clone()]);
        html.push_str("</b>");
        from = m.end;
    }
    crate::parse::markdown::escape_into(&mut html, &text[from..span.end]);
    html
}

/// The part of `text` (a body's bytes, UTF-8) worth looking for a fragment
/// in: from a little before the first occurrence of a query term (stems are
/// matched as ASCII case-insensitive prefixes) to a few hundred bytes after
/// it; the opening when no term is found that way. Only this part is
/// checked as UTF-8 (bytes that are not become U+FFFD).
fn window<'a>(text: &'a [u8], terms: &[Needle]) -> Cow<'a, str> {
    let range = match first_of(text, terms) {
        Some(at) => {
            let mut start = floor_boundary(text, at.saturating_sub(BEFORE));
            if start > 0 {
                // Begin at a word (after an ASCII space).
                start = text[start..at].iter().position(u8::is_ascii_whitespace).map_or(start, |i| start + i + 1);
            }
            start..floor_boundary(text, at + AFTER)
        }
        // No term as a prefix here (stemming changed it): the opening is as
        // good a place as any, and bounded.
        None => 0..floor_boundary(text, BEFORE + AFTER),
    };
    let bytes = &text[range];
    // `from_utf8` checks ASCII a word at a time; the lossy reading does not.
    std::str::from_utf8(bytes).map_or_else(|_| String::from_utf8_lossy(bytes), Cow::Borrowed)
}

/// Where the first of `terms` occurs in `hay`, ignoring ASCII case; each
/// term is looked for only where it would start no later than the best
/// place found so far.
fn first_of(hay: &[u8], terms: &[Needle]) -> Option<usize> {
    let mut best: Option<usize> = None;
    for t in terms {
        let end = best.map_or(hay.len(), |b| (b + t.0.len()).min(hay.len()));
        best = t.find(&hay[..end]).or(best);
    }
    best
}

/// A query term to find in text whatever its ASCII case, without
/// lowercasing the text: its first byte in either case is found with
/// `memchr`, and the rest compared there.
struct Needle(Vec<u8>);

impl Needle {
    fn new(term: &str) -> Needle {
        Needle(term.as_bytes().to_ascii_lowercase())
    }

    /// Where the term first occurs in `hay`.
    fn find(&self, hay: &[u8]) -> Option<usize> {
        let first = *self.0.first()?;
        let starts = hay.get(..=hay.len().checked_sub(self.0.len())?)?;
        memchr::memchr2_iter(first, first.to_ascii_uppercase(), starts).find(|&i| hay[i..i + self.0.len()].eq_ignore_ascii_case(&self.0))
    }
}

/// The largest char boundary of UTF-8 `text` at or below `i` (clamped to
/// its length): a byte that does not continue a character.
fn floor_boundary(text: &[u8], i: usize) -> usize {
    let mut i = i.min(text.len());
    while i > 0 && text.get(i).is_some_and(|&b| b & 0xC0 == 0x80) {
        i -= 1;
    }
    i
}

#[cfg(test)]
mod tests {
    use super::*;

    fn needles(terms: &[&str]) -> Vec<Needle> {
        terms.iter().map(|t| Needle::new(t)).collect()
    }

    #[test]
    fn window_starts_at_a_word_before_the_earliest_term() {
        let filler = "lorem ipsum dolor sit amet ".repeat(20);
        let text = format!("{filler}The DynamoDB table was Throttled at peak; later, more throttling. {filler}");
        // Stems are prefixes, found whatever their case; the earliest of several wins.
        let w = window(text.as_bytes(), &needles(&["throttl", "dynamodb"]));
        assert!(w.contains("The DynamoDB table was Throttled"), "{w}");
        assert!(w.len() <= BEFORE + AFTER, "{}", w.len());
        let first = w.split_whitespace().next().unwrap_or_default();
        assert!(filler.split_whitespace().any(|f| f == first), "window begins mid-word: {w}");
        // No term in the text: the opening.
        assert_eq!(window(text.as_bytes(), &needles(&["kafka"])), &text[..420]);
        assert_eq!(window(text.as_bytes(), &[]), &text[..420]);
    }

    #[test]
    fn window_cuts_on_char_boundaries() {
        let text = format!("{}throttling{}", "é".repeat(100), "ü".repeat(400));
        let w = window(text.as_bytes(), &needles(&["throttl"]));
        assert!(w.contains("throttling"));
        assert_eq!(first_of("Ünïcode THROTTLING".as_bytes(), &needles(&["throttl"])), Some("Ünïcode ".len()));
        // Only the window is read as UTF-8, and bytes that are not (a
        // damaged store) read as U+FFFD.
        let bad = b"throttling at \xff\xfe peak";
        assert_eq!(window(bad, &needles(&["throttl"])), "throttling at \u{FFFD}\u{FFFD} peak");
    }

    #[test]
    fn the_earliest_term_is_found_in_any_case() {
        let text = format!("{}CASSANDRA kafka KaFkA", "x".repeat(5_000));
        assert_eq!(first_of(text.as_bytes(), &needles(&["kafka", "cassandra"])), Some(5_000));
        assert_eq!(first_of(text.as_bytes(), &needles(&["kafka"])), Some(5_010));
        // At the very end, and not at all.
        let text = format!("{}Kafka", "k ".repeat(3_000));
        assert_eq!(first_of(text.as_bytes(), &needles(&["kafka"])), Some(6_000));
        assert_eq!(first_of(text.as_bytes(), &needles(&["kafkas"])), None);
        assert_eq!(first_of(b"", &needles(&["kafka"])), None);
        // Digits and non-ASCII bytes match as they are.
        assert_eq!(first_of("p99 Über über".as_bytes(), &needles(&["über", "p99"])), Some(0));
        assert_eq!(first_of("p9 Über über".as_bytes(), &needles(&["über"])), Some("p9 Über ".len()));
    }

    /// The `coe` analyzer, as an index registers it.
    fn analyzer() -> TextAnalyzer {
        let index = tantivy::Index::create_in_ram(tantivy::schema::Schema::builder().build());
        crate::index::schema::register_tokenizers(&index);
        index.tokenizers().get(crate::index::schema::WORDS_TOKENIZER).unwrap_or_else(|| panic!("the coe analyzer is registered"))
    }

    /// The analyzed tokens of `text`.
    fn tokens(analyzer: &mut TextAnalyzer, text: &str) -> Vec<String> {
        let mut out = Vec::new();
        analyzer.token_stream(text).process(&mut |t| out.push(t.text.clone()));
        out
    }

    #[test]
    fn snippets_are_the_ones_tantivy_picks() {
        // Tantivy's generator, run over the same window with the same terms
        // and weights, is the reference: same fragment, same highlights.
        let mut analyzer = analyzer();
        let mut bodies: Vec<String> = walkdir::WalkDir::new(concat!(env!("CARGO_MANIFEST_DIR"), "/examples/coes"))
            .into_iter()
            .filter_map(|e| e.ok())
            .filter(|e| e.path().extension().is_some_and(|x| x == "md"))
            .filter_map(|e| std::fs::read_to_string(e.path()).ok())
            .collect();
        assert!(bodies.len() >= 10, "fixtures: {}", bodies.len());
        // Words whose stems are not prefixes of them, mixed case, stop words and non-ASCII.
        // Fragments that tie: the earliest wins.
        bodies.push(format!("Kafka {} kafka {} KAFKA", "the ".repeat(60), "the ".repeat(60)));
        bodies.push("The nodes were DYING and lying idle; happy users, hoping. Relational probability of the ÉCHEC, the Über-cluster: échec à Köln.".repeat(5));
        // Stems whose last two letters differ from the word's (the `heads` rule).
        bodies.push("No Possibility of clear skies; the ability to scale was gone.".repeat(5));
        let (mut compared, mut highlighted) = (0, 0);
        for (n, body) in bodies.iter().enumerate() {
            let all = tokens(&mut analyzer, body);
            for stride in [7, 23, 61] {
                let mut picked: Vec<String> = all.iter().skip(n % stride).step_by(stride).take(4).cloned().collect();
                picked.extend(
                    ["kafka", "die", "happi", "hope", "relat", "echec", "échec", "über", "köln", "possibl", "sky", "abil"]
                        .map(String::from),
                );
                picked.sort();
                picked.dedup();
                let weighted: Vec<(String, f32)> = picked.iter().enumerate().map(|(i, t)| (t.clone(), 1.0 / (2.0 + i as f32))).collect();
                let mut ours = Highlighter::from_terms(&picked, weighted.clone(), analyzer.clone()).unwrap_or_else(|| panic!("terms"));
                let text = window(body.as_bytes(), &ours.needles);
                let theirs = tantivy::snippet::SnippetGenerator::new(
                    weighted.into_iter().collect(),
                    analyzer.clone(),
                    tantivy::schema::Field::from_field_id(0),
                    MAX_BYTES,
                )
                .snippet(&text);
                let got = ours.snippet(body.as_bytes());
                compared += 1;
                if theirs.is_empty() {
                    assert_eq!(got, None, "doc {n}, terms {picked:?}");
                    continue;
                }
                highlighted += 1;
                let html = to_html(theirs.fragment(), 0..theirs.fragment().len(), theirs.highlighted());
                assert_eq!(got, Some(Snippet { text: theirs.fragment().to_string(), html }), "doc {n}, terms {picked:?}");
            }
        }
        assert!(highlighted * 2 > compared, "{highlighted} of {compared} snippets highlight something");
    }

    #[test]
    fn html_escapes_the_text_and_marks_the_terms() {
        let text = "x <script>alert('pwn')</script> & Kafka \"lag\"";
        let k = text.find("Kafka").unwrap_or_else(|| panic!("Kafka"));
        let kafka = k..k + 5;
        assert_eq!(
            to_html(text, 2..text.len(), std::slice::from_ref(&kafka)),
            "&lt;script&gt;alert(&#39;pwn&#39;)&lt;/script&gt; &amp; <b>Kafka</b> &quot;lag&quot;"
        );
        assert_eq!(to_html("a<b", 0..3, &[0..1, 2..3]), "<b>a</b>&lt;<b>b</b>");
    }
}
