//! The shell's own build: its version and the SHA-256 of the executable it
//! runs from. Read from `/proc/self/exe`, which stays the running file even
//! after an update has replaced the one on disk, so a stale shell reports
//! its old build, never the new one.

use std::{io::Read, path::Path, sync::OnceLock};

use sha2::{Digest, Sha256};

/// Set to a file to append `convoy:build …` lines to (the update tests read it).
pub const REPORT_ENV: &str = "CONVOY_BUILD_REPORT";

static BUILD: OnceLock<String> = OnceLock::new();

/// The running executable's SHA-256 in hex; computed once, on first use.
pub fn build_id() -> String {
    BUILD
        .get_or_init(|| {
            let exe = if cfg!(target_os = "linux") {
                Path::new("/proc/self/exe").to_path_buf()
            } else {
                std::env::current_exe().unwrap_or_default()
            };
            sha256_file(&exe).unwrap_or_else(|_| "unknown".to_owned())
        })
        .clone()
}

pub fn sha256_file(path: &Path) -> std::io::Result<String> {
    let mut file = std::fs::File::open(path)?;
    let mut hasher = Sha256::new();
    let mut buffer = vec![0u8; 1 << 16];
    loop {
        let read = file.read(&mut buffer)?;
        if read == 0 {
            break;
        }
        hasher.update(&buffer[..read]);
    }
    Ok(hex(&hasher.finalize()))
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// One `convoy:build` line: who, which version, which build.
pub fn report_line(process: &str, version: &str, build: &str) -> String {
    format!("convoy:build process={process} version={version} build={build}")
}

/// Appends the lines to `$CONVOY_BUILD_REPORT` when it is set; a test aid
/// whose failure must not disturb the app.
pub fn write_report(lines: &[String]) {
    for line in lines {
        eprintln!("{line}");
    }
    let Some(path) = std::env::var_os(REPORT_ENV).filter(|p| !p.is_empty()) else {
        return;
    };
    let text: String = lines.iter().map(|l| format!("{l}\n")).collect();
    let _ = std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(path)
        .and_then(|mut file| std::io::Write::write_all(&mut file, text.as_bytes()));
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_hash_is_the_files_sha256() {
        let dir = std::env::temp_dir().join(format!("runbook-build-{}", std::process::id()));
        std::fs::create_dir_all(&dir).expect("temp dir");
        let path = dir.join("abc");
        std::fs::write(&path, b"abc").expect("write");
        assert_eq!(
            sha256_file(&path).expect("hash"),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
        );
        std::fs::remove_dir_all(&dir).expect("clean up");
    }

    #[test]
    fn the_running_build_is_a_full_hash() {
        let id = build_id();
        assert_eq!(id.len(), 64, "{id}");
        assert_eq!(id, build_id());
    }

    #[test]
    fn a_report_line_names_process_version_and_build() {
        assert_eq!(
            report_line("shell", "0.2.0", "ab12"),
            "convoy:build process=shell version=0.2.0 build=ab12"
        );
    }
}
