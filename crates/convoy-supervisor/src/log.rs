use std::{
    collections::VecDeque,
    sync::{Arc, Mutex, PoisonError},
};

use tokio::io::{AsyncRead, AsyncReadExt};

/// Longest line kept; longer ones are cut so one runaway line cannot use
/// unbounded memory.
const MAX_LINE_BYTES: usize = 16 * 1024;

/// The most recent lines a sidecar printed, with secrets redacted.
#[derive(Clone)]
pub struct LogBuffer {
    inner: Arc<Mutex<VecDeque<String>>>,
    capacity: usize,
    secrets: Arc<Vec<String>>,
}

impl LogBuffer {
    pub fn new(capacity: usize, secrets: Vec<String>) -> Self {
        Self {
            inner: Arc::new(Mutex::new(VecDeque::with_capacity(capacity.min(1024)))),
            capacity: capacity.max(1),
            secrets: Arc::new(secrets.into_iter().filter(|s| !s.is_empty()).collect()),
        }
    }

    pub fn push(&self, line: &str) {
        let mut line = line.to_owned();
        for secret in self.secrets.iter() {
            if line.contains(secret.as_str()) {
                line = line.replace(secret.as_str(), "[redacted]");
            }
        }
        let mut lines = self.inner.lock().unwrap_or_else(PoisonError::into_inner);
        if lines.len() == self.capacity {
            lines.pop_front();
        }
        lines.push_back(line);
    }

    /// The last `limit` lines, oldest first.
    pub fn tail(&self, limit: usize) -> Vec<String> {
        let lines = self.inner.lock().unwrap_or_else(PoisonError::into_inner);
        lines
            .iter()
            .skip(lines.len().saturating_sub(limit))
            .cloned()
            .collect()
    }

    /// Reads `pipe` to its end, splitting on `\n` and `\r` so progress lines
    /// are kept, and keeping a last line that has no newline. Reading never
    /// stops early, so a chatty sidecar is never blocked on a full pipe.
    pub async fn drain<R: AsyncRead + Unpin>(&self, mut pipe: R, prefix: &str) {
        let mut chunk = vec![0u8; 64 * 1024];
        let mut pending: Vec<u8> = Vec::new();
        loop {
            let read = match pipe.read(&mut chunk).await {
                Ok(0) | Err(_) => break,
                Ok(n) => n,
            };
            for &byte in &chunk[..read] {
                if byte == b'\n' || byte == b'\r' {
                    self.emit(&mut pending, prefix);
                } else if pending.len() < MAX_LINE_BYTES {
                    pending.push(byte);
                }
            }
        }
        self.emit(&mut pending, prefix);
    }

    fn emit(&self, pending: &mut Vec<u8>, prefix: &str) {
        if pending.is_empty() {
            return;
        }
        let line = String::from_utf8_lossy(pending);
        self.push(&line);
        if !prefix.is_empty() {
            // Mirrored to the shell's stderr for developers; redacted like the buffer.
            if let Some(last) = self.tail(1).pop() {
                eprintln!("[{prefix}] {last}");
            }
        }
        pending.clear();
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

    #[tokio::test]
    async fn splits_progress_lines_and_keeps_the_unterminated_last_line() {
        let log = LogBuffer::new(10, vec![]);
        let input: &[u8] = b"one\r\ntwo\rthree\nno newline";
        log.drain(input, "").await;
        assert_eq!(log.tail(10), vec!["one", "two", "three", "no newline"]);
    }

    #[tokio::test]
    async fn cuts_runaway_lines() {
        let log = LogBuffer::new(2, vec![]);
        let input = vec![b'x'; MAX_LINE_BYTES * 3];
        log.drain(input.as_slice(), "").await;
        assert_eq!(log.tail(1)[0].len(), MAX_LINE_BYTES);
    }
}
