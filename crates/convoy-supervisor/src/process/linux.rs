//! Linux: a sidecar dies with the shell (`PR_SET_PDEATHSIG`) and inherits no
//! descriptor but its three pipes.

use tokio::process::Command;

/// Has the kernel send the sidecar SIGTERM when the thread that spawned it
/// exits, and marks the shell's other descriptors close-on-exec.
pub fn die_with_parent(command: &mut Command) {
    // SAFETY: getpid and sysconf are safe to call here, before fork.
    let parent = unsafe { libc::getpid() };
    let max_fd = match unsafe { libc::sysconf(libc::_SC_OPEN_MAX) } {
        n if n > 3 => libc::c_int::try_from(n).unwrap_or(libc::c_int::MAX),
        _ => 1024,
    };
    // SAFETY: the closure runs between fork and exec and calls only
    // async-signal-safe functions (prctl, getppid, syscall, fcntl, _exit).
    unsafe {
        command.pre_exec(move || {
            if libc::prctl(libc::PR_SET_PDEATHSIG, libc::SIGTERM) != 0 {
                return Err(std::io::Error::last_os_error());
            }
            // The parent may have died before prctl took effect.
            if libc::getppid() != parent {
                libc::_exit(1);
            }
            close_inherited_fds_on_exec(max_fd);
            Ok(())
        });
    }
}

/// Marks every descriptor above stderr close-on-exec, so a sidecar gets
/// its three pipes and nothing else the shell had open. A descriptor
/// opened without `O_CLOEXEC` by a library (libdbus's pipe to a helper it
/// forked, while a window was being created) would otherwise stay open in
/// the sidecar, and whoever reads that pipe to its end would wait for as
/// long as the sidecar lives. Runs between fork and exec: only
/// async-signal-safe calls. std's own exec-error pipe is already
/// close-on-exec, so it still reports a failed exec.
///
/// # Safety
/// Only between fork and exec.
unsafe fn close_inherited_fds_on_exec(max_fd: libc::c_int) {
    // Linux 5.11+: one system call.
    // SAFETY: close_range only changes descriptor flags.
    let done = unsafe {
        libc::syscall(
            libc::SYS_close_range,
            3 as libc::c_uint,
            libc::c_uint::MAX,
            libc::CLOSE_RANGE_CLOEXEC,
        )
    } == 0;
    if done {
        return;
    }
    for fd in 3..max_fd {
        // SAFETY: fcntl on a descriptor that may not exist fails with EBADF, harmlessly.
        unsafe {
            let flags = libc::fcntl(fd, libc::F_GETFD);
            if flags >= 0 && flags & libc::FD_CLOEXEC == 0 {
                libc::fcntl(fd, libc::F_SETFD, flags | libc::FD_CLOEXEC);
            }
        }
    }
}
