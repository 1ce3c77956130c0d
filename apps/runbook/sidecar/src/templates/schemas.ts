/**
 * The templates API on the wire: the single source the OpenAPI document, the
 * request validation and the generated client all come from. Shape is
 * checked here; what needs the whole template (placeholders, defaults
 * against their types) is checked by validate.ts.
 */
import { z } from "@hono/zod-openapi";
import { trimmedText } from "../jobs/schemas.ts";

/** A parameter's name: what `{{name}}` refers to and the suffix of its environment variable. */
export const PARAMETER_NAME = /^[A-Za-z_][A-Za-z0-9_]{0,63}$/;

const parameterBase = {
  name: z.string().openapi({
    example: "directory",
    description: "An identifier (`[A-Za-z_][A-Za-z0-9_]*`, at most 64 characters), used as `{{name}}`",
  }),
  label: z.string().max(200).optional().openapi({ description: "Shown instead of the name" }),
  description: z.string().max(2000).optional(),
  required: z
    .boolean()
    .default(true)
    .openapi({ description: "Whether a run must have a value (default true)" }),
};

const StringParameterSchema = z.object({
  ...parameterBase,
  type: z.literal("string"),
  pattern: z
    .string()
    .max(1000)
    .optional()
    .openapi({ description: "A JavaScript regular expression the whole value must match" }),
  default: z.string().optional(),
});

const NumberParameterSchema = z.object({
  ...parameterBase,
  type: z.literal("number"),
  min: z.number().optional(),
  max: z.number().optional(),
  integer: z.boolean().optional().openapi({ description: "Whether only whole numbers are allowed" }),
  default: z.number().optional(),
});

const BooleanParameterSchema = z.object({
  ...parameterBase,
  type: z.literal("boolean"),
  default: z.boolean().optional(),
});

const ChoiceParameterSchema = z.object({
  ...parameterBase,
  type: z.literal("choice"),
  options: z.array(z.string().max(1000)).min(1).max(200),
  default: z.string().optional(),
});

const PathParameterSchema = z.object({
  ...parameterBase,
  type: z.literal("path"),
  kind: z.enum(["file", "directory"]).openapi({ description: "What the path names" }),
  default: z.string().optional().openapi({ description: "A leading `~` is the user's home directory" }),
});

const SecretParameterSchema = z.object({
  ...parameterBase,
  type: z.literal("secret"),
});

export const ParameterSchema = z
  .discriminatedUnion("type", [
    StringParameterSchema,
    NumberParameterSchema,
    BooleanParameterSchema,
    ChoiceParameterSchema,
    PathParameterSchema,
    SecretParameterSchema,
  ])
  .openapi("TemplateParameter", {
    description:
      "A typed parameter. A `secret`'s value is never stored: not in the database, Valkey, a log or the output",
  });

export type Parameter = z.infer<typeof ParameterSchema>;

const ENV_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;

export const TemplateDefinitionSchema = z
  .object({
    name: trimmedText(200),
    description: z.string().max(10_000).default(""),
    command: trimmedText(8192).openapi({
      example: "du -sh -- {{directory}}",
      description:
        "Run by `sh -c`. Each `{{name}}` becomes a double-quoted reference to the environment variable " +
        "`RUNBOOK_PARAM_<name>` holding the value (already inside double quotes, the reference alone), so a " +
        "value is never read as shell syntax; a placeholder inside single quotes, where nothing expands, is refused",
    }),
    parameters: z.array(ParameterSchema).max(100).default([]),
    workingDirectory: z
      .string()
      .max(4096)
      .nullable()
      .default(null)
      .openapi({ description: "Where the command runs (a leading `~` is the home directory); null: home" }),
    env: z
      .record(
        z.string().regex(ENV_NAME, "must be an environment variable name").max(256),
        z.string().max(32_768),
      )
      .default({})
      .openapi({ description: "Added to the job's environment" }),
    timeoutSeconds: z
      .number()
      .int()
      .min(1)
      .max(30 * 24 * 3600)
      .nullable()
      .default(null)
      .openapi({ description: "A run still going after this long is stopped and fails; null: no limit" }),
    retries: z
      .object({
        count: z.number().int().min(0).max(100).default(0),
        delaySeconds: z
          .number()
          .int()
          .min(0)
          .max(24 * 3600)
          .default(0),
      })
      .default({ count: 0, delaySeconds: 0 })
      .openapi({ description: "How often a failed run is tried again, and after how long" }),
    concurrency: z
      .number()
      .int()
      .min(1)
      .max(64)
      .nullable()
      .default(null)
      .openapi({ description: "Most runs of this template at once; null: no limit of its own" }),
  })
  .openapi("TemplateDefinition");

export type TemplateDefinition = z.infer<typeof TemplateDefinitionSchema>;

export const TemplateSchema = TemplateDefinitionSchema.extend({
  id: z.string().openapi({ example: "019a4c1e-7b2d-7c3e-8f00-1a2b3c4d5e6f" }),
  version: z.number().int().min(1).openapi({ description: "Grows by one with every edit; runs name theirs" }),
  createdAt: z.iso.datetime(),
  updatedAt: z.iso.datetime(),
}).openapi("Template");

export type Template = z.infer<typeof TemplateSchema>;

export const TemplatePageSchema = z
  .object({
    items: z.array(TemplateSchema),
    nextCursor: z
      .string()
      .nullable()
      .openapi({ description: "Pass as `cursor` to get the next page; null on the last page" }),
  })
  .openapi("TemplatePage");

export const TemplateIdParamsSchema = z.object({
  id: z
    .string()
    .min(1)
    .openapi({ param: { name: "id", in: "path" } }),
});

export const TemplateVersionParamsSchema = z.object({
  id: z
    .string()
    .min(1)
    .openapi({ param: { name: "id", in: "path" } }),
  version: z.coerce
    .number()
    .int()
    .min(1)
    .openapi({ type: "integer", minimum: 1, param: { name: "version", in: "path" } }),
});

/** A parameter's value in a request: its type decides which of these it may be. */
export const ParameterValueSchema = z.union([z.string(), z.number(), z.boolean()]).openapi("ParameterValue");

export type ParameterValue = z.infer<typeof ParameterValueSchema>;

export const CreateRunSchema = z
  .object({
    parameters: z
      .record(z.string(), ParameterValueSchema)
      .default({})
      .openapi({ description: "A value per parameter name; a missing one takes its default" }),
    name: trimmedText(200).optional().openapi({ description: "Defaults to the template's name" }),
  })
  .openapi("CreateRun");
