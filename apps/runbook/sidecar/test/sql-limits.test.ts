/**
 * Every LIMIT the sidecar binds goes through `limitOf` (db/database.ts): a
 * plain `LIMIT ?` costs about a fresh prepare on every run (the jobs page's
 * query 28 µs against 15; bench/api_parts.ts keeps both figures).
 */
import { Database } from "bun:sqlite";
import { describe, expect, test } from "bun:test";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { Glob } from "bun";
import { limitOf } from "../src/db/database.ts";

const SRC = join(import.meta.dir, "..", "src");

describe("bound LIMITs", () => {
  test("no query in src binds a LIMIT plainly", () => {
    const plain: string[] = [];
    for (const file of new Glob("**/*.ts").scanSync(SRC)) {
      const text = readFileSync(join(SRC, file), "utf8");
      for (const match of text.matchAll(/LIMIT\s+(?:\?|\$(?!\{)|:|@)\w*/g))
        plain.push(`${file}: ${match[0]}`);
    }
    expect(plain).toEqual([]);
  });

  test("limitOf limits as LIMIT does, for the counts the api passes", () => {
    const db = new Database(":memory:", { strict: true });
    db.run("CREATE TABLE t (n INTEGER)");
    for (let n = 0; n < 30; n++) db.run("INSERT INTO t VALUES (?)", [n]);
    const rows = (limit: number) =>
      db.query<{ n: number }, [number]>(`SELECT n FROM t ORDER BY n LIMIT ${limitOf("?1")}`).all(limit)
        .length;
    expect([0, 1, 21, 30, 31].map(rows)).toEqual([0, 1, 21, 30, 30]);
    db.close();
  });
});
