use std::{
    collections::VecDeque,
    fs::{File, OpenOptions},
    io::Write,
    path::PathBuf,
    sync::{Arc, Mutex, PoisonError},
};

use tokio::io::{AsyncRead, AsyncReadExt};

/// Longest line kept; longer ones are cut so one runaway line cannot use
/// unbounded memory.
const MAX_LINE_BYTES: usize = 16 * 1024;
/// A log file is rotated past this size; `KEPT_FILES` old ones are kept.
const MAX_FILE_BYTES: u64 = 4 * 1024 * 1024;
const KEPT_FILES: u32 = 3;

/// The most recent lines a sidecar printed, with secrets redacted, mirrored to
/// a rotating log file. Shared by the pipe readers, the probes and the UI.
#[derive(Clone)]
pub struct LogBuffer {
    inner: Arc<Mutex<Lines>>,
    secrets: Arc<Vec<String>>,
}

struct Lines {
    lines: VecDeque<String>,
    capacity: usize,
    /// Number of lines ever pushed; the UI asks for lines after a number it saw.
    total: u64,
    /// `total` when the current process was started, for ready-line probes.
    start_mark: u64,
    file: Option<RotatingFile>,
    echo_prefix: Option<String>,
}

impl LogBuffer {
    pub fn new(capacity: usize, secrets: Vec<String>) -> Self {
        Self {
            inner: Arc::new(Mutex::new(Lines {
                lines: VecDeque::with_capacity(capacity.min(1024)),
                capacity: capacity.max(1),
                total: 0,
                start_mark: 0,
                file: None,
                echo_prefix: None,
            })),
            secrets: Arc::new(secrets.into_iter().filter(|s| !s.is_empty()).collect()),
        }
    }

    /// Also append every line to `path`, rotating it as it grows.
    pub fn with_file(self, path: PathBuf) -> Self {
        self.lock().file = Some(RotatingFile::new(path));
        self
    }

    /// Also print every line to the shell's stderr as `[prefix] line` (for development).
    pub fn with_echo(self, prefix: &str) -> Self {
        self.lock().echo_prefix = Some(prefix.to_owned());
        self
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Lines> {
        self.inner.lock().unwrap_or_else(PoisonError::into_inner)
    }

    pub fn push(&self, line: &str) {
        self.push_all([line]);
    }

    /// Appends lines under one lock and one file write, so a sidecar that
    /// prints fast costs a lock and a syscall per chunk, not per line.
    pub fn push_all<'a>(&self, lines: impl IntoIterator<Item = &'a str>) {
        let lines: Vec<String> = lines.into_iter().map(|line| self.redact(line)).collect();
        if lines.is_empty() {
            return;
        }
        let mut inner = self.lock();
        if let Some(file) = inner.file.as_mut() {
            file.write_lines(&lines);
        }
        if let Some(prefix) = &inner.echo_prefix {
            for line in &lines {
                eprintln!("[{prefix}] {line}");
            }
        }
        inner.total += lines.len() as u64;
        let capacity = inner.capacity;
        let keep = lines.len().min(capacity);
        let skip = lines.len() - keep;
        let overflow = (inner.lines.len() + keep).saturating_sub(capacity);
        inner.lines.drain(..overflow);
        inner.lines.extend(lines.into_iter().skip(skip));
    }

    fn redact(&self, line: &str) -> String {
        let mut line = line.to_owned();
        for secret in self.secrets.iter() {
            if line.contains(secret.as_str()) {
                line = line.replace(secret.as_str(), "[redacted]");
            }
        }
        line
    }

    /// The last `limit` lines, oldest first.
    pub fn tail(&self, limit: usize) -> Vec<String> {
        let inner = self.lock();
        let skip = inner.lines.len().saturating_sub(limit);
        inner.lines.iter().skip(skip).cloned().collect()
    }

    /// Lines pushed after the first `seen` lines (at most `limit`, the newest),
    /// how many in between were no longer kept or were cut, and the new count.
    pub fn since(&self, seen: u64, limit: usize) -> (Vec<String>, u64, u64) {
        let inner = self.lock();
        // A count from an earlier buffer (the sidecars were started afresh) means "nothing seen".
        let seen = if seen > inner.total { 0 } else { seen };
        let kept_from = inner.total - inner.lines.len() as u64;
        let first = seen.max(kept_from);
        let available = usize::try_from(inner.total - first).unwrap_or(usize::MAX);
        let take = available.min(limit);
        let skipped = (first - seen) + (available - take) as u64;
        let start = inner.lines.len() - take;
        let lines = inner.lines.iter().skip(start).cloned().collect();
        (lines, skipped, inner.total)
    }

    /// From now on, ready-line probes look only at lines printed after this point.
    pub fn mark_restart(&self) {
        let mut inner = self.lock();
        inner.start_mark = inner.total;
    }

    /// Whether a line starting with `prefix` was printed since the last start.
    pub fn ready_line_seen(&self, prefix: &str) -> bool {
        let inner = self.lock();
        let fresh = usize::try_from(inner.total - inner.start_mark).unwrap_or(usize::MAX);
        let skip = inner.lines.len().saturating_sub(fresh);
        inner
            .lines
            .iter()
            .skip(skip)
            .any(|line| line.starts_with(prefix))
    }

    /// Reads `pipe` to its end, splitting on `\n` and `\r` so progress lines
    /// are kept, and keeping a last line that has no newline. Reading never
    /// stops early, so a chatty sidecar is never blocked on a full pipe.
    pub async fn drain<R: AsyncRead + Unpin>(&self, mut pipe: R) {
        let mut chunk = vec![0u8; 64 * 1024];
        let mut pending: Vec<u8> = Vec::new();
        let mut complete: Vec<String> = Vec::new();
        loop {
            let read = match pipe.read(&mut chunk).await {
                Ok(0) | Err(_) => break,
                Ok(n) => n,
            };
            let mut rest = &chunk[..read];
            while let Some(end) = rest.iter().position(|&b| b == b'\n' || b == b'\r') {
                take_line(&mut pending, &rest[..end], &mut complete);
                rest = &rest[end + 1..];
            }
            append_capped(&mut pending, rest);
            self.push_all(complete.iter().map(String::as_str));
            complete.clear();
        }
        take_line(&mut pending, &[], &mut complete);
        self.push_all(complete.iter().map(String::as_str));
    }
}

/// Ends the line in `pending` + `tail`; empty lines (as between `\r\n`) are dropped.
fn take_line(pending: &mut Vec<u8>, tail: &[u8], out: &mut Vec<String>) {
    append_capped(pending, tail);
    if !pending.is_empty() {
        out.push(String::from_utf8_lossy(pending).into_owned());
        pending.clear();
    }
}

fn append_capped(pending: &mut Vec<u8>, bytes: &[u8]) {
    let room = MAX_LINE_BYTES.saturating_sub(pending.len());
    pending.extend_from_slice(&bytes[..bytes.len().min(room)]);
}

/// `name.log`, moved to `name.log.1` (and so on) when it grows past its limit.
struct RotatingFile {
    path: PathBuf,
    file: Option<File>,
    written: u64,
}

impl RotatingFile {
    fn new(path: PathBuf) -> Self {
        Self {
            path,
            file: None,
            written: 0,
        }
    }

    fn write_lines(&mut self, lines: &[String]) {
        if self.file.is_none() {
            self.file = OpenOptions::new()
                .create(true)
                .append(true)
                .open(&self.path)
                .ok();
            self.written = self
                .file
                .as_ref()
                .and_then(|f| f.metadata().ok())
                .map_or(0, |m| m.len());
        }
        let Some(file) = self.file.as_mut() else {
            return; // A log file that cannot be written must not stop the sidecar.
        };
        let mut text = String::with_capacity(lines.iter().map(|l| l.len() + 1).sum());
        for line in lines {
            text.push_str(line);
            text.push('\n');
        }
        if file.write_all(text.as_bytes()).is_ok() {
            self.written += text.len() as u64;
        }
        if self.written >= MAX_FILE_BYTES {
            self.rotate();
        }
    }

    fn rotate(&mut self) {
        self.file = None;
        let numbered = |n: u32| PathBuf::from(format!("{}.{n}", self.path.display()));
        for n in (1..KEPT_FILES).rev() {
            let _ = std::fs::rename(numbered(n), numbered(n + 1));
        }
        let _ = std::fs::rename(&self.path, numbered(1));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keeps_only_the_most_recent_lines() {
        let log = LogBuffer::new(3, vec![]);
        for i in 0..5 {
            log.push(&format!("line {i}"));
        }
        assert_eq!(log.tail(10), vec!["line 2", "line 3", "line 4"]);
        assert_eq!(log.tail(1), vec!["line 4"]);
    }

    #[test]
    fn redacts_secrets() {
        let log = LogBuffer::new(3, vec!["s3cret".into()]);
        log.push("token=s3cret and s3cret again");
        assert_eq!(log.tail(1), vec!["token=[redacted] and [redacted] again"]);
    }

    #[test]
    fn since_returns_new_lines_and_counts_what_was_missed() {
        let log = LogBuffer::new(4, vec![]);
        for i in 0..3 {
            log.push(&format!("{i}"));
        }
        assert_eq!(
            log.since(0, 10),
            (vec!["0".into(), "1".into(), "2".into()], 0, 3)
        );
        assert_eq!(log.since(3, 10), (vec![], 0, 3));
        for i in 3..10 {
            log.push(&format!("{i}"));
        }
        // Lines 3..6 fell out of the buffer; the limit cuts 6 as well.
        assert_eq!(
            log.since(3, 3),
            (vec!["7".into(), "8".into(), "9".into()], 4, 10)
        );
        // A count beyond this buffer's (from a buffer since replaced) starts over.
        assert_eq!(log.since(50, 2), (vec!["8".into(), "9".into()], 8, 10));
    }

    #[tokio::test]
    async fn splits_progress_lines_and_keeps_the_unterminated_last_line() {
        let log = LogBuffer::new(10, vec![]);
        let input: &[u8] = b"one\r\ntwo\rthree\nno newline";
        log.drain(input).await;
        assert_eq!(log.tail(10), vec!["one", "two", "three", "no newline"]);
    }

    #[tokio::test]
    async fn cuts_runaway_lines() {
        let log = LogBuffer::new(2, vec![]);
        let input = vec![b'x'; MAX_LINE_BYTES * 3];
        log.drain(input.as_slice()).await;
        assert_eq!(log.tail(1)[0].len(), MAX_LINE_BYTES);
    }

    #[test]
    fn log_files_rotate_and_keep_a_bounded_history() {
        let dir = std::env::temp_dir().join(format!("convoy-log-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).expect("dir");
        let log = LogBuffer::new(1, vec!["secret".into()]).with_file(dir.join("api.log"));
        let line = "x".repeat(1023) + "secret";
        for _ in 0..(MAX_FILE_BYTES as usize / 1024) * 6 {
            log.push(&line);
        }
        let mut files: Vec<String> = std::fs::read_dir(&dir)
            .expect("read dir")
            .map(|e| e.expect("entry").file_name().to_string_lossy().into_owned())
            .collect();
        files.sort();
        assert_eq!(files, ["api.log", "api.log.1", "api.log.2", "api.log.3"]);
        for name in &files {
            let size = std::fs::metadata(dir.join(name)).expect("meta").len();
            assert!(size <= MAX_FILE_BYTES + 2048, "{name} is {size} bytes");
        }
        let text = std::fs::read_to_string(dir.join("api.log.1")).expect("read");
        assert!(
            !text.contains("secret"),
            "secrets are redacted in files too"
        );
        let _ = std::fs::remove_dir_all(&dir);
    }
}
