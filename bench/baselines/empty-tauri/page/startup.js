// The baseline's start-up ends at DOMContentLoaded: the shell records the time once.
document.addEventListener("DOMContentLoaded", () => {
  window.__TAURI_INTERNALS__.invoke("startup_report").catch(() => {});
});
