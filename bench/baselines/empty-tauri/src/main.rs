//! An empty Tauri app: one window, one static page, no plugins. It is the
//! baseline Runbook's start-up and memory are compared with
//! (`bench/startup.sh`, `bench/memory.sh`), and it carries the IPC benchmark's
//! commands (`bench/ipc.sh`), so that Runbook itself holds no benchmark code.
//! The commands are a few kilobytes of code that run only when called: they
//! change neither start-up nor idle memory.

// Keeps a console window from opening next to the app on Windows release builds.
#![cfg_attr(not(debug_assertions), windows_subsystem = "windows")]

use std::{
    fs::OpenOptions,
    io::Write,
    sync::{Mutex, OnceLock, PoisonError},
    time::{Instant, SystemTime, UNIX_EPOCH},
};

use serde::{Deserialize, Serialize};
use tauri::{
    ipc::{Channel, InvokeBody, InvokeResponseBody, Request, Response},
    AppHandle, Emitter,
};

/// A file to append the start-up line to, besides stderr (as Runbook's).
const REPORT_ENV: &str = "CONVOY_STARTUP_REPORT";

static LAUNCHED: OnceLock<Instant> = OnceLock::new();
static REPORTED: OnceLock<u32> = OnceLock::new();

/// The page's DOMContentLoaded: the first call records the time since launch
/// and prints `convoy:startup dom-content-loaded-ms=… unix-ms=…`, the line
/// Runbook's `startup_report` prints for its own milestone.
#[tauri::command]
fn startup_report() -> u32 {
    *REPORTED.get_or_init(|| {
        let elapsed = LAUNCHED.get_or_init(Instant::now).elapsed();
        let unix_ms = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map(|d| d.as_millis())
            .unwrap_or(0);
        let line = format!(
            "convoy:startup dom-content-loaded-ms={:.1} unix-ms={unix_ms}",
            elapsed.as_secs_f64() * 1000.0
        );
        eprintln!("{line}");
        if let Some(path) = std::env::var_os(REPORT_ENV).filter(|p| !p.is_empty()) {
            if let Ok(mut file) = OpenOptions::new().create(true).append(true).open(path) {
                let _ = writeln!(file, "{line}");
            }
        }
        u32::try_from(elapsed.as_millis()).unwrap_or(u32::MAX)
    })
}

/// When each `echo` arrived, while the page records. WebKit gives the page a
/// 1 ms clock; the shell's is finer. The page calls `echo` again as soon as
/// the previous answer arrives, so the time between two arrivals here is one
/// whole round trip (answer to the page, the page's turn, request back).
static ARRIVALS: Mutex<Vec<Instant>> = Mutex::new(Vec::new());

fn arrived() {
    ARRIVALS
        .lock()
        .unwrap_or_else(PoisonError::into_inner)
        .push(Instant::now());
}

/// Forgets earlier arrivals: the page is about to start a timed loop.
#[tauri::command]
fn arrivals_reset() {
    let mut arrivals = ARRIVALS.lock().unwrap_or_else(PoisonError::into_inner);
    arrivals.clear();
    arrivals.reserve(100_000);
}

/// The times between consecutive arrivals since the reset, in milliseconds.
#[tauri::command]
fn arrivals_take() -> Vec<f64> {
    let arrivals = std::mem::take(&mut *ARRIVALS.lock().unwrap_or_else(PoisonError::into_inner));
    arrivals
        .windows(2)
        .map(|pair| (pair[1] - pair[0]).as_secs_f64() * 1000.0)
        .collect()
}

/// The small round trip, run on the main thread as every synchronous command is.
#[tauri::command]
fn echo(value: serde_json::Value) -> serde_json::Value {
    arrived();
    value
}

/// The small round trip, run on the async runtime.
#[tauri::command]
async fn echo_async(value: serde_json::Value) -> serde_json::Value {
    arrived();
    value
}

/// `len` bytes to the page as a raw `ipc::Response` (an `ArrayBuffer`, not JSON).
#[tauri::command]
async fn bytes_out(len: u32) -> Response {
    Response::new(vec![0x5a; len as usize])
}

/// The bytes a page sent: the raw request body (the page invokes with a
/// `Uint8Array`), or, through the postMessage fallback, which can only carry
/// JSON, the array of numbers Tauri's script turned them into.
fn body_bytes(request: &Request<'_>) -> Result<Vec<u8>, String> {
    match request.body() {
        InvokeBody::Raw(bytes) => Ok(bytes.clone()),
        InvokeBody::Json(value) => Vec::<u8>::deserialize(value).map_err(|e| e.to_string()),
    }
}

/// Bytes from the page; answers how many arrived.
#[tauri::command]
async fn bytes_in(request: Request<'_>) -> Result<u32, String> {
    let bytes = body_bytes(&request)?;
    u32::try_from(bytes.len()).map_err(|e| e.to_string())
}

/// Bytes from the page, sent back as a raw response.
#[tauri::command]
async fn bytes_echo(request: Request<'_>) -> Result<Response, String> {
    body_bytes(&request).map(Response::new)
}

/// `len` bytes to the page as one raw channel message.
#[tauri::command]
async fn bytes_channel(bytes: Channel<InvokeResponseBody>, len: u32) -> Result<(), String> {
    bytes
        .send(InvokeResponseBody::Raw(vec![0x5a; len as usize]))
        .map_err(|e| e.to_string())
}

/// One line of output, as a log stream would carry it.
#[derive(Clone, Serialize)]
struct Line {
    seq: u32,
    text: &'static str,
}

const TEXT: &str =
    "2025-01-01T00:00:00.000Z worker: step 42 of 100 done, 3 files changed, 0 errors";

fn batch(message: u32, size: u32) -> Vec<Line> {
    (0..size)
        .map(|i| Line {
            seq: message * size + i,
            text: TEXT,
        })
        .collect()
}

/// `messages` channel messages of `batch_size` lines each, as fast as they go.
#[tauri::command]
async fn stream_channel(
    lines: Channel<Vec<Line>>,
    messages: u32,
    batch_size: u32,
) -> Result<(), String> {
    for message in 0..messages {
        lines
            .send(batch(message, batch_size))
            .map_err(|e| e.to_string())?;
    }
    Ok(())
}

/// `messages` `bench:lines` events of `batch_size` lines each, as fast as they go.
#[tauri::command]
async fn stream_events(app: AppHandle, messages: u32, batch_size: u32) -> Result<(), String> {
    for message in 0..messages {
        app.emit("bench:lines", batch(message, batch_size))
            .map_err(|e| e.to_string())?;
    }
    Ok(())
}

fn main() {
    LAUNCHED.get_or_init(Instant::now);
    tauri::Builder::default()
        .invoke_handler(tauri::generate_handler![
            startup_report,
            arrivals_reset,
            arrivals_take,
            echo,
            echo_async,
            bytes_out,
            bytes_in,
            bytes_echo,
            bytes_channel,
            stream_channel,
            stream_events,
        ])
        .run(tauri::generate_context!())
        .unwrap_or_else(|err| {
            eprintln!("empty-tauri: {err}");
            std::process::exit(1);
        });
}
