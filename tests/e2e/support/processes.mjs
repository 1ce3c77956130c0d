// Reads the process table from /proc: the tests record the app's whole process
// tree while it runs and check that none of it survives the app.
import { readdirSync, readFileSync } from "node:fs";

function stat(pid) {
  try {
    const raw = readFileSync(`/proc/${pid}/stat`, "utf8");
    // The command name is in parentheses and may contain spaces.
    const fields = raw.slice(raw.lastIndexOf(")") + 2).split(" ");
    return { pid, state: fields[0], ppid: Number(fields[1]), start: fields[19] };
  } catch {
    return null;
  }
}

export function processTable() {
  return readdirSync("/proc")
    .filter((name) => /^\d+$/.test(name))
    .map((name) => stat(Number(name)))
    .filter((entry) => entry !== null);
}

/** Every process below `root` (not `root` itself), with its start time so pid reuse is not mistaken for survival. */
export function descendants(root) {
  const table = processTable();
  const found = [];
  const queue = [root];
  while (queue.length > 0) {
    const parent = queue.shift();
    for (const entry of table) {
      if (entry.ppid === parent) {
        found.push(entry);
        queue.push(entry.pid);
      }
    }
  }
  return found;
}

export function commandLine(pid) {
  try {
    return readFileSync(`/proc/${pid}/cmdline`, "utf8").split("\0").filter(Boolean).join(" ");
  } catch {
    return "";
  }
}

/** Processes whose environment carries `marker` (an exact `KEY=value`). */
export function withEnvironment(marker) {
  return processTable().filter(({ pid }) => {
    try {
      return readFileSync(`/proc/${pid}/environ`, "utf8").split("\0").includes(marker);
    } catch {
      return false;
    }
  });
}

export function isAlive(entry) {
  const now = stat(entry.pid);
  return now !== null && now.start === entry.start && now.state !== "Z";
}
