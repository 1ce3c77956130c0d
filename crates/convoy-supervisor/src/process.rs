use std::{process::Stdio, time::Duration};

use tokio::{
    process::{Child, ChildStdin, Command},
    task::JoinHandle,
    time::timeout,
};

use crate::{error::StartError, log::LogBuffer, spec::SidecarSpec};

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
            .process_group(0)
            .kill_on_drop(true);
        platform::die_with_parent(&mut command);

        let mut child = command.spawn().map_err(|err| StartError::Spawn {
            program: spec.program.display().to_string(),
            reason: err.to_string(),
        })?;
        let pid = child.id().unwrap_or_default();
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
        platform::signal_group(self.pid, platform::Signal::Terminate);
        if timeout(self.grace, self.child.wait()).await.is_err() {
            platform::signal_group(self.pid, platform::Signal::Kill);
            let _ = self.child.wait().await;
        }
        // The leader is gone; anything it left behind in its group goes too.
        platform::signal_group(self.pid, platform::Signal::Kill);
        self.flush_output().await;
    }
}

impl Drop for RunningSidecar {
    /// A sidecar dropped without `stop` (an aborted start, a panic) takes its
    /// whole process group with it.
    fn drop(&mut self) {
        if !self.stopped {
            platform::signal_group(self.pid, platform::Signal::Kill);
        }
    }
}

/// Sends SIGKILL to a sidecar's process group at once; for exit paths that
/// cannot wait (a panic, a fatal signal).
pub fn kill_group_now(pgid: u32) {
    platform::signal_group(pgid, platform::Signal::Kill);
}

#[cfg(unix)]
mod platform {
    pub enum Signal {
        Terminate,
        Kill,
    }

    pub fn signal_group(pgid: u32, signal: Signal) {
        let Ok(pgid) = libc::pid_t::try_from(pgid) else {
            return;
        };
        if pgid <= 1 {
            return;
        }
        let signal = match signal {
            Signal::Terminate => libc::SIGTERM,
            Signal::Kill => libc::SIGKILL,
        };
        // SAFETY: kill(2) with a negative pid signals a process group; no memory is touched.
        unsafe {
            libc::kill(-pgid, signal);
        }
    }

    #[cfg(target_os = "linux")]
    pub fn die_with_parent(command: &mut tokio::process::Command) {
        // SAFETY: getpid is async-signal-safe; called before fork.
        let parent = unsafe { libc::getpid() };
        // SAFETY: the closure runs between fork and exec and calls only
        // async-signal-safe functions (prctl, getppid, _exit).
        unsafe {
            command.pre_exec(move || {
                if libc::prctl(libc::PR_SET_PDEATHSIG, libc::SIGTERM) != 0 {
                    return Err(std::io::Error::last_os_error());
                }
                // The parent may have died before prctl took effect.
                if libc::getppid() != parent {
                    libc::_exit(1);
                }
                Ok(())
            });
        }
    }

    #[cfg(not(target_os = "linux"))]
    pub fn die_with_parent(_command: &mut tokio::process::Command) {}
}

#[cfg(not(unix))]
mod platform {
    pub enum Signal {
        Terminate,
        Kill,
    }
    pub fn signal_group(_pgid: u32, _signal: Signal) {}
    pub fn die_with_parent(_command: &mut tokio::process::Command) {}
}
