// An api sidecar on the runtime: the environment the shell gives it, the
// guard every route but /health sits behind, problem+json errors, and the
// stdin watchdog. Typechecked in `npm test`; the README shows this file.
import {
  apiGuard,
  problemNoRoute,
  problemOnError,
  readApiEnv,
  rejectMalformedJson,
  serveApi,
  watchStdin,
} from "@convoy/sidecar-runtime";
import { Hono } from "hono";

const env = readApiEnv(); // throws EnvError naming a bad variable, never quoting the token

const app = new Hono();
app.use(apiGuard({ token: env.token, port: env.port, allowedOrigins: env.allowedOrigins }));
app.use(rejectMalformedJson);
app.get("/health", (c) => c.json({ ok: true }));
app.get("/hello", (c) => c.json({ hello: "world" }));
app.onError(problemOnError);
app.notFound(problemNoRoute(app));

const server = serveApi(app, { port: env.port }); // 127.0.0.1 only; prints the ready line
if (env.stdinWatchdog) void watchStdin(() => server.stop());
