// The supervisor as the tests see it: its typed commands through the real
// webview, and Valkey reached the way the app's sidecars reach it.
import { readdirSync, readFileSync, readlinkSync } from "node:fs";
import { createConnection } from "node:net";
import { dirname, join } from "node:path";
import { waitFor } from "@convoy/testing";
import { invoke, launchApp } from "./app.mjs";

/** Every sidecar's status, from the plugin's `list` command. */
export async function sidecars(browser) {
  const result = await invoke(browser, "plugin:convoy-supervisor|list");
  if (!result.ok) throw new Error(`list failed: ${JSON.stringify(result.error)}`);
  return result.value;
}

export async function sidecar(browser, name) {
  return (await sidecars(browser)).find((s) => s.name === name);
}

/** Waits until `name`'s status satisfies `predicate`; returns that status. */
export function waitForSidecar(browser, name, predicate, { timeout = 15_000, message } = {}) {
  let last;
  return waitFor(
    async () => {
      last = await sidecar(browser, name);
      return last && predicate(last) ? last : null;
    },
    { timeout, interval: 50, message: message ?? `${name} to change` },
  ).catch((error) => {
    throw new Error(`${error.message}; last status: ${JSON.stringify(last)}`);
  });
}

/**
 * Valkey's socket and password, read from the config file the shell wrote for
 * it beside the socket. (Valkey rewrites its own command line, so the socket
 * is found from its open file descriptors.)
 */
export function valkeyAccess(valkeyPid) {
  const inodes = socketInodes(valkeyPid);
  const socket = readFileSync("/proc/net/unix", "utf8")
    .split("\n")
    .map((line) => line.trim().split(/\s+/))
    .find((fields) => inodes.has(fields[6]) && fields[7]?.endsWith("valkey.sock"))?.[7];
  if (!socket) throw new Error(`no valkey.sock among the sockets of ${valkeyPid}`);
  const config = readFileSync(join(dirname(socket), "valkey.conf"), "utf8");
  const password = config.match(/^requirepass (.+)$/m)?.[1];
  return { socket, password };
}

/** Inodes of the sockets `pid` has open (from its file descriptors). */
export function socketInodes(pid) {
  return new Set(
    readdirSync(`/proc/${pid}/fd`)
      .map((fd) => {
        try {
          return readlinkSync(`/proc/${pid}/fd/${fd}`).match(/^socket:\[(\d+)\]$/)?.[1];
        } catch {
          return undefined;
        }
      })
      .filter(Boolean),
  );
}

function encode(parts) {
  return `*${parts.length}\r\n${parts.map((p) => `$${Buffer.byteLength(p)}\r\n${p}\r\n`).join("")}`;
}

/** Sends commands over a Redis-protocol socket; resolves to the raw replies, one string per command. */
export function redis(socket, commands) {
  return new Promise((resolve, reject) => {
    const connection = createConnection(socket);
    let data = "";
    connection.setEncoding("utf8");
    connection.on("data", (chunk) => {
      data += chunk;
      const replies = data.split("\r\n").filter(Boolean);
      if (replies.length >= commands.length) {
        connection.end();
        resolve(replies);
      }
    });
    connection.on("error", reject);
    connection.write(commands.map(encode).join(""));
  });
}

/**
 * Runbook launched with an empty job list and its worker ready: where the job
 * tests start. `env` is added to the app's environment (its sidecars inherit it).
 */
export async function launchReadyToRunJobs({ env } = {}) {
  const app = await launchApp({ env });
  try {
    await app.browser.$('[data-testid="jobs-empty"]').waitForExist({ timeout: 30_000 });
    await waitForSidecar(app.browser, "worker", (s) => s.state === "ready");
  } catch (error) {
    await app.close();
    throw error;
  }
  return app;
}
