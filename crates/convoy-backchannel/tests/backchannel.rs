//! The back-channel server on a real Unix socket, with real clients: a raw
//! HTTP client in this process, and one running as another user (`nobody`).
#![cfg(unix)]

use std::{
    os::unix::fs::{DirBuilderExt, PermissionsExt},
    path::PathBuf,
    sync::{Arc, Mutex},
};

use convoy_backchannel::{
    bind, protocol::MAX_BODY_BYTES, serve, BackchannelError, Handler, Request,
};
use tokio::{
    io::{AsyncReadExt, AsyncWriteExt},
    net::UnixStream,
};

const TOKEN: &str = "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef";

#[derive(Default)]
struct Recorder(Mutex<Vec<Request>>);

impl Handler for Recorder {
    fn handle(&self, request: Request) -> Result<(), BackchannelError> {
        self.0.lock().expect("lock").push(request);
        Ok(())
    }
}

fn private_dir(name: &str, mode: u32) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("convoy-bc-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::DirBuilder::new()
        .mode(mode)
        .create(&dir)
        .expect("dir");
    std::fs::set_permissions(&dir, std::fs::Permissions::from_mode(mode)).expect("chmod");
    dir
}

async fn start(name: &str, mode: u32) -> (PathBuf, Arc<Recorder>) {
    let dir = private_dir(name, mode);
    let socket = dir.join("backchannel.sock");
    let recorder = Arc::new(Recorder::default());
    let listener = bind(&socket).expect("bind");
    serve(listener, TOKEN.into(), recorder.clone());
    (socket, recorder)
}

async fn send(socket: &PathBuf, raw: &[u8]) -> (u16, String) {
    let mut stream = UnixStream::connect(socket).await.expect("connect");
    stream.write_all(raw).await.expect("write");
    let mut response = String::new();
    stream.read_to_string(&mut response).await.expect("read");
    let status = response
        .split(' ')
        .nth(1)
        .and_then(|s| s.parse().ok())
        .unwrap_or(0);
    let body = response
        .split("\r\n\r\n")
        .nth(1)
        .unwrap_or_default()
        .to_owned();
    (status, body)
}

fn post(path: &str, token: Option<&str>, body: &str) -> Vec<u8> {
    let auth = token
        .map(|t| format!("Authorization: Bearer {t}\r\n"))
        .unwrap_or_default();
    format!(
        "POST {path} HTTP/1.1\r\nHost: backchannel\r\n{auth}Content-Type: application/json\r\nContent-Length: {}\r\n\r\n{body}",
        body.len()
    )
    .into_bytes()
}

#[tokio::test]
async fn the_socket_and_its_directory_are_private() {
    let (socket, _) = start("perms", 0o700).await;
    let mode =
        |p: &std::path::Path| std::fs::metadata(p).expect("meta").permissions().mode() & 0o777;
    assert_eq!(mode(&socket), 0o600);
    assert_eq!(mode(socket.parent().expect("dir")), 0o700);
}

#[tokio::test]
async fn a_valid_request_reaches_the_handler() {
    let (socket, recorder) = start("ok", 0o700).await;
    let (status, body) = send(
        &socket,
        &post("/v1/open-window", Some(TOKEN), r#"{"route":"settings"}"#),
    )
    .await;
    assert_eq!((status, body.as_str()), (204, ""));
    assert_eq!(recorder.0.lock().expect("lock").len(), 1);
}

#[tokio::test]
async fn refusals_are_typed_and_reach_nothing() {
    let (socket, recorder) = start("refusals", 0o700).await;
    let wrong = "f".repeat(64);
    let cases: Vec<(Vec<u8>, u16, &str)> = vec![
        (post("/v1/notify", None, r#"{"title":"t","body":"b"}"#), 401, "Unauthorized"),
        (post("/v1/notify", Some(&wrong), r#"{"title":"t","body":"b"}"#), 401, "Unauthorized"),
        (post("/v1/notify", Some(&TOKEN[..63]), r#"{"title":"t","body":"b"}"#), 401, "Unauthorized"),
        (post("/v1/shutdown", Some(TOKEN), "{}"), 404, "NotFound"),
        (post("/v1/notify", Some(TOKEN), "{not json"), 400, "BadRequest"),
        (post("/v1/broadcast", Some(TOKEN), r#"{"event":"tauri://x","payload":1}"#), 400, "BadRequest"),
        (
            format!("GET /v1/notify HTTP/1.1\r\nAuthorization: Bearer {TOKEN}\r\n\r\n").into_bytes(),
            404,
            "NotFound",
        ),
        (
            format!(
                "POST /v1/notify HTTP/1.1\r\nAuthorization: Bearer {TOKEN}\r\nContent-Length: {}\r\n\r\n",
                MAX_BODY_BYTES + 1
            )
            .into_bytes(),
            413,
            "PayloadTooLarge",
        ),
    ];
    for (raw, status, kind) in cases {
        let (got, body) = send(&socket, &raw).await;
        let error: serde_json::Value = serde_json::from_str(&body).expect("a JSON error body");
        assert_eq!(
            (got, error["type"].as_str()),
            (status, Some(kind)),
            "{}",
            String::from_utf8_lossy(&raw)
        );
    }
    assert!(
        recorder.0.lock().expect("lock").is_empty(),
        "no refused request reached the shell"
    );
}

/// Everything the server wrote before it closed, a reset included: it may
/// close with part of a refused body unread.
async fn exchange(socket: &PathBuf, raw: Vec<u8>) -> String {
    let stream = UnixStream::connect(socket).await.expect("connect");
    let (mut reader, mut writer) = stream.into_split();
    // Written beside the read: a refused body is not drained, and a large one
    // would otherwise fill the socket's buffer with nobody reading.
    let writing = tokio::spawn(async move {
        let _ = writer.write_all(&raw).await;
        writer
    });
    let mut response = Vec::new();
    let mut chunk = [0u8; 4096];
    while let Ok(n @ 1..) = reader.read(&mut chunk).await {
        response.extend_from_slice(&chunk[..n]);
    }
    drop(writing.await);
    String::from_utf8_lossy(&response).into_owned()
}

fn status_of(response: &str) -> u16 {
    response
        .strip_prefix("HTTP/1.1 ")
        .and_then(|rest| rest.get(..3))
        .and_then(|code| code.parse().ok())
        .unwrap_or(0)
}

fn error_type(response: &str) -> Option<String> {
    let body = response.split_once("\r\n\r\n")?.1;
    let error: serde_json::Value = serde_json::from_str(body).ok()?;
    error["type"].as_str().map(str::to_owned)
}

fn chunked(path: &str, body: &[u8], chunk: usize) -> Vec<u8> {
    let mut raw = format!(
        "POST {path} HTTP/1.1\r\nAuthorization: Bearer {TOKEN}\r\nTransfer-Encoding: chunked\r\n\r\n"
    )
    .into_bytes();
    for piece in body.chunks(chunk) {
        raw.extend_from_slice(format!("{:x}\r\n", piece.len()).as_bytes());
        raw.extend_from_slice(piece);
        raw.extend_from_slice(b"\r\n");
    }
    raw.extend_from_slice(b"0\r\n\r\n");
    raw
}

/// A broadcast whose JSON body is exactly `len` bytes.
fn broadcast_of_len(len: usize) -> String {
    let empty = r#"{"event":"jobs:changed","payload":""}"#;
    let padding = "x".repeat(len - empty.len());
    format!(r#"{{"event":"jobs:changed","payload":"{padding}"}}"#)
}

#[tokio::test]
async fn malformed_http_is_answered_by_the_parser_and_reaches_nothing() {
    let (socket, recorder) = start("malformed", 0o700).await;
    let auth = format!("Authorization: Bearer {TOKEN}");
    let cases: Vec<(String, u16)> = vec![
        ("garbage\r\n\r\n".into(), 400),
        (
            format!("POST /v1/notify HTTP/1.1\r\n{auth}\r\nContent-Length: 2x\r\n\r\n{{}}"),
            400,
        ),
        (
            format!(
                "POST /v1/notify HTTP/1.1\r\n{auth}\r\nContent-Length: 2\r\nContent-Length: 40\r\n\r\n{{}}"
            ),
            400,
        ),
        (
            format!(
                "POST /v1/notify HTTP/1.1\r\n{auth}\r\nTransfer-Encoding: gzip\r\n\r\n{{}}"
            ),
            400,
        ),
        (
            format!(
                "POST /v1/notify HTTP/1.1\r\n{auth}\r\nX-Padding: {}\r\nContent-Length: 2\r\n\r\n{{}}",
                "p".repeat(9 * 1024)
            ),
            431,
        ),
    ];
    for (raw, status) in cases {
        let response = exchange(&socket, raw.clone().into_bytes()).await;
        assert_eq!(status_of(&response), status, "{raw:.120}\n{response}");
    }
    assert!(recorder.0.lock().expect("lock").is_empty());
}

#[tokio::test]
async fn the_body_limit_holds_however_the_body_is_framed() {
    let (socket, recorder) = start("limit", 0o700).await;
    let at_limit = broadcast_of_len(MAX_BODY_BYTES);
    let response = exchange(&socket, post("/v1/broadcast", Some(TOKEN), &at_limit)).await;
    assert_eq!(status_of(&response), 204, "{response}");
    let response = exchange(&socket, chunked("/v1/broadcast", at_limit.as_bytes(), 4096)).await;
    assert_eq!(status_of(&response), 204, "a chunked body within the limit");
    assert_eq!(recorder.0.lock().expect("lock").len(), 2);

    let over = broadcast_of_len(MAX_BODY_BYTES + 1);
    for raw in [
        chunked("/v1/broadcast", over.as_bytes(), 4096),
        chunked("/v1/broadcast", over.as_bytes(), over.len()),
        post("/v1/broadcast", Some(TOKEN), &over),
    ] {
        let response = exchange(&socket, raw).await;
        assert_eq!(
            (status_of(&response), error_type(&response).as_deref()),
            (413, Some("PayloadTooLarge")),
            "{response}"
        );
    }
    assert_eq!(recorder.0.lock().expect("lock").len(), 2, "nothing over it");
}

#[tokio::test]
async fn a_body_shorter_than_its_content_length_is_refused() {
    let (socket, recorder) = start("short", 0o700).await;
    let mut stream = UnixStream::connect(&socket).await.expect("connect");
    let head = format!(
        "POST /v1/notify HTTP/1.1\r\nAuthorization: Bearer {TOKEN}\r\nContent-Length: 100\r\n\r\n"
    );
    stream.write_all(head.as_bytes()).await.expect("write");
    stream
        .write_all(br#"{"title":"t","body":"b"}"#)
        .await
        .expect("write");
    stream.shutdown().await.expect("shut the write side");
    let mut response = String::new();
    stream.read_to_string(&mut response).await.expect("read");
    assert_eq!(
        (status_of(&response), error_type(&response).as_deref()),
        (400, Some("BadRequest")),
        "{response}"
    );
    assert!(recorder.0.lock().expect("lock").is_empty());
}

#[tokio::test]
async fn a_stalled_client_is_dropped() {
    let (socket, recorder) = start("stalled", 0o700).await;
    let stalled_head = format!("POST /v1/notify HTTP/1.1\r\nAuthorization: Bearer {TOKEN}\r\n");
    let stalled_body = format!(
        "POST /v1/notify HTTP/1.1\r\nAuthorization: Bearer {TOKEN}\r\nContent-Length: 25\r\n\r\n{{\"title\""
    );
    let started = std::time::Instant::now();
    let mut clients = Vec::new();
    for raw in [stalled_head, stalled_body] {
        let mut stream = UnixStream::connect(&socket).await.expect("connect");
        stream.write_all(raw.as_bytes()).await.expect("write");
        // The write side stays open: the client just stops sending.
        clients.push(tokio::spawn(async move {
            let mut response = Vec::new();
            let _ = stream.read_to_end(&mut response).await;
            response
        }));
    }
    for client in clients {
        let response = tokio::time::timeout(std::time::Duration::from_secs(15), client)
            .await
            .expect("the server closed the connection")
            .expect("join");
        assert!(
            response.is_empty(),
            "{}",
            String::from_utf8_lossy(&response)
        );
    }
    assert!(started.elapsed() >= std::time::Duration::from_secs(4));
    assert!(recorder.0.lock().expect("lock").is_empty());
}

#[tokio::test]
async fn a_pipelined_request_is_never_read() {
    let (socket, recorder) = start("pipelined", 0o700).await;
    let mut raw = post("/v1/open-window", Some(TOKEN), r#"{"route":"settings"}"#);
    raw.extend(post(
        "/v1/notify",
        Some(TOKEN),
        r#"{"title":"t","body":"b"}"#,
    ));
    let response = exchange(&socket, raw).await;
    assert_eq!(status_of(&response), 204, "{response}");
    assert_eq!(response.matches("HTTP/1.1").count(), 1, "{response}");
    let received = recorder.0.lock().expect("lock");
    assert!(
        matches!(received.as_slice(), [Request::OpenWindow(_)]),
        "{received:?}"
    );
}

#[tokio::test]
async fn a_stale_socket_is_replaced_and_a_live_one_is_not() {
    let (socket, _) = start("stale", 0o700).await;
    assert!(bind(&socket).is_err(), "a live socket is never taken over");
    let plain = socket.with_file_name("not-a-socket");
    std::fs::write(&plain, "x").expect("write");
    assert!(
        bind(&plain).is_err(),
        "a file that is not a socket is never removed"
    );

    let dead = socket.with_file_name("dead.sock");
    drop(std::os::unix::net::UnixListener::bind(&dead).expect("bind"));
    assert!(dead.exists(), "a socket file left by a closed listener");
    bind(&dead).expect("a stale socket is replaced");
}

/// Runs a raw request as `nobody` and returns what it printed (or its error).
fn as_nobody(socket: &std::path::Path) -> String {
    let script = format!(
        "import socket,sys\ns=socket.socket(socket.AF_UNIX)\ntry:\n s.connect({:?})\nexcept OSError as e:\n print('connect-error', e.errno); sys.exit(0)\ntry:\n s.sendall(b'POST /v1/notify HTTP/1.1\\r\\nAuthorization: Bearer {TOKEN}\\r\\nContent-Length: 25\\r\\n\\r\\n{{\"title\":\"t\",\"body\":\"b\"}}')\nexcept BrokenPipeError:\n pass\nprint(s.recv(4096).decode())",
        socket.display().to_string()
    );
    let output = std::process::Command::new("setpriv")
        .args([
            "--reuid=nobody",
            "--regid=nogroup",
            "--clear-groups",
            "/usr/bin/python3",
            "-c",
            &script,
        ])
        .output()
        .expect("setpriv (util-linux) and /usr/bin/python3 (python3-minimal)");
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    String::from_utf8_lossy(&output.stdout).into_owned()
}

#[tokio::test]
async fn another_user_cannot_reach_the_socket() {
    // SAFETY: getuid only reads the process's credentials.
    if unsafe { libc::getuid() } != 0 {
        // Switching to `nobody` needs root; CI and these machines run as root.
        panic!("this test switches user and must run as root");
    }
    let (socket, recorder) = start("nobody-private", 0o700).await;
    let out = tokio::task::spawn_blocking(move || as_nobody(&socket))
        .await
        .expect("join");
    assert!(
        out.starts_with("connect-error 13"),
        "the 0700 directory refuses: {out}"
    );
    assert!(recorder.0.lock().expect("lock").is_empty());
}

#[tokio::test]
async fn another_user_is_refused_by_uid_even_if_the_socket_were_open() {
    // SAFETY: as above.
    if unsafe { libc::getuid() } != 0 {
        panic!("this test switches user and must run as root");
    }
    // Loosened on purpose, to show the peer-uid check stands on its own.
    let (socket, recorder) = start("nobody-open", 0o777).await;
    std::fs::set_permissions(&socket, std::fs::Permissions::from_mode(0o666)).expect("chmod");
    let out = tokio::task::spawn_blocking(move || as_nobody(&socket))
        .await
        .expect("join");
    assert!(out.starts_with("HTTP/1.1 403"), "{out}");
    assert!(out.contains(r#""type":"Forbidden""#), "{out}");
    assert!(recorder.0.lock().expect("lock").is_empty());
}
