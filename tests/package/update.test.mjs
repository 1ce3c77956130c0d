// Signed updates of the installed .deb, end to end. A throwaway key pair is
// made for the run; Runbook is packaged at 0.1.0 and 0.2.0 with its pubkey
// built in, and a loopback server offers 0.2.0. The installed 0.1.0, driven
// in the real webview, refuses every bad offer (garbage manifest, tampered
// package, another key's signature, a package signed for another version, a
// package whose own version is not the announced one, a truncated download,
// a server gone mid-download) with its job still running and nothing on disk
// changed; then installs the real one: the running job ends interrupted, dpkg
// installs (the test runs as root, so dpkg runs directly; a user goes
// through pkexec), the app relaunches, and every process — the shell, the api,
// the worker, Valkey — is a new one, running the new build.
import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import {
  copyFileSync,
  existsSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { waitFor } from "@convoy/testing";
import { descendants, isAlive, withEnvironment } from "../e2e/support/processes.mjs";
import {
  assertNothingRunning,
  dataDirUnder,
  describeProcess,
  installDeb,
  installedBinary,
  installedSidecar,
  installedVersion,
  launchInstalled,
  makeHome,
  removeHome,
  removePackage,
} from "./support/package.mjs";
import {
  generateKeyPair,
  manifest,
  removeKey,
  sign,
  signedFixtures,
  startUpdateServer,
} from "./support/update-server.mjs";

const sha256 = (path) => createHash("sha256").update(readFileSync(path)).digest("hex");
const figures = {};

/** What must not change while an update is refused: the installed files and the package's version. */
function diskState() {
  return { version: installedVersion(), shell: sha256(installedBinary), sidecar: sha256(installedSidecar) };
}

/** Every `key=value` of a line. */
function fields(line) {
  return Object.fromEntries(
    line
      .split(" ")
      .filter((part) => part.includes("="))
      .map((part) => [part.slice(0, part.indexOf("=")), part.slice(part.indexOf("=") + 1)]),
  );
}

/** The `build` reports of the sidecars, from their logs under `home`. */
function sidecarBuilds(home) {
  const logs = join(dataDirUnder(home), "logs");
  if (!existsSync(logs)) return [];
  return readdirSync(logs)
    .filter((name) => name.endsWith(".log"))
    .flatMap((name) => readFileSync(join(logs, name), "utf8").split("\n"))
    .filter((line) => /\bbuild process=/.test(line))
    .map(fields);
}

function shellBuilds(report) {
  if (!existsSync(report)) return [];
  return readFileSync(report, "utf8")
    .split("\n")
    .filter((line) => line.startsWith("convoy:build "))
    .map(fields);
}

async function queueJob(browser, command) {
  await browser.$('[data-testid="command-input"]').setValue(command);
  await browser.$('[data-testid="submit-job"]').click();
  return browser.waitUntil(
    () =>
      browser.execute(() => {
        const node = document.querySelector('[data-testid="job-detail"]');
        return node?.getAttribute("data-status") === "running" ? node.getAttribute("data-job-id") : false;
      }),
    { timeout: 30_000, timeoutMsg: "the job to run" },
  );
}

const jobStatus = (browser) =>
  browser.execute(
    () => document.querySelector('[data-testid="job-detail"]')?.getAttribute("data-status") ?? null,
  );

const bannerState = (browser) =>
  browser.execute(() => {
    const node = document.querySelector('[data-testid="update-banner"]');
    const error = document.querySelector('[data-testid="update-error"]');
    return {
      state: node?.getAttribute("data-state") ?? null,
      // Not `error`: WebDriver reads a returned object's `error` as its own.
      refusal: error?.getAttribute("data-error-type") ?? null,
      text: error?.textContent ?? "",
      version: document.querySelector('[data-testid="update-version"]')?.getAttribute("data-version") ?? null,
    };
  });

async function waitForBanner(browser, predicate, what) {
  let last;
  await browser
    .waitUntil(
      async () => {
        last = await bannerState(browser);
        return predicate(last);
      },
      { timeout: 60_000, interval: 100, timeoutMsg: `the update banner to show ${what}` },
    )
    .catch((error) => {
      throw new Error(`${error.message}; it shows ${JSON.stringify(last)}`);
    });
  return last;
}

async function click(browser, testId) {
  await browser.$(`[data-testid="${testId}"]`).waitForClickable({ timeout: 30_000 });
  await browser.$(`[data-testid="${testId}"]`).click();
}

/** The api's port and token, read from its environment (the test is root). */
function apiAccess(pid) {
  const env = Object.fromEntries(
    readFileSync(`/proc/${pid}/environ`, "utf8")
      .split("\0")
      .filter(Boolean)
      .map((entry) => [entry.slice(0, entry.indexOf("=")), entry.slice(entry.indexOf("=") + 1)]),
  );
  return { base: `http://127.0.0.1:${env.CONVOY_API_PORT}`, token: env.CONVOY_API_TOKEN };
}

describe("signed updates of the installed .deb", () => {
  let key;
  let otherKey;
  let work;
  let server;
  let n;
  let next;
  let home;
  let app;
  let relaunched = [];
  let reused = false;
  let packagesDir;

  // Two release builds: far longer than a test's own time limit.
  before(
    async () => {
      removePackage();
      ({ key, n, next, reused, dir: packagesDir } = signedFixtures());
      otherKey = generateKeyPair("other");
      work = mkdtempSync(join(tmpdir(), "runbook-update-"));
      if (!reused) Object.assign(figures, { buildN: n.seconds, buildNext: next.seconds });
      figures.downloadBytes = next.size;
      server = await startUpdateServer();
      installDeb(n.deb);
      home = makeHome();
    },
    { timeout: 3_600_000 },
  );

  after(async () => {
    for (const entry of relaunched) if (isAlive(entry)) process.kill(entry.pid, "SIGTERM");
    if (home) await assertNothingRunning({ home, timeout: 20_000, after: "the test" }).catch(() => {});
    await app?.close().catch(() => {});
    await server?.close();
    removePackage();
    if (home) removeHome(home);
    if (work) rmSync(work, { recursive: true, force: true });
    if (otherKey) removeKey(otherKey);
    // Kept for the next run only when CONVOY_UPDATE_FIXTURES asks for it.
    if (!process.env.CONVOY_UPDATE_FIXTURES) {
      if (key) removeKey(key);
      if (packagesDir) rmSync(packagesDir, { recursive: true, force: true });
    }
    console.log(`update figures: ${JSON.stringify(figures)}`);
  });

  it("refuses every bad offer, with the job still running and nothing changed; then updates every process", async () => {
    const report = join(home, "build-report");
    const endpointEnv = { RUNBOOK_UPDATE_ENDPOINT: server.url, CONVOY_BUILD_REPORT: report };
    const nextBytes = readFileSync(next.deb);
    const offer = (extra = {}) =>
      manifest({ version: "0.2.0", url: server.artifactUrl, signature: next.signature, ...extra });

    // The first check happens as the window opens: a garbage manifest.
    server.serve({ manifest: "<html>not a manifest</html>", artifact: null });
    app = await launchInstalled({ home, env: endpointEnv });
    const { browser } = app;
    await browser.$('[data-testid="jobs-empty"]').waitForExist({ timeout: 60_000 });
    const jobId = await queueJob(browser, 'i=0; while :; do i=$((i+1)); echo "tick $i"; sleep 0.2; done');
    // The app's long-lived processes (the job's own `sleep`s come and go).
    const lasting = ({ exe }) =>
      [installedBinary, installedSidecar].includes(exe) || /valkey|redis/.test(exe);
    const before = app.record().filter((entry) => lasting(describeProcess(entry)));
    const disk = diskState();
    assert.equal(disk.version, "0.1.0");
    const staging = join(home, ".cache/dev.convoy.runbook/updates");

    const assertUntouched = async (what) => {
      assert.deepEqual(diskState(), disk, `${what}: the installed files are unchanged`);
      assert.equal(await jobStatus(browser), "running", `${what}: the job keeps running`);
      for (const entry of before)
        assert.ok(isAlive(entry), `${what}: ${describeProcess(entry).exe} ${entry.pid} still runs`);
      const staged = existsSync(staging) ? readdirSync(staging) : [];
      assert.deepEqual(staged, [], `${what}: nothing is left staged`);
    };

    let shown = await waitForBanner(browser, (s) => s.refusal !== null, "a refused manifest");
    assert.equal(shown.refusal, "InvalidManifest", shown.text);
    await assertUntouched("a garbage manifest");

    /** Serves `offered`, checks, downloads; returns the refusal the banner shows. */
    const refusal = async (what, offered) => {
      server.serve(offered);
      await click(browser, "update-check");
      await waitForBanner(browser, (s) => s.state === "available", `${what} offered`);
      await click(browser, "update-download");
      const refused = await waitForBanner(browser, (s) => s.state === "failed", `${what} refused`);
      await assertUntouched(what);
      return refused;
    };

    // A version that is not newer is not offered at all.
    server.serve({ manifest: offer({ version: "0.1.0" }) });
    await click(browser, "update-check");
    await waitForBanner(browser, (s) => s.state === "current", "no update for 0.1.0");

    const tampered = Buffer.from(nextBytes);
    tampered[tampered.length - 100] ^= 0xff;
    shown = await refusal("a tampered package", { manifest: offer(), artifact: { bytes: tampered } });
    assert.equal(shown.refusal, "BadSignature", shown.text);

    const foreign = join(work, "foreign.deb");
    copyFileSync(next.deb, foreign);
    const foreignSignature = sign(foreign, otherKey, "0.2.0");
    shown = await refusal("another key's signature", {
      manifest: offer({ signature: foreignSignature }),
      artifact: { bytes: nextBytes },
    });
    assert.equal(shown.refusal, "BadSignature", shown.text);

    // Rollback: 0.1.0's own package and signature, announced as 0.2.0.
    shown = await refusal("a package signed for 0.1.0", {
      manifest: offer({ signature: n.signature }),
      artifact: { bytes: readFileSync(n.deb) },
    });
    assert.equal(shown.refusal, "VersionMismatch", shown.text);
    assert.match(shown.text, /0\.2\.0.*0\.1\.0/);

    // Rollback the signature alone cannot catch: 0.1.0's package, signed (by
    // the right key) for 0.2.0. Its own control file says 0.1.0.
    const relabelled = join(work, "relabelled.deb");
    copyFileSync(n.deb, relabelled);
    shown = await refusal("a 0.1.0 package signed as 0.2.0", {
      manifest: offer({ signature: sign(relabelled, key, "0.2.0") }),
      artifact: { bytes: readFileSync(relabelled) },
    });
    assert.equal(shown.refusal, "VersionMismatch", shown.text);

    shown = await refusal("a truncated download", {
      manifest: offer(),
      artifact: { bytes: nextBytes, mode: "truncated" },
    });
    assert.equal(shown.refusal, "BadSignature", shown.text);

    shown = await refusal("a server gone mid-download", {
      manifest: offer(),
      artifact: { bytes: nextBytes, mode: "disappear" },
    });
    assert.equal(shown.refusal, "Network", shown.text);
    await server.reopen();

    // The real one.
    server.serve({
      manifest: offer({ notes: "Runbook 0.2.0: the update test's release" }),
      artifact: { bytes: nextBytes },
    });
    await click(browser, "update-check");
    shown = await waitForBanner(browser, (s) => s.state === "available", "0.2.0 offered");
    assert.equal(shown.version, "0.2.0");
    const notes = await browser.$('[data-testid="update-notes"]').getText();
    assert.equal(notes, "Runbook 0.2.0: the update test's release");
    await click(browser, "update-download");
    await waitForBanner(browser, (s) => s.state === "ready", "0.2.0 downloaded");
    assert.equal(await jobStatus(browser), "running", "downloading stopped nothing");
    await click(browser, "update-install");
    await waitForBanner(browser, (s) => s.state === "askJobs", "the question about the running job");
    const oldProcesses = app.record();
    const oldShell = app.shell;
    const installClicked = Date.now();
    await click(browser, "update-jobs-stop");

    // The old shell goes; a new one, of the new build, comes in its place.
    const newShell = await waitFor(
      () =>
        withEnvironment(app.marker).find(
          ({ pid }) => pid !== oldShell.pid && describeProcess({ pid }).exe === installedBinary,
        ),
      { timeout: 120_000, interval: 200, message: "the relaunched shell" },
    );
    relaunched.push(newShell);
    assert.equal(installedVersion(), "0.2.0", "dpkg installed 0.2.0");
    const wanted = { shell: sha256(installedBinary), sidecar: sha256(installedSidecar) };
    assert.notEqual(wanted.shell, disk.shell, "0.2.0's shell is another build");
    // The sidecar carries the app's version (compiled in), so it is another file too.
    assert.notEqual(wanted.sidecar, disk.sidecar, "0.2.0's sidecar is another build");

    const builds = await waitFor(
      () => {
        const shell = shellBuilds(report).find((b) => b.version === "0.2.0");
        const sidecars = sidecarBuilds(home).filter(
          (b) => describeProcess({ pid: Number(b.pid) }).exe === installedSidecar,
        );
        const live = (role) => sidecars.filter((b) => b.process === role).at(-1);
        return shell && live("api") && live("worker")
          ? { shell, api: live("api"), worker: live("worker") }
          : null;
      },
      {
        timeout: 90_000,
        interval: 200,
        message: "the new build reports of the shell, the api and the worker",
      },
    );
    figures.installToNewVersionMs = Date.now() - installClicked;
    assert.equal(builds.shell.build, wanted.shell, "the shell runs the new build");
    for (const role of ["api", "worker"]) {
      const reported = builds[role];
      assert.equal(reported.build, wanted.sidecar, `the ${role} runs the installed sidecar`);
      assert.equal(reported.version, "0.2.0", `the ${role} reports the new version`);
      assert.equal(
        describeProcess({ pid: Number(reported.pid) }).exe,
        installedSidecar,
        `${role} is not a deleted file`,
      );
      assert.ok(!oldProcesses.some((p) => p.pid === Number(reported.pid)), `${role} is a new process`);
    }

    // No process of the old build survived, Valkey included.
    for (const entry of oldProcesses) assert.ok(!isAlive(entry), `${entry.pid} of 0.1.0 is gone`);
    const tree = [newShell, ...descendants(newShell.pid)];
    relaunched = tree;
    for (const { pid, exe } of tree.map(describeProcess)) {
      assert.ok(!exe.endsWith("(deleted)"), `${pid} runs a replaced file: ${exe}`);
    }

    // The job the update stopped ended interrupted, and is still there.
    const api = apiAccess(Number(builds.api.pid));
    const job = await waitFor(
      async () => {
        const response = await fetch(`${api.base}/jobs/${jobId}`, {
          headers: { Authorization: `Bearer ${api.token}` },
        });
        const body = response.ok ? await response.json() : null;
        return body && body.status !== "running" ? body : null;
      },
      { timeout: 30_000, interval: 200, message: "the stopped job to end" },
    );
    assert.equal(job.status, "interrupted", JSON.stringify(job));
    assert.equal((await (await fetch(`${api.base}/health`)).json()).status, "ok");

    // Quitting the new build leaves nothing running. Its driver goes first:
    // the session ended with the old shell.
    await app.close();
    app = null;
    process.kill(newShell.pid, "SIGTERM");
    await assertNothingRunning({ entries: tree, home, timeout: 20_000, after: "quitting the updated app" });
    relaunched = [];
    writeFileSync(join(work, "figures.json"), JSON.stringify(figures));
  });
});
