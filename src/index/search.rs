//! Search over the index: query parsing (weighted text, phrases, section
//! scopes, lenient fallback, typo tolerance), facet filters, date ranges,
//! sorting, pagination, snippets, facet counts; plus detail, similar,
//! action items and stats reads.

use super::Store;
use super::snippet::Highlighter;
pub use super::stored::Text;
use super::stored::{Docs, StoredDoc};
use crate::error::{Error, Result};
use crate::model::{ActionItem, ActionStatus, CoeDoc, Visibility};
use crate::parse::pattern;
use crate::vocab::Vocab;
use chrono::NaiveDate;
use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, HashMap};
use std::ops::Bound;
use tantivy::collector::{Count, DocSetCollector, TopDocs};
use tantivy::query::{AllQuery, BooleanQuery, Occur, Query, QueryParser, RangeQuery, TermQuery};
use tantivy::schema::{Facet, IndexRecordOption};
use tantivy::{DocAddress, Order, Searcher, Term};

/// Longest accepted query, in bytes.
pub const MAX_QUERY_LEN: usize = 2000;
/// Most terms in a query.
pub const MAX_QUERY_TERMS: usize = 64;
/// Deepest parenthesis nesting in a query.
pub const MAX_QUERY_DEPTH: usize = 16;
/// Largest page size.
pub const MAX_PER_PAGE: usize = 100;
/// Deepest result reachable by paging.
pub const MAX_OFFSET: usize = 10_000;

/// The facet dimensions, as (API name, index field name).
pub const FACETS: &[(&str, &str)] = &[
    ("technology", "f_technology"),
    ("service", "f_service"),
    ("team", "f_team"),
    ("severity", "f_severity"),
    ("failure_mode", "f_failure_mode"),
    ("year", "f_year"),
];

/// Result order.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Sort {
    /// Best match first.
    #[default]
    Relevance,
    /// Newest incident first.
    Date,
    /// Most complete first.
    Completeness,
}

/// Who is asking: which internal CoEs they may see.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub enum Access {
    /// Public CoEs only.
    #[default]
    Public,
    /// Public CoEs and internal ones of these teams.
    Teams(Vec<String>),
    /// Everything (the local command line).
    All,
}

impl Access {
    /// May this reader see a CoE with this visibility and team?
    pub fn allows(&self, visibility: Visibility, team: Option<&str>) -> bool {
        match (self, visibility) {
            (_, Visibility::Public) | (Access::All, _) => true,
            (Access::Teams(ts), Visibility::Internal) => team.is_some_and(|t| ts.iter().any(|x| x.eq_ignore_ascii_case(t))),
            (Access::Public, Visibility::Internal) => false,
        }
    }
}

/// A search.
#[derive(Debug, Clone, Default)]
pub struct SearchRequest {
    /// Query text (empty: everything).
    pub q: String,
    /// Filters by facet dimension (API names); OR within, AND across.
    pub filters: BTreeMap<String, Vec<String>>,
    /// Incident date from (inclusive).
    pub since: Option<NaiveDate>,
    /// Incident date until (inclusive).
    pub until: Option<NaiveDate>,
    /// Lowest completeness score.
    pub min_completeness: Option<u64>,
    /// Order.
    pub sort: Sort,
    /// Page, from 1.
    pub page: usize,
    /// Hits per page.
    pub per_page: usize,
    /// Typo-tolerant matching even when exact terms match.
    pub fuzzy: bool,
    /// Who is asking.
    pub access: Access,
}

/// A facet value's name, shared by the index's list of values and the results.
pub type FacetName = std::sync::Arc<str>;

/// A facet value with its count.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct FacetCount {
    /// The value (shared with the index's list of values: a search returns
    /// up to 140 of them, and a copy of each was a tenth of a small query).
    pub value: FacetName,
    /// Documents with it.
    pub count: u64,
}

/// One result.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct Hit {
    /// Id.
    pub id: Text,
    /// Title.
    pub title: Text,
    /// Incident date.
    pub date: Option<Text>,
    /// Team.
    pub team: Option<Text>,
    /// Severity.
    pub severity: Option<Text>,
    /// Status.
    pub status: Option<Text>,
    /// Technologies.
    pub technologies: Vec<Text>,
    /// Services.
    pub services: Vec<Text>,
    /// Failure modes.
    pub failure_modes: Vec<Text>,
    /// Summary (plain text).
    pub summary: Text,
    /// Snippet (plain text).
    pub snippet: String,
    /// Snippet as escaped HTML with `<b>` around matches.
    pub snippet_html: String,
    /// Relevance score (0 when sorted otherwise).
    pub score: f32,
    /// Completeness, 0–100.
    pub completeness: u8,
    /// When first indexed (RFC 3339).
    pub first_seen: Option<String>,
}

/// Search results.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct SearchResponse {
    /// Matching documents.
    pub total: usize,
    /// Page.
    pub page: usize,
    /// Page size.
    pub per_page: usize,
    /// Results come from typo-tolerant matching.
    pub fuzzy: bool,
    /// The query was read leniently; what was ignored.
    pub warning: Option<String>,
    /// This page of results.
    pub hits: Vec<Hit>,
    /// Counts per facet value, for the current query and filters.
    pub facets: BTreeMap<String, Vec<FacetCount>>,
}

fn check_query(q: &str) -> Result<()> {
    if q.len() > MAX_QUERY_LEN {
        return Err(Error::BadQuery(format!("query is {} bytes; the limit is {MAX_QUERY_LEN}", q.len())));
    }
    let terms = q.split_whitespace().count();
    if terms > MAX_QUERY_TERMS {
        return Err(Error::BadQuery(format!("query has {terms} terms; the limit is {MAX_QUERY_TERMS}")));
    }
    let mut depth = 0usize;
    for c in q.chars() {
        if c == '(' {
            depth += 1;
            if depth > MAX_QUERY_DEPTH {
                return Err(Error::BadQuery(format!("query nests parentheses deeper than {MAX_QUERY_DEPTH}")));
            }
        } else if c == ')' {
            depth = depth.saturating_sub(1);
        }
    }
    if q.chars().any(|c| c.is_control() && c != '\t' && c != '\n') {
        return Err(Error::BadQuery("query contains control characters".into()));
    }
    Ok(())
}

/// Rewrite `technology:alias` to the canonical name, and section aliases
/// (`root_causes:`, `actions:`) to field names.
fn rewrite(q: &str, vocab: Option<&Vocab>) -> String {
    // Every rewrite is of a `field:` prefix.
    if !q.contains(':') {
        return q.to_string();
    }
    static TECH: std::sync::LazyLock<regex::Regex> =
        std::sync::LazyLock::new(|| pattern::compile(r#"\b(?:technology|tech):(?:"([^"]+)"|([^\s()"]+))"#));
    let aliased = q
        .replace("root_causes:", "root_cause:")
        .replace("rootcause:", "root_cause:")
        .replace("actions:", "action_items:")
        .replace("whys:", "five_whys:")
        .replace("lessons_learned:", "lessons:")
        .replace("failure-mode:", "failure_mode:");
    let Some(vocab) = vocab else { return aliased };
    TECH.replace_all(&aliased, |c: &regex::Captures| {
        let v = c.get(1).or_else(|| c.get(2)).map_or("", |m| m.as_str());
        let canon = vocab.canonical_technology(v).unwrap_or(v).to_lowercase();
        format!("technology:\"{}\"", canon.replace('"', ""))
    })
    .into_owned()
}

/// A query the index cannot run (e.g. `title:*` on a field without a fast
/// column) is the client's error, not ours.
fn query_error(e: tantivy::TantivyError) -> Error {
    match e {
        tantivy::TantivyError::SchemaError(m) | tantivy::TantivyError::InvalidArgument(m) => {
            Error::BadQuery(format!("query cannot run: {m}"))
        }
        other => Error::Index(other),
    }
}

/// Takes out the typo-tolerance marks of `word~` (and `word~N`, read the
/// same: one edit), which ask for the query to be run fuzzy. tantivy's
/// grammar would drop a bare `~` and read `~N` after a word as a phrase
/// slop, so `kuberntes~` would match nothing. A `~` after a quoted phrase is
/// its slop and stays. A query without `~` is returned as it is, unscanned.
fn fuzzy_marks(q: &str) -> (std::borrow::Cow<'_, str>, bool) {
    if !q.contains('~') {
        return (q.into(), false);
    }
    let mut out = String::with_capacity(q.len());
    let (mut quoted, mut marked, mut prev) = (false, false, ' ');
    let mut chars = q.chars().peekable();
    while let Some(c) = chars.next() {
        if c == '"' {
            quoted = !quoted;
        }
        if c == '~' && !quoted && (prev.is_alphanumeric() || prev == '_') {
            marked = true;
            while chars.next_if(char::is_ascii_digit).is_some() {}
            prev = ' ';
            continue;
        }
        out.push(c);
        prev = c;
    }
    if marked { (out.into(), true) } else { (q.into(), false) }
}

fn has_syntax(q: &str) -> bool {
    q.contains(':') || q.contains('"') || q.contains('~') || q.contains('*') || q.contains('(') || q.contains('[') || q.contains('^')
}

impl Store {
    /// The query parser: a word without a field name searches `body`, which
    /// holds the weighted fields too (see `index-schema/schema.toml`). Typo
    /// tolerance covers every field of words (`title:dynamdb~`), not the
    /// whole-value ones (`technology:`).
    fn parser(&self, fuzzy: bool) -> QueryParser {
        let mut p = QueryParser::for_index(&self.index, vec![self.fields.body]);
        if fuzzy {
            let schema = self.index.schema();
            for (field, entry) in schema.fields() {
                let words = match entry.field_type() {
                    tantivy::schema::FieldType::Str(o) => {
                        o.get_indexing_options().is_some_and(|i| i.tokenizer() == super::schema::WORDS_TOKENIZER)
                    }
                    _ => false,
                };
                if words {
                    p.set_field_fuzzy(field, false, 1, true);
                }
            }
        }
        p
    }

    /// `q` with each word that no CoE contains, but that names a technology
    /// (`postgres`, `k8s`), also searched as the technology's own name, which
    /// the `body` of every CoE tagged with it holds: `postgres replication`
    /// reads `(postgres OR "postgresql") replication` where CoEs only ever
    /// say PostgreSQL. Words that together name one (`dynamo db`, `elastic
    /// search`) are followed by its name: their words alone say little of it.
    /// Only queries of plain words (see [`super::typo`]) are rewritten, and
    /// only single words the index does not know, so a word that is there
    /// (`autovacuum`, itself a PostgreSQL alias) keeps its own meaning.
    fn known_names(&self, q: &str, vocab: &Vocab) -> String {
        // Each word, without the punctuation that may end it, and the
        // technology it names.
        let words: Vec<(&str, &str, Option<&str>)> = q
            .split_whitespace()
            .map(|w| {
                let bare = w.trim_end_matches(['?', '!', '.', ',', ';']);
                (w, bare, vocab.technology_named(bare))
            })
            .collect();
        // Names of two or three words, longest first, as (last word, name).
        let mut spans: Vec<(usize, &str)> = Vec::new();
        let mut i = 0;
        while i < words.len() {
            let found = (2..=3usize).rev().find_map(|n| {
                let span = words.get(i..i + n)?;
                let joined = span.iter().map(|(_, bare, _)| *bare).collect::<Vec<_>>().join(" ");
                let name = vocab.technology_named(&joined)?;
                Some((n, name, span.iter().any(|(_, bare, _)| bare.eq_ignore_ascii_case(name))))
            });
            match found {
                Some((n, name, said)) => {
                    if !said {
                        spans.push((i + n - 1, name));
                    }
                    i += n;
                }
                None => i += 1,
            }
        }
        if !super::typo::is_plain(q) || (spans.is_empty() && words.iter().all(|(.., name)| name.is_none())) {
            return q.to_string();
        }
        let searcher = self.reader.searcher();
        let Ok(mut analyzer) = self.index.tokenizer_for_field(self.fields.body) else { return q.to_string() };
        let mut unknown = |word: &str| {
            let terms = super::typo::terms_of(&mut analyzer, self.fields.body, word);
            !terms.is_empty() && terms.iter().all(|t| searcher.doc_freq(t).is_ok_and(|n| n == 0))
        };
        let quoted = |name: &str| format!("\"{}\"", name.replace('"', ""));
        let mut out: Vec<String> = Vec::with_capacity(words.len() + spans.len());
        for (i, (w, bare, name)) in words.into_iter().enumerate() {
            out.push(match name {
                Some(name) if !name.eq_ignore_ascii_case(bare) && unknown(bare) => format!("({bare} OR {})", quoted(name)),
                _ => w.to_string(),
            });
            out.extend(spans.iter().filter(|(last, _)| *last == i).map(|(_, name)| quoted(name)));
        }
        out.join(" ")
    }

    fn text_query(&self, q: &str, vocab: Option<&Vocab>, fuzzy: bool) -> Result<(Box<dyn Query>, Option<String>)> {
        let q = q.trim();
        if q.is_empty() {
            return Ok((Box::new(AllQuery), None));
        }
        check_query(q)?;
        let q = rewrite(q, vocab);
        if fuzzy && let Some(query) = super::typo::plain_words(&self.index, self.fields.body, &q) {
            return Ok((query, None));
        }
        let q = match vocab {
            Some(vocab) if !fuzzy => self.known_names(&q, vocab),
            _ => q,
        };
        let parser = self.parser(fuzzy);
        match parser.parse_query(&q) {
            Ok(query) => Ok((query, None)),
            Err(strict) => {
                let (query, errors) = parser.parse_query_lenient(&q);
                if errors.is_empty() {
                    return Ok((query, None));
                }
                // Natural language (a question, a stray colon) is read leniently,
                // and failing that as plain words.
                let has_terms = |q: &dyn Query| {
                    let mut n = 0;
                    q.query_terms(&mut |_, _| n += 1);
                    n > 0
                };
                if has_terms(&*query) {
                    return Ok((query, Some(format!("parts of the query were ignored: {strict}"))));
                }
                let words: String = q.to_lowercase().chars().map(|c| if c.is_alphanumeric() { c } else { ' ' }).collect();
                match parser.parse_query(&words) {
                    Ok(plain) if has_terms(&*plain) => Ok((plain, Some(format!("query syntax was ignored: {strict}")))),
                    _ => Err(Error::BadQuery(format!("invalid query: {strict}"))),
                }
            }
        }
    }

    fn filter_query(&self, searcher: &Searcher, req: &SearchRequest) -> Result<Vec<(Occur, Box<dyn Query>)>> {
        let schema = self.index.schema();
        let mut clauses: Vec<(Occur, Box<dyn Query>)> = Vec::new();
        for (dim, values) in &req.filters {
            if values.is_empty() {
                continue;
            }
            let Some((_, fname)) = FACETS.iter().find(|(d, _)| d == dim) else {
                return Err(Error::BadParam(format!("unknown filter `{dim}`")));
            };
            let field = schema.get_field(fname)?;
            let ors: Vec<(Occur, Box<dyn Query>)> = values
                .iter()
                .map(|v| {
                    let t = Term::from_facet(field, &Facet::from_path([v.as_str()]));
                    (Occur::Should, Box::new(TermQuery::new(t, IndexRecordOption::Basic)) as Box<dyn Query>)
                })
                .collect();
            clauses.push((Occur::Must, Box::new(BooleanQuery::new(ors))));
        }
        if req.since.is_some() || req.until.is_some() {
            let to_term = |d: NaiveDate| {
                let ts = d.and_hms_opt(0, 0, 0).map(|x| x.and_utc().timestamp()).unwrap_or(0);
                Term::from_field_date(self.fields.date, tantivy::DateTime::from_timestamp_secs(ts))
            };
            let lo = req.since.map_or(Bound::Unbounded, |d| Bound::Included(to_term(d)));
            let hi = req.until.map_or(Bound::Unbounded, |d| Bound::Included(to_term(d)));
            clauses.push((Occur::Must, Box::new(RangeQuery::new(lo, hi))));
        }
        if let Some(min) = req.min_completeness {
            let lo = Bound::Included(Term::from_field_u64(self.fields.completeness, min));
            clauses.push((Occur::Must, Box::new(RangeQuery::new(lo, Bound::Unbounded))));
        }
        if let Some(access) = self.access_query(searcher, &req.access) {
            clauses.push((Occur::Must, access));
        }
        Ok(clauses)
    }

    /// A query matching what `access` may read in `searcher` (None: everything).
    pub fn access_query(&self, searcher: &Searcher, access: &Access) -> Option<Box<dyn Query>> {
        let public_term = Term::from_field_text(self.fields.visibility, "public");
        // Every document public (deleted ones included, as doc_freq counts
        // them): the filter would keep all, and intersecting with it costs.
        let max_doc: u64 = searcher.segment_readers().iter().map(|s| u64::from(s.max_doc())).sum();
        if searcher.doc_freq(&public_term).is_ok_and(|n| n == max_doc) {
            return None;
        }
        let public = || -> Box<dyn Query> { Box::new(TermQuery::new(public_term.clone(), IndexRecordOption::Basic)) };
        match access {
            Access::All => None,
            Access::Public => Some(public()),
            Access::Teams(teams) => {
                let mut ors: Vec<(Occur, Box<dyn Query>)> = vec![(Occur::Should, public())];
                for t in teams {
                    let team =
                        Box::new(TermQuery::new(Term::from_field_text(self.fields.team, &t.to_lowercase()), IndexRecordOption::Basic));
                    ors.push((Occur::Should, team));
                }
                Some(Box::new(BooleanQuery::new(ors)))
            }
        }
    }

    /// Run a search.
    pub fn search(&self, req: &SearchRequest, vocab: Option<&Vocab>) -> Result<SearchResponse> {
        let per_page = req.per_page.clamp(1, MAX_PER_PAGE);
        let page = req.page.max(1);
        let offset = (page - 1) * per_page;
        if offset > MAX_OFFSET {
            return Err(Error::BadParam(format!("page {page} is too deep; at most {MAX_OFFSET} results can be paged")));
        }
        let searcher = self.reader.searcher();
        let filters = self.filter_query(&searcher, req)?;
        let build = |text: Box<dyn Query>| -> Box<dyn Query> {
            if filters.is_empty() {
                return text;
            }
            let mut clauses: Vec<(Occur, Box<dyn Query>)> = vec![(Occur::Must, text)];
            clauses.extend(filters.iter().map(|(o, q)| (*o, q.box_clone())));
            Box::new(BooleanQuery::new(clauses))
        };
        let (q, marked) = fuzzy_marks(&req.q);
        let mut fuzzy = req.fuzzy || marked;
        let (text, warning) = self.text_query(&q, vocab, fuzzy)?;
        let mut query = build(text);
        // Count, the matches of each segment (for facet counts) and (by
        // relevance) the page, in one pass over the matches.
        let one_pass = req.sort == Sort::Relevance;
        let pass = |q: &dyn Query| -> Result<(Pass, bool)> {
            if one_pass {
                let top = TopDocs::with_limit(per_page).and_offset(offset).order_by_score();
                Ok(self.collect_sized(&searcher, q, &(Count, FacetDims(self), top)).map_err(query_error)?)
            } else {
                let ((n, f), side_by_side) = self.collect_sized(&searcher, q, &(Count, FacetDims(self))).map_err(query_error)?;
                Ok(((n, f, Vec::new()), side_by_side))
            }
        };
        let ((mut total, mut matches, mut page_hits), mut awake) = pass(&*query)?;
        if total == 0 && !fuzzy && !req.q.trim().is_empty() && !has_syntax(&req.q) {
            let (ft, _) = self.text_query(&q, vocab, true)?;
            let fq = build(ft);
            let ((n, ff, ph), side_by_side) = pass(&*fq)?;
            if n > 0 {
                query = fq;
                total = n;
                matches = ff;
                page_hits = ph;
                fuzzy = true;
                awake = side_by_side;
            }
        }
        let addrs: Vec<(f32, DocAddress)> = match req.sort {
            Sort::Relevance => page_hits,
            Sort::Date => searcher
                .search(
                    &*query,
                    &TopDocs::with_limit(per_page).and_offset(offset).order_by_fast_field::<tantivy::DateTime>("date", Order::Desc),
                )?
                .into_iter()
                .map(|(_, a)| (0.0, a))
                .collect(),
            Sort::Completeness => searcher
                .search(&*query, &TopDocs::with_limit(per_page).and_offset(offset).order_by_fast_field::<u64>("completeness", Order::Desc))?
                .into_iter()
                .map(|(_, a)| (0.0, a))
                .collect(),
        };
        // Facet counts and the page. Many matches in several segments (see
        // [`POOL_COUNT_MIN`]), of a pass the search threads ran, are counted
        // on those threads, side by side, then merged here, while this
        // thread, whose caches are warm from the pass, reads the page; the
        // rest are counted here.
        // The terms highlighted are those the query searched the body for
        // (a typo's, once reached); a query with no term in the body
        // (section-scoped) shows summaries.
        let highlighter = Highlighter::new(&searcher, &*query, self.fields.body)?;
        let docs = self.docs(&searcher)?;
        let matched: usize = matches.iter().map(|(_, docs)| docs.len()).sum();
        let hand_over = awake && matched >= POOL_COUNT_MIN && matches.len() > 1;
        let (facets, hits) = match &self.pool {
            Some(tantivy::Executor::ThreadPool(pool)) if hand_over => {
                let mut fruit: Vec<Option<SegCount>> = Vec::new();
                fruit.resize_with(matches.len(), || None);
                let hits = pool.in_place_scope(|s| {
                    for (slot, m) in fruit.iter_mut().zip(matches) {
                        s.spawn(move |_| *slot = Some(count_segment(m)));
                    }
                    self.page(&docs, highlighter, addrs)
                });
                (self.facets_of(&fruit.into_iter().flatten().collect()), hits)
            }
            _ => (self.facets_of(&count_facets(matches)), self.page(&docs, highlighter, addrs)),
        };
        self.prune_facet_cache(&searcher);
        Ok(SearchResponse { total, page, per_page, fuzzy, warning, hits: hits?, facets })
    }

    /// The hits of a result page: stored hit, snippet, score and first-seen date.
    fn page(&self, docs: &Docs, mut highlighter: Option<Highlighter>, addrs: Vec<(f32, DocAddress)>) -> Result<Vec<Hit>> {
        let mut hits = Vec::with_capacity(addrs.len());
        for (score, addr) in addrs {
            let doc = docs.get(addr)?;
            let Some(mut hit) = self.stored_hit(&doc) else { continue };
            let found = highlighter.as_mut().and_then(|h| h.snippet(doc.bytes(self.fields.body).unwrap_or_default()));
            (hit.snippet, hit.snippet_html) = match found {
                Some(s) => (s.text, s.html),
                None => (hit.summary.to_string(), crate::parse::markdown::escape(&hit.summary)),
            };
            hit.score = score;
            hit.first_seen = docs.first_seen.at(addr).and_then(rfc3339);
            hits.push(hit);
        }
        Ok(hits)
    }

    /// The stored hit of a document (only what a result list shows).
    fn stored_hit(&self, doc: &StoredDoc) -> Option<Hit> {
        hit_from_bytes(doc.bytes(self.fields.hit)?, |s| doc.share(s))
    }

    /// The stored model (without section text) of a document.
    fn meta_of(&self, doc: &StoredDoc) -> Option<CoeDoc> {
        serde_json::from_str(doc.text(self.fields.meta)?).ok()
    }

    /// The address of the live document `id`, if any.
    pub(super) fn address_of(&self, searcher: &Searcher, id: &str) -> Result<Option<DocAddress>> {
        let q = TermQuery::new(Term::from_field_text(self.fields.id, id), IndexRecordOption::Basic);
        Ok(searcher.search(&q, &TopDocs::with_limit(1).order_by_score())?.into_iter().next().map(|(_, a)| a))
    }

    /// The stored model (without section text), Markdown and first-seen
    /// date of a CoE `access` may read.
    fn stored(&self, searcher: &Searcher, id: &str, access: &Access) -> Result<(CoeDoc, String, Option<i64>)> {
        let addr = self.address_of(searcher, id)?.ok_or_else(|| Error::NotFound(id.to_string()))?;
        let docs = self.docs(searcher)?;
        let doc = docs.get(addr)?;
        let meta = self.meta_of(&doc).ok_or_else(|| Error::Other(format!("stored document `{id}` is unreadable")))?;
        if !access.allows(meta.visibility, meta.team.as_deref()) {
            return Err(Error::NotFound(id.to_string()));
        }
        let raw = doc.text(self.fields.raw).map(str::to_string).unwrap_or_default();
        Ok((meta, raw, docs.first_seen.at(addr)))
    }

    /// The Markdown of a CoE, as indexed.
    pub fn raw(&self, id: &str, access: &Access) -> Result<String> {
        Ok(self.stored(&self.reader.searcher(), id, access)?.1)
    }

    /// The full document (re-read from the stored Markdown), its Markdown and first-seen date.
    pub fn get(&self, id: &str, vocab: &Vocab, access: &Access) -> Result<Detail> {
        let (mut meta, raw, first_seen) = self.stored(&self.reader.searcher(), id, access)?;
        let defaults = crate::parse::Defaults { team: meta.team.clone(), visibility: meta.visibility };
        let full = crate::parse::parse_text(
            crate::parse::Input { source: &meta.source, path: &meta.path, bytes: raw.as_bytes(), defaults: &defaults },
            &raw,
            Vec::new(),
            vocab,
        );
        meta.sections = full.sections;
        meta.evidence = full.evidence;
        Ok(Detail { doc: meta, raw, first_seen })
    }

    /// CoEs like this one: more-like-this over the text, boosted by shared
    /// technologies and failure modes.
    pub fn similar(&self, id: &str, limit: usize, access: &Access) -> Result<Vec<Similar>> {
        let searcher = self.reader.searcher();
        let addr = self.address_of(&searcher, id)?.ok_or_else(|| Error::NotFound(id.to_string()))?;
        let docs = self.docs(&searcher)?;
        let doc = docs.get(addr)?;
        let me = self.meta_of(&doc).ok_or_else(|| Error::NotFound(id.to_string()))?;
        if !access.allows(me.visibility, me.team.as_deref()) {
            return Err(Error::NotFound(id.to_string()));
        }
        // The text the terms are drawn from: title, summary and body (only
        // the body is stored as such).
        let texts = [
            (self.fields.title, me.title.as_str()),
            (self.fields.summary, me.summary.as_str()),
            (self.fields.body, doc.text(self.fields.body).unwrap_or("")),
        ];
        let mlt = super::like::query(super::like::terms(&searcher, &texts)?);
        let mut clauses: Vec<(Occur, Box<dyn Query>)> = vec![(Occur::Should, Box::new(mlt))];
        for t in &me.technologies {
            let term = Term::from_facet(self.fields.f_technology, &Facet::from_path([t.as_str()]));
            clauses.push((
                Occur::Should,
                Box::new(tantivy::query::BoostQuery::new(Box::new(TermQuery::new(term, IndexRecordOption::Basic)), 2.0)),
            ));
        }
        for f in &me.failure_modes {
            let term = Term::from_facet(self.fields.f_failure_mode, &Facet::from_path([f.as_str()]));
            clauses.push((
                Occur::Should,
                Box::new(tantivy::query::BoostQuery::new(Box::new(TermQuery::new(term, IndexRecordOption::Basic)), 2.0)),
            ));
        }
        let mut q: Vec<(Occur, Box<dyn Query>)> = vec![(Occur::Must, Box::new(BooleanQuery::new(clauses)))];
        q.push((Occur::MustNot, Box::new(TermQuery::new(Term::from_field_text(self.fields.id, id), IndexRecordOption::Basic))));
        if let Some(a) = self.access_query(&searcher, access) {
            q.push((Occur::Must, a));
        }
        let top = self.collect(&searcher, &BooleanQuery::new(q), &TopDocs::with_limit(limit.clamp(1, 50)).order_by_score())?;
        let mut out = Vec::new();
        for (score, a) in top {
            let Some(m) = self.stored_hit(&docs.get(a)?) else { continue };
            out.push(Similar {
                shared_technologies: m.technologies.iter().filter(|t| me.technologies.iter().any(|x| *t == x)).cloned().collect(),
                shared_failure_modes: m.failure_modes.iter().filter(|t| me.failure_modes.iter().any(|x| *t == x)).cloned().collect(),
                id: m.id,
                title: m.title,
                date: m.date,
                team: m.team,
                severity: m.severity,
                technologies: m.technologies,
                failure_modes: m.failure_modes,
                score,
            });
        }
        Ok(out)
    }

    /// Every readable document's model (without section text), with first-seen.
    pub fn all_docs(&self, access: &Access, query: Option<Box<dyn Query>>) -> Result<Vec<(CoeDoc, Option<i64>)>> {
        let searcher = self.reader.searcher();
        let mut clauses: Vec<(Occur, Box<dyn Query>)> = vec![(Occur::Must, query.unwrap_or_else(|| Box::new(AllQuery)))];
        if let Some(a) = self.access_query(&searcher, access) {
            clauses.push((Occur::Must, a));
        }
        let addrs = searcher.search(&BooleanQuery::new(clauses), &DocSetCollector)?;
        let mut addrs: Vec<DocAddress> = addrs.into_iter().collect();
        addrs.sort();
        let mut out = Vec::with_capacity(addrs.len());
        let docs = self.docs(&searcher)?;
        for a in addrs {
            if let Some(m) = self.meta_of(&docs.get(a)?) {
                out.push((m, docs.first_seen.at(a)));
            }
        }
        Ok(out)
    }

    /// Action items across all CoEs.
    pub fn action_items(&self, q: &ActionQuery, today: NaiveDate) -> Result<Vec<ActionRow>> {
        let pre: Option<Box<dyn Query>> = if q.status.as_deref().unwrap_or("open") == "open" {
            Some(Box::new(RangeQuery::new(Bound::Included(Term::from_field_u64(self.fields.open_actions, 1)), Bound::Unbounded)))
        } else {
            None
        };
        let docs = self.all_docs(&q.access, pre)?;
        let mut rows = Vec::new();
        for (d, _) in docs {
            if !q.team.is_empty() && !d.team.as_ref().is_some_and(|t| q.team.iter().any(|x| x.eq_ignore_ascii_case(t))) {
                continue;
            }
            if !q.technology.is_empty() && !d.technologies.iter().any(|t| q.technology.iter().any(|x| x.eq_ignore_ascii_case(t))) {
                continue;
            }
            for a in &d.action_items {
                let overdue = is_overdue(a, today);
                let status_ok = match q.status.as_deref().unwrap_or("open") {
                    "all" => true,
                    s => a.status.as_str() == s,
                };
                if !status_ok || (q.overdue && !overdue) {
                    continue;
                }
                rows.push(ActionRow {
                    item: a.clone(),
                    overdue,
                    coe: CoeRef { id: d.id.clone(), title: d.title.clone(), team: d.team.clone(), date: d.date.clone() },
                });
            }
        }
        rows.sort_by(|a, b| {
            b.overdue
                .cmp(&a.overdue)
                .then_with(|| a.item.due.is_none().cmp(&b.item.due.is_none()))
                .then_with(|| a.item.due.cmp(&b.item.due))
        });
        Ok(rows)
    }
}

/// The facets of one segment: the leaf names of each dimension, and every
/// document's values as slots of one flat count array (dimension `d`'s
/// ordinal `o` is slot `base[d] + o`), unpacked once from the columns.
/// Counting reads them for every match of every query: a document's values
/// of all six dimensions sit side by side in one row, where the columns'
/// indexes cost several random reads a dimension.
pub(crate) struct SegFacets {
    segment: tantivy::index::SegmentId,
    /// Per dimension ([`FACETS`] order): the leaf name of each ordinal.
    names: Vec<Vec<FacetName>>,
    /// Per dimension: its first slot; the last entry is the number of slots.
    base: Vec<u32>,
    slots: Slots,
}

/// Slot numbers, two bytes each when there are few enough (the usual case:
/// hundreds of technologies and services), which halves what counting reads.
enum Slots {
    Narrow(Rows<u16>),
    Wide(Rows<u32>),
}

/// Slots in a document's row. A CoE has about a dozen facet values (a few
/// technologies and services, a team, a severity, a year).
const ROW: usize = 16;

/// Every document's slots in a row of [`ROW`], so that counting a match is
/// [`ROW`] adds with no branch on its length and no index to look up first
/// (both cost more than the adds: a match's length mispredicts).
struct Rows<S> {
    /// `ROW` slots per document. Unused ones hold the pad slot, and a
    /// document with more than `ROW` values ends its row with the more slot
    /// and has the rest in `more`; both are counters past the real ones.
    rows: Vec<S>,
    /// The documents with more than `ROW` values, sorted, and where the
    /// rest of their slots start in `more` (one entry past the last).
    over: Vec<(tantivy::DocId, u32)>,
    more: Vec<S>,
    /// The pad slot; the more slot is the one after it.
    pad: S,
}

impl<S: Copy + TryFrom<u32>> Rows<S> {
    /// The rows of documents `0..docs`; `slots_of(doc, buf)` fills `buf`
    /// with a document's slots, all below `pad`. `None` when `pad + 1`
    /// does not fit in `S`.
    fn build(docs: u32, pad: u32, mut slots_of: impl FnMut(u32, &mut Vec<u32>)) -> Option<Rows<S>> {
        let slot = |s: u32| S::try_from(s).ok();
        let (pad_slot, more_slot) = (slot(pad)?, slot(pad.checked_add(1)?)?);
        let mut rows = Vec::with_capacity(docs as usize * ROW);
        let (mut over, mut more) = (Vec::new(), Vec::new());
        let mut buf = Vec::new();
        for doc in 0..docs {
            buf.clear();
            slots_of(doc, &mut buf);
            let start = rows.len();
            let in_row = if buf.len() <= ROW { buf.len() } else { ROW - 1 };
            for &s in &buf[..in_row] {
                rows.push(slot(s)?);
            }
            if in_row < buf.len() {
                rows.push(more_slot);
                over.push((doc, more.len() as u32));
                for &s in &buf[in_row..] {
                    more.push(slot(s)?);
                }
            }
            rows.resize(start + ROW, pad_slot);
        }
        over.push((tantivy::DocId::MAX, more.len() as u32));
        Some(Rows { rows, over, more, pad: pad_slot })
    }
}

impl<S: Copy + PartialEq> Rows<S>
where
    u32: From<S>,
{
    /// The count of each slot over `docs`; the last two are the pad and
    /// more slots, which no dimension reads.
    fn count(&self, docs: &[tantivy::DocId]) -> Vec<u32> {
        let more_slot = u32::from(self.pad) + 1;
        // A power of two long, so that a slot masked by `mask` is known to
        // be in bounds: the sixteen adds of a row have no checks to branch on.
        let mask = (more_slot as usize + 1).next_power_of_two() - 1;
        let mut all = vec![0u32; mask + 1];
        let counts = &mut all[..=mask];
        // Where the next document with more slots is looked for in `over`.
        let mut over_from = 0;
        for (k, &doc) in docs.iter().enumerate() {
            if let Some(&next) = docs.get(k + PREFETCH_AHEAD) {
                prefetch(&self.rows, next as usize * ROW);
            }
            let Some(row) = self.rows.get(doc as usize * ROW..(doc as usize + 1) * ROW) else { continue };
            for &slot in row {
                counts[u32::from(slot) as usize & mask] += 1;
            }
            if row.last().is_some_and(|&s| u32::from(s) == more_slot) {
                over_from = self.count_more(doc, over_from, counts);
            }
        }
        all.truncate(more_slot as usize + 1);
        all
    }

    /// Add the slots of `doc` past its row; its entry in `over` is at or
    /// after `from` (matches come in document order). Returns where to look
    /// for the next document's.
    fn count_more(&self, doc: tantivy::DocId, from: usize, counts: &mut [u32]) -> usize {
        // Gallop from `from`: nearby entries, and no search over the whole list.
        let rest = self.over.get(from..).unwrap_or_default();
        let mut end = 1;
        while end < rest.len() && rest.get(end - 1).is_some_and(|&(d, _)| d < doc) {
            end *= 2;
        }
        let Ok(k) = rest.get(..end.min(rest.len())).unwrap_or_default().binary_search_by_key(&doc, |&(d, _)| d) else { return from };
        let i = from + k;
        let (Some(&(_, a)), Some(&(_, b))) = (self.over.get(i), self.over.get(i + 1)) else { return from };
        for &slot in self.more.get(a as usize..b as usize).unwrap_or_default() {
            if let Some(c) = counts.get_mut(u32::from(slot) as usize) {
                *c += 1;
            }
        }
        i + 1
    }
}

/// Fewer matches than this are counted on the searching thread, after the
/// page. More are counted on the search threads, a segment each, beside the
/// reading of the page, when the index has several segments: their search
/// has just run on those threads, which are awake. An index of one segment
/// is searched on the calling thread, and waking a sleeping thread can cost
/// more than all the counting: on an idle 2-core VM, a facet-filtered query
/// at 10k CoEs (1,746 matches, one segment) took 136–141 µs p50 with its
/// counting handed over and 72–73 µs without (on a busier VM, whose second
/// core was awake, the handover had saved 144 against 176 µs). Counting
/// takes about 20 ns a match, so 1,000 are 20 µs.
/// (Reading the page in two halves side by side, tried too, cost more than
/// it saved once a hit took a few microseconds: 1k term query p50 76 µs on
/// one thread, 86–97 µs in halves, and a p99 twice as long.)
const POOL_COUNT_MIN: usize = 1_000;

/// How many matches ahead [`Rows::count`] asks for the row of the match it will count then.
const PREFETCH_AHEAD: usize = 8;

/// Ask the CPU to bring the cache line holding `v[i]` closer, if `i` is in range.
fn prefetch<T>(v: &[T], i: usize) {
    #[cfg(target_arch = "x86_64")]
    if let Some(x) = v.get(i) {
        // SAFETY: a prefetch is only a hint: it reads nothing the program
        // sees and never faults; SSE is part of the x86_64 baseline.
        unsafe { std::arch::x86_64::_mm_prefetch::<{ std::arch::x86_64::_MM_HINT_T0 }>((x as *const T).cast()) }
    }
    #[cfg(not(target_arch = "x86_64"))]
    let _ = (v, i);
}

impl SegFacets {
    fn read(seg: &tantivy::SegmentReader) -> tantivy::Result<SegFacets> {
        let mut names = Vec::with_capacity(FACETS.len());
        let mut columns = Vec::with_capacity(FACETS.len());
        let mut base = vec![0u32];
        for (_, field) in FACETS {
            let reader = seg.facet_reader(field)?;
            let mut leafs = Vec::with_capacity(reader.num_facets());
            let mut facet = Facet::root();
            for ord in 0..reader.num_facets() as u64 {
                reader.facet_from_ord(ord, &mut facet)?;
                leafs.push(facet_leaf(&facet).into());
            }
            let column = seg
                .fast_fields()
                .str(field)?
                .ok_or_else(|| tantivy::TantivyError::SchemaError(format!("facet column `{field}` is missing")))?;
            let last = base.last().copied().unwrap_or(0);
            base.push(last.saturating_add(u32::try_from(leafs.len()).unwrap_or(u32::MAX)));
            names.push(leafs);
            columns.push(column);
        }
        let pad = base.last().copied().unwrap_or(0);
        let slots_of = |doc: u32, buf: &mut Vec<u32>| {
            for (column, first) in columns.iter().zip(&base) {
                buf.extend(column.term_ords(doc).map(|o| first.saturating_add(o as u32)));
            }
        };
        // Two-byte slots when the pad and more slots fit in two bytes (`build`
        // finds out before it reads a document).
        let slots = Rows::build(seg.max_doc(), pad, &slots_of)
            .map(Slots::Narrow)
            .or_else(|| Rows::build(seg.max_doc(), pad, &slots_of).map(Slots::Wide))
            .ok_or_else(|| tantivy::TantivyError::InternalError(format!("{pad} facet values in one segment")))?;
        Ok(SegFacets { segment: seg.segment_id(), names, base, slots })
    }

    /// The leaf names of dimension `d`.
    fn names_of(&self, d: usize) -> &[FacetName] {
        self.names.get(d).map_or(&[], |n| n.as_slice())
    }

    /// The counts of dimension `d` within a flat count array.
    fn dim<'a>(&self, counts: &'a [u32], d: usize) -> &'a [u32] {
        let (Some(&a), Some(&b)) = (self.base.get(d), self.base.get(d + 1)) else { return &[] };
        counts.get(a as usize..b as usize).unwrap_or_default()
    }
}

/// Each segment's facets. Segments never change, so each is read once;
/// entries of merged-away segments are dropped as they go.
pub(crate) type FacetCache = HashMap<tantivy::index::SegmentId, std::sync::Arc<SegFacets>>;

impl Store {
    fn seg_facets(&self, seg: &tantivy::SegmentReader) -> tantivy::Result<std::sync::Arc<SegFacets>> {
        if let Some(f) = self.facet_cache.lock().ok().and_then(|c| c.get(&seg.segment_id()).cloned()) {
            return Ok(f);
        }
        let f = std::sync::Arc::new(SegFacets::read(seg)?);
        // Unpacked: the pages of the columns are not needed any more.
        self.drop_fast_pages(seg);
        if let Ok(mut c) = self.facet_cache.lock() {
            c.insert(seg.segment_id(), f.clone());
        }
        Ok(f)
    }

    /// Forget the facets of segments the searcher no longer has.
    fn prune_facet_cache(&self, searcher: &Searcher) {
        if let Ok(mut c) = self.facet_cache.lock()
            && c.len() > searcher.segment_readers().len()
        {
            let live: std::collections::HashSet<_> = searcher.segment_readers().iter().map(|s| s.segment_id()).collect();
            c.retain(|id, _| live.contains(id));
        }
    }
}

/// Counts of every facet dimension: slots counted per segment, names
/// looked up once per segment (tantivy's FacetCollector converts every
/// ordinal through the term dictionary on every query).
struct FacetDims<'a>(&'a Store);

/// One pass over the matches: the count, the matches of each segment and (by relevance) the page.
type Pass = (usize, FacetMatches, Vec<(f32, DocAddress)>);

/// Per segment: its facets and the documents that matched.
type FacetMatches = Vec<(std::sync::Arc<SegFacets>, Vec<tantivy::DocId>)>;

/// One segment's facets and the count of each of its slots.
type SegCount = (std::sync::Arc<SegFacets>, Vec<u32>);

/// Per segment: its facets and the count of each slot.
type FacetFruit = Vec<SegCount>;

/// Count the facet slots of the matches of each segment. Counting is left
/// until the pass is over (the collector only notes the documents), so that
/// it runs beside the reading of the page, in a tight loop of its own.
fn count_facets(matches: FacetMatches) -> FacetFruit {
    matches.into_iter().map(count_segment).collect()
}

/// Count the facet slots of one segment's matches.
fn count_segment((f, docs): (std::sync::Arc<SegFacets>, Vec<tantivy::DocId>)) -> SegCount {
    let counts = match &f.slots {
        Slots::Narrow(rows) => rows.count(&docs),
        Slots::Wide(rows) => rows.count(&docs),
    };
    (f, counts)
}

struct FacetDimsSegment {
    facets: std::sync::Arc<SegFacets>,
    docs: Vec<tantivy::DocId>,
}

impl tantivy::collector::Collector for FacetDims<'_> {
    type Fruit = FacetMatches;
    type Child = FacetDimsSegment;

    fn for_segment(&self, _ord: u32, seg: &tantivy::SegmentReader) -> tantivy::Result<FacetDimsSegment> {
        Ok(FacetDimsSegment { facets: self.0.seg_facets(seg)?, docs: Vec::new() })
    }

    fn requires_scoring(&self) -> bool {
        false
    }

    fn merge_fruits(&self, fruits: FacetMatches) -> tantivy::Result<FacetMatches> {
        Ok(fruits)
    }
}

impl tantivy::collector::SegmentCollector for FacetDimsSegment {
    type Fruit = (std::sync::Arc<SegFacets>, Vec<tantivy::DocId>);

    fn collect(&mut self, doc: tantivy::DocId, _score: tantivy::Score) {
        self.docs.push(doc);
    }

    fn harvest(self) -> Self::Fruit {
        (self.facets, self.docs)
    }
}

/// How the facet ordinals of several segments map onto one sorted list of
/// names per dimension, built once per set of segments: merging the counts
/// of a query is then integer adds, and ordinal order is name order.
pub(crate) struct FacetMerge {
    segments: Vec<tantivy::index::SegmentId>,
    /// Per dimension: the names of all segments, sorted, and for each
    /// segment the merged ordinal of each of its own ordinals.
    dims: Vec<(Vec<FacetName>, Vec<Vec<u32>>)>,
}

impl FacetMerge {
    fn segments_of(fruit: &FacetFruit) -> Vec<tantivy::index::SegmentId> {
        fruit.iter().map(|(f, _)| f.segment).collect()
    }

    fn build<'a>(fruit: &'a FacetFruit) -> FacetMerge {
        let dims = (0..FACETS.len())
            .map(|d| {
                let seg_names = |f: &'a SegFacets| f.names_of(d);
                let mut names: Vec<&FacetName> = fruit.iter().flat_map(|(f, _)| seg_names(f)).collect();
                names.sort_unstable();
                names.dedup();
                let maps =
                    fruit.iter().map(|(f, _)| seg_names(f).iter().map(|n| names.binary_search(&n).unwrap_or(0) as u32).collect()).collect();
                (names.into_iter().cloned().collect(), maps)
            })
            .collect();
        FacetMerge { segments: Self::segments_of(fruit), dims }
    }
}

impl Store {
    /// The merge of the facet ordinals of `fruit`'s segments (cached until the segments change).
    fn facet_merge(&self, fruit: &FacetFruit) -> std::sync::Arc<FacetMerge> {
        let segments = FacetMerge::segments_of(fruit);
        if let Some(m) = self.facet_merge.lock().ok().and_then(|m| m.clone()).filter(|m| m.segments == segments) {
            return m;
        }
        let m = std::sync::Arc::new(FacetMerge::build(fruit));
        if let Ok(mut slot) = self.facet_merge.lock() {
            *slot = Some(m.clone());
        }
        m
    }

    /// The counts of each facet dimension: the 50 most frequent values (years: the 50 latest).
    fn facets_of(&self, fruit: &FacetFruit) -> BTreeMap<String, Vec<FacetCount>> {
        const TOP: usize = 50;
        let merge = (fruit.len() > 1).then(|| self.facet_merge(fruit));
        let mut out = BTreeMap::new();
        let mut keys = Vec::new();
        for (d, (name, _)) in FACETS.iter().enumerate() {
            let merged;
            let (names, counts): (&[FacetName], &[u32]) = match (&merge, fruit.as_slice()) {
                (Some(m), _) => {
                    let Some((names, maps)) = m.dims.get(d) else { continue };
                    let mut sum = vec![0u32; names.len()];
                    for ((f, counts), map) in fruit.iter().zip(maps) {
                        for (ord, n) in f.dim(counts, d).iter().enumerate().filter(|(_, n)| **n > 0) {
                            if let Some(x) = map.get(ord).and_then(|&g| sum.get_mut(g as usize)) {
                                *x += n;
                            }
                        }
                    }
                    merged = sum;
                    (names, &merged)
                }
                (None, [(f, counts)]) => (f.names_of(d), f.dim(counts, d)),
                (None, _) => (&[], &[]),
            };
            out.insert(name.to_string(), top_values(names, counts, *name == "year", TOP, &mut keys));
        }
        out
    }
}

/// The `top` values of one dimension that the most documents have, most
/// first and by name on a tie (`latest`: the `top` last ones in name order,
/// latest first, for years), with their counts; `counts[ord]` counts
/// `names[ord]`, and names are sorted, so ordinal order is name order.
/// `keys` is scratch space. Each value is one `u64` key (count above,
/// ordinal inverted below), so that selecting and sorting compare integers.
fn top_values(names: &[FacetName], counts: &[u32], latest: bool, top: usize, keys: &mut Vec<u64>) -> Vec<FacetCount> {
    let value = |ord: usize, count: u32| Some(FacetCount { value: names.get(ord)?.clone(), count: u64::from(count) });
    if latest {
        return counts.iter().enumerate().rev().filter(|(_, n)| **n > 0).take(top).filter_map(|(ord, &n)| value(ord, n)).collect();
    }
    keys.clear();
    keys.extend(counts.iter().enumerate().filter(|(_, n)| **n > 0).map(|(ord, &n)| u64::from(n) << 32 | u64::from(!(ord as u32))));
    if keys.len() > top {
        if let Some(last) = top.checked_sub(1) {
            keys.select_nth_unstable_by(last, |a, b| b.cmp(a));
        }
        keys.truncate(top);
    }
    keys.sort_unstable_by(|a, b| b.cmp(a));
    keys.iter().filter_map(|&k| value(!(k as u32) as usize, (k >> 32) as u32)).collect()
}

/// A CoE as its detail view shows it.
#[derive(Debug)]
pub struct Detail {
    /// The document, sections included.
    pub doc: CoeDoc,
    /// Its Markdown, as indexed.
    pub raw: String,
    /// When the index first saw it (seconds since the epoch).
    pub first_seen: Option<i64>,
}

/// Is an open item past its due date?
pub fn is_overdue(a: &ActionItem, today: NaiveDate) -> bool {
    a.status == ActionStatus::Open
        && a.due.as_deref().and_then(|d| NaiveDate::parse_from_str(d, "%Y-%m-%d").ok()).is_some_and(|d| d < today)
}

fn facet_leaf(f: &Facet) -> String {
    f.to_path().last().map(|s| s.to_string()).unwrap_or_default()
}

/// What a result list shows of a document, as stored with it at index time:
/// id, title, date, team, severity, status, technologies, services,
/// failure modes, summary and completeness, in postcard (each string its
/// length and bytes, each option a tag, each list its length and items, read
/// in this order without keys or escapes). A search fills in the rest of a
/// [`Hit`] (score, snippet and first-seen date).
pub(crate) fn stored_hit_bytes(m: &CoeDoc) -> postcard::Result<Vec<u8>> {
    postcard::to_allocvec(&(
        &m.id,
        &m.title,
        &m.date,
        &m.team,
        &m.severity,
        &m.status,
        &m.technologies,
        &m.services,
        &m.failure_modes,
        &m.summary,
        m.completeness,
    ))
}

/// The hit stored as `bytes` (see [`stored_hit_bytes`]), read a value at a
/// time, its strings in place and made [`Text`] by `share`; `None` when the
/// bytes do not read so or a string cannot be shared.
fn hit_from_bytes<'a>(bytes: &'a [u8], share: impl Fn(&'a str) -> Option<Text>) -> Option<Hit> {
    /// The next value off the front of `rest`.
    fn take<'a, T: Deserialize<'a>>(rest: &mut &'a [u8]) -> Option<T> {
        let (value, after) = postcard::take_from_bytes(rest).ok()?;
        *rest = after;
        Some(value)
    }
    let mut rest = bytes;
    let text = |rest: &mut &'a [u8]| take::<&str>(rest).and_then(&share);
    let opt = |rest: &mut &'a [u8]| match take::<Option<&str>>(rest)? {
        Some(s) => share(s).map(Some),
        None => Some(None),
    };
    let list = |rest: &mut &'a [u8]| -> Option<Vec<Text>> {
        let n = take::<usize>(rest)?;
        // Each string takes a byte at least: a longer list is damage.
        let mut out = Vec::with_capacity(n.min(rest.len()));
        for _ in 0..n {
            out.push(text(rest)?);
        }
        Some(out)
    };
    let id = text(&mut rest)?;
    let title = text(&mut rest)?;
    let (date, team, severity, status) = (opt(&mut rest)?, opt(&mut rest)?, opt(&mut rest)?, opt(&mut rest)?);
    let (technologies, services, failure_modes) = (list(&mut rest)?, list(&mut rest)?, list(&mut rest)?);
    let summary = text(&mut rest)?;
    let completeness = take::<u8>(&mut rest)?;
    Some(Hit {
        id,
        title,
        date,
        team,
        severity,
        status,
        technologies,
        services,
        failure_modes,
        summary,
        snippet: String::new(),
        snippet_html: String::new(),
        score: 0.0,
        completeness,
        first_seen: None,
    })
}

/// Seconds since the epoch as RFC 3339.
fn rfc3339(secs: i64) -> Option<String> {
    chrono::DateTime::from_timestamp(secs, 0).map(|d| d.to_rfc3339())
}

/// A similar CoE.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct Similar {
    /// Id.
    pub id: Text,
    /// Title.
    pub title: Text,
    /// Date.
    pub date: Option<Text>,
    /// Team.
    pub team: Option<Text>,
    /// Severity.
    pub severity: Option<Text>,
    /// Technologies.
    pub technologies: Vec<Text>,
    /// Failure modes.
    pub failure_modes: Vec<Text>,
    /// Technologies both share.
    pub shared_technologies: Vec<Text>,
    /// Failure modes both share.
    pub shared_failure_modes: Vec<Text>,
    /// Score.
    pub score: f32,
}

/// Filters for [`Store::action_items`].
#[derive(Debug, Clone, Default)]
pub struct ActionQuery {
    /// `open` (default), `done`, `not-doing` or `all`.
    pub status: Option<String>,
    /// Only overdue items.
    pub overdue: bool,
    /// Teams (OR).
    pub team: Vec<String>,
    /// Technologies (OR).
    pub technology: Vec<String>,
    /// Who is asking.
    pub access: Access,
}

/// A CoE an action item belongs to.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct CoeRef {
    /// Id.
    pub id: String,
    /// Title.
    pub title: String,
    /// Team.
    pub team: Option<String>,
    /// Date.
    pub date: Option<String>,
}

/// An action item with its CoE.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct ActionRow {
    /// The item.
    #[serde(flatten)]
    pub item: ActionItem,
    /// Past due and still open.
    pub overdue: bool,
    /// Its CoE.
    pub coe: CoeRef,
}

/// Group counts helper for stats.
pub fn count_by<'a>(it: impl Iterator<Item = &'a str>) -> HashMap<String, u64> {
    let mut m = HashMap::new();
    for k in it {
        *m.entry(k.to_string()).or_insert(0) += 1;
    }
    m
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_stored_hit_reads_back_as_the_hit_of_its_document() {
        let doc = CoeDoc {
            id: "payments/2024-03-db.md".into(),
            title: "Checkout \"timeouts\" — DB pool".into(),
            date: Some("2024-03-02".into()),
            team: Some("payments".into()),
            severity: Some("SEV2".into()),
            status: None,
            technologies: vec!["PostgreSQL".into(), "Kubernetes".into()],
            services: vec!["checkout".into()],
            failure_modes: vec![],
            summary: "Pool exhausted.\nTwo lines.".into(),
            completeness: 80,
            ..Default::default()
        };
        let bytes = stored_hit_bytes(&doc).expect("encodes");
        let copy = |s: &str| Some(Text::from(s));
        let hit = hit_from_bytes(&bytes, copy).expect("reads back");
        assert_eq!(
            (hit.id.as_str(), hit.title.as_str(), hit.summary.as_str()),
            (doc.id.as_str(), doc.title.as_str(), doc.summary.as_str())
        );
        let opts = |v: [&Option<Text>; 4]| v.map(|o| o.as_deref().map(str::to_string));
        assert_eq!(
            opts([&hit.date, &hit.team, &hit.severity, &hit.status]),
            [&doc.date, &doc.team, &doc.severity, &doc.status].map(Clone::clone)
        );
        let lists = |v: [&Vec<Text>; 3]| v.map(|l| l.iter().map(|t| t.to_string()).collect::<Vec<_>>());
        assert_eq!(
            lists([&hit.technologies, &hit.services, &hit.failure_modes]),
            [&doc.technologies, &doc.services, &doc.failure_modes].map(Clone::clone)
        );
        assert_eq!((hit.completeness, hit.score, hit.first_seen.as_deref(), hit.snippet.as_str()), (80, 0.0, None, ""));
        // Cut short (a damaged store), it is unreadable, not a wrong hit.
        assert_eq!(hit_from_bytes(&bytes[..bytes.len() - 1], copy), None);
        assert_eq!(hit_from_bytes(b"", copy), None);
        // A string that is not the stored document's own is not shared.
        assert_eq!(hit_from_bytes(&bytes, |_| None), None);
    }

    #[test]
    fn top_values_are_the_most_frequent_then_by_name_and_years_latest_first() {
        let names: Vec<FacetName> = (0..300).map(|i| format!("v{i:03}").into()).collect();
        // Counts with many ties, some zero.
        let counts: Vec<u32> = (0..300u32).map(|i| (i * 7919 % 13) * u32::from(i % 5 != 0)).collect();
        let mut keys = Vec::new();
        for top in [0, 1, 50, 299, 300, 400] {
            let mut want: Vec<(usize, u32)> = counts.iter().copied().enumerate().filter(|(_, n)| *n > 0).collect();
            want.sort_by(|x, y| y.1.cmp(&x.1).then(x.0.cmp(&y.0)));
            want.truncate(top);
            let got = top_values(&names, &counts, false, top, &mut keys);
            let got: Vec<(usize, u32)> = got.iter().map(|c| (c.value[1..].parse().unwrap_or(usize::MAX), c.count as u32)).collect();
            assert_eq!(got, want, "top {top}");
            let latest = top_values(&names, &counts, true, top, &mut keys);
            let want: Vec<(usize, u32)> = counts.iter().copied().enumerate().rev().filter(|(_, n)| *n > 0).take(top).collect();
            let latest: Vec<(usize, u32)> = latest.iter().map(|c| (c.value[1..].parse().unwrap_or(usize::MAX), c.count as u32)).collect();
            assert_eq!(latest, want, "latest {top}");
        }
        assert!(top_values(&[], &[], false, 50, &mut keys).is_empty());
    }

    #[test]
    fn rows_count_every_slot_once_narrow_or_wide() {
        // Document 0: two slots; 1: none; 2: more than a row holds (slot 7
        // twice, 0..ROW+3); 3: exactly a row. Slot 20 is the pad.
        let long: Vec<u32> = (0..ROW as u32 + 3).map(|i| i % 19).collect();
        let exact: Vec<u32> = (0..ROW as u32).map(|i| i % 19).collect();
        // Document 4 has more than a row holds too: the second document
        // with more slots is found past the first.
        let per_doc = [vec![0, 5], vec![], long.clone(), exact.clone(), long.clone()];
        let fill = |doc: u32, buf: &mut Vec<u32>| buf.extend(&per_doc[doc as usize]);
        let narrow: Rows<u16> = Rows::build(5, 20, fill).unwrap_or_else(|| panic!("narrow rows"));
        let wide: Rows<u32> = Rows::build(5, 20, fill).unwrap_or_else(|| panic!("wide rows"));
        let docs = [0, 1, 2, 3, 4, 9]; // 9: past the end, ignored
        let mut expected = [0u32; 20];
        for s in [0, 5].iter().chain(&long).chain(&exact).chain(&long) {
            expected[*s as usize] += 1;
        }
        let (by_narrow, by_wide) = (narrow.count(&docs), wide.count(&docs));
        assert_eq!(by_narrow.len(), 22);
        assert_eq!(by_narrow[..20], expected[..20]);
        assert_eq!(by_wide[..20], expected[..20]);
        // A pad too large for two bytes makes no narrow rows; wide rows count
        // slots past two bytes.
        assert!(Rows::<u16>::build(1, u32::from(u16::MAX), fill).is_none());
        let big = [vec![0, 69_999, 69_999], vec![70_000 - 2]];
        let wide: Rows<u32> =
            Rows::build(2, 70_000, |doc, buf: &mut Vec<u32>| buf.extend(&big[doc as usize])).unwrap_or_else(|| panic!("wide rows"));
        let counts = wide.count(&[0, 1]);
        assert_eq!((counts[0], counts[69_998], counts[69_999], counts[..70_000].iter().sum::<u32>()), (1, 1, 2, 4));
    }

    #[test]
    fn fuzzy_marks_come_off_words_not_phrases() {
        let marks = |q: &str| {
            let (text, marked) = fuzzy_marks(q);
            (text.into_owned(), marked)
        };
        assert_eq!(marks("kuberntes~"), ("kuberntes".into(), true));
        assert_eq!(marks("title:throtling~2 dns"), ("title:throtling dns".into(), true));
        assert_eq!(marks("\"connection pool\"~2"), ("\"connection pool\"~2".into(), false));
        assert_eq!(marks("\"a~ b\" c"), ("\"a~ b\" c".into(), false));
        assert_eq!(marks("~ alone"), ("~ alone".into(), false));
        assert_eq!(marks("throttling"), ("throttling".into(), false));
    }
}
