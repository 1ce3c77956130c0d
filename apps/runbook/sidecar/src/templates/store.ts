/**
 * Templates in SQLite: a row per template (its current version) and a row per
 * version (its definition as JSON). An edit adds a version; a delete hides the
 * template and keeps its versions for the runs that name them.
 */
import type { Database } from "bun:sqlite";
import { limitOf } from "../db/database.ts";
import type { JobCursor } from "../jobs/cursor.ts";
import { type Template, type TemplateDefinition, TemplateDefinitionSchema } from "./schemas.ts";

type TemplateRow = {
  id: string;
  created_at: string;
  updated_at: string;
  version: number;
  definition: string;
};

const SELECT_CURRENT = `SELECT t.id, t.created_at, t.updated_at, t.version, v.definition
  FROM templates t JOIN template_versions v ON v.template_id = t.id AND v.version = t.version`;

export interface TemplatePage {
  items: Template[];
  next: JobCursor | null;
}

export class TemplateStore {
  readonly #db: Database;

  constructor(db: Database) {
    this.#db = db;
  }

  create(definition: TemplateDefinition, now = new Date()): Template {
    const id = Bun.randomUUIDv7();
    const at = now.toISOString();
    this.#db.transaction(() => {
      this.#db
        .query("INSERT INTO templates (id, created_at, updated_at, version) VALUES ($id, $at, $at, 1)")
        .run({ id, at });
      this.#insertVersion(id, 1, definition, at);
    })();
    return toTemplate({
      id,
      created_at: at,
      updated_at: at,
      version: 1,
      definition: JSON.stringify(definition),
    });
  }

  /** The current version; null when there is no such template or it was deleted. */
  get(id: string): Template | null {
    const row = this.#db
      .query<TemplateRow, { id: string }>(`${SELECT_CURRENT} WHERE t.id = $id AND t.deleted_at IS NULL`)
      .get({ id });
    return row ? toTemplate(row) : null;
  }

  /** Any version, also of a deleted template (a run names it). */
  version(id: string, version: number): Template | null {
    const row = this.#db
      .query<TemplateRow, { id: string; version: number }>(
        `SELECT t.id, t.created_at, v.created_at AS updated_at, v.version, v.definition
         FROM templates t JOIN template_versions v ON v.template_id = t.id
         WHERE t.id = $id AND v.version = $version`,
      )
      .get({ id, version });
    return row ? toTemplate(row) : null;
  }

  /** Newest first, starting strictly after `after`. */
  page(limit: number, after: JobCursor | null): TemplatePage {
    const rows = after
      ? this.#db
          .query<TemplateRow, { createdAt: string; id: string; limit: number }>(
            `${SELECT_CURRENT} WHERE t.deleted_at IS NULL AND (t.created_at, t.id) < ($createdAt, $id)
             ORDER BY t.created_at DESC, t.id DESC LIMIT ${limitOf("$limit")}`,
          )
          .all({ ...after, limit: limit + 1 })
      : this.#db
          .query<TemplateRow, { limit: number }>(
            `${SELECT_CURRENT} WHERE t.deleted_at IS NULL ORDER BY t.created_at DESC, t.id DESC LIMIT ${limitOf("$limit")}`,
          )
          .all({ limit: limit + 1 });
    const items = rows.slice(0, limit).map(toTemplate);
    const last = items.at(-1);
    return { items, next: rows.length > limit && last ? { createdAt: last.createdAt, id: last.id } : null };
  }

  /** Adds a version; null when there is no such template. */
  update(id: string, definition: TemplateDefinition, now = new Date()): Template | null {
    const at = now.toISOString();
    return this.#db.transaction(() => {
      const row = this.#db
        .query<{ version: number }, { id: string; at: string }>(
          `UPDATE templates SET version = version + 1, updated_at = $at
           WHERE id = $id AND deleted_at IS NULL RETURNING version`,
        )
        .get({ id, at });
      if (row === null) return null;
      this.#insertVersion(id, row.version, definition, at);
      return this.get(id);
    })();
  }

  /** Hides the template; false when there was none to delete. */
  delete(id: string, now = new Date()): boolean {
    return (
      this.#db
        .query("UPDATE templates SET deleted_at = $at WHERE id = $id AND deleted_at IS NULL")
        .run({ id, at: now.toISOString() }).changes > 0
    );
  }

  #insertVersion(id: string, version: number, definition: TemplateDefinition, at: string): void {
    this.#db
      .query(
        `INSERT INTO template_versions (template_id, version, created_at, definition)
         VALUES ($id, $version, $at, $definition)`,
      )
      .run({ id, version, at, definition: JSON.stringify(definition) });
  }
}

function toTemplate(row: TemplateRow): Template {
  // Written by this module from a parsed definition; parsing again fills
  // defaults a version written by an older release may lack.
  const definition = TemplateDefinitionSchema.parse(JSON.parse(row.definition));
  return {
    id: row.id,
    version: row.version,
    createdAt: row.created_at,
    updatedAt: row.updated_at,
    ...definition,
  };
}
