//! Start-up time as the app itself sees it: from the top of `run()` to every
//! sidecar being ready, and to the main window showing data from the api (the
//! UI says when, once). Read by `bench/startup.sh`; no Tauri in here.

use std::{
    fs::OpenOptions,
    io::Write,
    path::Path,
    sync::OnceLock,
    time::{Duration, Instant, SystemTime, UNIX_EPOCH},
};

use super::types::StartupReport;

/// A file to append the start-up line to, besides stderr.
pub const REPORT_ENV: &str = "CONVOY_STARTUP_REPORT";

static LAUNCHED: OnceLock<Instant> = OnceLock::new();
static REPORTED: OnceLock<StartupReport> = OnceLock::new();
static SIDECARS_READY: OnceLock<Duration> = OnceLock::new();

/// The launch instant; the first call wins (`run()` makes it first thing).
pub fn mark_launch() {
    LAUNCHED.get_or_init(Instant::now);
}

/// The main window shows data: the first call records the time since launch
/// and prints one line (`convoy:startup main-with-data-ms=… unix-ms=…`) to
/// stderr and to `$CONVOY_STARTUP_REPORT` if set; later calls change nothing
/// and return the first figure.
pub fn report() -> StartupReport {
    *REPORTED.get_or_init(|| {
        let elapsed = LAUNCHED.get_or_init(Instant::now).elapsed();
        let unix_ms = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map(|d| d.as_millis())
            .unwrap_or(0);
        write_line(&report_line(elapsed, unix_ms));
        StartupReport {
            main_with_data_ms: u32::try_from(elapsed.as_millis()).unwrap_or(u32::MAX),
        }
    })
}

/// Every sidecar is ready (the main window is shown next): the first call
/// records the time since launch and prints `convoy:launch sidecars-ready-ms=…`
/// (stderr, and `$CONVOY_STARTUP_REPORT` if set), so a benchmark can tell the
/// sidecars' share of start-up from the page's. Later calls (a Retry) change nothing.
pub fn sidecars_ready() {
    SIDECARS_READY.get_or_init(|| {
        let elapsed = LAUNCHED.get_or_init(Instant::now).elapsed();
        write_line(&sidecars_line(elapsed));
        elapsed
    });
}

fn sidecars_line(elapsed: Duration) -> String {
    format!(
        "convoy:launch sidecars-ready-ms={:.1}",
        elapsed.as_secs_f64() * 1000.0
    )
}

fn write_line(line: &str) {
    eprintln!("{line}");
    if let Some(path) = std::env::var_os(REPORT_ENV).filter(|p| !p.is_empty()) {
        // A timing aid: failing to write it must not disturb the app.
        let _ = append_line(Path::new(&path), line);
    }
}

/// `unix_ms` lets a benchmark also time from its own spawn of the process.
fn report_line(elapsed: Duration, unix_ms: u128) -> String {
    format!(
        "convoy:startup main-with-data-ms={:.1} unix-ms={unix_ms}",
        elapsed.as_secs_f64() * 1000.0
    )
}

fn append_line(path: &Path, line: &str) -> std::io::Result<()> {
    let mut file = OpenOptions::new().create(true).append(true).open(path)?;
    writeln!(file, "{line}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_line_names_the_milestone_and_both_clocks() {
        assert_eq!(
            report_line(Duration::from_micros(812_345), 1_700_000_000_123),
            "convoy:startup main-with-data-ms=812.3 unix-ms=1700000000123"
        );
    }

    #[test]
    fn the_sidecars_line_is_not_a_startup_line() {
        // bench/lib/desktop.ts takes the first `convoy:startup` line for the milestone.
        let line = sidecars_line(Duration::from_micros(301_250));
        assert_eq!(line, "convoy:launch sidecars-ready-ms=301.2");
        assert!(!line.contains("convoy:startup"));
    }

    #[test]
    fn only_the_first_report_counts() {
        mark_launch();
        let first = report();
        std::thread::sleep(Duration::from_millis(5));
        assert_eq!(report(), first);
    }

    #[test]
    fn lines_are_appended() {
        let dir = std::env::temp_dir().join(format!("runbook-startup-{}", std::process::id()));
        std::fs::create_dir_all(&dir).expect("temp dir");
        let path = dir.join("startup.log");
        append_line(&path, "one").expect("first line");
        append_line(&path, "two").expect("second line");
        assert_eq!(
            std::fs::read_to_string(&path).expect("read back"),
            "one\ntwo\n"
        );
        std::fs::remove_dir_all(&dir).expect("clean up");
    }
}
