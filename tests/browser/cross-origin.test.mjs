// A page served from another loopback port, opened in real Chromium, attacks
// the real api: simple and preflighted fetches, a no-cors POST and a form POST.
// It must read nothing and change nothing. A control run, against a second api
// told to trust that page's origin, shows the same page does read and write
// when allowed, so the refusals are the guard's doing and not the harness's.
import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { existsSync } from "node:fs";
import { after, before, test } from "node:test";
import { chromium } from "playwright-core";
import { startApi } from "./support/api.mjs";
import { startAttackerServer } from "./support/attacker-page.mjs";
import { recordWire } from "./support/wire-log.mjs";

// Debian's Chromium (scripts/setup.sh installs it); no browser is downloaded.
const CHROMIUM = "/usr/bin/chromium";

let attacker;
let browser;
const apis = [];

before(async () => {
  assert.ok(existsSync(CHROMIUM), `${CHROMIUM} is missing: run scripts/setup.sh (Debian package chromium)`);
  attacker = await startAttackerServer();
  // Running as root needs --no-sandbox; nothing else is changed from the defaults.
  browser = await chromium.launch({ executablePath: CHROMIUM, args: ["--no-sandbox"] });
});

after(async () => {
  await browser?.close();
  await Promise.all(apis.map((api) => api.stop()));
  await attacker?.close();
});

async function startTrackedApi(extraEnv) {
  const api = await startApi(extraEnv);
  apis.push(api);
  return api;
}

/** Seeds a job with the real token, so there is something to steal. */
async function seedJob(api) {
  const created = await api.call("/jobs", {
    method: "POST",
    headers: { "Content-Type": "application/json" },
    body: JSON.stringify({ command: "echo secret-payload", name: "seeded" }),
  });
  assert.equal(created.status, 201);
  return created.body;
}

/**
 * Opens the page for `config` in a fresh context; resolves with its report and
 * the wire log once `expectedSent` requests reached the api (or 5 s passed:
 * DevTools events can arrive after the page's report).
 */
async function runPage(config, api, expectedSent) {
  const context = await browser.newContext();
  try {
    const page = await context.newPage();
    const wire = await recordWire(page, `127.0.0.1:${api.port}`);
    const report = attacker.serve(config);
    await page.goto(`${attacker.origin}/${config.label}`);
    const results = await withTimeout(report, 20_000, "the page's report");
    await waitUntil(
      () => wire.sent().length >= expectedSent && wire.attempted().every((request) => isSettled(request)),
      5_000,
    );
    const requests = { sent: wire.sent(), attempted: wire.attempted() };
    await wire.detach();
    return { results: Object.fromEntries(results.map((result) => [result.name, result])), ...requests };
  } finally {
    await context.close();
  }
}

const isSettled = (request) => request.status !== undefined || request.failure !== undefined;

test("a page on another loopback port can neither read from nor change the api", async () => {
  const api = await startTrackedApi();
  const seeded = await seedJob(api);
  const jobsBefore = await api.listJobs();
  assert.deepEqual(
    jobsBefore.map((job) => job.id),
    [seeded.id],
  );

  const guessedToken = randomBytes(32).toString("hex");
  const { results, sent, attempted } = await runPage(
    { label: "attack", api: api.base, token: guessedToken },
    api,
    7,
  );

  // The page ran every attempt and learnt nothing: each CORS fetch rejected,
  // the no-cors answer is opaque, the form's frame is unreadable.
  for (const name of [
    "simple GET, no token",
    "simple GET, token in the query",
    "GET with the token (preflighted)",
    "simple POST, text/plain",
    "preflighted POST, JSON and the token",
  ]) {
    assert.equal(results[name]?.outcome, "rejected", `${name}: ${JSON.stringify(results[name])}`);
    assert.match(results[name].error, /^TypeError: /);
  }
  assert.deepEqual(results["no-cors POST"], {
    name: "no-cors POST",
    outcome: "response",
    type: "opaque",
    status: 0,
    body: "",
  });
  assert.equal(results["form POST"]?.outcome, "loaded", JSON.stringify(results["form POST"]));
  assert.ok(
    results["form POST"].body === null || results["form POST"].body.startsWith("unreadable"),
    `the page read its frame: ${results["form POST"].body}`,
  );
  const loot = JSON.stringify(results);
  assert.ok(!loot.includes(seeded.id) && !loot.includes("secret-payload"), `the page read a job: ${loot}`);

  // Chromium did send them, each carrying the page's Origin, and the api
  // refused each with a problem and no CORS grant.
  assert.deepEqual(sent.map((request) => request.method).sort(), [
    "GET", // no token
    "GET", // token in the query
    "OPTIONS", // the preflight of the GET with a token
    "OPTIONS", // the preflight of the JSON POST
    "POST", // text/plain fetch
    "POST", // no-cors fetch
    "POST", // form
  ]);
  for (const request of sent) {
    const where = `${request.method} ${request.url}`;
    assert.equal(request.requestHeaders.origin, attacker.origin, where);
    assert.equal(request.status, 403, where);
    assert.equal(request.responseHeaders["content-type"], "application/problem+json", where);
    for (const name of Object.keys(request.responseHeaders)) {
      assert.ok(!name.startsWith("access-control-"), `${where} answered ${name}`);
    }
    // The preflights failed, so nothing with the token or a JSON body left the browser.
    assert.equal(request.requestHeaders.authorization, undefined, where);
    assert.doesNotMatch(request.requestHeaders["content-type"] ?? "", /json/, where);
  }
  const blocked = attempted.filter((request) => request.corsError === "PreflightMissingAllowOriginHeader");
  assert.deepEqual(blocked.map((request) => request.method).sort(), ["GET", "POST"]);

  // And the api is as it was: read back with the real token.
  assert.deepEqual(await api.listJobs(), jobsBefore);
  assert.match(api.output.stdout, /^convoy:ready port=\d+\n$/);
  assert.doesNotMatch(api.output.stderr, /unhandled error/);
  assert.ok(!api.output.stderr.includes(api.token));
});

test("control: the same page, from an origin the api trusts, does read and write", async () => {
  const api = await startTrackedApi({ CONVOY_APP_ORIGINS: attacker.origin });
  const seeded = await seedJob(api);

  const { results, sent } = await runPage({ label: "control", api: api.base, token: api.token }, api, 8);

  const read = results["GET with the token (preflighted)"];
  assert.equal(read?.status, 200, JSON.stringify(read));
  assert.ok(read.body.includes(seeded.id), read.body);
  const write = results["preflighted POST, JSON and the token"];
  assert.equal(write?.status, 201, JSON.stringify(write));
  // Without the token even a trusted origin gets (readable) 401s.
  assert.equal(results["simple GET, no token"]?.status, 401);
  assert.ok(sent.some((request) => request.method === "OPTIONS" && request.status === 204));

  const names = (await api.listJobs()).map((job) => job.name).sort();
  assert.deepEqual(names, ["control", "seeded"]);
});

function withTimeout(promise, ms, what) {
  let timer;
  return Promise.race([
    promise.finally(() => clearTimeout(timer)),
    new Promise((_, reject) => {
      timer = setTimeout(() => reject(new Error(`timed out after ${ms} ms waiting for ${what}`)), ms);
    }),
  ]);
}

async function waitUntil(condition, ms) {
  const deadline = Date.now() + ms;
  while (!condition() && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 20));
}
