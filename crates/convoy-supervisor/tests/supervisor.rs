//! The supervisor against real child processes (`sh`, `sleep`, a tiny HTTP server in Python).

use std::time::Duration;

use convoy_supervisor::{
    free_loopback_port, ReadinessProbe, SidecarSpec, StartError, StartStep, Supervisor,
};

fn sh(name: &str, script: &str) -> SidecarSpec {
    SidecarSpec::new(name, "/bin/sh").args(["-c", script])
}

fn alive(pid: u32) -> bool {
    std::path::Path::new(&format!("/proc/{pid}")).exists()
        && !std::fs::read_to_string(format!("/proc/{pid}/stat"))
            .unwrap_or_default()
            .contains(") Z ")
}

#[tokio::test]
async fn starts_in_order_and_reports_each_step() {
    let supervisor = Supervisor::new(vec![]);
    let specs = [
        sh("setup", "echo preparing; exit 0").one_shot(),
        sh("service", "echo up; exec sleep 30"),
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
    assert_eq!(
        supervisor.logs("setup", 10),
        Some(vec!["preparing".to_owned()])
    );
    let pids = supervisor.pids().await;
    assert_eq!(pids.len(), 1);
    supervisor.stop_all().await;
    assert!(!alive(pids[0].1));
}

#[tokio::test]
async fn a_failing_one_shot_stops_start_up_and_keeps_its_last_lines() {
    let supervisor = Supervisor::new(vec![]);
    let specs = [
        sh("first", "exec sleep 30"),
        sh("migrate", "echo 'bad migration' >&2; exit 4").one_shot(),
        sh("never", "exec sleep 30"),
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
    assert!(
        supervisor.pids().await.is_empty(),
        "started sidecars were stopped"
    );
}

#[tokio::test]
async fn a_missing_executable_is_a_spawn_error() {
    let supervisor = Supervisor::new(vec![]);
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
    let supervisor = Supervisor::new(vec![]);
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
    let supervisor = Supervisor::new(vec![]);
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
    let supervisor = Supervisor::new(vec![]);
    let port = free_loopback_port().expect("port");
    let server = format!("sleep 0.2; exec python3 -m http.server --bind 127.0.0.1 {port}");
    let specs = [sh("api", &server).probe(ReadinessProbe::HttpGet {
        port,
        path: "/".into(),
    })];
    supervisor.start_all(&specs, |_| {}).await.expect("ready");
    assert!(ReadinessProbe::Tcp { port }.check().await);
    supervisor.stop_all().await;
    assert!(!ReadinessProbe::Tcp { port }.check().await);
}

#[tokio::test]
async fn stop_ends_the_whole_process_group_even_if_sigterm_is_ignored() {
    let supervisor = Supervisor::new(vec![]);
    // The shell ignores SIGTERM and has a grandchild; both must go.
    let specs =
        [sh("stubborn", "trap '' TERM; sleep 30 & echo $!; wait")
            .grace(Duration::from_millis(200))];
    supervisor.start_all(&specs, |_| {}).await.expect("starts");
    let mut grandchild = None;
    for _ in 0..100 {
        grandchild = supervisor
            .logs("stubborn", 1)
            .and_then(|l| l.first()?.parse::<u32>().ok());
        if grandchild.is_some() {
            break;
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    let grandchild = grandchild.expect("grandchild pid printed");
    let leader = supervisor.pids().await[0].1;
    supervisor.stop_all().await;
    tokio::time::sleep(Duration::from_millis(50)).await;
    assert!(!alive(leader));
    assert!(!alive(grandchild));
}

#[tokio::test]
async fn secrets_never_reach_the_log() {
    let supervisor = Supervisor::new(vec!["tok3n-value".into()]);
    let specs = [sh("api", "echo \"token is $CONVOY_API_TOKEN\"")
        .one_shot()
        .env("CONVOY_API_TOKEN", "tok3n-value")];
    supervisor.start_all(&specs, |_| {}).await.expect("runs");
    assert_eq!(
        supervisor.logs("api", 1),
        Some(vec!["token is [redacted]".to_owned()])
    );
}
