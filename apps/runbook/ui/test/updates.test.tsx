import { act, cleanup, fireEvent, render, screen } from "@testing-library/react";
import { afterEach, describe, expect, it, vi } from "vitest";
import { UpdateFlow } from "../src/features/updates/UpdateBanner";
import { describeUpdateError, type Updater } from "../src/features/updates/updater";
import type { DownloadProgress, JobsPolicy, UpdateError } from "../src/lib/bindings";

afterEach(cleanup);

const update = { version: "0.2.0", notes: "Faster start-up.", date: null };

function fakeUpdater(overrides: Partial<Updater> = {}): Updater {
  return {
    check: vi.fn(async () => ({
      status: "ok" as const,
      data: { currentVersion: "0.1.0", available: update },
    })),
    download: vi.fn(async (onProgress: (p: DownloadProgress) => void) => {
      onProgress({ received: 50, total: 200 });
      return { status: "ok" as const, data: { version: "0.2.0", size: 200 } };
    }),
    install: vi.fn(async (_jobs: JobsPolicy) => ({ status: "ok" as const, data: null })),
    ...overrides,
  };
}

const banner = () => screen.getByTestId("update-banner");

describe("the update banner", () => {
  it("shows the version and notes, downloads with progress, then installs", async () => {
    let finish: (value: Awaited<ReturnType<Updater["download"]>>) => void = () => {};
    let report: (p: DownloadProgress) => void = () => {};
    const updater = fakeUpdater({
      download: vi.fn<Updater["download"]>(
        (onProgress) =>
          new Promise((resolve) => {
            report = onProgress;
            finish = resolve;
          }),
      ),
    });
    render(<UpdateFlow updater={updater} />);
    expect(await screen.findByTestId("update-version")).toHaveProperty("textContent", "Runbook 0.2.0");
    expect(screen.getByTestId("update-notes").textContent).toBe("Faster start-up.");

    fireEvent.click(screen.getByTestId("update-download"));
    await act(async () => report({ received: 50, total: 200 }));
    expect(banner().dataset.state).toBe("downloading");
    expect(screen.getByTestId("update-progress").getAttribute("value")).toBe("25");

    await act(async () => finish({ status: "ok", data: { version: "0.2.0", size: 200 } }));
    fireEvent.click(screen.getByTestId("update-install"));
    await act(async () => {});
    expect(updater.install).toHaveBeenCalledWith("ask");
    expect(banner().dataset.state).toBe("installing");
  });

  it("asks about running jobs, and waits for them when told to", async () => {
    const install = vi
      .fn<Updater["install"]>()
      .mockResolvedValueOnce({ status: "error", error: { type: "JobsRunning", count: 2 } })
      .mockResolvedValue({ status: "ok", data: null });
    render(<UpdateFlow updater={fakeUpdater({ install })} />);
    fireEvent.click(await screen.findByTestId("update-download"));
    fireEvent.click(await screen.findByTestId("update-install"));
    expect((await screen.findByTestId("update-jobs")).textContent).toContain("2 job(s) are running");
    fireEvent.click(screen.getByTestId("update-jobs-wait"));
    await act(async () => {});
    expect(install.mock.calls).toEqual([["ask"], ["wait"]]);
  });

  it("shows a refused download by its type, and the command when root cannot be had", async () => {
    const refused: UpdateError = { type: "BadSignature", message: "the signature does not verify" };
    const { unmount } = render(
      <UpdateFlow updater={fakeUpdater({ download: async () => ({ status: "error", error: refused }) })} />,
    );
    fireEvent.click(await screen.findByTestId("update-download"));
    const error = await screen.findByTestId("update-error");
    expect(error.dataset.errorType).toBe("BadSignature");
    expect(error.textContent).toContain("not signed by Runbook's key");
    unmount();

    const privilege: UpdateError = {
      type: "NeedsPrivilege",
      message: "no polkit agent",
      command: "sudo apt-get install /tmp/runbook_0.2.0.deb",
    };
    render(
      <UpdateFlow updater={fakeUpdater({ install: async () => ({ status: "error", error: privilege }) })} />,
    );
    fireEvent.click(await screen.findByTestId("update-download"));
    fireEvent.click(await screen.findByTestId("update-install"));
    expect((await screen.findByTestId("update-command")).textContent).toBe(privilege.command);
    expect(screen.queryByRole("textbox")).toBeNull(); // never a password field
  });

  it("says when it is up to date, and checks again when asked", async () => {
    const check = vi
      .fn<Updater["check"]>()
      .mockResolvedValueOnce({ status: "ok", data: { currentVersion: "0.1.0", available: null } })
      .mockResolvedValue({ status: "ok", data: { currentVersion: "0.1.0", available: update } });
    render(<UpdateFlow updater={fakeUpdater({ check })} />);
    await act(async () => {});
    expect(banner().dataset.state).toBe("current");
    expect(banner().textContent).toContain("Runbook 0.1.0 is up to date.");
    fireEvent.click(screen.getByTestId("update-check"));
    expect((await screen.findByTestId("update-version")).dataset.version).toBe("0.2.0");
  });

  it("says nothing where updates are not configured", async () => {
    const check = async () => ({
      status: "error" as const,
      error: { type: "NotConfigured" as const, message: "no key" },
    });
    render(<UpdateFlow updater={fakeUpdater({ check })} />);
    await act(async () => {});
    expect(banner().dataset.state).toBe("quiet");
    expect(banner().hidden).toBe(true);
  });

  it("words every refusal", () => {
    expect(describeUpdateError({ type: "VersionMismatch", announced: "0.2.0", found: "0.1.0" })).toBe(
      "Refused: the update claims version 0.2.0 but is version 0.1.0",
    );
  });
});
