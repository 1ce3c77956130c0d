import { createServer } from "node:net";

/**
 * A TCP port on 127.0.0.1 that nothing listens on right now: the kernel picks
 * it for a listener that is closed again at once.
 */
export function freePort() {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const address = server.address();
      const port = typeof address === "object" && address !== null ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}
