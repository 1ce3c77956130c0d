import { emit } from "@tauri-apps/api/event";
import { clearMocks, mockIPC } from "@tauri-apps/api/mocks";
import { act, cleanup, fireEvent, render, screen, within } from "@testing-library/react";
import type { SidecarError, SidecarLogs } from "tauri-plugin-convoy-supervisor-api";
import { afterEach, describe, expect, it, vi } from "vitest";
import { describeRendering } from "../src/features/sidecars/rendering";
import { SidecarsPanel, summarize } from "../src/features/sidecars/SidecarsPanel";
import type { SidecarLogBatch, SidecarStatus } from "../src/lib/bindings";
import { formatDuration, formatUptime } from "../src/lib/time";
import type { Platform, Result } from "../src/platform";
import { browserPlatform } from "../src/platform/browser";
import { tauriPlatform } from "../src/platform/tauri";

const t0 = 1_700_000_000;

function status(name: string, fields: Partial<SidecarStatus> = {}): SidecarStatus {
  return {
    name,
    state: "ready",
    pid: null,
    port: null,
    oneShot: false,
    restarts: 0,
    lastExitCode: null,
    reason: null,
    since: t0,
    ...fields,
  };
}

type LogsReply = Result<SidecarLogs, SidecarError>;

/** A platform whose sidecars the test drives by hand: it emits events and answers reads as told. */
function fakePlatform(
  list: SidecarStatus[],
  options: {
    /** Answers the list read in place of `list`, when the test wants to hold it back. */
    listed?: Promise<SidecarStatus[]>;
    logs?: (name: string, limit: number) => Promise<LogsReply>;
    restart?: (name: string) => Promise<Result<null, SidecarError>>;
  } = {},
) {
  const statusListeners = new Set<(status: SidecarStatus) => void>();
  const logListeners = new Set<(batch: SidecarLogBatch) => void>();
  const calls: string[] = [];
  const platform: Platform = {
    kind: "tauri",
    appInfo: async () => ({
      name: "Runbook",
      version: "0",
      tauriVersion: "2",
      os: "linux",
      arch: "x",
      debug: true,
      rendering: null,
    }),
    launchState: async () => ({ phase: "starting", steps: [], failure: null }),
    onLaunchProgress: async () => () => {},
    retryLaunch: async () => ({ status: "ok", data: null }),
    apiEndpoint: async () => ({ status: "error", error: { type: "NotReady", name: "api" } }),
    quit: async () => {},
    sidecars: () => options.listed ?? Promise.resolve(list),
    onSidecarStatus: async (listener) => {
      statusListeners.add(listener);
      return () => statusListeners.delete(listener);
    },
    sidecarLogs: (name, limit) => {
      calls.push(`logs ${name} ${limit}`);
      return options.logs?.(name, limit) ?? Promise.resolve({ status: "ok", data: { lines: [], total: 0 } });
    },
    onSidecarLog: async (listener) => {
      logListeners.add(listener);
      return () => logListeners.delete(listener);
    },
    restartSidecar: (name) => {
      calls.push(`restart ${name}`);
      return options.restart?.(name) ?? Promise.resolve({ status: "ok", data: null });
    },
    reportStartup: async () => {},
    openWindow: async () => ({ status: "ok", data: null }),
    onJobsChanged: async () => () => {},
    onJobProgress: async () => () => {},
    selection: async () => ({ jobId: null }),
    selectJob: async (jobId) => ({ status: "ok", data: { jobId } }),
    onSelectionChanged: async () => () => {},
  };
  return {
    platform,
    calls,
    listeners: () => statusListeners.size + logListeners.size,
    sendStatus: (next: SidecarStatus) =>
      act(() => {
        for (const listener of statusListeners) listener(next);
      }),
    sendLog: (batch: SidecarLogBatch) =>
      act(() => {
        for (const listener of logListeners) listener(batch);
      }),
  };
}

/** Lets pending promises (subscriptions, the first read) settle. */
const settle = () => act(async () => {});

function row(name: string) {
  const element = screen.getAllByTestId("sidecar").find((r) => r.getAttribute("data-name") === name);
  if (!element) throw new Error(`no row for ${name}`);
  return within(element);
}

function rowElement(name: string) {
  return screen.getAllByTestId("sidecar").find((r) => r.getAttribute("data-name") === name);
}

function logText(name: string) {
  return row(name).getByTestId("sidecar-log").textContent;
}

afterEach(() => {
  cleanup();
  vi.useRealTimers();
});

describe("SidecarsPanel", () => {
  it("shows every sidecar from the first read, in start order, with its facts", async () => {
    const { platform, calls } = fakePlatform(
      [
        status("valkey", { pid: 101 }),
        status("migrate", { state: "stopped", lastExitCode: 0 }),
        status("api", { pid: 102, port: 4100 }),
        status("worker", {
          state: "failed",
          restarts: 5,
          lastExitCode: 9,
          reason: "gave up after 5 restarts",
        }),
      ],
      {
        logs: async (name) => ({ status: "ok", data: { lines: [`${name} one`, `${name} two`], total: 2 } }),
      },
    );
    render(<SidecarsPanel platform={platform} />);
    await settle();

    const rows = screen.getAllByTestId("sidecar");
    expect(rows.map((r) => r.getAttribute("data-name"))).toEqual(["valkey", "migrate", "api", "worker"]);
    expect(rows.map((r) => r.getAttribute("data-state"))).toEqual(["ready", "stopped", "ready", "failed"]);
    expect(row("valkey").getByTestId("sidecar-state").textContent).toBe("ready");
    expect(row("valkey").getByTestId("sidecar-pid").textContent).toBe("101");
    expect(row("valkey").queryByTestId("sidecar-port")).toBeNull();
    expect(row("api").getByTestId("sidecar-port").textContent).toBe("4100");
    expect(row("migrate").queryByTestId("sidecar-pid")).toBeNull();
    expect(row("migrate").getByTestId("sidecar-exit-code").textContent).toBe("0");
    expect(row("valkey").queryByTestId("sidecar-exit-code")).toBeNull();
    expect(row("worker").getByTestId("sidecar-restarts").textContent).toBe("5");
    expect(row("worker").getByTestId("sidecar-exit-code").textContent).toBe("9");
    expect(row("worker").getByTestId("sidecar-reason").textContent).toBe("gave up after 5 restarts");
    expect(row("api").queryByTestId("sidecar-reason")).toBeNull();
    // Uptime only while ready.
    expect(row("api").queryByTestId("sidecar-uptime")).not.toBeNull();
    expect(row("worker").queryByTestId("sidecar-uptime")).toBeNull();

    expect(calls.sort()).toEqual(["logs api 200", "logs migrate 200", "logs valkey 200", "logs worker 200"]);
    expect(logText("api")).toBe("api one\napi two\n");
  });

  it("follows status events: state and restarts change, an unknown sidecar is appended", async () => {
    const { platform, sendStatus, listeners } = fakePlatform([status("valkey", { pid: 101 }), status("api")]);
    const { unmount } = render(<SidecarsPanel platform={platform} />);
    await settle();
    expect(row("valkey").getByTestId("sidecar-restarts").textContent).toBe("0");

    await sendStatus(status("valkey", { state: "restarting", pid: null, restarts: 1 }));
    expect(rowElement("valkey")?.getAttribute("data-state")).toBe("restarting");
    expect(row("valkey").getByTestId("sidecar-state").textContent).toBe("restarting");
    expect(row("valkey").getByTestId("sidecar-restarts").textContent).toBe("1");
    expect(row("valkey").queryByTestId("sidecar-pid")).toBeNull();

    await sendStatus(status("valkey", { state: "ready", pid: 202, restarts: 1 }));
    expect(rowElement("valkey")?.getAttribute("data-state")).toBe("ready");
    expect(row("valkey").getByTestId("sidecar-pid").textContent).toBe("202");

    await sendStatus(status("extra", { state: "starting" }));
    const names = screen.getAllByTestId("sidecar").map((r) => r.getAttribute("data-name"));
    expect(names).toEqual(["valkey", "api", "extra"]);

    unmount();
    expect(listeners()).toBe(0);
  });

  it("keeps a status event that overtook the first read, if it is newer", async () => {
    let answer: (list: SidecarStatus[]) => void = () => {};
    const listed = new Promise<SidecarStatus[]>((resolve) => (answer = resolve));
    const { platform, sendStatus } = fakePlatform([], { listed });
    render(<SidecarsPanel platform={platform} />);
    await settle();
    await sendStatus(status("api", { state: "ready", since: t0 + 2 }));
    await sendStatus(status("worker", { state: "starting", since: t0 }));
    await act(async () =>
      answer([
        status("valkey"),
        status("api", { state: "starting", since: t0 + 1 }),
        status("worker", { state: "ready", since: t0 + 1 }),
      ]),
    );
    const rows = screen.getAllByTestId("sidecar");
    expect(rows.map((r) => r.getAttribute("data-name"))).toEqual(["valkey", "api", "worker"]);
    expect(rows.map((r) => r.getAttribute("data-state"))).toEqual(["ready", "ready", "ready"]);
  });

  it("merges the first read with live batches by line number: no line twice, skipped lines marked", async () => {
    let answer: (reply: LogsReply) => void = () => {};
    const { platform, sendLog } = fakePlatform([status("api")], {
      logs: () => new Promise((resolve) => (answer = resolve)),
    });
    render(<SidecarsPanel platform={platform} />);
    await settle();

    // A batch arrives before the first read answers; the read overlaps it.
    await sendLog({ sidecar: "api", lines: ["l3", "l4"], skipped: 0, total: 4 });
    expect(logText("api")).toBe("l3\nl4\n");
    await act(async () => answer({ status: "ok", data: { lines: ["l1", "l2", "l3"], total: 3 } }));
    expect(logText("api")).toBe("l1\nl2\nl3\nl4\n");

    // A batch that repeats lines already shown adds only the new ones.
    await sendLog({ sidecar: "api", lines: ["l4", "l5"], skipped: 0, total: 5 });
    expect(logText("api")).toBe("l1\nl2\nl3\nl4\nl5\n");

    // Lines 6 to 8 were never sent.
    await sendLog({ sidecar: "api", lines: ["l9", "l10"], skipped: 3, total: 10 });
    expect(logText("api")).toBe("l1\nl2\nl3\nl4\nl5\n… 3 lines skipped\nl9\nl10\n");

    // A batch for another sidecar does not touch this one.
    await sendLog({ sidecar: "worker", lines: ["w1"], skipped: 0, total: 1 });
    expect(logText("api")).toContain("l10\n");
    expect(logText("api")).not.toContain("w1");
  });

  it("keeps only the newest 200 lines", async () => {
    const { platform, sendLog } = fakePlatform([status("api")]);
    render(<SidecarsPanel platform={platform} />);
    await settle();
    const lines = Array.from({ length: 300 }, (_, i) => `line ${i + 1}`);
    await sendLog({ sidecar: "api", lines: lines.slice(0, 150), skipped: 0, total: 150 });
    await sendLog({ sidecar: "api", lines: lines.slice(150), skipped: 0, total: 300 });
    const shown = logText("api")?.trimEnd().split("\n") ?? [];
    expect(shown).toHaveLength(200);
    expect(shown[0]).toBe("line 101");
    expect(shown[199]).toBe("line 300");
  });

  it("starts the tail afresh when the shell starts the sidecars again (total goes back)", async () => {
    const { platform, sendLog } = fakePlatform([status("api")]);
    render(<SidecarsPanel platform={platform} />);
    await settle();
    await sendLog({ sidecar: "api", lines: ["old 1", "old 2", "old 3"], skipped: 0, total: 3 });
    await sendLog({ sidecar: "api", lines: ["new 1"], skipped: 0, total: 1 });
    expect(logText("api")).toBe("new 1\n");
  });

  it("restarts through the platform and words a refusal with describeError", async () => {
    const replies: Array<Result<null, SidecarError>> = [
      { status: "error", error: { type: "NotRestartable", name: "migrate" } },
      { status: "ok", data: null },
    ];
    const { platform, calls } = fakePlatform([status("migrate", { state: "stopped" })], {
      restart: async () => replies.shift() ?? { status: "ok", data: null },
    });
    render(<SidecarsPanel platform={platform} />);
    await settle();
    expect(row("migrate").queryByTestId("sidecar-error")).toBeNull();

    await act(async () => fireEvent.click(row("migrate").getByTestId("sidecar-restart")));
    expect(calls).toContain("restart migrate");
    const error = row("migrate").getByTestId("sidecar-error");
    expect(error.textContent).toBe("“migrate” runs once at start-up and cannot be restarted.");
    expect(error.getAttribute("data-error-type")).toBe("NotRestartable");

    // A later restart that is accepted clears the error.
    await act(async () => fireEvent.click(row("migrate").getByTestId("sidecar-restart")));
    expect(calls.filter((call) => call === "restart migrate")).toHaveLength(2);
    expect(row("migrate").queryByTestId("sidecar-error")).toBeNull();
  });

  it("offers no Restart for a one-shot step", async () => {
    const { platform } = fakePlatform([
      status("migrate", { state: "stopped", oneShot: true, lastExitCode: 0 }),
      status("api"),
    ]);
    render(<SidecarsPanel platform={platform} />);
    await settle();
    expect(row("migrate").queryByTestId("sidecar-restart")).toBeNull();
    expect(row("api").queryByTestId("sidecar-restart")).not.toBeNull();
  });

  it("shows a rejected restart (e.g. a denied permission) as a typed error", async () => {
    const { platform } = fakePlatform([status("api")], {
      restart: () => Promise.reject({ type: "IpcRejected", message: "restart not allowed" }),
    });
    render(<SidecarsPanel platform={platform} />);
    await settle();
    await act(async () => fireEvent.click(row("api").getByTestId("sidecar-restart")));
    expect(row("api").getByTestId("sidecar-error").textContent).toBe(
      "The app refused the request: restart not allowed",
    );
  });

  it("counts uptime up each second while ready", async () => {
    vi.useFakeTimers({ toFake: ["setInterval", "clearInterval", "Date"] });
    vi.setSystemTime((t0 + 65) * 1000);
    const { platform, sendStatus } = fakePlatform([status("api", { since: t0 })]);
    render(<SidecarsPanel platform={platform} />);
    await settle();
    expect(row("api").getByTestId("sidecar-uptime").textContent).toBe("1 min 05 s");

    await act(async () => vi.advanceTimersByTime(2000));
    expect(row("api").getByTestId("sidecar-uptime").textContent).toBe("1 min 07 s");

    await sendStatus(status("api", { state: "restarting", since: t0 + 67 }));
    expect(row("api").queryByTestId("sidecar-uptime")).toBeNull();
    expect(vi.getTimerCount()).toBe(0);
  });
});

describe("SidecarsPanel, collapsed (the main window's diagnostics)", () => {
  const healthy = () => [
    status("valkey", { pid: 101 }),
    status("migrate", { state: "stopped", oneShot: true, lastExitCode: 0 }),
    status("api", { pid: 102 }),
  ];

  it("shows one summary line and no rows, and opens with one click", async () => {
    const { platform } = fakePlatform(healthy());
    render(<SidecarsPanel platform={platform} defaultOpen={false} />);
    await settle();
    expect(screen.queryAllByTestId("sidecar")).toHaveLength(0);
    expect(screen.getByTestId("sidecars-summary").textContent).toContain("3 ready");
    const toggle = screen.getByTestId("sidecars-toggle");
    expect(toggle.getAttribute("aria-expanded")).toBe("false");
    fireEvent.click(toggle);
    expect(screen.getAllByTestId("sidecar")).toHaveLength(3);
    expect(toggle.getAttribute("aria-expanded")).toBe("true");
    fireEvent.click(toggle);
    expect(screen.queryAllByTestId("sidecar")).toHaveLength(0);
  });

  it("is open while it asks for attention, and whenever a sidecar failed", async () => {
    const { platform, sendStatus } = fakePlatform(healthy());
    const { rerender } = render(<SidecarsPanel platform={platform} defaultOpen={false} attention />);
    await settle();
    expect(screen.getAllByTestId("sidecar")).toHaveLength(3);
    rerender(<SidecarsPanel platform={platform} defaultOpen={false} attention={false} />);
    expect(screen.queryAllByTestId("sidecar")).toHaveLength(0);
    await sendStatus(status("api", { state: "failed", reason: "gave up" }));
    expect(screen.getAllByTestId("sidecar")).toHaveLength(3);
    expect(screen.getByTestId("sidecars-summary").textContent).toContain("2 ready · 1 failed");
  });
});

describe("the webview's rendering, in the open diagnostics", () => {
  it("says how the shell chose to draw, only once the panel is open", async () => {
    const { platform } = fakePlatform([status("api")]);
    render(
      <SidecarsPanel
        platform={platform}
        defaultOpen={false}
        rendering={{ rendering: "direct", reason: "noGpu" }}
      />,
    );
    await settle();
    expect(screen.queryByTestId("webview-rendering")).toBeNull();
    fireEvent.click(screen.getByTestId("sidecars-toggle"));
    const line = screen.getByTestId("webview-rendering");
    expect(line.dataset.rendering).toBe("direct");
    expect(line.textContent).toBe(
      "Webview: painted directly, without a compositor (no GPU could be opened, and compositing on the CPU is slower; CONVOY_WEBVIEW_COMPOSITING=on turns it back on).",
    );
  });

  it("shows nothing where no shell chose (a browser)", async () => {
    const { platform } = fakePlatform([status("api")]);
    render(<SidecarsPanel platform={platform} rendering={null} />);
    await settle();
    expect(screen.getAllByTestId("sidecar")).toHaveLength(1);
    expect(screen.queryByTestId("webview-rendering")).toBeNull();
  });

  it("words every reason", () => {
    expect(describeRendering({ rendering: "composited", reason: "gpu" })).toBe(
      "Webview: composited (a GPU could be opened).",
    );
    expect(describeRendering({ rendering: "composited", reason: "override" })).toBe(
      "Webview: composited (CONVOY_WEBVIEW_COMPOSITING says so).",
    );
    expect(describeRendering({ rendering: "direct", reason: "override" })).toBe(
      "Webview: painted directly, without a compositor (CONVOY_WEBVIEW_COMPOSITING says so).",
    );
    expect(describeRendering({ rendering: "direct", reason: "alreadySet" })).toBe(
      "Webview: painted directly, without a compositor (WEBKIT_DISABLE_COMPOSITING_MODE was set).",
    );
    expect(describeRendering({ rendering: "composited", reason: "platform" })).toBe(
      "Webview: composited (the platform's one way to draw).",
    );
  });
});

describe("summarize", () => {
  it("counts by state, a finished one-shot as ready", () => {
    expect(
      summarize([
        status("a"),
        status("m", { state: "stopped", oneShot: true, lastExitCode: 0 }),
        status("w", { state: "restarting" }),
        status("x", { state: "stopped", oneShot: true, lastExitCode: 3 }),
      ]),
    ).toBe("2 ready · 1 restarting · 1 stopped");
  });
});

describe("formatDuration", () => {
  it("words a run's length in ms, tenths of seconds, then as an uptime", () => {
    expect(formatDuration(-5)).toBe("0 ms");
    expect(formatDuration(85.4)).toBe("85 ms");
    expect(formatDuration(4_280)).toBe("4.2 s");
    expect(formatDuration(187_000)).toBe("3 min 07 s");
  });
});

describe("formatUptime", () => {
  it("words seconds, minutes, hours and days", () => {
    expect(formatUptime(-3)).toBe("0 s");
    expect(formatUptime(42.9)).toBe("42 s");
    expect(formatUptime(187)).toBe("3 min 07 s");
    expect(formatUptime(2 * 3600 + 5 * 60 + 9)).toBe("2 h 05 min");
    expect(formatUptime(3 * 86400 + 4 * 3600)).toBe("3 d 4 h");
  });
});

describe("the platforms' sidecar methods", () => {
  afterEach(() => clearMocks());

  it("in a browser: no sidecars, and a typed refusal", async () => {
    const platform = browserPlatform("");
    expect(await platform.sidecars()).toEqual([]);
    expect(await platform.restartSidecar("api")).toEqual({
      status: "error",
      error: { type: "UnknownSidecar", name: "api" },
    });
    expect(await platform.sidecarLogs("api", 200)).toEqual({
      status: "error",
      error: { type: "UnknownSidecar", name: "api" },
    });
  });

  it("in Tauri: the plugin's commands and the app's events", async () => {
    const invoked: Array<[string, unknown]> = [];
    mockIPC(
      (cmd, args) => {
        invoked.push([cmd, args]);
        switch (cmd) {
          case "plugin:convoy-supervisor|list":
            return [status("api")];
          case "plugin:convoy-supervisor|logs":
            return { lines: ["a"], total: 1 };
          case "plugin:convoy-supervisor|restart":
            if ((args as { name: string }).name === "migrate")
              throw { type: "NotRestartable", name: "migrate" };
            throw "Command plugin:convoy-supervisor|restart not allowed by ACL";
        }
      },
      { shouldMockEvents: true },
    );

    expect(await tauriPlatform.sidecars()).toEqual([status("api")]);
    expect(await tauriPlatform.sidecarLogs("api", 200)).toEqual({
      status: "ok",
      data: { lines: ["a"], total: 1 },
    });
    expect(invoked).toContainEqual(["plugin:convoy-supervisor|logs", { name: "api", limit: 200 }]);
    expect(await tauriPlatform.restartSidecar("migrate")).toEqual({
      status: "error",
      error: { type: "NotRestartable", name: "migrate" },
    });
    // Tauri's own string rejection is not passed off as the command's typed error.
    await expect(tauriPlatform.restartSidecar("api")).rejects.toEqual({
      type: "IpcRejected",
      message: "Command plugin:convoy-supervisor|restart not allowed by ACL",
    });

    const statuses: SidecarStatus[] = [];
    const batches: SidecarLogBatch[] = [];
    const stopStatus = await tauriPlatform.onSidecarStatus((next) => statuses.push(next));
    const stopLog = await tauriPlatform.onSidecarLog((batch) => batches.push(batch));
    await emit("sidecar:status", status("api", { state: "failed" }));
    await emit("sidecar:log", { sidecar: "api", lines: ["b"], skipped: 0, total: 2 });
    expect(statuses.map((s) => s.state)).toEqual(["failed"]);
    expect(batches.map((b) => b.lines)).toEqual([["b"]]);
    stopStatus();
    stopLog();
    await emit("sidecar:status", status("api"));
    expect(statuses).toHaveLength(1);
  });
});
