//! The prose of a CoE as the word-level rules see it: the Markdown body split
//! into blocks (paragraphs, list items, table cells, headings) of text whose
//! every character maps back to its byte in the file. Code (blocks and
//! inline), raw HTML and comments, image alt text and front matter are left
//! out; URLs and "quoted text" are marked so rules can skip them.

use crate::parse::frontmatter;
use crate::parse::markdown::options;
use crate::parse::pattern;
use pulldown_cmark::{CodeBlockKind, Event, Parser, Tag, TagEnd};
use regex::Regex;
use std::sync::LazyLock;

/// Where a block of text sits.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Place {
    /// Ordinary prose (paragraphs, list items, table cells).
    Body,
    /// A heading.
    Heading,
    /// Inside a `>` block quote.
    BlockQuote,
}

/// One block of prose.
#[derive(Debug, Clone)]
pub struct Block {
    /// Where it sits.
    pub place: Place,
    /// Its text; separators stand in for code, breaks and markup.
    pub text: String,
    /// (offset in `text`, byte offset in the file, length) of each mapped run.
    segs: Vec<(usize, usize, usize)>,
    /// Ranges of `text` inside double quotes.
    pub quoted: Vec<(usize, usize)>,
    /// Ranges of `text` that are URLs.
    pub urls: Vec<(usize, usize)>,
    /// A bold or italic lead-in that opens the block (`**How was it detected?** …`),
    /// written as a heading would be.
    pub label: Option<(usize, usize)>,
}

impl Block {
    /// The file byte offset of `text[off]`, when it maps to the file.
    pub fn abs(&self, off: usize) -> Option<usize> {
        let i = self.segs.partition_point(|s| s.0 <= off).checked_sub(1)?;
        let (start, abs, len) = self.segs[i];
        (off < start + len).then(|| abs + (off - start))
    }

    /// Is `text[start..end]` inside quotes?
    pub fn in_quotes(&self, start: usize, end: usize) -> bool {
        self.quoted.iter().any(|&(s, e)| start >= s && end <= e)
    }

    /// Is `text[start..end]` inside the block's bold lead-in?
    pub fn in_label(&self, start: usize, end: usize) -> bool {
        self.label.is_some_and(|(s, e)| start >= s && end <= e)
    }

    /// Does `text[start..end]` overlap a URL?
    pub fn in_url(&self, start: usize, end: usize) -> bool {
        self.urls.iter().any(|&(s, e)| start < e && end > s)
    }

    fn push_mapped(&mut self, s: &str, abs: usize) {
        if s.is_empty() {
            return;
        }
        self.segs.push((self.text.len(), abs, s.len()));
        self.text.push_str(s);
    }

    fn push_sep(&mut self) {
        if !self.text.ends_with(SEP) {
            self.text.push(SEP);
        }
    }
}

/// Stands in for code, images and HTML inside a block: not a word character,
/// not a quote.
const SEP: char = '\u{1f}';

/// A link or an image (or something that draws a graph), by file offset.
#[derive(Debug, Clone, Copy)]
pub struct Media {
    /// Byte offset in the file.
    pub at: usize,
    /// An image or a graph (not just a link).
    pub image: bool,
}

/// The prose of one document.
#[derive(Debug, Default)]
pub struct Prose {
    /// Blocks in document order.
    pub blocks: Vec<Block>,
    /// Links, images and graphs.
    pub media: Vec<Media>,
}

static URL_RE: LazyLock<Regex> = LazyLock::new(|| pattern::compile(r"(?i)\b(?:https?|ftp|file|s3|gs)://[^\s<>\x1f]+|\bwww\.[^\s<>\x1f]+"));

/// Graph-drawing fenced blocks (MyST figures, Mermaid, Vega).
fn is_graph_fence(info: &str) -> bool {
    let i = info.trim().to_ascii_lowercase();
    ["{image}", "{figure}", "{chart}", "mermaid", "vega", "vega-lite", "chart"].iter().any(|p| i.starts_with(p))
}

/// Scan a whole file's text (front matter included; it is skipped).
pub fn scan(text: &str) -> Prose {
    let split = frontmatter::split(text);
    let body_off = text.len() - split.body.len();
    let body = split.body;
    let mut prose = Prose::default();
    let mut cur: Option<Block> = None;
    let mut heading = false;
    let mut quote_depth = 0usize;
    let mut in_code = false;
    let mut image_depth = 0usize;
    let mut emphasis_depth = 0usize;

    let place = |heading: bool, quote_depth: usize| {
        if heading {
            Place::Heading
        } else if quote_depth > 0 {
            Place::BlockQuote
        } else {
            Place::Body
        }
    };
    let flush = |cur: &mut Option<Block>, prose: &mut Prose| {
        if let Some(b) = cur.take()
            && !b.segs.is_empty()
        {
            prose.blocks.push(b);
        }
    };

    for (ev, range) in Parser::new_ext(body, options()).into_offset_iter() {
        let abs = body_off + range.start;
        match ev {
            Event::Start(tag) => match tag {
                Tag::Emphasis | Tag::Strong => {
                    // Emphasis that opens a block is a lead-in label.
                    if emphasis_depth > 0 || cur.as_ref().is_none_or(|b| b.text.trim().is_empty()) {
                        emphasis_depth += 1;
                    }
                }
                Tag::Strikethrough | Tag::Superscript | Tag::Subscript => {}
                Tag::Link { .. } => prose.media.push(Media { at: abs, image: false }),
                Tag::Image { .. } => {
                    prose.media.push(Media { at: abs, image: true });
                    image_depth += 1;
                }
                other => {
                    flush(&mut cur, &mut prose);
                    emphasis_depth = 0;
                    match other {
                        Tag::Heading { .. } => heading = true,
                        Tag::BlockQuote(_) => quote_depth += 1,
                        Tag::CodeBlock(kind) => {
                            in_code = true;
                            if let CodeBlockKind::Fenced(info) = kind
                                && is_graph_fence(&info)
                            {
                                prose.media.push(Media { at: abs, image: true });
                            }
                        }
                        _ => {}
                    }
                }
            },
            Event::End(tag) => match tag {
                TagEnd::Emphasis | TagEnd::Strong => {
                    if emphasis_depth > 0 {
                        emphasis_depth -= 1;
                        if emphasis_depth == 0
                            && let Some(b) = cur.as_mut()
                            && b.label.is_none()
                        {
                            b.label = Some((0, b.text.len()));
                        }
                    }
                }
                TagEnd::Strikethrough | TagEnd::Superscript | TagEnd::Subscript | TagEnd::Link => {}
                TagEnd::Image => {
                    image_depth = image_depth.saturating_sub(1);
                    if let Some(b) = cur.as_mut() {
                        b.push_sep();
                    }
                }
                other => {
                    flush(&mut cur, &mut prose);
                    emphasis_depth = 0;
                    match other {
                        TagEnd::Heading(_) => heading = false,
                        TagEnd::BlockQuote(_) => quote_depth = quote_depth.saturating_sub(1),
                        TagEnd::CodeBlock => in_code = false,
                        _ => {}
                    }
                }
            },
            Event::Text(_) if in_code || image_depth > 0 => {}
            Event::Text(_) => {
                let src = body.get(range.clone()).unwrap_or("");
                let b = cur.get_or_insert_with(|| Block {
                    place: place(heading, quote_depth),
                    text: String::new(),
                    segs: Vec::new(),
                    quoted: Vec::new(),
                    urls: Vec::new(),
                    label: None,
                });
                b.push_mapped(src, abs);
            }
            Event::SoftBreak | Event::HardBreak => {
                if let Some(b) = cur.as_mut() {
                    b.text.push(' ');
                }
            }
            Event::Code(_) | Event::InlineMath(_) | Event::DisplayMath(_) | Event::FootnoteReference(_) => {
                if let Some(b) = cur.as_mut() {
                    b.push_sep();
                }
            }
            Event::InlineHtml(h) => {
                if h.to_ascii_lowercase().contains("<img") {
                    prose.media.push(Media { at: abs, image: true });
                }
                if let Some(b) = cur.as_mut() {
                    b.push_sep();
                }
            }
            Event::Html(h) => {
                let l = h.to_ascii_lowercase();
                if l.contains("<img") || l.contains("<iframe") || l.contains("<svg") {
                    prose.media.push(Media { at: abs, image: true });
                }
            }
            _ => {}
        }
    }
    flush(&mut cur, &mut prose);
    for b in &mut prose.blocks {
        b.quoted = quoted_ranges(&b.text);
        b.urls = URL_RE.find_iter(&b.text).map(|m| (m.start(), m.end())).collect();
        for &(s, _) in &b.urls {
            if let Some(at) = b.abs(s) {
                prose.media.push(Media { at, image: false });
            }
        }
    }
    prose.media.sort_by_key(|m| m.at);
    prose
}

/// Ranges between matching double quotes (`"…"` or `“…”`); an unmatched quote marks nothing.
fn quoted_ranges(text: &str) -> Vec<(usize, usize)> {
    let mut out = Vec::new();
    let mut open: Option<usize> = None;
    for (i, c) in text.char_indices() {
        match c {
            '“' => open = Some(i),
            '”' => {
                if let Some(o) = open.take() {
                    out.push((o, i + c.len_utf8()));
                }
            }
            '"' => match open.take() {
                Some(o) => out.push((o, i + 1)),
                None => open = Some(i),
            },
            _ => {}
        }
    }
    out
}

/// 1-based line and column (in characters) of byte offsets in a text.
pub struct Lines<'a> {
    text: &'a str,
    starts: Vec<usize>,
}

impl<'a> Lines<'a> {
    /// Index a text.
    pub fn new(text: &'a str) -> Self {
        let mut starts = vec![0];
        starts.extend(text.bytes().enumerate().filter(|(_, b)| *b == b'\n').map(|(i, _)| i + 1));
        Lines { text, starts }
    }

    /// Line and column of a byte offset.
    pub fn pos(&self, at: usize) -> (usize, usize) {
        let i = self.starts.partition_point(|&s| s <= at).saturating_sub(1);
        let start = self.starts[i];
        let col = self.text.get(start..at.min(self.text.len())).map_or(1, |s| s.chars().count() + 1);
        (i + 1, col)
    }

    /// The text of a 1-based line (empty past the end).
    pub fn line(&self, n: usize) -> &'a str {
        let Some(&s) = self.starts.get(n.saturating_sub(1)) else { return "" };
        let e = self.starts.get(n).map_or(self.text.len(), |e| e - 1);
        self.text.get(s..e).unwrap_or("")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn skips_code_comments_front_matter_and_images() {
        let md = "---\ntitle: we\n---\n# We title\n\nWe wrote `we` and <!-- we --> ![we](x.png) here.\n\n```\nwe\n```\n\n> we quoted\n";
        let p = scan(md);
        let body: Vec<&Block> = p.blocks.iter().filter(|b| b.place == Place::Body).collect();
        assert_eq!(body.len(), 1);
        assert!(body[0].text.starts_with("We wrote "));
        assert!(!body[0].text.contains("we"), "{:?}", body[0].text);
        assert!(p.blocks.iter().any(|b| b.place == Place::Heading));
        assert!(p.blocks.iter().any(|b| b.place == Place::BlockQuote));
        assert_eq!(p.media.iter().filter(|m| m.image).count(), 1);
        // Offsets map back to the file.
        let at = body[0].abs(0).expect("mapped");
        assert_eq!(&md[at..at + 8], "We wrote");
        let lines = Lines::new(md);
        assert_eq!(lines.pos(at), (6, 1));
    }

    #[test]
    fn lead_in_labels() {
        let p = scan("**How did we respond?** The team rolled back.\n\nThe team said **we** did.\n");
        assert_eq!(p.blocks[0].label, Some((0, "How did we respond?".len())));
        assert_eq!(p.blocks[1].label, None);
    }

    #[test]
    fn quotes_and_urls_are_marked() {
        let p = scan("He said \"we *really* did\" at https://x.example/we/our.\n");
        let b = &p.blocks[0];
        let we = b.text.find("we").expect("we");
        assert!(b.in_quotes(we, we + 2));
        let url = b.text.find("https").expect("url");
        assert!(b.in_url(url, url + 5));
        assert_eq!(p.media.len(), 1);
    }

    #[test]
    fn columns_count_characters() {
        let t = "ab\n“é” we\n";
        let at = t.find("we").expect("we");
        assert_eq!(Lines::new(t).pos(at), (2, 5));
        assert_eq!(Lines::new(t).line(2), "“é” we");
        assert_eq!(Lines::new(t).line(9), "");
    }
}
