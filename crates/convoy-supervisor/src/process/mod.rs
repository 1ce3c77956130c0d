//! Owning a sidecar process: spawning it so it cannot outlive the shell,
//! draining its output, and stopping it with everything it started.
//!
//! What differs by OS sits behind one seam, one file per platform, each
//! providing the same functions:
//!
//! - `prepare(&mut Command)`: what must be set before spawning;
//! - `tie_to_shell(&Child, pid)`: what must be done once it is spawned, before
//!   it runs anything of its own;
//! - `signal_group(pid, Signal)`: a signal to the sidecar and all it started;
//! - `forget(pid)`: releases whatever the platform kept for the sidecar.
//!
//! `unix.rs` (process groups, shared by Linux and macOS) uses `linux.rs`
//! (parent-death signal, descriptors closed on exec); `macos.rs` has the
//! parent watch a Rust sidecar runs itself; `windows.rs` has the Job Objects.

use std::{process::Stdio, time::Duration};

use tokio::{
    process::{Child, ChildStdin, Command},
    task::JoinHandle,
    time::timeout,
};

use crate::{error::StartError, log::LogBuffer, spec::SidecarSpec};

#[cfg(target_os = "linux")]
mod linux;
#[cfg(target_os = "macos")]
mod macos;
#[cfg(unix)]
mod unix;
#[cfg(windows)]
mod windows;

#[cfg(unix)]
use unix as platform;
#[cfg(windows)]
use windows as platform;

/// For a Rust sidecar on macOS, which has no parent-death signal: call it
/// first thing in `main` with `std::os::unix::process::parent_id()`.
#[cfg(target_os = "macos")]
pub use macos::watch_parent_exit;

/// How hard `signal_group` asks.
enum Signal {
    /// Stop, cleaning up first.
    Terminate,
    /// Stop now.
    Kill,
}

/// A sidecar process the supervisor owns, leader of its own process group.
pub struct RunningSidecar {
    pub pid: u32,
    child: Child,
    /// Held open for the sidecar's life: its closing tells the sidecar the
    /// shell is gone, even if the shell was killed outright.
    stdin: Option<ChildStdin>,
    readers: Vec<JoinHandle<()>>,
    grace: Duration,
    stopped: bool,
}

impl RunningSidecar {
    /// Spawns `spec`. Must run on a long-lived thread (a runtime worker, not a
    /// blocking-pool thread): Linux delivers the parent-death signal when the
    /// spawning *thread* exits.
    pub fn spawn(spec: &SidecarSpec, log: LogBuffer) -> Result<Self, StartError> {
        let mut command = Command::new(&spec.program);
        command
            .args(&spec.args)
            .envs(spec.env.iter().map(|(k, v)| (k, v)))
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .kill_on_drop(true);
        platform::prepare(&mut command);

        let spawn_error = |err: std::io::Error| StartError::Spawn {
            program: spec.program.display().to_string(),
            reason: err.to_string(),
        };
        let mut child = command.spawn().map_err(spawn_error)?;
        let pid = child.id().unwrap_or_default();
        // On failure `child` is dropped, and killed, before it can outlive us.
        platform::tie_to_shell(&child, pid).map_err(spawn_error)?;
        log.mark_restart();
        let mut readers = Vec::with_capacity(2);
        if let Some(stdout) = child.stdout.take() {
            let log = log.clone();
            readers.push(tokio::spawn(async move { log.drain(stdout).await }));
        }
        if let Some(stderr) = child.stderr.take() {
            let log = log.clone();
            readers.push(tokio::spawn(async move { log.drain(stderr).await }));
        }
        Ok(Self {
            pid,
            stdin: child.stdin.take(),
            child,
            readers,
            grace: spec.grace,
            stopped: false,
        })
    }

    /// `Some(code)` once the process has exited (`None` inside: killed by a signal).
    pub fn exit_status(&mut self) -> Option<Option<i32>> {
        match self.child.try_wait() {
            Ok(Some(status)) => Some(status.code()),
            Ok(None) => None,
            Err(_) => Some(None),
        }
    }

    pub async fn wait(&mut self) -> Option<i32> {
        self.child
            .wait()
            .await
            .ok()
            .and_then(|status| status.code())
    }

    /// Waits briefly for the output readers so the last lines are in the log.
    pub async fn flush_output(&mut self) {
        for reader in self.readers.drain(..) {
            let _ = timeout(Duration::from_millis(500), reader).await;
        }
    }

    /// SIGTERM to the whole group, the grace period, then SIGKILL.
    pub async fn stop(&mut self) {
        self.stopped = true;
        self.stdin.take();
        platform::signal_group(self.pid, Signal::Terminate);
        if timeout(self.grace, self.child.wait()).await.is_err() {
            platform::signal_group(self.pid, Signal::Kill);
            let _ = self.child.wait().await;
        }
        // The leader is gone; anything it left behind in its group goes too.
        platform::signal_group(self.pid, Signal::Kill);
        self.flush_output().await;
    }
}

impl Drop for RunningSidecar {
    /// A sidecar dropped without `stop` (an aborted start, a panic) takes its
    /// whole process group with it.
    fn drop(&mut self) {
        if !self.stopped {
            platform::signal_group(self.pid, Signal::Kill);
        }
        platform::forget(self.pid);
    }
}

/// Sends SIGKILL to a sidecar's process group at once; for exit paths that
/// cannot wait (a panic, a fatal signal).
pub fn kill_group_now(pgid: u32) {
    platform::signal_group(pgid, Signal::Kill);
}
