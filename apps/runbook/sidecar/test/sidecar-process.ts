/**
 * The sidecar executable as the shell runs it, for tests: `bun src/main.ts
 * <role>` as a child process with only the environment the shell passes.
 */
import { join } from "node:path";
import { waitFor } from "@convoy/testing";
import type { Subprocess } from "bun";

const SIDECAR_DIR = join(import.meta.dir, "..");

export type Child = Subprocess<"pipe", "pipe", "pipe">;

/** Everything a stream has produced so far, collected in the background. */
export class StreamText {
  text = "";
  readonly finished: Promise<void>;

  constructor(stream: ReadableStream<Uint8Array>) {
    const decoder = new TextDecoder();
    this.finished = (async () => {
      for await (const chunk of stream) this.text += decoder.decode(chunk, { stream: true });
    })();
  }

  waitFor(pattern: RegExp, timeoutMs = 10_000): Promise<RegExpExecArray> {
    return waitFor(() => pattern.exec(this.text), {
      timeout: timeoutMs,
      interval: 20,
      message: `${pattern}`,
    }).catch((error) => {
      throw new Error(`${error.message}; got ${this.text}`);
    });
  }

  /** How many lines match `pattern` so far. */
  count(pattern: RegExp): number {
    return this.text.split("\n").filter((line) => pattern.test(line)).length;
  }
}

export interface Sidecar {
  child: Child;
  stdout: StreamText;
  stderr: StreamText;
}

export interface SidecarRun {
  exitCode: number;
  stdout: string;
  stderr: string;
}

/** Every child this process started, killed on exit if a test forgot to. */
const running = new Set<Child>();
process.once("exit", () => {
  for (const child of running) child.kill("SIGKILL");
});

/** The children of one test file; `killAll()` in afterEach ends any still running. */
export class Sidecars {
  readonly #children: Child[] = [];

  start(args: string[], env: Record<string, string>): Sidecar {
    const child = Bun.spawn([process.execPath, "src/main.ts", ...args], {
      cwd: SIDECAR_DIR,
      // Only what the shell would pass, plus what bun itself needs.
      env: { PATH: process.env.PATH ?? "", HOME: process.env.HOME ?? "", ...env },
      stdin: "pipe",
      stdout: "pipe",
      stderr: "pipe",
    });
    this.#children.push(child);
    running.add(child);
    void child.exited.then(() => running.delete(child));
    return { child, stdout: new StreamText(child.stdout), stderr: new StreamText(child.stderr) };
  }

  /** Runs a sidecar to completion. */
  async run(args: string[], env: Record<string, string>): Promise<SidecarRun> {
    const sidecar = this.start(args, env);
    const exitCode = await sidecar.child.exited;
    await Promise.all([sidecar.stdout.finished, sidecar.stderr.finished]);
    return { exitCode, stdout: sidecar.stdout.text, stderr: sidecar.stderr.text };
  }

  /** Even after a failed assertion, no child outlives its test. */
  async killAll(): Promise<void> {
    for (const child of this.#children.splice(0)) {
      if (child.exitCode === null && child.signalCode === null) child.kill("SIGKILL");
      await child.exited;
    }
  }
}

/** The exit code, or "still running" if the child has not exited within `ms`. */
export function exitWithin(child: Child, ms: number): Promise<number | "still running"> {
  return Promise.race([child.exited, Bun.sleep(ms).then(() => "still running" as const)]);
}
