//! Checks the sidecar graph in a `tauri.conf.json` the way an app's `build.rs`
//! does, without building the app:
//!
//! ```text
//! cargo run -q -p convoy-supervisor --example check_config -- path/to/tauri.conf.json
//! ```
//!
//! Prints the sidecars in declared order and exits 0, or prints the error's
//! name (its `type`, as a UI would switch on it) and message and exits 1.

use std::{path::PathBuf, process::ExitCode};

use convoy_supervisor::config::check_tauri_conf;

fn main() -> ExitCode {
    let Some(path) = std::env::args_os().nth(1).map(PathBuf::from) else {
        eprintln!("usage: check_config <tauri.conf.json>");
        return ExitCode::from(2);
    };
    match check_tauri_conf(&path) {
        Ok(config) => {
            println!("{}: sidecars {}", path.display(), config.names().join(", "));
            ExitCode::SUCCESS
        }
        Err(error) => {
            let name = serde_json::to_value(&error)
                .ok()
                .and_then(|json| json["type"].as_str().map(str::to_owned))
                .unwrap_or_default();
            eprintln!("{}: {name}: {error}", path.display());
            ExitCode::FAILURE
        }
    }
}
