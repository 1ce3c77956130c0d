/**
 * HTTP/1.1 over a plain TCP socket, for tests that need exact bytes on the
 * wire: a Host header of our choosing, or a path no URL parser has normalized
 * (fetch would resolve `..` and rewrite Host before sending).
 */
import { connect } from "node:net";

export interface RawResponse {
  status: number;
  headers: Headers;
  body: string;
}

const TIMEOUT_MS = 5000;
const HEAD_END = Buffer.from("\r\n\r\n");

/**
 * Sends `head` (the request line and header lines, as given) and then each
 * piece of `body` in turn, and resolves with the response. The server may
 * answer before it has read the whole body (a 413) and close; the answer wins.
 */
export function rawRequest(
  port: number,
  head: readonly string[],
  body: readonly (string | Uint8Array)[] = [],
): Promise<RawResponse> {
  return new Promise((resolve, reject) => {
    const socket = connect(port, "127.0.0.1");
    let received = Buffer.alloc(0);
    let settled = false;
    const finish = (outcome: RawResponse | Error) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      socket.destroy();
      if (outcome instanceof Error) reject(outcome);
      else resolve(outcome);
    };
    const timer = setTimeout(
      () => finish(new Error(`no complete response within ${TIMEOUT_MS} ms; got ${received.toString()}`)),
      TIMEOUT_MS,
    );

    socket.on("data", (chunk: Buffer) => {
      received = Buffer.concat([received, chunk]);
      const response = parseResponse(received, false);
      if (response !== null) finish(response);
    });
    socket.on("end", () => {
      finish(parseResponse(received, true) ?? new Error(`incomplete response: ${received.toString()}`));
    });
    socket.on("error", (error) => {
      // EPIPE/ECONNRESET after the server answered early and closed.
      finish(parseResponse(received, true) ?? error);
    });
    socket.on("connect", async () => {
      try {
        socket.write(`${head.join("\r\n")}\r\n\r\n`);
        for (const piece of body) {
          if (settled || !socket.writable) return;
          // Honour backpressure, so a server that stops reading is noticed.
          if (!socket.write(piece)) await new Promise((go) => socket.once("drain", go).once("close", go));
        }
      } catch {
        // EPIPE: the server stopped reading; its answer, or the end of the stream, decides.
      }
    });
  });
}

/** The response in `bytes` once complete; at end of stream, whatever body arrived. */
function parseResponse(bytes: Buffer, atEnd: boolean): RawResponse | null {
  const headEnd = bytes.indexOf(HEAD_END);
  if (headEnd === -1) return null;
  const [statusLine = "", ...headerLines] = bytes.subarray(0, headEnd).toString("latin1").split("\r\n");
  const status = /^HTTP\/1\.[01] (\d{3})/.exec(statusLine)?.[1];
  if (status === undefined) throw new Error(`not an HTTP response: ${statusLine}`);
  const headers = new Headers();
  for (const line of headerLines) {
    const colon = line.indexOf(":");
    headers.append(line.slice(0, colon).trim(), line.slice(colon + 1).trim());
  }
  const rest = bytes.subarray(headEnd + HEAD_END.length);

  if (headers.get("transfer-encoding")?.toLowerCase() === "chunked") {
    const decoded = decodeChunked(rest);
    return decoded === null ? null : { status: Number(status), headers, body: decoded };
  }
  const length = headers.get("content-length");
  if (length !== null) {
    if (rest.length < Number(length)) return null;
    return { status: Number(status), headers, body: rest.subarray(0, Number(length)).toString() };
  }
  return atEnd ? { status: Number(status), headers, body: rest.toString() } : null;
}

function decodeChunked(bytes: Buffer): string | null {
  const parts: Buffer[] = [];
  let at = 0;
  for (;;) {
    const lineEnd = bytes.indexOf("\r\n", at);
    if (lineEnd === -1) return null;
    const size = Number.parseInt(bytes.subarray(at, lineEnd).toString(), 16);
    if (size === 0) return Buffer.concat(parts).toString();
    if (bytes.length < lineEnd + 2 + size + 2) return null;
    parts.push(bytes.subarray(lineEnd + 2, lineEnd + 2 + size));
    at = lineEnd + 2 + size + 2;
  }
}
