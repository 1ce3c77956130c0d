import type { ParameterType, Template, TemplateDefinition, TemplateParameter } from "./parameters";

/** A parameter as the editor holds it: every field as typed. */
export interface ParameterDraft {
  key: number;
  name: string;
  label: string;
  type: ParameterType;
  required: boolean;
  pattern: string;
  min: string;
  max: string;
  integer: boolean;
  /** One option a line. */
  options: string;
  kind: "file" | "directory";
  /** Text; a boolean's default is "true", "false" or "". */
  default: string;
}

export interface TemplateDraft {
  name: string;
  description: string;
  command: string;
  parameters: ParameterDraft[];
  workingDirectory: string;
  /** One `NAME=value` a line. */
  env: string;
  timeoutSeconds: string;
  retryCount: string;
  retryDelaySeconds: string;
  concurrency: string;
}

let nextKey = 1;

export function emptyParameter(type: ParameterType = "string"): ParameterDraft {
  return {
    key: nextKey++,
    name: "",
    label: "",
    type,
    required: true,
    pattern: "",
    min: "",
    max: "",
    integer: false,
    options: "",
    kind: "file",
    default: "",
  };
}

export function draftOf(template: Template | null): TemplateDraft {
  if (!template) {
    return {
      name: "",
      description: "",
      command: "",
      parameters: [],
      workingDirectory: "",
      env: "",
      timeoutSeconds: "",
      retryCount: "0",
      retryDelaySeconds: "0",
      concurrency: "",
    };
  }
  return {
    name: template.name,
    description: template.description ?? "",
    command: template.command,
    parameters: (template.parameters ?? []).map(parameterDraft),
    workingDirectory: template.workingDirectory ?? "",
    env: Object.entries(template.env ?? {})
      .map(([name, value]) => `${name}=${value}`)
      .join("\n"),
    timeoutSeconds: template.timeoutSeconds == null ? "" : String(template.timeoutSeconds),
    retryCount: String(template.retries?.count ?? 0),
    retryDelaySeconds: String(template.retries?.delaySeconds ?? 0),
    concurrency: template.concurrency == null ? "" : String(template.concurrency),
  };
}

function parameterDraft(parameter: TemplateParameter): ParameterDraft {
  const draft = emptyParameter(parameter.type);
  draft.name = parameter.name;
  draft.label = parameter.label ?? "";
  draft.required = parameter.required !== false;
  if (parameter.type === "string") draft.pattern = parameter.pattern ?? "";
  if (parameter.type === "number") {
    draft.min = parameter.min === undefined ? "" : String(parameter.min);
    draft.max = parameter.max === undefined ? "" : String(parameter.max);
    draft.integer = parameter.integer === true;
  }
  if (parameter.type === "choice") draft.options = parameter.options.join("\n");
  if (parameter.type === "path") draft.kind = parameter.kind;
  if (parameter.type !== "secret" && parameter.default !== undefined)
    draft.default = String(parameter.default);
  return draft;
}

/** A number as typed, or the text itself when it is none (the api then names the field). */
function numberOr(text: string): number | undefined {
  const trimmed = text.trim();
  if (trimmed === "") return undefined;
  const value = Number(trimmed);
  return Number.isFinite(value) ? value : (trimmed as unknown as number);
}

export function definitionOf(draft: TemplateDraft): TemplateDefinition {
  const env: Record<string, string> = {};
  for (const line of draft.env.split("\n")) {
    if (line.trim() === "") continue;
    const at = line.indexOf("=");
    if (at < 0) env[line.trim()] = "";
    else env[line.slice(0, at).trim()] = line.slice(at + 1);
  }
  return {
    name: draft.name,
    description: draft.description,
    command: draft.command,
    parameters: draft.parameters.map(parameterOf),
    workingDirectory: draft.workingDirectory.trim() === "" ? null : draft.workingDirectory,
    env,
    timeoutSeconds: numberOr(draft.timeoutSeconds) ?? null,
    retries: { count: numberOr(draft.retryCount) ?? 0, delaySeconds: numberOr(draft.retryDelaySeconds) ?? 0 },
    concurrency: numberOr(draft.concurrency) ?? null,
  };
}

function parameterOf(draft: ParameterDraft): TemplateParameter {
  const base = {
    name: draft.name,
    required: draft.required,
    ...(draft.label.trim() === "" ? {} : { label: draft.label }),
  };
  const text = draft.default === "" ? {} : { default: draft.default };
  switch (draft.type) {
    case "string":
      return {
        ...base,
        type: "string",
        ...(draft.pattern === "" ? {} : { pattern: draft.pattern }),
        ...text,
      };
    case "number": {
      const value = numberOr(draft.default);
      return {
        ...base,
        type: "number",
        ...(numberOr(draft.min) === undefined ? {} : { min: numberOr(draft.min) }),
        ...(numberOr(draft.max) === undefined ? {} : { max: numberOr(draft.max) }),
        ...(draft.integer ? { integer: true } : {}),
        ...(value === undefined ? {} : { default: value }),
      };
    }
    case "boolean":
      return {
        ...base,
        type: "boolean",
        ...(draft.default === "" ? {} : { default: draft.default === "true" }),
      };
    case "choice": {
      const options = draft.options
        .split("\n")
        .map((option) => option.trim())
        .filter((option) => option !== "");
      return { ...base, type: "choice", options, ...text };
    }
    case "path":
      return { ...base, type: "path", kind: draft.kind, ...text };
    case "secret":
      return { ...base, type: "secret" };
  }
}
