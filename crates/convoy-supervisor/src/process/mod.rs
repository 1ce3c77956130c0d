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
            .kill_on_drop(true);
        platform::new_process_group(&mut command);
        platform::die_with_parent(&mut command);

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
        platform::forget(self.pid);
    }
}

/// Sends SIGKILL to a sidecar's process group at once; for exit paths that
/// cannot wait (a panic, a fatal signal).
pub fn kill_group_now(pgid: u32) {
    platform::signal_group(pgid, platform::Signal::Kill);
}

/// For a Rust sidecar on macOS, which has no parent-death signal: call it
/// first thing in `main` with `std::os::unix::process::parent_id()`.
#[cfg(target_os = "macos")]
pub use platform::watch_parent_exit;

#[cfg(unix)]
mod platform {
    use tokio::process::{Child, Command};

    pub enum Signal {
        Terminate,
        Kill,
    }

    pub fn new_process_group(command: &mut Command) {
        command.process_group(0);
    }

    /// Nothing to do after spawning: `die_with_parent` acts before exec.
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

    #[cfg(target_os = "linux")]
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
    #[cfg(target_os = "linux")]
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

    /// macOS has no parent-death signal, and nothing the shell sets before
    /// exec survives it; a `pre_exec` closure would only make std fork the
    /// whole (Cocoa, multi-threaded) shell instead of using posix_spawn. So
    /// each sidecar watches its parent itself: the TypeScript sidecars exit
    /// when their stdin closes, and a Rust sidecar calls `watch_parent_exit`.
    #[cfg(not(target_os = "linux"))]
    pub fn die_with_parent(_command: &mut Command) {}

    /// Exits this process when `parent_pid`, the shell that spawned it
    /// directly, exits; at once if it already has. The watch is a kqueue
    /// `EVFILT_PROC`/`NOTE_EXIT` on a background thread.
    #[cfg(target_os = "macos")]
    pub fn watch_parent_exit(parent_pid: u32) -> std::io::Result<()> {
        use std::{
            io,
            os::fd::{AsRawFd, FromRawFd, OwnedFd},
            process, ptr, thread,
            time::Duration,
        };

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
}

/// Windows has no process-group signals and no parent-death signal; a Job
/// Object gives both "kill this sidecar and everything it started" and "when
/// the shell dies, for any reason, so does every sidecar".
#[cfg(windows)]
mod platform {
    use std::{
        collections::BTreeMap,
        io,
        os::windows::io::{AsRawHandle, FromRawHandle, OwnedHandle},
        ptr,
        sync::{Mutex, OnceLock, PoisonError},
    };

    use tokio::process::{Child, Command};
    use windows_sys::Win32::System::{
        JobObjects::{
            AssignProcessToJobObject, CreateJobObjectW, JobObjectExtendedLimitInformation,
            SetInformationJobObject, TerminateJobObject, JOBOBJECT_EXTENDED_LIMIT_INFORMATION,
            JOB_OBJECT_LIMIT_KILL_ON_JOB_CLOSE,
        },
        Threading::{CREATE_NEW_PROCESS_GROUP, CREATE_NO_WINDOW},
    };

    pub enum Signal {
        Terminate,
        Kill,
    }

    /// Each sidecar's own job, nested in the shell's, by pid (the supervisor
    /// names sidecars by pid). Killing through the job, not the pid, cannot
    /// hit an unrelated process that reused the pid.
    static SIDECAR_JOBS: Mutex<BTreeMap<u32, OwnedHandle>> = Mutex::new(BTreeMap::new());

    /// Its own process group, so a Ctrl+C in the shell's console is the
    /// shell's alone to handle; no console window, since a windowed shell has
    /// no console to share and each sidecar would otherwise open one.
    pub fn new_process_group(command: &mut Command) {
        command.creation_flags(CREATE_NEW_PROCESS_GROUP | CREATE_NO_WINDOW);
    }

    /// Nothing survives into the child from before spawn; `tie_to_shell` does it.
    pub fn die_with_parent(_command: &mut Command) {}

    /// Puts a just-spawned sidecar in the shell's job, then in a job of its
    /// own nested inside it; what it starts from then on joins both. It runs
    /// for a few microseconds unassigned: a process it started in that time
    /// would escape, which no sidecar does that early.
    pub fn tie_to_shell(child: &Child, pid: u32) -> io::Result<()> {
        let Some(process) = child.raw_handle() else {
            return Ok(()); // Already reaped: nothing left to tie.
        };
        let assign = |job: &OwnedHandle| {
            // SAFETY: both handles are open for the duration of the call.
            if unsafe { AssignProcessToJobObject(job.as_raw_handle(), process) } == 0 {
                return Err(os_error("could not assign the sidecar to a job object"));
            }
            Ok(())
        };
        // The shell's job first: a job a process joins second nests inside the first.
        assign(shell_job()?)?;
        let own = kill_on_close_job()?;
        assign(&own)?;
        SIDECAR_JOBS
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .insert(pid, own);
        Ok(())
    }

    /// Closes the sidecar's own job, killing anything still in it.
    pub fn forget(pid: u32) {
        SIDECAR_JOBS
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .remove(&pid);
    }

    pub fn signal_group(pid: u32, signal: Signal) {
        match signal {
            // Closing stdin, done just before, is the request to stop.
            // CTRL_BREAK_EVENT is not used: the sidecar has no console in
            // common with the shell, and when a group id no longer names a
            // group the event can go to every process on the console, the
            // shell included (microsoft/terminal#335).
            Signal::Terminate => {}
            Signal::Kill => {
                let jobs = SIDECAR_JOBS.lock().unwrap_or_else(PoisonError::into_inner);
                if let Some(job) = jobs.get(&pid) {
                    // SAFETY: the handle stays open while the lock is held.
                    unsafe {
                        TerminateJobObject(job.as_raw_handle(), 1);
                    }
                }
            }
        }
    }

    /// The job every sidecar joins. Its one handle lives until the shell
    /// exits and is not inheritable (a sidecar holding it would keep the job
    /// open), so the kernel closing it is what ends the sidecars.
    fn shell_job() -> io::Result<&'static OwnedHandle> {
        static JOB: OnceLock<OwnedHandle> = OnceLock::new();
        if let Some(job) = JOB.get() {
            return Ok(job);
        }
        // A job created by a losing racer is empty; dropping it is harmless.
        let job = kill_on_close_job()?;
        Ok(JOB.get_or_init(|| job))
    }

    fn kill_on_close_job() -> io::Result<OwnedHandle> {
        // SAFETY: null attributes and name: an anonymous job whose handle is
        // not inheritable. The result is checked.
        let job = unsafe { CreateJobObjectW(ptr::null(), ptr::null()) };
        if job.is_null() {
            return Err(os_error("could not create a job object"));
        }
        // SAFETY: `job` is a handle we just opened and nothing else owns.
        let job = unsafe { OwnedHandle::from_raw_handle(job) };
        let mut limits = JOBOBJECT_EXTENDED_LIMIT_INFORMATION::default();
        limits.BasicLimitInformation.LimitFlags = JOB_OBJECT_LIMIT_KILL_ON_JOB_CLOSE;
        // SAFETY: the pointer and size describe `limits`, the struct this
        // information class takes.
        let set = unsafe {
            SetInformationJobObject(
                job.as_raw_handle(),
                JobObjectExtendedLimitInformation,
                (&raw const limits).cast(),
                size_of::<JOBOBJECT_EXTENDED_LIMIT_INFORMATION>() as u32,
            )
        };
        if set == 0 {
            return Err(os_error("could not set a job object's limits"));
        }
        Ok(job)
    }

    fn os_error(what: &str) -> io::Error {
        let err = io::Error::last_os_error();
        io::Error::new(err.kind(), format!("{what}: {err}"))
    }
}
