//! The document model: one [`CoeDoc`] per CoE, as extracted from its Markdown.
//!
//! Everything here is plain data (serde), with no I/O. `coe parse --json` prints
//! this model, so field names are a stable contract for tools.

use serde::{Deserialize, Serialize};

/// One Correction-of-Error document, with everything the extractor could read.
#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq)]
#[serde(default)]
pub struct CoeDoc {
    /// Stable, URL-safe identifier (front-matter `id`, else source name + relative path).
    pub id: String,
    /// Name of the source the document came from.
    pub source: String,
    /// Path relative to the source root, with `/` separators.
    pub path: String,
    /// Title: front matter, else the first H1, else the file name.
    pub title: String,
    /// When the incident happened (`YYYY-MM-DD`).
    pub date: Option<String>,
    /// Normalised severity (`SEV1` … `SEV5`), when stated.
    pub severity: Option<String>,
    /// Document status: `draft`, `in review` or `published`.
    pub status: Option<String>,
    /// When the CoE was published (`YYYY-MM-DD`), from front matter.
    pub published: Option<String>,
    /// Owning team.
    pub team: Option<String>,
    /// `public` or `internal`.
    pub visibility: Visibility,
    /// Services affected.
    pub services: Vec<String>,
    /// Technologies involved (canonical names from the vocabulary).
    pub technologies: Vec<String>,
    /// Failure modes (ids from `index-schema/failure_modes.toml`).
    pub failure_modes: Vec<String>,
    /// Free tags from front matter.
    pub tags: Vec<String>,
    /// A short summary in plain text.
    pub summary: String,
    /// Every section, in document order.
    pub sections: Vec<Section>,
    /// Root causes, contributing factors included.
    pub root_causes: Vec<String>,
    /// Key lessons (from a lessons-learned section).
    pub lessons: Vec<String>,
    /// The 5 Whys chain, in order; branches share a level.
    pub five_whys: Vec<Why>,
    /// Timeline entries, in document order.
    pub timeline: Vec<TimelineEntry>,
    /// Action items.
    pub action_items: Vec<ActionItem>,
    /// Durations derived from the timeline.
    pub metrics: Metrics,
    /// Links found in the Metrics / Graphs section (or anywhere, when it has none).
    pub links: Vec<Link>,
    /// Images found in the document.
    pub images: Vec<Link>,
    /// Where each technology was found.
    pub evidence: Vec<Evidence>,
    /// Completeness score, 0–100 (see `lint::completeness`).
    pub completeness: u8,
    /// What could not be read, and why.
    pub diagnostics: Vec<Diagnostic>,
}

/// Who may read a CoE.
#[derive(Debug, Clone, Copy, Default, Serialize, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "lowercase")]
pub enum Visibility {
    /// Anyone who can reach the server.
    #[default]
    Public,
    /// Only holders of a token for the owning team.
    Internal,
}

impl Visibility {
    /// The lowercase name used in front matter and the API.
    pub fn as_str(self) -> &'static str {
        match self {
            Visibility::Public => "public",
            Visibility::Internal => "internal",
        }
    }
}

/// A section of the document, split at a heading.
#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq)]
pub struct Section {
    /// Canonical kind (`summary`, `timeline`, …; `other` when unknown).
    pub kind: String,
    /// The heading as written (empty for text before the first heading).
    pub heading: String,
    /// Heading level, 1–6 (0 for the preamble).
    pub level: u8,
    /// HTML anchor of the heading.
    pub anchor: String,
    /// First line (1-based) of the section, heading included.
    pub line_start: usize,
    /// Last line (1-based) of the section.
    pub line_end: usize,
    /// Plain text of the section body.
    pub text: String,
}

/// One question/answer step of the 5 Whys.
#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq)]
pub struct Why {
    /// The question ("Why did …?").
    pub question: String,
    /// The answer.
    pub answer: String,
    /// Depth in the chain, from 1; parallel branches share a level.
    pub level: u32,
}

/// What a timeline entry marks in the life of the incident.
#[derive(Debug, Clone, Copy, Default, Serialize, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "lowercase")]
pub enum EventKind {
    /// The problem started (trigger, change, first errors).
    Start,
    /// The problem was detected (alert, report).
    Detect,
    /// Escalation (paging, incident declared).
    Escalate,
    /// Impact mitigated (rollback, failover, workaround).
    Mitigate,
    /// Fully resolved.
    Resolve,
    /// Anything else.
    #[default]
    Other,
}

/// One entry of the timeline.
#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq)]
pub struct TimelineEntry {
    /// RFC 3339 timestamp, when date and time could be resolved.
    pub at: Option<String>,
    /// The time as written.
    pub time_text: String,
    /// What happened.
    pub text: String,
    /// Classification of the event.
    pub kind: EventKind,
    /// Source line (1-based).
    pub line: usize,
}

/// Status of an action item.
#[derive(Debug, Clone, Copy, Default, Serialize, Deserialize, PartialEq, Eq, Hash)]
#[serde(rename_all = "kebab-case")]
pub enum ActionStatus {
    /// Not done yet.
    #[default]
    Open,
    /// Completed.
    Done,
    /// Decided against.
    NotDoing,
}

impl ActionStatus {
    /// Name used in the API (`open`, `done`, `not-doing`).
    pub fn as_str(self) -> &'static str {
        match self {
            ActionStatus::Open => "open",
            ActionStatus::Done => "done",
            ActionStatus::NotDoing => "not-doing",
        }
    }
}

/// A follow-up action.
#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq)]
pub struct ActionItem {
    /// What is to be done.
    pub title: String,
    /// Severity or priority as written (`P1`, `High`, `SEV2`).
    pub severity: Option<String>,
    /// Due date (`YYYY-MM-DD`) when it parses, else as written.
    pub due: Option<String>,
    /// Owner (team or role).
    pub owner: Option<String>,
    /// Status.
    pub status: ActionStatus,
    /// Ticket or issue link.
    pub link: Option<String>,
    /// Sub-group heading (`Process`, `Technical`), when grouped.
    pub group: Option<String>,
    /// Source line (1-based).
    pub line: usize,
}

/// Durations derived from the timeline, in minutes.
#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq)]
pub struct Metrics {
    /// From start to detection.
    pub time_to_detect_min: Option<i64>,
    /// From start to mitigation.
    pub time_to_mitigate_min: Option<i64>,
    /// From start to resolution.
    pub duration_min: Option<i64>,
}

/// A link or an image.
#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq)]
pub struct Link {
    /// Link text or image alt text.
    pub text: String,
    /// Destination.
    pub url: String,
}

/// Why a technology was tagged.
#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq)]
pub struct Evidence {
    /// Canonical technology name.
    pub technology: String,
    /// The sentence that matched (or `front matter`).
    pub text: String,
}

/// How serious a diagnostic is.
#[derive(Debug, Clone, Copy, Default, Serialize, Deserialize, PartialEq, Eq, PartialOrd, Ord)]
#[serde(rename_all = "lowercase")]
pub enum Level {
    /// For information.
    Info,
    /// Something was read only in part.
    #[default]
    Warning,
    /// Something could not be read.
    Error,
}

impl Level {
    /// Lowercase name.
    pub fn as_str(self) -> &'static str {
        match self {
            Level::Info => "info",
            Level::Warning => "warning",
            Level::Error => "error",
        }
    }
}

/// Something the extractor could not read, or read only in part.
#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq)]
pub struct Diagnostic {
    /// Stable code (`invalid-utf8`, `front-matter`, …).
    pub code: String,
    /// Level.
    pub level: Level,
    /// Human-readable message.
    pub message: String,
    /// Line (1-based) when known.
    pub line: Option<usize>,
}

impl Diagnostic {
    /// A new diagnostic.
    pub fn new(code: &str, level: Level, message: impl Into<String>, line: Option<usize>) -> Self {
        Diagnostic { code: code.to_string(), level, message: message.into(), line }
    }
}
