//! Technology aliases as byte tries, walked only from the places a mention
//! can begin: the start of a word, or a byte that is not part of a word
//! (`.net`). Aho-Corasick over thousands of aliases stepped through every
//! byte of the text, finding matches inside words that the word-boundary
//! check then threw away; most words here leave the trie after a byte or two.

use super::{is_word_byte, on_word_boundary};
use std::collections::BTreeMap;

/// No node: the walk ends.
const NONE: u32 = u32::MAX;

/// A node with at least this many children steps by a table of all 256
/// bytes; one with fewer looks through its list.
const DENSE_FROM: usize = 8;

/// A set of aliases, each with an owner, as a byte trie.
#[derive(Debug)]
struct Trie {
    /// Each byte of the text as the walk reads it: lowercased (ASCII) for
    /// aliases stored as [`str::to_lowercase`] writes them, else as it is.
    read: [u8; 256],
    /// Per node: its children (a range of `labels`/`targets`, or a row of
    /// `dense`) and the owner of the alias ending there.
    nodes: Vec<Node>,
    labels: Vec<u8>,
    targets: Vec<u32>,
    dense: Vec<[u32; 256]>,
    /// The node each first byte leads to.
    root: [u32; 256],
}

#[derive(Debug, Clone, Copy)]
struct Node {
    /// Children: `labels[first..first + len]`, or row `first` of `dense`.
    first: u32,
    len: u32,
    dense: bool,
    /// Owner of the alias that ends here (`NONE`: none does).
    owner: u32,
}

impl Trie {
    /// The trie of `aliases` as given; `fold`: the text is read lowercased
    /// (ASCII), for aliases the caller has lowercased.
    fn new<'a>(aliases: impl IntoIterator<Item = (&'a str, usize)>, fold: bool) -> Trie {
        // Built as maps, then laid out flat.
        let mut children: Vec<BTreeMap<u8, u32>> = vec![BTreeMap::new()];
        let mut owner: Vec<u32> = vec![NONE];
        for (alias, who) in aliases {
            if alias.is_empty() {
                continue;
            }
            let mut node = 0usize;
            for &b in alias.as_bytes() {
                let next = children.len() as u32;
                let n = *children[node].entry(b).or_insert(next);
                if n == next {
                    children.push(BTreeMap::new());
                    owner.push(NONE);
                }
                node = n as usize;
            }
            if owner[node] == NONE {
                owner[node] = u32::try_from(who).unwrap_or(NONE);
            }
        }
        let read = std::array::from_fn(|b| if fold { (b as u8).to_ascii_lowercase() } else { b as u8 });
        let mut t = Trie {
            read,
            nodes: Vec::with_capacity(children.len()),
            labels: Vec::new(),
            targets: Vec::new(),
            dense: Vec::new(),
            root: [NONE; 256],
        };
        for (kids, &owner) in children.iter().zip(&owner) {
            let node = if kids.len() >= DENSE_FROM {
                let mut row = [NONE; 256];
                for (&b, &n) in kids {
                    row[usize::from(b)] = n;
                }
                t.dense.push(row);
                Node { first: (t.dense.len() - 1) as u32, len: 0, dense: true, owner }
            } else {
                let first = t.labels.len() as u32;
                t.labels.extend(kids.keys());
                t.targets.extend(kids.values());
                Node { first, len: kids.len() as u32, dense: false, owner }
            };
            t.nodes.push(node);
        }
        for (&b, &n) in &children[0] {
            t.root[usize::from(b)] = n;
        }
        t
    }

    /// Whether an alias starts with byte `b` of the text.
    fn starts(&self, b: u8) -> bool {
        self.root[usize::from(self.read(b))] != NONE
    }

    fn read(&self, b: u8) -> u8 {
        self.read[usize::from(b)]
    }

    fn step(&self, node: u32, b: u8) -> u32 {
        let n = self.nodes[node as usize];
        if n.dense {
            return self.dense[n.first as usize][usize::from(b)];
        }
        let (s, e) = (n.first as usize, (n.first + n.len) as usize);
        match self.labels[s..e].iter().position(|&l| l == b) {
            Some(k) => self.targets[s + k],
            None => NONE,
        }
    }

    /// The longest alias starting at `at`: its end and owner.
    fn longest_at(&self, bytes: &[u8], at: usize) -> Option<(usize, usize)> {
        let mut node = self.root[usize::from(self.read(bytes[at]))];
        let mut best = None;
        let mut i = at + 1;
        while node != NONE {
            let owner = self.nodes[node as usize].owner;
            if owner != NONE {
                best = Some((i, owner as usize));
            }
            let Some(&b) = bytes.get(i) else { break };
            node = self.step(node, self.read(b));
            i += 1;
        }
        best
    }
}

/// The technology aliases: lowercase ones, matched in any ASCII case, and
/// the exact-case forms of ambiguous words (`Go`, `Vault`).
#[derive(Debug)]
pub(super) struct Aliases {
    folded: Trie,
    exact: Trie,
    /// Per byte: [`FOLDED`] if a folded alias starts with it, [`EXACT`] if an
    /// exact one does, [`WORD`] if it is part of a word.
    class: [u8; 256],
    /// The hashes ([`word_hash`]) of every alias's first word, as bits: a
    /// word of the text whose bit is clear starts no alias, so the tries are
    /// walked for about one word in eight.
    first_words: Vec<u64>,
}

/// Bits in [`Aliases::first_words`] (a power of two).
const FIRST_WORD_BITS: u64 = 1 << 16;

/// One more byte (lowercased) of a word's hash (FNV-1a).
fn word_hash(h: u64, b: u8) -> u64 {
    (h ^ u64::from(b.to_ascii_lowercase())).wrapping_mul(0x0100_0000_01b3)
}

/// Where a word hash's bit is in [`Aliases::first_words`]: the index of its
/// `u64`, and its mask there.
fn first_word_bit(h: u64) -> (usize, u64) {
    let bit = h % FIRST_WORD_BITS;
    ((bit / 64) as usize, 1 << (bit % 64))
}

/// The hash of an empty word.
const WORD_HASH_SEED: u64 = 0xcbf2_9ce4_8422_2325;

/// Bits of [`Aliases::class`].
const FOLDED: u8 = 1;
const EXACT: u8 = 2;
const WORD: u8 = 4;

/// A mention found by [`Aliases::find`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) struct Found {
    /// Start of the byte range in the text.
    pub start: usize,
    /// End of the byte range.
    pub end: usize,
    /// The alias's owner.
    pub owner: usize,
    /// Found by its exact-case form.
    pub exact: bool,
}

impl Aliases {
    /// The tries of `folded` and `exact` aliases with their owners. An alias
    /// given twice keeps its first owner; empty ones are left out.
    pub(super) fn new<'a>(
        folded: impl IntoIterator<Item = (&'a str, usize)>,
        exact: impl IntoIterator<Item = (&'a str, usize)>,
    ) -> Aliases {
        let mut first_words = vec![0u64; (FIRST_WORD_BITS / 64) as usize];
        let mut note = |alias: &str| {
            let (word, bit) = first_word_bit(alias.bytes().take_while(|&b| is_word_byte(b)).fold(WORD_HASH_SEED, word_hash));
            first_words[word] |= bit;
        };
        // Lowercased once, and noted as the trie holds them.
        let folded: Vec<(String, usize)> = folded.into_iter().map(|(a, who)| (a.to_lowercase(), who)).inspect(|(a, _)| note(a)).collect();
        let exact: Vec<_> = exact.into_iter().inspect(|(a, _)| note(a)).collect();
        let (folded, exact) = (Trie::new(folded.iter().map(|(a, who)| (a.as_str(), *who)), true), Trie::new(exact, false));
        let class = std::array::from_fn(|b| {
            let b = b as u8;
            (if folded.starts(b) { FOLDED } else { 0 })
                | (if exact.starts(b) { EXACT } else { 0 })
                | (if is_word_byte(b) { WORD } else { 0 })
        });
        Aliases { folded, exact, class, first_words }
    }

    /// Whether a word of this hash may begin an alias.
    fn may_begin(&self, h: u64) -> bool {
        let (word, bit) = first_word_bit(h);
        self.first_words[word] & bit != 0
    }

    /// Every alias in `text` on word boundaries, by start (at one start, a
    /// folded alias before an exact one). Each set is searched on its own:
    /// at each place a mention can begin, the longest alias there, and past
    /// a mention found, the set's search goes on after it.
    pub(super) fn find(&self, text: &str, mut f: impl FnMut(Found)) {
        let bytes = text.as_bytes();
        // Where each set may find its next mention.
        let (mut folded_from, mut exact_from) = (0, 0);
        let mut at = |trie: &Trie, i: usize, from: &mut usize, exact: bool| {
            if i >= *from
                && let Some((end, owner)) = trie.longest_at(bytes, i)
                && on_word_boundary(text, i, end)
            {
                f(Found { start: i, end, owner, exact });
                *from = end;
            }
        };
        let mut i = 0;
        // `i` is always a place a mention can begin: a word's first byte, or
        // a byte that is not part of a word.
        while let Some(&b) = bytes.get(i) {
            let class = self.class[usize::from(b)];
            let start = i;
            i += 1;
            if class & WORD != 0 {
                // An alias that begins with a word begins with that whole word.
                let mut h = word_hash(WORD_HASH_SEED, b);
                while let Some(&c) = bytes.get(i).filter(|&&c| self.class[usize::from(c)] & WORD != 0) {
                    h = word_hash(h, c);
                    i += 1;
                }
                if !self.may_begin(h) {
                    continue;
                }
            }
            if class & FOLDED != 0 {
                at(&self.folded, start, &mut folded_from, false);
            }
            if class & EXACT != 0 {
                at(&self.exact, start, &mut exact_from, true);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn found(a: &Aliases, text: &str) -> Vec<(String, usize, bool)> {
        let mut out = Vec::new();
        a.find(text, |m| out.push((text[m.start..m.end].to_string(), m.owner, m.exact)));
        out
    }

    fn folded(aliases: &[(&str, usize)]) -> Aliases {
        Aliases::new(aliases.iter().copied(), [])
    }

    #[test]
    fn longest_alias_on_word_boundaries_in_any_ascii_case() {
        let a = folded(&[("Kafka", 0), ("kafka streams", 1), ("S3", 2), (".NET", 3), ("node.js", 4), ("redis", 5)]);
        let m = |s: &str, o| (s.to_string(), o, false);
        assert_eq!(
            found(&a, "Kafka Streams lagged; KAFKA too. Our S3 and .NET apps, Node.js, redis."),
            [m("Kafka Streams", 1), m("KAFKA", 0), m("S3", 2), m(".NET", 3), m("Node.js", 4), m("redis", 5)]
        );
        // Never inside a word, nor a prefix of a longer word or dotted name.
        assert!(found(&a, "akafka kafkas s3x redis.conf xredis").is_empty());
        // A match that fails the boundary does not hide the next word's.
        assert_eq!(found(&a, "kafkax redis"), [m("redis", 5)]);
        // The text ending partway into a longer alias.
        assert_eq!(found(&a, "kafka stre"), [m("kafka", 0)]);
        assert!(found(&a, "~~ zzz").is_empty());
    }

    #[test]
    fn exact_forms_match_their_case_only_and_both_sets_search_on_their_own() {
        let a = Aliases::new([("go", 0), ("golang", 1)], [("Go", 2), ("Vault", 3)]);
        let got = found(&a, "Go services, golang, GOLANG, a vault and Vault.");
        assert_eq!(
            got,
            [
                ("Go".to_string(), 0, false),
                ("Go".to_string(), 2, true),
                ("golang".to_string(), 1, false),
                ("GOLANG".to_string(), 1, false),
                ("Vault".to_string(), 3, true)
            ]
        );
    }

    #[test]
    fn a_repeated_alias_keeps_its_first_owner_and_empty_ones_are_skipped() {
        let a = folded(&[("", 9), ("Vault", 1), ("vault", 2)]);
        assert_eq!(found(&a, "vault"), [("vault".to_string(), 1, false)]);
    }

    #[test]
    fn wide_nodes_step_by_table_and_narrow_ones_by_list() {
        // More children than DENSE_FROM under "a", fewer under "ab".
        let names: Vec<String> = (b'a'..=b'z').map(|c| format!("a{}", c as char)).chain(["abc".to_string()]).collect();
        let a = folded(&names.iter().enumerate().map(|(i, n)| (n.as_str(), i)).collect::<Vec<_>>());
        assert_eq!(found(&a, "az abc ab"), [("az".to_string(), 25, false), ("abc".to_string(), 26, false), ("ab".to_string(), 1, false)]);
    }

    #[test]
    fn aliases_outside_ascii_match_their_lowercase_form() {
        let a = folded(&[("Señal", 0)]);
        assert_eq!(found(&a, "la SEñal cayó"), [("SEñal".to_string(), 0, false)]);
        // Only ASCII is lowercased in the text, as before.
        assert!(found(&a, "SEÑAL").is_empty());
    }
}
