/**
 * RESP2, the Redis/Valkey wire protocol, as far as Convoy uses it: commands
 * are arrays of bulk strings; replies are simple strings, errors, integers,
 * bulk strings and arrays, possibly nested. Pure functions over bytes, so the
 * framing is tested without a server.
 */

/** An error reply (`-ERR …`); a value, not a throw, so it can sit inside an array reply. */
export class RespError {
  constructor(readonly message: string) {}

  /** The error's first word, e.g. `WRONGPASS`, `NOAUTH`, `ERR`. */
  get code(): string {
    return this.message.split(" ", 1)[0] ?? "";
  }
}

export type RespValue = string | number | null | RespError | RespValue[];

const encoder = new TextEncoder();
const decoder = new TextDecoder();
const CR = 13;
const LF = 10;

/** Encodes one command as an array of bulk strings (lengths in bytes, not characters). */
export function encodeCommand(args: readonly string[]): Uint8Array {
  let text = `*${args.length}\r\n`;
  for (const arg of args) text += `$${encoder.encode(arg).byteLength}\r\n${arg}\r\n`;
  return encoder.encode(text);
}

export class RespProtocolError extends Error {
  override readonly name = "RespProtocolError";
}

/**
 * Accumulates bytes from a stream and yields each complete reply, in order;
 * a reply split across chunks waits for the rest.
 */
export class RespReader {
  #buffer: Uint8Array = new Uint8Array(0);

  /** Appends `chunk` and returns every reply it completed. Throws RespProtocolError on garbage. */
  push(chunk: Uint8Array): RespValue[] {
    this.#buffer = this.#buffer.byteLength === 0 ? chunk.slice() : concat(this.#buffer, chunk);
    const replies: RespValue[] = [];
    let offset = 0;
    for (;;) {
      const parsed = parseValue(this.#buffer, offset);
      if (parsed === undefined) break;
      replies.push(parsed.value);
      offset = parsed.next;
    }
    this.#buffer = this.#buffer.subarray(offset);
    return replies;
  }

  /** Forgets a partial reply, e.g. when its connection closed. */
  reset(): void {
    this.#buffer = new Uint8Array(0);
  }
}

interface Parsed {
  value: RespValue;
  next: number;
}

/** One value starting at `offset`, or undefined when the buffer holds only part of it. */
function parseValue(buffer: Uint8Array, offset: number): Parsed | undefined {
  const lineEnd = findLineEnd(buffer, offset + 1);
  if (lineEnd === -1) return undefined;
  const line = decoder.decode(buffer.subarray(offset + 1, lineEnd));
  const afterLine = lineEnd + 2;
  switch (buffer[offset]) {
    case 0x2b: // '+'
      return { value: line, next: afterLine };
    case 0x2d: // '-'
      return { value: new RespError(line), next: afterLine };
    case 0x3a: // ':'
      return { value: parseLength(line, "integer"), next: afterLine };
    case 0x24: {
      // '$'
      const length = parseLength(line, "bulk length");
      if (length === -1) return { value: null, next: afterLine };
      const end = afterLine + length;
      if (buffer.byteLength < end + 2) return undefined;
      if (buffer[end] !== CR || buffer[end + 1] !== LF) {
        throw new RespProtocolError("a bulk string is not followed by CRLF");
      }
      return { value: decoder.decode(buffer.subarray(afterLine, end)), next: end + 2 };
    }
    case 0x2a: {
      // '*'
      const count = parseLength(line, "array length");
      if (count === -1) return { value: null, next: afterLine };
      const items: RespValue[] = [];
      let next = afterLine;
      for (let i = 0; i < count; i++) {
        const item = parseValue(buffer, next);
        if (item === undefined) return undefined;
        items.push(item.value);
        next = item.next;
      }
      return { value: items, next };
    }
    default:
      throw new RespProtocolError(`unexpected reply type byte ${buffer[offset]}`);
  }
}

function findLineEnd(buffer: Uint8Array, from: number): number {
  for (let i = from; i + 1 < buffer.byteLength; i++) {
    if (buffer[i] === CR && buffer[i + 1] === LF) return i;
  }
  return -1;
}

function parseLength(text: string, what: string): number {
  if (!/^-?\d+$/.test(text)) throw new RespProtocolError(`invalid ${what} ${JSON.stringify(text)}`);
  const value = Number(text);
  // Integers may be any 64-bit value; lengths are -1 (null) or more.
  if (what !== "integer" && value < -1) throw new RespProtocolError(`invalid ${what} ${value}`);
  return value;
}

function concat(a: Uint8Array, b: Uint8Array): Uint8Array {
  const joined = new Uint8Array(a.byteLength + b.byteLength);
  joined.set(a, 0);
  joined.set(b, a.byteLength);
  return joined;
}
