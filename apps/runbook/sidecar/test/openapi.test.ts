import { Database } from "bun:sqlite";
import { afterEach, describe, expect, test } from "bun:test";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { connectValkey, LineLogger } from "@convoy/sidecar-runtime";
import { apiDocument, createApp } from "../src/api/app.ts";
import { TempDirs } from "./temp-dirs.ts";

const temp = new TempDirs();
afterEach(() => temp.removeAll());

function documentFor(port: number, token: string, valkeySocket?: string): string {
  // Never connected: the document must not depend on Valkey being there, or up.
  const valkey =
    valkeySocket === undefined
      ? null
      : connectValkey({
          socket: valkeySocket,
          password: "p".repeat(32),
          name: "openapi-test",
          logger: new LineLogger(() => {}),
        });
  const app = createApp({
    db: new Database(":memory:"),
    valkey,
    token,
    port,
    allowedOrigins: ["http://localhost:5173"],
  });
  const document = JSON.stringify(apiDocument(app), null, 2);
  valkey?.close();
  return document;
}

describe("the OpenAPI document", () => {
  test("does not depend on the port, the token, the origins or Valkey", () => {
    const token = "t".repeat(40);
    const document = documentFor(4000, token);
    expect(documentFor(5000, "u".repeat(40))).toBe(document);
    const valkeySocket = join(temp.create(), "valkey.sock");
    expect(documentFor(4000, token, valkeySocket)).toBe(document);
    expect(document).not.toContain(valkeySocket);
    expect(document).not.toContain(token);
    expect(document).not.toContain("4000");
  });

  test("declares problem+json errors with the shared Problem component", () => {
    const document = JSON.parse(documentFor(4000, "t".repeat(40)));
    expect(document.openapi).toBe("3.1.0");
    expect(document.info).toMatchObject({ title: "Runbook API", version: "0.1.0" });
    expect(document.info.description).toContain("405");
    expect(document.components.responses.MethodNotAllowed.headers.Allow.schema).toEqual({ type: "string" });
    expect(
      document.paths["/jobs/{id}"].get.responses["404"].content["application/problem+json"].schema,
    ).toEqual({ $ref: "#/components/schemas/Problem" });
    expect(document.paths["/health"].get.security).toEqual([]);
    expect(document.security).toEqual([{ bearer: [] }]);
  });

  test("src/openapi.ts writes it as pretty JSON with a trailing newline", async () => {
    const target = join(temp.create(), "openapi.json");
    const child = Bun.spawn([process.execPath, "src/openapi.ts", target], {
      cwd: join(import.meta.dir, ".."),
      stderr: "pipe",
    });
    expect(await child.exited).toBe(0);
    const written = readFileSync(target, "utf8");
    expect(written).toBe(`${documentFor(1, "x".repeat(40))}\n`);
    expect(written).toStartWith('{\n  "openapi": "3.1.0"');
  });
});
