//! Words as the `coe` analyzer reads them: runs of alphanumeric characters
//! (Tantivy's `SimpleTokenizer` splits the same), and the analyzer itself as
//! one tokenizer: a word of [`LONGEST_TOKEN`] bytes or more dropped, the rest
//! lowercased, stop words dropped, the others stemmed, positions counted per
//! word so that a dropped word leaves a gap. Tantivy's chain of a tokenizer
//! and four filters gives the same tokens (the schema's tests hold the two
//! together), but decodes every character and passes each token through
//! four streams.

use super::schema::{LONGEST_TOKEN, is_stop_word, stem_in_place};
use std::ops::Range;
use tantivy::tokenizer::{Token, TokenStream, Tokenizer};

/// The byte ranges of `text`'s words: runs of alphanumeric characters, as
/// Tantivy's `SimpleTokenizer` splits. ASCII is stepped over byte by byte
/// in tight loops; other characters are decoded.
pub(super) fn words(text: &str) -> impl Iterator<Item = Range<usize>> + '_ {
    let mut at = 0;
    std::iter::from_fn(move || {
        let w = next_word(text, at)?;
        at = w.end;
        Some(w)
    })
}

/// The first word of `text` at or after byte `at` (a character boundary).
fn next_word(text: &str, mut i: usize) -> Option<Range<usize>> {
    let bytes = text.as_bytes();
    let start = loop {
        let &b = bytes.get(i)?;
        if ASCII_WORD[usize::from(b)] {
            break i;
        }
        if b.is_ascii() {
            i += 1;
            continue;
        }
        let (alnum, len) = char_at(text, i)?;
        if alnum {
            break i;
        }
        i += len;
    };
    loop {
        match bytes.get(i) {
            Some(&b) if ASCII_WORD[usize::from(b)] => i += 1,
            Some(&b) if !b.is_ascii() => match char_at(text, i) {
                Some((true, len)) => i += len,
                _ => break,
            },
            _ => break,
        }
    }
    Some(start..i)
}

/// Which bytes are ASCII letters and digits.
const ASCII_WORD: [bool; 256] = {
    let mut t = [false; 256];
    let mut b = 0;
    while b < 256 {
        t[b] = (b as u8).is_ascii_alphanumeric();
        b += 1;
    }
    t
};

/// Whether the character at byte `i` of `text` is alphanumeric, and its
/// length; `None` at the end. (`next_word` decides ASCII bytes itself.)
fn char_at(text: &str, i: usize) -> Option<(bool, usize)> {
    let c = text.get(i..)?.chars().next()?;
    Some((c.is_alphanumeric(), c.len_utf8()))
}

/// The `coe` analyzer (see the module docs).
#[derive(Clone, Default)]
pub struct CoeTokenizer {
    token: Token,
}

/// The token stream of [`CoeTokenizer`].
pub struct CoeTokenStream<'a> {
    text: &'a str,
    /// Where the next word is looked for.
    at: usize,
    token: &'a mut Token,
}

impl Tokenizer for CoeTokenizer {
    type TokenStream<'a> = CoeTokenStream<'a>;

    fn token_stream<'a>(&'a mut self, text: &'a str) -> CoeTokenStream<'a> {
        self.token.reset();
        CoeTokenStream { text, at: 0, token: &mut self.token }
    }
}

impl TokenStream for CoeTokenStream<'_> {
    fn advance(&mut self) -> bool {
        while let Some(w) = next_word(self.text, self.at) {
            self.at = w.end;
            // Every word takes a position, kept or not.
            self.token.position = self.token.position.wrapping_add(1);
            let word = &self.text[w.clone()];
            if word.len() >= LONGEST_TOKEN || is_stop_word(word) {
                continue;
            }
            let text = &mut self.token.text;
            text.clear();
            if word.is_ascii() {
                text.push_str(word);
                text.make_ascii_lowercase();
            } else {
                // Character by character, as Tantivy's `LowerCaser` does.
                text.extend(word.chars().flat_map(char::to_lowercase));
            }
            stem_in_place(text);
            self.token.offset_from = w.start;
            self.token.offset_to = w.end;
            return true;
        }
        false
    }

    fn token(&self) -> &Token {
        self.token
    }

    fn token_mut(&mut self) -> &mut Token {
        self.token
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn words_split_as_the_simple_tokenizer_does() {
        let text = "  Köln-DB: p99 ‘spiked’ 3x—again";
        let got: Vec<&str> = words(text).map(|r| &text[r]).collect();
        assert_eq!(got, ["Köln", "DB", "p99", "spiked", "3x", "again"]);
        assert_eq!(words("").count(), 0);
        assert_eq!(words("-- ..").count(), 0);
    }
}
