//! Installing the .deb on Linux. dpkg needs root: the app asks polkit
//! (`pkexec`, whose agent is the desktop's own dialog) and never shows a
//! password prompt of its own. `--disable-internal-agent` keeps pkexec from
//! falling back to a prompt on a terminal, and nothing here falls back to
//! `sudo` or a look-alike dialog (the updater plugin's own .deb path does:
//! plugins-workspace#3595, which is why the plugin's `install` is not used).
//! Where no agent answers, the error carries the command to run by hand.

use std::{
    path::{Path, PathBuf},
    process::{Command, Stdio},
};

use super::types::UpdateError;

/// How dpkg gets root.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Elevation {
    /// Already root: dpkg runs as it is.
    Root,
    /// Through polkit.
    Pkexec(PathBuf),
    /// No way to ask for root here.
    Unavailable,
}

pub fn elevation() -> Elevation {
    // SAFETY: geteuid has no preconditions and cannot fail.
    let euid = unsafe { libc::geteuid() };
    decide(euid, find_in_path("pkexec"))
}

pub fn decide(euid: u32, pkexec: Option<PathBuf>) -> Elevation {
    match (euid, pkexec) {
        (0, _) => Elevation::Root,
        (_, Some(path)) => Elevation::Pkexec(path),
        (_, None) => Elevation::Unavailable,
    }
}

fn find_in_path(program: &str) -> Option<PathBuf> {
    let path = std::env::var_os("PATH")?;
    std::env::split_paths(&path)
        .map(|dir| dir.join(program))
        .find(|candidate| candidate.is_file())
}

/// What a user runs by hand when the app cannot ask for root.
pub fn manual_command(deb: &Path) -> String {
    format!("sudo apt-get install {}", deb.display())
}

/// The command that installs `deb` with `elevation`; `None` when there is none.
pub fn install_command(elevation: &Elevation, deb: &Path) -> Option<Command> {
    let mut command = match elevation {
        Elevation::Root => Command::new("dpkg"),
        Elevation::Pkexec(pkexec) => {
            let mut command = Command::new(pkexec);
            command.arg("--disable-internal-agent").arg("dpkg");
            command
        }
        Elevation::Unavailable => return None,
    };
    command
        .arg("--install")
        .arg(deb)
        .env("DEBIAN_FRONTEND", "noninteractive")
        // No terminal to prompt on: a prompt would hang the install.
        .stdin(Stdio::null());
    Some(command)
}

/// Checks, before anything is stopped, that root can be had at all.
pub fn can_elevate(deb: &Path) -> Result<Elevation, UpdateError> {
    match elevation() {
        Elevation::Unavailable => Err(UpdateError::NeedsPrivilege {
            message: "pkexec (polkit) is not installed".to_owned(),
            command: manual_command(deb),
        }),
        found => Ok(found),
    }
}

/// Runs the install; blocks until dpkg is done.
pub fn install(elevation: &Elevation, deb: &Path) -> Result<(), UpdateError> {
    let Some(mut command) = install_command(elevation, deb) else {
        return Err(UpdateError::NeedsPrivilege {
            message: "pkexec (polkit) is not installed".to_owned(),
            command: manual_command(deb),
        });
    };
    let output = command.output().map_err(|e| UpdateError::InstallFailed {
        message: format!("could not run the installer: {e}"),
    })?;
    outcome(elevation, &output, deb)
}

/// What the installer's exit says.
fn outcome(
    elevation: &Elevation,
    output: &std::process::Output,
    deb: &Path,
) -> Result<(), UpdateError> {
    let stderr = String::from_utf8_lossy(&output.stderr).trim().to_owned();
    match (elevation, output.status.code()) {
        (_, Some(0)) => Ok(()),
        // pkexec: 126 the request was dismissed or refused, 127 no agent
        // (or not authorized); dpkg never ran.
        (Elevation::Pkexec(_), Some(126 | 127)) => Err(UpdateError::NeedsPrivilege {
            message: if stderr.is_empty() {
                "polkit did not grant administrator rights".to_owned()
            } else {
                format!("polkit did not grant administrator rights ({stderr})")
            },
            command: manual_command(deb),
        }),
        (_, code) => Err(UpdateError::InstallFailed {
            message: format!(
                "dpkg exited with {}: {stderr}",
                code.map_or("a signal".to_owned(), |c| c.to_string())
            ),
        }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn root_runs_dpkg_itself_others_go_through_polkit() {
        let pkexec = PathBuf::from("/usr/bin/pkexec");
        assert_eq!(decide(0, Some(pkexec.clone())), Elevation::Root);
        assert_eq!(decide(0, None), Elevation::Root);
        assert_eq!(
            decide(1000, Some(pkexec.clone())),
            Elevation::Pkexec(pkexec)
        );
        assert_eq!(decide(1000, None), Elevation::Unavailable);
    }

    #[test]
    fn pkexec_never_falls_back_to_a_prompt_of_its_own() {
        let deb = Path::new("/tmp/runbook_0.2.0.deb");
        let command =
            install_command(&Elevation::Pkexec("/usr/bin/pkexec".into()), deb).expect("a command");
        let args: Vec<_> = command.get_args().map(|a| a.to_string_lossy()).collect();
        assert_eq!(command.get_program(), "/usr/bin/pkexec");
        assert_eq!(
            args,
            [
                "--disable-internal-agent",
                "dpkg",
                "--install",
                "/tmp/runbook_0.2.0.deb"
            ]
        );
        let root = install_command(&Elevation::Root, deb).expect("a command");
        assert_eq!(root.get_program(), "dpkg");
        assert!(install_command(&Elevation::Unavailable, deb).is_none());
    }

    #[test]
    fn without_polkit_the_error_names_the_command() {
        let deb = Path::new("/tmp/runbook_0.2.0.deb");
        let error = install(&Elevation::Unavailable, deb).expect_err("refused");
        assert_eq!(
            error,
            UpdateError::NeedsPrivilege {
                message: "pkexec (polkit) is not installed".into(),
                command: "sudo apt-get install /tmp/runbook_0.2.0.deb".into()
            }
        );
    }

    /// The real pkexec, as a user with no polkit agent (here: no polkit
    /// daemon either): it exits 127 without running dpkg and without
    /// prompting, and that is NeedsPrivilege with the command to run. As root
    /// the child drops to `nobody`.
    #[test]
    fn a_real_pkexec_without_an_agent_is_refused_not_prompted() {
        use std::os::unix::process::CommandExt;
        // Setup installs pkexec (scripts/setup.sh): its absence is a failure, not a skip.
        let pkexec = find_in_path("pkexec").expect("pkexec is installed (scripts/setup.sh)");
        let elevation = Elevation::Pkexec(pkexec);
        let deb = Path::new("/nonexistent/runbook_0.2.0.deb");
        let mut command = install_command(&elevation, deb).expect("a command");
        // SAFETY: geteuid has no preconditions and cannot fail.
        if unsafe { libc::geteuid() } == 0 {
            command.uid(65534).gid(65534);
        }
        let started = std::time::Instant::now();
        let output = command.output().expect("pkexec runs");
        let error = outcome(&elevation, &output, deb).expect_err("refused");
        assert!(
            matches!(&error, UpdateError::NeedsPrivilege { command, .. } if command == "sudo apt-get install /nonexistent/runbook_0.2.0.deb"),
            "{error:?}"
        );
        // Nothing waited on a prompt.
        assert!(started.elapsed() < std::time::Duration::from_secs(10));
    }
}
