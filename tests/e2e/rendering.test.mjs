// How the real webview draws: without a GPU the app can open, WebKitGTK's
// OpenGL compositor would run on Mesa's software rasteriser, so the shell
// turns it off (the supervisor plugin's `rendering`); an override keeps it,
// and a bad override stops the app before any window opens.
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { accessSync, constants, mkdtempSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, it } from "node:test";
import { waitFor } from "@convoy/testing";
import { appBinary, launchApp } from "./support/app.mjs";

const SWITCH = "WEBKIT_DISABLE_COMPOSITING_MODE";

/** Whether this machine has a GPU render node this user can open, as the shell checks. */
function gpuOpens() {
  let nodes = [];
  try {
    nodes = readdirSync("/dev/dri").filter((name) => name.startsWith("renderD"));
  } catch {
    return false;
  }
  return nodes.some((name) => {
    try {
      accessSync(join("/dev/dri", name), constants.R_OK | constants.W_OK);
      return true;
    } catch {
      return false;
    }
  });
}

/** The environment of the app's web process, once it runs. */
async function webProcessEnvironment(app) {
  const web = await waitFor(
    () =>
      app.tree().find(({ pid }) => {
        try {
          return readFileSync(`/proc/${pid}/comm`, "utf8").startsWith("WebKitWebProces");
        } catch {
          return false;
        }
      }),
    { timeout: 20_000, message: "the app's web process" },
  );
  return readFileSync(`/proc/${web.pid}/environ`, "utf8").split("\0");
}

/** What the main window's diagnostics say of the choice, once opened with a click. */
async function shownRendering(browser) {
  await browser.$('[data-testid="command-input"]').waitForExist({ timeout: 30_000 });
  await browser.$('[data-testid="sidecars-toggle"]').click();
  const line = await browser.$('[data-testid="webview-rendering"]');
  await line.waitForExist({ timeout: 5_000 });
  return {
    rendering: await line.getAttribute("data-rendering"),
    reason: await line.getAttribute("data-reason"),
    text: await line.getText(),
  };
}

// The machine's own GL switches would decide for the app: the tests set the scene themselves.
const baseEnv = { ...process.env };
delete baseEnv[SWITCH];
delete baseEnv.LIBGL_ALWAYS_SOFTWARE;
delete baseEnv.CONVOY_WEBVIEW_COMPOSITING;

describe("the webview's rendering", () => {
  it("draws without the compositor exactly when no GPU opens", async () => {
    const app = await launchApp({ baseEnv });
    try {
      const environ = await webProcessEnvironment(app);
      const direct = environ.includes(`${SWITCH}=1`);
      assert.equal(direct, !gpuOpens(), `with a GPU that opens: ${gpuOpens()}; ${SWITCH} set: ${direct}`);
      // The page is up and drawing either way, and its diagnostics say which way and why.
      const shown = await shownRendering(app.browser);
      assert.deepEqual(
        { rendering: shown.rendering, reason: shown.reason },
        direct ? { rendering: "direct", reason: "noGpu" } : { rendering: "composited", reason: "gpu" },
      );
      assert.match(shown.text, direct ? /without a compositor \(no GPU could be opened/ : /composited/);
    } finally {
      await app.close();
    }
  });

  it("keeps the compositor when CONVOY_WEBVIEW_COMPOSITING=on, even with the switch set", async () => {
    const app = await launchApp({
      baseEnv: { ...baseEnv, [SWITCH]: "1" },
      env: { CONVOY_WEBVIEW_COMPOSITING: "on" },
    });
    try {
      const environ = await webProcessEnvironment(app);
      assert.equal(
        environ.some((entry) => entry.startsWith(`${SWITCH}=`)),
        false,
      );
      const shown = await shownRendering(app.browser);
      assert.deepEqual([shown.rendering, shown.reason], ["composited", "override"]);
    } finally {
      await app.close();
    }
  });

  it("turns the compositor off with CONVOY_WEBVIEW_COMPOSITING=off, GPU or not", async () => {
    const app = await launchApp({ baseEnv, env: { CONVOY_WEBVIEW_COMPOSITING: "off" } });
    try {
      assert.ok((await webProcessEnvironment(app)).includes(`${SWITCH}=1`));
      const shown = await shownRendering(app.browser);
      assert.deepEqual([shown.rendering, shown.reason], ["direct", "override"]);
    } finally {
      await app.close();
    }
  });

  it("refuses a bad CONVOY_WEBVIEW_COMPOSITING before any window opens", () => {
    const dataDir = mkdtempSync(join(tmpdir(), "runbook-rendering-"));
    try {
      const run = spawnSync(appBinary, [], {
        env: { ...baseEnv, CONVOY_DATA_DIR: dataDir, CONVOY_WEBVIEW_COMPOSITING: "sideways" },
        encoding: "utf8",
        timeout: 20_000,
      });
      assert.equal(run.error, undefined);
      assert.equal(run.status, 1, run.stderr);
      assert.match(run.stderr, /CONVOY_WEBVIEW_COMPOSITING="sideways": expected "on", "off" or "auto"/);
      // Nothing started: no database, no sidecar, no window.
      assert.deepEqual(readdirSync(dataDir), []);
    } finally {
      rmSync(dataDir, { recursive: true, force: true });
    }
  });
});
