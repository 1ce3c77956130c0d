/**
 * Runbook's settings from the environment: each is an integer variable with
 * a default and bounds; anything else is an EnvError naming the variable,
 * which the entry point turns into exit code 2.
 */
import { EnvError, type EnvSource } from "@convoy/sidecar-runtime";

export interface IntegerSetting {
  variable: string;
  fallback: number;
  min: number;
  max: number;
}

/** The setting's value: decimal digits only; unset or empty is its default. */
export function readIntegerSetting(setting: IntegerSetting, source: EnvSource = process.env): number {
  const value = source[setting.variable];
  if (value === undefined || value === "") return setting.fallback;
  const number = /^\d{1,16}$/.test(value) ? Number(value) : Number.NaN;
  if (!(number >= setting.min && number <= setting.max)) {
    throw new EnvError(
      setting.variable,
      `must be an integer from ${setting.min} to ${setting.max} (got ${JSON.stringify(value)})`,
    );
  }
  return number;
}
