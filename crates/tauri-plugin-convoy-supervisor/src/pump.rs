//! Sends each sidecar's new output to the UI in batches: at most one event
//! per sidecar per tick, however fast it prints, so a flood cannot swamp the
//! webview. Lines beyond a batch's limit are counted as `skipped`; the full
//! output is in the ring buffer and the log files.

use std::{collections::HashMap, sync::Arc, time::Duration};

use convoy_supervisor::Supervisor;
use tauri::{AppHandle, Emitter, Runtime};
use tauri_specta::Event;

use crate::models::{count, SidecarLogBatch};

const TICK: Duration = Duration::from_millis(100);
const MAX_BATCH_LINES: usize = 500;

pub fn spawn<R: Runtime>(app: AppHandle<R>, supervisor: Arc<Supervisor>) {
    tauri::async_runtime::spawn(async move {
        let mut seen: HashMap<String, u64> = HashMap::new();
        let mut interval = tokio::time::interval(TICK);
        interval.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            interval.tick().await;
            for name in supervisor.names() {
                let before = seen.get(&name).copied().unwrap_or(0);
                let Some((lines, skipped, total)) =
                    supervisor.logs_since(&name, before, MAX_BATCH_LINES)
                else {
                    continue;
                };
                // A fresh start of the whole set counts from zero again
                // (`logs_since` then answered from zero too).
                let before = if total < before { 0 } else { before };
                if total == before {
                    continue;
                }
                seen.insert(name.clone(), total);
                let batch = SidecarLogBatch {
                    sidecar: name,
                    lines,
                    skipped: count(skipped),
                    total: count(total),
                };
                let _ = app.emit(SidecarLogBatch::NAME, batch);
            }
        }
    });
}
