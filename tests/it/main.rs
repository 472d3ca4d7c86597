//! Integration tests: one binary (see Cargo.toml), one module per area.
#![allow(missing_docs)]

mod api;
mod cli;
mod digest;
mod hostile;
mod index;
mod lint;
mod model;
mod parse;
mod ui;
mod util;
mod watch;
