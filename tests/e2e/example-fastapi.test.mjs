// The FastAPI + Valkey example (examples/fastapi-valkey), wrapped by
// configuration alone, in the real webview: the window shows notes the UI
// fetched from FastAPI, which stored them in Valkey; a SIGKILLed uvicorn is
// restarted by the supervisor and the UI works again; quitting leaves nothing.
import assert from "node:assert/strict";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { waitFor } from "@convoy/testing";
import { appBinary, invoke, launchApp } from "./support/app.mjs";
import { commandLine, isAlive } from "./support/processes.mjs";
import { redis, valkeyAccess } from "./support/sidecars.mjs";

const binary = process.env.EXAMPLE_FASTAPI_BIN ?? join(appBinary, "..", "fastapi-valkey");

/** The app's process running `pattern` (matched against its command line). */
function processOf(app, pattern) {
  return app.tree().find(({ pid }) => pattern.test(commandLine(pid)));
}

async function addNote(browser, text) {
  await browser.$('[data-testid="note-input"]').setValue(text);
  await browser.$('[data-testid="add-note"]').click();
}

/** The rendered notes' text, word counts included. */
function notesText(browser) {
  return browser.$('[data-testid="notes"]').getProperty("textContent");
}

function waitForText(browser, wanted, message) {
  return browser.waitUntil(async () => (await notesText(browser))?.includes(wanted), {
    timeout: 20_000,
    timeoutMsg: message,
  });
}

describe("the FastAPI + Valkey example in the real webview", () => {
  let app;
  before(async () => {
    app = await launchApp({ binary });
  });
  after(async () => {
    await app?.close();
  });

  it("shows a note added through the UI, stored in Valkey and counted by the worker", async () => {
    const { browser } = app;
    await browser.waitUntil(
      async () => (await browser.$('[data-testid="status"]').getText()) === "No notes yet.",
      { timeout: 40_000, timeoutMsg: "the UI never showed the (empty) notes from the api" },
    );
    await addNote(browser, "carried by configuration alone");
    // The worker's count comes back through Valkey and the api.
    await waitForText(browser, "carried by configuration alone4 words", "the counted note never appeared");

    const valkey = processOf(app, /redis-server|valkey-server/);
    assert.ok(valkey, "Valkey runs under the shell");
    const { socket, password } = valkeyAccess(valkey.pid);
    // Single-line replies only, so the helper's reply count is exact: the note
    // (its text, 30 characters, and the worker's count) is in Valkey.
    const replies = await redis(socket, [
      ["AUTH", password],
      ["LLEN", "notes"],
      ["HLEN", "note:1"],
      ["HSTRLEN", "note:1", "text"],
    ]);
    assert.deepEqual(replies, ["+OK", ":1", ":2", ":30"]);
  });

  it("gives the window the api's endpoint, and nothing else of the shell", async () => {
    const { browser } = app;
    const endpoint = await invoke(browser, "plugin:convoy-supervisor|endpoint", { name: "api" });
    assert.equal(endpoint.ok, true, JSON.stringify(endpoint));
    assert.match(endpoint.value.baseUrl, /^http:\/\/127\.0\.0\.1:\d+$/);
    assert.match(endpoint.value.token, /^[0-9a-f]{64}$/);
    const notes = await fetch(`${endpoint.value.baseUrl}/notes`, {
      headers: { Authorization: `Bearer ${endpoint.value.token}` },
    });
    assert.equal(notes.status, 200);
    assert.equal((await fetch(`${endpoint.value.baseUrl}/notes`)).status, 401);

    const valkey = await invoke(browser, "plugin:convoy-supervisor|endpoint", { name: "valkey" });
    assert.deepEqual(valkey.error, { type: "NotExposed", name: "valkey" });
    const unknown = await invoke(browser, "plugin:convoy-supervisor|endpoint", { name: "nope" });
    assert.deepEqual(unknown.error, { type: "UnknownSidecar", name: "nope" });
    // The capability grants only `allow-endpoint`.
    const list = await invoke(browser, "plugin:convoy-supervisor|list");
    assert.equal(list.ok, false);
    assert.match(JSON.stringify(list.error), /not allowed/);
  });

  it("restarts a SIGKILLed uvicorn, and the UI works again", async () => {
    const { browser } = app;
    const api = processOf(app, /notes_api\.py/);
    assert.ok(api, "the api runs under the shell");
    process.kill(api.pid, "SIGKILL");
    const restarted = await waitFor(
      () => {
        const now = processOf(app, /notes_api\.py/);
        return now && now.pid !== api.pid ? now : null;
      },
      { timeout: 15_000, message: "a new api process" },
    );
    assert.ok(isAlive(restarted));
    // As a person would: Add again while the api is still coming up (the UI
    // keeps the text of a note it could not save, and clears it once saved).
    await browser.$('[data-testid="note-input"]').setValue("after the restart");
    await browser.waitUntil(
      async () => {
        if ((await browser.$('[data-testid="note-input"]').getValue()) !== "") {
          await browser.$('[data-testid="add-note"]').click();
        }
        return (await notesText(browser))?.includes("after the restart3 words");
      },
      { timeout: 20_000, interval: 500, timeoutMsg: "the UI never worked again after the restart" },
    );
    assert.match(await notesText(browser), /carried by configuration alone4 words/);

    // The page keeps nothing of its own: reloaded, it shows both notes again, from the api.
    await browser.refresh();
    await browser.waitUntil(async () => (await browser.$('[data-testid="status"]').getText()) === "2 notes", {
      timeout: 20_000,
      timeoutMsg: "the reloaded page never showed the two notes",
    });
    assert.match(await notesText(browser), /carried by configuration alone4 words.*after the restart3 words/);
  });

  it("leaves no process behind when it quits", async () => {
    const tree = app.tree();
    const names = tree.map(({ pid }) => commandLine(pid));
    for (const expected of [/redis-server|valkey-server/, /notes_api\.py/, /notes_worker\.py/]) {
      assert.ok(
        names.some((n) => expected.test(n)),
        `${expected} in the tree:\n${names.join("\n")}`,
      );
    }
    await app.close();
    await app.waitGone(tree, { after: "the example quit" });
    app = null;
  });
});

// The Python sidecars have no stdin watchdog: on Linux the parent-death signal
// alone must stop them when the shell is killed outright.
describe("the FastAPI example, its shell SIGKILLed", () => {
  let app;
  before(async () => {
    app = await launchApp({ binary });
    await app.browser.waitUntil(
      async () => (await app.browser.$('[data-testid="status"]').getText()) === "No notes yet.",
      { timeout: 40_000, timeoutMsg: "the example never showed its notes" },
    );
    await waitFor(() => processOf(app, /notes_worker\.py/), { message: "the worker" });
  });
  after(async () => {
    await app?.close();
  });

  it("leaves no process of the app running 2 seconds later", async () => {
    const tree = app.tree();
    process.kill(app.shell.pid, "SIGKILL");
    await app.waitGone(tree, { timeout: 2_000, after: "SIGKILL of the shell" });
  });
});
