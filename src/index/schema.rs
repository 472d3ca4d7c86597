//! The schema declared in `index-schema/schema.toml`, turned into a Tantivy
//! schema and resolved once into a [`Fields`] struct of field handles.

use serde::Deserialize;
use tantivy::schema::{
    BytesOptions, DateOptions, FacetOptions, Field, IndexRecordOption, NumericOptions, STORED, Schema, TextFieldIndexing, TextOptions,
};
use tantivy::tokenizer::{LowerCaser, RawTokenizer, RemoveLongFilter, TextAnalyzer};

/// The declaration, as shipped.
pub const SCHEMA_TOML: &str = include_str!("../../index-schema/schema.toml");

/// One declared field.
#[derive(Debug, Clone, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct FieldDecl {
    /// Field name.
    pub name: String,
    /// `string`, `text`, `facet`, `date`, `u64`, `i64`, `bytes` or `stored` (doc store only).
    #[serde(rename = "type")]
    pub kind: String,
    /// Tokenizer of a text field (`coe` or `keyword`).
    #[serde(default)]
    pub tokenizer: Option<String>,
    /// Stored in the doc store.
    #[serde(default)]
    pub stored: bool,
    /// A fast (columnar) field.
    #[serde(default)]
    pub fast: bool,
    /// How many times the field's text counts in `body`, the field a query
    /// searches when it names none (see `Store::to_document`); unweighted
    /// fields are searched only when a query names them.
    #[serde(default)]
    pub weight: Option<u32>,
    /// What the field is for.
    #[serde(default)]
    pub description: Option<String>,
}

/// The whole declaration.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SchemaDecl {
    /// Schema version; a different version forces a rebuild.
    pub version: u32,
    /// Fields.
    pub field: Vec<FieldDecl>,
}

/// Parse the shipped declaration.
pub fn declaration() -> Result<SchemaDecl, String> {
    toml::from_str(SCHEMA_TOML).map_err(|e| format!("index-schema/schema.toml: {e}"))
}

/// Words of text fields that are not indexed (Tantivy's English list).
pub const STOP_WORDS: [&str; 33] = [
    "a", "an", "and", "are", "as", "at", "be", "but", "by", "for", "if", "in", "into", "is", "it", "no", "not", "of", "on", "or", "such",
    "that", "the", "their", "then", "there", "these", "they", "this", "to", "was", "will", "with",
];

/// Whether the `coe` analyzer drops `word` (a whole word) as a stop word.
#[inline]
pub fn is_stop_word(word: &str) -> bool {
    // None is longer than 5 bytes, and only ASCII words lowercase to one;
    // most words fail the length or the first letter, and are not packed.
    let w = word.as_bytes();
    w.len() <= 5 && w.first().is_some_and(|&b| STOP_FIRSTS[usize::from(b | 0x20)]) && STOP_PACKED.contains(&pack_lowercase(w))
}

/// A word of at most 5 bytes as one integer: its length, then its bytes
/// in ASCII lowercase. (`| 0x20` lowercases ASCII letters, and turns no
/// other byte into a letter: bytes outside ASCII stay outside.)
const fn pack_lowercase(w: &[u8]) -> u64 {
    let mut v = w.len() as u64;
    let mut i = 0;
    while i < w.len() {
        v |= ((w[i] | 0x20) as u64) << (8 * (i + 1));
        i += 1;
    }
    v
}

/// The first letters of [`STOP_WORDS`], by byte.
const STOP_FIRSTS: [bool; 256] = {
    let mut t = [false; 256];
    let mut i = 0;
    while i < STOP_WORDS.len() {
        t[STOP_WORDS[i].as_bytes()[0] as usize] = true;
        i += 1;
    }
    t
};

/// [`STOP_WORDS`], packed, for [`is_stop_word`].
const STOP_PACKED: [u64; STOP_WORDS.len()] = {
    let mut a = [0u64; STOP_WORDS.len()];
    let mut i = 0;
    while i < a.len() {
        assert!(STOP_WORDS[i].len() <= 5);
        a[i] = pack_lowercase(STOP_WORDS[i].as_bytes());
        i += 1;
    }
    a
};

/// Words of this many bytes or more are not indexed.
pub const LONGEST_TOKEN: usize = 48;

/// The tokenizer of word fields, as the declaration names it: words,
/// lowercased, stemmed, stop words removed (positions kept, so phrases work).
pub const WORDS_TOKENIZER: &str = "coe";

/// The tokenizer of whole-value fields, as the declaration names it.
pub const KEYWORD_TOKENIZER: &str = "keyword";

/// Register the tokenizers the declaration names.
pub fn register_tokenizers(index: &tantivy::Index) {
    let coe = TextAnalyzer::from(super::words::CoeTokenizer::default());
    let keyword = TextAnalyzer::builder(RawTokenizer::default()).filter(RemoveLongFilter::limit(200)).filter(LowerCaser).build();
    index.tokenizers().register(WORDS_TOKENIZER, coe);
    index.tokenizers().register(KEYWORD_TOKENIZER, keyword);
}

/// Words remembered per thread before the memo starts over.
const STEM_MEMO: usize = 1 << 16;

thread_local! {
    static MEMO: std::cell::RefCell<rustc_hash::FxHashMap<Box<str>, Box<str>>> = std::cell::RefCell::default();
}

fn english() -> &'static frostem::Stemmer {
    static STEMMER: std::sync::OnceLock<frostem::Stemmer> = std::sync::OnceLock::new();
    STEMMER.get_or_init(|| frostem::Stemmer::new(frostem::Algorithm::English))
}

/// Replaces `word` by its English (Snowball) stem, as Tantivy's `Stemmer`
/// does, from a memo of the words already stemmed on this thread: prose
/// repeats its words, and stemming was the largest cost of indexing (every
/// section is indexed twice, into `body` and its own field) and of snippets
/// (analyzers are cloned per query, so the memo lives with the thread, not
/// the analyzer). The terms are the same as the plain stemmer's.
pub(super) fn stem_in_place(word: &mut String) {
    MEMO.with_borrow_mut(|memo| {
        if let Some(stem) = memo.get(word.as_str()) {
            if **stem != **word {
                word.clear();
                word.push_str(stem);
            }
            return;
        }
        let stem: Box<str> = english().stem(word).into();
        if memo.len() >= STEM_MEMO {
            memo.clear();
        }
        memo.insert(word.as_str().into(), stem.clone());
        word.clear();
        word.push_str(&stem);
    });
}

/// The term the `coe` analyzer makes of `word`, one word of lowercase ASCII
/// letters and digits, written to `out`; false for a stop word or a word
/// too long to index.
pub(super) fn term_of_ascii_word(word: &str, out: &mut String) -> bool {
    if word.len() >= LONGEST_TOKEN || is_stop_word(word) {
        return false;
    }
    out.clear();
    out.push_str(word);
    stem_in_place(out);
    true
}

/// Build the Tantivy schema from the declaration.
pub fn build(decl: &SchemaDecl) -> Result<Schema, String> {
    let mut b = Schema::builder();
    for f in &decl.field {
        match f.weight {
            Some(_) if f.name == "body" => return Err("field `body`: the weighted fields' copies go into it; it takes no weight".into()),
            Some(w) if f.kind != "text" || w == 0 => {
                return Err(format!("field `{}`: a weight (here {w}) is a count of at least 1, on a text field", f.name));
            }
            _ => {}
        }
        match f.kind.as_str() {
            "string" => {
                let mut o = TextOptions::default()
                    .set_indexing_options(TextFieldIndexing::default().set_tokenizer("raw").set_index_option(IndexRecordOption::Basic));
                if f.stored {
                    o = o | STORED;
                }
                if f.fast {
                    o = o.set_fast("raw");
                }
                b.add_text_field(&f.name, o);
            }
            "text" => {
                let tok = f.tokenizer.as_deref().unwrap_or(WORDS_TOKENIZER);
                if tok != WORDS_TOKENIZER && tok != KEYWORD_TOKENIZER {
                    return Err(format!("field `{}`: unknown tokenizer `{tok}`", f.name));
                }
                let rec = if tok == WORDS_TOKENIZER { IndexRecordOption::WithFreqsAndPositions } else { IndexRecordOption::WithFreqs };
                let mut o =
                    TextOptions::default().set_indexing_options(TextFieldIndexing::default().set_tokenizer(tok).set_index_option(rec));
                if f.stored {
                    o = o | STORED;
                }
                b.add_text_field(&f.name, o);
            }
            "facet" => {
                let o = if f.stored { FacetOptions::default().set_stored() } else { FacetOptions::default() };
                b.add_facet_field(&f.name, o);
            }
            "date" => {
                let mut o = DateOptions::default().set_indexed();
                if f.stored {
                    o = o.set_stored();
                }
                if f.fast {
                    o = o.set_fast();
                }
                b.add_date_field(&f.name, o);
            }
            "u64" | "i64" => {
                let mut o = NumericOptions::default().set_indexed();
                if f.stored {
                    o = o.set_stored();
                }
                if f.fast {
                    o = o.set_fast();
                }
                if f.kind == "u64" {
                    b.add_u64_field(&f.name, o);
                } else {
                    b.add_i64_field(&f.name, o);
                }
            }
            "stored" => {
                b.add_text_field(&f.name, TextOptions::default().set_stored());
            }
            "bytes" => {
                let o = if f.stored { BytesOptions::default().set_stored() } else { BytesOptions::default() };
                b.add_bytes_field(&f.name, o);
            }
            other => return Err(format!("field `{}`: unknown type `{other}`", f.name)),
        }
    }
    Ok(b.build())
}

macro_rules! fields {
    ($($name:ident),* $(,)?) => {
        /// Handles of every field the code reads or writes.
        #[derive(Debug, Clone, Copy)]
        #[allow(missing_docs)]
        pub struct Fields { $(pub $name: Field,)* }

        /// The names the code uses, in declaration order.
        pub const FIELD_NAMES: &[&str] = &[$(stringify!($name),)*];

        impl Fields {
            /// Resolve every handle; fails naming the first missing field.
            pub fn resolve(schema: &Schema) -> Result<Fields, String> {
                Ok(Fields { $($name: schema.get_field(stringify!($name)).map_err(|_| format!("index-schema/schema.toml has no field `{}`", stringify!($name)))?,)* })
            }
        }
    };
}

fields!(
    id,
    source,
    path,
    title,
    summary,
    root_cause,
    body,
    impact,
    timeline,
    five_whys,
    action_items,
    resolution,
    lessons,
    technology,
    service,
    team,
    severity,
    failure_mode,
    status,
    tag,
    visibility,
    f_technology,
    f_service,
    f_team,
    f_severity,
    f_failure_mode,
    f_year,
    f_source,
    date,
    first_seen,
    completeness,
    open_actions,
    file_size,
    file_stamp,
    content_hash,
    meta,
    hit,
    raw,
);

#[cfg(test)]
mod tests {
    use super::*;
    use tantivy::tokenizer::{Language, SimpleTokenizer, Stemmer, StopWordFilter};

    /// Every token (text, position, offsets) of `text` through `analyzer`.
    fn tokens(analyzer: &mut TextAnalyzer, text: &str) -> Vec<(String, usize, usize, usize)> {
        let mut out = Vec::new();
        analyzer.token_stream(text).process(&mut |t| out.push((t.text.clone(), t.position, t.offset_from, t.offset_to)));
        out
    }

    /// The `coe` analyzer, one tokenizer, must give the tokens (text,
    /// position, offsets) of Tantivy's chain of a tokenizer and four filters,
    /// on first sight and on every repeat (the stemmer's memo, including
    /// words it has to forget).
    #[test]
    fn the_analyzer_gives_tantivys_chain_tokens() {
        let index = tantivy::Index::create_in_ram(Schema::builder().build());
        register_tokenizers(&index);
        let mut ours = index.tokenizers().get(WORDS_TOKENIZER).expect("registered");
        let mut tantivys = TextAnalyzer::builder(SimpleTokenizer::default())
            .filter(RemoveLongFilter::limit(LONGEST_TOKEN))
            .filter(LowerCaser)
            .filter(StopWordFilter::remove(STOP_WORDS.map(str::to_string)))
            .filter(Stemmer::new(Language::English))
            .build();
        let (long, nearly) = ("x".repeat(LONGEST_TOKEN), "y".repeat(LONGEST_TOKEN - 1));
        let text = format!(
            "The DNS resolver WAS throttled: it is THEIR fault, not the cache's. Ünïcode AND théir words, an A-record, \
             IS it? This then THESE, withs and ann. {long} {nearly} ΣΟΦΊΑ ΟΔΟΣ straße İstanbul 東京 p99 3x—again \
             Throttling throttled the throttles; connections connected, retries retried. Caching caches cached résumés"
        );
        for _ in 0..3 {
            assert_eq!(tokens(&mut ours, &text), tokens(&mut tantivys, &text));
        }
        let got = tokens(&mut ours, &text);
        // "The" is dropped, and its position stays a gap; so does the long word.
        assert_eq!((got[0].0.as_str(), got[0].1), ("dns", 1));
        assert!(got.iter().any(|(t, ..)| t == "théir"), "{got:?}");
        assert!(!got.iter().any(|(t, ..)| t.starts_with('x')) && got.iter().any(|(t, ..)| t.starts_with('y')));
        let many: String = (0..STEM_MEMO + 10).map(|i| format!("Running{i} ")).collect();
        assert_eq!(tokens(&mut ours, &many), tokens(&mut tantivys, &many));
        assert_eq!(tokens(&mut ours, &text), tokens(&mut tantivys, &text));
        assert!(tokens(&mut ours, "").is_empty() && tokens(&mut ours, " -- .. ").is_empty());
    }

    #[test]
    fn stop_words_are_found_in_any_case() {
        for w in STOP_WORDS {
            assert!(is_stop_word(w) && is_stop_word(&w.to_uppercase()), "{w}");
        }
        assert!(is_stop_word("ThE") && is_stop_word("wAs"));
        // Bytes that differ from a stop word's letters only in the case bit
        // are not letters, and make no stop word.
        for w in ["", "ann", "thes", "kafka", "Their s", "withs", "théir", "t\u{7f}", "@n", "i^", "[t", "_o"] {
            assert!(!is_stop_word(w), "{w}");
        }
    }

    /// The code and `index-schema/schema.toml` must name the same fields, in the same order.
    #[test]
    fn declaration_and_code_agree() {
        let decl = declaration().expect("schema.toml parses");
        let declared: Vec<&str> = decl.field.iter().map(|f| f.name.as_str()).collect();
        assert_eq!(declared, FIELD_NAMES, "index-schema/schema.toml and src/index/schema.rs drifted apart");
        let schema = build(&decl).expect("schema builds");
        Fields::resolve(&schema).expect("every field resolves");
    }
}
