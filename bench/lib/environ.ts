/**
 * Finding processes by their environment (/proc/<pid>/environ): a benchmark
 * that launches an app gives it a unique `KEY=value` (its data dir, its home)
 * and finds every process of that launch by it, however deep in the tree and
 * whoever started it (tauri-driver, WebKitWebDriver, the shell itself).
 */
import { readFileSync } from "node:fs";
import { pids } from "./proc.ts";

/** The pids whose environment holds `marker` (an exact `KEY=value`); processes not ours to read are skipped. */
export function withEnvironment(marker: string): number[] {
  return pids().filter((pid) => {
    try {
      return readFileSync(`/proc/${pid}/environ`, "latin1").split("\0").includes(marker);
    } catch {
      return false;
    }
  });
}
