// Runs in the real app: a failing template run is tried again as often as
// its template says, the window showing each attempt ("attempt k of N") and
// its exit code; runs beyond a template's concurrency limit, or beyond the
// worker's (RUNBOOK_WORKER_CONCURRENCY), wait as queued and start in order.
import assert from "node:assert/strict";
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { setTimeout } from "node:timers/promises";
import {
  apiCall,
  createTemplate,
  getJob,
  listedJobs,
  runTemplate,
  showJob,
  waitForListed,
} from "./support/runs.mjs";
import { launchReadyToRunJobs } from "./support/sidecars.mjs";

/** A command that waits until `file` exists, then prints `label`. */
const gated = (file, label) => `while [ ! -e '${file}' ]; do sleep 0.05; done; echo ${label}`;

/** For `ms`, `check()` must keep returning true (the state holds, it was not a passing moment). */
async function holds(check, ms, what) {
  const until = Date.now() + ms;
  while (Date.now() < until) {
    assert.ok(await check(), `${what} did not hold for ${ms} ms`);
    await setTimeout(100);
  }
}

/** Each job started after the one before it, and after it had ended (a limit of one). */
function assertOneAfterAnother(jobs) {
  for (let i = 1; i < jobs.length; i++) {
    const previous = jobs[i - 1];
    assert.ok(jobs[i].startedAt && previous.finishedAt, `job ${i} started and ${i - 1} ended`);
    assert.ok(
      Date.parse(jobs[i].startedAt) >= Date.parse(previous.finishedAt),
      `job ${i} started (${jobs[i].startedAt}) before job ${i - 1} ended (${previous.finishedAt})`,
    );
  }
}

describe("Template runs: retries and a concurrency limit", () => {
  let app;
  let dir;
  before(async () => {
    app = await launchReadyToRunJobs();
    dir = mkdtempSync(join(tmpdir(), "runbook-runs-"));
  });
  after(async () => {
    await app?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it("a failing run is tried again its template's number of times, each attempt shown with its exit code", async () => {
    const { browser } = app;
    const counter = join(dir, "attempts");
    // Exits 11, 12, 13 on its first, second and third attempt: each attempt's own code is shown.
    const command = `n=$(cat '${counter}' 2>/dev/null || echo 0); n=$((n+1)); echo $n > '${counter}'; echo attempt $n; exit $((10+n))`;

    // Made in the Templates view with two retries, and run from its form.
    await browser.$('[data-testid="view-templates"]').click();
    await browser.$('[data-testid="new-template"]').waitForExist({ timeout: 10_000 });
    await browser.$('[data-testid="new-template"]').click();
    await browser.$('[data-testid="template-name"]').setValue("Flaky");
    await browser.$('[data-testid="template-command"]').setValue(command);
    await browser.$('[data-testid="template-retryCount"]').setValue("2");
    await browser.$('[data-testid="save-template"]').click();
    await browser.$('[data-testid="run-form"]').waitForExist({ timeout: 10_000 });
    await browser.$('[data-testid="run-template"]').click();

    // Three jobs in all, each failed: the first and its two retries.
    const attempts = await browser.waitUntil(
      async () => {
        const rows = await listedJobs(browser);
        return rows.length === 3 && rows.every((row) => row.status === "failed") ? rows.reverse() : false;
      },
      { timeout: 30_000, interval: 100, timeoutMsg: "three failed attempts to be listed" },
    );
    assert.equal(readFileSync(counter, "utf8").trim(), "3");
    for (const [index, row] of attempts.entries()) {
      const k = index + 1;
      await showJob(browser, row.id);
      const facts = await browser.waitUntil(
        async () => {
          const shown = await showJob(browser, row.id);
          return shown.ended && shown.exitCode !== null ? shown : false;
        },
        { timeout: 10_000, timeoutMsg: `attempt ${k}'s output and exit code` },
      );
      assert.equal(facts.status, "failed");
      assert.equal(facts.attempt, `attempt ${k} of 3`);
      assert.equal(facts.exitCode, `exit code ${10 + k}`);
      assert.equal(facts.output, `attempt ${k}\n`);
      const job = await getJob(browser, row.id);
      assert.equal(job.attempt, k);
      assert.equal(job.retryOf, k === 1 ? null : attempts[0].id);
    }
    // Tried exactly its number of times: no fourth attempt follows.
    await holds(async () => (await listedJobs(browser)).length === 3, 1500, "three attempts");
  });

  it("runs beyond the template's concurrency limit wait, shown queued, and start in order", async () => {
    const { browser } = app;
    const gates = [0, 1, 2].map((i) => join(dir, `gate-${i}`));
    // Each run waits for its own gate: {{n}} says which.
    const templateId = await createTemplate(browser, {
      name: "One at a time",
      command: `while [ ! -e '${dir}/gate-'{{n}} ]; do sleep 0.05; done; echo run {{n}}`,
      parameters: [{ name: "n", type: "number", min: 0, max: 2, required: true }],
      concurrency: 1,
    });
    const jobs = [];
    for (const n of [0, 1, 2]) jobs.push(await runTemplate(browser, templateId, { n }));
    const ids = jobs.map((job) => job.id);

    await waitForListed(browser, ids, ["running", "queued", "queued"]);
    await holds(
      async () => (await waitForListed(browser, ids, ["running", "queued", "queued"], 500)) !== null,
      1000,
      "one running, two queued",
    );
    // Released out of order: only the running one may finish; the next in line starts.
    writeFileSync(gates[2], "");
    writeFileSync(gates[0], "");
    await waitForListed(browser, ids, ["succeeded", "running", "queued"]);
    writeFileSync(gates[1], "");
    await waitForListed(browser, ids, ["succeeded", "succeeded", "succeeded"]);
    const ended = [];
    for (const id of ids) ended.push(await getJob(browser, id));
    assertOneAfterAnother(ended);
    const shown = await showJob(browser, ids[1]);
    assert.equal(shown.status, "succeeded");
    await browser.waitUntil(async () => (await showJob(browser, ids[1])).output === "run 1\n", {
      timeout: 10_000,
      timeoutMsg: "run 1's output",
    });
    assert.ok(gates.every((gate) => existsSync(gate)));
  });
});

describe("The worker's own limit (RUNBOOK_WORKER_CONCURRENCY=1)", () => {
  let app;
  let dir;
  before(async () => {
    app = await launchReadyToRunJobs({ env: { RUNBOOK_WORKER_CONCURRENCY: "1" } });
    dir = mkdtempSync(join(tmpdir(), "runbook-runs-"));
  });
  after(async () => {
    await app?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it("a second plain job waits queued until the first ends, then runs", async () => {
    const { browser } = app;
    const gate = join(dir, "gate");
    const ids = [];
    for (const [index, command] of [gated(gate, "first"), "echo second"].entries()) {
      await browser.$('[data-testid="command-input"]').setValue(command);
      await browser.$('[data-testid="submit-job"]').click();
      ids.push(
        await browser.waitUntil(
          async () => {
            const rows = await listedJobs(browser);
            return rows.length === index + 1 ? rows[0].id : false;
          },
          { timeout: 10_000, timeoutMsg: `job ${index + 1} to be listed` },
        ),
      );
    }
    await waitForListed(browser, ids, ["running", "queued"]);
    await holds(
      async () => (await waitForListed(browser, ids, ["running", "queued"], 500)) !== null,
      1500,
      "the second job queued behind the first",
    );
    writeFileSync(gate, "");
    await waitForListed(browser, ids, ["succeeded", "succeeded"]);
    const jobs = [];
    for (const id of ids) jobs.push(await getJob(browser, id));
    assertOneAfterAnother(jobs);
    // The limit is the worker's: the api knows nothing of it.
    assert.equal((await apiCall(browser, "GET", "/jobs?limit=10")).body.items.length, 2);
  });
});
