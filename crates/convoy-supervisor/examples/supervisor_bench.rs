//! Measures the supervisor against Runbook's real sidecar graph; run by
//! `bench/supervisor.sh` (see `bench/README.md`), which also renders the figures.
//!
//! ```text
//! supervisor_bench graph --valkey <redis-server> --out f.json \
//!     --variant bun --sidecar <bun> --sidecar-arg <main.ts> --variant compiled --sidecar <exe>
//! supervisor_bench flood --bytes 300000000 --out f.json
//! supervisor_bench exec --label "bun -e 0" --out f.json -- <program> <args>...
//! ```
//!
//! Every figure is a list of raw samples in milliseconds (or kB, bytes); the
//! summary statistics are left to the report, so nothing is averaged away here.
//! The variants of the graph take turns, run by run, so a busy spell on a
//! shared machine lands on all of them rather than on one.

use std::{
    collections::BTreeMap,
    error::Error,
    fmt::{self, Write as _},
    path::{Path, PathBuf},
    process::{Command, Stdio},
    sync::{
        atomic::{AtomicBool, Ordering},
        Arc, Mutex, PoisonError,
    },
    time::{Duration, Instant},
};

use convoy_supervisor::{
    free_loopback_port, random_token, valkey::ValkeyConfig, ReadinessProbe, RestartPolicy,
    SidecarSpec, SidecarState, SidecarStatus, StartStep, Supervisor, SupervisorOptions,
};

type Result<T> = std::result::Result<T, Box<dyn Error>>;

const USAGE: &str = "usage: supervisor_bench <graph|flood|exec> --out FILE [options]
  graph  --valkey PROGRAM [--runs 10] [--crashes 10] [--pause-ms 1500]
         (--variant LABEL --sidecar PROGRAM [--sidecar-arg ARG]...)...
  flood  [--bytes 300000000] [--line 120] [--runs 3]
  exec   --label L [--runs 20] -- PROGRAM [ARGS]...";

fn main() -> Result<()> {
    let args = Args::parse(std::env::args().skip(1).collect())?;
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()?;
    let report = match args.phase.as_str() {
        "graph" => runtime.block_on(graph(&args))?,
        "flood" => runtime.block_on(flood(&args))?,
        "exec" => exec(&args)?,
        other => return Err(format!("unknown phase {other:?}\n{USAGE}").into()),
    };
    std::fs::write(&args.out, format!("{report}\n"))?;
    eprintln!("wrote {}", args.out.display());
    Ok(())
}

// ---------------------------------------------------------------------------
// Arguments

struct Args {
    phase: String,
    out: PathBuf,
    label: String,
    variants: Vec<Variant>,
    valkey: Option<PathBuf>,
    runs: Option<usize>,
    crashes: usize,
    pause: Duration,
    bytes: u64,
    line: u64,
    command: Vec<String>,
}

impl Args {
    fn parse(raw: Vec<String>) -> Result<Self> {
        let mut raw = raw.into_iter();
        let phase = raw.next().ok_or(USAGE)?;
        let mut args = Self {
            phase,
            out: PathBuf::new(),
            label: String::new(),
            variants: Vec::new(),
            valkey: None,
            runs: None,
            crashes: 10,
            pause: Duration::from_millis(1500),
            bytes: 300_000_000,
            line: 120,
            command: Vec::new(),
        };
        while let Some(flag) = raw.next() {
            if flag == "--" {
                args.command = raw.by_ref().collect();
                break;
            }
            let value = raw
                .next()
                .ok_or_else(|| format!("{flag} needs a value\n{USAGE}"))?;
            match flag.as_str() {
                "--out" => args.out = value.into(),
                "--label" => args.label = value,
                "--variant" => args.variants.push(Variant {
                    label: value,
                    program: PathBuf::new(),
                    leading_args: Vec::new(),
                }),
                "--sidecar" => args.variant(&flag)?.program = value.into(),
                "--sidecar-arg" => args.variant(&flag)?.leading_args.push(value),
                "--valkey" => args.valkey = Some(value.into()),
                "--runs" => args.runs = Some(value.parse()?),
                "--crashes" => args.crashes = value.parse()?,
                "--pause-ms" => args.pause = Duration::from_millis(value.parse()?),
                "--bytes" => args.bytes = value.parse()?,
                "--line" => args.line = value.parse()?,
                _ => return Err(format!("unknown option {flag}\n{USAGE}").into()),
            }
        }
        if args.out.as_os_str().is_empty() {
            return Err(format!("--out is required\n{USAGE}").into());
        }
        Ok(args)
    }

    fn variant(&mut self, flag: &str) -> Result<&mut Variant> {
        Ok(self
            .variants
            .last_mut()
            .ok_or_else(|| format!("{flag} belongs after a --variant"))?)
    }
}

/// How to run the sidecar executable: compiled, or the entry point under Bun.
struct Variant {
    label: String,
    program: PathBuf,
    leading_args: Vec<String>,
}

impl Variant {
    fn command_line(&self) -> String {
        let mut parts = vec![self.program.display().to_string()];
        parts.extend(self.leading_args.iter().cloned());
        parts.join(" ")
    }

    /// Start and exit with no role: loading its code, printing usage. The
    /// floor under each of its starts, timed alongside them.
    fn load_once(&self) -> Result<f64> {
        let started = Instant::now();
        Command::new(&self.program)
            .args(&self.leading_args)
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status()?;
        Ok(ms(started.elapsed()))
    }
}

// ---------------------------------------------------------------------------
// Runbook's graph, as apps/runbook/src-tauri/src/sidecars.rs declares it (the
// app crate depends on Tauri, so the declaration is mirrored here; keep in step).

/// One launch's private directories, port and secrets.
struct Launch {
    root: PathBuf,
    api_port: u16,
    api_token: String,
    valkey_password: String,
}

impl Launch {
    fn new(tag: &str) -> Result<Self> {
        use std::os::unix::fs::DirBuilderExt;
        let root = std::env::temp_dir().join(format!("convoy-bench-{}-{tag}", std::process::id()));
        let _ = std::fs::remove_dir_all(&root);
        std::fs::DirBuilder::new()
            .recursive(true)
            .mode(0o700)
            .create(root.join("run"))?;
        std::fs::create_dir_all(root.join("data/valkey"))?;
        let launch = Self {
            root,
            api_port: free_loopback_port()?,
            api_token: random_token()?,
            valkey_password: random_token()?,
        };
        launch.valkey().write()?;
        Ok(launch)
    }

    fn data_dir(&self) -> PathBuf {
        self.root.join("data")
    }

    /// The same locked-down Valkey the app runs (`convoy_supervisor::valkey`).
    fn valkey(&self) -> ValkeyConfig {
        ValkeyConfig::new(
            &self.root.join("run"),
            self.data_dir().join("valkey"),
            self.valkey_password.clone(),
        )
    }

    fn options(&self) -> SupervisorOptions {
        SupervisorOptions {
            secrets: vec![self.api_token.clone(), self.valkey_password.clone()],
            log_dir: Some(self.root.clone()),
            echo: false,
            launch_id: Some("bench".into()),
        }
    }

    /// valkey (PING) → migrate (one-shot) → api (`GET /health`) → worker (ready line).
    fn specs(
        &self,
        args: &Args,
        variant: &Variant,
        api_restart: RestartPolicy,
    ) -> Result<Vec<SidecarSpec>> {
        let valkey = args.valkey.as_ref().ok_or("--valkey is required")?;
        let data_dir = self.data_dir().display().to_string();
        let socket = self.valkey().socket.display().to_string();
        let role = |name: &str| {
            SidecarSpec::new(name, &variant.program)
                .args(variant.leading_args.iter().cloned())
                .args([name])
                .env("CONVOY_STDIN_WATCHDOG", "1")
        };
        let with_valkey = |spec: SidecarSpec| {
            spec.env("CONVOY_DATA_DIR", &data_dir)
                .env("CONVOY_VALKEY_SOCKET", &socket)
                .env("CONVOY_VALKEY_PASSWORD", &self.valkey_password)
                .depends_on(["valkey"])
        };
        Ok(vec![
            self.valkey().spec("valkey", valkey),
            // As in the app: migrate needs only SQLite, so it starts beside valkey.
            role("migrate")
                .one_shot()
                .env("CONVOY_DATA_DIR", &data_dir)
                .ready_timeout(Duration::from_secs(60)),
            with_valkey(role("api"))
                .env("CONVOY_API_PORT", self.api_port.to_string())
                .env("CONVOY_API_TOKEN", &self.api_token)
                .depends_on(["migrate"])
                .port(self.api_port)
                .probe(ReadinessProbe::HttpGet {
                    port: self.api_port,
                    path: "/health".into(),
                })
                .ready_timeout(Duration::from_secs(20))
                .restart(api_restart),
            with_valkey(role("worker"))
                .depends_on(["api"])
                .probe(ReadinessProbe::ReadyLine {
                    prefix: "convoy:ready".into(),
                })
                .ready_timeout(Duration::from_secs(20)),
        ])
    }
}

impl Drop for Launch {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.root);
    }
}

/// A status change, stamped when the supervisor reported it.
#[derive(Clone)]
struct Event {
    at: Instant,
    name: String,
    state: SidecarState,
    pid: Option<u32>,
}

type Events = Arc<Mutex<Vec<Event>>>;

fn recording_supervisor(options: SupervisorOptions) -> (Supervisor, Events) {
    let events: Events = Arc::default();
    let sink = events.clone();
    let listener = move |status: &SidecarStatus| {
        let event = Event {
            at: Instant::now(),
            name: status.name.clone(),
            state: status.state,
            pid: status.pid,
        };
        sink.lock()
            .unwrap_or_else(PoisonError::into_inner)
            .push(event);
    };
    (Supervisor::new(options, Arc::new(listener)), events)
}

/// Launch → all ready, and each sidecar's own start → ready.
#[derive(Default)]
struct LaunchSamples {
    all_ready: Vec<f64>,
    sidecars: BTreeMap<String, Vec<f64>>,
    /// The graph, so the report can tell the longest chain of starts.
    depends_on: BTreeMap<String, Vec<String>>,
}

impl LaunchSamples {
    async fn measure(&mut self, supervisor: &Supervisor, specs: &[SidecarSpec]) -> Result<()> {
        let mut ready = Vec::new();
        let started = Instant::now();
        let outcome = supervisor
            .start_all(specs, |step| {
                if let StartStep::Ready { sidecar, elapsed } = step {
                    ready.push((sidecar, ms(elapsed)));
                }
            })
            .await;
        let total = ms(started.elapsed());
        if let Err(failure) = outcome {
            return Err(format!(
                "start-up failed: {failure}\n  {}",
                failure.last_lines.join("\n  ")
            )
            .into());
        }
        self.all_ready.push(total);
        for spec in specs {
            self.depends_on
                .insert(spec.name.clone(), spec.depends_on.clone());
        }
        for (sidecar, elapsed) in ready {
            self.sidecars.entry(sidecar).or_default().push(elapsed);
        }
        Ok(())
    }

    fn json(&self) -> Json {
        Json::obj([
            ("all_ready_ms", Json::from(&self.all_ready[..])),
            (
                "sidecar_ready_ms",
                Json::Obj(
                    self.sidecars
                        .iter()
                        .map(|(name, samples)| (name.clone(), Json::from(&samples[..])))
                        .collect(),
                ),
            ),
            (
                "depends_on",
                Json::Obj(
                    self.depends_on
                        .iter()
                        .map(|(name, deps)| {
                            let deps: Vec<Json> =
                                deps.iter().map(|d| Json::from(d.as_str())).collect();
                            (name.clone(), Json::Arr(deps))
                        })
                        .collect(),
                ),
            ),
        ])
    }
}

/// One variant's figures over the whole graph phase.
#[derive(Default)]
struct VariantSamples {
    load_floor: Vec<f64>,
    first: LaunchSamples,
    again: LaunchSamples,
    stop_all: Vec<f64>,
    crash: CrashSamples,
}

async fn graph(args: &Args) -> Result<Json> {
    if args.variants.is_empty() {
        return Err(format!("graph needs at least one --variant\n{USAGE}").into());
    }
    let runs = args.runs.unwrap_or(10);
    // The app's policy (initial backoff 100 ms), with a window shorter than the
    // pause between crashes, so every crash is a first one: no doubled backoff,
    // no spent budget.
    let window = args.pause.saturating_sub(Duration::from_millis(500));
    let api_restart = RestartPolicy {
        window: window.max(Duration::from_millis(100)),
        max_restarts: 1000,
        ..RestartPolicy::default()
    };
    let mut samples: Vec<VariantSamples> =
        args.variants.iter().map(|_| Default::default()).collect();

    // A fresh data dir per run (first launch: migrate creates the database),
    // then a second launch on the same data (what every later launch does).
    for run in 0..runs {
        for (index, (variant, samples)) in args.variants.iter().zip(&mut samples).enumerate() {
            samples.load_floor.push(variant.load_once()?);
            let mut launch = Launch::new(&format!("v{index}-launch{run}"))?;
            let (supervisor, _) = recording_supervisor(launch.options());
            let specs = launch.specs(args, variant, api_restart)?;
            samples.first.measure(&supervisor, &specs).await?;
            let stopping = Instant::now();
            supervisor.stop_all().await;
            samples.stop_all.push(ms(stopping.elapsed()));

            launch.api_port = free_loopback_port()?;
            let specs = launch.specs(args, variant, api_restart)?;
            samples.again.measure(&supervisor, &specs).await?;
            let stopping = Instant::now();
            supervisor.stop_all().await;
            samples.stop_all.push(ms(stopping.elapsed()));
            eprintln!(
                "[{}] launch {}/{runs}: first {:.0} ms, again {:.0} ms",
                variant.label,
                run + 1,
                samples.first.all_ready.last().copied().unwrap_or_default(),
                samples.again.all_ready.last().copied().unwrap_or_default(),
            );
        }
    }

    // Every variant's graph runs at once (idle sidecars cost nothing), and
    // their apis are killed in turn.
    let mut rigs = Vec::new();
    for (index, variant) in args.variants.iter().enumerate() {
        let launch = Launch::new(&format!("v{index}-crash"))?;
        let (supervisor, events) = recording_supervisor(launch.options());
        supervisor
            .start_all(&launch.specs(args, variant, api_restart)?, |_| {})
            .await
            .map_err(|failure| format!("start-up failed: {failure}"))?;
        rigs.push((launch, supervisor, events));
    }
    for crash in 0..args.crashes {
        for ((variant, samples), (_, supervisor, events)) in
            args.variants.iter().zip(&mut samples).zip(&rigs)
        {
            tokio::time::sleep(args.pause).await;
            let total = samples.crash.measure(supervisor, events).await?;
            eprintln!(
                "[{}] crash {}/{}: ready again after {total:.0} ms",
                variant.label,
                crash + 1,
                args.crashes,
            );
        }
    }
    for (_, supervisor, _) in &rigs {
        supervisor.stop_all().await;
    }

    let variants = args
        .variants
        .iter()
        .zip(&samples)
        .map(|(variant, samples)| {
            Json::obj([
                ("label", variant.label.as_str().into()),
                ("program", variant.command_line().into()),
                ("load_floor_ms", Json::from(&samples.load_floor[..])),
                ("first_launch", samples.first.json()),
                ("relaunch", samples.again.json()),
                ("stop_all_ms", Json::from(&samples.stop_all[..])),
                ("crash", samples.crash.json(args, api_restart)),
            ])
        });
    Ok(Json::obj([
        ("phase", "graph".into()),
        ("variants", Json::Arr(variants.collect())),
    ]))
}

/// api crash → ready again, split at the status changes the supervisor
/// reports: exit noticed → restarting (backoff) → starting → ready.
#[derive(Default)]
struct CrashSamples {
    total: Vec<f64>,
    noticed: Vec<f64>,
    backoff: Vec<f64>,
    start_to_ready: Vec<f64>,
}

impl CrashSamples {
    /// SIGKILL the api and time its way back to ready; returns the total.
    async fn measure(&mut self, supervisor: &Supervisor, events: &Events) -> Result<f64> {
        let api = supervisor
            .statuses()
            .into_iter()
            .find(|s| s.name == "api")
            .ok_or("no api")?;
        let old_pid = api
            .pid
            .ok_or_else(|| format!("api is not running: {api:?}"))?;
        let seen = events.lock().unwrap_or_else(PoisonError::into_inner).len();
        let killed = Instant::now();
        kill(old_pid);
        let after = wait_until(events, seen, Duration::from_secs(30), |e| {
            e.name == "api" && e.state == SidecarState::Ready && e.pid.is_some_and(|p| p != old_pid)
        })
        .await
        .ok_or("api was not ready again within 30 s of being killed")?;
        let api_events: Vec<Event> = after.into_iter().filter(|e| e.name == "api").collect();
        let at = |pick: &dyn Fn(&Event) -> bool| api_events.iter().find(|e| pick(e)).map(|e| e.at);
        let exit = at(&|e| e.pid.is_none()).ok_or("no exit event")?;
        let restarting = at(&|e| e.state == SidecarState::Restarting).ok_or("no restart")?;
        let starting = at(&|e| e.state == SidecarState::Starting).ok_or("no starting")?;
        // The exit is reported while the state still reads Ready; the match is last.
        let ready = api_events.last().ok_or("no ready")?.at;
        self.total.push(ms(ready - killed));
        self.noticed.push(ms(exit - killed));
        self.backoff.push(ms(starting - restarting));
        self.start_to_ready.push(ms(ready - starting));
        Ok(ms(ready - killed))
    }

    fn json(&self, args: &Args, policy: RestartPolicy) -> Json {
        Json::obj([
            ("kill_to_ready_ms", Json::from(&self.total[..])),
            ("kill_to_exit_noticed_ms", Json::from(&self.noticed[..])),
            ("backoff_ms", Json::from(&self.backoff[..])),
            ("start_to_ready_ms", Json::from(&self.start_to_ready[..])),
            ("initial_backoff_ms", ms(policy.initial_backoff).into()),
            ("pause_between_ms", ms(args.pause).into()),
        ])
    }
}

/// The events after the first `seen`, once one of them matches.
async fn wait_until(
    events: &Events,
    seen: usize,
    limit: Duration,
    done: impl Fn(&Event) -> bool,
) -> Option<Vec<Event>> {
    let deadline = Instant::now() + limit;
    while Instant::now() < deadline {
        {
            let events = events.lock().unwrap_or_else(PoisonError::into_inner);
            if let Some(end) = events[seen..].iter().position(&done) {
                return Some(events[seen..=seen + end].to_vec());
            }
        }
        // Only the wake-up is late by this much: events carry their own time.
        tokio::time::sleep(Duration::from_millis(2)).await;
    }
    None
}

fn kill(pid: u32) {
    let Ok(pid) = libc::pid_t::try_from(pid) else {
        return;
    };
    // SAFETY: kill(2) on a sidecar this process started; no memory is touched.
    unsafe {
        libc::kill(pid, libc::SIGKILL);
    }
}

// ---------------------------------------------------------------------------
// Flood: one sidecar printing as fast as it can, logged to rotating files.

async fn flood(args: &Args) -> Result<Json> {
    let runs = args.runs.unwrap_or(3);
    let script = format!(
        "head -c {} /dev/zero | tr '\\0' x | fold -w {}",
        args.bytes, args.line
    );
    // fold adds a newline per line.
    let bytes_out = args.bytes + args.bytes.div_ceil(args.line.max(1));
    let baseline_kb = rss_kb("VmRSS").unwrap_or_default();
    let mut results = Vec::new();
    for run in 0..runs {
        // What the producer manages with nobody reading but the kernel.
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
        let (supervisor, _) = recording_supervisor(options);
        let spec = SidecarSpec::new("flood", "/bin/sh")
            .args(["-c", &script])
            .one_shot()
            .ready_timeout(Duration::from_secs(600));

        let sampling = Arc::new(AtomicBool::new(true));
        let sampler = {
            let sampling = sampling.clone();
            std::thread::spawn(move || {
                let started = Instant::now();
                let mut samples = Vec::new();
                while sampling.load(Ordering::Acquire) {
                    if let Some(kb) = rss_kb("VmRSS") {
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

        let rss: Vec<f64> = samples.iter().map(|&(_, kb)| kb as f64).collect();
        let user = ms(cpu_after.0.saturating_sub(cpu_before.0));
        let system = ms(cpu_after.1.saturating_sub(cpu_before.1));
        let wall_ms = ms(wall);
        eprintln!(
            "flood {}/{runs}: {:.0} MB in {:.0} ms ({:.0} MB/s; producer alone {:.0} ms), \
             cpu {:.0} ms, rss peak {} kB",
            run + 1,
            bytes_out as f64 / 1e6,
            wall_ms,
            bytes_out as f64 / 1e6 / wall.as_secs_f64(),
            producer_alone_ms,
            user + system,
            rss.iter().copied().fold(0.0, f64::max),
        );
        results.push(Json::obj([
            ("wall_ms", wall_ms.into()),
            ("producer_alone_ms", producer_alone_ms.into()),
            ("cpu_user_ms", user.into()),
            ("cpu_system_ms", system.into()),
            ("rss_kb", Json::from(&rss[..])),
            (
                "rss_sample_at_ms",
                Json::Arr(samples.iter().map(|&(at, _)| at.into()).collect()),
            ),
            ("lines_kept", (lines_kept as f64).into()),
            (
                "last_line_bytes",
                (last.first().map_or(0, String::len) as f64).into(),
            ),
            ("log_files", (log_files as f64).into()),
            ("log_bytes", (log_bytes as f64).into()),
        ]));
    }
    Ok(Json::obj([
        ("phase", "flood".into()),
        ("command", script.into()),
        ("bytes", (bytes_out as f64).into()),
        ("line_bytes", (args.line as f64).into()),
        ("rss_before_kb", (baseline_kb as f64).into()),
        (
            "vm_hwm_kb",
            (rss_kb("VmHWM").unwrap_or_default() as f64).into(),
        ),
        ("runs", Json::Arr(results)),
    ]))
}

/// A line of /proc/self/status, in kB.
fn rss_kb(field: &str) -> Option<u64> {
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

// ---------------------------------------------------------------------------
// Exec: how long a program takes to start and exit, the floor under a sidecar's
// start-up (spawn, runtime start, loading its code).

fn exec(args: &Args) -> Result<Json> {
    let runs = args.runs.unwrap_or(20);
    let (program, rest) = args.command.split_first().ok_or(USAGE)?;
    let mut samples = Vec::new();
    let mut codes = Vec::new();
    for _ in 0..runs {
        let started = Instant::now();
        let status = Command::new(program)
            .args(rest)
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status()?;
        samples.push(ms(started.elapsed()));
        codes.push(Json::from(f64::from(status.code().unwrap_or(-1))));
    }
    eprintln!(
        "[{}] median {:.1} ms over {runs} runs",
        args.label,
        median(&samples)
    );
    Ok(Json::obj([
        ("phase", "exec".into()),
        ("label", args.label.as_str().into()),
        ("command", args.command.join(" ").into()),
        ("runs_ms", Json::from(&samples[..])),
        ("exit_codes", Json::Arr(codes)),
    ]))
}

fn median(samples: &[f64]) -> f64 {
    let mut sorted = samples.to_vec();
    sorted.sort_by(f64::total_cmp);
    sorted.get(sorted.len() / 2).copied().unwrap_or_default()
}

fn ms(duration: Duration) -> f64 {
    duration.as_secs_f64() * 1000.0
}

// ---------------------------------------------------------------------------
// Just enough JSON to write the figures down.

enum Json {
    Num(f64),
    Str(String),
    Arr(Vec<Json>),
    Obj(Vec<(String, Json)>),
}

impl Json {
    fn obj<const N: usize>(fields: [(&str, Json); N]) -> Self {
        Self::Obj(fields.into_iter().map(|(k, v)| (k.to_owned(), v)).collect())
    }
}

impl From<f64> for Json {
    fn from(n: f64) -> Self {
        Self::Num(n)
    }
}

impl From<&[f64]> for Json {
    fn from(ns: &[f64]) -> Self {
        Self::Arr(ns.iter().map(|&n| Self::Num(n)).collect())
    }
}

impl From<&str> for Json {
    fn from(s: &str) -> Self {
        Self::Str(s.to_owned())
    }
}

impl From<String> for Json {
    fn from(s: String) -> Self {
        Self::Str(s)
    }
}

impl fmt::Display for Json {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Num(n) if n.is_finite() => {
                // Whole numbers (counts, bytes) without a fraction; times to the microsecond.
                if n.fract() == 0.0 && n.abs() < 1e15 {
                    write!(f, "{n:.0}")
                } else {
                    write!(f, "{n:.3}")
                }
            }
            Self::Num(_) => f.write_str("null"),
            Self::Str(s) => {
                f.write_char('"')?;
                for c in s.chars() {
                    match c {
                        '"' => f.write_str("\\\"")?,
                        '\\' => f.write_str("\\\\")?,
                        '\n' => f.write_str("\\n")?,
                        c if u32::from(c) < 0x20 => write!(f, "\\u{:04x}", u32::from(c))?,
                        c => f.write_char(c)?,
                    }
                }
                f.write_char('"')
            }
            Self::Arr(items) => {
                f.write_char('[')?;
                for (i, item) in items.iter().enumerate() {
                    if i > 0 {
                        f.write_str(", ")?;
                    }
                    write!(f, "{item}")?;
                }
                f.write_char(']')
            }
            Self::Obj(fields) => {
                f.write_char('{')?;
                for (i, (key, value)) in fields.iter().enumerate() {
                    if i > 0 {
                        f.write_str(", ")?;
                    }
                    write!(f, "{}: {value}", Json::Str(key.clone()))?;
                }
                f.write_char('}')
            }
        }
    }
}
