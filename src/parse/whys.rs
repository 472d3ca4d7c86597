//! The 5 Whys chain and root causes: from a root-cause section (contributing
//! factors count), else the last answer of the 5 Whys, else a "root cause was"
//! sentence anywhere.

use super::markdown::{BlockKind, RawSection};
use crate::model::Why;
use crate::parse::pattern;
use regex::Regex;
use std::sync::LazyLock;

static LABEL_RE: LazyLock<Regex> = LazyLock::new(|| {
    pattern::compile(r"(?i)^\s*(?:(?:why\s*#?\s*)?(\d{1,2})([a-z])?\s*[.):-]\s*|why\s*#?\s*(\d{1,2})\s*[.):-]?\s*|q(\d{0,2})\s*[.:)]\s*)")
});
static ANSWER_RE: LazyLock<Regex> = LazyLock::new(|| pattern::compile(r"(?i)^\s*(?:a\d{0,2}\s*[.:)]|answer\s*:|because\b)"));

fn strip(s: &str) -> String {
    s.trim().trim_matches(|c: char| c == '*' || c == '_').trim().to_string()
}

/// Extract the 5 Whys from sections of kind `five_whys`.
pub fn extract(sections: &[(&str, &RawSection)]) -> Vec<Why> {
    let mut out: Vec<Why> = Vec::new();
    let mut pending: Option<(String, u32)> = None;
    let mut seq = 0u32;
    for (kind, sec) in sections {
        if *kind != "five_whys" {
            continue;
        }
        let mut units: Vec<(String, usize)> = Vec::new();
        for b in &sec.blocks {
            match b.kind {
                BlockKind::Item | BlockKind::Para => {
                    // Lines that start a new step (a label, a question, an answer) split the block.
                    let mut cur: Option<String> = None;
                    for line in b.text.lines() {
                        let l = line.trim();
                        let starts =
                            LABEL_RE.is_match(l) || ANSWER_RE.is_match(l) || l.to_lowercase().starts_with("why") || l.starts_with("**");
                        match cur.as_mut() {
                            Some(c) if !starts && !c.trim_end().ends_with('?') => {
                                c.push(' ');
                                c.push_str(l);
                            }
                            _ => {
                                if let Some(c) = cur.take() {
                                    units.push((c, b.depth));
                                }
                                cur = Some(l.to_string());
                            }
                        }
                    }
                    if let Some(c) = cur {
                        units.push((c, b.depth));
                    }
                }
                BlockKind::Table => {
                    for r in b.rows.iter().skip(1) {
                        units.push((r.join(" "), 0));
                    }
                }
                BlockKind::Code => {}
            }
        }
        for (text, depth) in units {
            let t = text.trim();
            if t.is_empty() {
                continue;
            }
            let (label_level, rest) = match LABEL_RE.captures(t) {
                Some(c) => {
                    let n = c.get(1).or_else(|| c.get(3)).or_else(|| c.get(4)).and_then(|m| m.as_str().parse::<u32>().ok());
                    (n, &t[c.get(0).map_or(0, |m| m.end())..])
                }
                None => (None, t),
            };
            let rest = strip(rest);
            if rest.is_empty() {
                continue;
            }
            let is_answer = ANSWER_RE.is_match(&rest);
            if let Some(q) = rest.find('?').filter(|_| !is_answer) {
                let question = strip(&rest[..=q]);
                let answer = strip(rest[q + 1..].trim_start_matches([':', '-', '–', '—', ' ']));
                seq += 1;
                let level = label_level.unwrap_or(seq);
                if answer.is_empty() {
                    pending = Some((question, level));
                } else {
                    out.push(Why { question, answer, level });
                    pending = None;
                }
            } else if let Some((question, level)) = pending.take() {
                out.push(Why { question, answer: strip_answer(&rest), level });
            } else if depth > 0 && !out.is_empty() {
                // A nested bullet adds to the previous answer.
                if let Some(last) = out.last_mut() {
                    last.answer.push(' ');
                    last.answer.push_str(&rest);
                }
            } else {
                seq += 1;
                out.push(Why { question: String::new(), answer: strip_answer(&rest), level: label_level.unwrap_or(seq) });
            }
        }
    }
    out
}

fn strip_answer(s: &str) -> String {
    let t = s.trim();
    let lower = t.to_lowercase();
    for p in ["answer:", "a:"] {
        if lower.starts_with(p) {
            return strip(&t[p.len()..]);
        }
    }
    strip(t)
}

static ROOT_SENTENCE_RE: LazyLock<Regex> = LazyLock::new(|| {
    pattern::compile(
        r"(?i)\b(?:the\s+)?(?:underlying\s+|primary\s+|main\s+)?root[- ]causes?\s+(?:of\s+[^.]{0,80}?\s+)?(?:was|were|is|are|has been|turned out to be)\s*:?\s*([^.\n]{10,400}[.\n]?)",
    )
});

/// Root causes from sections of kind `root_cause` / `contributing_factors`,
/// else the deepest 5-Whys answer, else a "root cause was …" sentence, else
/// the first narrative sentence naming a cause ("… because …", "due to …"),
/// a finding ("we determined that …") or a flaw ("we overlooked …"), else
/// the items under "What went wrong", else the first sentence naming an
/// effect ("… led to …", "… causing …").
pub fn root_causes(sections: &[(&str, &RawSection)], whys: &[Why], full_text: &str) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    for (kind, sec) in sections {
        if *kind != "root_cause" && *kind != "contributing_factors" {
            continue;
        }
        let items: Vec<&str> = sec.blocks.iter().filter(|b| b.kind == BlockKind::Item && b.depth == 0).map(|b| b.text.as_str()).collect();
        if items.len() >= 2 {
            out.extend(items.iter().map(|t| clip(t, 400)));
        } else {
            let paras: Vec<&str> =
                sec.blocks.iter().filter(|b| b.kind != BlockKind::Code && b.kind != BlockKind::Table).map(|b| b.text.as_str()).collect();
            if let Some(first) = paras.first() {
                let mut t = first.to_string();
                if t.len() < 160
                    && let Some(second) = paras.get(1)
                {
                    t.push(' ');
                    t.push_str(second);
                }
                out.push(clip(&t, 600));
            }
        }
    }
    if out.is_empty()
        && let Some(deepest) = whys.iter().filter(|w| !w.answer.is_empty()).max_by_key(|w| w.level)
    {
        out.push(clip(&deepest.answer, 600));
    }
    if out.is_empty()
        && let Some(c) = ROOT_SENTENCE_RE.captures(full_text)
        && let Some(m) = c.get(1)
    {
        out.push(clip(m.as_str(), 400));
    }
    if out.is_empty() {
        out.extend(causal_sentence(sections, &[&CAUSE_MARKER_RE, &FINDING_MARKER_RE, &FLAW_MARKER_RE], false));
    }
    if out.is_empty() {
        out.extend(went_wrong(sections));
    }
    if out.is_empty() {
        out.extend(causal_sentence(sections, &[&EFFECT_MARKER_RE], true));
    }
    out.retain(|s| !s.trim().is_empty());
    out.dedup();
    out
}

/// Words after which a sentence names a cause: "… failed because …",
/// "… was caused by …", "due to …", "the cause was …".
static CAUSE_MARKER_RE: LazyLock<Regex> = LazyLock::new(|| {
    pattern::compile(
        r"(?i)\b(?:caused\s+by|due\s+to|because(?:\s+of)?|as\s+a\s+result\s+of|(?:triggered|precipitated)\s+by|(?:resulted|stemmed)\s+from|traced\s+(?:back\s+)?to|attributed\s+to|the\s+result\s+of|(?:the|its|their)\s+(?:\w+\s+)?cause\s+(?:of\s+[^.]{0,80}?\s+)?(?:was|were|is|are))\b",
    )
});

/// Words with which a sentence reports what an investigation found, when
/// none names a cause: "we determined that …", "it turned out that …".
static FINDING_MARKER_RE: LazyLock<Regex> = LazyLock::new(|| {
    pattern::compile(
        r"(?i)\b(?:(?:determined|discovered|found|identified|concluded|realized|realised|established)\s+that|turned\s+out\s+(?:that|to\s+be)|it\s+turns\s+out)\b",
    )
});

/// Words with which a sentence owns a flaw, when none names a cause: "we
/// overlooked …", "did not account for …", "a bug in …".
static FLAW_MARKER_RE: LazyLock<Regex> = LazyLock::new(|| {
    pattern::compile(
        r"(?i)\b(?:overlooked|(?:did\s+not|didn[’']t|failed\s+to)\s+(?:account\s+for|consider|anticipate|validate|check)|(?:a|the)\s+(?:bug|flaw|defect|regression)\s+in|(?:was|were)\s+not\s+(?:properly\s+)?(?:validated|checked|handled|tested))\b",
    )
});

/// Words with which a sentence names what its subject led to, the weakest
/// sign of a cause: "the way errors were handled could result in …",
/// "a retry storm, causing …", "the change caused the outage". ("Caused
/// by" names a cause: such a sentence was taken before this one is tried.)
static EFFECT_MARKER_RE: LazyLock<Regex> =
    LazyLock::new(|| pattern::compile(r"(?i)\b(?:result(?:ed|s)?\s+in|led\s+to|leads?\s+to|caus(?:ed|es|ing))\b"));

/// Pronouns that open a sentence about something said before it: "This
/// led to …" names its cause in the sentence before.
static ANAPHOR_RE: LazyLock<Regex> = LazyLock::new(|| pattern::compile(r"^(?:This|That|These|Those|It|Which)\b"));

/// The first sentence of the summary (or the opening narrative) that one of
/// `markers` matches, trying each marker over all of them before the next.
/// When the cause is the sentence's subject (`cause_is_subject`, as in "…
/// led to …"), a sentence that opens with a pronoun ("This caused …") comes
/// with the sentence before it, which says what "this" is; without one it is
/// passed over.
fn causal_sentence(sections: &[(&str, &RawSection)], markers: &[&Regex], cause_is_subject: bool) -> Option<String> {
    let narrative = ["summary", "preamble", "trigger", "detection", "impact", "other"];
    for marker in markers {
        for want in narrative {
            for (kind, sec) in sections {
                if *kind != want {
                    continue;
                }
                for b in sec.blocks.iter().filter(|b| b.kind == BlockKind::Para || b.kind == BlockKind::Item) {
                    let mut before: Option<&str> = None;
                    for sentence in sentences(&b.text) {
                        if sentence.len() >= 30 && marker.is_match(sentence) {
                            if !cause_is_subject || !ANAPHOR_RE.is_match(sentence) {
                                return Some(clip(sentence, 400));
                            }
                            if let Some(prev) = before {
                                return Some(clip(&format!("{prev} {sentence}"), 400));
                            }
                        }
                        before = Some(sentence);
                    }
                }
            }
        }
    }
    None
}

/// Items under a "What went wrong" heading (lessons-learned templates):
/// contributing factors, when nothing better names a cause.
fn went_wrong(sections: &[(&str, &RawSection)]) -> Vec<String> {
    const STARTS: &[&str] = &[
        "what went wrong",
        "what went badly",
        "what went poorly",
        "what didn t go",
        "what did not go",
        "what could have gone better",
        "what could have been better",
        "things that could have gone better",
        "things that went wrong",
    ];
    let mut out = Vec::new();
    for (_, sec) in sections {
        let h = crate::vocab::normalize_heading(&sec.heading);
        if !STARTS.iter().any(|s| h.starts_with(s)) {
            continue;
        }
        let items: Vec<String> =
            sec.blocks.iter().filter(|b| b.kind == BlockKind::Item && b.depth == 0).take(5).map(|b| clip(&b.text, 400)).collect();
        if items.is_empty() {
            out.extend(sec.blocks.iter().find(|b| b.kind == BlockKind::Para).map(|b| clip(&b.text, 400)));
        } else {
            out.extend(items);
        }
    }
    out
}

/// Split prose into sentences (at `.`, `!` or `?` followed by a space and a
/// capital letter or digit, so "e.g. this" and "v1.2" stay whole).
pub(crate) fn sentences(text: &str) -> impl Iterator<Item = &str> {
    let mut start = 0;
    let bytes = text.as_bytes();
    let mut cuts = Vec::new();
    for (i, &c) in bytes.iter().enumerate() {
        if matches!(c, b'.' | b'!' | b'?')
            && bytes.get(i + 1).is_some_and(|n| n.is_ascii_whitespace())
            && text[i + 1..].trim_start().chars().next().is_some_and(|n| n.is_uppercase() || n.is_ascii_digit())
        {
            cuts.push((start, i + 1));
            start = i + 1;
        }
    }
    cuts.push((start, text.len()));
    cuts.into_iter().map(move |(a, b)| text[a..b].trim()).filter(|s| !s.is_empty())
}

/// Key lessons: the top-level items (else the first paragraphs) of
/// lessons-learned sections, at most five.
pub fn lessons(sections: &[(&str, &RawSection)]) -> Vec<String> {
    let mut out = Vec::new();
    for (kind, sec) in sections {
        if *kind != "lessons_learned" {
            continue;
        }
        let items: Vec<&str> = sec.blocks.iter().filter(|b| b.kind == BlockKind::Item && b.depth == 0).map(|b| b.text.as_str()).collect();
        if items.is_empty() {
            out.extend(sec.blocks.iter().filter(|b| b.kind == BlockKind::Para).take(2).map(|b| clip(&b.text, 300)));
        } else {
            out.extend(items.iter().map(|t| clip(t, 300)));
        }
    }
    out.retain(|s| !s.is_empty());
    out.truncate(5);
    out
}

/// Clip text to `max` bytes on a char boundary, whitespace folded.
pub fn clip(s: &str, max: usize) -> String {
    let folded: String = s.split_whitespace().collect::<Vec<_>>().join(" ");
    if folded.len() <= max {
        return folded;
    }
    let mut t = folded[..crate::text::floor_char_boundary(&folded, max)].to_string();
    if let Some(sp) = t.rfind(' ') {
        t.truncate(sp);
    }
    t.push('…');
    t
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::parse::markdown::{LineIndex, walk};

    fn secs(md: &str) -> Vec<RawSection> {
        walk(md, &LineIndex::new(md, 1)).sections
    }

    #[test]
    fn causal_sentence_then_what_went_wrong() {
        let s = secs(
            "## Summary\n\nThe site was down for an hour. Logins failed because the session store ran out of memory. We fixed it.\n\n### What went wrong\n\n1. Nobody was paged\n",
        );
        let v: Vec<(&str, &RawSection)> =
            s.iter().map(|x| (if x.heading == "Summary" { "summary" } else { "lessons_learned" }, x)).collect();
        assert_eq!(root_causes(&v, &[], ""), vec!["Logins failed because the session store ran out of memory."]);
        let s = secs(
            "## Summary\n\nThe site was down for an hour (e.g. 10:00 to 11:00).\n\n### What didn't go so well?\n\n1. Nobody was paged\n2. Alerts were muted\n",
        );
        let v: Vec<(&str, &RawSection)> =
            s.iter().map(|x| (if x.heading == "Summary" { "summary" } else { "lessons_learned" }, x)).collect();
        assert_eq!(root_causes(&v, &[], ""), vec!["Nobody was paged", "Alerts were muted"]);
        // No sentence names a cause: the first that owns a flaw does.
        let s = secs(
            "## Summary\n\nEvery request is charged for the memory it uses. However, we overlooked the memory taken by the parser's stack. A deep request could use it all.\n",
        );
        let v: Vec<(&str, &RawSection)> = s.iter().map(|x| ("summary", x)).collect();
        assert_eq!(root_causes(&v, &[], ""), vec!["However, we overlooked the memory taken by the parser's stack."]);
        // What an investigation found comes before a flaw, and a flaw before
        // an effect; "the cause was" names a cause.
        let first = |md: &str| {
            let s = secs(md);
            let v: Vec<(&str, &RawSection)> = s.iter().map(|x| ("summary", x)).collect();
            root_causes(&v, &[], "")
        };
        assert_eq!(
            first(
                "## Summary\n\nThe batch nodes ran hot, which overloaded the hub. We failed to check the quotas. After some digging, we determined that the core pods had no memory requests.\n"
            ),
            ["After some digging, we determined that the core pods had no memory requests."]
        );
        assert_eq!(
            first("## Summary\n\nBuilds stalled for two hours. The way errors were handled could result in a job retrying forever.\n"),
            ["The way errors were handled could result in a job retrying forever."]
        );
        // "This caused …" comes with the sentence that says what "this" is;
        // alone, it names nothing.
        assert_eq!(
            first("## Summary\n\nA cron job deleted the cache index. This caused every request to miss.\n"),
            ["A cron job deleted the cache index. This caused every request to miss."]
        );
        assert!(first("## Summary\n\nThis caused every request to miss the cache.\n").is_empty());
        // An effect is the weakest sign: what went wrong comes first.
        assert_eq!(
            first("## Summary\n\nThe deploy caused a general outage.\n\n### What went wrong\n\n- Nobody was paged\n"),
            ["Nobody was paged"]
        );
        assert_eq!(
            first("## Summary\n\nBuilds stalled for two hours. The proximate cause was a full disk on the runner.\n"),
            ["The proximate cause was a full disk on the runner."]
        );
        // Words that only look like the markers name nothing.
        assert!(first("## Summary\n\nWe found the dashboards useful. The root of the tree led nowhere new.\n").is_empty());
        assert_eq!(
            sentences("See e.g. the v1.2 notes. Then Go. 3 more").collect::<Vec<_>>(),
            ["See e.g. the v1.2 notes.", "Then Go.", "3 more"]
        );
    }

    #[test]
    fn numbered_questions_with_branches() {
        let s = secs(
            "## 5 Whys\n\n1. Why did checkout fail? Because DynamoDB throttled writes.\n2. Why did it throttle? Capacity was provisioned too low.\n3a. Why was it low? The autoscaler was off.\n3b. Why was it low? Nobody reviewed limits.\n",
        );
        let v: Vec<(&str, &RawSection)> = s.iter().map(|x| ("five_whys", x)).collect();
        let w = extract(&v);
        assert_eq!(w.len(), 4);
        assert_eq!(w[0].question, "Why did checkout fail?");
        assert_eq!(w[0].answer, "Because DynamoDB throttled writes.");
        assert_eq!(w[2].level, 3);
        assert_eq!(w[3].level, 3);
        let rc = root_causes(&v, &w, "");
        assert_eq!(rc, vec!["Nobody reviewed limits."]);
    }

    #[test]
    fn question_then_answer_paragraph() {
        let s = secs(
            "## Five Whys\n\n**Why did the site go down?**\n\nThe certificate expired.\n\n**Why did it expire?**\n\nRenewal was manual.\n",
        );
        let v: Vec<(&str, &RawSection)> = s.iter().map(|x| ("five_whys", x)).collect();
        let w = extract(&v);
        assert_eq!(w.len(), 2);
        assert_eq!(w[1].answer, "Renewal was manual.");
    }

    #[test]
    fn root_cause_sentence_fallback() {
        let rc = root_causes(&[], &[], "Intro. The root cause was an expired TLS certificate on the edge.\n");
        assert_eq!(rc, vec!["an expired TLS certificate on the edge."]);
    }
}
