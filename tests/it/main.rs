//! Integration tests: one binary (see Cargo.toml), one module per area.
#![allow(missing_docs)]

mod api;
mod cli;
mod digest;
mod index;
mod lint;
mod parse;
mod ui;
mod util;
mod watch;
