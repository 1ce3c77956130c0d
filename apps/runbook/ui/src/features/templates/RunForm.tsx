import { type FormEvent, type ReactNode, useId, useState } from "react";
import type { Job, Problem } from "../../lib/api/client";
import { describeError } from "../../lib/errors";
import type { Platform } from "../../platform";
import { PathField } from "./PathField";
import {
  checkRunValues,
  type FieldErrors,
  type FormValues,
  initialValues,
  problemFieldErrors,
  type Template,
  type TemplateParameter,
} from "./parameters";
import type { Outcome, TemplatesView } from "./useTemplates";

/** A field's message beside it, when it has one. */
export function FieldMessage({ path, errors }: { path: string; errors: FieldErrors }) {
  const message = errors[path];
  return message ? (
    <span className="field-error" role="alert" data-testid="field-error" data-path={path}>
      {message}
    </span>
  ) : null;
}

/**
 * A run's values, one input per parameter by its type, checked here and then
 * by the api. `choosePath` is the platform's native file dialog, if it has one.
 */
export function RunForm({
  template,
  run,
  onRan,
  choosePath,
}: {
  template: Template;
  run: TemplatesView["run"];
  onRan: (job: Job) => void;
  choosePath?: Platform["choosePath"];
}) {
  const parameters = template.parameters ?? [];
  const [values, setValues] = useState<FormValues>(() => initialValues(parameters));
  const [errors, setErrors] = useState<FieldErrors>({});
  const [problem, setProblem] = useState<Problem | null>(null);
  const [running, setRunning] = useState(false);

  const onSubmit = async (event: FormEvent) => {
    event.preventDefault();
    const checked = checkRunValues(parameters, values);
    setErrors(checked.errors);
    setProblem(null);
    if (Object.keys(checked.errors).length > 0) return;
    setRunning(true);
    const result: Outcome<Job> = await run(template.id, checked.body);
    setRunning(false);
    if (result.ok) {
      // A secret is typed again for every run.
      setValues((current) => ({ ...current, ...secretsCleared(parameters) }));
      onRan(result.value);
    } else {
      setProblem(result.problem);
      setErrors(problemFieldErrors(result.problem));
    }
  };

  const set = (name: string, value: string | boolean) =>
    setValues((current) => ({ ...current, [name]: value }));

  return (
    <form className="run-form" data-testid="run-form" noValidate onSubmit={onSubmit}>
      <h3>
        Run {template.name} <span className="muted">v{template.version}</span>
      </h3>
      {parameters.length === 0 && <p className="muted">No parameters.</p>}
      {parameters.map((parameter) => (
        <ParameterField
          key={parameter.name}
          parameter={parameter}
          value={values[parameter.name] ?? ""}
          onChange={(value) => set(parameter.name, value)}
          choosePath={choosePath}
        >
          <FieldMessage path={`parameters.${parameter.name}`} errors={errors} />
        </ParameterField>
      ))}
      {problem && (
        <p className="error" role="alert" data-testid="run-problem" data-problem-type={problem.type}>
          {describeError(problem)}
        </p>
      )}
      <button type="submit" data-testid="run-template" disabled={running}>
        {running ? "Starting…" : "Run"}
      </button>
    </form>
  );
}

function secretsCleared(parameters: readonly TemplateParameter[]): FormValues {
  return Object.fromEntries(parameters.filter((p) => p.type === "secret").map((p) => [p.name, ""]));
}

function ParameterField({
  parameter,
  value,
  onChange,
  choosePath,
  children,
}: {
  parameter: TemplateParameter;
  value: string | boolean;
  onChange: (value: string | boolean) => void;
  choosePath: Platform["choosePath"];
  children: ReactNode;
}) {
  const label = parameter.label || parameter.name;
  const required = parameter.required !== false;
  const common = {
    id: useId(),
    "aria-label": label,
    "data-testid": `param-${parameter.name}`,
    "data-type": parameter.type,
  };
  const text = typeof value === "string" ? value : "";
  let input: ReactNode;
  switch (parameter.type) {
    case "boolean":
      input = (
        <input
          {...common}
          type="checkbox"
          checked={value === true}
          onChange={(e) => onChange(e.target.checked)}
        />
      );
      break;
    case "number":
      input = (
        <input
          {...common}
          type="number"
          inputMode="decimal"
          min={parameter.min}
          max={parameter.max}
          step={parameter.integer ? 1 : "any"}
          value={text}
          onChange={(e) => onChange(e.target.value)}
        />
      );
      break;
    case "choice":
      input = (
        <select {...common} value={text} onChange={(e) => onChange(e.target.value)}>
          {(!required || text === "") && <option value="">—</option>}
          {parameter.options.map((option) => (
            <option key={option} value={option}>
              {option}
            </option>
          ))}
        </select>
      );
      break;
    case "secret":
      // Never prefilled, never offered to autofill.
      input = (
        <input
          {...common}
          type="password"
          autoComplete="new-password"
          value={text}
          onChange={(e) => onChange(e.target.value)}
        />
      );
      break;
    case "path":
      input = (
        <PathField
          input={common}
          name={parameter.name}
          label={label}
          kind={parameter.kind}
          value={text}
          onChange={onChange}
          choosePath={choosePath}
        />
      );
      break;
    default:
      input = (
        <input
          {...common}
          type="text"
          pattern={parameter.pattern}
          placeholder={parameter.pattern ? `matches ${parameter.pattern}` : undefined}
          value={text}
          onChange={(e) => onChange(e.target.value)}
        />
      );
  }
  return (
    <div className="field" data-param={parameter.name}>
      <label className="field-label" htmlFor={common.id}>
        {label}
        {required && parameter.type !== "boolean" && " *"}
      </label>
      {input}
      {parameter.description && <span className="muted">{parameter.description}</span>}
      {children}
    </div>
  );
}
