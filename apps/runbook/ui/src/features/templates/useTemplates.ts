import { useQueryClient } from "@tanstack/react-query";
import { useCallback, useMemo } from "react";
import { type ApiClient, asProblem, type Job, type Problem } from "../../lib/api/client";
import { createApiQueries } from "../../lib/api/query";
import type { ParameterValue, Template, TemplateDefinition } from "./parameters";

type TemplatePage = { items: Template[]; nextCursor: string | null };
export type Outcome<T> = { ok: true; value: T } | { ok: false; problem: Problem };

export interface TemplatesView {
  templates: Template[];
  loading: boolean;
  problem: Problem | null;
  create(definition: TemplateDefinition): Promise<Outcome<Template>>;
  /** Saves a new version. */
  update(id: string, definition: TemplateDefinition): Promise<Outcome<Template>>;
  duplicate(id: string): Promise<Outcome<Template>>;
  remove(id: string): Promise<Outcome<null>>;
  run(id: string, parameters: Record<string, ParameterValue>): Promise<Outcome<Job>>;
}

const NEWEST = { params: { query: { limit: 200 } } } as const;

async function outcome<T>(request: Promise<T>): Promise<Outcome<T>> {
  try {
    return { ok: true, value: await request };
  } catch (error) {
    return { ok: false, problem: asProblem(error) };
  }
}

/** The templates (in the query cache; no shell event covers them, so each mutation patches it). */
export function useTemplates(api: ApiClient): TemplatesView {
  const queries = useMemo(() => createApiQueries(api), [api]);
  const cache = useQueryClient();
  const listKey = useMemo(() => queries.queryOptions("get", "/templates", NEWEST).queryKey, [queries]);
  const list = queries.useQuery("get", "/templates", NEWEST);
  const createTemplate = queries.useMutation("post", "/templates");
  const updateTemplate = queries.useMutation("put", "/templates/{id}");
  const duplicateTemplate = queries.useMutation("post", "/templates/{id}/duplicate");
  const deleteTemplate = queries.useMutation("delete", "/templates/{id}");
  const runTemplate = queries.useMutation("post", "/templates/{id}/runs");

  const patch = useCallback(
    (change: (items: Template[]) => Template[]) =>
      cache.setQueryData<TemplatePage>(listKey, (page) => page && { ...page, items: change(page.items) }),
    [cache, listKey],
  );
  const put = useCallback(
    (template: Template) =>
      patch((items) => [template, ...items.filter((other) => other.id !== template.id)]),
    [patch],
  );

  const create = useCallback(
    async (definition: TemplateDefinition) => {
      const result = await outcome(createTemplate.mutateAsync({ body: definition }));
      if (result.ok) put(result.value);
      return result;
    },
    [createTemplate.mutateAsync, put],
  );
  const update = useCallback(
    async (id: string, definition: TemplateDefinition) => {
      const result = await outcome(
        updateTemplate.mutateAsync({ params: { path: { id } }, body: definition }),
      );
      if (result.ok) patch((items) => items.map((other) => (other.id === id ? result.value : other)));
      return result;
    },
    [updateTemplate.mutateAsync, patch],
  );
  const duplicate = useCallback(
    async (id: string) => {
      const result = await outcome(duplicateTemplate.mutateAsync({ params: { path: { id } } }));
      if (result.ok) put(result.value);
      return result;
    },
    [duplicateTemplate.mutateAsync, put],
  );
  const remove = useCallback(
    async (id: string): Promise<Outcome<null>> => {
      const result = await outcome(deleteTemplate.mutateAsync({ params: { path: { id } } }));
      if (!result.ok) return result;
      patch((items) => items.filter((other) => other.id !== id));
      return { ok: true, value: null };
    },
    [deleteTemplate.mutateAsync, patch],
  );
  const run = useCallback(
    async (id: string, parameters: Record<string, ParameterValue>) => {
      const result = await outcome(
        runTemplate.mutateAsync({ params: { path: { id } }, body: { parameters } }),
      );
      // The jobs list learns of it from jobs:changed too; a browser has no shell to say so.
      if (result.ok) void cache.invalidateQueries({ queryKey: ["get", "/jobs"] });
      return result;
    },
    [runTemplate.mutateAsync, cache],
  );

  return {
    templates: list.data?.items ?? [],
    loading: list.isPending,
    problem: list.error ? asProblem(list.error) : null,
    create,
    update,
    duplicate,
    remove,
    run,
  };
}
