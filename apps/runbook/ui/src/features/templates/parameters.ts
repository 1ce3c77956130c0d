import type { Problem } from "../../lib/api/client";
import type { components } from "../../lib/api/schema";

export type Template = components["schemas"]["Template"];
export type TemplateDefinition = components["schemas"]["TemplateDefinition"];
export type TemplateParameter = components["schemas"]["TemplateParameter"];
export type ParameterValue = components["schemas"]["ParameterValue"];
export type ParameterType = TemplateParameter["type"];

/** What a run form holds per parameter: text for every input but a checkbox. */
export type FormValues = Record<string, string | boolean>;

/** Field path → message, as problem+json's `errors` names them. */
export type FieldErrors = Record<string, string>;

/** The form's starting values: each parameter's default, a secret never prefilled. */
export function initialValues(parameters: readonly TemplateParameter[]): FormValues {
  const values: FormValues = {};
  for (const parameter of parameters) {
    if (parameter.type === "boolean") values[parameter.name] = parameter.default ?? false;
    else if (parameter.type === "secret") values[parameter.name] = "";
    else values[parameter.name] = parameter.default === undefined ? "" : String(parameter.default);
  }
  return values;
}

/** Matches the whole value, as the api (and an HTML form's `pattern`) does. */
function wholeMatch(pattern: string): RegExp | null {
  try {
    return new RegExp(`^(?:${pattern})$`, "u");
  } catch {
    return null;
  }
}

/**
 * Checks a run form's values by the api's rules (required, pattern, min/max,
 * whole numbers, options) and makes the request body. An empty optional
 * field is left out, so the api takes its default.
 */
export function checkRunValues(
  parameters: readonly TemplateParameter[],
  values: FormValues,
): { errors: FieldErrors; body: Record<string, ParameterValue> } {
  const errors: FieldErrors = {};
  const body: Record<string, ParameterValue> = {};
  for (const parameter of parameters) {
    const path = `parameters.${parameter.name}`;
    const raw = values[parameter.name];
    const required = parameter.required !== false;
    if (parameter.type === "boolean") {
      body[parameter.name] = raw === true;
      continue;
    }
    const text = typeof raw === "string" ? raw : "";
    if (text === "") {
      if (required) errors[path] = "is required";
      continue;
    }
    switch (parameter.type) {
      case "number": {
        const value = Number(text.trim());
        if (text.trim() === "" || !Number.isFinite(value)) errors[path] = "must be a number";
        else if (parameter.integer === true && !Number.isInteger(value))
          errors[path] = "must be a whole number";
        else if (parameter.min !== undefined && value < parameter.min)
          errors[path] = `must be at least ${parameter.min}`;
        else if (parameter.max !== undefined && value > parameter.max)
          errors[path] = `must be at most ${parameter.max}`;
        else body[parameter.name] = value;
        break;
      }
      case "choice":
        if (!parameter.options.includes(text))
          errors[path] =
            `must be one of ${parameter.options.map((option) => JSON.stringify(option)).join(", ")}`;
        else body[parameter.name] = text;
        break;
      case "string": {
        const pattern = parameter.pattern === undefined ? null : wholeMatch(parameter.pattern);
        if (pattern && !pattern.test(text)) errors[path] = `must match the pattern ${parameter.pattern}`;
        else body[parameter.name] = text;
        break;
      }
      default:
        body[parameter.name] = text;
    }
  }
  return { errors, body };
}

/** The field errors a problem carries (`errors`), by path. */
export function problemFieldErrors(problem: Problem | null): FieldErrors {
  const errors: FieldErrors = {};
  if (problem && "errors" in problem && problem.errors) {
    for (const { path, message } of problem.errors) errors[path] ??= message;
  }
  return errors;
}
