use std::{path::PathBuf, time::Duration};

use tokio::{
    io::{AsyncReadExt, AsyncWriteExt},
    net::TcpStream,
    time::timeout,
};

use crate::log::LogBuffer;

/// How the supervisor knows a service sidecar is ready.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ReadinessProbe {
    /// Ready as soon as the process is running.
    Started,
    /// Ready when a TCP connection to 127.0.0.1:`port` succeeds.
    Tcp { port: u16 },
    /// Ready when `GET http://127.0.0.1:<port><path>` answers 200.
    HttpGet { port: u16, path: String },
    /// Ready when a Redis-protocol server on a Unix socket answers `AUTH` and `PING`.
    RedisPing { socket: PathBuf, password: String },
    /// Ready when the sidecar prints a line starting with `prefix` (after this start).
    ReadyLine { prefix: String },
}

impl ReadinessProbe {
    /// One attempt; `false` means "not yet". `log` is the sidecar's output.
    pub async fn check(&self, log: &LogBuffer) -> bool {
        const ATTEMPT: Duration = Duration::from_millis(500);
        match self {
            Self::Started => true,
            Self::Tcp { port } => matches!(
                timeout(ATTEMPT, TcpStream::connect(("127.0.0.1", *port))).await,
                Ok(Ok(_))
            ),
            Self::HttpGet { port, path } => {
                matches!(
                    timeout(ATTEMPT, http_get_ok(*port, path)).await,
                    Ok(Ok(true))
                )
            }
            Self::RedisPing { socket, password } => matches!(
                timeout(ATTEMPT, redis_ping(socket, password)).await,
                Ok(Ok(true))
            ),
            Self::ReadyLine { prefix } => log.ready_line_seen(prefix),
        }
    }
}

async fn http_get_ok(port: u16, path: &str) -> std::io::Result<bool> {
    let mut stream = TcpStream::connect(("127.0.0.1", port)).await?;
    let request =
        format!("GET {path} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nConnection: close\r\n\r\n");
    stream.write_all(request.as_bytes()).await?;
    let mut head = [0u8; 16];
    let mut filled = 0;
    while filled < head.len() {
        let n = stream.read(&mut head[filled..]).await?;
        if n == 0 {
            break;
        }
        filled += n;
    }
    // "HTTP/1.1 200 " — the status code is the second token.
    let head = String::from_utf8_lossy(&head[..filled]);
    Ok(head.split(' ').nth(1) == Some("200"))
}

#[cfg(unix)]
async fn redis_ping(socket: &std::path::Path, password: &str) -> std::io::Result<bool> {
    let mut stream = tokio::net::UnixStream::connect(socket).await?;
    let auth = resp_command(&["AUTH", password]);
    let ping = resp_command(&["PING"]);
    stream.write_all(&[auth, ping].concat()).await?;
    Ok(read_reply(&mut stream).await? == "+OK" && read_reply(&mut stream).await? == "+PONG")
}

/// Valkey listens on a Unix socket here; elsewhere the probe never succeeds.
#[cfg(not(unix))]
async fn redis_ping(_socket: &std::path::Path, _password: &str) -> std::io::Result<bool> {
    Err(std::io::Error::from(std::io::ErrorKind::Unsupported))
}

/// A command in RESP: an array of bulk strings.
#[cfg(unix)]
fn resp_command(parts: &[&str]) -> Vec<u8> {
    let mut out = format!("*{}\r\n", parts.len()).into_bytes();
    for part in parts {
        out.extend_from_slice(format!("${}\r\n", part.len()).as_bytes());
        out.extend_from_slice(part.as_bytes());
        out.extend_from_slice(b"\r\n");
    }
    out
}

/// One simple-string or error reply line, without its CRLF.
#[cfg(unix)]
async fn read_reply<S: tokio::io::AsyncRead + Unpin>(stream: &mut S) -> std::io::Result<String> {
    let mut line = Vec::new();
    let mut byte = [0u8; 1];
    while line.len() < 512 {
        if stream.read(&mut byte).await? == 0 {
            break;
        }
        if byte[0] == b'\n' {
            break;
        }
        line.push(byte[0]);
    }
    Ok(String::from_utf8_lossy(&line)
        .trim_end_matches('\r')
        .to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;
    use tokio::net::TcpListener;

    async fn serve_once(status: &'static str) -> u16 {
        let listener = TcpListener::bind(("127.0.0.1", 0)).await.expect("bind");
        let port = listener.local_addr().expect("addr").port();
        tokio::spawn(async move {
            while let Ok((mut socket, _)) = listener.accept().await {
                let mut buf = [0u8; 1024];
                let _ = socket.read(&mut buf).await;
                let response = format!("HTTP/1.1 {status}\r\nContent-Length: 0\r\n\r\n");
                let _ = socket.write_all(response.as_bytes()).await;
            }
        });
        port
    }

    #[tokio::test]
    async fn http_probe_accepts_200_only() {
        let ok = serve_once("200 OK").await;
        let unavailable = serve_once("503 Service Unavailable").await;
        let path = "/health".to_owned();
        let log = LogBuffer::new(1, vec![]);
        let probe = |port| ReadinessProbe::HttpGet {
            port,
            path: path.clone(),
        };
        assert!(probe(ok).check(&log).await);
        assert!(!probe(unavailable).check(&log).await);
    }

    #[tokio::test]
    async fn probes_fail_on_a_closed_port() {
        let port = crate::free_loopback_port().expect("port");
        let log = LogBuffer::new(1, vec![]);
        assert!(!ReadinessProbe::Tcp { port }.check(&log).await);
        let path = "/health".to_owned();
        assert!(!ReadinessProbe::HttpGet { port, path }.check(&log).await);
    }

    #[tokio::test]
    async fn redis_ping_needs_the_right_password() {
        let dir = std::env::temp_dir().join(format!("convoy-probe-{}", std::process::id()));
        std::fs::create_dir_all(&dir).expect("dir");
        let socket = dir.join("v.sock");
        let mut server = tokio::process::Command::new("redis-server")
            .args(["--port", "0", "--save", "", "--appendonly", "no"])
            .arg("--unixsocket")
            .arg(&socket)
            .args(["--requirepass", "right-password"])
            .stdout(std::process::Stdio::null())
            .kill_on_drop(true)
            .spawn()
            .expect("redis-server is installed (scripts/setup.sh)");
        let log = LogBuffer::new(1, vec![]);
        let probe = |password: &str| ReadinessProbe::RedisPing {
            socket: socket.clone(),
            password: password.to_owned(),
        };
        let mut ready = false;
        for _ in 0..200 {
            if probe("right-password").check(&log).await {
                ready = true;
                break;
            }
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
        assert!(ready, "redis-server answered PING");
        assert!(!probe("wrong-password").check(&log).await);
        let _ = server.kill().await;
        let _ = std::fs::remove_dir_all(&dir);
    }

    #[test]
    fn ready_line_probe_reads_the_log() {
        let log = LogBuffer::new(10, vec![]);
        let probe = ReadinessProbe::ReadyLine {
            prefix: "convoy:ready".into(),
        };
        let rt = tokio::runtime::Builder::new_current_thread()
            .build()
            .expect("rt");
        log.push("starting");
        assert!(!rt.block_on(probe.check(&log)));
        log.push("convoy:ready worker");
        assert!(rt.block_on(probe.check(&log)));
        log.mark_restart();
        assert!(
            !rt.block_on(probe.check(&log)),
            "a new start needs a new ready line"
        );
    }
}
