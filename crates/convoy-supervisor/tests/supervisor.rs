//! The supervisor against real child processes (`sh`, `sleep`, a tiny HTTP server in Python).
#![cfg(unix)]

use std::{
    sync::{Arc, Mutex},
    time::Duration,
};

use convoy_supervisor::{
    free_loopback_port, ReadinessProbe, RestartMode, RestartPolicy, SidecarSpec, SidecarState,
    SidecarStatus, StartError, StartStep, Supervisor, SupervisorError, SupervisorOptions,
};

fn sh(name: &str, script: &str) -> SidecarSpec {
    SidecarSpec::new(name, "/bin/sh").args(["-c", script])
}

fn alive(pid: u32) -> bool {
    std::fs::read_to_string(format!("/proc/{pid}/stat"))
        .map(|stat| !stat.contains(") Z "))
        .unwrap_or(false)
}

/// A supervisor whose status changes are recorded.
fn recording(options: SupervisorOptions) -> (Supervisor, Arc<Mutex<Vec<SidecarStatus>>>) {
    let seen = Arc::new(Mutex::new(Vec::new()));
    let sink = seen.clone();
    let supervisor = Supervisor::new(
        options,
        Arc::new(move |status: &SidecarStatus| sink.lock().expect("lock").push(status.clone())),
    );
    (supervisor, seen)
}

fn plain() -> Supervisor {
    recording(SupervisorOptions::default()).0
}

fn status(supervisor: &Supervisor, name: &str) -> SidecarStatus {
    supervisor
        .statuses()
        .into_iter()
        .find(|s| s.name == name)
        .expect("declared")
}

async fn wait_for(what: &str, mut check: impl FnMut() -> bool) {
    for _ in 0..500 {
        if check() {
            return;
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    panic!("timed out waiting for {what}");
}

fn temp_dir(name: &str) -> std::path::PathBuf {
    let dir = std::env::temp_dir().join(format!("convoy-sup-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).expect("temp dir");
    dir
}

fn kill(pid: u32) {
    // SAFETY: kill(2) on a child this test started.
    unsafe {
        libc::kill(pid as libc::pid_t, libc::SIGKILL);
    }
}

fn quick_restarts(max_restarts: u32) -> RestartPolicy {
    RestartPolicy {
        mode: RestartMode::OnFailure,
        initial_backoff: Duration::from_millis(20),
        max_backoff: Duration::from_millis(100),
        max_restarts,
        window: Duration::from_secs(30),
    }
}

#[tokio::test]
async fn starts_in_dependency_order_and_reports_each_step() {
    let supervisor = plain();
    // Declared out of order: the dependencies decide.
    let specs = [
        sh("service", "echo up; exec sleep 30").depends_on(["setup"]),
        sh("setup", "echo preparing; exit 0").one_shot(),
    ];
    let mut steps = Vec::new();
    supervisor
        .start_all(&specs, |step| steps.push(step))
        .await
        .expect("starts");
    let names: Vec<String> = steps
        .iter()
        .map(|step| match step {
            StartStep::Starting { sidecar } => format!("starting {sidecar}"),
            StartStep::Ready { sidecar, .. } => format!("ready {sidecar}"),
        })
        .collect();
    assert_eq!(
        names,
        [
            "starting setup",
            "ready setup",
            "starting service",
            "ready service"
        ]
    );
    assert_eq!(supervisor.names(), ["setup", "service"]);
    assert_eq!(
        supervisor.logs("setup", 10),
        Some(vec!["preparing".to_owned()])
    );
    assert_eq!(status(&supervisor, "setup").state, SidecarState::Stopped);
    let service = status(&supervisor, "service");
    assert_eq!(service.state, SidecarState::Ready);
    let pid = service.pid.expect("running");
    supervisor.stop_all().await;
    assert!(!alive(pid));
    assert_eq!(status(&supervisor, "service").state, SidecarState::Stopped);
}

#[tokio::test]
async fn independent_sidecars_start_side_by_side_and_dependents_wait_for_all() {
    let dir = temp_dir("side-by-side");
    let mark = |name: &str| dir.join(name).display().to_string();
    // Each becomes ready only once the other has started: one after the other, neither would.
    let waits_for = |me: &str, other: &str| {
        format!(
            "touch {}; while [ ! -e {} ]; do sleep 0.01; done; echo ready; exec sleep 30",
            mark(me),
            mark(other)
        )
    };
    let ready = || ReadinessProbe::ReadyLine {
        prefix: "ready".into(),
    };
    let specs = [
        sh("both", "echo ready; exec sleep 30")
            .depends_on(["left", "right"])
            .probe(ready()),
        sh("left", &waits_for("left", "right"))
            .probe(ready())
            .ready_timeout(Duration::from_secs(5)),
        sh("right", &waits_for("right", "left"))
            .probe(ready())
            .ready_timeout(Duration::from_secs(5)),
    ];
    let supervisor = plain();
    let mut steps = Vec::new();
    supervisor
        .start_all(&specs, |step| steps.push(step))
        .await
        .expect("starts");
    let position = |wanted: &str| {
        steps
            .iter()
            .position(|step| match step {
                StartStep::Starting { sidecar } => format!("starting {sidecar}") == wanted,
                StartStep::Ready { sidecar, .. } => format!("ready {sidecar}") == wanted,
            })
            .unwrap_or_else(|| panic!("no step {wanted}: {steps:?}"))
    };
    assert!(position("starting both") > position("ready left"));
    assert!(position("starting both") > position("ready right"));
    assert_eq!(status(&supervisor, "both").state, SidecarState::Ready);
    supervisor.stop_all().await;
    let _ = std::fs::remove_dir_all(&dir);
}

#[tokio::test]
async fn a_failure_beside_a_starting_sidecar_stops_it_once_it_has_started() {
    let dir = temp_dir("failure-beside");
    let pid_file = dir.join("slow.pid");
    let specs = [
        // Still starting when its neighbour fails.
        sh(
            "slow",
            &format!(
                "echo $$ > {}; sleep 0.3; echo ready; exec sleep 30",
                pid_file.display()
            ),
        )
        .probe(ReadinessProbe::ReadyLine {
            prefix: "ready".into(),
        }),
        sh("broken", "echo giving up; exit 3").one_shot(),
        sh("never", "exec sleep 30").depends_on(["slow", "broken"]),
    ];
    let supervisor = plain();
    let failure = supervisor
        .start_all(&specs, |_| {})
        .await
        .expect_err("broken fails");
    assert_eq!(failure.sidecar, "broken");
    assert!(matches!(
        failure.error,
        StartError::OneShotFailed { code: Some(3) }
    ));
    let pid: u32 = std::fs::read_to_string(&pid_file)
        .expect("slow started")
        .trim()
        .parse()
        .expect("a pid");
    assert!(!alive(pid), "slow was left running");
    assert_eq!(status(&supervisor, "never").pid, None);
    assert!(supervisor.statuses().iter().all(|s| s.pid.is_none()));
    let _ = std::fs::remove_dir_all(&dir);
}

#[tokio::test]
async fn a_dependency_cycle_is_refused_before_anything_starts() {
    let supervisor = plain();
    let specs = [
        sh("a", "exec sleep 30").depends_on(["b"]),
        sh("b", "exec sleep 30").depends_on(["a"]),
    ];
    let failure = supervisor
        .start_all(&specs, |_| {})
        .await
        .expect_err("a cycle");
    assert!(
        matches!(failure.error, StartError::Graph { .. }),
        "{failure:?}"
    );
    assert!(supervisor.statuses().iter().all(|s| s.pid.is_none()));
}

#[tokio::test]
async fn stops_in_reverse_order() {
    let dir = temp_dir("order");
    let record = dir.join("stopped");
    let script = |name: &str| {
        format!(
            "trap 'echo {name} >> {}; exit 0' TERM; echo ready; while :; do sleep 0.05; done",
            record.display()
        )
    };
    let supervisor = plain();
    // Gated on a line printed after the trap is set, so each can record its stop.
    let ready = || ReadinessProbe::ReadyLine {
        prefix: "ready".into(),
    };
    let specs = [
        sh("first", &script("first")).probe(ready()),
        sh("second", &script("second"))
            .depends_on(["first"])
            .probe(ready()),
        sh("third", &script("third"))
            .depends_on(["second"])
            .probe(ready()),
    ];
    supervisor.start_all(&specs, |_| {}).await.expect("starts");
    supervisor.stop_all().await;
    let order = std::fs::read_to_string(&record).expect("each recorded its stop");
    assert_eq!(
        order.lines().collect::<Vec<_>>(),
        ["third", "second", "first"]
    );
    let _ = std::fs::remove_dir_all(&dir);
}

#[tokio::test]
async fn a_failing_one_shot_stops_start_up_and_keeps_its_last_lines() {
    let supervisor = plain();
    let specs = [
        sh("first", "exec sleep 30"),
        sh("migrate", "echo 'bad migration' >&2; exit 4")
            .one_shot()
            .depends_on(["first"]),
        sh("never", "exec sleep 30").depends_on(["migrate"]),
    ];
    let mut started = Vec::new();
    let failure = supervisor
        .start_all(&specs, |step| {
            if let StartStep::Starting { sidecar } = step {
                started.push(sidecar);
            }
        })
        .await
        .expect_err("fails");
    assert_eq!(failure.sidecar, "migrate");
    assert_eq!(failure.error, StartError::OneShotFailed { code: Some(4) });
    assert_eq!(failure.last_lines, vec!["bad migration"]);
    assert_eq!(started, ["first", "migrate"]);
    assert_eq!(status(&supervisor, "migrate").state, SidecarState::Failed);
    assert_eq!(status(&supervisor, "never").state, SidecarState::Pending);
    assert!(
        supervisor.statuses().iter().all(|s| s.pid.is_none()),
        "started sidecars were stopped"
    );
}

#[tokio::test]
async fn a_missing_executable_is_a_spawn_error() {
    let supervisor = plain();
    let specs = [SidecarSpec::new("api", "/nonexistent/runbook-sidecar")];
    let failure = supervisor
        .start_all(&specs, |_| {})
        .await
        .expect_err("fails");
    assert!(
        matches!(failure.error, StartError::Spawn { .. }),
        "{failure:?}"
    );
}

#[tokio::test]
async fn a_service_that_exits_before_ready_is_reported_with_its_code() {
    let supervisor = plain();
    let port = free_loopback_port().expect("port");
    let specs = [sh("api", "echo 'port in use'; exit 3").probe(ReadinessProbe::Tcp { port })];
    let failure = supervisor
        .start_all(&specs, |_| {})
        .await
        .expect_err("fails");
    assert_eq!(failure.error, StartError::ExitedEarly { code: Some(3) });
    assert_eq!(failure.last_lines, vec!["port in use"]);
}

#[tokio::test]
async fn a_service_that_never_becomes_ready_times_out_and_is_stopped() {
    let supervisor = plain();
    let port = free_loopback_port().expect("port");
    let specs = [sh("api", "echo $$; exec sleep 30")
        .probe(ReadinessProbe::Tcp { port })
        .ready_timeout(Duration::from_millis(300))];
    let failure = supervisor
        .start_all(&specs, |_| {})
        .await
        .expect_err("fails");
    assert_eq!(
        failure.error,
        StartError::NotReady {
            timeout: Duration::from_millis(300)
        }
    );
    let pid: u32 = failure.last_lines[0].parse().expect("pid printed");
    assert!(!alive(pid), "the unready sidecar was stopped");
}

#[tokio::test]
async fn http_readiness_waits_for_the_server() {
    let supervisor = plain();
    let port = free_loopback_port().expect("port");
    let server = format!("sleep 0.2; exec python3 -m http.server --bind 127.0.0.1 {port}");
    let specs = [sh("api", &server)
        .port(port)
        .probe(ReadinessProbe::HttpGet {
            port,
            path: "/".into(),
        })];
    supervisor.start_all(&specs, |_| {}).await.expect("ready");
    let log = convoy_supervisor::LogBuffer::new(1, vec![]);
    assert!(ReadinessProbe::Tcp { port }.check(&log).await);
    assert_eq!(status(&supervisor, "api").port, Some(port));
    supervisor.stop_all().await;
    assert!(!ReadinessProbe::Tcp { port }.check(&log).await);
}

#[tokio::test]
async fn a_ready_line_gates_start_up() {
    let supervisor = plain();
    let specs = [sh(
        "worker",
        "echo booting; sleep 0.2; echo 'convoy:ready worker'; exec sleep 30",
    )
    .probe(ReadinessProbe::ReadyLine {
        prefix: "convoy:ready".into(),
    })];
    let mut elapsed = Duration::ZERO;
    supervisor
        .start_all(&specs, |step| {
            if let StartStep::Ready { elapsed: e, .. } = step {
                elapsed = e;
            }
        })
        .await
        .expect("ready");
    assert!(elapsed >= Duration::from_millis(200), "{elapsed:?}");
    supervisor.stop_all().await;
}

#[tokio::test]
async fn stop_ends_the_whole_process_group_even_if_sigterm_is_ignored() {
    let supervisor = plain();
    // The shell ignores SIGTERM and has a grandchild; both must go.
    let specs =
        [sh("stubborn", "trap '' TERM; sleep 30 & echo $!; wait")
            .grace(Duration::from_millis(200))];
    supervisor.start_all(&specs, |_| {}).await.expect("starts");
    let mut grandchild = None;
    wait_for("the grandchild's pid", || {
        grandchild = supervisor
            .logs("stubborn", 1)
            .and_then(|l| l.first()?.parse::<u32>().ok());
        grandchild.is_some()
    })
    .await;
    let grandchild = grandchild.expect("grandchild pid printed");
    let leader = status(&supervisor, "stubborn").pid.expect("running");
    supervisor.stop_all().await;
    tokio::time::sleep(Duration::from_millis(50)).await;
    assert!(!alive(leader));
    assert!(!alive(grandchild));
}

#[tokio::test]
async fn a_killed_service_is_restarted_and_reported() {
    let (supervisor, seen) = recording(SupervisorOptions::default());
    let specs = [sh("api", "echo 'convoy:ready'; exec sleep 30")
        .restart(quick_restarts(5))
        .probe(ReadinessProbe::ReadyLine {
            prefix: "convoy:ready".into(),
        })];
    supervisor.start_all(&specs, |_| {}).await.expect("starts");
    let first = status(&supervisor, "api").pid.expect("running");
    kill(first);
    wait_for("a new process", || {
        let s = status(&supervisor, "api");
        s.state == SidecarState::Ready && s.pid.is_some_and(|p| p != first)
    })
    .await;
    let now = status(&supervisor, "api");
    assert_eq!(now.restarts, 1);
    assert_eq!(now.last_exit_code, None, "killed by a signal");
    let states: Vec<SidecarState> = seen
        .lock()
        .expect("lock")
        .iter()
        .filter(|s| s.name == "api")
        .map(|s| s.state)
        .collect();
    let restarting = states
        .iter()
        .position(|&s| s == SidecarState::Restarting)
        .expect("reported restarting");
    assert!(states[restarting..].contains(&SidecarState::Ready));
    supervisor.stop_all().await;
}

#[tokio::test]
async fn a_sidecar_that_always_crashes_is_marked_failed_within_its_budget() {
    let dir = temp_dir("crash");
    let starts = dir.join("starts");
    let script = format!("echo start >> {}; sleep 0.05; exit 1", starts.display());
    let supervisor = plain();
    let specs = [sh("flaky", &script).restart(quick_restarts(3))];
    supervisor.start_all(&specs, |_| {}).await.expect("starts");
    wait_for("failed", || {
        status(&supervisor, "flaky").state == SidecarState::Failed
    })
    .await;
    let failed = status(&supervisor, "flaky");
    assert_eq!(failed.restarts, 3);
    assert_eq!(failed.last_exit_code, Some(1));
    assert!(
        failed.reason.as_deref().unwrap_or("").contains("gave up"),
        "{failed:?}"
    );
    let count = || {
        std::fs::read_to_string(&starts)
            .expect("starts file")
            .lines()
            .count()
    };
    assert_eq!(count(), 4, "the first start and three restarts");
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert_eq!(count(), 4, "no more starts once failed");

    // A manual restart gives it a fresh budget.
    supervisor.restart("flaky").expect("restartable");
    wait_for("a fifth start", || count() >= 5).await;
    supervisor.stop_all().await;
    let _ = std::fs::remove_dir_all(&dir);
}

#[tokio::test]
async fn never_restart_marks_a_crash_failed() {
    let supervisor = plain();
    let specs = [sh("once", "sleep 0.05; exit 7").restart(RestartPolicy::never())];
    supervisor.start_all(&specs, |_| {}).await.expect("starts");
    wait_for("failed", || {
        status(&supervisor, "once").state == SidecarState::Failed
    })
    .await;
    assert_eq!(status(&supervisor, "once").restarts, 0);
    supervisor.stop_all().await;
}

#[tokio::test]
async fn manual_restart_replaces_the_process() {
    let supervisor = plain();
    let specs = [sh("api", "exec sleep 30")];
    supervisor.start_all(&specs, |_| {}).await.expect("starts");
    let first = status(&supervisor, "api").pid.expect("running");
    supervisor.restart("api").expect("restart");
    wait_for("a new process", || {
        let s = status(&supervisor, "api");
        s.state == SidecarState::Ready && s.pid.is_some_and(|p| p != first)
    })
    .await;
    assert!(!alive(first));
    assert_eq!(status(&supervisor, "api").restarts, 1);
    assert_eq!(
        supervisor.restart("nope"),
        Err(SupervisorError::UnknownSidecar {
            name: "nope".into()
        })
    );
    supervisor.stop_all().await;
}

#[tokio::test]
async fn secrets_never_reach_the_log() {
    let dir = temp_dir("secrets");
    let (supervisor, _) = recording(SupervisorOptions {
        secrets: vec!["tok3n-value".into()],
        log_dir: Some(dir.clone()),
        ..SupervisorOptions::default()
    });
    let specs = [sh("api", "echo \"token is $CONVOY_API_TOKEN\"")
        .one_shot()
        .env("CONVOY_API_TOKEN", "tok3n-value")];
    supervisor.start_all(&specs, |_| {}).await.expect("runs");
    assert_eq!(
        supervisor.logs("api", 1),
        Some(vec!["token is [redacted]".to_owned()])
    );
    let file = std::fs::read_to_string(dir.join("api.log")).expect("log file");
    assert_eq!(file, "token is [redacted]\n");
    let _ = std::fs::remove_dir_all(&dir);
}

#[tokio::test]
async fn every_sidecar_carries_the_launch_id() {
    let supervisor = recording(SupervisorOptions {
        launch_id: Some("abc123".into()),
        ..SupervisorOptions::default()
    })
    .0;
    let specs = [sh("env", "echo $CONVOY_LAUNCH_ID").one_shot()];
    supervisor.start_all(&specs, |_| {}).await.expect("runs");
    assert_eq!(supervisor.logs("env", 1), Some(vec!["abc123".to_owned()]));
}

/// This process's peak resident memory, in KiB.
fn peak_rss_kib() -> u64 {
    std::fs::read_to_string("/proc/self/status")
        .unwrap_or_default()
        .lines()
        .find_map(|line| line.strip_prefix("VmHWM:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
        .unwrap_or(0)
}

#[tokio::test]
async fn a_flood_of_output_never_blocks_the_sidecar_and_memory_stays_bounded() {
    // 200 MB in lines and `\r` progress updates, with no newline at the end,
    // through a supervisor that also writes every line to rotating files.
    let dir = temp_dir("flood");
    let script =
        "i=0; while [ $i -lt 25 ]; do head -c 8000000 /dev/zero | tr '\\0' 'x' | fold -w 100; \
                  printf '\\nprogress %d\\r' $i; i=$((i+1)); done; printf 'the end'";
    let (supervisor, _) = recording(SupervisorOptions {
        log_dir: Some(dir.clone()),
        ..SupervisorOptions::default()
    });
    let specs = [sh("flood", script)
        .one_shot()
        .ready_timeout(Duration::from_secs(120))];
    let peak_before = peak_rss_kib();
    supervisor
        .start_all(&specs, |_| {})
        .await
        .expect("finishes");
    let growth_mib = (peak_rss_kib().saturating_sub(peak_before)) / 1024;
    assert!(
        growth_mib < 64,
        "peak memory grew by {growth_mib} MiB for 200 MB of output"
    );

    let tail = supervisor.logs("flood", 3).expect("declared");
    assert_eq!(tail.last().map(String::as_str), Some("the end"));
    assert!(tail.contains(&"progress 24".to_owned()), "{tail:?}");
    let (_, _, total) = supervisor.logs_since("flood", 0, 1).expect("declared");
    assert_eq!(total, 25 * 80_000 + 25 + 1);
    let on_disk: u64 = std::fs::read_dir(&dir)
        .expect("log dir")
        .map(|e| e.expect("entry").metadata().expect("meta").len())
        .sum();
    assert!(
        on_disk < 20 * 1024 * 1024,
        "log files are bounded: {on_disk} bytes"
    );
    let _ = std::fs::remove_dir_all(&dir);
}

/// A descriptor the shell's process has open without close-on-exec (as a
/// library may leave one: libdbus's pipe to a helper) never reaches a
/// sidecar, so a reader of that pipe never waits on the sidecar.
#[cfg(target_os = "linux")]
#[tokio::test]
async fn a_sidecar_inherits_no_stray_descriptor() {
    use std::os::fd::AsRawFd;
    let (reader, writer) = std::io::pipe().expect("pipe");
    // Leak the write end on purpose: clear its close-on-exec flag, as a library would.
    let leaked = writer.as_raw_fd();
    // SAFETY: fcntl on a descriptor this test owns.
    unsafe {
        let flags = libc::fcntl(leaked, libc::F_GETFD);
        assert!(flags >= 0);
        assert_eq!(
            libc::fcntl(leaked, libc::F_SETFD, flags & !libc::FD_CLOEXEC),
            0
        );
    }
    let supervisor = plain();
    let specs = [sh("lister", "ls /proc/$$/fd | tr '\\n' ' '; echo").one_shot()];
    supervisor.start_all(&specs, |_| {}).await.expect("starts");
    let lines = supervisor.logs("lister", 10).expect("logs");
    let fds: Vec<&str> = lines.last().expect("a line").split_whitespace().collect();
    assert!(
        fds.contains(&"0") && fds.contains(&"2"),
        "the stdio pipes are there: {fds:?}"
    );
    assert!(
        !fds.contains(&leaked.to_string().as_str()),
        "descriptor {leaked} reached the sidecar: {fds:?}"
    );
    drop((reader, writer));
    supervisor.stop_all().await;
}
