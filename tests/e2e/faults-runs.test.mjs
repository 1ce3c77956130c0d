// The worker SIGKILLed in the real app while runs are under way and others
// wait: the running ones end interrupted (a retry policy is for failures: a
// command is not assumed safe to run twice), their processes gone; the
// supervisor restarts the worker and the waiting runs start, those held by a
// template's limit and those queued beyond the worker's; none stays running.
import assert from "node:assert/strict";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { waitFor } from "@convoy/testing";
import { withEnvironment } from "./support/processes.mjs";
import { apiCall, createTemplate, listedJobs, runTemplate, showJob, waitForListed } from "./support/runs.mjs";
import { launchReadyToRunJobs, sidecar, waitForSidecar } from "./support/sidecars.mjs";

const gated = (file, label) => `while [ ! -e '${file}' ]; do sleep 0.05; done; echo ${label}`;

describe("SIGKILL of the worker with runs running and queued", () => {
  let app;
  let dir;
  before(async () => {
    // Two slots: the two gated runs fill them, so a plain job waits in the worker's queue.
    app = await launchReadyToRunJobs({ env: { RUNBOOK_WORKER_CONCURRENCY: "2" } });
    dir = mkdtempSync(join(tmpdir(), "runbook-faults-runs-"));
  });
  after(async () => {
    await app?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it("ends the running runs interrupted and starts the queued ones once the worker is back", async () => {
    const { browser } = app;
    const never = join(dir, "never");
    const gate = join(dir, "gate-go");
    // Each run waits for the gate its value names: "never" is never opened.
    const limited = await createTemplate(browser, {
      name: "One at a time",
      command: `while [ ! -e '${dir}/gate-'{{which}} ]; do sleep 0.05; done; echo {{which}}`,
      parameters: [{ name: "which", type: "string", required: true }],
      concurrency: 1,
    });
    const retried = await createTemplate(browser, {
      name: "Retried on failure",
      command: gated(never, "never"),
      retries: { count: 2, delaySeconds: 0 },
    });
    const first = await runTemplate(browser, limited, { which: "never" });
    const withRetries = await runTemplate(browser, retried);
    await waitForListed(browser, [first.id, withRetries.id], ["running", "running"]);
    // Held by the template's limit (the api's), and by the worker's two slots.
    const second = await runTemplate(browser, limited, { which: "go" });
    await browser.$('[data-testid="command-input"]').setValue(gated(gate, "plain"));
    await browser.$('[data-testid="submit-job"]').click();
    const plain = await browser.waitUntil(
      async () => {
        const rows = await listedJobs(browser);
        return rows.length === 4 ? rows[0] : false;
      },
      { timeout: 10_000, timeoutMsg: "the plain job to be listed" },
    );
    const ids = [first.id, withRetries.id, second.id, plain.id];
    await waitForListed(browser, ids, ["running", "running", "queued", "queued"]);

    const running = await waitFor(
      () => {
        const found = [first.id, withRetries.id].flatMap((id) => withEnvironment(`RUNBOOK_JOB_ID=${id}`));
        return found.length >= 2 ? found : null;
      },
      { message: "the running jobs' processes" },
    );
    const worker = await sidecar(browser, "worker");
    process.kill(worker.pid, "SIGKILL");

    await app.waitGone(running, { after: "the worker was SIGKILLed", timeout: 15_000 });
    await waitForSidecar(browser, "worker", (s) => s.state === "ready" && s.pid !== worker.pid, {
      timeout: 30_000,
    });
    // The waiting runs start on the new worker; the interrupted ones stay ended.
    await waitForListed(browser, ids, ["interrupted", "interrupted", "running", "running"], 30_000);
    // The interrupted run says why, and its output ends (the new worker ended its stream).
    const shown = await browser.waitUntil(
      async () => {
        const facts = await showJob(browser, first.id);
        return facts.ended ? facts : false;
      },
      { timeout: 10_000, timeoutMsg: "the interrupted run's output to end" },
    );
    assert.equal(shown.status, "interrupted");
    assert.match(shown.reason ?? "", /worker/);
    writeFileSync(gate, "");
    await waitForListed(browser, ids, ["interrupted", "interrupted", "succeeded", "succeeded"]);
    assert.equal((await showJob(browser, second.id)).status, "succeeded");

    // No retry of an interrupted run, no job left running or queued, nothing lost.
    const all = (await apiCall(browser, "GET", "/jobs?limit=50")).body.items;
    assert.deepEqual(all.map((job) => job.id).sort(), ids.slice().sort());
    assert.deepEqual(
      all.filter((job) => job.status === "running" || job.status === "queued"),
      [],
    );
    const output = await browser.waitUntil(
      async () => {
        const facts = await showJob(browser, plain.id);
        return facts.ended ? facts.output : false;
      },
      { timeout: 10_000, timeoutMsg: "the plain job's output" },
    );
    assert.equal(output, "plain\n");
  });
});
