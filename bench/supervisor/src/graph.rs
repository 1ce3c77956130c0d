//! Launch → all ready, and api crash → ready again. The variants take turns,
//! run by run, so a busy spell on a shared machine lands on all of them rather
//! than on one.

use std::{
    collections::BTreeMap,
    path::{Component, Path, PathBuf},
    process::{Command, Stdio},
    sync::{Arc, Mutex, PoisonError},
    time::{Duration, Instant},
};

use convoy_supervisor::{
    RestartPolicy, SidecarSpec, SidecarState, SidecarStatus, StartStep, Supervisor,
    SupervisorOptions,
};
use serde::Serialize;

use crate::{
    args::GraphArgs,
    ms,
    runbook::{Graph, Launch, Variant},
    Result,
};

/// The sidecar that is killed: the one the windows talk to.
const CRASHED: &str = "api";

#[derive(Serialize)]
pub struct GraphReport {
    variants: Vec<VariantReport>,
}

/// One variant's figures over the whole graph phase.
#[derive(Serialize, Default)]
struct VariantReport {
    label: String,
    /// The sidecar executable as it runs (with the script, under Bun).
    program: String,
    #[serde(skip)]
    command: Vec<String>,
    /// The sidecar with no role (loads its code, prints usage, exits): the
    /// floor under each of its starts, timed alongside them.
    load_floor_ms: Vec<f64>,
    first_launch: LaunchSamples,
    relaunch: LaunchSamples,
    stop_all_ms: Vec<f64>,
    crash: CrashSamples,
}

/// Launch → all ready, and each sidecar's own start → ready.
#[derive(Serialize, Default)]
struct LaunchSamples {
    all_ready_ms: Vec<f64>,
    sidecar_ready_ms: BTreeMap<String, Vec<f64>>,
    /// The graph, so the report can tell the longest chain of starts.
    depends_on: BTreeMap<String, Vec<String>>,
}

/// api crash → ready again, split at the status changes the supervisor
/// reports: exit noticed → restarting (backoff) → starting → ready.
#[derive(Serialize, Default)]
struct CrashSamples {
    kill_to_ready_ms: Vec<f64>,
    kill_to_exit_noticed_ms: Vec<f64>,
    backoff_ms: Vec<f64>,
    start_to_ready_ms: Vec<f64>,
    initial_backoff_ms: f64,
    pause_between_ms: f64,
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

/// The app's graph for one launch, the crashed sidecar's restart window made
/// shorter than the pause between crashes: every crash is then a first one
/// (the app's initial backoff, no doubling, no spent budget).
fn specs(
    graph: &Graph,
    launch: &Launch,
    variant: &Variant,
    args: &GraphArgs,
) -> Result<Vec<SidecarSpec>> {
    let window = args
        .pause
        .saturating_sub(Duration::from_millis(500))
        .max(Duration::from_millis(100));
    let mut specs = graph.specs(launch, variant)?;
    for spec in specs.iter_mut().filter(|s| s.name == CRASHED) {
        spec.restart = RestartPolicy {
            window,
            max_restarts: 1000,
            ..spec.restart
        };
    }
    Ok(specs)
}

pub async fn run(args: &GraphArgs) -> Result<GraphReport> {
    let graph = Graph::load(&args.conf, &args.valkey)?;
    let mut reports: Vec<VariantReport> = Vec::new();
    for variant in &args.variants {
        let launch = Launch::new(&graph, "probe")?;
        let specs = specs(&graph, &launch, variant, args)?;
        let crashed = specs
            .iter()
            .find(|s| s.name == CRASHED)
            .ok_or_else(|| format!("the graph has no {CRASHED}"))?;
        let (program, leading) = graph.bare_command(crashed)?;
        let mut command = vec![program.display().to_string()];
        command.extend(leading.iter().map(|arg| tidy(arg)));
        reports.push(VariantReport {
            label: variant.label().into(),
            program: command.join(" "),
            command,
            crash: CrashSamples {
                initial_backoff_ms: ms(crashed.restart.initial_backoff),
                pause_between_ms: ms(args.pause),
                ..CrashSamples::default()
            },
            ..VariantReport::default()
        });
    }

    // A fresh data dir per run (first launch: migrate creates the database),
    // then a second launch on the same data (what every later launch does).
    for run in 0..args.runs {
        for (index, (variant, report)) in args.variants.iter().zip(&mut reports).enumerate() {
            report.load_floor_ms.push(load_once(&report.command)?);
            let launch = Launch::new(&graph, &format!("v{index}-launch{run}"))?;
            let (supervisor, _) = recording_supervisor(launch.options());
            for samples in [&mut report.first_launch, &mut report.relaunch] {
                let specs = specs(&graph, &launch, variant, args)?;
                samples.measure(&supervisor, &specs).await?;
                let stopping = Instant::now();
                supervisor.stop_all().await;
                report.stop_all_ms.push(ms(stopping.elapsed()));
            }
            eprintln!(
                "[{}] launch {}/{}: first {:.0} ms, again {:.0} ms",
                report.label,
                run + 1,
                args.runs,
                report
                    .first_launch
                    .all_ready_ms
                    .last()
                    .copied()
                    .unwrap_or_default(),
                report
                    .relaunch
                    .all_ready_ms
                    .last()
                    .copied()
                    .unwrap_or_default(),
            );
        }
    }

    // Every variant's graph runs at once (idle sidecars cost nothing), and
    // their apis are killed in turn.
    let mut rigs = Vec::new();
    for (index, variant) in args.variants.iter().enumerate() {
        let launch = Launch::new(&graph, &format!("v{index}-crash"))?;
        let (supervisor, events) = recording_supervisor(launch.options());
        supervisor
            .start_all(&specs(&graph, &launch, variant, args)?, |_| {})
            .await
            .map_err(|failure| format!("start-up failed: {failure}"))?;
        rigs.push((launch, supervisor, events));
    }
    for crash in 0..args.crashes {
        for (report, (_, supervisor, events)) in reports.iter_mut().zip(&rigs) {
            tokio::time::sleep(args.pause).await;
            let total = report.crash.measure(supervisor, events).await?;
            eprintln!(
                "[{}] crash {}/{}: ready again after {total:.0} ms",
                report.label,
                crash + 1,
                args.crashes,
            );
        }
    }
    for (_, supervisor, _) in &rigs {
        supervisor.stop_all().await;
    }
    Ok(GraphReport { variants: reports })
}

/// A path without its `..` steps (`src-tauri/../sidecar` → `sidecar`), as
/// the record shows it; anything else as it is.
fn tidy(arg: &str) -> String {
    let mut parts: Vec<Component> = Vec::new();
    for part in Path::new(arg).components() {
        match part {
            Component::ParentDir if matches!(parts.last(), Some(Component::Normal(_))) => {
                parts.pop();
            }
            Component::CurDir => {}
            part => parts.push(part),
        }
    }
    parts.iter().collect::<PathBuf>().display().to_string()
}

/// Start and exit the sidecar executable with no role.
fn load_once(command: &[String]) -> Result<f64> {
    let (program, args) = command.split_first().ok_or("no program")?;
    let started = Instant::now();
    Command::new(program)
        .args(args)
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()?;
    Ok(ms(started.elapsed()))
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
        self.all_ready_ms.push(total);
        for spec in specs {
            self.depends_on
                .insert(spec.name.clone(), spec.depends_on.clone());
        }
        for (sidecar, elapsed) in ready {
            self.sidecar_ready_ms
                .entry(sidecar)
                .or_default()
                .push(elapsed);
        }
        Ok(())
    }
}

impl CrashSamples {
    /// SIGKILL the api and time its way back to ready; returns the total.
    async fn measure(&mut self, supervisor: &Supervisor, events: &Events) -> Result<f64> {
        let api = supervisor
            .statuses()
            .into_iter()
            .find(|s| s.name == CRASHED)
            .ok_or("no api")?;
        let old_pid = api
            .pid
            .ok_or_else(|| format!("the api is not running: {api:?}"))?;
        let seen = events.lock().unwrap_or_else(PoisonError::into_inner).len();
        let killed = Instant::now();
        kill(old_pid);
        let after = wait_until(events, seen, Duration::from_secs(30), |e| {
            e.name == CRASHED
                && e.state == SidecarState::Ready
                && e.pid.is_some_and(|p| p != old_pid)
        })
        .await
        .ok_or("the api was not ready again within 30 s of being killed")?;
        let api_events: Vec<Event> = after.into_iter().filter(|e| e.name == CRASHED).collect();
        let at = |pick: &dyn Fn(&Event) -> bool| api_events.iter().find(|e| pick(e)).map(|e| e.at);
        let exit = at(&|e| e.pid.is_none()).ok_or("no exit event")?;
        let restarting = at(&|e| e.state == SidecarState::Restarting).ok_or("no restart")?;
        let starting = at(&|e| e.state == SidecarState::Starting).ok_or("no starting")?;
        // The exit is reported while the state still reads Ready; the match is last.
        let ready = api_events.last().ok_or("no ready")?.at;
        self.kill_to_ready_ms.push(ms(ready - killed));
        self.kill_to_exit_noticed_ms.push(ms(exit - killed));
        self.backoff_ms.push(ms(starting - restarting));
        self.start_to_ready_ms.push(ms(ready - starting));
        Ok(ms(ready - killed))
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

#[cfg(test)]
mod tests {
    use super::tidy;

    #[test]
    fn tidy_drops_parent_steps_only() {
        assert_eq!(
            tidy("/r/apps/x/src-tauri/../sidecar/main.ts"),
            "/r/apps/x/sidecar/main.ts"
        );
        assert_eq!(tidy("../a/./b"), "../a/b");
        assert_eq!(tidy("api"), "api");
    }
}
