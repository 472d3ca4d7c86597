//! Command glue for the CLI: each function runs one subcommand and returns
//! the exit code. Errors carry context (anyhow) and end as exit code 2.

use crate::cli::SortArg;
use crate::index::Store;
use crate::index::search::{Access, SearchRequest, Sort};
use crate::model::{CoeDoc, Level};
use crate::parse::{self, Defaults};
use crate::source::{self, SourceSpec};
use crate::vocab::Vocab;
use anyhow::{Context, Result, bail};
use std::io::{IsTerminal, Write};
use std::path::{Path, PathBuf};
use std::process::ExitCode;

/// Seconds since the epoch, now.
pub fn now() -> i64 {
    chrono::Utc::now().timestamp()
}

/// `coe parse FILE [--json]`.
pub fn parse(file: &Path, json: bool) -> Result<ExitCode> {
    let bytes = std::fs::read(file).with_context(|| format!("cannot read `{}`", file.display()))?;
    if parse::looks_binary(&bytes) {
        bail!("`{}` is a binary file, not a CoE", file.display());
    }
    let vocab = Vocab::builtin()?;
    let name = file.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
    let source = file.parent().map(SourceSpec::name_for).unwrap_or_else(|| "local".into());
    let doc = parse::parse(parse::Input { source: &source, path: &name, bytes: &bytes, defaults: &Defaults::default() }, &vocab);
    let mut out = std::io::stdout().lock();
    if json {
        serde_json::to_writer_pretty(&mut out, &doc)?;
        writeln!(out)?;
    } else {
        write_doc(&mut out, &doc)?;
    }
    Ok(ExitCode::SUCCESS)
}

fn opt(s: &Option<String>) -> &str {
    s.as_deref().unwrap_or("—")
}

/// Human-readable rendering of a document model.
pub fn write_doc(out: &mut impl Write, d: &CoeDoc) -> std::io::Result<()> {
    writeln!(out, "{}", d.title)?;
    writeln!(out, "{}", "=".repeat(d.title.chars().count().min(80)))?;
    writeln!(out, "id:            {}", d.id)?;
    writeln!(
        out,
        "date:          {}   severity: {}   team: {}   status: {}",
        opt(&d.date),
        opt(&d.severity),
        opt(&d.team),
        opt(&d.status)
    )?;
    writeln!(out, "technologies:  {}", d.technologies.join(", "))?;
    writeln!(out, "services:      {}", d.services.join(", "))?;
    writeln!(out, "failure modes: {}", d.failure_modes.join(", "))?;
    writeln!(out, "completeness:  {}/100", d.completeness)?;
    let m = &d.metrics;
    let mins = |v: Option<i64>| v.map_or("—".to_string(), |v| format!("{v} min"));
    writeln!(
        out,
        "detect: {}   mitigate: {}   duration: {}",
        mins(m.time_to_detect_min),
        mins(m.time_to_mitigate_min),
        mins(m.duration_min)
    )?;
    if !d.summary.is_empty() {
        writeln!(out, "\nSummary\n  {}", d.summary)?;
    }
    if !d.root_causes.is_empty() {
        writeln!(out, "\nRoot causes")?;
        for r in &d.root_causes {
            writeln!(out, "  - {r}")?;
        }
    }
    if !d.five_whys.is_empty() {
        writeln!(out, "\n5 Whys")?;
        for w in &d.five_whys {
            writeln!(out, "  {}. {} → {}", w.level, if w.question.is_empty() { "…" } else { &w.question }, w.answer)?;
        }
    }
    if !d.timeline.is_empty() {
        writeln!(out, "\nTimeline")?;
        for e in &d.timeline {
            writeln!(out, "  {:<26} {:<9} {}", e.at.as_deref().unwrap_or(&e.time_text), format!("{:?}", e.kind).to_lowercase(), e.text)?;
        }
    }
    if !d.action_items.is_empty() {
        writeln!(out, "\nAction items")?;
        for a in &d.action_items {
            writeln!(
                out,
                "  [{}] {}  (severity {}, owner {}, due {})",
                a.status.as_str(),
                a.title,
                opt(&a.severity),
                opt(&a.owner),
                opt(&a.due)
            )?;
        }
    }
    if !d.diagnostics.is_empty() {
        writeln!(out, "\nDiagnostics")?;
        for x in &d.diagnostics {
            writeln!(
                out,
                "  {}[{}] {}{}",
                x.level.as_str(),
                x.code,
                x.message,
                x.line.map(|l| format!(" (line {l})")).unwrap_or_default()
            )?;
        }
    }
    Ok(())
}

fn progress_bar(label: &str) -> Option<indicatif::ProgressBar> {
    if !std::io::stderr().is_terminal() {
        return None;
    }
    let pb = indicatif::ProgressBar::new(0);
    pb.set_style(
        indicatif::ProgressStyle::with_template("{msg:>12} [{bar:30}] {pos}/{len} files ({eta})")
            .unwrap_or_else(|_| indicatif::ProgressStyle::default_bar())
            .progress_chars("=> "),
    );
    pb.set_message(label.to_string());
    Some(pb)
}

/// `coe index PATH...`.
pub fn index(paths: &[PathBuf], strict: bool, name: Option<String>, max_size: u64, dir: &Path) -> Result<ExitCode> {
    if name.is_some() && paths.len() > 1 {
        bail!("--name can only be used with a single PATH");
    }
    let vocab = Vocab::builtin()?;
    let store = Store::open(dir).with_context(|| format!("cannot open the index at `{}`", dir.display()))?;
    let started = std::time::Instant::now();
    // Every folder is walked first: how many files there are decides the
    // writer's threads.
    let mut jobs = Vec::with_capacity(paths.len());
    for path in paths {
        let meta = std::fs::metadata(path).with_context(|| format!("cannot read `{}`", path.display()))?;
        let root = if meta.is_dir() { path.clone() } else { path.parent().unwrap_or(Path::new(".")).to_path_buf() };
        let mut spec = SourceSpec::new(name.clone().unwrap_or_else(|| SourceSpec::name_for(&root)), &root);
        spec.max_size = max_size;
        // A folder's walk; none for a single file.
        let walked =
            if meta.is_dir() { Some(source::walk(&spec).with_context(|| format!("indexing `{}` failed", path.display()))?) } else { None };
        jobs.push((path, spec, walked));
    }
    let files = jobs.iter().map(|(_, _, w)| w.as_ref().map_or(1, |(walk, _)| walk.len())).sum();
    let mut writer = store.bulk_writer(files)?;
    let mut any_problem = false;
    for (path, spec, walked) in jobs {
        let Some(walked) = walked else {
            let rel = path.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
            match source::load(&spec, &rel, path, &vocab) {
                Ok(u) => {
                    let s = store.apply(&mut writer, crate::index::Batch { upserts: vec![u], deletes: vec![] }, now())?;
                    println!("{}: indexed 1 file ({} added, {} updated)", path.display(), s.added, s.updated);
                }
                Err(reason) => {
                    any_problem = true;
                    eprintln!("warning: {}: skipped: {reason}", path.display());
                }
            }
            continue;
        };
        let pb = progress_bar(&spec.name);
        let report = source::reconcile_walked(&store, &mut writer, &spec, walked, &vocab, now(), &|done, total| {
            if let Some(pb) = &pb {
                pb.set_length(total as u64);
                pb.set_position(done as u64);
            }
        })
        .with_context(|| format!("indexing `{}` failed", path.display()))?;
        if let Some(pb) = pb {
            pb.finish_and_clear();
        }
        for s in &report.skipped {
            eprintln!("warning: {}/{}: skipped: {}", path.display(), s.path, s.reason);
        }
        println!(
            "{}: {} files: {} added, {} updated, {} unchanged, {} removed, {} skipped{}",
            path.display(),
            report.seen,
            report.added,
            report.updated,
            report.unchanged,
            report.removed,
            report.skipped.len(),
            if report.warnings > 0 { format!(" ({} read with warnings; see `coe parse FILE`)", report.warnings) } else { String::new() }
        );
        any_problem |= !report.skipped.is_empty() || report.warnings > 0;
    }
    store.finish_bulk(writer).with_context(|| format!("merging the segments of `{}` failed", dir.display()))?;
    println!("index `{}`: {} documents, took {:.2?}", dir.display(), store.num_docs(), started.elapsed());
    Ok(if strict && any_problem { ExitCode::from(1) } else { ExitCode::SUCCESS })
}

fn open_existing(dir: &Path) -> Result<Store> {
    if !dir.join("index").join("meta.json").is_file() {
        bail!("no index at `{}`; build one with `coe index PATH` (or set --index / COE_INDEX)", dir.display());
    }
    Store::open(dir).with_context(|| format!("cannot open the index at `{}`", dir.display()))
}

/// `coe search QUERY`.
#[allow(clippy::too_many_arguments)]
pub fn search(
    query: &str,
    filters: [(&str, Vec<String>); 5],
    since: Option<chrono::NaiveDate>,
    until: Option<chrono::NaiveDate>,
    sort: SortArg,
    limit: usize,
    page: usize,
    json: bool,
    dir: &Path,
) -> Result<ExitCode> {
    let vocab = Vocab::builtin()?;
    let store = open_existing(dir)?;
    let mut req = SearchRequest {
        q: query.to_string(),
        since,
        until,
        sort: match sort {
            SortArg::Relevance => Sort::Relevance,
            SortArg::Date => Sort::Date,
            SortArg::Completeness => Sort::Completeness,
        },
        page,
        per_page: limit,
        access: Access::All,
        ..Default::default()
    };
    for (k, v) in filters {
        let v: Vec<String> =
            if k == "technology" { v.iter().map(|t| vocab.canonical_technology(t).unwrap_or(t).to_string()).collect() } else { v };
        if !v.is_empty() {
            req.filters.insert(k.to_string(), v);
        }
    }
    let resp = store.search(&req, Some(&vocab))?;
    let mut out = std::io::stdout().lock();
    if json {
        serde_json::to_writer_pretty(&mut out, &resp)?;
        writeln!(out)?;
        return Ok(ExitCode::SUCCESS);
    }
    if let Some(w) = &resp.warning {
        eprintln!("note: {w}");
    }
    // Said only when typo tolerance was not asked for with `word~`.
    if resp.fuzzy && !req.q.contains('~') {
        writeln!(out, "No exact matches; showing similar spellings.")?;
    }
    writeln!(out, "{} CoE{} found", resp.total, if resp.total == 1 { "" } else { "s" })?;
    for h in &resp.hits {
        writeln!(out, "\n{}  {}", h.date.as_deref().unwrap_or("----------"), h.title)?;
        let mut meta = vec![h.id.to_string()];
        meta.extend(h.severity.as_deref().map(str::to_string));
        meta.extend(h.team.as_deref().map(str::to_string));
        if !h.technologies.is_empty() {
            meta.push(h.technologies.iter().take(5).map(|t| t.as_str()).collect::<Vec<_>>().join(", "));
        }
        writeln!(out, "            {}", meta.join(" · "))?;
        let snippet: String = h.snippet.split_whitespace().collect::<Vec<_>>().join(" ");
        if !snippet.is_empty() {
            writeln!(out, "            {snippet}")?;
        }
    }
    Ok(ExitCode::SUCCESS)
}

/// `coe show ID`.
pub fn show(id: &str, json: bool, dir: &Path) -> Result<ExitCode> {
    let vocab = Vocab::builtin()?;
    let store = open_existing(dir)?;
    let doc = store.get(id, &vocab, &Access::All)?.doc;
    let mut out = std::io::stdout().lock();
    if json {
        serde_json::to_writer_pretty(&mut out, &doc)?;
        writeln!(out)?;
    } else {
        write_doc(&mut out, &doc)?;
    }
    if doc.diagnostics.iter().any(|d| d.level == Level::Error) {
        return Ok(ExitCode::from(1));
    }
    Ok(ExitCode::SUCCESS)
}

/// `coe serve`.
#[allow(clippy::too_many_arguments)]
pub fn serve(
    sources: Vec<PathBuf>,
    config: Option<PathBuf>,
    bind: Option<String>,
    watch: Option<crate::cli::WatchArg>,
    poll_interval: Option<std::time::Duration>,
    rate_limit: Option<f64>,
    index: Option<PathBuf>,
) -> Result<ExitCode> {
    use crate::config::{Config, FileConfig, Overrides, WatchMode, read_file};
    let (file, base) = match &config {
        Some(p) => (read_file(p)?, p.parent().map(Path::to_path_buf).unwrap_or_default()),
        None if Path::new("coe.toml").is_file() => (read_file(Path::new("coe.toml"))?, PathBuf::from(".")),
        None => (FileConfig::default(), PathBuf::from(".")),
    };
    let mut sources = sources;
    if sources.is_empty() && file.source.is_empty() {
        let examples = PathBuf::from("examples/coes");
        if !examples.is_dir() {
            bail!(
                "no sources: pass a folder (`coe serve PATH`), write a coe.toml with [[source]] tables, or run from the coe-kb checkout to serve examples/coes"
            );
        }
        sources.push(examples);
    }
    let overrides = Overrides {
        sources,
        index,
        bind,
        watch: watch.map(|w| match w {
            crate::cli::WatchArg::Native => WatchMode::Native,
            crate::cli::WatchArg::Poll => WatchMode::Poll,
            crate::cli::WatchArg::Auto => WatchMode::Auto,
        }),
        poll_interval,
        rate_limit,
    };
    let mut cfg = Config::resolve(file, &base, overrides)?;
    // The bundled examples are the "examples" source.
    for s in &mut cfg.sources {
        if s.spec.root == Path::new("examples/coes") {
            s.spec.name = "examples".into();
        }
    }
    crate::limit_malloc_arenas();
    let rt = tokio::runtime::Builder::new_multi_thread().enable_all().build().context("cannot start the async runtime")?;
    rt.block_on(crate::server::run(cfg))?;
    Ok(ExitCode::SUCCESS)
}

/// `coe digest`.
pub fn digest(a: crate::cli::DigestArgs) -> Result<ExitCode> {
    use crate::cli::{ByArg, DigestFormat, GroupArg, HookFormat};
    use crate::digest::{self as dg, DigestRequest, GroupBy, WebhookFormat, WindowBy};
    let vocab = Vocab::builtin()?;
    let store = open_existing(&a.index.dir())?;
    let now = a.now.unwrap_or_else(chrono::Utc::now);
    let since = dg::parse_since(&a.since, now).map_err(|e| anyhow::anyhow!("--since: {e}"))?;
    let until = match &a.until {
        Some(u) => dg::parse_since(u, now).map_err(|e| anyhow::anyhow!("--until: {e}"))?,
        None => now,
    };
    if until <= since {
        bail!("the window is empty: --until must be after --since");
    }
    let req = DigestRequest {
        since,
        until,
        technology: a.technology.iter().map(|t| vocab.canonical_technology(t).unwrap_or(t).to_string()).collect(),
        team: a.team.clone(),
        by: match a.by {
            ByArg::FirstSeen => WindowBy::FirstSeen,
            ByArg::IncidentDate => WindowBy::IncidentDate,
        },
        group_by: match a.group_by {
            GroupArg::Technology => GroupBy::Technology,
            GroupArg::Team => GroupBy::Team,
        },
        base_url: a.base_url.clone(),
        access: Access::All,
    };
    let d = dg::build(&store, &req, now.date_naive())?;
    if a.send {
        let url = a.webhook.as_deref().context("--send needs --webhook URL")?;
        let fmt = match a.webhook_format {
            HookFormat::Slack => WebhookFormat::Slack,
            HookFormat::Json => WebhookFormat::Json,
        };
        let rt = tokio::runtime::Builder::new_current_thread().enable_all().build()?;
        let client = reqwest::Client::new();
        let mut last = Err(String::new());
        for attempt in 0..4u32 {
            last = rt.block_on(dg::post(&client, url, &d, fmt));
            if last.is_ok() {
                break;
            }
            std::thread::sleep(std::time::Duration::from_millis(500 * 2u64.pow(attempt)));
        }
        last.map_err(|e| anyhow::anyhow!("delivery to {url} failed: {e}"))?;
        eprintln!("digest with {} CoE(s) delivered to {url}", d.count);
        return Ok(ExitCode::SUCCESS);
    }
    let text = match a.format {
        DigestFormat::Markdown => dg::to_markdown(&d),
        DigestFormat::Html => dg::to_html(&d),
        DigestFormat::Text => dg::to_text(&d),
        DigestFormat::Json => serde_json::to_string_pretty(&d)? + "\n",
    };
    match &a.out {
        Some(p) => std::fs::write(p, text).with_context(|| format!("cannot write `{}`", p.display()))?,
        None => std::io::stdout().lock().write_all(text.as_bytes())?,
    }
    Ok(ExitCode::SUCCESS)
}
