// The history view in the real webview: runs filtered by status, and a
// full-text search over every run's output whose matching line opens the
// run's output scrolled to that line, marked.
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { queueCommand, waitForOutput, waitForStored } from "./support/output.mjs";
import { launchReadyToRunJobs } from "./support/sidecars.mjs";

describe("Runbook's history", () => {
  let app;
  before(async () => {
    app = await launchReadyToRunJobs();
  });
  after(async () => {
    await app?.close();
  });

  it("a search finds the line, and opens the run at it", async () => {
    const { browser } = app;
    const word = `zebra${Date.now().toString(36)}`;
    const id = await queueCommand(browser, `seq 1 20000; echo "the ${word} is here"; seq 1 20000`);
    await waitForOutput(browser, (s) => s.ended && s.count === 40_001, {
      timeout: 60_000,
      message: "40001 lines",
    });
    // Another run, with the word on stderr, that the status filter leaves out.
    const failed = await queueCommand(browser, `echo "${word} failed" >&2; exit 3`);
    await waitForOutput(browser, (s) => s.ended && s.count === 1, { message: "the failed run's line" });
    await waitForStored(browser, id);
    await waitForStored(browser, failed);

    await browser.$('[data-testid="view-history"]').click();
    await browser.$('[data-testid="history-search"]').setValue(word);
    await browser.$('[data-testid="history-search-submit"]').click();
    const hits = await browser.waitUntil(
      async () => {
        const found = await browser.execute(() =>
          [...document.querySelectorAll('[data-testid="history-hit"]')].map((hit) => ({
            id: hit.getAttribute("data-job-id"),
            lines: [...hit.querySelectorAll('[data-testid="history-line"]')].map((line) => ({
              n: Number(line.getAttribute("data-n")),
              mark: line.querySelector("mark")?.textContent ?? null,
            })),
          })),
        );
        return found.length === 2 ? found : false;
      },
      { timeout: 15_000, timeoutMsg: "two runs found" },
    );
    // Newest first, each with its line and the match marked.
    assert.deepEqual(hits, [
      { id: failed, lines: [{ n: 0, mark: word }] },
      { id, lines: [{ n: 20_000, mark: word }] },
    ]);

    // The status filter: only the succeeded run.
    await browser.$('[data-testid="history-status-succeeded"]').click();
    await browser.waitUntil(
      async () => {
        const ids = await browser.execute(() =>
          [...document.querySelectorAll('[data-testid="history-hit"]')].map((hit) =>
            hit.getAttribute("data-job-id"),
          ),
        );
        return ids.length === 1 && ids[0] === id;
      },
      { timeout: 15_000, timeoutMsg: "only the succeeded run" },
    );

    await browser.$(`[data-testid="history-hit"][data-job-id="${id}"] [data-testid="history-line"]`).click();
    const state = await waitForOutput(
      browser,
      (s) =>
        s.count === 40_001 && s.marked.length === 1 && s.visible.some((row) => row.marked && !row.loading),
      { message: "the run open at its line, marked" },
    );
    assert.equal(
      await browser.execute(() =>
        document.querySelector('[data-testid="job-detail"]')?.getAttribute("data-job-id"),
      ),
      id,
    );
    assert.deepEqual(state.marked, [
      { line: 20_001, text: `the ${word} is here`, marked: true, loading: false },
    ]);
    assert.equal(state.following, false);
  });

  it("filters the run list by status, newest first", async () => {
    const { browser } = app;
    await browser.$('[data-testid="view-history"]').click();
    // Emptied as typing would (clearValue fires no input event for React to see).
    await browser.execute(() => {
      const input = document.querySelector('[data-testid="history-search"]');
      Object.getOwnPropertyDescriptor(HTMLInputElement.prototype, "value").set.call(input, "");
      input.dispatchEvent(new Event("input", { bubbles: true }));
    });
    await browser.$('[data-testid="history-status-succeeded"]').click();
    await browser.$('[data-testid="history-search-submit"]').click();
    const statuses = await browser.waitUntil(
      async () => {
        const rows = await browser.execute(() =>
          [...document.querySelectorAll('[data-testid="history-run"]')].map((row) =>
            row.getAttribute("data-status"),
          ),
        );
        return rows.length > 0 && !rows.includes("failed") ? rows : false;
      },
      { timeout: 15_000, timeoutMsg: "runs listed, filtered to succeeded" },
    );
    assert.ok(
      statuses.every((status) => status === "succeeded"),
      statuses.join(" "),
    );
    await browser.$('[data-testid="history-status-succeeded"]').click();
    await browser.$('[data-testid="history-status-failed"]').click();
    await browser.waitUntil(
      async () => {
        const rows = await browser.execute(() =>
          [...document.querySelectorAll('[data-testid="history-run"]')].map((row) =>
            row.getAttribute("data-status"),
          ),
        );
        return rows.length === 1 && rows[0] === "failed";
      },
      { timeout: 15_000, timeoutMsg: "only the failed run" },
    );
  });
});
