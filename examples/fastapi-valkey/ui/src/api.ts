// The api's two routes, typed as the FastAPI app declares them.
import type { Endpoint } from "tauri-plugin-convoy-supervisor-api";

export type Note = { id: string; text: string; words: number | null };

async function call<T>(endpoint: Endpoint, path: string, init: RequestInit = {}): Promise<T> {
  const response = await fetch(`${endpoint.baseUrl}${path}`, {
    ...init,
    headers: { Authorization: `Bearer ${endpoint.token}`, "Content-Type": "application/json" },
  });
  if (!response.ok) throw new Error(`${init.method ?? "GET"} ${path}: ${response.status}`);
  return (await response.json()) as T;
}

export async function listNotes(endpoint: Endpoint): Promise<Note[]> {
  return (await call<{ items: Note[] }>(endpoint, "/notes")).items;
}

export function addNote(endpoint: Endpoint, text: string): Promise<Note> {
  return call<Note>(endpoint, "/notes", { method: "POST", body: JSON.stringify({ text }) });
}
