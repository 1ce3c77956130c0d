/**
 * The jobs API on the wire: the single source the OpenAPI document, the
 * request validation and the generated client all come from.
 */
import { z } from "@hono/zod-openapi";

export const JOB_STATUSES = ["queued", "running", "succeeded", "failed", "cancelled", "interrupted"] as const;

export const JobSchema = z
  .object({
    id: z.string().openapi({ example: "019a4c1e-7b2d-7c3e-8f00-1a2b3c4d5e6f" }),
    name: z.string(),
    command: z.string(),
    status: z.enum(JOB_STATUSES),
    exitCode: z.number().int().nullable(),
    createdAt: z.iso.datetime(),
    startedAt: z.iso.datetime().nullable(),
    finishedAt: z.iso.datetime().nullable(),
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

export const CreateJobSchema = z
  .object({
    command: z.string().trim().min(1).max(8192).openapi({ example: "make test" }),
    name: z
      .string()
      .trim()
      .min(1)
      .max(200)
      .optional()
      .openapi({ description: "Defaults to the first 60 characters of the command" }),
  })
  .openapi("CreateJob");

export type CreateJob = z.infer<typeof CreateJobSchema>;

export const ListJobsQuerySchema = z.object({
  limit: z.coerce
    .number()
    .int()
    .min(1)
    .max(200)
    .default(50)
    .openapi({ param: { name: "limit", in: "query" } }),
  cursor: z
    .string()
    .optional()
    .openapi({ param: { name: "cursor", in: "query" }, description: "nextCursor from the previous page" }),
});

export const JobIdParamsSchema = z.object({
  id: z
    .string()
    .min(1)
    .openapi({ param: { name: "id", in: "path" } }),
});
