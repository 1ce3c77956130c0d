//! The downloaded package, once its signature verified: staged as a file and
//! checked to be this app's package at the announced version before anything
//! is stopped. The signature binds the bytes and the version the signer
//! named; this also binds the version the package manager will install.

use std::{
    path::{Path, PathBuf},
    process::Command,
};

use super::types::UpdateError;

/// The Debian package the app is installed as.
pub const PACKAGE_NAME: &str = "runbook";

/// A package in the staging directory, checked.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Staged {
    pub path: PathBuf,
    pub version: String,
}

/// Writes `bytes` under `dir` and checks its control fields; on any failure
/// nothing is left behind.
pub fn stage(dir: &Path, bytes: &[u8], announced: &str) -> Result<Staged, UpdateError> {
    let io = |e: std::io::Error| UpdateError::InstallFailed {
        message: format!("could not stage the package in {}: {e}", dir.display()),
    };
    std::fs::create_dir_all(dir).map_err(io)?;
    let partial = dir.join(format!(".partial-{}", std::process::id()));
    std::fs::write(&partial, bytes).map_err(io)?;
    let checked = control_fields(&partial).and_then(|fields| check(&fields, announced));
    if let Err(error) = checked {
        let _ = std::fs::remove_file(&partial);
        return Err(error);
    }
    let path = dir.join(format!("{PACKAGE_NAME}_{announced}.deb"));
    std::fs::rename(&partial, &path).map_err(|e| {
        let _ = std::fs::remove_file(&partial);
        io(e)
    })?;
    Ok(Staged {
        path,
        version: announced.to_owned(),
    })
}

/// Removes every staged package (after an install, or at start-up).
pub fn clear(dir: &Path) {
    let _ = std::fs::remove_dir_all(dir);
}

/// The package's `Package` and `Version`, as dpkg itself reads them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ControlFields {
    pub package: String,
    pub version: String,
}

fn control_fields(deb: &Path) -> Result<ControlFields, UpdateError> {
    let output = Command::new("dpkg-deb")
        .arg("--field")
        .arg(deb)
        .args(["Package", "Version"])
        .output()
        .map_err(|e| UpdateError::Unsupported {
            message: format!("dpkg-deb is needed to read the package: {e}"),
        })?;
    if !output.status.success() {
        return Err(UpdateError::WrongPackage {
            message: format!(
                "not a Debian package ({})",
                String::from_utf8_lossy(&output.stderr).trim()
            ),
        });
    }
    parse_fields(&String::from_utf8_lossy(&output.stdout))
}

/// `dpkg-deb --field <deb> Package Version` prints `Package: x\nVersion: y`.
pub fn parse_fields(text: &str) -> Result<ControlFields, UpdateError> {
    let field = |name: &str| {
        text.lines()
            .find_map(|line| line.strip_prefix(name)?.strip_prefix(':'))
            .map(|value| value.trim().to_owned())
            .filter(|value| !value.is_empty())
    };
    match (field("Package"), field("Version")) {
        (Some(package), Some(version)) => Ok(ControlFields { package, version }),
        _ => Err(UpdateError::WrongPackage {
            message: "the package has no Package or Version field".to_owned(),
        }),
    }
}

pub fn check(fields: &ControlFields, announced: &str) -> Result<(), UpdateError> {
    if fields.package != PACKAGE_NAME {
        return Err(UpdateError::WrongPackage {
            message: format!("it is the package {}", fields.package),
        });
    }
    if fields.version != announced.trim_start_matches('v') {
        return Err(UpdateError::VersionMismatch {
            announced: announced.to_owned(),
            found: fields.version.clone(),
        });
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fields(package: &str, version: &str) -> ControlFields {
        ControlFields {
            package: package.into(),
            version: version.into(),
        }
    }

    #[test]
    fn reads_the_fields_dpkg_deb_prints() {
        assert_eq!(
            parse_fields("Package: runbook\nVersion: 0.2.0\n").expect("fields"),
            fields("runbook", "0.2.0")
        );
        assert!(matches!(
            parse_fields("Package: runbook\n"),
            Err(UpdateError::WrongPackage { .. })
        ));
    }

    #[test]
    fn the_package_must_be_ours_at_the_announced_version() {
        assert_eq!(check(&fields("runbook", "0.2.0"), "0.2.0"), Ok(()));
        assert_eq!(check(&fields("runbook", "0.2.0"), "v0.2.0"), Ok(()));
        assert_eq!(
            check(&fields("runbook", "0.1.0"), "0.2.0"),
            Err(UpdateError::VersionMismatch {
                announced: "0.2.0".into(),
                found: "0.1.0".into()
            })
        );
        assert!(matches!(
            check(&fields("other", "0.2.0"), "0.2.0"),
            Err(UpdateError::WrongPackage { .. })
        ));
    }

    #[test]
    fn garbage_is_refused_and_nothing_is_left_staged() {
        let dir = std::env::temp_dir().join(format!("runbook-stage-{}", std::process::id()));
        let error = stage(&dir, b"not a package", "0.2.0").expect_err("refused");
        assert!(
            matches!(
                error,
                UpdateError::WrongPackage { .. } | UpdateError::Unsupported { .. }
            ),
            "{error:?}"
        );
        let left: Vec<_> = std::fs::read_dir(&dir).expect("dir").collect();
        assert!(left.is_empty(), "{left:?}");
        std::fs::remove_dir_all(&dir).expect("clean up");
    }
}
