// The real app in the real WebKitGTK webview: the main window shows data from
// the shell and from the api sidecar, and quitting leaves no process behind.
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { mkdirSync } from "node:fs";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { waitFor } from "@convoy/testing";
import { bunBinary, invoke, launchApp } from "./support/app.mjs";
import { commandLine } from "./support/processes.mjs";

describe("Runbook in the real webview", () => {
  let app;
  before(async () => {
    app = await launchApp();
  });
  after(async () => {
    await app?.close();
  });

  it("shows the shell's version info from a typed command", async () => {
    const info = await app.browser.$('[data-testid="app-info"]');
    await info.waitForExist({ timeout: 20_000 });
    const text = await info.getText();
    assert.match(text, /Runbook 0\.1\.0 · Tauri 2\.\d+\.\d+ · linux\/x86_64/);
  });

  it("lists jobs from the api, and a queued job appears and persists", async () => {
    const { browser } = app;
    await browser.$('[data-testid="jobs-empty"]').waitForExist({ timeout: 30_000 });

    const command = `echo e2e-${Date.now()}`;
    await browser.$('[data-testid="command-input"]').setValue(command);
    await browser.$('[data-testid="submit-job"]').click();
    await browser.waitUntil(
      // textContent, not getText: WebKitWebDriver's visible-text rules skip ellipsised text.
      async () =>
        (await browser.$('[data-testid="jobs-list"]').getProperty("textContent"))?.includes(command),
      { timeout: 10_000, timeoutMsg: "the queued job never appeared" },
    );

    // The list came from the api and SQLite, not from local state: read it back through the api.
    const endpoint = await invoke(browser, "plugin:convoy-supervisor|endpoint", { name: "api" });
    assert.equal(endpoint.ok, true);
    const { baseUrl, token } = endpoint.value;
    assert.match(baseUrl, /^http:\/\/127\.0\.0\.1:\d+$/);
    const page = await fetch(`${baseUrl}/jobs`, { headers: { Authorization: `Bearer ${token}` } });
    assert.equal(page.status, 200);
    const body = await page.json();
    assert.deepEqual(
      body.items.map((job) => job.command),
      [command],
    );
    // The worker runs it (jobs.test.mjs follows jobs in detail): it ends succeeded.
    const id = body.items[0].id;
    await waitFor(
      async () => {
        const read = await fetch(`${baseUrl}/jobs/${id}`, { headers: { Authorization: `Bearer ${token}` } });
        return (await read.json()).status === "succeeded";
      },
      { timeout: 15_000, message: "the job to succeed" },
    );
  });

  it("returns typed errors for bad command arguments", async () => {
    const logsCommand = "plugin:convoy-supervisor|logs";
    const unknown = await invoke(app.browser, logsCommand, { name: "nope", limit: 5 });
    assert.deepEqual(unknown, { ok: false, error: { type: "UnknownSidecar", name: "nope" } });
    const badLimit = await invoke(app.browser, logsCommand, { name: "api", limit: 0 });
    assert.equal(badLimit.ok, false);
    assert.equal(badLimit.error.type, "InvalidArgument");
    assert.equal(badLimit.error.field, "limit");
    const oneShot = await invoke(app.browser, "plugin:convoy-supervisor|restart", { name: "migrate" });
    assert.deepEqual(oneShot, { ok: false, error: { type: "NotRestartable", name: "migrate" } });
    const badJob = await invoke(app.browser, "select_job", { jobId: "../etc" });
    assert.equal(badJob.ok, false);
    assert.equal(badJob.error.type, "InvalidJobId");
    // A wrong type is refused by Tauri before the command runs; the app keeps working.
    const wrongType = await invoke(app.browser, logsCommand, { name: 42, limit: "x" });
    assert.equal(wrongType.ok, false);
    const logs = await invoke(app.browser, logsCommand, { name: "api", limit: 50 });
    assert.equal(logs.ok, true);
    assert.ok(
      logs.value.lines.some((line) => line.includes("convoy:ready")),
      logs.value.lines.join("\n"),
    );
  });

  it("leaves no process running after quit", async () => {
    const tree = app.tree();
    const sidecars = tree.filter(({ pid }) => /sidecar|bun/.test(commandLine(pid)));
    assert.ok(
      sidecars.length >= 1,
      `expected the api sidecar in the app's tree:\n${tree.map((p) => commandLine(p.pid)).join("\n")}`,
    );

    // Quit the way the UI does; the page goes away with the app, so do not wait on the reply.
    app.browser
      .execute(() => {
        window.__TAURI_INTERNALS__.invoke("quit");
      })
      .catch(() => {});
    await app.waitGone(tree, { after: "quit" });
  });
});

/**
 * Makes the splash WebDriver's current window. It is its own page
 * (splash.html, no React), not a route of the main page, so it is found by path.
 */
function switchToSplash(browser, timeout = 15_000) {
  return waitFor(
    async () => {
      for (const handle of await browser.getWindowHandles()) {
        await browser.switchToWindow(handle);
        if ((await browser.execute(() => window.location.pathname)).endsWith("/splash.html")) return handle;
      }
      return null;
    },
    { timeout, message: "the splash window" },
  );
}

const failures = [
  {
    name: "a missing sidecar executable",
    options: { env: { CONVOY_SIDECAR: "/nonexistent/runbook-sidecar" } },
    sidecar: "migrate",
    reason: /could not start .*nonexistent/,
  },
  {
    name: "a migration that fails (a database newer than the app)",
    options: {
      prepare: (dataDir) => {
        mkdirSync(join(dataDir, "data"), { recursive: true });
        const db = join(dataDir, "data", "runbook.db");
        execFileSync(bunBinary, [
          "-e",
          `new (require("bun:sqlite").Database)(${JSON.stringify(db)}).run("PRAGMA user_version = 99")`,
        ]);
      },
    },
    sidecar: "migrate",
    reason: /finished with exit code 4/,
    log: /newer than this Runbook/,
  },
  {
    name: "an api that never becomes healthy in time",
    options: { env: { CONVOY_READY_TIMEOUT_MS: "1" } },
    sidecar: "api",
    reason: /not ready after 1 ms/,
  },
];

for (const failure of failures) {
  describe(`Start-up failure: ${failure.name}`, () => {
    let app;
    before(async () => {
      app = await launchApp(failure.options);
    });
    after(async () => {
      await app?.close();
    });

    it("ends in the failure screen naming the step, with Retry and Quit", async () => {
      const { browser } = app;
      // The automation session starts on the (hidden) main window; the failure is on the splash.
      assert.ok(await switchToSplash(browser));
      await browser.$('[data-testid="launch-failure"]').waitForExist({ timeout: 30_000 });
      assert.equal(await browser.$('[data-testid="failed-sidecar"]').getText(), failure.sidecar);
      assert.match(await browser.$('[data-testid="failure-reason"]').getText(), failure.reason);
      if (failure.log) {
        const log = await browser.$('[data-testid="failure-log"]').getProperty("textContent");
        assert.match(log, failure.log);
      }
      assert.ok(await browser.$('[data-testid="retry"]').isExisting());

      // Nothing of the failed start is left running while the failure screen shows.
      const sidecars = app.tree().filter(({ pid }) => /bun|sidecar/.test(commandLine(pid)));
      assert.deepEqual(
        sidecars.map(({ pid }) => commandLine(pid)),
        [],
      );

      const tree = app.tree();
      await browser
        .$('[data-testid="quit"]')
        .click()
        .catch(() => {});
      await app.waitGone(tree, { after: "Quit on the failure screen" });
    });
  });
}

describe("The compiled sidecar (bun build --compile)", () => {
  let app;
  before(async () => {
    const compiled = process.env.CONVOY_COMPILED_SIDECAR;
    assert.ok(compiled, "scripts/e2e.sh compiles the sidecar and sets CONVOY_COMPILED_SIDECAR");
    app = await launchApp({ env: { CONVOY_SIDECAR: compiled } });
  });
  after(async () => {
    await app?.close();
  });

  it("serves the api that the main window lists jobs from", async () => {
    await app.browser.$('[data-testid="jobs-empty"]').waitForExist({ timeout: 30_000 });
    const roles = app
      .tree()
      .map(({ pid }) => commandLine(pid).match(/runbook-sidecar-[\w-]+ (\w+)$/)?.[1])
      .filter(Boolean)
      .sort();
    assert.deepEqual(roles, ["api", "worker"], "the compiled file runs both services");
  });
});
