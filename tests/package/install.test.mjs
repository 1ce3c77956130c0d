// The .deb on this machine, as a user gets it: `apt-get install ./runbook.deb`
// (Valkey coming in as a dependency), the installed /usr/bin/runbook launched
// with a home of its own under Xvfb and driven in the real webview, a job run
// from the main window, quit with nothing left running; then `apt-get remove`
// leaves no file of the package and no process, and the user's data survives
// remove and reinstall. Runs as root (apt-get needs it); the app itself does
// not care who runs it.
import assert from "node:assert/strict";
import { existsSync, readdirSync, readFileSync, realpathSync } from "node:fs";
import { after, before, describe, it } from "node:test";
import {
  assertNothingRunning,
  buildPackage,
  dataDirUnder,
  debField,
  debFiles,
  describeProcess,
  installDeb,
  installedBinary,
  installedSidecar,
  installedVersion,
  launchInstalled,
  leftoverFiles,
  makeHome,
  packageName,
  removeHome,
  removePackage,
  root,
} from "./support/package.mjs";

/** Queues `command` from the main window; resolves to the new job's id once the window shows it. */
async function queue(browser, command) {
  await browser.$('[data-testid="command-input"]').setValue(command);
  await browser.$('[data-testid="submit-job"]').click();
  return browser.waitUntil(
    () =>
      browser.execute(() => {
        const shown =
          document.querySelector('[data-testid="job-detail"]')?.getAttribute("data-job-id") ?? null;
        const newest = document.querySelector('[data-testid="job"]')?.getAttribute("data-job-id") ?? null;
        return shown !== null && shown === newest ? shown : false;
      }),
    { timeout: 15_000, timeoutMsg: "the new job to be shown" },
  );
}

function detail(browser) {
  return browser.execute(() => {
    const node = document.querySelector('[data-testid="job-detail"]');
    return {
      id: node?.getAttribute("data-job-id") ?? null,
      status: node?.getAttribute("data-status") ?? null,
      output: document.querySelector('[data-testid="job-output"]')?.textContent ?? "",
    };
  });
}

async function waitForOutput(browser, text, timeout = 20_000) {
  await browser.waitUntil(
    async () => {
      const shown = await detail(browser);
      return shown.status === "succeeded" && shown.output.includes(text);
    },
    { timeout, timeoutMsg: `the job to succeed showing "${text}"` },
  );
}

/** The running sidecars of the app's tree, by the program each runs. */
function programsOf(entries) {
  return entries.map(describeProcess).filter(({ exe }) => exe !== "");
}

describe("the installed .deb", () => {
  let deb;
  let home;
  const marker = `installed-${process.pid}-${Date.now()}`;

  before(() => {
    ({ deb } = buildPackage());
    removePackage(); // a run that died half-way may have left it installed
    home = makeHome();
  });
  after(async () => {
    removePackage();
    await assertNothingRunning({ home, after: "the tests" }).catch((error) => console.error(error.message));
    if (home) removeHome(home);
  });

  it("declares Valkey as a dependency and installs with apt-get", () => {
    assert.equal(debField(deb, "Package"), packageName);
    assert.match(debField(deb, "Depends"), /(^|, )valkey-server \| redis-server(,|$)/);
    // No Homepage: the project has no public home yet, and an app built on Convoy sets its own.
    for (const field of ["Version", "Description", "Section", "Maintainer"]) {
      assert.notEqual(debField(deb, field), "", `the .deb has a ${field}`);
    }
    const files = debFiles(deb);
    for (const path of [installedBinary, installedSidecar])
      assert.ok(files.includes(path), `the .deb ships ${path}`);
    const desktop = files.find(
      (path) => path.startsWith("/usr/share/applications/") && path.endsWith(".desktop"),
    );
    assert.ok(desktop, "the .deb ships a desktop entry");
    assert.ok(
      files.some((path) => /^\/usr\/share\/icons\/hicolor\/\d+x\d+\/apps\/runbook\.png$/.test(path)),
      "the .deb ships icons",
    );

    assert.equal(installDeb(deb), packageName);
    assert.equal(installedVersion(), debField(deb, "Version"));
    assert.deepEqual(leftoverFiles(deb), files, "every file of the package is installed");
    const entry = readFileSync(desktop, "utf8");
    assert.match(entry, /^Exec=runbook/m);
    assert.match(entry, /^Categories=.*Development/m);
  });

  it("runs from its installed path: sidecars from /usr/bin, data under the user's home", async () => {
    const app = await launchInstalled({ home });
    let tree;
    try {
      const { browser } = app;
      await browser.$('[data-testid="jobs-empty"]').waitForExist({ timeout: 60_000 });
      const id = await queue(browser, `echo ${marker}; echo "::progress::100"`);
      assert.ok(id);
      await waitForOutput(browser, marker);
      tree = app.record();

      const programs = programsOf(tree);
      const exes = new Set(programs.map(({ exe }) => exe));
      assert.ok(exes.has(installedBinary), `the shell is ${installedBinary}`);
      assert.ok(exes.has(installedSidecar), `the sidecars run ${installedSidecar}`);
      const sidecars = programs.filter(({ exe }) => exe === installedSidecar).map((p) => p.commandLine);
      for (const role of ["api", "worker"]) {
        assert.ok(
          sidecars.some((line) => line.endsWith(` ${role}`)),
          `${role} runs the installed sidecar: ${sidecars}`,
        );
      }
      // Debian's redis-server is a link to redis-check-rdb: compare what the links resolve to.
      const valkeys = ["/usr/bin/valkey-server", "/usr/bin/redis-server"]
        .filter(existsSync)
        .map((p) => realpathSync(p));
      assert.ok(
        [...exes].some((exe) => valkeys.includes(exe)),
        `Valkey runs from the dependency's package (${valkeys}): ${[...exes]}`,
      );
      for (const { exe, commandLine } of programs) {
        assert.ok(
          !exe.startsWith(root) && !commandLine.includes(root),
          `nothing runs from the checkout: ${exe} ${commandLine}`,
        );
      }
      const dataDir = dataDirUnder(home);
      assert.ok(existsSync(dataDir), `the data dir is under the home: ${dataDir}`);
      assert.ok(
        readdirSync(dataDir).some((name) => /\.(db|sqlite3?)$/.test(name)),
        "the database is in the data dir",
      );
    } finally {
      await app.close();
    }
    await assertNothingRunning({ entries: tree ?? app.record(), home, after: "quit" });
  });

  it("removes every file and process, and leaves the user's data", async () => {
    const files = debFiles(deb);
    removePackage();
    assert.equal(installedVersion(), null);
    assert.deepEqual(leftoverFiles(deb), [], "no file of the package is left");
    assert.ok(files.length > 0);
    await assertNothingRunning({ home, after: "remove" });
    assert.ok(existsSync(dataDirUnder(home)), "the user's data survives remove");
  });

  it("finds the user's jobs again after a reinstall", async () => {
    installDeb(deb);
    const app = await launchInstalled({ home });
    try {
      const { browser } = app;
      const job = await browser.$('[data-testid="job"]');
      await job.waitForExist({ timeout: 60_000 });
      await job.$("button").click();
      await waitForOutput(browser, marker);
    } finally {
      await app.close();
    }
    await assertNothingRunning({ entries: app.record(), home, after: "quit" });
    removePackage();
    assert.deepEqual(leftoverFiles(deb), []);
    await assertNothingRunning({ home, after: "the last remove" });
  });
});
