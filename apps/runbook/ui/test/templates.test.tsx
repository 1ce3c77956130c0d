import { QueryClientProvider } from "@tanstack/react-query";
import { act, cleanup, fireEvent, render, screen, waitFor } from "@testing-library/react";
import type { ReactNode } from "react";
import { afterEach, describe, expect, it } from "vitest";
import {
  checkRunValues,
  initialValues,
  type Template,
  type TemplateParameter,
} from "../src/features/templates/parameters";
import { RerunButton } from "../src/features/templates/Rerun";
import { RunForm } from "../src/features/templates/RunForm";
import { TemplateEditor } from "../src/features/templates/TemplateEditor";
import TemplatesView from "../src/features/templates/TemplatesView";
import { useTemplates } from "../src/features/templates/useTemplates";
import { type ApiClient, createApiClient, type Job } from "../src/lib/api/client";
import { createQueryClient } from "../src/lib/api/query";

const PARAMETERS: TemplateParameter[] = [
  { name: "text", type: "string", required: true, pattern: "[a-z]+" },
  { name: "count", type: "number", required: true, min: 1, max: 10, integer: true, default: 3 },
  { name: "flag", type: "boolean", required: true, default: true },
  { name: "color", type: "choice", required: true, options: ["red", "green"], default: "red" },
  { name: "where", type: "path", required: true, kind: "directory", default: "~" },
  { name: "token", type: "secret", required: true },
  { name: "note", type: "string", required: false },
];

function template(fields: Partial<Template> = {}): Template {
  return {
    id: "t1",
    version: 2,
    name: "Everything",
    description: "",
    command: "printf '%s\\n' {{text}} {{count}} {{flag}} {{color}} {{where}}",
    parameters: PARAMETERS,
    workingDirectory: null,
    env: {},
    timeoutSeconds: null,
    retries: { count: 0, delaySeconds: 0 },
    concurrency: null,
    createdAt: "2026-12-01T00:00:00.000Z",
    updatedAt: "2026-12-01T00:00:00.000Z",
    ...fields,
  };
}

const json = (status: number, body: unknown) =>
  new Response(status === 204 ? null : JSON.stringify(body), {
    status,
    headers: { "content-type": status < 400 ? "application/json" : "application/problem+json" },
  });

type Handler = (request: Request, body: unknown) => Response | Promise<Response>;

/** An api whose every request `handle` answers; the requests are kept, with their bodies. */
function fakeApi(handle: Handler) {
  const requests: { method: string; path: string; body: unknown }[] = [];
  const fetchImpl = async (input: Request | string | URL) => {
    const request = input instanceof Request ? input : new Request(input);
    const text = request.method === "GET" ? "" : await request.clone().text();
    const body = text ? JSON.parse(text) : undefined;
    requests.push({ method: request.method, path: new URL(request.url).pathname, body });
    return handle(request, body);
  };
  const api = createApiClient({ baseUrl: "http://127.0.0.1:1", token: "t" }, fetchImpl as typeof fetch);
  return { api, requests };
}

function withCache(children: ReactNode) {
  return <QueryClientProvider client={createQueryClient()}>{children}</QueryClientProvider>;
}

const field = (name: string) => screen.getByTestId(`param-${name}`) as HTMLInputElement;
const messages = () =>
  Object.fromEntries(
    screen
      .getAllByTestId("field-error")
      .map((element) => [element.getAttribute("data-path"), element.textContent]),
  );

/** The run form over the real hook, so it posts through the api client. */
function LiveRunForm({ api, onRan }: { api: ApiClient; onRan: (job: Job) => void }) {
  const { run } = useTemplates(api);
  return <RunForm template={template()} run={run} onRan={onRan} />;
}

afterEach(cleanup);

describe("run values, checked on the client by the api's rules", () => {
  const valid = { ...initialValues(PARAMETERS), text: "abc", token: "s3cret" };

  it("a form starts from the defaults, a secret never prefilled", () => {
    expect(initialValues(PARAMETERS)).toEqual({
      text: "",
      count: "3",
      flag: true,
      color: "red",
      where: "~",
      token: "",
      note: "",
    });
  });

  it("valid values make the body; an empty optional one is left out for its default", () => {
    expect(checkRunValues(PARAMETERS, valid)).toEqual({
      errors: {},
      body: { text: "abc", count: 3, flag: true, color: "red", where: "~", token: "s3cret" },
    });
  });

  it.each([
    ["text", "", "is required"],
    ["text", "ABC", "must match the pattern [a-z]+"],
    ["count", "many", "must be a number"],
    ["count", "2.5", "must be a whole number"],
    ["count", "0", "must be at least 1"],
    ["count", "11", "must be at most 10"],
    ["color", "blue", 'must be one of "red", "green"'],
    ["where", "", "is required"],
    ["token", "", "is required"],
  ])("%s = %j: %s", (name, value, message) => {
    const { errors, body } = checkRunValues(PARAMETERS, { ...valid, [name]: value });
    expect(errors).toEqual({ [`parameters.${name}`]: message });
    expect(body).not.toHaveProperty(name);
  });
});

describe("the run form, generated from the parameters", () => {
  it("has one input per parameter by its type", () => {
    render(
      <RunForm
        template={template()}
        run={async () => ({ ok: false, problem: unreachable })}
        onRan={() => {}}
      />,
    );
    expect(field("text").type).toBe("text");
    expect(field("text").getAttribute("pattern")).toBe("[a-z]+");
    expect(field("count").type).toBe("number");
    expect([field("count").min, field("count").max]).toEqual(["1", "10"]);
    expect(field("flag").type).toBe("checkbox");
    expect(field("flag").checked).toBe(true);
    expect(field("color").tagName).toBe("SELECT");
    expect(field("color").value).toBe("red");
    expect(field("where").type).toBe("text");
    expect(field("where").value).toBe("~");
    expect(field("token").type).toBe("password");
    expect(field("token").value).toBe("");
    expect(screen.getByText("v2")).toBeTruthy();
  });

  it("shows each invalid field's message beside it and sends nothing", async () => {
    let runs = 0;
    render(
      <RunForm
        template={template()}
        run={async () => {
          runs += 1;
          return { ok: false, problem: unreachable };
        }}
        onRan={() => {}}
      />,
    );
    fireEvent.change(field("text"), { target: { value: "NOPE" } });
    fireEvent.change(field("count"), { target: { value: "12" } });
    await act(async () => fireEvent.click(screen.getByTestId("run-template")));
    expect(messages()).toEqual({
      "parameters.text": "must match the pattern [a-z]+",
      "parameters.count": "must be at most 10",
      "parameters.token": "is required",
    });
    expect(runs).toBe(0);
  });

  it("posts the values, shows the api's field errors, and hands over the job", async () => {
    const ran: Job[] = [];
    const { api, requests } = fakeApi((_request, body) => {
      const given = (body as { parameters: Record<string, unknown> }).parameters;
      if (given.where === "/nowhere")
        return json(400, {
          type: "urn:convoy:problem:validation",
          title: "Invalid",
          status: 400,
          errors: [{ path: "parameters.where", message: "no such directory" }],
        });
      return json(201, { id: "job-9", status: "queued" });
    });
    render(withCache(<LiveRunForm api={api} onRan={(job) => ran.push(job)} />));
    fireEvent.change(field("text"), { target: { value: "abc" } });
    fireEvent.change(field("where"), { target: { value: "/nowhere" } });
    fireEvent.change(field("token"), { target: { value: "s3cret" } });
    await act(async () => fireEvent.click(screen.getByTestId("run-template")));
    await waitFor(() => expect(messages()).toEqual({ "parameters.where": "no such directory" }));
    fireEvent.change(field("where"), { target: { value: "/tmp" } });
    await act(async () => fireEvent.click(screen.getByTestId("run-template")));
    await waitFor(() => expect(ran.map((job) => job.id)).toEqual(["job-9"]));
    const posted = requests.filter((r) => r.path === "/templates/t1/runs");
    expect(posted.at(-1)?.body).toEqual({
      parameters: { text: "abc", count: 3, flag: true, color: "red", where: "/tmp", token: "s3cret" },
    });
    // The secret is typed again for the next run.
    expect(field("token").value).toBe("");
  });
});

const unreachable = {
  type: "urn:convoy:problem:unreachable" as const,
  title: "unreachable",
  status: 0,
};

describe("the template editor", () => {
  it("shows the api's field errors beside their fields, others below", async () => {
    let saved: unknown = null;
    render(
      <TemplateEditor
        template={null}
        save={async (_id, definition) => {
          saved = definition;
          return {
            ok: false,
            problem: {
              type: "urn:convoy:problem:validation",
              title: "Invalid",
              status: 400,
              detail: "the template is invalid",
              errors: [
                { path: "command", message: "the placeholder {{x}} names no parameter" },
                { path: "parameters.0.name", message: "must be an identifier" },
                { path: "retries.count", message: "Too big: expected number to be <=100" },
                { path: "somewhere.else", message: "odd" },
              ],
            },
          };
        }}
        onSaved={() => {}}
        onCancel={() => {}}
      />,
    );
    fireEvent.change(screen.getByTestId("template-name"), { target: { value: "N" } });
    fireEvent.change(screen.getByTestId("template-command"), { target: { value: "echo {{x}}" } });
    fireEvent.click(screen.getByTestId("add-parameter"));
    fireEvent.change(screen.getByTestId("parameter-0-name"), { target: { value: "1bad" } });
    fireEvent.change(screen.getByTestId("parameter-0-type"), { target: { value: "number" } });
    fireEvent.change(screen.getByTestId("parameter-0-min"), { target: { value: "2" } });
    fireEvent.change(screen.getByTestId("template-retryCount"), { target: { value: "101" } });
    await act(async () => fireEvent.click(screen.getByTestId("save-template")));
    expect(saved).toMatchObject({
      name: "N",
      command: "echo {{x}}",
      parameters: [{ name: "1bad", type: "number", min: 2, required: true }],
      retries: { count: 101, delaySeconds: 0 },
      timeoutSeconds: null,
      concurrency: null,
      workingDirectory: null,
    });
    const beside = (path: string) =>
      document.querySelector(`[data-field="${path}"] [data-testid="field-error"]`)?.textContent;
    expect(beside("command")).toBe("the placeholder {{x}} names no parameter");
    expect(beside("parameters.0.name")).toBe("must be an identifier");
    expect(beside("retries.count")).toBe("Too big: expected number to be <=100");
    expect(screen.getByTestId("template-other-errors").textContent).toBe("somewhere.else: odd");
  });

  it("lists templates with their version; an edit saves a new one", async () => {
    let current = template({ parameters: [] });
    const { api, requests } = fakeApi((request, body) => {
      const path = new URL(request.url).pathname;
      if (request.method === "GET" && path === "/templates")
        return json(200, { items: [current], nextCursor: null });
      if (request.method === "PUT" && path === "/templates/t1") {
        current = { ...current, ...(body as object), version: current.version + 1 };
        return json(200, current);
      }
      return json(404, { type: "urn:convoy:problem:not-found", title: "Not found", status: 404 });
    });
    render(withCache(<TemplatesView api={api} onRan={() => {}} />));
    await waitFor(() => expect(screen.getByTestId("template-version").textContent).toBe("v2"));
    fireEvent.click(screen.getByTestId("edit-template"));
    fireEvent.change(screen.getByTestId("template-name"), { target: { value: "Renamed" } });
    await act(async () => fireEvent.click(screen.getByTestId("save-template")));
    await waitFor(() => expect(screen.getByTestId("template-version").textContent).toBe("v3"));
    expect(screen.getByText("Renamed")).toBeTruthy();
    expect(requests.filter((r) => r.method === "GET").length).toBe(1);
  });

  it("duplicate adds the copy to the list and opens it; delete takes a template out", async () => {
    let items = [template({ parameters: [] })];
    const { api, requests } = fakeApi((request) => {
      const path = new URL(request.url).pathname;
      if (request.method === "GET" && path === "/templates") return json(200, { items, nextCursor: null });
      if (request.method === "POST" && path === "/templates/t1/duplicate") {
        const copy = template({ id: "t2", version: 1, name: "Everything (copy)", parameters: [] });
        items = [copy, ...items];
        return json(201, copy);
      }
      if (request.method === "DELETE" && path === "/templates/t1") {
        items = items.filter((item) => item.id !== "t1");
        return json(204, null);
      }
      return json(404, { type: "urn:convoy:problem:not-found", title: "Not found", status: 404 });
    });
    const confirm = window.confirm;
    window.confirm = () => true;
    try {
      render(withCache(<TemplatesView api={api} onRan={() => {}} />));
      await screen.findByTestId("template");
      await act(async () => fireEvent.click(screen.getByTestId("duplicate-template")));
      const names = () =>
        screen.getAllByTestId("template").map((row) => row.getAttribute("data-template-id"));
      await waitFor(() => expect(names()).toEqual(["t2", "t1"]));
      expect((screen.getByTestId("template-name") as HTMLInputElement).value).toBe("Everything (copy)");
      const original = screen.getAllByTestId("delete-template")[1];
      await act(async () => fireEvent.click(original as HTMLElement));
      await waitFor(() => expect(names()).toEqual(["t2"]));
      expect(requests.filter((r) => r.method === "GET").length).toBe(1);
    } finally {
      window.confirm = confirm;
    }
  });
});

describe("re-running a job", () => {
  const original = { id: "job-1", status: "succeeded", secretParameters: ["token"] } as unknown as Job;

  it("asks for the secrets the api needs again, then retries with them", async () => {
    const rerun: Job[] = [];
    const { api, requests } = fakeApi((_request, body) => {
      const secrets = (body as { secrets: Record<string, string> }).secrets;
      if (!("token" in secrets))
        return json(400, {
          type: "urn:runbook:problem:secrets-required",
          title: "Secrets required",
          status: 400,
          errors: [{ path: "secrets.token", message: "is needed again" }],
        });
      return json(201, { id: "job-2", status: "queued" });
    });
    render(withCache(<RerunButton api={api} job={original} onRerun={(job) => rerun.push(job)} />));
    await act(async () => fireEvent.click(screen.getByTestId("rerun-job")));
    const input = (await screen.findByTestId("rerun-secret-token")) as HTMLInputElement;
    expect(input.type).toBe("password");
    expect(rerun).toEqual([]);
    fireEvent.change(input, { target: { value: "s3cret" } });
    await act(async () => fireEvent.click(screen.getByTestId("rerun-with-secrets")));
    await waitFor(() => expect(rerun.map((job) => job.id)).toEqual(["job-2"]));
    expect(requests.map((r) => [r.path, r.body])).toEqual([
      ["/jobs/job-1/rerun", { secrets: {} }],
      ["/jobs/job-1/rerun", { secrets: { token: "s3cret" } }],
    ]);
    expect(screen.queryByTestId("rerun-secrets")).toBeNull();
  });

  it("a job without secrets re-runs at once; a refusal is shown", async () => {
    const { api } = fakeApi(() =>
      json(404, { type: "urn:convoy:problem:not-found", title: "Not found", status: 404 }),
    );
    render(withCache(<RerunButton api={api} job={original} />));
    await act(async () => fireEvent.click(screen.getByTestId("rerun-job")));
    await waitFor(() =>
      expect(screen.getByTestId("rerun-problem").getAttribute("data-problem-type")).toBe(
        "urn:convoy:problem:not-found",
      ),
    );
  });
});
