// Attacks on the running app's local channels: the back-channel socket, Valkey,
// a window calling what its capability does not grant, and commands fed bad
// input. Each must be refused, with a typed error where there is a caller to
// read it, and leave the app working.
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { readFileSync, statSync } from "node:fs";
import { request } from "node:http";
import { dirname } from "node:path";
import { after, before, describe, it } from "node:test";
import { setTimeout } from "node:timers/promises";
import { invoke, launchApp, switchToWindow } from "./support/app.mjs";
import { redis, sidecars, socketInodes, valkeyAccess } from "./support/sidecars.mjs";

/** The back-channel's socket and token, as the shell handed them to the api. */
function backchannelAccess(apiPid) {
  const environ = readFileSync(`/proc/${apiPid}/environ`, "utf8").split("\0");
  const value = (key) => environ.find((entry) => entry.startsWith(`${key}=`))?.slice(key.length + 1);
  return { socket: value("CONVOY_BACKCHANNEL_SOCKET"), token: value("CONVOY_BACKCHANNEL_TOKEN") };
}

/** One HTTP request over a Unix socket; resolves to `{ status, body }`. */
function post(socket, path, { token, body = "{}" } = {}) {
  return new Promise((resolve, reject) => {
    const headers = { "Content-Type": "application/json", "Content-Length": Buffer.byteLength(body) };
    if (token !== undefined) headers.Authorization = `Bearer ${token}`;
    const req = request({ socketPath: socket, path, method: "POST", headers }, (res) => {
      let text = "";
      res.on("data", (chunk) => {
        text += chunk;
      });
      res.on("end", () => resolve({ status: res.statusCode, body: text ? JSON.parse(text) : null }));
    });
    req.on("error", reject);
    req.end(body);
  });
}

const mode = (path) => statSync(path).mode & 0o777;

/** Runs a tiny socket client as `nobody`; returns what it printed. */
function connectAsNobody(socket) {
  const script = `import socket\ns=socket.socket(socket.AF_UNIX)\ntry:\n s.connect(${JSON.stringify(socket)}); print("connected")\nexcept OSError as e:\n print("refused", e.errno)`;
  return execFileSync(
    "setpriv",
    ["--reuid=nobody", "--regid=nogroup", "--clear-groups", "/usr/bin/python3", "-c", script],
    { encoding: "utf8" },
  ).trim();
}

/** Inodes of TCP sockets (v4 and v6) in the LISTEN state. */
function tcpListeners() {
  const inodes = new Set();
  for (const table of ["/proc/net/tcp", "/proc/net/tcp6"]) {
    for (const line of readFileSync(table, "utf8").split("\n").slice(1)) {
      const fields = line.trim().split(/\s+/);
      if (fields[3] === "0A") inodes.add(fields[9]);
    }
  }
  return inodes;
}

async function jobsText(browser) {
  return (
    (await browser
      .$('[data-testid="jobs-list"]')
      .getProperty("textContent")
      .catch(() => "")) ?? ""
  );
}

describe("Locked-down local channels", () => {
  let app;
  let api;
  before(async () => {
    app = await launchApp();
    await app.browser.$('[data-testid="jobs-empty"]').waitForExist({ timeout: 30_000 });
    api = (await sidecars(app.browser)).find((s) => s.name === "api");
  });
  after(async () => {
    await app?.close();
  });

  describe("the back-channel", () => {
    it("is a 0600 socket in a 0700 directory that another user cannot even connect to", () => {
      const { socket } = backchannelAccess(api.pid);
      assert.equal(mode(socket), 0o600);
      assert.equal(mode(dirname(socket)), 0o700);
      assert.match(connectAsNobody(socket), /^refused 13$/);
    });

    it("refuses a request without the token, or with a wrong one, and does nothing", async () => {
      const { socket, token } = backchannelAccess(api.pid);
      const handles = (await app.browser.getWindowHandles()).length;
      const open = JSON.stringify({ route: "settings" });
      const none = await post(socket, "/v1/open-window", { body: open });
      assert.deepEqual(none, { status: 401, body: { type: "Unauthorized" } });
      const wrong = await post(socket, "/v1/open-window", { token: token.replace(/.$/, "x"), body: open });
      assert.deepEqual(wrong, { status: 401, body: { type: "Unauthorized" } });
      const spoof = await post(socket, "/v1/broadcast", {
        token,
        body: JSON.stringify({ event: "sidecar:status", payload: {} }),
      });
      assert.equal(spoof.status, 400, "a sidecar cannot send the shell's own events");
      await setTimeout(500);
      assert.equal((await app.browser.getWindowHandles()).length, handles, "no window was opened");
    });

    it("carries the api's broadcast: a job created outside the UI appears in it", async () => {
      const endpoint = await invoke(app.browser, "plugin:convoy-supervisor|endpoint", { name: "api" });
      const { baseUrl, token } = endpoint.value;
      const command = `echo synced-${Date.now()}`;
      const created = await fetch(`${baseUrl}/jobs`, {
        method: "POST",
        headers: { Authorization: `Bearer ${token}`, "Content-Type": "application/json" },
        body: JSON.stringify({ command }),
      });
      assert.equal(created.status, 201);
      // No reload and no click: the api told the shell, the shell told the window.
      await app.browser.waitUntil(async () => (await jobsText(app.browser)).includes(command), {
        timeout: 10_000,
        timeoutMsg: "the main window never heard of the new job",
      });
    });

    it("opens a window for a sidecar holding the token", async () => {
      const { socket, token } = backchannelAccess(api.pid);
      const opened = await post(socket, "/v1/open-window", {
        token,
        body: JSON.stringify({ route: "settings" }),
      });
      assert.deepEqual(opened, { status: 204, body: null });
      const focused = await post(socket, "/v1/focus-window", {
        token,
        body: JSON.stringify({ window: "settings" }),
      });
      assert.equal(focused.status, 204);
    });
  });

  describe("Valkey", () => {
    it("has no TCP listener, and answers nothing without the password", async () => {
      const valkey = (await sidecars(app.browser)).find((s) => s.name === "valkey");
      const listening = tcpListeners();
      assert.deepEqual(
        [...socketInodes(valkey.pid)].filter((inode) => listening.has(inode)),
        [],
        "Valkey listens on no TCP port",
      );
      const { socket, password } = valkeyAccess(valkey.pid);
      assert.equal(mode(socket), 0o600);
      const [anonymous] = await redis(socket, [["GET", "anything"]]);
      assert.match(anonymous, /^-NOAUTH/);
      const [badPassword] = await redis(socket, [["AUTH", "not-the-password"]]);
      assert.match(badPassword, /^-(WRONGPASS|ERR)/);
      const replies = await redis(socket, [
        ["AUTH", password],
        ["CONFIG", "GET", "requirepass"],
        ["DEBUG", "SLEEP", "0"],
        ["FLUSHALL"],
      ]);
      assert.equal(replies[0], "+OK");
      for (const reply of replies.slice(1)) assert.match(reply, /^-ERR unknown command/);
    });
  });

  describe("the settings window", () => {
    let settings;
    before(async () => {
      const { browser } = app;
      await browser.$('[data-testid="open-settings"]').click();
      settings = await switchToWindow(browser, "#/settings");
    });

    it("shows what it is allowed to read", async () => {
      await app.browser.switchToWindow(settings);
      const version = await app.browser.$('[data-testid="settings-version"]');
      await version.waitForExist({ timeout: 10_000 });
      assert.match(await version.getText(), /Runbook 0\.1\.0/);
    });

    it("is refused the api token and the supervisor, and the app keeps running", async () => {
      await app.browser.switchToWindow(settings);
      for (const command of [
        "plugin:convoy-supervisor|endpoint",
        "plugin:convoy-supervisor|list",
        "plugin:convoy-supervisor|restart",
        "select_job",
      ]) {
        const result = await invoke(app.browser, command, { name: "api" });
        assert.equal(result.ok, false, `${command} was allowed in the settings window`);
        assert.match(String(result.error), /not allowed/, `${command}: ${JSON.stringify(result.error)}`);
      }
      const info = await invoke(app.browser, "app_info");
      assert.equal(info.ok, true, "what it is granted still works");
    });
  });

  describe("commands fed bad input", () => {
    it("answer with errors, never a crash", async () => {
      const { browser } = app;
      await switchToWindow(browser, "");
      const huge = "x".repeat(1_000_000);
      const refusedByTauri = [
        ["open_window", { route: 42 }],
        ["open_window", {}],
        ["open_window", { route: huge }],
        ["plugin:convoy-supervisor|logs", { name: "api" }],
        ["plugin:convoy-supervisor|logs", { name: "api", limit: -1 }],
        ["plugin:convoy-supervisor|logs", { name: "api", limit: 2 ** 40 }],
      ];
      for (const [command, args] of refusedByTauri) {
        const result = await invoke(browser, command, args);
        assert.equal(result.ok, false, `${command} ${JSON.stringify(args).slice(0, 60)}`);
      }
      const unknown = await invoke(browser, "plugin:convoy-supervisor|logs", { name: huge, limit: 5 });
      assert.equal(unknown.ok, false);
      assert.equal(unknown.error.type, "UnknownSidecar");
      const restart = await invoke(browser, "plugin:convoy-supervisor|restart", { name: huge });
      assert.equal(restart.error.type, "UnknownSidecar");

      assert.ok(app.alive([app.shell]).length === 1, "the shell is still running");
      assert.equal((await invoke(browser, "app_info")).ok, true);
    });
  });
});
