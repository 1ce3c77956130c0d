import { describe, expect, test } from "bun:test";
import { encodeCommand, RespError, RespProtocolError, RespReader, type RespValue } from "../src/resp.ts";

const bytes = (text: string) => new TextEncoder().encode(text);
const text = (data: Uint8Array) => new TextDecoder().decode(data);

describe("encodeCommand", () => {
  test("encodes an array of bulk strings with byte lengths", () => {
    expect(text(encodeCommand(["SET", "k", "é€"]))).toBe("*3\r\n$3\r\nSET\r\n$1\r\nk\r\n$5\r\né€\r\n");
    expect(text(encodeCommand(["GET", ""]))).toBe("*2\r\n$3\r\nGET\r\n$0\r\n\r\n");
  });

  test("leaves CRLF inside an argument alone: the length frames it", () => {
    expect(text(encodeCommand(["SET", "a\r\nb"]))).toBe("*2\r\n$3\r\nSET\r\n$4\r\na\r\nb\r\n");
  });
});

describe("RespReader", () => {
  const stream =
    "+OK\r\n" +
    "-WRONGPASS invalid username-password pair\r\n" +
    ":42\r\n" +
    ":-7\r\n" +
    "$5\r\né€\r\n" +
    "$0\r\n\r\n" +
    "$-1\r\n" +
    "*-1\r\n" +
    "*3\r\n$1\r\na\r\n*2\r\n:1\r\n-ERR inner\r\n$-1\r\n" +
    "*0\r\n" +
    "*2\r\n*1\r\n*1\r\n:5\r\n*0\r\n" +
    "$4\r\na\r\nb\r\n";
  const expected: RespValue[] = [
    "OK",
    new RespError("WRONGPASS invalid username-password pair"),
    42,
    -7,
    "é€",
    "",
    null,
    null,
    ["a", [1, new RespError("ERR inner")], null],
    [],
    [[[5]], []],
    "a\r\nb",
  ];

  test("parses every reply type in one chunk", () => {
    expect(new RespReader().push(bytes(stream))).toEqual(expected);
  });

  test("gives the same replies however the stream is split, even inside a character", () => {
    const all = bytes(stream);
    for (const size of [1, 2, 3, 7]) {
      const reader = new RespReader();
      const replies: RespValue[] = [];
      for (let offset = 0; offset < all.byteLength; offset += size) {
        replies.push(...reader.push(all.subarray(offset, offset + size)));
      }
      expect(replies).toEqual(expected);
    }
  });

  test("a 16 MiB reply in 64 KiB chunks arrives whole, once, with a reply after it", () => {
    const item = "x".repeat(16 * 1024 - 1);
    const items = Array.from({ length: 1024 }, (_, i) => `${i % 10}${item}`);
    const all = bytes(
      `*${items.length}\r\n${items.map((text) => `$${text.length}\r\n${text}\r\n`).join("")}+OK\r\n`,
    );
    const reader = new RespReader();
    const replies: RespValue[] = [];
    let pushesWithReplies = 0;
    for (let offset = 0; offset < all.byteLength; offset += 64 * 1024) {
      const got = reader.push(all.subarray(offset, offset + 64 * 1024));
      if (got.length > 0) pushesWithReplies += 1;
      replies.push(...got);
    }
    expect(pushesWithReplies).toBe(1);
    expect(replies).toHaveLength(2);
    expect(replies[0]).toEqual(items);
    expect(replies[1]).toBe("OK");
  });

  test("holds a partial reply until the rest arrives", () => {
    const reader = new RespReader();
    expect(reader.push(bytes("$5\r\nhel"))).toEqual([]);
    expect(reader.push(bytes("lo\r"))).toEqual([]);
    expect(reader.push(bytes("\n+OK\r\n"))).toEqual(["hello", "OK"]);
  });

  test("an error reply exposes its code", () => {
    expect(new RespError("WRONGPASS invalid").code).toBe("WRONGPASS");
    expect(new RespError("").code).toBe("");
  });

  test("reset() forgets a partial reply", () => {
    const reader = new RespReader();
    reader.push(bytes("$5\r\nhel"));
    reader.reset();
    expect(reader.push(bytes("+PONG\r\n"))).toEqual(["PONG"]);
  });

  test.each(["?what\r\n", ":12x\r\n", "$-2\r\n", "$3\r\nabcd\r\n"])("rejects %p", (garbage) => {
    expect(() => new RespReader().push(bytes(garbage))).toThrow(RespProtocolError);
  });
});
