// Fault tests on the real app: sidecars killed while it runs, a sidecar that
// always crashes, the shell killed or signalled, a port already taken. Every
// process is real; nothing is mocked.
import assert from "node:assert/strict";
import { chmodSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { createServer } from "node:net";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { setTimeout } from "node:timers/promises";
import { waitFor } from "@convoy/testing";
import { bunBinary, invoke, launchApp } from "./support/app.mjs";
import { commandLine } from "./support/processes.mjs";
import { redis, sidecars, valkeyAccess, waitForSidecar } from "./support/sidecars.mjs";

const sidecarEntry = new URL("../../apps/runbook/sidecar/src/main.ts", import.meta.url).pathname;

async function allReady(browser) {
  return waitFor(
    async () => {
      const all = await sidecars(browser).catch(() => []);
      const services = all.filter((s) => s.name !== "migrate");
      return services.length === 3 && services.every((s) => s.state === "ready") ? all : null;
    },
    { timeout: 30_000, message: "every sidecar to be ready" },
  );
}

/** A job submitted through the api and read back: the app works end to end. */
async function apiRoundTrip(browser, label) {
  const endpoint = await invoke(browser, "plugin:convoy-supervisor|endpoint", { name: "api" });
  assert.equal(endpoint.ok, true, JSON.stringify(endpoint));
  const { baseUrl, token } = endpoint.value;
  const headers = { Authorization: `Bearer ${token}`, "Content-Type": "application/json" };
  const created = await fetch(`${baseUrl}/jobs`, {
    method: "POST",
    headers,
    body: JSON.stringify({ command: `echo ${label}` }),
  });
  assert.equal(created.status, 201, await created.clone().text());
  const { id } = await created.json();
  const read = await fetch(`${baseUrl}/jobs/${id}`, { headers });
  assert.equal(read.status, 200);
  assert.equal((await read.json()).command, `echo ${label}`);
  return id;
}

async function health(browser) {
  const { value } = await invoke(browser, "plugin:convoy-supervisor|endpoint", { name: "api" });
  const response = await fetch(`${value.baseUrl}/health`);
  return response.json();
}

/**
 * Opens the main window's Sidecars panel: once the api is ready it is
 * collapsed to one summary line, the job list having the window.
 */
async function openSidecarsPanel(browser) {
  const toggle = browser.$('[data-testid="sidecars-toggle"]');
  await browser.waitUntil(async () => (await toggle.getAttribute("aria-expanded")) === "false", {
    timeout: 10_000,
    timeoutMsg: "the Sidecars panel never collapsed once the api was ready",
  });
  assert.match(await browser.$('[data-testid="sidecars-summary"]').getText(), /ready/);
  await toggle.click();
  assert.equal(await toggle.getAttribute("aria-expanded"), "true");
}

/** The row the Sidecars panel shows for `name`. */
function panelRow(browser, name) {
  return browser.$(`[data-testid="sidecar"][data-name="${name}"]`);
}

describe("A sidecar killed while the app runs comes back", () => {
  let app;
  before(async () => {
    app = await launchApp();
    await allReady(app.browser);
    await openSidecarsPanel(app.browser);
  });
  after(async () => {
    await app?.close();
  });

  for (const name of ["valkey", "api", "worker"]) {
    it(`SIGKILL ${name}: restarted, shown in the UI, and the app keeps working`, async () => {
      const { browser } = app;
      const before = (await sidecars(browser)).find((s) => s.name === name);
      assert.equal(before.state, "ready");
      process.kill(before.pid, "SIGKILL");

      const after = await waitForSidecar(
        browser,
        name,
        (s) => s.state === "ready" && s.pid !== before.pid && s.restarts === before.restarts + 1,
        { message: `${name} to be restarted` },
      );
      assert.equal(after.lastExitCode, null, "killed by a signal, so no exit code");

      const row = panelRow(browser, name);
      await browser.waitUntil(
        async () =>
          (await row.getAttribute("data-state")) === "ready" &&
          (await row.$('[data-testid="sidecar-restarts"]').getProperty("textContent")).includes(
            String(after.restarts),
          ),
        { timeout: 10_000, timeoutMsg: `the Sidecars panel never showed ${name} restarted` },
      );

      // Dependents reconnect to a restarted Valkey rather than staying wedged.
      await waitFor(async () => (await health(browser)).valkey === "up", {
        timeout: 10_000,
        message: "the api to report Valkey up",
      });
      await apiRoundTrip(browser, `after-${name}-restart`);
    });
  }
});

describe("A sidecar that always crashes", () => {
  let app;
  let starts;
  before(async () => {
    // The real sidecar for every role but the worker, which reports ready and then crashes.
    const dir = join(process.env.TMPDIR ?? "/tmp", `runbook-crashing-${process.pid}`);
    starts = `${dir}.starts`;
    const wrapper = `${dir}.sh`;
    writeFileSync(starts, "");
    writeFileSync(
      wrapper,
      `#!/bin/sh
if [ "$1" = worker ]; then
  echo start >> '${starts}'
  echo 'convoy:ready worker'
  sleep 0.2
  echo 'worker: giving up' >&2
  exit 9
fi
exec '${bunBinary}' '${sidecarEntry}' "$@"
`,
    );
    chmodSync(wrapper, 0o755);
    app = await launchApp({ env: { CONVOY_SIDECAR: wrapper } });
  });
  after(async () => {
    await app?.close();
  });

  it("is marked failed within its budget, shown in the UI, with no busy loop", async () => {
    const { browser } = app;
    const failed = await waitForSidecar(browser, "worker", (s) => s.state === "failed", {
      timeout: 30_000,
      message: "the worker to be marked failed",
    });
    assert.equal(failed.lastExitCode, 9);
    assert.match(failed.reason, /gave up after 5 restarts/);
    const count = () => readFileSync(starts, "utf8").split("\n").filter(Boolean).length;
    assert.equal(count(), 6, "the first start and five restarts");

    const row = panelRow(browser, "worker");
    await browser.waitUntil(async () => (await row.getAttribute("data-state")) === "failed", {
      timeout: 10_000,
      timeoutMsg: "the Sidecars panel never showed the worker failed",
    });
    assert.match(await row.$('[data-testid="sidecar-reason"]').getProperty("textContent"), /gave up/);

    await setTimeout(1500);
    assert.equal(count(), 6, "no more starts once failed");
    // The rest of the app is unaffected.
    const queued = await apiRoundTrip(browser, "with-a-failed-worker");
    // The job list above the panel gains that job: once it shows, the panel
    // has moved down, so the click lands where the button now is.
    await browser.$(`[data-testid="job"][data-job-id="${queued}"]`).waitForExist({
      timeout: 10_000,
      timeoutMsg: "the queued job never showed in the list",
    });

    // Restart from the UI gives it a fresh budget.
    await row.$('[data-testid="sidecar-restart"]').click();
    await waitFor(() => count() > 6, { timeout: 30_000, message: "a manual restart" });
  });
});

describe("Killing the shell with SIGKILL", () => {
  let app;
  before(async () => {
    app = await launchApp();
    await allReady(app.browser);
  });
  after(async () => {
    await app?.close();
  });

  it("leaves no process of the app running 2 seconds later", async () => {
    const tree = app.tree();
    const names = tree.map(({ pid }) => commandLine(pid));
    for (const expected of [/redis-server|valkey-server/, / api$/, / worker$/]) {
      assert.ok(
        names.some((n) => expected.test(n)),
        `${expected} in the tree:\n${names.join("\n")}`,
      );
    }
    process.kill(app.shell.pid, "SIGKILL");
    await app.waitGone(tree, { timeout: 2_000, after: "SIGKILL of the shell" });
  });
});

/** Files of Valkey's append-only log, concatenated. */
function appendOnlyLog(dataDir) {
  const dir = join(dataDir, "data", "valkey");
  const files = [];
  const walk = (path) => {
    for (const entry of readdirSync(path, { withFileTypes: true })) {
      const full = join(path, entry.name);
      if (entry.isDirectory()) walk(full);
      else if (/\.aof/.test(entry.name)) files.push(full);
    }
  };
  walk(dir);
  return files.map((file) => readFileSync(file, "latin1")).join("");
}

const exits = [
  { name: "SIGTERM", stop: (app) => process.kill(app.shell.pid, "SIGTERM") },
  { name: "SIGINT", stop: (app) => process.kill(app.shell.pid, "SIGINT") },
  {
    // The splash has closed by now: the main window is the last one. It is
    // closed the way its own controls do; WebDriver's closeWindow would end
    // the session, and the driver then kills the app outright.
    name: "the last window closed",
    stop: (app) =>
      app.browser
        .execute(() => {
          window.__TAURI_INTERNALS__.invoke("plugin:window|close", { label: "main" });
        })
        .catch(() => {}),
  },
  {
    name: "quit",
    stop: (app) =>
      app.browser
        .execute(() => {
          window.__TAURI_INTERNALS__.invoke("quit");
        })
        .catch(() => {}),
  },
];

for (const exit of exits) {
  describe(`Stopping the app with ${exit.name}`, () => {
    let app;
    before(async () => {
      app = await launchApp();
      await allReady(app.browser);
    });
    after(async () => {
      await app?.close();
    });

    it("stops every sidecar and shuts Valkey down without losing data", async () => {
      const { browser } = app;
      const valkey = (await sidecars(browser)).find((s) => s.name === "valkey");
      const { socket, password } = valkeyAccess(valkey.pid);
      const key = `e2e:${exit.name}:${Date.now()}`;
      const replies = await redis(socket, [
        ["AUTH", password],
        ["SET", key, "kept"],
      ]);
      assert.deepEqual(replies, ["+OK", "+OK"]);

      const tree = app.tree();
      exit.stop(app);
      await app.waitGone(tree, { after: exit.name });

      const valkeyLog = readFileSync(join(app.dataDir, "logs", "valkey.log"), "utf8");
      assert.match(valkeyLog, /ready to exit, bye bye/, "Valkey shut down cleanly");
      assert.ok(appendOnlyLog(app.dataDir).includes(key), "the key written before the exit is on disk");
    });
  });
}

describe("Start-up failure: the api's port is already taken", () => {
  let app;
  let blocker;
  before(async () => {
    blocker = createServer();
    await new Promise((resolve) => blocker.listen(0, "127.0.0.1", resolve));
    app = await launchApp({ env: { CONVOY_API_PORT: String(blocker.address().port) } });
  });
  after(async () => {
    await app?.close();
    blocker?.close();
  });

  it("names the api, its exit code and its last words, without hanging", async () => {
    const { browser } = app;
    const failed = await waitForSidecar(browser, "api", (s) => s.state === "failed", {
      timeout: 30_000,
      message: "the api to fail",
    });
    assert.equal(failed.lastExitCode, 3);
    assert.match(failed.reason, /exit code 3 before it was ready/);
    const logs = await invoke(browser, "plugin:convoy-supervisor|logs", { name: "api", limit: 20 });
    assert.ok(
      logs.value.lines.some((line) => /in use/i.test(line)),
      logs.value.lines.join("\n"),
    );
    // What the failed start had started is stopped again (Valkey, in its grace period).
    await waitFor(async () => (await sidecars(browser)).every((s) => s.pid === null), {
      timeout: 10_000,
      message: "every sidecar to be stopped",
    });
    assert.deepEqual(
      (await sidecars(browser)).map((s) => [s.name, s.state]),
      [
        ["valkey", "stopped"],
        ["migrate", "stopped"],
        ["api", "failed"],
        ["worker", "pending"],
      ],
    );
  });
});
