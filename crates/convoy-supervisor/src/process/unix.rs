//! Linux and macOS: each sidecar leads its own process group, so one signal
//! reaches it and everything it started.

use tokio::process::{Child, Command};

use super::Signal;

pub fn prepare(command: &mut Command) {
    command.process_group(0);
    #[cfg(target_os = "linux")]
    super::linux::die_with_parent(command);
    // Elsewhere nothing set before exec would survive it (see `macos.rs`).
}

/// Nothing to do after spawning: `prepare` acts before exec.
pub fn tie_to_shell(_child: &Child, _pid: u32) -> std::io::Result<()> {
    Ok(())
}

pub fn forget(_pid: u32) {}

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
