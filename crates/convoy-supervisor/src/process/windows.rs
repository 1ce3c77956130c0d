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
use windows_sys::Win32::{
    Foundation::INVALID_HANDLE_VALUE,
    System::{
        Diagnostics::ToolHelp::{
            CreateToolhelp32Snapshot, Thread32First, Thread32Next, TH32CS_SNAPTHREAD, THREADENTRY32,
        },
        JobObjects::{
            AssignProcessToJobObject, CreateJobObjectW, JobObjectExtendedLimitInformation,
            SetInformationJobObject, TerminateJobObject, JOBOBJECT_EXTENDED_LIMIT_INFORMATION,
            JOB_OBJECT_LIMIT_KILL_ON_JOB_CLOSE,
        },
        Threading::{
            OpenThread, ResumeThread, CREATE_NEW_PROCESS_GROUP, CREATE_NO_WINDOW, CREATE_SUSPENDED,
            THREAD_SUSPEND_RESUME,
        },
    },
};

use super::Signal;

/// Each sidecar's own job, nested in the shell's, by pid (the supervisor
/// names sidecars by pid). Killing through the job, not the pid, cannot
/// hit an unrelated process that reused the pid.
static SIDECAR_JOBS: Mutex<BTreeMap<u32, OwnedHandle>> = Mutex::new(BTreeMap::new());

/// Its own process group, so a Ctrl+C in the shell's console is the
/// shell's alone to handle; no console window, since a windowed shell has
/// no console to share and each sidecar would otherwise open one. Suspended,
/// so it runs nothing, and starts nothing that could escape its jobs, until
/// `tie_to_shell` has put it in them.
pub fn prepare(command: &mut Command) {
    command.creation_flags(CREATE_NEW_PROCESS_GROUP | CREATE_NO_WINDOW | CREATE_SUSPENDED);
}

/// Puts a just-spawned, still suspended sidecar in the shell's job, then in
/// a job of its own nested inside it, and only then lets it run: whatever it
/// starts joins both.
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
    // Should resuming fail, dropping `own` closes the job and kills the sidecar.
    resume(pid)?;
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

/// Resumes the suspended sidecar's primary thread. Neither std nor tokio
/// hands out the thread handle `CreateProcessW` returned (std closes it; its
/// `main_thread_handle` is unstable), so the thread is found in a Toolhelp
/// snapshot of the system's threads: documented kernel32 calls, and
/// unambiguous, since a process that has not run yet has only its primary
/// thread, and its pid cannot be reused while the `Child` holds its handle.
/// `NtResumeProcess` would do it in one call, but it is undocumented ntdll.
fn resume(pid: u32) -> io::Result<()> {
    // SAFETY: no pointers in; the result is checked.
    let snapshot = unsafe { CreateToolhelp32Snapshot(TH32CS_SNAPTHREAD, 0) };
    if snapshot == INVALID_HANDLE_VALUE {
        return Err(os_error("could not list the sidecar's threads"));
    }
    // SAFETY: `snapshot` is a handle we just opened and nothing else owns.
    let snapshot = unsafe { OwnedHandle::from_raw_handle(snapshot) };
    let mut entry = THREADENTRY32 {
        dwSize: size_of::<THREADENTRY32>() as u32,
        ..THREADENTRY32::default()
    };
    let mut resumed = false;
    // SAFETY: the snapshot is open and `entry` is a THREADENTRY32 whose
    // `dwSize` says so, as Thread32First and Thread32Next require.
    let mut listed = unsafe { Thread32First(snapshot.as_raw_handle(), &mut entry) } != 0;
    while listed {
        if entry.th32OwnerProcessID == pid {
            resume_thread(entry.th32ThreadID)?;
            resumed = true;
        }
        // SAFETY: as for Thread32First.
        listed = unsafe { Thread32Next(snapshot.as_raw_handle(), &mut entry) } != 0;
    }
    if !resumed {
        return Err(io::Error::new(
            io::ErrorKind::NotFound,
            "could not find the sidecar's primary thread to resume",
        ));
    }
    Ok(())
}

fn resume_thread(thread_id: u32) -> io::Result<()> {
    // SAFETY: no pointers in; a handle that is not inheritable; the result is checked.
    let thread = unsafe { OpenThread(THREAD_SUSPEND_RESUME, 0, thread_id) };
    if thread.is_null() {
        return Err(os_error("could not open the sidecar's primary thread"));
    }
    // SAFETY: `thread` is a handle we just opened and nothing else owns.
    let thread = unsafe { OwnedHandle::from_raw_handle(thread) };
    // SAFETY: the handle is open, with the access ResumeThread needs.
    if unsafe { ResumeThread(thread.as_raw_handle()) } == u32::MAX {
        return Err(os_error("could not resume the sidecar"));
    }
    Ok(())
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
