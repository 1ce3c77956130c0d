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
        (b"garbage\r\n\r\n".to_vec(), 401, "Unauthorized"),
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
