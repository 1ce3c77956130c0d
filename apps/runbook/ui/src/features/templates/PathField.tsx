import { type ChangeEvent, useState } from "react";
import { describeError, type ShellError, shellError } from "../../lib/errors";
import type { PathKind, Platform } from "../../platform";

/** What the run form puts on every parameter's input. */
export interface InputProps {
  id: string;
  "aria-label": string;
  "data-testid": string;
  "data-type": string;
}

/**
 * A path parameter's input: a text field, always editable, and beside it
 * "Choose…" for the native open dialog where the platform has one. A chosen
 * path fills the field; cancelling leaves it as it was.
 */
export function PathField({
  input,
  name,
  label,
  kind,
  value,
  onChange,
  choosePath,
}: {
  input: InputProps;
  name: string;
  label: string;
  kind: PathKind;
  value: string;
  onChange: (value: string) => void;
  choosePath: Platform["choosePath"];
}) {
  const [choosing, setChoosing] = useState(false);
  const [error, setError] = useState<ShellError | null>(null);
  const what = kind === "directory" ? "a directory" : "a file";
  const field = (
    <input
      {...input}
      type="text"
      placeholder={kind === "directory" ? "a directory, e.g. ~/src" : "a file, e.g. ~/notes.txt"}
      value={value}
      onChange={(event: ChangeEvent<HTMLInputElement>) => onChange(event.target.value)}
    />
  );
  if (!choosePath) return field;

  const choose = async () => {
    setChoosing(true);
    setError(null);
    try {
      const chosen = await choosePath(kind, `Choose ${what} for ${label}`);
      if (chosen !== null) onChange(chosen);
    } catch (reason) {
      setError(shellError(reason));
    } finally {
      setChoosing(false);
    }
  };

  return (
    <>
      <span className="field-row path-field">
        {field}
        <button
          type="button"
          data-testid={`choose-${name}`}
          aria-label={`Choose ${what} for ${label}`}
          // One dialog at a time: a second click while it is open does nothing.
          disabled={choosing}
          onClick={() => void choose()}
        >
          Choose…
        </button>
      </span>
      {error && (
        <span className="field-error" role="alert" data-testid={`choose-${name}-error`}>
          {describeError(error)}
        </span>
      )}
    </>
  );
}
