// The output view as the real window shows it: a command queued from the
// main window's form, and what the windowed view holds, read in one step.

/** Queues `command` from the main window's form; resolves with the new job's id once the detail shows it. */
export async function queueCommand(browser, command) {
  const shownBefore = await browser.execute(
    () => document.querySelector('[data-testid="job-detail"]')?.getAttribute("data-job-id") ?? null,
  );
  await browser.$('[data-testid="view-jobs"]').click();
  await browser.$('[data-testid="command-input"]').setValue(command);
  await browser.$('[data-testid="submit-job"]').click();
  return browser.waitUntil(
    async () => {
      const shown = await browser.execute(
        () => document.querySelector('[data-testid="job-detail"]')?.getAttribute("data-job-id") ?? null,
      );
      return shown !== null && shown !== shownBefore ? shown : false;
    },
    { timeout: 10_000, timeoutMsg: "the new job to be shown" },
  );
}

/** What the output view holds now: its line count, the line nodes in the page, the scroller's geometry. */
export function outputState(browser) {
  return browser.execute(() => {
    const view = document.querySelector('[data-testid="job-output"]');
    const rows = [...(view?.querySelectorAll(".output-line") ?? [])];
    const box = view?.getBoundingClientRect();
    // The lines at least half inside the viewport.
    const visible = rows.filter((row) => {
      const r = row.getBoundingClientRect();
      return box && r.top + r.height / 2 >= box.top && r.top + r.height / 2 <= box.bottom;
    });
    const describe = (row) => ({
      line: Number(row.getAttribute("data-line")),
      text: row.textContent.replace(/\n$/, ""),
      marked: row.classList.contains("output-marked"),
      loading: row.classList.contains("output-loading"),
    });
    return {
      ended: view?.getAttribute("data-ended") === "true",
      following: view?.getAttribute("data-following") === "true",
      count: Number(view?.getAttribute("data-lines") ?? 0),
      nodes: rows.length,
      scrollHeight: view?.scrollHeight ?? 0,
      scrollTop: view?.scrollTop ?? 0,
      visible: visible.map(describe),
      marked: rows.filter((row) => row.classList.contains("output-marked")).map(describe),
    };
  });
}

/** Waits until the output view's state passes `predicate`; that state. */
export async function waitForOutput(
  browser,
  predicate,
  { timeout = 20_000, message = "the output view" } = {},
) {
  let last = null;
  return browser
    .waitUntil(
      async () => {
        last = await outputState(browser);
        return predicate(last) ? last : false;
      },
      { timeout, interval: 100, timeoutMsg: message },
    )
    .catch((error) => {
      const { visible, ...rest } = last ?? {};
      throw new Error(
        `${error.message}; last ${JSON.stringify({ ...rest, visible: visible?.slice(0, 3), lastVisible: visible?.at(-1) })}`,
      );
    });
}

/** Waits until the api has stored all of run `id`'s lines (searches read stored lines). */
export async function waitForStored(browser, id, timeout = 60_000) {
  await browser.waitUntil(
    async () =>
      browser.execute(async (jobId) => {
        const endpoint = await window.__TAURI_INTERNALS__.invoke("plugin:convoy-supervisor|endpoint", {
          name: "api",
        });
        const response = await fetch(`${endpoint.baseUrl}/jobs/${jobId}/lines?from=0&count=1`, {
          headers: { Authorization: `Bearer ${endpoint.token}` },
        });
        return response.ok && (await response.json()).complete === true;
      }, id),
    { timeout, interval: 200, timeoutMsg: `run ${id}'s lines to be stored` },
  );
}
