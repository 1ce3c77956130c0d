import { type FormEvent, type ReactNode, useId, useState } from "react";
import type { Problem } from "../../lib/api/client";
import { describeError } from "../../lib/errors";
import { definitionOf, draftOf, emptyParameter, type ParameterDraft, type TemplateDraft } from "./draft";
import { type FieldErrors, type ParameterType, problemFieldErrors, type Template } from "./parameters";
import { FieldMessage } from "./RunForm";
import type { Outcome } from "./useTemplates";

const TYPES: readonly ParameterType[] = ["string", "number", "boolean", "choice", "path", "secret"];

/** Creates a template, or saves a new version of one; the api's field errors show beside their fields. */
export function TemplateEditor({
  template,
  save,
  onSaved,
  onCancel,
}: {
  template: Template | null;
  save: (id: string | null, definition: ReturnType<typeof definitionOf>) => Promise<Outcome<Template>>;
  onSaved: (template: Template) => void;
  onCancel: () => void;
}) {
  const [draft, setDraft] = useState<TemplateDraft>(() => draftOf(template));
  const [problem, setProblem] = useState<Problem | null>(null);
  const [saving, setSaving] = useState(false);
  const errors = problemFieldErrors(problem);

  const set = <K extends keyof TemplateDraft>(key: K, value: TemplateDraft[K]) =>
    setDraft((current) => ({ ...current, [key]: value }));
  const setParameter = (index: number, change: Partial<ParameterDraft>) =>
    set(
      "parameters",
      draft.parameters.map((parameter, at) => (at === index ? { ...parameter, ...change } : parameter)),
    );

  const onSubmit = async (event: FormEvent) => {
    event.preventDefault();
    setSaving(true);
    const result = await save(template?.id ?? null, definitionOf(draft));
    setSaving(false);
    if (result.ok) onSaved(result.value);
    else setProblem(result.problem);
  };

  const text = (path: keyof TemplateDraft, label: string, props: { placeholder?: string } = {}) => (
    <Field label={label} path={errorPath(path)} errors={errors}>
      {(id) => (
        <input
          id={id}
          data-testid={`template-${path}`}
          value={draft[path] as string}
          onChange={(event) => set(path, event.target.value)}
          {...props}
        />
      )}
    </Field>
  );

  const shown = new Set<string>();
  const mark = (path: string) => shown.add(path);
  const fieldPaths = [
    "name",
    "description",
    "command",
    "workingDirectory",
    "env",
    "timeoutSeconds",
    "retries.count",
    "retries.delaySeconds",
    "concurrency",
  ];
  for (const path of fieldPaths) mark(path);
  draft.parameters.forEach((_, index) => {
    for (const field of [
      "",
      ".name",
      ".label",
      ".type",
      ".pattern",
      ".min",
      ".max",
      ".options",
      ".kind",
      ".default",
    ])
      mark(`parameters.${index}${field}`);
  });
  const others = Object.entries(errors).filter(([path]) => !shown.has(path));

  return (
    <form className="template-editor" data-testid="template-editor" noValidate onSubmit={onSubmit}>
      <h3>
        {template
          ? `Edit ${template.name} (v${template.version}; saving makes v${template.version + 1})`
          : "New template"}
      </h3>
      {text("name", "Name")}
      <Field label="Description" path="description" errors={errors}>
        {(id) => (
          <textarea
            id={id}
            data-testid="template-description"
            rows={2}
            value={draft.description}
            onChange={(event) => set("description", event.target.value)}
          />
        )}
      </Field>
      <Field label="Command" path="command" errors={errors}>
        {(id) => (
          <textarea
            id={id}
            data-testid="template-command"
            className="mono"
            rows={3}
            placeholder="e.g. du -sh -- {{directory}}"
            value={draft.command}
            onChange={(event) => set("command", event.target.value)}
          />
        )}
      </Field>
      <fieldset className="parameters">
        <legend>Parameters</legend>
        {draft.parameters.map((parameter, index) => (
          <ParameterEditor
            key={parameter.key}
            index={index}
            parameter={parameter}
            errors={errors}
            change={(change) => setParameter(index, change)}
            remove={() =>
              set(
                "parameters",
                draft.parameters.filter((_, at) => at !== index),
              )
            }
          />
        ))}
        <button
          type="button"
          data-testid="add-parameter"
          onClick={() => set("parameters", [...draft.parameters, emptyParameter()])}
        >
          Add parameter
        </button>
      </fieldset>
      {text("workingDirectory", "Working directory", { placeholder: "home directory" })}
      <Field label="Environment (NAME=value, one a line)" path="env" errors={errors}>
        {(id) => (
          <textarea
            id={id}
            data-testid="template-env"
            className="mono"
            rows={2}
            value={draft.env}
            onChange={(event) => set("env", event.target.value)}
          />
        )}
      </Field>
      <div className="field-row">
        {text("timeoutSeconds", "Timeout (s)", { placeholder: "none" })}
        {text("retryCount", "Retries")}
        {text("retryDelaySeconds", "Retry delay (s)")}
        {text("concurrency", "Concurrency limit", { placeholder: "none" })}
      </div>
      {others.length > 0 && (
        <ul className="error" data-testid="template-other-errors">
          {others.map(([path, message]) => (
            <li key={path}>
              {path}: {message}
            </li>
          ))}
        </ul>
      )}
      {problem && (
        <p className="error" role="alert" data-testid="template-problem" data-problem-type={problem.type}>
          {describeError(problem)}
        </p>
      )}
      <div className="actions">
        <button type="submit" data-testid="save-template" disabled={saving}>
          {saving ? "Saving…" : "Save"}
        </button>
        <button type="button" onClick={onCancel}>
          Cancel
        </button>
      </div>
    </form>
  );
}

/** The api's name for a draft field. */
function errorPath(field: keyof TemplateDraft): string {
  if (field === "retryCount") return "retries.count";
  if (field === "retryDelaySeconds") return "retries.delaySeconds";
  return field;
}

function Field({
  label,
  path,
  errors,
  children,
}: {
  label: string;
  path: string;
  errors: FieldErrors;
  children: (id: string) => ReactNode;
}) {
  const id = useId();
  return (
    <div className="field" data-field={path}>
      <label className="field-label" htmlFor={id}>
        {label}
      </label>
      {children(id)}
      <FieldMessage path={path} errors={errors} />
    </div>
  );
}

function ParameterEditor({
  index,
  parameter,
  errors,
  change,
  remove,
}: {
  index: number;
  parameter: ParameterDraft;
  errors: FieldErrors;
  change: (change: Partial<ParameterDraft>) => void;
  remove: () => void;
}) {
  const at = `parameters.${index}`;
  const testId = (field: string) => `parameter-${index}-${field}`;
  return (
    <div className="parameter" data-testid="parameter-editor" data-index={index}>
      <FieldMessage path={at} errors={errors} />
      <div className="field-row">
        <Field label="Name" path={`${at}.name`} errors={errors}>
          {(id) => (
            <input
              id={id}
              data-testid={testId("name")}
              value={parameter.name}
              onChange={(e) => change({ name: e.target.value })}
            />
          )}
        </Field>
        <Field label="Type" path={`${at}.type`} errors={errors}>
          {(id) => (
            <select
              id={id}
              data-testid={testId("type")}
              value={parameter.type}
              onChange={(e) => change({ type: e.target.value as ParameterType, default: "" })}
            >
              {TYPES.map((type) => (
                <option key={type} value={type}>
                  {type}
                </option>
              ))}
            </select>
          )}
        </Field>
        <Field label="Label" path={`${at}.label`} errors={errors}>
          {(id) => (
            <input
              id={id}
              data-testid={testId("label")}
              value={parameter.label}
              onChange={(e) => change({ label: e.target.value })}
            />
          )}
        </Field>
        <label className="inline">
          <input
            type="checkbox"
            data-testid={testId("required")}
            checked={parameter.required}
            onChange={(e) => change({ required: e.target.checked })}
          />
          required
        </label>
        <button type="button" data-testid={testId("remove")} onClick={remove}>
          Remove
        </button>
      </div>
      <div className="field-row">
        {parameter.type === "string" && (
          <Field label="Pattern" path={`${at}.pattern`} errors={errors}>
            {(id) => (
              <input
                id={id}
                data-testid={testId("pattern")}
                className="mono"
                value={parameter.pattern}
                onChange={(e) => change({ pattern: e.target.value })}
              />
            )}
          </Field>
        )}
        {parameter.type === "number" && (
          <>
            <Field label="Min" path={`${at}.min`} errors={errors}>
              {(id) => (
                <input
                  id={id}
                  data-testid={testId("min")}
                  value={parameter.min}
                  onChange={(e) => change({ min: e.target.value })}
                />
              )}
            </Field>
            <Field label="Max" path={`${at}.max`} errors={errors}>
              {(id) => (
                <input
                  id={id}
                  data-testid={testId("max")}
                  value={parameter.max}
                  onChange={(e) => change({ max: e.target.value })}
                />
              )}
            </Field>
            <label className="inline">
              <input
                type="checkbox"
                data-testid={testId("integer")}
                checked={parameter.integer}
                onChange={(e) => change({ integer: e.target.checked })}
              />
              whole numbers
            </label>
          </>
        )}
        {parameter.type === "choice" && (
          <Field label="Options (one a line)" path={`${at}.options`} errors={errors}>
            {(id) => (
              <textarea
                id={id}
                data-testid={testId("options")}
                rows={3}
                value={parameter.options}
                onChange={(e) => change({ options: e.target.value })}
              />
            )}
          </Field>
        )}
        {parameter.type === "path" && (
          <Field label="Kind" path={`${at}.kind`} errors={errors}>
            {(id) => (
              <select
                id={id}
                data-testid={testId("kind")}
                value={parameter.kind}
                onChange={(e) => change({ kind: e.target.value as ParameterDraft["kind"] })}
              >
                <option value="file">file</option>
                <option value="directory">directory</option>
              </select>
            )}
          </Field>
        )}
        {parameter.type === "boolean" && (
          <Field label="Default" path={`${at}.default`} errors={errors}>
            {(id) => (
              <select
                id={id}
                data-testid={testId("default")}
                value={parameter.default}
                onChange={(e) => change({ default: e.target.value })}
              >
                <option value="">(none)</option>
                <option value="true">true</option>
                <option value="false">false</option>
              </select>
            )}
          </Field>
        )}
        {parameter.type !== "boolean" && parameter.type !== "secret" && (
          <Field label="Default" path={`${at}.default`} errors={errors}>
            {(id) => (
              <input
                id={id}
                data-testid={testId("default")}
                value={parameter.default}
                onChange={(e) => change({ default: e.target.value })}
              />
            )}
          </Field>
        )}
      </div>
    </div>
  );
}
