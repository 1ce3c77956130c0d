/**
 * Keyset pagination cursors. Newest-first order is (created_at, id) descending;
 * a cursor names the last job of a page, so the next page starts strictly
 * after it and inserts in between never shift or repeat items.
 * Opaque to clients: base64url of a JSON pair.
 */
import { createProblem, ProblemError } from "@convoy/sidecar-runtime";

export interface JobCursor {
  createdAt: string;
  id: string;
}

const ISO_UTC = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d{1,9})?Z$/;

export function encodeCursor(cursor: JobCursor): string {
  return Buffer.from(JSON.stringify([cursor.createdAt, cursor.id])).toString("base64url");
}

/** Null for anything encodeCursor could not have produced. */
export function decodeCursor(text: string): JobCursor | null {
  // Buffer skips characters outside the alphabet; reject them instead.
  if (!/^[A-Za-z0-9_-]+$/.test(text)) return null;
  let pair: unknown;
  try {
    pair = JSON.parse(Buffer.from(text, "base64url").toString("utf8"));
  } catch {
    return null;
  }
  if (!Array.isArray(pair) || pair.length !== 2) return null;
  const [createdAt, id] = pair as unknown[];
  if (typeof createdAt !== "string" || !ISO_UTC.test(createdAt)) return null;
  if (typeof id !== "string" || id.length === 0) return null;
  return { createdAt, id };
}

/**
 * The cursor of a list request's `cursor` query: null for the first page
 * (absent or empty), else the decoded cursor; anything else is a validation
 * problem, thrown.
 */
export function pageCursor(cursor: string | undefined): JobCursor | null {
  if (cursor === undefined || cursor === "") return null;
  const decoded = decodeCursor(cursor);
  if (decoded !== null) return decoded;
  throw new ProblemError(
    createProblem("validation", {
      detail: "the request query is invalid",
      errors: [{ path: "cursor", message: "not a cursor this API returned" }],
    }),
  );
}
