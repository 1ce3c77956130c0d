// Plain W3C WebDriver over HTTP against tauri-driver, for the benchmarks that
// run their loops inside the real webview (ipc.mjs, ui.mjs): no client
// library, so nothing sits between a loop and the page but one request.
import { spawn } from "node:child_process";
import { createServer } from "node:net";

export function freePort() {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const { port } = server.address();
      server.close(() => resolve(port));
    });
  });
}

export async function waitFor(check, timeoutMs, what) {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (await check()) return;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  throw new Error(`timed out waiting for ${what}`);
}

/**
 * Starts tauri-driver (with `env` added to the environment it passes on to
 * the app) and opens a session on `app`; `close()` ends both.
 */
export async function openSession(app, { env = {}, scriptTimeoutMs = 600_000 } = {}) {
  const port = await freePort();
  const nativePort = await freePort();
  const driver = spawn("tauri-driver", ["--port", String(port), "--native-port", String(nativePort)], {
    stdio: ["ignore", "ignore", "inherit"],
    env: { ...process.env, ...env },
  });
  const base = `http://127.0.0.1:${port}`;
  const webdriver = async (method, path, body) => {
    const response = await fetch(`${base}${path}`, {
      method,
      headers: { "content-type": "application/json" },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const json = await response.json();
    if (!response.ok) throw new Error(`${method} ${path}: ${JSON.stringify(json.value)}`);
    return json.value;
  };
  let id = null;
  const close = async () => {
    if (id) await webdriver("DELETE", `/session/${id}`).catch(() => {});
    driver.kill("SIGTERM");
  };
  try {
    await waitFor(
      () =>
        fetch(`${base}/status`).then(
          () => true,
          () => false,
        ),
      15_000,
      "tauri-driver",
    );
    const created = await webdriver("POST", "/session", {
      capabilities: { alwaysMatch: { "tauri:options": { application: app } } },
    });
    id = created.sessionId;
    await webdriver("POST", `/session/${id}/timeouts`, { script: scriptTimeoutMs });
  } catch (error) {
    await close();
    throw error;
  }
  return {
    /** A WebDriver command on this session: `call("GET", "/url")`. */
    call: (method, path, body) => webdriver(method, `/session/${id}${path}`, body),
    /** Runs `fn(arg)` (an async function, serialised by its source) in the page and returns its result. */
    async inPage(fn, arg) {
      const script = `const done = arguments[arguments.length - 1];
(${fn.toString()})(arguments[0]).then(
  (value) => done(JSON.stringify({ ok: true, value })),
  (error) => done(JSON.stringify({ ok: false, error: \`\${error}\n\${(error && error.stack) || ""}\` })),
);`;
      const raw = await webdriver("POST", `/session/${id}/execute/async`, { script, args: [arg ?? null] });
      const result = JSON.parse(raw);
      if (!result.ok) throw new Error(`in the page: ${result.error}`);
      return result.value;
    },
    close,
  };
}

/** Run in the page (`session.inPage(timerResolution)`): its timer's grain, as WebKit coarsens performance.now(). */
export /** The timer's resolution: WebKit coarsens performance.now(). */
async function timerResolution() {
  let smallest = Number.POSITIVE_INFINITY;
  for (let i = 0; i < 20000; i++) {
    const a = performance.now();
    let b = performance.now();
    while (b === a) b = performance.now();
    smallest = Math.min(smallest, b - a);
  }
  return smallest;
}
