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
 * a reply split across chunks waits for the rest. Linear in the reply's size
 * however it is split: bytes are appended to a buffer that grows by
 * doubling, and a partial reply is only scanned (lengths, no decoding), from
 * where the last scan stopped being sure, before it is decoded once.
 */
export class RespReader {
  #buffer: Uint8Array = new Uint8Array(0);
  #start = 0;
  #end = 0;
  /** The buffer holds no complete reply until it is at least this long (a bulk string's known end). */
  #wanted = 0;

  /** Appends `chunk` and returns every reply it completed. Throws RespProtocolError on garbage. */
  push(chunk: Uint8Array): RespValue[] {
    this.#append(chunk);
    const replies: RespValue[] = [];
    while (this.#end - this.#start >= this.#wanted) {
      const scan = scanValue(this.#buffer, this.#start, this.#end);
      if (typeof scan === "object") {
        this.#wanted = scan.wanted - this.#start;
        break;
      }
      const parsed = parseValue(this.#buffer, this.#start) as Parsed;
      replies.push(parsed.value);
      this.#start = scan;
      this.#wanted = 0;
      if (this.#start === this.#end) break;
    }
    if (this.#start === this.#end) {
      this.#start = 0;
      this.#end = 0;
    }
    return replies;
  }

  /** Forgets a partial reply, e.g. when its connection closed. */
  reset(): void {
    this.#buffer = new Uint8Array(0);
    this.#start = 0;
    this.#end = 0;
    this.#wanted = 0;
  }

  #append(chunk: Uint8Array): void {
    const pending = this.#end - this.#start;
    if (this.#end + chunk.byteLength > this.#buffer.byteLength) {
      const size = Math.max(pending + chunk.byteLength, 2 * this.#buffer.byteLength, 4096);
      const grown = size > this.#buffer.byteLength ? new Uint8Array(size) : this.#buffer;
      grown.set(this.#buffer.subarray(this.#start, this.#end), 0);
      this.#buffer = grown;
      this.#start = 0;
      this.#end = pending;
    }
    this.#buffer.set(chunk, this.#end);
    this.#end += chunk.byteLength;
  }
}

/**
 * Where the value starting at `offset` ends, if it is complete within
 * `[offset, limit)`; otherwise how long the buffer must at least be (from
 * its start) before it can be. Reads lengths only; decodes nothing.
 */
function scanValue(buffer: Uint8Array, offset: number, limit: number): number | { wanted: number } {
  const lineEnd = findLineEnd(buffer, offset + 1, limit);
  if (lineEnd === -1) return { wanted: limit + 1 };
  const afterLine = lineEnd + 2;
  switch (buffer[offset]) {
    case 0x2b: // '+'
    case 0x2d: // '-'
    case 0x3a: // ':'
      return afterLine;
    case 0x24: {
      // '$'
      const length = parseLength(decoder.decode(buffer.subarray(offset + 1, lineEnd)), "bulk length");
      if (length === -1) return afterLine;
      const end = afterLine + length + 2;
      return end <= limit ? end : { wanted: end };
    }
    case 0x2a: {
      // '*'
      const count = parseLength(decoder.decode(buffer.subarray(offset + 1, lineEnd)), "array length");
      let next = afterLine;
      for (let i = 0; i < count; i++) {
        const item = scanValue(buffer, next, limit);
        if (typeof item === "object") return item;
        next = item;
      }
      return next;
    }
    default:
      throw new RespProtocolError(`unexpected reply type byte ${buffer[offset]}`);
  }
}

interface Parsed {
  value: RespValue;
  next: number;
}

/** One value starting at `offset`, or undefined when the buffer holds only part of it. */
function parseValue(buffer: Uint8Array, offset: number): Parsed | undefined {
  const lineEnd = findLineEnd(buffer, offset + 1, buffer.byteLength);
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

function findLineEnd(buffer: Uint8Array, from: number, limit: number): number {
  for (let i = from; i + 1 < limit; i++) {
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
