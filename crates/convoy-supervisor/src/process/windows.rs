//! Windows has no process-group signals and no parent-death signal; a Job
//! Object gives both "kill this sidecar and everything it started" and "when
//! the shell dies, for any reason, so does every sidecar".

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

use super::Signal;

/// Each sidecar's own job, nested in the shell's, by pid (the supervisor
/// names sidecars by pid). Killing through the job, not the pid, cannot
/// hit an unrelated process that reused the pid.
static SIDECAR_JOBS: Mutex<BTreeMap<u32, OwnedHandle>> = Mutex::new(BTreeMap::new());

/// Its own process group, so a Ctrl+C in the shell's console is the
/// shell's alone to handle; no console window, since a windowed shell has
/// no console to share and each sidecar would otherwise open one.
pub fn prepare(command: &mut Command) {
    command.creation_flags(CREATE_NEW_PROCESS_GROUP | CREATE_NO_WINDOW);
}

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
