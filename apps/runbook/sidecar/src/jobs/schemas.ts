/**
 * The jobs API on the wire: the single source the OpenAPI document, the
 * request validation and the generated client all come from.
 */
import { z } from "@hono/zod-openapi";
import { JOB_FAILURES } from "./queue.ts";

export const JOB_STATUSES = ["queued", "running", "succeeded", "failed", "cancelled", "interrupted"] as const;

export const JobSchema = z
  .object({
    id: z.string().openapi({ example: "019a4c1e-7b2d-7c3e-8f00-1a2b3c4d5e6f" }),
    name: z.string(),
    command: z.string(),
    status: z.enum(JOB_STATUSES),
    exitCode: z.number().int().nullable(),
    progress: z.number().min(0).max(100).nullable().openapi({
      description:
        "Percent done, as the job last reported it (`::progress::42`, or `::progress::3/8`); null until then",
    }),
    progressSteps: z
      .object({ done: z.number().int().min(0), total: z.number().int().min(1) })
      .nullable()
      .openapi({
        description: "Steps done of how many, when its last progress line gave them (`::progress::3/8`)",
      }),
    statusLine: z.string().nullable().openapi({
      description:
        "The job's last status line (`::status::Copying files`, at most 200 characters); null until one",
    }),
    reason: z.string().nullable().openapi({
      description: "Why the job ended, when its status alone does not say (e.g. killed by SIGKILL)",
    }),
    createdAt: z.iso.datetime(),
    startedAt: z.iso.datetime().nullable(),
    finishedAt: z.iso.datetime().nullable(),
    outputDroppedBytes: z
      .number()
      .int()
      .min(0)
      .openapi({
        description:
          "Bytes of output the run wrote past its cap (RUNBOOK_OUTPUT_MAX_BYTES), read and dropped; " +
          "its output then ends in one truncation notice on stderr. Counted once the run has ended",
      }),
    templateId: z
      .string()
      .nullable()
      .openapi({ description: "The template it ran; null for a plain command" }),
    templateVersion: z
      .number()
      .int()
      .min(1)
      .nullable()
      .openapi({ description: "The template's version it ran" }),
    parameters: z
      .record(z.string(), z.union([z.string(), z.number(), z.boolean()]).nullable())
      .nullable()
      .openapi({
        description:
          "The exact value of each parameter but the secret ones (null: optional and not given); " +
          "null for a plain command",
      }),
    secretParameters: z.array(z.string()).openapi({
      description: "The names of its secret parameters: their values were never kept, a re-run asks for them",
    }),
    workingDirectory: z
      .string()
      .nullable()
      .openapi({ description: "Where it ran; null: the home directory" }),
    timeoutSeconds: z
      .number()
      .int()
      .nullable()
      .openapi({ description: "Stopped and failed after this long" }),
    attempt: z.number().int().min(1).openapi({
      description:
        "1 for a run's first attempt; a failed run with retries left is followed by a job for the next",
    }),
    failure: z
      .enum(JOB_FAILURES)
      .nullable()
      .openapi({
        description:
          "Why a failed run failed when its exit code does not say (switch on this, not on `reason`): " +
          "its working directory was gone, its command could not start, it ran past its timeout, " +
          "or its secret values could not reach it",
      }),
    maxAttempts: z.number().int().min(1).openapi({
      description: "How many attempts the run may have in all: 1, plus its template's retries",
    }),
    retryOf: z.string().nullable().openapi({ description: "The first attempt's id, on a retry" }),
    notBefore: z.iso
      .datetime()
      .nullable()
      .openapi({ description: "A retry waits for its delay: not started before" }),
  })
  .openapi("Job");

export type Job = z.infer<typeof JobSchema>;

export const JobPageSchema = z
  .object({
    items: z.array(JobSchema),
    nextCursor: z
      .string()
      .nullable()
      .openapi({ description: "Pass as `cursor` to get the next page; null on the last page" }),
  })
  .openapi("JobPage");

/**
 * Text that is trimmed: the pattern puts "not blank" in the document, where
 * minLength 1 would promise that "   " (empty once trimmed) is accepted.
 */
const NOT_BLANK = /\S/;
export const trimmedText = (max: number) =>
  z.string().regex(NOT_BLANK, { message: "must not be blank", abort: true }).trim().max(max);

export const CreateJobSchema = z
  .object({
    command: trimmedText(8192).openapi({
      example: "make test",
      description: "Run by `sh -c`; surrounding whitespace is trimmed",
    }),
    name: trimmedText(200)
      .optional()
      .openapi({ description: "Defaults to the first 60 characters of the command; trimmed" }),
  })
  .openapi("CreateJob");

export type CreateJob = z.infer<typeof CreateJobSchema>;

export const RerunSchema = z
  .object({
    secrets: z
      .record(z.string(), z.string())
      .default({})
      .openapi({ description: "The values of the run's secret parameters, which were never kept" }),
  })
  .openapi("Rerun");

/** `limit` and `cursor`: what every paginated list takes. */
export const PageQuerySchema = z.object({
  limit: z.coerce
    .number()
    .int()
    .min(1)
    .max(200)
    .default(50)
    .openapi({ param: { name: "limit", in: "query" } }),
  // Empty is the first page, as absent is: a client that builds the URL from
  // a cursor it does not have yet sends `cursor=`.
  cursor: z
    .string()
    .optional()
    .openapi({
      param: { name: "cursor", in: "query" },
      description: "nextCursor from the previous page; absent or empty for the first page",
    }),
});

const STATUS_LIST = new RegExp(`^(?:${JOB_STATUSES.join("|")})(?:,(?:${JOB_STATUSES.join("|")}))*$`);

/** An ISO 8601 instant, in the form created_at is stored in (UTC, milliseconds), so text order is time order. */
const instant = (name: "since" | "until", description: string) =>
  z.iso
    .datetime({ offset: true })
    .transform((text) => new Date(text).toISOString())
    .optional()
    .openapi({ param: { name, in: "query" }, description });

/** Which runs a list or a search covers; every filter given must hold. */
export const JobFiltersSchema = z.object({
  template: z
    .string()
    .min(1)
    .optional()
    .openapi({
      param: { name: "template", in: "query" },
      description: "Only runs of this template (its id)",
    }),
  status: z
    .string()
    .regex(STATUS_LIST, `must be one status or a comma list of them: ${JOB_STATUSES.join(", ")}`)
    .transform((text) => [...new Set(text.split(","))] as Job["status"][])
    .optional()
    .openapi({
      param: { name: "status", in: "query" },
      description: "Only runs in this status, or in any of these (a comma list, e.g. `failed,interrupted`)",
      example: "failed,interrupted",
    }),
  since: instant(
    "since",
    "Only runs created at or after this instant (ISO 8601, e.g. `2026-06-01T00:00:00Z`)",
  ),
  until: instant("until", "Only runs created before this instant (ISO 8601)"),
});

export type JobFilters = z.output<typeof JobFiltersSchema>;

export const ListJobsQuerySchema = PageQuerySchema.extend(JobFiltersSchema.shape);

export const JobIdParamsSchema = z.object({
  id: z
    .string()
    .min(1)
    .openapi({ param: { name: "id", in: "path" } }),
});

/**
 * A stream id of the job's output (`<ms>-<seq>`), or `0` for its beginning.
 * Halves beyond 64 bits are allowed and read as the largest id (clampStreamId).
 */
const OUTPUT_CURSOR = /^(?:0|\d{1,20}-\d{1,20})$/;

export const MAX_OUTPUT_WAIT_MS = 25_000;

export const JobOutputQuerySchema = z.object({
  after: z
    .string()
    .regex(OUTPUT_CURSOR, "must be 0 or a cursor this API returned")
    .default("0")
    .openapi({
      param: { name: "after", in: "query" },
      description: "`cursor` from the previous answer; 0 (the default) for the beginning",
    }),
  wait: z.coerce
    .number()
    .int()
    .min(0)
    .max(MAX_OUTPUT_WAIT_MS)
    .default(0)
    .openapi({
      // Stated in full: the generator infers "or null" from z.coerce taking
      // null (Number(null) is 0), and a stated type replaces all it infers.
      type: "integer",
      minimum: 0,
      maximum: MAX_OUTPUT_WAIT_MS,
      default: 0,
      param: { name: "wait", in: "query" },
      description: "Milliseconds to wait for output when there is none yet after `after` (long poll)",
    }),
  limit: z.coerce
    .number()
    .int()
    .min(1)
    .max(1000)
    .default(500)
    .openapi({ param: { name: "limit", in: "query" }, description: "Most chunks in one answer" }),
});

export const OutputChunkSchema = z
  .object({
    stream: z.enum(["stdout", "stderr"]),
    text: z.string().openapi({ description: "As the job wrote it: may end inside a line" }),
  })
  .openapi("OutputChunk");

export const JobOutputSchema = z
  .object({
    chunks: z.array(OutputChunkSchema),
    cursor: z.string().openapi({ description: "Pass as `after` for what follows" }),
    end: z.boolean().openapi({ description: "True once the job has ended and every chunk has been read" }),
  })
  .openapi("JobOutput");

export type JobOutput = z.infer<typeof JobOutputSchema>;
