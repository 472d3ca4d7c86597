//! Command-line definitions (clap derive). Doc comments here are the `--help` text.

use clap::{Args, Parser, Subcommand, ValueEnum};
use std::path::PathBuf;

/// coe-kb: index, search and serve Correction-of-Error (postmortem) documents.
///
/// Quick start: `coe serve` indexes examples/coes and opens http://127.0.0.1:7878.
/// Index your own folder with `coe index PATH`, then `coe search "dynamodb throttling"`.
#[derive(Debug, Parser)]
#[command(name = "coe", version, about, long_about, propagate_version = true)]
pub struct Cli {
    /// What to do.
    #[command(subcommand)]
    pub command: Command,
}

/// Where the index lives.
#[derive(Debug, Clone, Args)]
pub struct IndexArg {
    /// Index directory [default: $COE_INDEX, else ./.coe].
    #[arg(long, value_name = "DIR", global = true)]
    pub index: Option<PathBuf>,
}

impl IndexArg {
    /// The directory to use.
    pub fn dir(&self) -> PathBuf {
        self.index.clone().unwrap_or_else(crate::index::default_dir)
    }
}

/// Output format for search and show.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum SortArg {
    /// Best match first.
    Relevance,
    /// Newest incident first.
    Date,
    /// Most complete first.
    Completeness,
}

/// The subcommands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Extract the structure of one CoE file (no index needed).
    ///
    /// With --json the output is a stable contract for tools: the keys id, title,
    /// date, severity, status, team, services, technologies, failure_modes,
    /// root_causes, summary, sections, five_whys, timeline, action_items, metrics
    /// and diagnostics.
    Parse {
        /// The Markdown file.
        file: PathBuf,
        /// Print the document model as JSON.
        #[arg(long)]
        json: bool,
    },
    /// Build or refresh the index from folders of CoEs.
    ///
    /// Unchanged files are skipped (size, stat stamp, hash); files removed from a
    /// folder are dropped from the index. A bad file is reported and skipped;
    /// the exit code is 0 unless --strict is given or the index cannot be written.
    Index {
        /// Folders (or single files) to index; each folder is a source named after it.
        #[arg(required = true, value_name = "PATH")]
        paths: Vec<PathBuf>,
        /// Exit with 1 when any file was skipped or read with warnings.
        #[arg(long)]
        strict: bool,
        /// Name the source (default: the folder's name). Only with one PATH.
        #[arg(long, value_name = "NAME")]
        name: Option<String>,
        /// Largest file to read, in bytes.
        #[arg(long, value_name = "BYTES", default_value_t = crate::source::DEFAULT_MAX_SIZE)]
        max_size: u64,
        /// Index location.
        #[command(flatten)]
        index: IndexArg,
    },
    /// Search the index.
    ///
    /// Query syntax: words (ranked, any may match), "exact phrase", -exclude,
    /// field scopes title: summary: root_cause: impact: timeline: five_whys:
    /// action_items: lessons: technology: service: team: severity:, term~ for
    /// typo tolerance. When nothing matches, similar spellings are tried.
    Search {
        /// The query (empty: all CoEs).
        #[arg(default_value = "")]
        query: String,
        /// Only CoEs involving this technology (repeat for OR).
        #[arg(long, value_name = "T")]
        technology: Vec<String>,
        /// Only CoEs affecting this service (repeat for OR).
        #[arg(long, value_name = "S")]
        service: Vec<String>,
        /// Only CoEs of this team (repeat for OR).
        #[arg(long, value_name = "T")]
        team: Vec<String>,
        /// Only CoEs of this severity, e.g. SEV2 (repeat for OR).
        #[arg(long, value_name = "S")]
        severity: Vec<String>,
        /// Only CoEs with this failure mode, e.g. capacity (repeat for OR).
        #[arg(long, value_name = "F")]
        failure_mode: Vec<String>,
        /// Incidents on or after this date (YYYY-MM-DD).
        #[arg(long, value_name = "DATE")]
        since: Option<chrono::NaiveDate>,
        /// Incidents on or before this date (YYYY-MM-DD).
        #[arg(long, value_name = "DATE")]
        until: Option<chrono::NaiveDate>,
        /// Order of results.
        #[arg(long, value_enum, default_value_t = SortArg::Relevance)]
        sort: SortArg,
        /// Number of results.
        #[arg(long, default_value_t = 10, value_parser = clap::value_parser!(u64).range(1..=100))]
        limit: u64,
        /// Page of results, from 1.
        #[arg(long, default_value_t = 1, value_parser = clap::value_parser!(u64).range(1..=1000))]
        page: u64,
        /// Print JSON: {total, hits, facets}.
        #[arg(long)]
        json: bool,
        /// Index location.
        #[command(flatten)]
        index: IndexArg,
    },
    /// Show one indexed CoE by id.
    Show {
        /// The id (as printed by `coe search`).
        id: String,
        /// Print the document model as JSON.
        #[arg(long)]
        json: bool,
        /// Index location.
        #[command(flatten)]
        index: IndexArg,
    },
    /// Serve the web UI and the JSON API, watching sources for changes.
    ///
    /// With no SOURCE and no config file it serves examples/coes. A `coe.toml`
    /// in the working directory is read when --config is not given. Binds to
    /// 127.0.0.1:7878 by default (loopback only).
    Serve {
        /// Folders to watch (override the config's sources).
        #[arg(value_name = "SOURCE")]
        sources: Vec<PathBuf>,
        /// Config file [default: ./coe.toml when present].
        #[arg(long, value_name = "FILE")]
        config: Option<PathBuf>,
        /// Address to listen on [default: 127.0.0.1:7878].
        #[arg(long, value_name = "ADDR")]
        bind: Option<String>,
        /// How to watch folders [default: auto: poll on network filesystems].
        #[arg(long, value_enum)]
        watch: Option<WatchArg>,
        /// Poll interval in poll mode, e.g. 2s or 500ms [default: 30s].
        #[arg(long, value_name = "DURATION", value_parser = humantime::parse_duration)]
        poll_interval: Option<std::time::Duration>,
        /// Requests per second per client address (bursts of twice that); 0 turns limiting off [default: 50].
        #[arg(long, value_name = "N")]
        rate_limit: Option<f64>,
        /// Index location.
        #[command(flatten)]
        index: IndexArg,
    },
    /// The digest of new CoEs: print it, write it, or send it to a webhook.
    ///
    /// A CoE is new in the window when its front-matter `published` date falls
    /// in it; without one, when coe-kb first indexed it (first-seen dates are
    /// kept across restarts and rebuilds). `--by incident-date` uses the
    /// incident date instead.
    Digest(DigestArgs),
    /// Check CoEs against the template's rules (for CI in a CoE repository).
    ///
    /// Output is `path:line:col: level[rule-id]: message` with a hint, or JSON,
    /// or SARIF 2.1.0 for code scanning. Exit 0 when clean, 1 on errors (on
    /// warnings too with --strict), 2 on usage errors.
    Lint {
        /// Files or folders to check.
        #[arg(required = true, value_name = "PATH")]
        paths: Vec<PathBuf>,
        /// Output format.
        #[arg(long, value_enum, default_value_t = LintFormat::Text)]
        format: LintFormat,
        /// Fail on warnings too.
        #[arg(long)]
        strict: bool,
        /// Config file with a [lint] section [default: ./coe.toml when present].
        #[arg(long, value_name = "FILE")]
        config: Option<PathBuf>,
    },
    /// Write a new CoE from the template, dated today.
    New {
        /// The title (under 20 words).
        title: String,
        /// The owning team.
        #[arg(long)]
        team: Option<String>,
        /// Folder to write it in.
        #[arg(long, default_value = ".")]
        dir: PathBuf,
    },
    /// Write N synthetic CoEs (1–30 KB, varied styles) into DIR, for benchmarks.
    ///
    /// Deterministic: the same N and seed give the same files. DIR must be
    /// empty or absent. Used by benches/compare.py.
    #[command(hide = true, name = "gen-corpus")]
    GenCorpus {
        /// Number of documents.
        n: usize,
        /// Folder to write them in (nested team folders are created).
        dir: PathBuf,
        /// Random seed.
        #[arg(long, default_value_t = 42)]
        seed: u64,
    },
}

/// Output format of `coe lint`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum LintFormat {
    /// Compiler-style lines.
    Text,
    /// JSON for tools.
    Json,
    /// SARIF 2.1.0.
    Sarif,
}

/// Watch mode on the command line.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum WatchArg {
    /// File-system events.
    Native,
    /// Walk the folders on an interval.
    Poll,
    /// Poll on network filesystems, events elsewhere.
    Auto,
}

/// Digest output format.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum DigestFormat {
    /// Markdown.
    Markdown,
    /// A standalone HTML page.
    Html,
    /// JSON with stable keys.
    Json,
    /// Plain text.
    Text,
}

/// Which date puts a CoE in the digest window.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ByArg {
    /// Published date, else first seen by coe-kb.
    FirstSeen,
    /// The incident date.
    IncidentDate,
}

/// Digest grouping.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum GroupArg {
    /// By primary technology.
    Technology,
    /// By team.
    Team,
}

/// Webhook payload.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum HookFormat {
    /// Slack-compatible.
    Slack,
    /// JSON digest.
    Json,
}

/// Arguments of `coe digest`.
#[derive(Debug, Args)]
pub struct DigestArgs {
    /// Window start: a span back from now (7d, 2w, 24h) or a date.
    #[arg(long, default_value = "7d", value_name = "SPAN|DATE")]
    pub since: String,
    /// Window end (default: now).
    #[arg(long, value_name = "SPAN|DATE")]
    pub until: Option<String>,
    /// Only CoEs with this technology (repeat for OR).
    #[arg(long, value_name = "T")]
    pub technology: Vec<String>,
    /// Only CoEs of this team (repeat for OR).
    #[arg(long, value_name = "T")]
    pub team: Vec<String>,
    /// Output format.
    #[arg(long, value_enum, default_value_t = DigestFormat::Markdown)]
    pub format: DigestFormat,
    /// Write to this file instead of standard output.
    #[arg(long, value_name = "FILE")]
    pub out: Option<PathBuf>,
    /// Base URL of the coe-kb server, for links.
    #[arg(long, value_name = "URL")]
    pub base_url: Option<String>,
    /// Which date puts a CoE in the window.
    #[arg(long, value_enum, default_value_t = ByArg::FirstSeen)]
    pub by: ByArg,
    /// Group by technology or by team.
    #[arg(long, value_enum, default_value_t = GroupArg::Technology)]
    pub group_by: GroupArg,
    /// Send the digest to --webhook instead of printing it.
    #[arg(long, requires = "webhook")]
    pub send: bool,
    /// Webhook URL (with --send).
    #[arg(long, value_name = "URL")]
    pub webhook: Option<String>,
    /// Payload: slack ({"text": …}) or json.
    #[arg(long, value_enum, default_value_t = HookFormat::Slack)]
    pub webhook_format: HookFormat,
    /// Pretend it is this instant (RFC 3339); for tests and reruns.
    #[arg(long, hide = true)]
    pub now: Option<chrono::DateTime<chrono::Utc>>,
    /// Index location.
    #[command(flatten)]
    pub index: IndexArg,
}
