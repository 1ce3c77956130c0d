//! macOS has no parent-death signal, and nothing the shell sets before exec
//! survives it; a `pre_exec` closure would only make std fork the whole
//! (Cocoa, multi-threaded) shell instead of using posix_spawn. So each
//! sidecar watches its parent itself: the TypeScript sidecars exit when their
//! stdin closes, and a Rust sidecar calls `watch_parent_exit`.

use std::{
    io,
    os::fd::{AsRawFd, FromRawFd, OwnedFd},
    process, ptr, thread,
    time::Duration,
};

/// Exits this process when `parent_pid`, the shell that spawned it
/// directly, exits; at once if it already has. The watch is a kqueue
/// `EVFILT_PROC`/`NOTE_EXIT` on a background thread.
pub fn watch_parent_exit(parent_pid: u32) -> io::Result<()> {
    let parent = libc::pid_t::try_from(parent_pid)
        .ok()
        .filter(|&pid| pid > 0)
        .ok_or_else(|| io::Error::from(io::ErrorKind::InvalidInput))?;
    // Already adopted by launchd: the shell died before we looked.
    if parent == 1 {
        process::exit(1);
    }
    // SAFETY: kqueue takes no arguments; the result is checked.
    let queue = unsafe { libc::kqueue() };
    if queue < 0 {
        return Err(io::Error::last_os_error());
    }
    // SAFETY: `queue` is a descriptor we just opened and nothing else owns.
    let queue = unsafe { OwnedFd::from_raw_fd(queue) };
    let watch = libc::kevent {
        ident: parent_pid as usize,
        filter: libc::EVFILT_PROC,
        flags: libc::EV_ADD,
        fflags: libc::NOTE_EXIT,
        data: 0,
        udata: ptr::null_mut(),
    };
    // SAFETY: one valid change in, no event buffer out; with no room for
    // events a failed registration is reported through errno.
    let registered = unsafe {
        libc::kevent(
            queue.as_raw_fd(),
            &watch,
            1,
            ptr::null_mut(),
            0,
            ptr::null(),
        )
    };
    if registered < 0 {
        let err = io::Error::last_os_error();
        if err.raw_os_error() == Some(libc::ESRCH) {
            process::exit(1); // The parent is already gone.
        }
        return Err(err);
    }
    // The parent may have exited, and its pid been reused, before the
    // watch was registered; then we have been reparented.
    // SAFETY: getppid cannot fail and touches no memory.
    let parent_alive = move || unsafe { libc::getppid() } == parent;
    if !parent_alive() {
        process::exit(1);
    }
    thread::Builder::new()
        .name("parent-exit-watch".to_owned())
        .spawn(move || loop {
            let mut event = libc::kevent {
                ident: 0,
                filter: 0,
                flags: 0,
                fflags: 0,
                data: 0,
                udata: ptr::null_mut(),
            };
            // SAFETY: room for exactly one event; a null timeout blocks until it comes.
            let fired = unsafe {
                libc::kevent(
                    queue.as_raw_fd(),
                    ptr::null(),
                    0,
                    &mut event,
                    1,
                    ptr::null(),
                )
            };
            if fired > 0 {
                process::exit(1); // The only event registered is the parent's exit.
            }
            if fired < 0 && io::Error::last_os_error().kind() != io::ErrorKind::Interrupted {
                // A valid queue fails only on a signal; should it fail
                // otherwise, polling still keeps the promise.
                while parent_alive() {
                    thread::sleep(Duration::from_secs(1));
                }
                process::exit(1);
            }
        })?;
    Ok(())
}
