//! Measures the supervisor against Runbook's real sidecar graph, read from the
//! app's `tauri.conf.json` through the supervisor's own configuration code;
//! run by `bench/supervisor.sh` (see `bench/README.md`), which also renders
//! the figures.
//!
//! Every figure is a list of raw samples in milliseconds (or kB, bytes); the
//! summary statistics are left to the report, so nothing is averaged away here.

mod args;
mod exec;
mod flood;
mod graph;
mod runbook;

use std::{error::Error, time::Duration};

use serde::Serialize;

use args::{Args, Phase};

type Result<T> = std::result::Result<T, Box<dyn Error>>;

/// What one phase writes to its `--out` file.
#[derive(Serialize)]
#[serde(tag = "phase", rename_all = "lowercase")]
enum Report {
    Graph(graph::GraphReport),
    Flood(flood::FloodReport),
    Exec(exec::ExecReport),
}

fn main() {
    let args = match Args::parse(std::env::args_os().skip(1).collect()) {
        Ok(args) => args,
        Err(err) => {
            eprintln!("convoy-supervisor-bench: {err}\n{}", args::USAGE);
            std::process::exit(2);
        }
    };
    if let Err(err) = run(&args) {
        eprintln!("convoy-supervisor-bench: {err}");
        std::process::exit(1);
    }
}

fn run(args: &Args) -> Result<()> {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()?;
    let report = match &args.phase {
        Phase::Graph(graph) => Report::Graph(runtime.block_on(graph::run(graph))?),
        Phase::Flood(flood) => Report::Flood(runtime.block_on(flood::run(flood))?),
        Phase::Exec(exec) => Report::Exec(exec::run(exec)?),
    };
    let mut text = serde_json::to_string(&report)?;
    text.push('\n');
    std::fs::write(&args.out, text)?;
    eprintln!("wrote {}", args.out.display());
    Ok(())
}

/// Milliseconds, to the microsecond (finer is noise, and longer files).
fn ms(duration: Duration) -> f64 {
    (duration.as_secs_f64() * 1e6).round() / 1e3
}
