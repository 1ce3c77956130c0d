// A template's path parameter in the real app: Choose… beside its field opens
// the native GTK file chooser through the dialog plugin, which only the main
// window may call. The chooser is a native window WebDriver cannot reach, so
// the test finds it on the X display (xwininfo) and types into it through
// XTEST, as a person at the keyboard would: Escape cancels, a typed path picks
// a file. A path typed into the field runs as well.
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { setTimeout } from "node:timers/promises";
import { waitFor } from "@convoy/testing";
import { invoke, switchToWindow } from "./support/app.mjs";
import { launchReadyToRunJobs } from "./support/sidecars.mjs";

const NOTE = "picked-in-the-native-dialog";

/** The X window titled `title` (mapped or not), or null. */
function xWindow(title) {
  try {
    const info = execFileSync("xwininfo", ["-name", title], { encoding: "utf8", stdio: "pipe" });
    return {
      id: info.match(/Window id: (0x[0-9a-f]+)/)[1],
      viewable: /Map State: IsViewable/.test(info),
    };
  } catch {
    return null;
  }
}

// Xlib and XTEST through ctypes (libxtst6 comes with x11-utils): focuses the
// window, moves the pointer over it (without a window manager, focus follows
// the pointer), and presses each key of argv[2] in turn ("\n" is Return, "\x1b" Escape).
const PRESS_KEYS = `
import ctypes, sys, time
x = ctypes.CDLL("libX11.so.6"); xtest = ctypes.CDLL("libXtst.so.6")
x.XOpenDisplay.restype = ctypes.c_void_p
x.XStringToKeysym.restype = ctypes.c_ulong
x.XKeycodeToKeysym.restype = ctypes.c_ulong
display = ctypes.c_void_p(x.XOpenDisplay(None))
if not display: sys.exit("no X display")
window = ctypes.c_ulong(int(sys.argv[1], 0))
x.XRaiseWindow(display, window)
x.XSetInputFocus(display, window, 2, 0)
xtest.XTestFakeMotionEvent(display, -1, 300, 20, 0)
x.XSync(display, 0); time.sleep(0.2)
names = {"/": "slash", ".": "period", "-": "minus", "_": "underscore", "\\n": "Return", "\\x1b": "Escape"}
def key(code, down):
    xtest.XTestFakeKeyEvent(display, code, down, 0); x.XSync(display, 0); time.sleep(0.03)
shift = x.XKeysymToKeycode(display, ctypes.c_ulong(x.XStringToKeysym(b"Shift_L")))
for ch in sys.argv[2]:
    sym = x.XStringToKeysym(names.get(ch, ch).encode())
    code = x.XKeysymToKeycode(display, ctypes.c_ulong(sym))
    if code == 0: sys.exit("no key for %r" % ch)
    # A symbol that is not its key's first (an upper-case letter, "_") takes Shift.
    shifted = x.XKeycodeToKeysym(display, code, 0) != sym
    if shifted: key(shift, 1)
    key(code, 1); key(code, 0)
    if shifted: key(shift, 0)
x.XCloseDisplay(display)
`;

function pressKeys(window, keys) {
  execFileSync("/usr/bin/python3", ["-c", PRESS_KEYS, window.id, keys], { stdio: "pipe" });
}

/**
 * True when this display is an Xvfb of its own (scripts/e2e.sh starts one when
 * DISPLAY is unset): keys are only pressed there, never on someone's desktop.
 */
function displayIsXvfb() {
  for (const pid of readdirSync("/proc").filter((name) => /^\d+$/.test(name))) {
    try {
      const argv = readFileSync(`/proc/${pid}/cmdline`, "utf8").split("\0");
      // Started as `Xvfb $DISPLAY`, or by start_xvfb (scripts/lib.sh), which exports its pid.
      const ours = argv[1] === process.env.DISPLAY || pid === process.env.XVFB_PID;
      if (argv[0]?.endsWith("Xvfb") && ours) return true;
    } catch {
      // Gone meanwhile.
    }
  }
  return false;
}

/** Waits for the native chooser titled `title` to be on screen. */
function waitForChooser(title) {
  return waitFor(
    () => {
      const window = xWindow(title);
      return window?.viewable ? window : null;
    },
    { timeout: 10_000, message: `the native dialog "${title}"` },
  );
}

/** Waits for the chooser to leave the screen and its Choose… button to be enabled again. */
async function waitForChooserClosed(browser, title, button) {
  await waitFor(() => !xWindow(title)?.viewable, { timeout: 10_000, message: `"${title}" to close` });
  await browser.waitUntil(async () => await browser.$(button).isEnabled(), {
    timeout: 10_000,
    timeoutMsg: `${button} to be enabled again`,
  });
}

/** `{ status, body }` of an api request made with the launch's endpoint. */
async function api(browser, method, path, body) {
  const { baseUrl, token } = (await invoke(browser, "plugin:convoy-supervisor|endpoint", { name: "api" }))
    .value;
  const response = await fetch(`${baseUrl}${path}`, {
    method,
    headers: { Authorization: `Bearer ${token}`, "Content-Type": "application/json" },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  return { status: response.status, body: await response.json().catch(() => null) };
}

/** Waits for the job to end; its status and whole output. */
async function finished(browser, id) {
  const job = await waitFor(
    async () => {
      const { body } = await api(browser, "GET", `/jobs/${id}`);
      return ["succeeded", "failed", "cancelled", "interrupted"].includes(body?.status) ? body : null;
    },
    { timeout: 20_000, message: `job ${id} to end` },
  );
  let output = "";
  for (let after = "0", end = false; !end; ) {
    const page = (await api(browser, "GET", `/jobs/${id}/output?after=${after}&wait=1000`)).body;
    output += page.chunks.map((chunk) => chunk.text).join("");
    ({ cursor: after, end } = page);
  }
  return { status: job.status, output };
}

describe("a path parameter in the desktop app", () => {
  let app;
  let dir;
  let notes;
  before(async () => {
    dir = mkdtempSync(join(tmpdir(), "runbook-paths-"));
    notes = join(dir, "notes.txt");
    writeFileSync(notes, `${NOTE}\n`);
    app = await launchReadyToRunJobs();
    const created = await api(app.browser, "POST", "/templates", {
      name: "Paths",
      command: "cat -- {{notes}}; cd -- {{where}} && pwd",
      parameters: [
        { name: "where", type: "path", kind: "directory" },
        { name: "notes", label: "Notes", type: "path", kind: "file" },
      ],
    });
    assert.equal(created.status, 201, JSON.stringify(created.body));
    const { browser } = app;
    await browser.$('[data-testid="view-templates"]').click();
    await browser.$('[data-testid="template"] .template-select').click();
    await browser.$('[data-testid="run-form"]').waitForExist({ timeout: 10_000 });
  });
  after(async () => {
    await app?.close();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it("has Choose… beside each path field, the field still a text field", async () => {
    const buttons = await app.browser.execute(() =>
      [...document.querySelectorAll('[data-testid^="choose-"]')].map((button) => ({
        testid: button.getAttribute("data-testid"),
        type: button.getAttribute("type"),
        text: button.textContent,
        label: button.getAttribute("aria-label"),
        field: button.parentElement.querySelector("input")?.getAttribute("data-testid"),
        fieldType: button.parentElement.querySelector("input")?.getAttribute("type"),
      })),
    );
    assert.deepEqual(buttons, [
      {
        testid: "choose-where",
        type: "button",
        text: "Choose…",
        label: "Choose a directory for where",
        field: "param-where",
        fieldType: "text",
      },
      {
        testid: "choose-notes",
        type: "button",
        text: "Choose…",
        label: "Choose a file for Notes",
        field: "param-notes",
        fieldType: "text",
      },
    ]);
  });

  it("lets the main window call the dialog plugin, which checks what it is given", async () => {
    // Bad options reach the plugin (past the capability check) and are refused there, so no dialog opens.
    const result = await invoke(app.browser, "plugin:dialog|open", { options: 42 });
    assert.equal(result.ok, false);
    assert.match(String(result.error), /^invalid args `options` for command `open`/);
  });

  it("Choose… opens the native dialog; cancelling it leaves the field as it was", async (t) => {
    if (!displayIsXvfb()) return t.skip("keys are pressed only on an Xvfb display of the tests' own");
    const { browser } = app;
    const title = "Choose a directory for where";
    assert.equal(xWindow(title)?.viewable ?? false, false, "no dialog before the click");
    await browser.$('[data-testid="param-where"]').setValue("/typed/before");
    await browser.$('[data-testid="choose-where"]').click();
    const chooser = await waitForChooser(title);
    // One dialog at a time.
    assert.equal(await browser.$('[data-testid="choose-where"]').isEnabled(), false);
    pressKeys(chooser, "\x1b");
    await waitForChooserClosed(browser, title, '[data-testid="choose-where"]');
    assert.equal(await browser.$('[data-testid="param-where"]').getValue(), "/typed/before");
    assert.equal(await browser.$('[data-testid="choose-where-error"]').isExisting(), false);
  });

  it("a file picked in the native dialog fills its field, and runs with a typed directory", async (t) => {
    if (!displayIsXvfb()) return t.skip("keys are pressed only on an Xvfb display of the tests' own");
    const { browser } = app;
    const title = "Choose a file for Notes";
    await browser.$('[data-testid="choose-notes"]').click();
    const chooser = await waitForChooser(title);
    // Typing a path in GTK's chooser opens its location field; Return picks the file.
    pressKeys(chooser, `${notes}\n`);
    await waitForChooserClosed(browser, title, '[data-testid="choose-notes"]');
    assert.equal(await browser.$('[data-testid="param-notes"]').getValue(), notes);

    // The other field typed by hand, as it always could be.
    await browser.$('[data-testid="param-where"]').setValue(dir);
    await browser.keys("Enter");
    const id = await browser.waitUntil(
      () =>
        browser.execute(() =>
          document.querySelector('[data-testid="job-detail"]')?.getAttribute("data-job-id"),
        ),
      { timeout: 10_000, timeoutMsg: "the run's job to be shown" },
    );
    const job = await finished(browser, id);
    assert.deepEqual(job, { status: "succeeded", output: `${NOTE}\n${dir}\n` });
  });

  it("is refused to the settings window, which opens no dialog", async () => {
    const { browser } = app;
    await switchToWindow(browser, "");
    await browser.$('[data-testid="open-settings"]').click();
    await switchToWindow(browser, "#/settings");
    const title = "Asked for by the settings window";
    const result = await invoke(browser, "plugin:dialog|open", {
      options: { directory: false, multiple: false, title },
    });
    assert.equal(result.ok, false, "the settings window opened a file dialog");
    assert.match(String(result.error), /dialog\.open not allowed/);
    await setTimeout(500);
    assert.equal(xWindow(title), null, "no dialog window was made");
    // Bad options are refused by the capability check first: the plugin never sees them.
    const bad = await invoke(browser, "plugin:dialog|open", { options: 42 });
    assert.match(String(bad.error), /dialog\.open not allowed/);
    await switchToWindow(browser, "");
  });
});
