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
 * doubling, and a partial reply is scanned once (lengths only, no decoding),
 * resuming where the last chunk left off: the scan keeps its place and the
 * items still owed by each array it is inside. A complete reply is then
 * decoded once.
 */
export class RespReader {
  #buffer: Uint8Array = new Uint8Array(0);
  #start = 0;
  #end = 0;
  /** Where the scan of the reply at #start stands: the next value to scan. */
  #scan = 0;
  /** Items still owed by each array the scan is inside, outermost first. */
  #owed: number[] = [];

  /** Appends `chunk` and returns every reply it completed. Throws RespProtocolError on garbage. */
  push(chunk: Uint8Array): RespValue[] {
    this.#append(chunk);
    const replies: RespValue[] = [];
    while (this.#start < this.#end) {
      const complete = this.#scanOn();
      if (complete === -1) break;
      replies.push((parseValue(this.#buffer, this.#start) as Parsed).value);
      this.#start = complete;
      this.#scan = complete;
    }
    if (this.#start === this.#end) {
      this.#start = 0;
      this.#end = 0;
      this.#scan = 0;
    }
    return replies;
  }

  /** Forgets a partial reply, e.g. when its connection closed. */
  reset(): void {
    this.#buffer = new Uint8Array(0);
    this.#start = 0;
    this.#end = 0;
    this.#scan = 0;
    this.#owed = [];
  }

  /** Scans on from #scan: where the reply at #start ends once complete, else -1 (the place kept). */
  #scanOn(): number {
    const buffer = this.#buffer;
    const limit = this.#end;
    for (;;) {
      const at = this.#scan;
      const lineEnd = findLineEnd(buffer, at + 1, limit);
      if (lineEnd === -1) return -1;
      const afterLine = lineEnd + 2;
      let next: number;
      switch (buffer[at]) {
        case 0x2b: // '+'
        case 0x2d: // '-'
        case 0x3a: // ':'
          next = afterLine;
          break;
        case 0x24: {
          // '$'
          const length = parseLengthBytes(buffer, at + 1, lineEnd, "bulk length");
          if (length === -1) {
            next = afterLine;
            break;
          }
          next = afterLine + length + 2;
          if (next > limit) return -1;
          if (buffer[next - 2] !== CR || buffer[next - 1] !== LF) {
            throw new RespProtocolError("a bulk string is not followed by CRLF");
          }
          break;
        }
        case 0x2a: {
          // '*'
          const count = parseLengthBytes(buffer, at + 1, lineEnd, "array length");
          this.#scan = afterLine;
          if (count > 0) {
            this.#owed.push(count);
            continue;
          }
          next = afterLine;
          break;
        }
        default:
          throw new RespProtocolError(`unexpected reply type byte ${buffer[at]}`);
      }
      // A value ended: it pays one item to the array it is in, which may end in turn.
      this.#scan = next;
      for (;;) {
        const depth = this.#owed.length;
        if (depth === 0) return next;
        const owed = (this.#owed[depth - 1] as number) - 1;
        if (owed > 0) {
          this.#owed[depth - 1] = owed;
          break;
        }
        this.#owed.pop();
      }
    }
  }

  #append(chunk: Uint8Array): void {
    const pending = this.#end - this.#start;
    if (this.#end + chunk.byteLength > this.#buffer.byteLength) {
      const size = Math.max(pending + chunk.byteLength, 2 * this.#buffer.byteLength, 4096);
      const grown = size > this.#buffer.byteLength ? new Uint8Array(size) : this.#buffer;
      grown.set(this.#buffer.subarray(this.#start, this.#end), 0);
      this.#buffer = grown;
      this.#scan -= this.#start;
      this.#start = 0;
      this.#end = pending;
    }
    this.#buffer.set(chunk, this.#end);
    this.#end += chunk.byteLength;
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
  const line = () => decoder.decode(buffer.subarray(offset + 1, lineEnd));
  const afterLine = lineEnd + 2;
  switch (buffer[offset]) {
    case 0x2b: // '+'
      return { value: line(), next: afterLine };
    case 0x2d: // '-'
      return { value: new RespError(line()), next: afterLine };
    case 0x3a: // ':'
      return { value: parseLength(line(), "integer"), next: afterLine };
    case 0x24: {
      // '$'
      const length = parseLengthBytes(buffer, offset + 1, lineEnd, "bulk length");
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
      const count = parseLengthBytes(buffer, offset + 1, lineEnd, "array length");
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

/** A bulk or array length, read from its bytes (no decoding): -1 (null) or more. */
function parseLengthBytes(buffer: Uint8Array, from: number, to: number, what: string): number {
  if (to - from === 2 && buffer[from] === 0x2d && buffer[from + 1] === 0x31) return -1; // "-1"
  let value = 0;
  for (let i = from; i < to; i++) {
    const digit = (buffer[i] as number) - 0x30;
    if (digit < 0 || digit > 9 || to - from > 15)
      return parseLength(decoder.decode(buffer.subarray(from, to)), what);
    value = value * 10 + digit;
  }
  if (to === from) throw new RespProtocolError(`invalid ${what} ""`);
  return value;
}

function parseLength(text: string, what: string): number {
  if (!/^-?\d+$/.test(text)) throw new RespProtocolError(`invalid ${what} ${JSON.stringify(text)}`);
  const value = Number(text);
  // Integers may be any 64-bit value; lengths are -1 (null) or more.
  if (what !== "integer" && value < -1) throw new RespProtocolError(`invalid ${what} ${value}`);
  return value;
}
