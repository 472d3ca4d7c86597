//! The one place that decides how Markdown is read: the pulldown-cmark options,
//! the walk that turns a document into sections of blocks, and the sanitized
//! HTML rendering shown to people.

use crate::model::Link;
use pulldown_cmark::{CowStr, Event, HeadingLevel, Options, Parser, Tag, TagEnd};

/// Nesting deeper than this is rendered as escaped text (the sanitizer is
/// quadratic in depth).
pub const MAX_RENDER_DEPTH: usize = 48;

/// The Markdown extensions coe-kb reads, everywhere.
pub fn options() -> Options {
    Options::ENABLE_TABLES | Options::ENABLE_FOOTNOTES | Options::ENABLE_STRIKETHROUGH | Options::ENABLE_TASKLISTS
}

/// What a block of a section is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BlockKind {
    /// A paragraph.
    Para,
    /// A list item; `depth` says how deeply it is nested (0 = top level).
    Item,
    /// A table; see `rows`.
    Table,
    /// A fenced or indented code block.
    Code,
}

/// One block of text inside a section.
#[derive(Debug, Clone)]
pub struct Block {
    /// What it is.
    pub kind: BlockKind,
    /// Its inline text (for tables: empty).
    pub text: String,
    /// Line (1-based, in the whole file).
    pub line: usize,
    /// List nesting depth.
    pub depth: usize,
    /// Task-list state of an item.
    pub checked: Option<bool>,
    /// Whether the whole item is struck through.
    pub struck: bool,
    /// Links in the block.
    pub links: Vec<Link>,
    /// Table rows, the header first.
    pub rows: Vec<Vec<String>>,
}

impl Block {
    /// An empty block of `kind` starting at `line`.
    fn new(kind: BlockKind, line: usize, depth: usize) -> Block {
        Block { kind, text: String::new(), line, depth, checked: None, struck: false, links: Vec::new(), rows: Vec::new() }
    }
}

/// A heading and the blocks under it, up to the next heading.
#[derive(Debug, Clone, Default)]
pub struct RawSection {
    /// Heading text (empty for the preamble).
    pub heading: String,
    /// Heading level (0 for the preamble).
    pub level: u8,
    /// Heading anchor.
    pub anchor: String,
    /// First line.
    pub line_start: usize,
    /// Last line.
    pub line_end: usize,
    /// Blocks.
    pub blocks: Vec<Block>,
}

impl RawSection {
    /// Plain text of the section body.
    pub fn text(&self) -> String {
        let mut s = String::new();
        for b in &self.blocks {
            match b.kind {
                BlockKind::Table => {
                    for r in &b.rows {
                        s.push_str(&r.join(" | "));
                        s.push('\n');
                    }
                }
                BlockKind::Item => {
                    for _ in 0..b.depth {
                        s.push_str("  ");
                    }
                    s.push_str("- ");
                    s.push_str(&b.text);
                    s.push('\n');
                }
                _ => {
                    s.push_str(&b.text);
                    s.push('\n');
                }
            }
            if b.kind != BlockKind::Item {
                s.push('\n');
            }
        }
        s.trim_end().to_string()
    }
}

/// The result of walking a document.
#[derive(Debug, Default)]
pub struct Walked {
    /// Sections in order; the first is the preamble (possibly empty).
    pub sections: Vec<RawSection>,
    /// Every link.
    pub links: Vec<Link>,
    /// Every image.
    pub images: Vec<Link>,
    /// Deepest container nesting seen.
    pub max_depth: usize,
}

/// Maps byte offsets to 1-based line numbers.
pub struct LineIndex {
    starts: Vec<usize>,
    offset_lines: usize,
}

impl LineIndex {
    /// Index `text`, whose first line is line `first_line` of the file.
    pub fn new(text: &str, first_line: usize) -> Self {
        let mut starts = vec![0];
        starts.extend(text.bytes().enumerate().filter(|(_, b)| *b == b'\n').map(|(i, _)| i + 1));
        LineIndex { starts, offset_lines: first_line.saturating_sub(1) }
    }

    /// Line of a byte offset.
    pub fn line(&self, offset: usize) -> usize {
        let i = match self.starts.binary_search(&offset) {
            Ok(i) => i,
            Err(i) => i.saturating_sub(1),
        };
        i + 1 + self.offset_lines
    }
}

/// A GitHub-style anchor for a heading.
pub fn anchor(text: &str) -> String {
    let mut out = String::new();
    for c in text.trim().to_lowercase().chars() {
        if c.is_alphanumeric() {
            out.push(c);
        } else if (c == ' ' || c == '-' || c == '_') && !out.ends_with('-') {
            out.push('-');
        }
    }
    out.trim_matches('-').to_string()
}

fn level_num(l: HeadingLevel) -> u8 {
    match l {
        HeadingLevel::H1 => 1,
        HeadingLevel::H2 => 2,
        HeadingLevel::H3 => 3,
        HeadingLevel::H4 => 4,
        HeadingLevel::H5 => 5,
        HeadingLevel::H6 => 6,
    }
}

/// Walk `body` (front matter already removed) into sections and blocks.
pub fn walk(body: &str, lines: &LineIndex) -> Walked {
    let mut w = Walked { sections: vec![RawSection { line_start: lines.line(0), ..Default::default() }], ..Default::default() };
    let mut heading: Option<(u8, String, usize)> = None;
    let mut item_stack: Vec<usize> = Vec::new(); // indices into current section's blocks
    let mut list_depth = 0usize;
    let mut depth = 0usize;
    let mut para: Option<usize> = None;
    let mut table: Option<usize> = None;
    let mut in_code: Option<usize> = None;
    let mut link: Option<(String, String, bool)> = None; // (url, text, is_image)
    let mut strike_all = false;

    let parser = Parser::new_ext(body, options()).into_offset_iter();
    for (ev, range) in parser {
        let sec = w.sections.len() - 1;
        match ev {
            Event::Start(Tag::Heading { level, .. }) => {
                heading = Some((level_num(level), String::new(), lines.line(range.start)));
            }
            Event::End(TagEnd::Heading(_)) => {
                if let Some((level, text, line)) = heading.take() {
                    let text = text.trim().to_string();
                    if let Some(prev) = w.sections.last_mut() {
                        prev.line_end = prev.line_end.max(line.saturating_sub(1)).max(prev.line_start);
                    }
                    w.sections.push(RawSection {
                        anchor: anchor(&text),
                        heading: text,
                        level,
                        line_start: line,
                        line_end: lines.line(range.end.saturating_sub(1)),
                        blocks: Vec::new(),
                    });
                    item_stack.clear();
                }
            }
            Event::Start(Tag::BlockQuote(_)) | Event::Start(Tag::List(_)) => {
                depth += 1;
                w.max_depth = w.max_depth.max(depth);
                if matches!(ev, Event::Start(Tag::List(_))) {
                    list_depth += 1;
                }
            }
            Event::End(TagEnd::BlockQuote(_)) => depth = depth.saturating_sub(1),
            Event::End(TagEnd::List(_)) => {
                depth = depth.saturating_sub(1);
                list_depth = list_depth.saturating_sub(1);
            }
            Event::Start(Tag::Item) => {
                let blocks = &mut w.sections[sec].blocks;
                blocks.push(Block::new(BlockKind::Item, lines.line(range.start), list_depth.saturating_sub(1)));
                item_stack.push(blocks.len() - 1);
                strike_all = true;
            }
            Event::End(TagEnd::Item) => {
                item_stack.pop();
            }
            Event::TaskListMarker(done) => {
                if let Some(&i) = item_stack.last() {
                    w.sections[sec].blocks[i].checked = Some(done);
                }
            }
            Event::Start(Tag::Paragraph) => {
                if item_stack.is_empty() {
                    let blocks = &mut w.sections[sec].blocks;
                    blocks.push(Block::new(BlockKind::Para, lines.line(range.start), 0));
                    para = Some(blocks.len() - 1);
                } else if let Some(&i) = item_stack.last() {
                    let b = &mut w.sections[sec].blocks[i];
                    if !b.text.is_empty() {
                        b.text.push('\n');
                    }
                }
            }
            Event::End(TagEnd::Paragraph) => para = None,
            Event::Start(Tag::Table(_)) => {
                let blocks = &mut w.sections[sec].blocks;
                blocks.push(Block::new(BlockKind::Table, lines.line(range.start), 0));
                table = Some(blocks.len() - 1);
            }
            Event::End(TagEnd::Table) => table = None,
            Event::Start(Tag::TableHead) | Event::Start(Tag::TableRow) => {
                if let Some(t) = table {
                    w.sections[sec].blocks[t].rows.push(Vec::new());
                }
            }
            Event::Start(Tag::TableCell) => {
                if let Some(t) = table
                    && let Some(row) = w.sections[sec].blocks[t].rows.last_mut()
                {
                    row.push(String::new());
                }
            }
            Event::Start(Tag::CodeBlock(_)) => {
                let blocks = &mut w.sections[sec].blocks;
                blocks.push(Block::new(BlockKind::Code, lines.line(range.start), 0));
                in_code = Some(blocks.len() - 1);
            }
            Event::End(TagEnd::CodeBlock) => in_code = None,
            Event::Start(Tag::Link { dest_url, .. }) => link = Some((dest_url.to_string(), String::new(), false)),
            Event::Start(Tag::Image { dest_url, .. }) => link = Some((dest_url.to_string(), String::new(), true)),
            Event::End(TagEnd::Link) | Event::End(TagEnd::Image) => {
                if let Some((url, text, is_image)) = link.take() {
                    let l = Link { text: text.trim().to_string(), url };
                    let target = if let Some(t) = table {
                        Some(t)
                    } else if let Some(&i) = item_stack.last() {
                        Some(i)
                    } else {
                        para
                    };
                    if let Some(t) = target {
                        w.sections[sec].blocks[t].links.push(l.clone());
                    }
                    if is_image { w.images.push(l) } else { w.links.push(l) }
                }
            }
            Event::Start(Tag::Strikethrough) => {}
            Event::Text(t) | Event::Code(t) => {
                let is_text = true;
                push_text(&mut w, sec, &t, is_text, &mut heading, &mut link, table, in_code, &item_stack, para);
                if !item_stack.is_empty() && !t.trim().is_empty() {
                    strike_all = false;
                }
            }
            Event::SoftBreak | Event::HardBreak => {
                let nl = CowStr::Borrowed("\n");
                push_text(&mut w, sec, &nl, true, &mut heading, &mut link, table, in_code, &item_stack, para);
            }
            Event::End(TagEnd::Strikethrough) => {
                // An item whose only text so far was struck through is marked.
                if let Some(&i) = item_stack.last()
                    && strike_all
                {
                    w.sections[sec].blocks[i].struck = true;
                }
            }
            Event::Html(_) | Event::InlineHtml(_) => {}
            _ => {}
        }
        if let Some(s) = w.sections.last_mut() {
            s.line_end = s.line_end.max(lines.line(range.end.saturating_sub(1)));
        }
    }
    w
}

#[allow(clippy::too_many_arguments)]
fn push_text(
    w: &mut Walked,
    sec: usize,
    t: &str,
    _is_text: bool,
    heading: &mut Option<(u8, String, usize)>,
    link: &mut Option<(String, String, bool)>,
    table: Option<usize>,
    in_code: Option<usize>,
    item_stack: &[usize],
    para: Option<usize>,
) {
    if let Some((_, h, _)) = heading {
        h.push_str(if t == "\n" { " " } else { t });
        return;
    }
    if let Some((_, lt, _)) = link {
        lt.push_str(t);
    }
    let blocks = &mut w.sections[sec].blocks;
    if let Some(c) = in_code {
        blocks[c].text.push_str(t);
    } else if let Some(tb) = table {
        if let Some(cell) = blocks[tb].rows.last_mut().and_then(|r| r.last_mut()) {
            cell.push_str(t);
        }
    } else if let Some(&i) = item_stack.last() {
        blocks[i].text.push_str(t);
    } else if let Some(p) = para {
        blocks[p].text.push_str(t);
    }
}

/// Render Markdown to HTML that is safe to insert in a page: headings carry
/// anchors, raw HTML and script URLs are removed by ammonia.
pub fn render_html(body: &str, max_depth: usize) -> String {
    if max_depth > MAX_RENDER_DEPTH {
        let mut s = String::from("<pre class=\"unrendered\">");
        s.push_str(&escape(body));
        s.push_str("</pre>");
        return s;
    }
    let parser = Parser::new_ext(body, options());
    let mut in_heading = false;
    let mut buf: Vec<Event> = Vec::new();
    let mut events: Vec<Event> = Vec::new();
    for ev in parser {
        match ev {
            Event::Start(Tag::Heading { .. }) => {
                in_heading = true;
                buf.clear();
                buf.push(ev);
            }
            Event::End(TagEnd::Heading(_)) if in_heading => {
                in_heading = false;
                let text: String = buf
                    .iter()
                    .filter_map(|e| match e {
                        Event::Text(t) | Event::Code(t) => Some(t.as_ref()),
                        _ => None,
                    })
                    .collect();
                if let Some(Event::Start(Tag::Heading { level, classes, attrs, .. })) = buf.first().cloned() {
                    buf[0] = Event::Start(Tag::Heading { level, id: Some(CowStr::from(anchor(&text))), classes, attrs });
                }
                events.append(&mut buf);
                events.push(ev);
            }
            _ if in_heading => buf.push(ev),
            _ => events.push(ev),
        }
    }
    let mut html = String::with_capacity(body.len() * 3 / 2);
    pulldown_cmark::html::push_html(&mut html, events.into_iter());
    sanitize(&html)
}

/// Render with the nesting guard: measure the depth first (one cheap walk).
pub fn render_safe(body: &str) -> String {
    let depth = walk(body, &LineIndex::new(body, 1)).max_depth;
    render_html(body, depth)
}

/// The one HTML sanitizer policy.
pub fn sanitize(html: &str) -> String {
    let mut b = ammonia::Builder::default();
    b.add_tag_attributes("h1", &["id"])
        .add_tag_attributes("h2", &["id"])
        .add_tag_attributes("h3", &["id"])
        .add_tag_attributes("h4", &["id"])
        .add_tag_attributes("h5", &["id"])
        .add_tag_attributes("h6", &["id"])
        .add_tag_attributes("input", &["type", "checked", "disabled"])
        .add_tags(&["input"])
        .url_schemes(["http", "https", "mailto"].into_iter().collect())
        .link_rel(Some("noopener noreferrer nofollow"))
        .id_prefix(None);
    b.clean(html).to_string()
}

/// Escape text for HTML.
pub fn escape(s: &str) -> String {
    let mut o = String::with_capacity(s.len());
    escape_into(&mut o, s);
    o
}

/// [`escape`] `s` onto the end of `out`: `&`, `<`, `>`, `"` and `'` become
/// entities (pulldown-cmark's escaper, which scans 16 bytes at a time).
pub fn escape_into(out: &mut String, s: &str) {
    // Writing to a `String` does not fail.
    let _ = pulldown_cmark_escape::escape_html(out, s);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sections_and_blocks() {
        let md = "intro\n\n# Title\n\n## Timeline\n\n- 14:05 a\n  - nested\n- [x] done\n\n| A | B |\n|---|---|\n| 1 | 2 |\n";
        let w = walk(md, &LineIndex::new(md, 1));
        assert_eq!(w.sections.len(), 3);
        assert_eq!(w.sections[2].heading, "Timeline");
        let b = &w.sections[2].blocks;
        assert_eq!(b[0].text, "14:05 a");
        assert_eq!(b[1].depth, 1);
        assert_eq!(b[2].checked, Some(true));
        assert_eq!(b[3].rows, vec![vec!["A", "B"], vec!["1", "2"]]);
        assert_eq!(w.sections[2].line_start, 5);
    }

    #[test]
    fn html_is_sanitized() {
        let html = render_html("# T\n\n<script>alert(1)</script>\n\n[x](javascript:alert(1)) <img src=x onerror=alert(2)>", 0);
        assert!(!html.contains("<script"));
        assert!(!html.contains("javascript:"));
        assert!(!html.contains("onerror"));
        assert!(html.contains("id=\"t\""));
    }
}
