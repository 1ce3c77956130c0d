//! The socket, and the checks every request passes before the shell sees it:
//! the peer's uid, then the token, then the endpoint and body. The HTTP/1.1
//! framing is hyper's; a request it cannot parse is answered by hyper (400,
//! 431) and reaches none of this.

use std::{
    convert::Infallible,
    io,
    os::unix::fs::{FileTypeExt, PermissionsExt},
    path::Path,
    sync::Arc,
    time::Duration,
};

use http_body_util::{BodyExt, Full, LengthLimitError, Limited};
use hyper::{
    body::{Body, Bytes, Incoming},
    header::{HeaderValue, AUTHORIZATION, CONTENT_TYPE},
    server::conn::http1,
    service::service_fn,
    Method, Response, StatusCode,
};
use hyper_util::rt::TokioIo;
use tokio::{
    net::{UnixListener, UnixStream},
    task::JoinHandle,
    time::timeout,
};

use crate::protocol::{BackchannelError, Request, MAX_BODY_BYTES};

/// Request line and headers together; the protocol needs a few hundred bytes.
const MAX_HEAD_BYTES: usize = 8 * 1024;
/// A client that stalls mid-request is dropped after this.
const REQUEST_TIMEOUT: Duration = Duration::from_secs(5);
/// After a failed accept (e.g. out of descriptors), so the loop does not spin.
const ACCEPT_RETRY: Duration = Duration::from_millis(50);

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
    let gate = Arc::new(Gate { token, handler });
    tokio::spawn(async move {
        loop {
            match listener.accept().await {
                Ok((stream, _)) => {
                    tokio::spawn(connection(stream, gate.clone()));
                }
                Err(_) => tokio::time::sleep(ACCEPT_RETRY).await,
            }
        }
    })
}

async fn connection(stream: UnixStream, gate: Arc<Gate>) {
    // Who is connecting is known before a byte is read.
    let peer = same_user(&stream);
    let service = service_fn(move |request| {
        let gate = gate.clone();
        let peer = peer.clone();
        async move { Ok::<_, Infallible>(respond(gate.admit(peer, request).await)) }
    });
    let connection = http1::Builder::new()
        // One request per connection: nothing pipelined behind it is read.
        .keep_alive(false)
        // A client may shut its write side once it has sent the request.
        .half_close(true)
        .max_header_size(MAX_HEAD_BYTES)
        .serve_connection(TokioIo::new(stream), service);
    // Elapsed or failed, the connection is dropped and so closed.
    let _ = timeout(REQUEST_TIMEOUT, connection).await;
}

/// The token and the handler every request of every connection passes.
struct Gate {
    token: String,
    handler: Arc<dyn Handler>,
}

impl Gate {
    /// The checks, in order: no byte of the body is read before the peer
    /// and the token pass, and the shell sees only what passed them all.
    async fn admit(
        &self,
        peer: Result<(), BackchannelError>,
        request: hyper::Request<Incoming>,
    ) -> Result<(), BackchannelError> {
        peer?;
        let presented = request
            .headers()
            .get(AUTHORIZATION)
            .and_then(|value| value.as_bytes().strip_prefix(b"Bearer "))
            .unwrap_or_default();
        if !constant_time_eq(presented, self.token.as_bytes()) {
            return Err(BackchannelError::Unauthorized);
        }
        let path = request.uri().path().to_owned();
        if request.method() != Method::POST {
            return Err(BackchannelError::NotFound {
                method: request.method().as_str().chars().take(16).collect(),
                path: path.chars().take(200).collect(),
            });
        }
        let body = read_body(request.into_body()).await?;
        self.handler.handle(Request::parse(&path, &body)?)
    }
}

fn same_user(stream: &UnixStream) -> Result<(), BackchannelError> {
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
    Ok(())
}

/// The body, at most [`MAX_BODY_BYTES`] of it however it is framed.
async fn read_body(body: Incoming) -> Result<Bytes, BackchannelError> {
    let too_large = || BackchannelError::PayloadTooLarge {
        limit: MAX_BODY_BYTES as u32,
    };
    // A declared length over the limit is refused before any of it is read.
    if body.size_hint().lower() > MAX_BODY_BYTES as u64 {
        return Err(too_large());
    }
    match Limited::new(body, MAX_BODY_BYTES).collect().await {
        Ok(collected) => Ok(collected.to_bytes()),
        Err(err) if err.is::<LengthLimitError>() => Err(too_large()),
        Err(err) => Err(BackchannelError::bad(format!("unreadable body: {err}"))),
    }
}

fn respond(outcome: Result<(), BackchannelError>) -> Response<Full<Bytes>> {
    let Err(error) = outcome else {
        let mut response = Response::new(Full::default());
        *response.status_mut() = StatusCode::NO_CONTENT;
        return response;
    };
    let mut response = Response::new(Full::from(serde_json::to_vec(&error).unwrap_or_default()));
    *response.status_mut() =
        StatusCode::from_u16(error.status()).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    response
        .headers_mut()
        .insert(CONTENT_TYPE, HeaderValue::from_static("application/json"));
    response
}

/// Compares without stopping at the first difference, so timing tells nothing.
fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    if a.len() != b.len() {
        return false;
    }
    a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}
