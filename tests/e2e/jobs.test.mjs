// Runbook running jobs in the real app: a command queued in the main window
// runs as a real process under the worker, its output and progress reach the
// window live, Cancel stops its whole process group, and no job process
// outlives the worker or the app, however they end.
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { waitFor } from "@convoy/testing";
import { waitForStored } from "./support/output.mjs";
import { commandLine, isAlive, processTable, withEnvironment } from "./support/processes.mjs";
import { apiCall } from "./support/runs.mjs";
import { launchReadyToRunJobs, sidecar, waitForSidecar } from "./support/sidecars.mjs";

/**
 * An attribute of the first element matching `selector`, read inside the page
 * in one step: the list re-renders as jobs change, and an element handle taken
 * a moment earlier may be stale by the time it is read.
 */
function attribute(browser, selector, name) {
  return browser.execute((s, n) => document.querySelector(s)?.getAttribute(n) ?? null, selector, name);
}

/** Queues `command` from the main window's form; the window then follows the new job, whose id this returns. */
async function queue(browser, command) {
  const shownBefore = await attribute(browser, '[data-testid="job-detail"]', "data-job-id");
  await browser.$('[data-testid="command-input"]').setValue(command);
  await browser.$('[data-testid="submit-job"]').click();
  // The new job is the newest in the list, and the detail follows it.
  return browser.waitUntil(
    async () => {
      const { shown, newest } = await browser.execute(() => ({
        shown: document.querySelector('[data-testid="job-detail"]')?.getAttribute("data-job-id") ?? null,
        newest: document.querySelector('[data-testid="job"]')?.getAttribute("data-job-id") ?? null,
      }));
      return shown !== null && shown !== shownBefore && shown === newest ? shown : false;
    },
    { timeout: 10_000, timeoutMsg: "the new job to be shown" },
  );
}

function detailStatus(browser) {
  return attribute(browser, '[data-testid="job-detail"]', "data-status");
}

function waitForStatus(browser, status, timeout = 20_000) {
  return browser.waitUntil(async () => (await detailStatus(browser)) === status, {
    timeout,
    timeoutMsg: `the job to be ${status}`,
  });
}

async function outputText(browser) {
  return browser.execute(() => document.querySelector('[data-testid="job-output"]')?.textContent ?? "");
}

/** The job's processes: every process whose environment names it (the shell, its children, theirs). */
function jobProcesses(id) {
  return withEnvironment(`RUNBOOK_JOB_ID=${id}`);
}

describe("Runbook runs jobs", () => {
  let app;
  before(async () => {
    app = await launchReadyToRunJobs();
  });
  after(async () => {
    await app?.close();
  });

  it("runs a command, showing its output and progress live, and its end", async () => {
    const { browser } = app;
    await queue(
      browser,
      'for i in 1 2 3 4 5; do echo "line $i"; echo "::progress::$((i * 20))"; echo "::status::step $i"; sleep 0.3; done; ' +
        'echo "::status::All done"; echo "to stderr" >&2',
    );
    // Live: the first lines are on screen while the job still runs.
    await browser.waitUntil(async () => (await outputText(browser)).includes("line 2"), {
      timeout: 10_000,
      timeoutMsg: "the first lines to appear",
    });
    assert.equal(await detailStatus(browser), "running");
    assert.match(await browser.$('[data-testid="job-duration"]').getText(), /^running for /);
    await waitForStatus(browser, "succeeded");
    // Control lines drive the progress bar, and are not output.
    const text = await outputText(browser);
    assert.match(text, /^line 1\nline 2\nline 3\nline 4\nline 5\n/);
    assert.doesNotMatch(text, /::progress::|::status::/);
    assert.equal(await browser.$('[data-testid="job-status-line"]').getText(), "All done");
    // textContent: WebKitWebDriver's visible-text rules skip the output's absolutely placed lines.
    assert.equal(await browser.$(".output-stderr").getProperty("textContent"), "to stderr\n");
    assert.equal(await attribute(browser, ".output-stderr", "title"), "stderr");
    assert.match(await browser.$('[data-testid="output-key"]').getText(), /^stderr is shown in red/);
    assert.equal(await attribute(browser, '[data-testid="job-progress"]', "value"), "100");
    assert.equal(await browser.$('[data-testid="job-exit-code"]').getText(), "exit code 0");
    // Five sleeps of 0.3 s, timed from the worker's start and end events: over 1.2 s, under 10.
    const took = (await browser.$('[data-testid="job-duration"]').getText()).match(/^took (\d+\.\d) s$/);
    assert.ok(took && Number(took[1]) >= 1.2 && Number(took[1]) < 10, `duration: ${took?.[0]}`);
    assert.equal(await attribute(browser, '[data-testid="job-output"]', "data-ended"), "true");
  });

  it("a command that fails ends failed with its exit code", async () => {
    const { browser } = app;
    await queue(browser, "echo about to fail; exit 7");
    await waitForStatus(browser, "failed");
    assert.equal(await browser.$('[data-testid="job-exit-code"]').getText(), "exit code 7");
    assert.match(await outputText(browser), /about to fail/);
  });

  it("the selected job is the shell's: the window, reloaded, shows it again", async () => {
    const { browser } = app;
    const shown = await attribute(browser, '[data-testid="job-detail"]', "data-job-id");
    const listed = await browser.execute(() =>
      [...document.querySelectorAll('[data-testid="job"]')].map((row) => row.getAttribute("data-job-id")),
    );
    const pick = listed.find((id) => id !== shown);
    assert.ok(pick, `another job to pick in ${listed}`);
    await browser.$(`[data-testid="job"][data-job-id="${pick}"] .job-select`).click();
    const detailShows = (id, timeoutMsg) =>
      browser.waitUntil(
        async () => (await attribute(browser, '[data-testid="job-detail"]', "data-job-id")) === id,
        { timeout: 15_000, timeoutMsg },
      );
    await detailShows(pick, "the picked job to be shown");
    // The page starts afresh; what it shows comes from the shell.
    await browser.refresh();
    await detailShows(pick, "the reloaded window to show the job the shell holds");
  });

  it("the job's environment carries no secret of the app", async () => {
    const { browser } = app;
    const id = await queue(browser, "env | cut -d= -f1 | sort");
    await waitForStatus(browser, "succeeded");
    // Every line, from the api: the windowed view holds only the lines in sight.
    await waitForStored(browser, id);
    const { body } = await apiCall(browser, "GET", `/jobs/${id}/lines?from=0&count=2000`);
    const names = body.lines.map((line) => line.text);
    assert.ok(names.includes("RUNBOOK_JOB_ID"), names.join(" "));
    for (const secret of ["CONVOY_VALKEY_PASSWORD", "CONVOY_API_TOKEN", "CONVOY_BACKCHANNEL_TOKEN"]) {
      assert.ok(!names.includes(secret), `${secret} reached the job`);
    }
    assert.deepEqual(
      names.filter((name) => name.startsWith("CONVOY_")),
      ["CONVOY_LAUNCH_ID"],
    );
  });

  it("Cancel stops a running job and every process it started", async () => {
    const { browser } = app;
    const id = await queue(browser, "sleep 300 & sleep 301; echo never");
    await waitForStatus(browser, "running");
    const processes = await waitFor(
      () => {
        const found = jobProcesses(id);
        return found.some(({ pid }) => commandLine(pid) === "sleep 300") &&
          found.some(({ pid }) => commandLine(pid) === "sleep 301")
          ? found
          : null;
      },
      { message: "the job's processes" },
    );
    await browser.$('[data-testid="cancel-job"]').click();
    await waitForStatus(browser, "cancelled", 15_000);
    await app.waitGone(processes, { after: "the job was cancelled" });
    assert.doesNotMatch(await outputText(browser), /never/);
    assert.equal(await browser.$('[data-testid="cancel-job"]').isExisting(), false);
  });

  it("however many jobs the list holds, the selected job's output is in the window", async () => {
    const { browser } = app;
    // Enough jobs that the list alone is taller than the window's room for it.
    for (let i = 0; i < 12; i++) await queue(browser, `echo many ${i}`);
    await waitForStatus(browser, "succeeded");
    const box = await browser.execute(() => {
      const list = document.querySelector('[data-testid="jobs-list"]');
      const output = document.querySelector('[data-testid="job-output"]')?.getBoundingClientRect();
      return {
        rows: document.querySelectorAll('[data-testid="job"]').length,
        listScrolls: list ? list.scrollHeight > list.clientHeight : false,
        top: output?.top ?? -1,
        bottom: output?.bottom ?? Number.POSITIVE_INFINITY,
        height: output?.height ?? 0,
        diagnostics: document.querySelector('[data-testid="sidecars-toggle"]')?.getBoundingClientRect()
          .bottom,
        window: window.innerHeight,
        pageScroll: window.scrollY,
      };
    });
    assert.ok(box.rows >= 12, `the list shows every job (${box.rows})`);
    assert.ok(box.listScrolls, "the list scrolls on its own");
    assert.equal(box.pageScroll, 0);
    assert.ok(
      box.top >= 0 && box.bottom <= box.window,
      `the output (${box.top}-${box.bottom}) is inside the window (${box.window})`,
    );
    assert.ok(box.height >= 126, `the output shows several lines (${box.height} px)`);
    assert.ok(
      box.diagnostics !== undefined && box.diagnostics <= box.window,
      `the closed diagnostics line (bottom ${box.diagnostics}) is inside the window (${box.window})`,
    );
    assert.match(await outputText(browser), /many 11/);
  });

  it("a job selected from elsewhere is scrolled into the list's view", async () => {
    const { browser } = app;
    // The oldest job, at the foot of a list scrolled to its end...
    const oldest = await browser.execute(() => {
      const list = document.querySelector('[data-testid="jobs-list"]');
      list.scrollTop = list.scrollHeight;
      const rows = document.querySelectorAll('[data-testid="job"]');
      const last = rows[rows.length - 1];
      last.querySelector("button").click();
      return last.getAttribute("data-job-id");
    });
    await browser.waitUntil(
      async () => (await attribute(browser, '[data-testid="job-detail"]', "data-job-id")) === oldest,
      { timeoutMsg: "the oldest job to be shown" },
    );
    // ...re-run: the new job is the newest, at the top the reader scrolled away from.
    await browser.$('[data-testid="rerun-job"]').click();
    const rerun = await browser.waitUntil(
      async () => {
        const shown = await attribute(browser, '[data-testid="job-detail"]', "data-job-id");
        const newest = await attribute(browser, '[data-testid="job"]', "data-job-id");
        return shown !== oldest && shown === newest ? shown : false;
      },
      { timeoutMsg: "the re-run to be shown" },
    );
    const view = await browser.waitUntil(
      () =>
        browser.execute((id) => {
          const list = document.querySelector('[data-testid="jobs-list"]').getBoundingClientRect();
          const row = document
            .querySelector(`[data-testid="job"][data-job-id="${id}"]`)
            ?.getBoundingClientRect();
          return row && row.top >= list.top && row.bottom <= list.bottom
            ? { top: row.top - list.top, pageScroll: window.scrollY }
            : false;
        }, rerun),
      { timeout: 5_000, timeoutMsg: "the re-run's row to be in the list's view" },
    );
    assert.equal(view.pageScroll, 0, "the page itself did not move");
  });

  it("a job whose worker is killed ends interrupted, its processes gone, and the next job runs", async () => {
    const { browser } = app;
    const id = await queue(browser, "sleep 302 & sleep 303");
    await waitForStatus(browser, "running");
    const processes = await waitFor(() => (jobProcesses(id).length >= 2 ? jobProcesses(id) : null), {
      message: "the job's processes",
    });
    const worker = await sidecar(browser, "worker");
    process.kill(worker.pid, "SIGKILL");
    await app.waitGone(processes, { after: "the worker was SIGKILLed", timeout: 15_000 });
    await waitForStatus(browser, "interrupted", 20_000);
    assert.match(await browser.$('[data-testid="job-reason"]').getText(), /worker/);
    await waitForSidecar(browser, "worker", (s) => s.state === "ready" && s.pid !== worker.pid);
    await queue(browser, "echo after the crash");
    await waitForStatus(browser, "succeeded");
    assert.match(await outputText(browser), /after the crash/);
  });
});

describe("No job outlives the app", () => {
  it("SIGTERM to the app with a job running stops the job and every process it started", async () => {
    const first = await launchReadyToRunJobs();
    try {
      const id = await queue(first.browser, "sleep 304 & sleep 305");
      await waitForStatus(first.browser, "running");
      const processes = await waitFor(() => (jobProcesses(id).length >= 2 ? jobProcesses(id) : null), {
        message: "the job's processes",
      });
      const tree = first.tree();
      process.kill(first.shell.pid, "SIGTERM");
      await first.waitGone([...tree, ...processes], { after: "SIGTERM to the app", timeout: 15_000 });
    } finally {
      await first.close();
    }
    assert.equal(
      processTable().filter((entry) => isAlive(entry) && /^sleep 30[45]$/.test(commandLine(entry.pid)))
        .length,
      0,
    );
  });

  it("SIGKILL of the app with a job running leaves none of the job's processes 3 seconds later", async () => {
    const app = await launchReadyToRunJobs();
    try {
      const id = await queue(app.browser, "sleep 306 & sleep 307");
      await waitForStatus(app.browser, "running");
      const processes = await waitFor(() => (jobProcesses(id).length >= 3 ? jobProcesses(id) : null), {
        message: "the job's processes (its leader, its shell's children)",
      });
      const tree = app.tree();
      process.kill(app.shell.pid, "SIGKILL");
      // The worker dies with the shell; each job's leader with the worker, taking its group.
      await app.waitGone([...tree, ...processes], { after: "SIGKILL of the app", timeout: 3_000 });
    } finally {
      await app.close();
    }
  });
});
