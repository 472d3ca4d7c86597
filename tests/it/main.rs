//! Integration tests: one binary (see Cargo.toml), one module per area.
#![allow(missing_docs)]

mod api;
mod cli;
mod index;
mod parse;
mod util;
mod watch;
