//! Small string helpers shared by the extractor, the linter and the corpus
//! generator: where a text can be cut without splitting a character.

/// The largest char boundary of `s` at or below `i` (clamped to its
/// length): where a text cut to at most `i` bytes ends.
pub fn floor_char_boundary(s: &str, i: usize) -> usize {
    let mut i = i.min(s.len());
    while !s.is_char_boundary(i) {
        i -= 1;
    }
    i
}

/// The smallest char boundary of `s` at or above `i` (clamped to its
/// length): where a text that runs to at least `i` bytes ends.
pub fn ceil_char_boundary(s: &str, i: usize) -> usize {
    let mut i = i.min(s.len());
    while !s.is_char_boundary(i) {
        i += 1;
    }
    i
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn boundaries_never_split_a_character() {
        let s = "aé€b"; // 1 + 2 + 3 + 1 bytes
        assert_eq!((0..=9).map(|i| floor_char_boundary(s, i)).collect::<Vec<_>>(), [0, 1, 1, 3, 3, 3, 6, 7, 7, 7]);
        assert_eq!((0..=9).map(|i| ceil_char_boundary(s, i)).collect::<Vec<_>>(), [0, 1, 3, 3, 6, 6, 6, 7, 7, 7]);
        assert_eq!((floor_char_boundary("", 5), ceil_char_boundary("", 5)), (0, 0));
    }
}
