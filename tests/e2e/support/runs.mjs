// Runs as the real app's main window shows them: the api called from inside
// the page with the launch's endpoint (as the UI's client calls it), the job
// list and the detail view read in one step each.

/** Calls the api from the page with the launch token; `{ status, body }`. */
export async function apiCall(browser, method, path, body) {
  const json = await browser.execute(
    async (m, p, b) => {
      const endpoint = await window.__TAURI_INTERNALS__.invoke("plugin:convoy-supervisor|endpoint", {
        name: "api",
      });
      const headers = { Authorization: `Bearer ${endpoint.token}` };
      if (b !== null) headers["Content-Type"] = "application/json";
      const response = await fetch(`${endpoint.baseUrl}${p}`, {
        method: m,
        headers,
        body: b === null ? undefined : JSON.stringify(b),
      });
      return JSON.stringify({ status: response.status, body: await response.json().catch(() => null) });
    },
    method,
    path,
    body ?? null,
  );
  return JSON.parse(json);
}

/** Creates a template through the api; its id. */
export async function createTemplate(browser, definition) {
  const created = await apiCall(browser, "POST", "/templates", definition);
  if (created.status !== 201)
    throw new Error(`POST /templates: ${created.status} ${JSON.stringify(created.body)}`);
  return created.body.id;
}

/** Queues a run of a template through the api; the job. */
export async function runTemplate(browser, templateId, parameters = {}) {
  const run = await apiCall(browser, "POST", `/templates/${templateId}/runs`, { parameters });
  if (run.status !== 201)
    throw new Error(`POST /templates/…/runs: ${run.status} ${JSON.stringify(run.body)}`);
  return run.body;
}

/** A job as the api has it. */
export async function getJob(browser, id) {
  const job = await apiCall(browser, "GET", `/jobs/${id}`);
  if (job.status !== 200) throw new Error(`GET /jobs/${id}: ${job.status}`);
  return job.body;
}

/** Every job the window lists, newest first: `[{ id, status }]`. */
export function listedJobs(browser) {
  return browser.execute(() =>
    [...document.querySelectorAll('[data-testid="job"]')].map((row) => ({
      id: row.getAttribute("data-job-id"),
      status: row.getAttribute("data-status"),
    })),
  );
}

/** Waits until the listed statuses of `ids` are `statuses` (in the same order); returns them. */
export async function waitForListed(browser, ids, statuses, timeout = 20_000) {
  let last = null;
  return browser
    .waitUntil(
      async () => {
        const rows = await listedJobs(browser);
        last = ids.map((id) => rows.find((row) => row.id === id)?.status ?? null);
        return last.every((status, i) => status === statuses[i]) ? last : false;
      },
      { timeout, interval: 50, timeoutMsg: `the listed jobs to be ${statuses.join(", ")}` },
    )
    .catch((error) => {
      throw new Error(`${error.message}; last ${JSON.stringify(last)}`);
    });
}

/** What the detail view shows of the selected job. */
export function shownFacts(browser) {
  return browser.execute(() => {
    const detail = document.querySelector('[data-testid="job-detail"]');
    const text = (id) => detail?.querySelector(`[data-testid="${id}"]`)?.textContent ?? null;
    return {
      id: detail?.getAttribute("data-job-id") ?? null,
      status: detail?.getAttribute("data-status") ?? null,
      attempt: text("job-attempt"),
      exitCode: text("job-exit-code"),
      reason: text("job-reason"),
      output: text("job-output") ?? "",
      ended: detail?.querySelector('[data-testid="job-output"]')?.getAttribute("data-ended") === "true",
    };
  });
}

/** Selects the job `id` in the list; resolves once the detail view shows it. */
export async function showJob(browser, id) {
  await browser.$(`[data-testid="job"][data-job-id="${id}"] button.job-select`).click();
  return browser.waitUntil(
    async () => {
      const facts = await shownFacts(browser);
      return facts.id === id ? facts : false;
    },
    { timeout: 10_000, timeoutMsg: `job ${id} to be shown` },
  );
}
