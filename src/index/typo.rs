//! Typo-tolerant queries of plain words: each word matches the terms within
//! one edit of it (a transposition counts as one) whose first letter is the
//! one typed. Keeping the first letter, as Meilisearch does by counting a
//! typo there as two, leaves the term dictionary's other first letters
//! unwalked, which tantivy's `FuzzyTermQuery` walks one edit deep (a 1k
//! fuzzy query ran 28% fewer instructions, with the same hits), for the few
//! typos people make in a word's first letter. The terms a word reaches are
//! searched as term queries, scored by BM25, so that a typo ranks the CoEs
//! as the word spelt right does. A word that reaches no term that way
//! reaches the stems of the words one edit from it as typed instead, since
//! stemming can put a typo two edits from the right stem.

use levenshtein_automata::{DFA, Distance, LevenshteinAutomatonBuilder, SINK_STATE};
use std::sync::LazyLock;
use tantivy::query::{AutomatonWeight, BooleanQuery, EnableScoring, Occur, PhraseQuery, Query, TermQuery, Weight};
use tantivy::schema::Field;
use tantivy::schema::IndexRecordOption;
use tantivy::tokenizer::TextAnalyzer;
use tantivy::{Index, Term};

/// Edits a word may be from a term it matches.
const EDITS: u8 = 1;

/// The automaton builder for [`EDITS`] with transpositions (costly to make,
/// so made once).
static BUILDER: LazyLock<LevenshteinAutomatonBuilder> = LazyLock::new(|| LevenshteinAutomatonBuilder::new(EDITS, true));

/// The query of `q` run typo-tolerant over `field`, when `q` is plain words
/// (no field names, quotes, operators or marks; see [`is_plain`]); `None`
/// otherwise, for the query parser's own typo tolerance. Words are analyzed
/// as the field is: a word of one term matches it within one edit, a word
/// the analyzer splits (`read-replica`) is a phrase, and a query of several
/// words matches any of them, as the query parser reads them.
pub(super) fn plain_words(index: &Index, field: Field, q: &str) -> Option<Box<dyn Query>> {
    if !is_plain(q) {
        return None;
    }
    let mut analyzer = index.tokenizer_for_field(field).ok()?;
    let mut clauses: Vec<(Occur, Box<dyn Query>)> = Vec::new();
    for word in q.split_whitespace() {
        let mut terms = terms_of(&mut analyzer, field, word);
        let query: Box<dyn Query> = match terms.len() {
            0 => continue,
            1 => {
                let bare = word.trim_matches(|c: char| !c.is_alphanumeric()).to_lowercase();
                Box::new(TypoQuery { term: terms.remove(0), word: bare, reached: std::sync::OnceLock::new() })
            }
            _ => Box::new(PhraseQuery::new(terms)),
        };
        clauses.push((Occur::Should, query));
    }
    Some(match clauses.len() {
        1 => clauses.remove(0).1,
        _ => Box::new(BooleanQuery::new(clauses)),
    })
}

/// The terms of `word` in `field`, as its analyzer writes them.
pub(super) fn terms_of(analyzer: &mut TextAnalyzer, field: Field, word: &str) -> Vec<Term> {
    let mut terms = Vec::new();
    analyzer.token_stream(word).process(&mut |t| terms.push(Term::from_field_text(field, &t.text)));
    terms
}

/// Whether `q` is plain words: letters, digits and the punctuation of prose,
/// with no word that the query grammar reads as syntax (`+must`, `-not`,
/// `AND`, `OR`, `NOT`).
pub(super) fn is_plain(q: &str) -> bool {
    q.split_whitespace().all(|w| {
        !matches!(w, "AND" | "OR" | "NOT")
            && !w.starts_with(['+', '-'])
            && w.chars().all(|c| c.is_alphanumeric() || matches!(c, '.' | ',' | ';' | '?' | '!' | '-' | '_' | '/' | '\''))
    })
}

/// One analyzed word, matching the terms within one edit of it that begin
/// with its first byte; and, when there are none, the terms of the words
/// one edit from it as typed.
#[derive(Debug, Clone)]
struct TypoQuery {
    /// The word, analyzed.
    term: Term,
    /// The word as typed, lowercased, without the punctuation around it.
    word: String,
    /// The terms it reached, once its weight is built: the query's terms,
    /// which the result page's snippets highlight.
    reached: std::sync::OnceLock<Vec<Term>>,
}

/// Terms a word may stand for at most: past them, the rest of the term
/// dictionary is left unread.
const MAX_EXPANSIONS: usize = 64;

impl Query for TypoQuery {
    /// The terms within reach, each scored as a term query (BM25) would score
    /// it, so that a typo ranks the CoEs as the word spelt right would;
    /// Tantivy's automaton weight gives every match the same score, and a
    /// page of them in index order.
    fn weight(&self, scoring: EnableScoring<'_>) -> tantivy::Result<Box<dyn Weight>> {
        let field = self.term.field();
        let value = self.term.value();
        let text = value.as_str().unwrap_or_default();
        let automaton = Near::new(text);
        let Some(searcher) = scoring.searcher() else {
            return Ok(Box::new(AutomatonWeight::new(field, automaton)));
        };
        let mut terms = std::collections::BTreeSet::new();
        reach(searcher, field, &automaton, &mut terms)?;
        if terms.is_empty() {
            // Stemming can put a typo two edits away: `certficate` stems to
            // `certfic`, `certificate` to `certif`, and no term is one edit
            // from `certfic`. The typed word's own one-edit neighbours,
            // analyzed, find it. There are about 54 per letter: their stems
            // go into one buffer, and one walk of each segment's term
            // dictionary finds those it holds, a prefix they share walked once.
            let mut stems = Words::default();
            if analyzed_by_coe(searcher, field) && self.word.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit()) {
                // Each neighbour is one lowercase word, as the analyzer
                // would split and lowercase it: stemmed directly, without a
                // token stream each.
                let mut stem = String::new();
                one_edit(&self.word, |near| {
                    if super::schema::term_of_ascii_word(near, &mut stem) {
                        stems.push(&stem);
                    }
                });
            } else {
                let mut analyzer = searcher.index().tokenizer_for_field(field)?;
                one_edit(&self.word, |near| analyzer.token_stream(near).process(&mut |t| stems.push(&t.text)));
            }
            reach(searcher, field, &stems.among(), &mut terms)?;
        }
        let terms: Vec<Term> = terms.iter().map(|t| Term::from_field_text(field, t)).collect();
        let clauses: Vec<(Occur, Box<dyn Query>)> = terms
            .iter()
            .map(|t| (Occur::Should, Box::new(TermQuery::new(t.clone(), IndexRecordOption::WithFreqs)) as Box<dyn Query>))
            .collect();
        // A query searched twice (the count, then a page by date) reaches
        // the same terms both times: the first set stays.
        let _ = self.reached.set(terms);
        BooleanQuery::new(clauses).weight(scoring)
    }

    /// The terms the word reached, once a search has built its weight
    /// (none before).
    fn query_terms<'a>(&'a self, visitor: &mut dyn FnMut(&'a Term, bool)) {
        for t in self.reached.get().into_iter().flatten() {
            visitor(t, false);
        }
    }
}

/// Whether `field` is analyzed by the `coe` analyzer.
fn analyzed_by_coe(searcher: &tantivy::Searcher, field: Field) -> bool {
    match searcher.schema().get_field_entry(field).field_type() {
        tantivy::schema::FieldType::Str(o) => o.get_indexing_options().is_some_and(|i| i.tokenizer() == super::schema::WORDS_TOKENIZER),
        _ => false,
    }
}

/// Add to `terms` the terms of `field` that `automaton` accepts, walking each
/// segment's term dictionary, until there are [`MAX_EXPANSIONS`].
fn reach<A: tantivy_fst::Automaton<State: Clone>>(
    searcher: &tantivy::Searcher,
    field: Field,
    automaton: &A,
    terms: &mut std::collections::BTreeSet<String>,
) -> tantivy::Result<()> {
    for seg in searcher.segment_readers() {
        let index = seg.inverted_index(field)?;
        let mut stream = index.terms().search(automaton).into_stream()?;
        while stream.advance() {
            if let Ok(t) = std::str::from_utf8(stream.key()) {
                terms.insert(t.to_string());
            }
            if terms.len() >= MAX_EXPANSIONS {
                return Ok(());
            }
        }
    }
    Ok(())
}

/// The words one edit from `word` (a letter a–z inserted or put in place of
/// another, a letter deleted, two neighbours swapped), its first letter
/// kept as typed; words that are not ASCII are left alone.
fn one_edit(word: &str, mut each: impl FnMut(&str)) {
    let b = word.as_bytes();
    if !word.is_ascii() || b.len() < 2 {
        return;
    }
    // Each neighbour is written over the last in one buffer.
    let mut buf = String::with_capacity(b.len() + 1);
    let mut emit = |parts: &[&[u8]]| {
        buf.clear();
        for p in parts {
            // ASCII in, ASCII out: every part is ASCII.
            buf.extend(p.iter().map(|&c| char::from(c)));
        }
        each(&buf);
    };
    for i in 1..=b.len() {
        for c in b'a'..=b'z' {
            emit(&[&b[..i], &[c], &b[i..]]);
            if i < b.len() && b[i] != c {
                emit(&[&b[..i], &[c], &b[i + 1..]]);
            }
        }
        if i < b.len() {
            emit(&[&b[..i], &b[i + 1..]]);
        }
        if i + 1 < b.len() && b[i] != b[i + 1] {
            emit(&[&b[..i], &[b[i + 1], b[i]], &b[i + 2..]]);
        }
    }
}

/// Words kept in one buffer.
#[derive(Default)]
struct Words {
    text: String,
    /// Where each word is in `text`.
    spans: Vec<std::ops::Range<usize>>,
}

impl Words {
    fn push(&mut self, word: &str) {
        let start = self.text.len();
        self.text.push_str(word);
        self.spans.push(start..self.text.len());
    }

    /// The words as an automaton that accepts each of them.
    fn among(&self) -> Among<'_> {
        // Sorted by their first eight bytes as one number first: most
        // comparisons end there, without a call to compare bytes.
        let head = |w: &str| {
            let mut b = [0u8; 8];
            let n = w.len().min(8);
            b[..n].copy_from_slice(&w.as_bytes()[..n]);
            u64::from_be_bytes(b)
        };
        let mut keyed: Vec<(u64, &str)> = self.spans.iter().filter_map(|r| self.text.get(r.clone())).map(|w| (head(w), w)).collect();
        keyed.sort_unstable();
        let mut words: Vec<&str> = keyed.into_iter().map(|(_, w)| w).collect();
        words.dedup();
        Among { words }
    }
}

/// An automaton that accepts exactly `words` (sorted, no repeats). Its state
/// is the range of the words that begin with the bytes read so far, and how
/// many bytes that is: a byte narrows the range by two binary searches on the
/// words' byte at that depth.
struct Among<'a> {
    words: Vec<&'a str>,
}

impl tantivy_fst::Automaton for Among<'_> {
    type State = (usize, usize, usize);

    fn start(&self) -> Self::State {
        (0, self.words.len(), 0)
    }

    fn is_match(&self, &(lo, hi, depth): &Self::State) -> bool {
        // The prefix itself, if it is one of the words, sorts first.
        lo < hi && self.words.get(lo).is_some_and(|w| w.len() == depth)
    }

    fn can_match(&self, &(lo, hi, _): &Self::State) -> bool {
        lo < hi
    }

    fn accept(&self, &(lo, hi, depth): &Self::State, byte: u8) -> Self::State {
        let range = self.words.get(lo..hi).unwrap_or_default();
        // In the range every word has the same first `depth` bytes, so it is
        // sorted by the byte at `depth` (a word that ends there first).
        let at = |w: &&str| w.as_bytes().get(depth).copied();
        let from = range.partition_point(|w| at(w) < Some(byte));
        let to = range.partition_point(|w| at(w) <= Some(byte));
        (lo + from, lo + to, depth + 1)
    }
}

/// The terms one edit from a word, its first byte kept: bit-parallel for an
/// ASCII word (made in a few hundred instructions, where building the
/// Levenshtein DFA of a word took about 58,000, a sixth of a 1k fuzzy query),
/// the DFA for any other word.
enum Near {
    Bits(Bits),
    Dfa(FirstByteKept),
}

impl Near {
    fn new(word: &str) -> Near {
        Bits::new(word).map_or_else(|| Near::Dfa(FirstByteKept { dfa: BUILDER.build_dfa(word), first: word.bytes().next() }), Near::Bits)
    }
}

/// A state of [`Near`].
#[derive(Clone)]
enum NearState {
    Bits(BitState),
    Dfa(u32),
}

impl tantivy_fst::Automaton for Near {
    type State = NearState;

    fn start(&self) -> NearState {
        match self {
            Near::Bits(b) => NearState::Bits(b.start()),
            Near::Dfa(d) => NearState::Dfa(d.start()),
        }
    }

    fn is_match(&self, state: &NearState) -> bool {
        match (self, state) {
            (Near::Bits(b), NearState::Bits(s)) => b.is_match(s),
            (Near::Dfa(d), NearState::Dfa(s)) => d.is_match(s),
            _ => false,
        }
    }

    fn can_match(&self, state: &NearState) -> bool {
        match (self, state) {
            (Near::Bits(b), NearState::Bits(s)) => b.can_match(s),
            (Near::Dfa(d), NearState::Dfa(s)) => d.can_match(s),
            _ => false,
        }
    }

    fn accept(&self, state: &NearState, byte: u8) -> NearState {
        match (self, state) {
            (Near::Bits(b), NearState::Bits(s)) => NearState::Bits(b.accept(s, byte)),
            (Near::Dfa(d), NearState::Dfa(s)) => NearState::Dfa(d.accept(s, byte)),
            (_, s) => s.clone(),
        }
    }
}

/// One edit (insertion, deletion, substitution or swap of neighbours) from
/// an ASCII word, as bit sets of the word's prefixes a term's bytes so far
/// can stand for (Wu and Manber's bit-parallel matching, with Hyyrö's
/// transpositions): bit `i` of `exact` is set when the term so far equals
/// the word's first `i` bytes, of `one` when it is one edit from them.
/// Terms are read as characters: a byte that continues a UTF-8 character
/// leaves the state as it is, so `café` is one edit from `cafe`.
struct Bits {
    /// Per byte value, the positions `i + 1` where the word has it at `i`.
    at: Box<[u64; 256]>,
    /// The word's length.
    len: u32,
    /// The word's first byte, which a term must begin with.
    first: u8,
}

/// A state of [`Bits`].
#[derive(Clone, Copy, PartialEq, Debug)]
struct BitState {
    /// Prefixes matched exactly.
    exact: u64,
    /// Prefixes matched with one edit.
    one: u64,
    /// Prefixes whose next two bytes the term may have swapped: the last
    /// byte read is the word's byte after such a prefix's next one.
    swap: u64,
    /// No byte read yet.
    fresh: bool,
}

impl Bits {
    /// `None` for a word that is empty, not ASCII, or too long for the bits.
    fn new(word: &str) -> Option<Bits> {
        let b = word.as_bytes();
        if b.is_empty() || !word.is_ascii() || b.len() > 61 {
            return None;
        }
        let mut at = Box::new([0u64; 256]);
        for (i, &c) in b.iter().enumerate() {
            at[usize::from(c)] |= 1 << (i + 1);
        }
        Some(Bits { at, len: b.len() as u32, first: b[0] })
    }

    fn start(&self) -> BitState {
        // Nothing read: the empty prefix exactly, the first byte deleted with one edit.
        BitState { exact: 1, one: 2, swap: 0, fresh: true }
    }

    fn is_match(&self, s: &BitState) -> bool {
        !s.fresh && (s.exact | s.one) >> self.len & 1 == 1
    }

    fn can_match(&self, s: &BitState) -> bool {
        s.exact | s.one | s.swap != 0
    }

    fn accept(&self, s: &BitState, byte: u8) -> BitState {
        if s.fresh && byte != self.first {
            return BitState { exact: 0, one: 0, swap: 0, fresh: false };
        }
        if (0x80..0xC0).contains(&byte) {
            // The rest of a character whose first byte was read.
            return BitState { fresh: false, ..*s };
        }
        let all = (1u64 << (self.len + 1)) - 1;
        let m = self.at[usize::from(byte)];
        let exact = (s.exact << 1) & m & all;
        let one = (((s.one << 1) & m) | (s.exact << 1) | s.exact | (exact << 1) | (s.swap & (m << 1))) & all;
        let swap = (s.exact << 2) & m & all;
        BitState { exact, one, swap, fresh: false }
    }
}

/// A Levenshtein automaton whose first byte must be the word's own.
struct FirstByteKept {
    dfa: DFA,
    /// The word's first byte (`None`: an empty word, which matches nothing).
    first: Option<u8>,
}

/// The state before any byte is read (the DFA's own states are below it).
const START: u32 = u32::MAX;

impl tantivy_fst::Automaton for FirstByteKept {
    type State = u32;

    fn start(&self) -> u32 {
        START
    }

    fn is_match(&self, state: &u32) -> bool {
        *state != START && matches!(self.dfa.distance(*state), Distance::Exact(_))
    }

    fn can_match(&self, state: &u32) -> bool {
        *state != SINK_STATE
    }

    fn accept(&self, state: &u32, byte: u8) -> u32 {
        match *state {
            START if Some(byte) == self.first => self.dfa.transition(self.dfa.initial_state(), byte),
            START => SINK_STATE,
            s => self.dfa.transition(s, byte),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use tantivy_fst::Automaton;

    /// Whether `term` is within reach of `word`, as a query finds it.
    fn matches(word: &str, term: &str) -> bool {
        accepts(&Near::new(word), term)
    }

    #[test]
    fn one_edit_past_the_first_letter() {
        for term in ["kubernet", "kubrnet", "kubernett", "kuberent", "kubernex"] {
            assert!(matches("kubernet", term), "{term}");
        }
        // Two edits, and any edit of the first letter, are too many.
        for term in ["kubrnt", "jubernet", "ubernet", "ukbernet", "xkubernet", ""] {
            assert!(!matches("kubernet", term), "{term}");
        }
        // Non-ASCII letters are one character, not one byte, apart.
        assert!(matches("über", "übr") && matches("café", "cafe") && matches("cafe", "café"));
        assert!(!matches("", "a") && !matches("", ""));
    }

    /// Whether automaton `a` accepts `term`.
    fn accepts<A: Automaton>(a: &A, term: &str) -> bool {
        let mut s = a.start();
        for b in term.bytes() {
            if !a.can_match(&s) {
                return false;
            }
            s = a.accept(&s, b);
        }
        a.is_match(&s)
    }

    /// The bit-parallel automaton accepts exactly the terms the Levenshtein
    /// DFA accepts: every term two edits or fewer from each word, over the
    /// word's own letters, another letter and a two-byte one.
    #[test]
    fn the_bits_accept_what_the_dfa_accepts() {
        let edits = |w: &str| -> Vec<String> {
            let chars: Vec<char> = w.chars().collect();
            let mut alphabet: Vec<char> = chars.clone();
            alphabet.extend(['x', 'é']);
            let mut out = Vec::new();
            for i in 0..=chars.len() {
                for &c in &alphabet {
                    let mut v = chars.clone();
                    v.insert(i, c);
                    out.push(v.into_iter().collect());
                    if i < chars.len() {
                        let mut v = chars.clone();
                        v[i] = c;
                        out.push(v.into_iter().collect());
                    }
                }
                if i < chars.len() {
                    let mut v = chars.clone();
                    v.remove(i);
                    out.push(v.into_iter().collect());
                }
                if i + 1 < chars.len() {
                    let mut v = chars.clone();
                    v.swap(i, i + 1);
                    out.push(v.into_iter().collect());
                }
            }
            out
        };
        for word in ["kubernet", "redi", "certif", "ab", "aab", "abba", "abab", "a", "throttl", "p99"] {
            let bits = Near::Bits(Bits::new(word).unwrap_or_else(|| panic!("{word} is ASCII")));
            let dfa = FirstByteKept { dfa: BUILDER.build_dfa(word), first: word.bytes().next() };
            let mut terms = vec![String::new(), word.to_string()];
            for one in edits(word) {
                terms.extend(edits(&one));
                terms.push(one);
            }
            for t in &terms {
                assert_eq!(accepts(&bits, t), accepts(&dfa, t), "word {word:?}, term {t:?}");
            }
        }
        assert!(Bits::new("über").is_none() && Bits::new("").is_none());
    }

    #[test]
    fn among_accepts_exactly_its_words() {
        let mut words = Words::default();
        // Repeats, words that are prefixes of others, bytes past eight.
        let list = ["throttl", "throt", "throttl", "thr", "throttlings", "throttlingz", "a", "zz", "certif", "certific", "kubernet"];
        for w in list {
            words.push(w);
        }
        let among = words.among();
        assert_eq!(among.words.len(), list.len() - 1);
        for w in list {
            assert!(accepts(&among, w), "{w}");
        }
        for w in ["", "th", "thro", "throttle", "throttling", "throttlingy", "b", "z", "zzz", "certi", "kubernetes"] {
            assert!(!accepts(&among, w), "{w}");
        }
        assert!(!accepts(&Words::default().among(), "a") && !accepts(&Words::default().among(), ""));
    }

    /// The neighbours of a word are stemmed without the analyzer's token
    /// stream: to the same terms, stop words and overlong words dropped.
    #[test]
    fn neighbours_stem_as_the_analyzer_does() {
        let mut analyzer = tantivy::tokenizer::TextAnalyzer::from(crate::index::words::CoeTokenizer::default());
        let long = "a".repeat(super::super::schema::LONGEST_TOKEN);
        let mut stem = String::new();
        let mut dropped = 0;
        for word in ["certficate", "throtling", "kuberntes", "ot", "wer", "happyness", "p99", long.as_str()] {
            one_edit(word, |near| {
                let mut want = Vec::new();
                analyzer.token_stream(near).process(&mut |t| want.push(t.text.clone()));
                let got = super::super::schema::term_of_ascii_word(near, &mut stem).then(|| stem.clone());
                assert_eq!(got.into_iter().collect::<Vec<_>>(), want, "{near}");
                dropped += usize::from(want.is_empty());
            });
        }
        assert!(dropped > 50, "stop words (`of`, `on`, `where`) and overlong words are among the neighbours: {dropped}");
    }

    #[test]
    fn one_edit_keeps_the_first_letter() {
        let collect = |w: &str| {
            let mut out = Vec::new();
            one_edit(w, |near| out.push(near.to_string()));
            out
        };
        let near = collect("certficate");
        assert!(near.contains(&"certificate".to_string()));
        for w in ["certficat", "cretficate", "certficatex", "certfkcate"] {
            assert!(near.contains(&w.to_string()), "{w}");
        }
        assert!(near.iter().all(|w| w.starts_with('c') && w != "certficate" && w.len().abs_diff(10) <= 1));
        assert!(!near.contains(&"ertficate".to_string()) && !near.contains(&"xertficate".to_string()));
        assert!(collect("über").is_empty() && collect("a").is_empty());
    }

    #[test]
    fn plain_words_are_prose_not_syntax() {
        for q in ["kuberntes", "what went wrong with DynamoDB throttling?", "read-replica lag, again!", "o'brien's p99"] {
            assert!(is_plain(q), "{q}");
        }
        for q in ["title:dns", "\"dns outage\"", "-kafka redis", "+kafka", "kafka OR redis", "NOT dns", "(dns)", "dns^2", "dns*"] {
            assert!(!is_plain(q), "{q}");
        }
    }
}
