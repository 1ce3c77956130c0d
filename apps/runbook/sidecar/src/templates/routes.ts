/**
 * The templates feature's routes, one sub-app: CRUD over versioned templates
 * and runs made from them. Handlers throw typed problems to the app's one
 * onError.
 */
import { createRoute, OpenAPIHono } from "@hono/zod-openapi";
import { problem, problemResponses, validationHook } from "../api/problems.ts";
import { encodeCursor, pageCursor } from "../jobs/cursor.ts";
import { JobSchema, PageQuerySchema } from "../jobs/schemas.ts";
import type { TemplateRuns } from "./runs.ts";
import {
  CreateRunSchema,
  type TemplateDefinition,
  TemplateDefinitionSchema,
  TemplateIdParamsSchema,
  TemplatePageSchema,
  TemplateSchema,
  TemplateVersionParamsSchema,
} from "./schemas.ts";
import type { TemplateStore } from "./store.ts";
import { validateDefinition } from "./validate.ts";

const json = <T>(schema: T) => ({ "application/json": { schema } });

const listRoute = createRoute({
  method: "get",
  path: "/templates",
  operationId: "listTemplates",
  request: { query: PageQuerySchema },
  responses: {
    200: { description: "A page of templates, newest first", content: json(TemplatePageSchema) },
    ...problemResponses(400, 401, 403, 500),
  },
});

const createTemplateRoute = createRoute({
  method: "post",
  path: "/templates",
  operationId: "createTemplate",
  request: { body: { required: true, content: json(TemplateDefinitionSchema) } },
  responses: {
    201: { description: "The template, at version 1", content: json(TemplateSchema) },
    ...problemResponses(400, 401, 403, 413, 415, 500),
  },
});

const getRoute = createRoute({
  method: "get",
  path: "/templates/{id}",
  operationId: "getTemplate",
  request: { params: TemplateIdParamsSchema },
  responses: {
    200: { description: "The template's current version", content: json(TemplateSchema) },
    ...problemResponses(400, 401, 403, 404, 500),
  },
});

const getVersionRoute = createRoute({
  method: "get",
  path: "/templates/{id}/versions/{version}",
  operationId: "getTemplateVersion",
  request: { params: TemplateVersionParamsSchema },
  responses: {
    200: {
      description: "One version of the template (also of a deleted one: runs name theirs)",
      content: json(TemplateSchema),
    },
    ...problemResponses(400, 401, 403, 404, 500),
  },
});

const updateRoute = createRoute({
  method: "put",
  path: "/templates/{id}",
  operationId: "updateTemplate",
  request: {
    params: TemplateIdParamsSchema,
    body: { required: true, content: json(TemplateDefinitionSchema) },
  },
  responses: {
    200: { description: "The template at its new version", content: json(TemplateSchema) },
    ...problemResponses(400, 401, 403, 404, 413, 415, 500),
  },
});

const deleteRoute = createRoute({
  method: "delete",
  path: "/templates/{id}",
  operationId: "deleteTemplate",
  request: { params: TemplateIdParamsSchema },
  responses: {
    204: { description: "Deleted; its versions stay for the runs that name them" },
    ...problemResponses(400, 401, 403, 404, 500),
  },
});

const duplicateRoute = createRoute({
  method: "post",
  path: "/templates/{id}/duplicate",
  operationId: "duplicateTemplate",
  request: { params: TemplateIdParamsSchema },
  responses: {
    201: {
      description: "A new template, a copy of this one's current version",
      content: json(TemplateSchema),
    },
    ...problemResponses(400, 401, 403, 404, 500),
  },
});

const runRoute = createRoute({
  method: "post",
  path: "/templates/{id}/runs",
  operationId: "runTemplate",
  request: {
    params: TemplateIdParamsSchema,
    body: { required: true, content: json(CreateRunSchema) },
  },
  responses: {
    201: {
      description: "The job, queued: it records the template version and the values (never a secret's)",
      content: json(JobSchema),
    },
    ...problemResponses(400, 401, 403, 404, 413, 415, 500),
  },
});

function checked(definition: TemplateDefinition): TemplateDefinition {
  const errors = validateDefinition(definition);
  if (errors.length > 0) throw problem("validation", { detail: "the template is invalid", errors });
  return definition;
}

function notFound(id: string) {
  return problem("not-found", { detail: `no template with id ${id}` });
}

export function templateRoutes(templates: TemplateStore, runs: TemplateRuns): OpenAPIHono {
  const app = new OpenAPIHono({ defaultHook: validationHook });

  app.openapi(listRoute, (c) => {
    const { limit, cursor } = c.req.valid("query");
    const page = templates.page(limit, pageCursor(cursor));
    return c.json({ items: page.items, nextCursor: page.next && encodeCursor(page.next) }, 200);
  });

  app.openapi(createTemplateRoute, (c) => c.json(templates.create(checked(c.req.valid("json"))), 201));

  app.openapi(getRoute, (c) => {
    const { id } = c.req.valid("param");
    const template = templates.get(id);
    if (template === null) throw notFound(id);
    return c.json(template, 200);
  });

  app.openapi(getVersionRoute, (c) => {
    const { id, version } = c.req.valid("param");
    const template = templates.version(id, version);
    if (template === null) throw problem("not-found", { detail: `no version ${version} of template ${id}` });
    return c.json(template, 200);
  });

  app.openapi(updateRoute, (c) => {
    const { id } = c.req.valid("param");
    const template = templates.update(id, checked(c.req.valid("json")));
    if (template === null) throw notFound(id);
    return c.json(template, 200);
  });

  app.openapi(deleteRoute, (c) => {
    const { id } = c.req.valid("param");
    if (!templates.delete(id)) throw notFound(id);
    return c.body(null, 204);
  });

  app.openapi(duplicateRoute, (c) => {
    const { id } = c.req.valid("param");
    const template = templates.get(id);
    if (template === null) throw notFound(id);
    const { id: _id, version: _version, createdAt: _created, updatedAt: _updated, ...definition } = template;
    return c.json(templates.create({ ...definition, name: copyName(definition.name) }), 201);
  });

  app.openapi(runRoute, (c) => {
    const { id } = c.req.valid("param");
    const template = templates.get(id);
    if (template === null) throw notFound(id);
    const { parameters, name } = c.req.valid("json");
    return c.json(runs.start(template, parameters, name), 201);
  });

  return app;
}

const MAX_NAME = 200;

function copyName(name: string): string {
  const suffix = " (copy)";
  return (
    Array.from(name)
      .slice(0, MAX_NAME - suffix.length)
      .join("") + suffix
  );
}
