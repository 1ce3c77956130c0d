/**
 * A real Valkey (or Redis) server for tests, configured as the shell runs it:
 * a Unix socket in a private directory, a password, no TCP port, no
 * persistence. Tests only; nothing in src/ imports this.
 */
import { randomBytes } from "node:crypto";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { Subprocess } from "bun";

const READY_PATTERN = /ready to accept connections/i;
const START_TIMEOUT_MS = 5000;

/** Every server started in this process, killed on exit if a test forgot to. */
const running = new Set<Subprocess>();
process.once("exit", () => {
  for (const child of running) child.kill("SIGKILL");
});

export function findServerBinary(): string {
  const binary = Bun.which("valkey-server") ?? Bun.which("redis-server");
  if (binary === null) throw new Error("neither valkey-server nor redis-server is on PATH");
  return binary;
}

export class RedisServer {
  /** The private directory (0700) holding the socket. */
  readonly dir: string;
  readonly socket: string;
  readonly password: string;
  #child: Subprocess<"ignore", "pipe", "pipe"> | null = null;

  private constructor(password: string) {
    this.dir = mkdtempSync(join(tmpdir(), "convoy-valkey-"));
    this.socket = join(this.dir, "valkey.sock");
    this.password = password;
  }

  /** Starts a server and resolves once it accepts connections. */
  static async start(options: { password?: string } = {}): Promise<RedisServer> {
    const server = RedisServer.prepare(options);
    await server.launch();
    return server;
  }

  /** A server not started yet (call launch()), e.g. to test a sidecar that starts first. */
  static prepare(options: { password?: string } = {}): RedisServer {
    return new RedisServer(options.password ?? randomBytes(24).toString("hex"));
  }

  get pid(): number | undefined {
    return this.#child?.pid;
  }

  /** Starts the server on this socket (again, after kill()) and waits until it is ready. */
  async launch(): Promise<void> {
    if (this.#child !== null) throw new Error("the server is already running");
    // The arguments carry the password: fine for a test server, never for the shell's.
    const child = Bun.spawn(
      [
        findServerBinary(),
        "--port",
        "0",
        "--unixsocket",
        this.socket,
        "--unixsocketperm",
        "600",
        "--requirepass",
        this.password,
        "--save",
        "",
        "--appendonly",
        "no",
        "--dir",
        this.dir,
      ],
      { stdin: "ignore", stdout: "pipe", stderr: "pipe" },
    );
    this.#child = child;
    running.add(child);
    let output = "";
    const decoder = new TextDecoder();
    const reader = child.stdout.getReader();
    const deadline = setTimeout(() => child.kill("SIGKILL"), START_TIMEOUT_MS);
    try {
      while (!READY_PATTERN.test(output)) {
        const { done, value } = await reader.read();
        if (done) {
          this.#child = null;
          running.delete(child);
          const stderr = await new Response(child.stderr).text();
          throw new Error(`the valkey server did not start:\n${output}${stderr}`);
        }
        output += decoder.decode(value, { stream: true });
      }
    } finally {
      clearTimeout(deadline);
      reader.releaseLock();
    }
    // Keep draining its log so a full pipe never blocks the server.
    void child.stdout.pipeTo(new WritableStream()).catch(() => {});
  }

  /** Kills the server (SIGKILL by default: no goodbye to clients) and waits for it to exit. */
  async kill(signal: NodeJS.Signals = "SIGKILL"): Promise<void> {
    const child = this.#child;
    if (child === null) return;
    this.#child = null;
    child.kill(signal);
    await child.exited;
    running.delete(child);
  }

  /** Freezes the server: its socket stays open but nothing answers. */
  pause(): void {
    this.#child?.kill("SIGSTOP");
  }

  resume(): void {
    this.#child?.kill("SIGCONT");
  }

  /** Kills the server and removes its directory. */
  async dispose(): Promise<void> {
    await this.kill();
    rmSync(this.dir, { recursive: true, force: true });
  }
}
