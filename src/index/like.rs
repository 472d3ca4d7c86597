//! The terms of a more-like-this query: a CoE's words, each counted in the
//! field it was read from and scored by term frequency times BM25 idf, the
//! best few kept. It selects as Tantivy's `MoreLikeThis` does, but counts
//! words without copying each one (Tantivy allocates twice per word, which
//! also made the query's slowest runs ten times its median) and looks each
//! candidate up once in each segment's term dictionary.

use rustc_hash::FxHashMap;
use std::cmp::Ordering;
use tantivy::query::{BooleanQuery, BoostQuery, Occur, Query, TermQuery};
use tantivy::schema::{Field, FieldType, IndexRecordOption};
use tantivy::tokenizer::TokenStream;
use tantivy::{Searcher, Term};

/// Most terms a more-like-this query keeps.
pub const MAX_TERMS: usize = 30;
/// Fewest times a word must occur in the CoE to be a candidate.
const MIN_TERM_FREQUENCY: u32 = 2;
/// Shortest candidate term, in bytes of its analyzed form.
const MIN_WORD_LENGTH: usize = 3;

/// One selected term and its weight, term frequency × idf.
#[derive(Debug, Clone)]
pub struct Scored {
    /// The field and analyzed text.
    pub term: Term,
    /// `tf × idf` over the searcher's live documents.
    pub score: f32,
}

/// BM25's idf, as Tantivy scores a term in `doc_freq` of `docs` documents.
fn idf(doc_freq: u64, docs: u64) -> f32 {
    let x = ((docs - doc_freq) as f32 + 0.5) / (doc_freq as f32 + 0.5);
    (1.0 + x).ln()
}

/// The best [`MAX_TERMS`] terms of `texts` (one text per field, analyzed as
/// its field is), highest score first; ties go to the smaller term, so a document
/// always gives the same query. A term needs [`MIN_TERM_FREQUENCY`]
/// occurrences in its field, [`MIN_WORD_LENGTH`] bytes, and a document
/// frequency of at least one and at most the live document count (frequencies
/// count deleted documents until a merge).
pub fn terms(searcher: &Searcher, texts: &[(Field, &str)]) -> tantivy::Result<Vec<Scored>> {
    let schema = searcher.schema();
    let tokenizers = searcher.index().tokenizers();
    let docs: u64 = searcher.segment_readers().iter().map(|r| u64::from(r.num_docs())).sum();
    let mut best: Vec<Scored> = Vec::new();
    let mut counts: FxHashMap<Box<str>, u32> = FxHashMap::default();
    for &(field, text) in texts {
        debug_assert!(texts.iter().filter(|(f, _)| *f == field).count() == 1, "one text per field");
        let FieldType::Str(options) = schema.get_field_entry(field).field_type() else { continue };
        let Some(mut analyzer) = options.get_indexing_options().and_then(|o| tokenizers.get(o.tokenizer())) else {
            continue;
        };
        counts.clear();
        let mut stream = analyzer.token_stream(text);
        while stream.advance() {
            let word = stream.token().text.as_str();
            if word.len() < MIN_WORD_LENGTH {
                continue;
            }
            match counts.get_mut(word) {
                Some(n) => *n += 1,
                None => {
                    counts.insert(word.into(), 1);
                }
            }
        }
        let dictionaries = searcher.segment_readers().iter().map(|r| r.inverted_index(field)).collect::<tantivy::Result<Vec<_>>>()?;
        for (word, &tf) in &counts {
            if tf < MIN_TERM_FREQUENCY {
                continue;
            }
            let mut doc_freq = 0u64;
            for d in &dictionaries {
                if let Some(info) = d.terms().get(word.as_bytes())? {
                    doc_freq += u64::from(info.doc_freq);
                }
            }
            if doc_freq == 0 || doc_freq > docs {
                continue;
            }
            best.push(Scored { term: Term::from_field_text(field, word), score: tf as f32 * idf(doc_freq, docs) });
        }
    }
    let order = |a: &Scored, b: &Scored| b.score.partial_cmp(&a.score).unwrap_or(Ordering::Equal).then_with(|| a.term.cmp(&b.term));
    if best.len() > MAX_TERMS {
        best.select_nth_unstable_by(MAX_TERMS - 1, order);
        best.truncate(MAX_TERMS);
    }
    best.sort_unstable_by(order);
    Ok(best)
}

/// The query of the selected terms, as Tantivy's more-like-this makes it: a
/// disjunction of term queries, each boosted by its score over the best.
pub fn query(terms: Vec<Scored>) -> BooleanQuery {
    let best = terms.first().map_or(1.0, |t| t.score);
    BooleanQuery::new(
        terms
            .into_iter()
            .map(|t| {
                let q: Box<dyn Query> =
                    Box::new(BoostQuery::new(Box::new(TermQuery::new(t.term, IndexRecordOption::Basic)), t.score / best));
                (Occur::Should, q)
            })
            .collect(),
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use tantivy::collector::TopDocs;
    use tantivy::query::MoreLikeThisQuery;
    use tantivy::schema::{OwnedValue, STORED, Schema, TextFieldIndexing, TextOptions};
    use tantivy::{Index, TantivyDocument};

    /// An index of `docs` (title, body) in RAM, with the `coe` analyzer.
    fn index(docs: &[(&str, &str)]) -> (Index, Field, Field) {
        let mut schema = Schema::builder();
        let words = TextOptions::default()
            .set_indexing_options(TextFieldIndexing::default().set_tokenizer(crate::index::schema::WORDS_TOKENIZER))
            | STORED;
        let title = schema.add_text_field("title", words.clone());
        let body = schema.add_text_field("body", words);
        let index = Index::create_in_ram(schema.build());
        crate::index::schema::register_tokenizers(&index);
        let mut writer = index.writer_with_num_threads(1, 15_000_000).expect("writer");
        for (t, b) in docs {
            let mut d = TantivyDocument::new();
            d.add_text(title, *t);
            d.add_text(body, *b);
            writer.add_document(d).expect("add");
        }
        writer.commit().expect("commit");
        (index, title, body)
    }

    /// (doc, score) of the top 10 for `q`.
    fn top(index: &Index, q: &dyn Query) -> Vec<(u32, f32)> {
        let searcher = index.reader().expect("reader").searcher();
        let top = searcher.search(q, &TopDocs::with_limit(10).order_by_score()).expect("search");
        top.into_iter().map(|(s, a)| (a.doc_id, s)).collect()
    }

    /// Tantivy's more-like-this with the settings of ours; its heap keeps one
    /// term more than it is told.
    fn tantivys(title: Field, body: Field, texts: [&str; 2]) -> MoreLikeThisQuery {
        let value = |t: &str| vec![OwnedValue::Str(t.to_string())];
        MoreLikeThisQuery::builder()
            .with_max_doc_frequency(u64::MAX)
            .with_min_doc_frequency(1)
            .with_min_term_frequency(MIN_TERM_FREQUENCY as usize)
            .with_max_query_terms(MAX_TERMS - 1)
            .with_min_word_length(MIN_WORD_LENGTH)
            .with_document_fields(vec![(title, value(texts[0])), (body, value(texts[1]))])
    }

    fn same(a: &[(u32, f32)], b: &[(u32, f32)]) {
        assert_eq!(a.len(), b.len(), "{a:?} vs {b:?}");
        for (x, y) in a.iter().zip(b) {
            assert_eq!(x.0, y.0, "{a:?} vs {b:?}");
            assert!((x.1 - y.1).abs() < 1e-4, "{a:?} vs {b:?}");
        }
    }

    /// With fewer candidates than the limit, every candidate is kept and the
    /// query ranks as Tantivy's: same documents, same scores.
    #[test]
    fn ranks_as_tantivys_more_like_this() {
        let docs = [
            ("Redis outage", "Redis ran out of memory. Redis evicted keys; the cache cache missed. Memory alarms fired."),
            ("Redis latency", "Redis latency rose while memory was short."),
            ("Cache misses", "The cache missed and the database saw load; cache cache."),
            ("DNS failure", "A DNS resolver failed; resolver retries timed out."),
            ("Memory leak", "A memory leak in the worker; memory grew until the OOM killer ran."),
        ];
        let (index, title, body) = index(&docs);
        let searcher = index.reader().expect("reader").searcher();
        let texts = [(title, docs[0].0), (body, docs[0].1)];
        let ours = terms(&searcher, &texts).expect("terms");
        let words: Vec<String> = ours.iter().filter_map(|t| t.term.value().as_str().map(str::to_string)).collect();
        // `redis` three times in the body, `cache` and `memori` twice...;
        // words once (`evict`) and the title's words (once each) are not.
        assert_eq!(words.len(), 3, "{words:?}");
        assert!(["redi", "cach", "memori"].iter().all(|w| words.iter().any(|x| x.starts_with(w))), "{words:?}");
        same(&top(&index, &query(ours)), &top(&index, &tantivys(title, body, [docs[0].0, docs[0].1])));
    }

    /// Past the limit, the best-scored terms are kept, as Tantivy keeps them.
    #[test]
    fn keeps_the_best_terms() {
        // 40 made-up words, word i repeated i + 2 times: distinct scores.
        let vocab: Vec<String> = (0..40).map(|i| format!("zq{}x", (b'a' + i as u8 % 26) as char).repeat(1 + i / 26)).collect();
        let me: String = vocab.iter().enumerate().flat_map(|(i, w)| std::iter::repeat_n(w.as_str(), i + 2)).collect::<Vec<_>>().join(" ");
        let other: String = vocab[..20].join(" ");
        let docs = [("seed", me.as_str()), ("other", other.as_str()), ("third", "zqax zqbx")];
        let (index, title, body) = index(&docs);
        let searcher = index.reader().expect("reader").searcher();
        let ours = terms(&searcher, &[(title, "seed"), (body, &me)]).expect("terms");
        assert_eq!(ours.len(), MAX_TERMS);
        assert!(ours.windows(2).all(|w| w[0].score >= w[1].score));
        same(&top(&index, &query(ours)), &top(&index, &tantivys(title, body, ["seed", &me])));
    }
}
