//! Configuration: `coe.toml` (every key optional, unknown keys rejected with
//! the key named) merged with command-line flags into a validated [`Config`].

use crate::error::{Error, Result};
use crate::model::Visibility;
use crate::parse::Defaults;
use crate::source::{self, SourceSpec};
use crate::vocab::VocabExtension;
use serde::Deserialize;
use std::path::{Path, PathBuf};
use std::time::Duration;

/// Default address of `coe serve`.
pub const DEFAULT_BIND: &str = "127.0.0.1:7878";

/// How a source is watched.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum WatchMode {
    /// inotify/FSEvents through notify; events trigger re-reads.
    Native,
    /// Walk the folder on an interval (network mounts send no events).
    Poll,
    /// Poll on network filesystems (NFS, SMB/CIFS, FUSE/sshfs, 9p), native elsewhere.
    #[default]
    Auto,
}

impl WatchMode {
    /// Lowercase name.
    pub fn as_str(self) -> &'static str {
        match self {
            WatchMode::Native => "native",
            WatchMode::Poll => "poll",
            WatchMode::Auto => "auto",
        }
    }
}

/// One `[[source]]` table.
#[derive(Debug, Clone, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct SourceConfig {
    /// Name; part of every id from this source.
    pub name: Option<String>,
    /// A local folder (or a mounted share).
    pub path: Option<PathBuf>,
    /// A git repository URL to clone and pull.
    pub git: Option<String>,
    /// Branch of the git repository.
    pub branch: Option<String>,
    /// Sub-folder of the repository that holds the CoEs.
    pub subdir: Option<PathBuf>,
    /// Team of documents that name none.
    pub team: Option<String>,
    /// Visibility of documents that state none.
    pub visibility: Option<Visibility>,
    /// Only these globs (relative to the source root).
    #[serde(default)]
    pub include: Vec<String>,
    /// Never these globs.
    #[serde(default)]
    pub exclude: Vec<String>,
    /// Skip README, LICENSE, CHANGELOG and similar files (default true).
    pub ignore_repo_files: Option<bool>,
    /// native, poll or auto.
    #[serde(default)]
    pub watch: WatchMode,
    /// How often poll mode walks the folder.
    #[serde(default, with = "humantime_serde")]
    pub poll_interval: Option<Duration>,
    /// How often a git source pulls.
    #[serde(default, with = "humantime_serde")]
    pub pull_interval: Option<Duration>,
}

/// A team's access token.
#[derive(Debug, Clone, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct TokenConfig {
    /// The team whose internal CoEs the token opens.
    pub team: String,
    /// The token itself.
    pub token: Option<String>,
    /// Or the environment variable that holds it.
    pub token_env: Option<String>,
}

/// `[access]`.
#[derive(Debug, Clone, Default, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct AccessConfig {
    /// Team tokens.
    #[serde(default)]
    pub token: Vec<TokenConfig>,
}

/// `coe.toml` as written.
#[derive(Debug, Clone, Default, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct FileConfig {
    /// Data directory (index, first-seen dates, git clones).
    pub index: Option<PathBuf>,
    /// Address to listen on.
    pub bind: Option<String>,
    /// Origins allowed to call the API from a browser.
    #[serde(default)]
    pub cors_origins: Vec<String>,
    /// Requests per second per client address (bursts of twice that); 0 disables.
    pub rate_limit: Option<f64>,
    /// Largest file indexed, in bytes.
    pub max_file_size: Option<u64>,
    /// Debounce of the native watcher.
    #[serde(default, with = "humantime_serde")]
    pub debounce: Option<Duration>,
    /// Full reconcile of every source on this interval, whatever the watch mode.
    #[serde(default, with = "humantime_serde")]
    pub reconcile_interval: Option<Duration>,
    /// Sources.
    #[serde(default)]
    pub source: Vec<SourceConfig>,
    /// Vocabulary extensions.
    #[serde(default)]
    pub vocabulary: VocabExtension,
    /// Access tokens.
    #[serde(default)]
    pub access: AccessConfig,
    /// Lint rule levels (`rule-id = "error" | "warning" | "info" | "off"`) and lists.
    #[serde(default)]
    pub lint: crate::lint::LintConfig,
    /// Scheduled digest delivery.
    pub digest: Option<crate::digest::DigestConfig>,
}

/// Where a source's files come from.
#[derive(Debug, Clone, PartialEq)]
pub enum Origin {
    /// A folder.
    Local,
    /// A git clone kept in the data directory.
    Git {
        /// Repository URL.
        url: String,
        /// Branch.
        branch: String,
        /// Pull interval.
        interval: Duration,
    },
}

/// A validated source.
#[derive(Debug, Clone)]
pub struct Source {
    /// What to walk and how to read it.
    pub spec: SourceSpec,
    /// Local or git.
    pub origin: Origin,
    /// Watch mode.
    pub watch: WatchMode,
    /// Poll interval.
    pub poll_interval: Duration,
    /// Where a git source is cloned.
    pub checkout: Option<PathBuf>,
}

/// The validated configuration of `coe serve`.
#[derive(Debug, Clone)]
pub struct Config {
    /// Data directory.
    pub index: PathBuf,
    /// Listen address.
    pub bind: String,
    /// CORS origins.
    pub cors_origins: Vec<String>,
    /// Requests per second per client (0: off).
    pub rate_limit: f64,
    /// Native watcher debounce.
    pub debounce: Duration,
    /// Timer for full reconciles.
    pub reconcile_interval: Duration,
    /// Sources.
    pub sources: Vec<Source>,
    /// Vocabulary extensions.
    pub vocabulary: VocabExtension,
    /// The vocabulary (shipped plus extensions), loaded once.
    pub vocab: std::sync::Arc<crate::vocab::Vocab>,
    /// (team, token) pairs.
    pub tokens: Vec<(String, String)>,
    /// Lint settings.
    pub lint: crate::lint::LintConfig,
    /// Scheduled digest delivery.
    pub digest: Option<crate::digest::DigestConfig>,
}

/// Read and parse a config file, naming the file and the bad key on error.
pub fn read_file(path: &Path) -> Result<FileConfig> {
    let text = std::fs::read_to_string(path).map_err(|e| Error::Config(format!("cannot read config `{}`: {e}", path.display())))?;
    toml::from_str(&text).map_err(|e| Error::Config(format!("config `{}`: {}", path.display(), e.to_string().trim())))
}

/// Command-line overrides.
#[derive(Debug, Clone, Default)]
pub struct Overrides {
    /// Folders given on the command line (replace the config's sources).
    pub sources: Vec<PathBuf>,
    /// --index.
    pub index: Option<PathBuf>,
    /// --bind.
    pub bind: Option<String>,
    /// --watch.
    pub watch: Option<WatchMode>,
    /// --poll-interval.
    pub poll_interval: Option<Duration>,
    /// --rate-limit.
    pub rate_limit: Option<f64>,
}

impl Config {
    /// Merge a config file (if any) with overrides and validate.
    pub fn resolve(file: FileConfig, base: &Path, o: Overrides) -> Result<Config> {
        let data = o.index.clone().or_else(|| file.index.as_ref().map(|p| base.join(p))).unwrap_or_else(crate::index::default_dir);
        let bind = o.bind.clone().or(file.bind.clone()).unwrap_or_else(|| DEFAULT_BIND.to_string());
        bind.parse::<std::net::SocketAddr>().map_err(|_| Error::Config(format!("bind: `{bind}` is not an address like 127.0.0.1:7878")))?;
        let max_size = file.max_file_size.unwrap_or(source::DEFAULT_MAX_SIZE);
        let mut sources = Vec::new();
        let configs: Vec<SourceConfig> = if o.sources.is_empty() {
            file.source.clone()
        } else {
            o.sources
                .iter()
                .map(|p| SourceConfig {
                    name: None,
                    path: Some(p.clone()),
                    git: None,
                    branch: None,
                    subdir: None,
                    team: None,
                    visibility: None,
                    include: vec![],
                    exclude: vec![],
                    ignore_repo_files: None,
                    watch: WatchMode::Auto,
                    poll_interval: None,
                    pull_interval: None,
                })
                .collect()
        };
        for (i, s) in configs.iter().enumerate() {
            let key = format!("source[{i}]");
            let (root, origin, checkout) = match (&s.path, &s.git) {
                (Some(p), None) => (if o.sources.is_empty() { base.join(p) } else { p.clone() }, Origin::Local, None),
                (None, Some(url)) => {
                    let name = s.name.clone().ok_or_else(|| Error::Config(format!("{key}: a git source needs a `name`")))?;
                    let dir = data.join("git").join(crate::parse::slug(&name));
                    let root = match &s.subdir {
                        Some(sd) => dir.join(sd),
                        None => dir.clone(),
                    };
                    let origin = Origin::Git {
                        url: url.clone(),
                        branch: s.branch.clone().unwrap_or_else(|| "main".into()),
                        interval: s.pull_interval.unwrap_or(Duration::from_secs(300)),
                    };
                    (root, origin, Some(dir))
                }
                (Some(_), Some(_)) => return Err(Error::Config(format!("{key}: give either `path` or `git`, not both"))),
                (None, None) => return Err(Error::Config(format!("{key}: needs a `path` or a `git` URL"))),
            };
            if origin == Origin::Local && !root.is_dir() {
                return Err(Error::Config(format!("{key}: `{}` is not a folder", root.display())));
            }
            let name = s.name.clone().unwrap_or_else(|| SourceSpec::name_for(&root));
            if sources.iter().any(|x: &Source| x.spec.name == name) {
                return Err(Error::Config(format!("{key}: two sources are named `{name}`; give each a distinct `name`")));
            }
            let mut spec = SourceSpec::new(name, root);
            spec.include = source::globset(&s.include, &format!("{key}.include"))?;
            spec.exclude = source::globset(&s.exclude, &format!("{key}.exclude"))?;
            spec.ignore_repo_files = s.ignore_repo_files.unwrap_or(true);
            spec.defaults = Defaults { team: s.team.clone(), visibility: s.visibility.unwrap_or_default() };
            spec.max_size = max_size;
            let watch = o.watch.unwrap_or(s.watch);
            let poll_interval = o.poll_interval.or(s.poll_interval).unwrap_or(Duration::from_secs(30));
            if poll_interval < Duration::from_millis(100) {
                return Err(Error::Config(format!("{key}.poll_interval: must be at least 100ms")));
            }
            sources.push(Source { spec, origin, watch, poll_interval, checkout });
        }
        let mut tokens = Vec::new();
        for (i, t) in file.access.token.iter().enumerate() {
            let value = match (&t.token, &t.token_env) {
                (Some(v), None) => v.clone(),
                (None, Some(env)) => std::env::var(env)
                    .map_err(|_| Error::Config(format!("access.token[{i}].token_env: environment variable `{env}` is not set")))?,
                _ => return Err(Error::Config(format!("access.token[{i}]: give exactly one of `token` or `token_env`"))),
            };
            if value.len() < 16 {
                return Err(Error::Config(format!("access.token[{i}]: tokens must be at least 16 characters")));
            }
            tokens.push((t.team.clone(), value));
        }
        // Load the vocabulary now, so a bad pattern fails at start.
        let vocab = crate::vocab::Vocab::load(&file.vocabulary).map_err(|e| Error::Config(format!("vocabulary: {e}")))?;
        if let Some(d) = &file.digest {
            crate::digest::Schedule::parse(&d.schedule, &d.timezone).map_err(Error::Config)?;
        }
        Ok(Config {
            vocab: std::sync::Arc::new(vocab),
            index: data,
            bind,
            cors_origins: file.cors_origins.clone(),
            rate_limit: match o.rate_limit.or(file.rate_limit) {
                Some(r) if !(0.0..=1_000_000.0).contains(&r) => {
                    return Err(Error::Config(format!("rate_limit: `{r}` must be from 0 to 1000000")));
                }
                Some(r) => r,
                None => 50.0,
            },
            debounce: file.debounce.unwrap_or(Duration::from_millis(300)),
            reconcile_interval: file.reconcile_interval.unwrap_or(Duration::from_secs(600)),
            sources,
            vocabulary: file.vocabulary,
            tokens,
            lint: file.lint,
            digest: file.digest,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unknown_keys_are_named() {
        let e = toml::from_str::<FileConfig>("bind = \"127.0.0.1:1\"\nbnid = 3\n").expect_err("unknown key");
        assert!(e.to_string().contains("bnid"), "{e}");
        let e = toml::from_str::<FileConfig>("[[source]]\npath = \"x\"\nwatch = \"sometimes\"\n").expect_err("bad value");
        assert!(e.to_string().contains("sometimes") || e.to_string().contains("watch"), "{e}");
    }

    #[test]
    fn resolves_sources() {
        let dir = tempfile::tempdir().expect("tempdir");
        std::fs::create_dir(dir.path().join("coes")).expect("mkdir");
        let f: FileConfig = toml::from_str(
            "bind = \"127.0.0.1:9000\"\n[[source]]\nname = \"team-a\"\npath = \"coes\"\nteam = \"a\"\nvisibility = \"internal\"\nwatch = \"poll\"\npoll_interval = \"2s\"\n",
        )
        .expect("parse");
        let c = Config::resolve(f, dir.path(), Overrides::default()).expect("resolve");
        assert_eq!(c.sources[0].spec.name, "team-a");
        assert_eq!(c.sources[0].watch, WatchMode::Poll);
        assert_eq!(c.sources[0].poll_interval, Duration::from_secs(2));
        assert_eq!(c.sources[0].spec.defaults.visibility, Visibility::Internal);
        let bad: FileConfig = toml::from_str("[[source]]\npath = \"missing\"\n").expect("parse");
        let e = Config::resolve(bad, dir.path(), Overrides::default()).expect_err("missing folder");
        assert!(e.to_string().contains("source[0]"), "{e}");
    }
}
