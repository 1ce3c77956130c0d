//! A file of the launches whose sidecars may still be running, so the next
//! launch can clean up after a shell that died without stopping them (a
//! SIGKILL, a power cut). Every sidecar carries its launch's id in its
//! environment, and so do the processes it starts; a process is killed only if
//! it carries the id of a launch whose shell is verifiably gone.

use std::{
    fs,
    io::Write,
    path::{Path, PathBuf},
};

/// The environment variable that marks every process of one launch.
pub const LAUNCH_ID_ENV: &str = "CONVOY_LAUNCH_ID";

/// This launch's entry in the ledger file.
pub struct LaunchLedger {
    path: PathBuf,
    pub launch_id: String,
}

#[derive(Debug, Clone, PartialEq, Eq)]
struct Entry {
    launch_id: String,
    shell_pid: u32,
    shell_started: u64,
}

impl LaunchLedger {
    /// Kills what earlier, dead launches left running, then records this one.
    /// Returns the ledger and the number of leftover processes killed.
    pub fn open(path: &Path, launch_id: String) -> std::io::Result<(Self, usize)> {
        let entries = read(path);
        let mut killed = 0;
        let mut alive = Vec::new();
        for entry in entries {
            if proc::start_time(entry.shell_pid) == Some(entry.shell_started) {
                alive.push(entry); // Another running instance: not ours to touch.
            } else {
                killed += proc::kill_marked(&format!("{LAUNCH_ID_ENV}={}", entry.launch_id));
            }
        }
        let me = std::process::id();
        alive.push(Entry {
            launch_id: launch_id.clone(),
            shell_pid: me,
            shell_started: proc::start_time(me).unwrap_or_default(),
        });
        write(path, &alive)?;
        Ok((
            Self {
                path: path.to_owned(),
                launch_id,
            },
            killed,
        ))
    }

    /// Removes this launch's entry: everything it started has been stopped.
    pub fn close(&self) {
        let rest: Vec<Entry> = read(&self.path)
            .into_iter()
            .filter(|e| e.launch_id != self.launch_id)
            .collect();
        let _ = write(&self.path, &rest);
    }
}

fn read(path: &Path) -> Vec<Entry> {
    let Ok(text) = fs::read_to_string(path) else {
        return Vec::new();
    };
    text.lines()
        .filter_map(|line| {
            let mut parts = line.split_whitespace();
            Some(Entry {
                launch_id: parts.next()?.to_owned(),
                shell_pid: parts.next()?.parse().ok()?,
                shell_started: parts.next()?.parse().ok()?,
            })
        })
        .filter(|e| e.launch_id.chars().all(|c| c.is_ascii_alphanumeric()))
        .collect()
}

fn write(path: &Path, entries: &[Entry]) -> std::io::Result<()> {
    let tmp = path.with_extension("tmp");
    {
        let mut file = fs::File::create(&tmp)?;
        for e in entries {
            writeln!(file, "{} {} {}", e.launch_id, e.shell_pid, e.shell_started)?;
        }
        file.sync_all()?;
    }
    fs::rename(tmp, path)
}

#[cfg(target_os = "linux")]
mod proc {
    use std::fs;

    /// A process's start time in clock ticks since boot: with the pid, it
    /// names one process even after the pid is reused.
    pub fn start_time(pid: u32) -> Option<u64> {
        let stat = fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
        let after_name = &stat[stat.rfind(')')? + 2..];
        // Field 22 of stat; the 20th after the name.
        after_name.split(' ').nth(19)?.parse().ok()
    }

    /// SIGKILLs every process of this user whose environment holds `marker`.
    pub fn kill_marked(marker: &str) -> usize {
        let me = std::process::id();
        let Ok(entries) = fs::read_dir("/proc") else {
            return 0;
        };
        let mut killed = 0;
        for entry in entries.flatten() {
            let Some(pid) = entry
                .file_name()
                .to_str()
                .and_then(|n| n.parse::<u32>().ok())
            else {
                continue;
            };
            if pid == me {
                continue;
            }
            let Ok(environ) = fs::read(format!("/proc/{pid}/environ")) else {
                continue;
            };
            if environ
                .split(|&b| b == 0)
                .any(|var| var == marker.as_bytes())
            {
                if let Ok(pid) = libc::pid_t::try_from(pid) {
                    // SAFETY: kill(2) on a pid we just verified carries our launch marker.
                    unsafe {
                        libc::kill(pid, libc::SIGKILL);
                    }
                    killed += 1;
                }
            }
        }
        killed
    }
}

#[cfg(not(target_os = "linux"))]
mod proc {
    pub fn start_time(_pid: u32) -> Option<u64> {
        None
    }
    pub fn kill_marked(_marker: &str) -> usize {
        0
    }
}

#[cfg(all(test, target_os = "linux"))]
mod tests {
    use super::*;
    use std::process::{Command, Stdio};

    fn temp(name: &str) -> PathBuf {
        let dir = std::env::temp_dir().join(format!("convoy-ledger-{}-{name}", std::process::id()));
        let _ = fs::remove_dir_all(&dir);
        fs::create_dir_all(&dir).expect("dir");
        dir.join("launches")
    }

    #[test]
    fn a_dead_launchs_processes_are_killed_and_a_live_ones_are_not() {
        let path = temp("kill");
        let dead_id = "deadlaunch1";
        let mut leftover = Command::new("sleep")
            .arg("30")
            .env(LAUNCH_ID_ENV, dead_id)
            .stdout(Stdio::null())
            .spawn()
            .expect("sleep");
        let mut bystander = Command::new("sleep")
            .arg("30")
            .env(LAUNCH_ID_ENV, "otherlaunch")
            .spawn()
            .expect("sleep");
        let marker = format!("{LAUNCH_ID_ENV}={dead_id}");
        for _ in 0..200 {
            let environ = fs::read(format!("/proc/{}/environ", leftover.id())).unwrap_or_default();
            if environ.split(|&b| b == 0).any(|v| v == marker.as_bytes()) {
                break;
            }
            std::thread::sleep(std::time::Duration::from_millis(5));
        }
        // A shell pid that is certainly not running with this start time.
        fs::write(&path, format!("{dead_id} {} 1\n", std::process::id())).expect("write");

        let (ledger, killed) = LaunchLedger::open(&path, "thislaunch".into()).expect("open");
        assert_eq!(killed, 1);
        assert!(leftover.wait().is_ok(), "the leftover was killed");
        assert_eq!(
            bystander.try_wait().expect("wait"),
            None,
            "unmarked processes live on"
        );
        let text = fs::read_to_string(&path).expect("read");
        assert!(text.starts_with("thislaunch "), "{text}");
        assert!(!text.contains(dead_id));

        ledger.close();
        assert_eq!(fs::read_to_string(&path).expect("read"), "");
        let _ = bystander.kill();
        let _ = bystander.wait();
    }

    #[test]
    fn a_running_instances_entry_is_kept() {
        let path = temp("keep");
        let (first, _) = LaunchLedger::open(&path, "first".into()).expect("open");
        let (second, killed) = LaunchLedger::open(&path, "second".into()).expect("open");
        assert_eq!(
            killed, 0,
            "the first launch's shell (this process) is alive"
        );
        let text = fs::read_to_string(&path).expect("read");
        assert!(
            text.contains("first ") && text.contains("second "),
            "{text}"
        );
        second.close();
        first.close();
    }
}
