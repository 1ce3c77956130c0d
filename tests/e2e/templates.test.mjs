// Templates in the real app: one made through the Templates view with a
// parameter of each type runs from its generated form as a real job, its
// values reaching the command as words and its secret never shown; a re-run
// asks for the secret again, since it was never kept.
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { launchReadyToRunJobs } from "./support/sidecars.mjs";

const SECRET = "s3cret-value";
// Prints each value a line, and whether the secret arrived (never the secret itself).
const COMMAND = `printf '%s\\n' {{text}} {{count}} {{flag}} {{color}} {{where}}; [ {{token}} = ${SECRET} ] && echo secret-ok`;
const EXPECTED = "hello\n4\ntrue\ngreen\n/tmp\nsecret-ok\n";

/** The shown job and its state, read inside the page in one step (the list re-renders as jobs change). */
function shownJob(browser) {
  return browser.execute(() => {
    const detail = document.querySelector('[data-testid="job-detail"]');
    return {
      id: detail?.getAttribute("data-job-id") ?? null,
      status: detail?.getAttribute("data-status") ?? null,
      output: document.querySelector('[data-testid="job-output"]')?.textContent ?? "",
      // The status comes with jobs:changed, the output by its own stream: the end of both.
      ended: document.querySelector('[data-testid="job-output"]')?.getAttribute("data-ended") === "true",
      visible: detail ? detail.closest("[hidden]") === null : false,
    };
  });
}

/** Waits for a job other than `before` to be shown and to succeed; its id and output. */
async function waitForNewJobToSucceed(browser, before) {
  let last = null;
  return browser
    .waitUntil(
      async () => {
        last = await shownJob(browser);
        return last.id !== null &&
          last.id !== before &&
          last.visible &&
          last.status === "succeeded" &&
          last.ended
          ? last
          : false;
      },
      { timeout: 20_000, timeoutMsg: "the new job to be shown and succeed" },
    )
    .catch(async (error) => {
      const page = await browser.execute(() => document.querySelector("main, .app")?.textContent ?? "");
      throw new Error(`${error.message}; last shown ${JSON.stringify(last)}; the page: ${page}`);
    });
}

async function addParameter(browser, index, name, type, fields = {}) {
  await browser.$('[data-testid="add-parameter"]').click();
  await browser.$(`[data-testid="parameter-${index}-name"]`).setValue(name);
  await browser.$(`[data-testid="parameter-${index}-type"]`).selectByAttribute("value", type);
  for (const [field, value] of Object.entries(fields)) {
    const element = browser.$(`[data-testid="parameter-${index}-${field}"]`);
    if ((await element.getTagName()).toLowerCase() === "select")
      await element.selectByAttribute("value", value);
    else await element.setValue(value);
  }
}

describe("Runbook runs templates", () => {
  let app;
  before(async () => {
    app = await launchReadyToRunJobs();
  });
  after(async () => {
    await app?.close();
  });

  it("a template made in the UI runs from its form, and re-runs asking for its secret", async () => {
    const { browser } = app;
    await browser.$('[data-testid="view-templates"]').click();
    // Loaded on first use (its own chunk); the app may ship templates of its own.
    await browser
      .waitUntil(
        () =>
          browser.execute(
            () =>
              document.querySelector('[data-testid="templates-list"], [data-testid="templates-empty"]') !==
              null,
          ),
        { timeout: 10_000, timeoutMsg: "the templates to be listed" },
      )
      .catch(async (error) => {
        throw new Error(`${error.message}: ${await browser.execute(() => document.body.textContent)}`);
      });
    await browser.$('[data-testid="new-template"]').click();
    await browser.$('[data-testid="template-name"]').setValue("Every type");
    await browser.$('[data-testid="template-command"]').setValue(COMMAND);
    await addParameter(browser, 0, "text", "string", { pattern: "[a-z]+" });
    await addParameter(browser, 1, "count", "number", { min: "1", max: "10" });
    await addParameter(browser, 2, "flag", "boolean");
    await addParameter(browser, 3, "color", "choice", { options: "red\uE007green" });
    await addParameter(browser, 4, "where", "path", { kind: "directory" });
    await addParameter(browser, 5, "token", "secret");
    await browser.$('[data-testid="save-template"]').click();

    // Saved: listed at version 1, its run form generated from the parameters.
    await browser.$('[data-testid="run-form"]').waitForExist({ timeout: 10_000 });
    const listed = await browser.execute(() =>
      [...document.querySelectorAll('[data-testid="template"]')].map((row) => ({
        name: row.querySelector(".template-name")?.textContent,
        version: row.getAttribute("data-version"),
      })),
    );
    assert.deepEqual(
      listed.filter((row) => row.name === "Every type"),
      [{ name: "Every type", version: "1" }],
    );
    const inputs = await browser.execute(() =>
      [...document.querySelectorAll('[data-testid="run-form"] [data-testid^="param-"]')].map((input) => [
        input.getAttribute("data-testid"),
        input.tagName === "SELECT" ? "select" : input.getAttribute("type"),
      ]),
    );
    const colors = await browser.execute(() =>
      [...document.querySelectorAll('[data-testid="param-color"] option')].map((option) => option.value),
    );
    assert.deepEqual(colors, ["", "red", "green"]);
    assert.deepEqual(inputs, [
      ["param-text", "text"],
      ["param-count", "number"],
      ["param-flag", "checkbox"],
      ["param-color", "select"],
      ["param-where", "text"],
      ["param-token", "password"],
    ]);

    // Checked here first: a value off its pattern, a number past its max.
    await browser.$('[data-testid="param-text"]').setValue("HELLO");
    await browser.$('[data-testid="param-count"]').setValue("11");
    await browser.$('[data-testid="run-template"]').click();
    const messages = await browser.execute(() =>
      Object.fromEntries(
        [...document.querySelectorAll('[data-testid="field-error"]')].map((e) => [
          e.getAttribute("data-path"),
          e.textContent,
        ]),
      ),
    );
    assert.deepEqual(messages, {
      "parameters.text": "must match the pattern [a-z]+",
      "parameters.count": "must be at most 10",
      "parameters.color": "is required",
      "parameters.where": "is required",
      "parameters.token": "is required",
    });

    await browser.$('[data-testid="param-text"]').setValue("hello");
    await browser.$('[data-testid="param-count"]').setValue("4");
    await browser.$('[data-testid="param-flag"]').click();
    await browser.$('[data-testid="param-color"]').selectByAttribute("value", "green");
    await browser.$('[data-testid="param-where"]').setValue("/tmp");
    await browser.$('[data-testid="param-token"]').setValue(SECRET);
    // Enter submits, as a person would. (With the field messages shown, Run sits half below the
    // window's bottom edge, and WebKitWebDriver's click there does not reach it.)
    await browser.keys("Enter");

    // The window shows Jobs, following the new job.
    const first = await waitForNewJobToSucceed(browser, null);
    assert.equal(first.output, EXPECTED);
    assert.ok(!first.output.includes(SECRET));

    // Re-run: the secret was never kept, so it is asked for again.
    await browser.$('[data-testid="rerun-job"]').click();
    const secretInput = browser.$('[data-testid="rerun-secret-token"]');
    await secretInput.waitForExist({ timeout: 10_000 });
    assert.equal(await secretInput.getAttribute("type"), "password");
    await secretInput.setValue(SECRET);
    await browser.$('[data-testid="rerun-with-secrets"]').click();
    const second = await waitForNewJobToSucceed(browser, first.id);
    assert.equal(second.output, EXPECTED);
  });
});
