/**
 * The floor of bench/api.sh: a bare `Bun.serve` hello-world on loopback, with
 * no framework, guard or database. It prints the sidecar's ready line, so the
 * benchmark starts and waits for it exactly as it does for the api.
 */
const server = Bun.serve({
  hostname: "127.0.0.1",
  port: Number(process.env.CONVOY_API_PORT ?? 0),
  fetch: () => new Response("Hello, world!"),
});
process.stdout.write(`convoy:ready port=${server.port}\n`);
