// One WebDriver session on a Tauri app: tauri-driver on two free ports (it
// starts WebKitWebDriver, which starts the app), and WebdriverIO talking to it.
import { spawn } from "node:child_process";
import { existsSync } from "node:fs";
import { join } from "node:path";
import { remote } from "webdriverio";
import { freePort } from "./port.mjs";
import { waitFor } from "./wait.mjs";

/**
 * tauri-driver from the caller's PATH (it lives in the Cargo home), so the
 * driver's own environment, which the app inherits, may carry another PATH.
 */
function tauriDriver() {
  for (const dir of (process.env.PATH ?? "").split(":")) {
    const candidate = join(dir, "tauri-driver");
    if (dir !== "" && existsSync(candidate)) return candidate;
  }
  throw new Error("tauri-driver is not on PATH (scripts/setup.sh installs it)");
}

/**
 * Starts tauri-driver and opens a WebdriverIO session on `binary`. The driver
 * runs with `baseEnv` (the caller's environment) plus `env`, from `cwd`;
 * tauri-driver and WebKitWebDriver pass that environment on to the app.
 */
export async function openDriverSession({
  binary,
  env = {},
  baseEnv = process.env,
  cwd,
  capabilities = {},
  logLevel = "silent",
}) {
  const port = await freePort();
  const nativePort = await freePort();
  const driverLog = [];
  const driver = spawn(tauriDriver(), ["--port", String(port), "--native-port", String(nativePort)], {
    cwd,
    env: { ...baseEnv, ...env },
    stdio: ["ignore", "pipe", "pipe"],
  });
  for (const stream of [driver.stdout, driver.stderr]) {
    stream.on("data", (chunk) => driverLog.push(chunk.toString()));
  }
  const exited = new Promise((resolve) => driver.once("exit", resolve));

  let stopping;
  const stopDriver = () => {
    stopping ??= (async () => {
      driver.stdout.destroy();
      driver.stderr.destroy();
      if (driver.exitCode === null && driver.signalCode === null) driver.kill("SIGTERM");
      await exited;
    })();
    return stopping;
  };

  let browser;
  try {
    await waitFor(
      () =>
        driver.exitCode === null
          ? fetch(`http://127.0.0.1:${port}/status`).then(
              () => true,
              () => false,
            )
          : Promise.reject(new Error(`tauri-driver exited (${driver.exitCode})`)),
      { timeout: 15_000, message: "tauri-driver to listen" },
    );
    browser = await remote({
      hostname: "127.0.0.1",
      port,
      logLevel,
      connectionRetryCount: 0,
      capabilities: {
        "wdio:enforceWebDriverClassic": true,
        ...capabilities,
        "tauri:options": { application: binary, ...capabilities["tauri:options"] },
      },
    });
  } catch (error) {
    await stopDriver();
    const said = driverLog.join("").trim();
    throw new Error(`${error.message}${said ? `\ntauri-driver said:\n${said}` : ""}`, { cause: error });
  }

  let ending;
  const endSession = () => {
    ending ??= browser.deleteSession().catch(() => {});
    return ending;
  };
  return {
    browser,
    port,
    driver,
    driverLog,
    endSession,
    stopDriver,
    async close() {
      await endSession();
      await stopDriver();
    },
  };
}
