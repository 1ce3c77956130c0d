//! How long a program takes to start and exit: the floor under a sidecar's
//! start-up (spawn, runtime start, loading its code).

use std::{
    process::{Command, Stdio},
    time::Instant,
};

use serde::Serialize;

use crate::{args::ExecArgs, ms, Result};

#[derive(Serialize)]
pub struct ExecReport {
    label: String,
    command: String,
    runs_ms: Vec<f64>,
    exit_codes: Vec<i32>,
}

pub fn run(args: &ExecArgs) -> Result<ExecReport> {
    let (program, rest) = args.command.split_first().ok_or("no program")?;
    let mut runs_ms = Vec::new();
    let mut exit_codes = Vec::new();
    for _ in 0..args.runs {
        let started = Instant::now();
        let status = Command::new(program)
            .args(rest)
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status()?;
        runs_ms.push(ms(started.elapsed()));
        exit_codes.push(status.code().unwrap_or(-1));
    }
    let mut sorted = runs_ms.clone();
    sorted.sort_by(f64::total_cmp);
    eprintln!(
        "[{}] median {:.1} ms over {} runs",
        args.label,
        sorted.get(sorted.len() / 2).copied().unwrap_or_default(),
        args.runs,
    );
    Ok(ExecReport {
        label: args.label.clone(),
        command: args.command.join(" "),
        runs_ms,
        exit_codes,
    })
}
