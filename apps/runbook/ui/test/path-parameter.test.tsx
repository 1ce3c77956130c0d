import { QueryClientProvider } from "@tanstack/react-query";
import { clearMocks, mockIPC } from "@tauri-apps/api/mocks";
import { act, cleanup, fireEvent, render, screen, waitFor } from "@testing-library/react";
import { afterEach, describe, expect, it } from "vitest";
import type { Template, TemplateParameter } from "../src/features/templates/parameters";
import { RunForm } from "../src/features/templates/RunForm";
import TemplatesView from "../src/features/templates/TemplatesView";
import { createApiClient } from "../src/lib/api/client";
import { createQueryClient } from "../src/lib/api/query";
import type { PathKind, Platform } from "../src/platform";
import { browserPlatform } from "../src/platform/browser";
import { tauriPlatform } from "../src/platform/tauri";

const PARAMETERS: TemplateParameter[] = [
  { name: "where", label: "Where", type: "path", required: true, kind: "directory", default: "~" },
  { name: "notes", type: "path", required: true, kind: "file" },
];

function template(parameters: TemplateParameter[] = PARAMETERS): Template {
  return {
    id: "t1",
    version: 1,
    name: "Paths",
    description: "",
    command: "ls -- {{where}} {{notes}}",
    parameters,
    workingDirectory: null,
    env: {},
    timeoutSeconds: null,
    retries: { count: 0, delaySeconds: 0 },
    concurrency: null,
    createdAt: "2026-12-01T00:00:00.000Z",
    updatedAt: "2026-12-01T00:00:00.000Z",
  };
}

type Answer = string | null | Error;

/** A native dialog the test answers: each call waits for `answer`, and is recorded. */
function fakeDialog() {
  const calls: Array<{ kind: PathKind; title: string }> = [];
  let pending: ((answer: Answer) => void) | null = null;
  const choosePath: NonNullable<Platform["choosePath"]> = (kind, title) => {
    calls.push({ kind, title });
    return new Promise((resolve, reject) => {
      pending = (answer) => (answer instanceof Error ? reject(answer.message) : resolve(answer));
    });
  };
  const answer = async (value: Answer) => {
    const settle = pending;
    pending = null;
    if (!settle) throw new Error("no dialog is open");
    await act(async () => settle(value));
  };
  return { choosePath, calls, answer };
}

/** A run form whose submitted bodies are kept. */
function renderForm(choosePath: Platform["choosePath"], parameters = PARAMETERS) {
  const bodies: unknown[] = [];
  render(
    <RunForm
      template={template(parameters)}
      run={async (_id, body) => {
        bodies.push(body);
        return { ok: true, value: { id: "job-1" } as never };
      }}
      onRan={() => {}}
      choosePath={choosePath}
    />,
  );
  return bodies;
}

const field = (name: string) => screen.getByTestId(`param-${name}`) as HTMLInputElement;
const chooser = (name: string) => screen.getByTestId(`choose-${name}`) as HTMLButtonElement;
const submit = () => act(async () => fireEvent.click(screen.getByTestId("run-template")));

afterEach(() => {
  cleanup();
  clearMocks();
});

describe("a path parameter in a browser", () => {
  it("is a text field only: the browser platform has no dialog", async () => {
    const platform = browserPlatform("");
    expect(platform.choosePath).toBeUndefined();
    const bodies = renderForm(platform.choosePath);
    expect(field("where").type).toBe("text");
    expect(screen.queryByTestId("choose-where")).toBeNull();
    expect(screen.queryByTestId("choose-notes")).toBeNull();
    expect(screen.queryByText("Choose…")).toBeNull();
    fireEvent.change(field("notes"), { target: { value: "/etc/hostname" } });
    await submit();
    expect(bodies).toEqual([{ where: "~", notes: "/etc/hostname" }]);
  });
});

describe("a path parameter on the desktop", () => {
  it("has Choose… beside its field, asking for a directory or a file by its kind", async () => {
    const dialog = fakeDialog();
    renderForm(dialog.choosePath);
    expect(chooser("where").textContent).toBe("Choose…");
    expect(chooser("where").type).toBe("button");
    expect(chooser("where").getAttribute("aria-label")).toBe("Choose a directory for Where");

    fireEvent.click(chooser("where"));
    await dialog.answer("/srv/data");
    fireEvent.click(chooser("notes"));
    await dialog.answer("/home/me/notes.txt");
    expect(dialog.calls).toEqual([
      { kind: "directory", title: "Choose a directory for Where" },
      { kind: "file", title: "Choose a file for notes" },
    ]);
    expect(field("where").value).toBe("/srv/data");
    expect(field("notes").value).toBe("/home/me/notes.txt");
  });

  it("fills the field with the chosen path, which stays editable and is what runs", async () => {
    const dialog = fakeDialog();
    const bodies = renderForm(dialog.choosePath);
    fireEvent.click(chooser("where"));
    await dialog.answer("/srv/data");
    fireEvent.change(field("where"), { target: { value: "/srv/data/2026" } });
    fireEvent.change(field("notes"), { target: { value: "/tmp/typed.txt" } });
    await submit();
    expect(bodies).toEqual([{ where: "/srv/data/2026", notes: "/tmp/typed.txt" }]);
  });

  it("leaves the field as it was when the dialog is cancelled", async () => {
    const dialog = fakeDialog();
    renderForm(dialog.choosePath);
    fireEvent.change(field("where"), { target: { value: "/typed/before" } });
    fireEvent.click(chooser("where"));
    await dialog.answer(null);
    expect(field("where").value).toBe("/typed/before");
    expect(screen.queryByRole("alert")).toBeNull();
  });

  it("opens one dialog at a time", async () => {
    const dialog = fakeDialog();
    renderForm(dialog.choosePath);
    fireEvent.click(chooser("where"));
    expect(chooser("where").disabled).toBe(true);
    fireEvent.click(chooser("where"));
    expect(dialog.calls).toHaveLength(1);
    await dialog.answer(null);
    expect(chooser("where").disabled).toBe(false);
  });

  it("says so beside the field when the shell refuses the dialog, and keeps the value", async () => {
    const dialog = fakeDialog();
    renderForm(dialog.choosePath);
    fireEvent.click(chooser("where"));
    await dialog.answer(new Error("dialog.open not allowed"));
    expect(screen.getByTestId("choose-where-error").textContent).toBe(
      "The app refused the request: dialog.open not allowed",
    );
    expect(field("where").value).toBe("~");
    expect(chooser("where").disabled).toBe(false);
    // The next choice clears the message.
    fireEvent.click(chooser("where"));
    expect(screen.queryByTestId("choose-where-error")).toBeNull();
    await dialog.answer("/srv");
    expect(field("where").value).toBe("/srv");
  });

  it("reaches the run form through the templates view from the platform", async () => {
    const dialog = fakeDialog();
    const platform: Platform = { ...browserPlatform(""), kind: "tauri", choosePath: dialog.choosePath };
    const api = createApiClient(
      { baseUrl: "http://127.0.0.1:1", token: "t" },
      (async () =>
        new Response(JSON.stringify({ items: [template()], nextCursor: null }), {
          headers: { "content-type": "application/json" },
        })) as typeof fetch,
    );
    render(
      <QueryClientProvider client={createQueryClient()}>
        <TemplatesView api={api} onRan={() => {}} platform={platform} />
      </QueryClientProvider>,
    );
    await waitFor(() => expect(screen.getByTestId("templates-list")).toBeTruthy());
    fireEvent.click(screen.getByText("Paths"));
    fireEvent.click(chooser("notes"));
    await dialog.answer("/etc/hosts");
    expect(field("notes").value).toBe("/etc/hosts");
  });
});

describe("the Tauri platform's dialog", () => {
  /** Answers `plugin:dialog|open` as told, recording its arguments. */
  function mockDialog(answer: (options: unknown) => unknown) {
    const invoked: unknown[] = [];
    mockIPC((cmd, args) => {
      if (cmd !== "plugin:dialog|open") throw `unexpected command ${cmd}`;
      invoked.push(args);
      return answer((args as { options: unknown }).options);
    });
    return invoked;
  }

  it("calls the dialog plugin's open for one file or one directory", async () => {
    const invoked = mockDialog((options) =>
      (options as { directory: boolean }).directory ? "/srv" : "/srv/a.txt",
    );
    const choosePath = tauriPlatform.choosePath;
    if (!choosePath) throw new Error("the Tauri platform has no dialog");
    expect(await choosePath("directory", "Choose a directory for Where")).toBe("/srv");
    expect(await choosePath("file", "Choose a file for notes")).toBe("/srv/a.txt");
    expect(invoked).toEqual([
      { options: { directory: true, multiple: false, title: "Choose a directory for Where" } },
      { options: { directory: false, multiple: false, title: "Choose a file for notes" } },
    ]);
  });

  it("is null when cancelled, and a typed error when Tauri refuses it", async () => {
    let refuse = false;
    mockDialog(() => {
      if (refuse)
        throw "dialog.open not allowed. Permissions associated with this command: dialog:allow-open";
      return null;
    });
    expect(await tauriPlatform.choosePath?.("file", "t")).toBeNull();
    refuse = true;
    await expect(tauriPlatform.choosePath?.("file", "t")).rejects.toEqual({
      type: "IpcRejected",
      message: "dialog.open not allowed. Permissions associated with this command: dialog:allow-open",
    });
  });

  it("fills the run form: a click, the plugin's answer, the field, the run", async () => {
    mockDialog(() => "/var/log");
    const bodies = renderForm(tauriPlatform.choosePath);
    fireEvent.click(chooser("where"));
    await waitFor(() => expect(field("where").value).toBe("/var/log"));
    fireEvent.change(field("notes"), { target: { value: "/var/log/syslog" } });
    await submit();
    expect(bodies).toEqual([{ where: "/var/log", notes: "/var/log/syslog" }]);
  });
});
