use std::time::Duration;

use tokio::{
    io::{AsyncReadExt, AsyncWriteExt},
    net::TcpStream,
    time::timeout,
};

/// How the supervisor knows a service sidecar is ready.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ReadinessProbe {
    /// Ready as soon as the process is running.
    Started,
    /// Ready when a TCP connection to 127.0.0.1:`port` succeeds.
    Tcp { port: u16 },
    /// Ready when `GET http://127.0.0.1:<port><path>` answers 200.
    HttpGet { port: u16, path: String },
}

impl ReadinessProbe {
    /// One attempt; `false` means "not yet".
    pub async fn check(&self) -> bool {
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
        assert!(
            ReadinessProbe::HttpGet {
                port: ok,
                path: path.clone()
            }
            .check()
            .await
        );
        assert!(
            !ReadinessProbe::HttpGet {
                port: unavailable,
                path
            }
            .check()
            .await
        );
    }

    #[tokio::test]
    async fn probes_fail_on_a_closed_port() {
        let port = crate::free_loopback_port().expect("port");
        assert!(!ReadinessProbe::Tcp { port }.check().await);
        let path = "/health".to_owned();
        assert!(!ReadinessProbe::HttpGet { port, path }.check().await);
    }
}
