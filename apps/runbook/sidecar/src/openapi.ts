/**
 * Prints the API's OpenAPI 3.1 document as stable, pretty JSON, to stdout or
 * to the file named by the first argument. The UI's client is generated from it.
 */
import { Database } from "bun:sqlite";
import { writeFileSync } from "node:fs";
import { apiDocument, createApp } from "./api/app.ts";

// The document comes from the route declarations alone; these values only
// satisfy createApp and never reach it (no port, no token, no data, no Valkey).
const app = createApp({
  db: new Database(":memory:"),
  valkey: null,
  token: "openapi-document-has-no-token-in-it",
  port: 1,
  allowedOrigins: [],
});
const json = `${JSON.stringify(apiDocument(app), null, 2)}\n`;

const target = process.argv[2];
if (target === undefined) process.stdout.write(json);
else writeFileSync(target, json);
