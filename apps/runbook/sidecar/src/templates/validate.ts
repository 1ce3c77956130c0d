/**
 * What zod's shapes cannot say about a template: every placeholder names a
 * parameter, names are identifiers and unique, defaults obey their own
 * types; and a run's values, checked against the parameters' types. Each
 * failure names its field (`path`), as problem+json's `errors` carries it.
 */
import { homedir } from "node:os";
import { PARAMETER_NAME, type Parameter, type ParameterValue, type TemplateDefinition } from "./schemas.ts";
import { placeholderSites, renderWithVariables } from "./shell-quoting.ts";

export interface FieldError {
  path: string;
  message: string;
}

export const PARAMETER_VARIABLE_PREFIX = "RUNBOOK_PARAM_";

/** The placeholders of `command`, in order of appearance (repeats included). */
export function placeholders(command: string): string[] {
  return placeholderSites(command).map((site) => site.name);
}

export function validateDefinition(definition: TemplateDefinition): FieldError[] {
  const errors: FieldError[] = [];
  const names = new Set<string>();
  definition.parameters.forEach((parameter, index) => {
    const at = `parameters.${index}`;
    if (!PARAMETER_NAME.test(parameter.name)) {
      errors.push({
        path: `${at}.name`,
        message: "must be an identifier: a letter or _, then letters, digits or _ (at most 64)",
      });
    } else if (names.has(parameter.name)) {
      errors.push({ path: `${at}.name`, message: `another parameter is named ${parameter.name} already` });
    }
    names.add(parameter.name);
    errors.push(...validateParameter(parameter, at));
  });
  const sites = placeholderSites(definition.command);
  for (const name of new Set(sites.map((site) => site.name))) {
    if (!names.has(name)) {
      errors.push({ path: "command", message: `the placeholder {{${name}}} names no parameter` });
    }
  }
  for (const site of sites.filter((s) => s.quoting === "single")) {
    errors.push({
      path: "command",
      message: `the placeholder {{${site.name}}} stands inside single quotes, where no value can expand: put it outside them or in double quotes`,
    });
  }
  return errors;
}

function validateParameter(parameter: Parameter, at: string): FieldError[] {
  const errors: FieldError[] = [];
  if (
    parameter.type === "string" &&
    parameter.pattern !== undefined &&
    compilePattern(parameter.pattern) === null
  ) {
    errors.push({ path: `${at}.pattern`, message: "is not a valid regular expression" });
    return errors;
  }
  if (parameter.type === "number" && parameter.min !== undefined && parameter.max !== undefined) {
    if (parameter.min > parameter.max) {
      errors.push({ path: `${at}.min`, message: `must not be greater than max (${parameter.max})` });
      return errors;
    }
  }
  if (parameter.type === "choice" && new Set(parameter.options).size !== parameter.options.length) {
    errors.push({ path: `${at}.options`, message: "must not repeat an option" });
  }
  if (parameter.type !== "secret" && parameter.default !== undefined) {
    const problem = valueProblem(parameter, parameter.default);
    if (problem !== null) errors.push({ path: `${at}.default`, message: `the default ${problem}` });
  }
  return errors;
}

/** Matches the whole value, as a pattern in an HTML form does. */
function compilePattern(pattern: string): RegExp | null {
  try {
    return new RegExp(`^(?:${pattern})$`, "u");
  } catch {
    return null;
  }
}

/** The longest value a parameter takes: it travels in the environment. */
const MAX_VALUE_LENGTH = 32_768;

/** What is wrong with `value` for `parameter`, or null when it is a value of its type. */
function valueProblem(parameter: Parameter, value: ParameterValue): string | null {
  switch (parameter.type) {
    case "number": {
      if (typeof value !== "number" || !Number.isFinite(value)) return "must be a number";
      if (parameter.integer === true && !Number.isInteger(value)) return "must be a whole number";
      if (parameter.min !== undefined && value < parameter.min) return `must be at least ${parameter.min}`;
      if (parameter.max !== undefined && value > parameter.max) return `must be at most ${parameter.max}`;
      return null;
    }
    case "boolean":
      return typeof value === "boolean" ? null : "must be true or false";
    default: {
      if (typeof value !== "string") return "must be a string";
      // The environment cannot carry a NUL: the value would be cut short there.
      if (value.includes("\0")) return "must not contain a NUL character";
      if (value.length > MAX_VALUE_LENGTH) return `must be at most ${MAX_VALUE_LENGTH} characters`;
      if (parameter.type === "choice" && !parameter.options.includes(value)) {
        return `must be one of ${parameter.options.map((option) => JSON.stringify(option)).join(", ")}`;
      }
      if ((parameter.type === "path" || parameter.type === "secret") && value === "")
        return "must not be empty";
      if (parameter.type === "string" && parameter.pattern !== undefined) {
        const pattern = compilePattern(parameter.pattern);
        if (pattern !== null && !pattern.test(value)) return `must match the pattern ${parameter.pattern}`;
      }
      return null;
    }
  }
}

/** A run's values, resolved against the template's parameters. */
export interface ResolvedValues {
  /** What the run records: every non-secret parameter's value (null: optional and not given). */
  recorded: Record<string, ParameterValue | null>;
  /** The names of the secret parameters, whose values are never recorded. */
  secretNames: string[];
  /** `RUNBOOK_PARAM_<name>` → value for the job's environment, secrets excluded. */
  env: Record<string, string>;
  /** `RUNBOOK_PARAM_<name>` → value of each secret parameter. */
  secretEnv: Record<string, string>;
}

export function resolveValues(
  parameters: readonly Parameter[],
  given: Readonly<Record<string, ParameterValue>>,
): { values: ResolvedValues; errors: FieldError[] } {
  const errors: FieldError[] = [];
  const values: ResolvedValues = { recorded: {}, secretNames: [], env: {}, secretEnv: {} };
  const known = new Set(parameters.map((parameter) => parameter.name));
  for (const name of Object.keys(given)) {
    if (!known.has(name))
      errors.push({ path: `parameters.${name}`, message: "is not a parameter of this template" });
  }
  for (const parameter of parameters) {
    const path = `parameters.${parameter.name}`;
    const variable = PARAMETER_VARIABLE_PREFIX + parameter.name;
    const value = Object.hasOwn(given, parameter.name)
      ? given[parameter.name]
      : parameter.type === "secret"
        ? undefined
        : parameter.default;
    if (parameter.type === "secret") values.secretNames.push(parameter.name);
    if (value === undefined) {
      if (parameter.required) errors.push({ path, message: "is required" });
      else if (parameter.type === "secret") values.secretEnv[variable] = "";
      else {
        values.recorded[parameter.name] = null;
        values.env[variable] = "";
      }
      continue;
    }
    const problem = valueProblem(parameter, value);
    if (problem !== null) {
      errors.push({ path, message: problem });
      continue;
    }
    if (parameter.type === "secret") {
      values.secretEnv[variable] = String(value);
      continue;
    }
    values.recorded[parameter.name] = value;
    values.env[variable] = parameter.type === "path" ? expandHome(String(value)) : String(value);
  }
  return { values, errors };
}

/**
 * The command as the shell gets it: each `{{name}}` replaced by a quoted
 * reference to `RUNBOOK_PARAM_name` (see shell-quoting.ts), so the shell
 * expands it to the value as one word and never parses the value itself.
 */
export function renderCommand(command: string): string {
  return renderWithVariables(command, PARAMETER_VARIABLE_PREFIX);
}

/** `~` and `~/…` name the user's home directory, as they would in a shell. */
export function expandHome(path: string): string {
  if (path === "~") return homedir();
  if (path.startsWith("~/")) return homedir() + path.slice(1);
  return path;
}
