import { QueryClient } from "@tanstack/react-query";
import createQueryHooks from "openapi-react-query";
import type { ApiClient } from "./client";

/** Typed TanStack Query hooks over the generated api client (`useQuery("get", "/jobs", …)`). */
export const createApiQueries = (client: ApiClient) => createQueryHooks(client);
export type ApiQueries = ReturnType<typeof createApiQueries>;

/**
 * One cache per window. Freshness comes from the shell's events
 * (`jobs:changed` invalidates, `job:progress` patches), not from refetching
 * on focus or on a timer.
 */
export function createQueryClient(): QueryClient {
  return new QueryClient({
    defaultOptions: {
      queries: { refetchOnWindowFocus: false, retry: 2, retryDelay: (attempt) => 250 * 2 ** attempt },
      mutations: { retry: false },
    },
  });
}
