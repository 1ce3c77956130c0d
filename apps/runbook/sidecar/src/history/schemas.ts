/**
 * The history API on the wire: a run's output as numbered lines, full-text
 * search over every run's output, and search inside one run. The single
 * source the OpenAPI document, the request validation and the UI's client
 * come from.
 */
import { z } from "@hono/zod-openapi";
import { JobFiltersSchema, JobSchema } from "../jobs/schemas.ts";

/** Lines longer than this many UTF-8 bytes are served clipped to it. */
export const MAX_LINE_BYTES = 64 * 1024;
/** Most lines in one answer of GET /jobs/{id}/lines. */
export const MAX_LINES = 2000;
/** Most characters of a matching line a search result carries, around its first match. */
export const SNIPPET_CHARS = 300;
/** Most matching lines listed per run in a search result. */
export const LINES_PER_RUN = 5;
export const MAX_QUERY_CHARS = 1000;

const stream = z.enum(["stdout", "stderr"]);

export const JobLinesQuerySchema = z.object({
  from: z.coerce
    .number()
    .int()
    .min(0)
    .default(0)
    .openapi({
      // Stated in full: the generator infers "or null" from z.coerce taking null.
      type: "integer",
      minimum: 0,
      default: 0,
      param: { name: "from", in: "query" },
      description: "The first line's number (0-based)",
    }),
  count: z.coerce
    .number()
    .int()
    .min(1)
    .max(MAX_LINES)
    .default(500)
    .openapi({ param: { name: "count", in: "query" }, description: "Most lines in the answer" }),
});

export const LineSchema = z
  .object({
    n: z.number().int().min(0).openapi({ description: "The line's number in the run, from 0" }),
    stream,
    text: z.string().openapi({
      description:
        "The line without its ending (`\\n`, or `\\r\\n`), as the job wrote it: it may hold ANSI SGR " +
        "sequences, a bare `\\r` (a progress line redrawn in place), and U+FFFD for bytes that were not " +
        "UTF-8. Clipped to its first 64 KiB when longer (GET /jobs/{id}/output has it whole)",
    }),
    clipped: z.number().int().optional().openapi({
      description: "Present when `text` is clipped: the line's whole length in UTF-8 bytes",
    }),
  })
  .openapi("Line");

export const JobLinesSchema = z
  .object({
    lines: z.array(LineSchema),
    total: z
      .number()
      .int()
      .min(0)
      .openapi({
        description:
          "Lines stored so far. The api stores a running job's output about every second, and a line " +
          "once it has ended (or the job has): follow live output with GET /jobs/{id}/output, and read " +
          "history here",
      }),
    complete: z.boolean().openapi({
      description: "True once the job has ended and all its output is stored as lines: `total` is final",
    }),
    truncated: z.boolean().openapi({
      description:
        "True when the run reached its output cap: what it wrote past it was dropped " +
        "(`outputDroppedBytes` of the job says how much)",
    }),
  })
  .openapi("JobLines");

const query = z
  .string()
  .regex(/\S/, { message: "must not be blank", abort: true })
  .max(MAX_QUERY_CHARS)
  .openapi({
    param: { name: "q", in: "query" },
    description:
      "Words to find, all of them, in one line; a part in double quotes is a phrase (its words in " +
      "that order). Case and accents do not matter; punctuation only separates words (`a/b.c` is the " +
      "phrase `a b c`). Nothing else is syntax: `*`, `-`, `:`, `NEAR`, `AND`, `OR` are words or " +
      "separators. A `q` without a letter or digit in it is refused (400). A line is searched in its " +
      "first 65,536 characters",
    example: '"connection refused" db01',
  });

export const SearchQuerySchema = JobFiltersSchema.extend({
  q: query,
  limit: z.coerce
    .number()
    .int()
    .min(1)
    .max(50)
    .default(20)
    .openapi({ param: { name: "limit", in: "query" }, description: "Most runs in one answer" }),
  cursor: z
    .string()
    .optional()
    .openapi({
      param: { name: "cursor", in: "query" },
      description: "nextCursor from the previous page; absent or empty for the first page",
    }),
});

export const SearchLineSchema = z
  .object({
    n: z
      .number()
      .int()
      .min(0)
      .openapi({ description: "The line's number in the run (GET /jobs/{id}/lines)" }),
    stream,
    text: z.string().openapi({
      description:
        `The line, or about ${SNIPPET_CHARS} characters of it around its first match. A line is ` +
        "searched in its first 65,536 characters (what is served of a line longer than 64 KiB)",
    }),
    ranges: z.array(z.tuple([z.number().int().min(0), z.number().int().min(0)])).openapi({
      description:
        "Where `text` matches: [start, end) offsets in UTF-16 code units (JavaScript string " +
        "indices), in order, not overlapping",
    }),
  })
  .openapi("SearchLine");

export const SearchHitSchema = z
  .object({
    job: JobSchema,
    lines: z.array(SearchLineSchema).openapi({
      description: `The run's first matching lines, at most ${LINES_PER_RUN}, in line order`,
    }),
    more: z.number().int().min(0).openapi({ description: "Matching lines of the run beyond those listed" }),
  })
  .openapi("SearchHit");

export const SearchPageSchema = z
  .object({
    items: z.array(SearchHitSchema).openapi({ description: "Runs with a matching line, newest first" }),
    nextCursor: z
      .string()
      .nullable()
      .openapi({ description: "Pass as `cursor` to get the next page; null on the last page" }),
  })
  .openapi("SearchPage");

export const JobSearchQuerySchema = z.object({
  q: query,
  from: z.coerce
    .number()
    .int()
    .min(0)
    .optional()
    .openapi({
      type: "integer",
      minimum: 0,
      param: { name: "from", in: "query" },
      description:
        "The line to search from, itself excluded: `next` finds the first match after it, `prev` the " +
        "last one before it. Absent: `next` finds the run's first match, `prev` its last",
    }),
  direction: z
    .enum(["next", "prev"])
    .default("next")
    .openapi({ param: { name: "direction", in: "query" } }),
});

export const JobSearchSchema = z
  .object({
    n: z.number().int().min(0).nullable().openapi({ description: "The matching line's number; null: none" }),
    count: z.number().int().min(0).openapi({ description: "Matching lines in the whole run" }),
  })
  .openapi("JobSearch");

export type JobLines = z.infer<typeof JobLinesSchema>;
export type SearchLine = z.infer<typeof SearchLineSchema>;
export type SearchPage = z.infer<typeof SearchPageSchema>;
