//! Flood: one sidecar printing as fast as it can through the supervisor,
//! logged to rotating files with two secrets redacted on every line; this
//! process's CPU time and memory meanwhile.

use std::{
    path::Path,
    process::{Command, Stdio},
    sync::{
        atomic::{AtomicBool, Ordering},
        Arc,
    },
    time::{Duration, Instant},
};

use convoy_supervisor::{random_token, SidecarSpec, Supervisor, SupervisorOptions};
use serde::Serialize;

use crate::{args::FloodArgs, ms, Result};

#[derive(Serialize)]
pub struct FloodReport {
    command: String,
    /// What the producer writes, newlines included.
    bytes: u64,
    line_bytes: u64,
    rss_before_kb: u64,
    vm_hwm_kb: u64,
    runs: Vec<FloodRun>,
}

#[derive(Serialize)]
struct FloodRun {
    wall_ms: f64,
    /// The producer into `/dev/null`, nobody reading but the kernel.
    producer_alone_ms: f64,
    cpu_user_ms: f64,
    cpu_system_ms: f64,
    rss_kb: Vec<u64>,
    rss_sample_at_ms: Vec<f64>,
    lines_kept: usize,
    last_line_bytes: usize,
    log_files: usize,
    log_bytes: u64,
}

pub async fn run(args: &FloodArgs) -> Result<FloodReport> {
    let script = format!(
        "head -c {} /dev/zero | tr '\\0' x | fold -w {}",
        args.bytes, args.line
    );
    // fold adds a newline per line.
    let bytes = args.bytes + args.bytes.div_ceil(args.line.max(1));
    let rss_before_kb = status_kb("VmRSS").unwrap_or_default();
    let mut runs = Vec::new();
    for run in 0..args.runs {
        let flood = flood_once(&script).await?;
        eprintln!(
            "flood {}/{}: {:.0} MB in {:.0} ms ({:.0} MB/s; producer alone {:.0} ms), \
             cpu {:.0} ms, rss peak {} kB",
            run + 1,
            args.runs,
            bytes as f64 / 1e6,
            flood.wall_ms,
            bytes as f64 / 1e3 / flood.wall_ms,
            flood.producer_alone_ms,
            flood.cpu_user_ms + flood.cpu_system_ms,
            flood.rss_kb.iter().max().copied().unwrap_or_default(),
        );
        runs.push(flood);
    }
    Ok(FloodReport {
        command: script,
        bytes,
        line_bytes: args.line,
        rss_before_kb,
        vm_hwm_kb: status_kb("VmHWM").unwrap_or_default(),
        runs,
    })
}

async fn flood_once(script: &str) -> Result<FloodRun> {
    let alone = Instant::now();
    let status = Command::new("/bin/sh")
        .args(["-c", &format!("{script} > /dev/null")])
        .stdin(Stdio::null())
        .status()?;
    if !status.success() {
        return Err(format!("the producer failed on its own: {status}").into());
    }
    let producer_alone_ms = ms(alone.elapsed());

    let dir = std::env::temp_dir().join(format!("convoy-bench-{}-flood", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir)?;
    let options = SupervisorOptions {
        // Two 64-character secrets, as the app redacts on every line.
        secrets: vec![random_token()?, random_token()?],
        log_dir: Some(dir.clone()),
        echo: false,
        launch_id: None,
    };
    let supervisor = Supervisor::new(options, Arc::new(|_: &_| {}));
    let spec = SidecarSpec::new("flood", "/bin/sh")
        .args(["-c", script])
        .one_shot()
        .ready_timeout(Duration::from_secs(600));

    let sampling = Arc::new(AtomicBool::new(true));
    let sampler = {
        let sampling = sampling.clone();
        std::thread::spawn(move || {
            let started = Instant::now();
            let mut samples = Vec::new();
            while sampling.load(Ordering::Acquire) {
                if let Some(kb) = status_kb("VmRSS") {
                    samples.push((ms(started.elapsed()), kb));
                }
                std::thread::sleep(Duration::from_millis(50));
            }
            samples
        })
    };
    let cpu_before = cpu_time();
    let started = Instant::now();
    let outcome = supervisor.start_all(&[spec], |_| {}).await;
    let wall = started.elapsed();
    let cpu_after = cpu_time();
    sampling.store(false, Ordering::Release);
    let samples = sampler.join().map_err(|_| "the RSS sampler panicked")?;
    outcome.map_err(|failure| format!("flood failed: {failure}"))?;

    let last = supervisor.logs("flood", 1).unwrap_or_default();
    let lines_kept = supervisor
        .logs("flood", usize::MAX)
        .unwrap_or_default()
        .len();
    let (log_files, log_bytes) = dir_size(&dir)?;
    supervisor.stop_all().await;
    drop(supervisor);
    let _ = std::fs::remove_dir_all(&dir);

    Ok(FloodRun {
        wall_ms: ms(wall),
        producer_alone_ms,
        cpu_user_ms: ms(cpu_after.0.saturating_sub(cpu_before.0)),
        cpu_system_ms: ms(cpu_after.1.saturating_sub(cpu_before.1)),
        rss_kb: samples.iter().map(|&(_, kb)| kb).collect(),
        rss_sample_at_ms: samples.iter().map(|&(at, _)| at).collect(),
        lines_kept,
        last_line_bytes: last.first().map_or(0, String::len),
        log_files,
        log_bytes,
    })
}

/// A line of /proc/self/status, in kB.
fn status_kb(field: &str) -> Option<u64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    status
        .lines()
        .find_map(|line| line.strip_prefix(field)?.strip_prefix(':'))
        .and_then(|rest| rest.split_whitespace().next()?.parse().ok())
}

/// User and system CPU time of this process (all its threads, no children).
fn cpu_time() -> (Duration, Duration) {
    // SAFETY: getrusage writes into the zeroed struct we pass; nothing else is touched.
    let usage = unsafe {
        let mut usage: libc::rusage = std::mem::zeroed();
        libc::getrusage(libc::RUSAGE_SELF, &mut usage);
        usage
    };
    let time = |t: libc::timeval| {
        Duration::from_secs(u64::try_from(t.tv_sec).unwrap_or_default())
            + Duration::from_micros(u64::try_from(t.tv_usec).unwrap_or_default())
    };
    (time(usage.ru_utime), time(usage.ru_stime))
}

fn dir_size(dir: &Path) -> Result<(usize, u64)> {
    let mut files = 0;
    let mut bytes = 0;
    for entry in std::fs::read_dir(dir)? {
        files += 1;
        bytes += entry?.metadata()?.len();
    }
    Ok((files, bytes))
}
