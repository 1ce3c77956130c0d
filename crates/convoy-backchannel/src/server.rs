//! The socket, the HTTP framing and the checks every request passes: the
//! peer's uid, then the token, then the endpoint and body.

use std::{
    io,
    os::unix::fs::{FileTypeExt, PermissionsExt},
    path::Path,
    sync::Arc,
    time::Duration,
};

use tokio::{
    io::{AsyncReadExt, AsyncWriteExt},
    net::{UnixListener, UnixStream},
    task::JoinHandle,
    time::timeout,
};

use crate::protocol::{BackchannelError, Request, MAX_BODY_BYTES};

const MAX_HEAD_BYTES: usize = 8 * 1024;
/// A client that stalls mid-request is dropped after this.
const REQUEST_TIMEOUT: Duration = Duration::from_secs(5);

/// What the shell does with a request that passed every check.
pub trait Handler: Send + Sync + 'static {
    fn handle(&self, request: Request) -> Result<(), BackchannelError>;
}

/// Binds `path` with mode 0600. A socket left by a dead process is removed
/// first; a live one, or anything that is not a socket, is an error.
pub fn bind(path: &Path) -> io::Result<UnixListener> {
    if let Ok(meta) = std::fs::symlink_metadata(path) {
        if !meta.file_type().is_socket() {
            return Err(io::Error::new(
                io::ErrorKind::AlreadyExists,
                format!("{} exists and is not a socket", path.display()),
            ));
        }
        match std::os::unix::net::UnixStream::connect(path) {
            Ok(_) => {
                return Err(io::Error::new(
                    io::ErrorKind::AddrInUse,
                    format!("{} is served by a running process", path.display()),
                ))
            }
            Err(_) => std::fs::remove_file(path)?,
        }
    }
    let listener = UnixListener::bind(path)?;
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o600))?;
    Ok(listener)
}

/// Serves `listener` until the task is aborted; one request per connection.
pub fn serve(listener: UnixListener, token: String, handler: Arc<dyn Handler>) -> JoinHandle<()> {
    let token = Arc::new(token);
    tokio::spawn(async move {
        loop {
            let Ok((stream, _)) = listener.accept().await else {
                continue;
            };
            let token = token.clone();
            let handler = handler.clone();
            tokio::spawn(async move {
                let _ = timeout(REQUEST_TIMEOUT, connection(stream, &token, &*handler)).await;
            });
        }
    })
}

async fn connection(mut stream: UnixStream, token: &str, handler: &dyn Handler) -> io::Result<()> {
    let outcome = answer(&mut stream, token, handler).await;
    let (status, body) = match outcome {
        Ok(()) => (204, String::new()),
        Err(error) => (
            error.status(),
            serde_json::to_string(&error).unwrap_or_default(),
        ),
    };
    let response = format!(
        "HTTP/1.1 {status} {}\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
        reason(status),
        body.len()
    );
    stream.write_all(response.as_bytes()).await?;
    stream.shutdown().await
}

async fn answer(
    stream: &mut UnixStream,
    token: &str,
    handler: &dyn Handler,
) -> Result<(), BackchannelError> {
    // Who is connecting is known before a byte is read.
    let peer = stream
        .peer_cred()
        .map_err(|err| BackchannelError::Forbidden {
            reason: format!("peer credentials unavailable: {err}"),
        })?;
    // SAFETY: getuid cannot fail and touches no memory.
    let own_uid = unsafe { libc::getuid() };
    if peer.uid() != own_uid {
        return Err(BackchannelError::Forbidden {
            reason: "the client runs as another user".into(),
        });
    }

    let (head, mut body) = read_head(stream).await?;
    let mut lines = head.split("\r\n");
    let mut request_line = lines.next().unwrap_or_default().split(' ');
    let method = request_line.next().unwrap_or_default().to_owned();
    let path = request_line.next().unwrap_or_default().to_owned();
    let mut authorization = None;
    let mut length: Option<usize> = None;
    for line in lines {
        let Some((name, value)) = line.split_once(':') else {
            continue;
        };
        let value = value.trim();
        match name.trim().to_ascii_lowercase().as_str() {
            "authorization" => authorization = Some(value.to_owned()),
            "content-length" => {
                length = Some(
                    value
                        .parse()
                        .map_err(|_| BackchannelError::bad("bad Content-Length"))?,
                )
            }
            "transfer-encoding" => {
                return Err(BackchannelError::bad("send a Content-Length, not chunks"))
            }
            _ => {}
        }
    }

    let presented = authorization
        .as_deref()
        .and_then(|value| value.strip_prefix("Bearer "))
        .unwrap_or_default();
    if !constant_time_eq(presented.as_bytes(), token.as_bytes()) {
        return Err(BackchannelError::Unauthorized);
    }
    if method != "POST" {
        return Err(BackchannelError::NotFound {
            method: method.chars().take(16).collect(),
            path: path.chars().take(200).collect(),
        });
    }
    let length = length.unwrap_or(0);
    if length > MAX_BODY_BYTES {
        return Err(BackchannelError::PayloadTooLarge {
            limit: MAX_BODY_BYTES as u32,
        });
    }
    while body.len() < length {
        let mut chunk = vec![0u8; length - body.len()];
        let n = stream
            .read(&mut chunk)
            .await
            .map_err(|err| BackchannelError::bad(err.to_string()))?;
        if n == 0 {
            return Err(BackchannelError::bad(
                "body shorter than its Content-Length",
            ));
        }
        body.extend_from_slice(&chunk[..n]);
    }
    body.truncate(length);
    let request = Request::parse(&path, &body)?;
    handler.handle(request)
}

/// Reads up to the blank line; returns the head and any body bytes read with it.
async fn read_head(stream: &mut UnixStream) -> Result<(String, Vec<u8>), BackchannelError> {
    let mut buffer = Vec::with_capacity(1024);
    let mut chunk = [0u8; 1024];
    loop {
        if let Some(end) = buffer.windows(4).position(|w| w == b"\r\n\r\n") {
            let head = String::from_utf8_lossy(&buffer[..end]).into_owned();
            return Ok((head, buffer[end + 4..].to_vec()));
        }
        if buffer.len() > MAX_HEAD_BYTES {
            return Err(BackchannelError::bad("request head too large"));
        }
        let n = stream
            .read(&mut chunk)
            .await
            .map_err(|err| BackchannelError::bad(err.to_string()))?;
        if n == 0 {
            return Err(BackchannelError::bad("connection closed mid-request"));
        }
        buffer.extend_from_slice(&chunk[..n]);
    }
}

/// Compares without stopping at the first difference, so timing tells nothing.
fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    if a.len() != b.len() {
        return false;
    }
    a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

fn reason(status: u16) -> &'static str {
    match status {
        204 => "No Content",
        400 => "Bad Request",
        401 => "Unauthorized",
        403 => "Forbidden",
        404 => "Not Found",
        409 => "Conflict",
        413 => "Payload Too Large",
        _ => "Service Unavailable",
    }
}
