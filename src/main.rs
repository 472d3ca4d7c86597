//! The `coe` command line: parses arguments, sets up logging, dispatches to
//! the library, and turns errors into exit codes (1: findings or failures,
//! 2: usage or setup errors).

use clap::Parser;
use coe_kb::cli::{Cli, Command};
use std::process::ExitCode;

fn main() -> ExitCode {
    let cli = Cli::parse();
    let filter =
        tracing_subscriber::EnvFilter::try_from_env("COE_LOG").unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info,tantivy=warn"));
    tracing_subscriber::fmt().with_env_filter(filter).with_writer(std::io::stderr).with_target(false).init();
    let result = match cli.command {
        Command::Parse { file, json } => coe_kb::cmd::parse(&file, json),
        Command::Index { paths, strict, name, max_size, index } => coe_kb::cmd::index(&paths, strict, name, max_size, &index.dir()),
        Command::Search { query, technology, service, team, severity, failure_mode, since, until, sort, limit, page, json, index } => {
            let filters =
                [("technology", technology), ("service", service), ("team", team), ("severity", severity), ("failure_mode", failure_mode)];
            coe_kb::cmd::search(&query, filters, since, until, sort, limit as usize, page as usize, json, &index.dir())
        }
        Command::Show { id, json, index } => coe_kb::cmd::show(&id, json, &index.dir()),
        Command::Serve { sources, config, bind, watch, poll_interval, rate_limit, index } => {
            coe_kb::cmd::serve(sources, config, bind, watch, poll_interval, rate_limit, index.index)
        }
        Command::Digest(args) => coe_kb::cmd::digest(args),
        Command::Lint { paths, format, strict, config } => coe_kb::lint::run(&paths, format, strict, config.as_deref()),
        Command::New { title, team, dir } => {
            coe_kb::lint::new_coe(&title, team.as_deref(), &dir, chrono::Local::now().date_naive()).map(|p| {
                println!("{}", p.display());
                std::process::ExitCode::SUCCESS
            })
        }
        Command::GenCorpus { n, dir, seed } => coe_kb::r#gen::run(n, &dir, seed),
    };
    match result {
        Ok(code) => code,
        Err(e) => {
            eprintln!("error: {e:#}");
            ExitCode::from(2)
        }
    }
}
