/**
 * The load averages a record carries, saved where `machineInfo` reads them
 * (`<work>/loadavg-before`, `<work>/loadavg-after`). A benchmark's script
 * saves the "before" one; a benchmark that measures and writes its record in
 * one process saves the "after" one itself, right before the record.
 */
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { loadavg } from "./proc.ts";

export function saveLoadAverage(work: string, when: "before" | "after"): void {
  writeFileSync(join(work, `loadavg-${when}`), `${loadavg().join(" ")}\n`);
}
