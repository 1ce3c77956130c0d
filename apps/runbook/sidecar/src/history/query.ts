/**
 * A search's `q`, read as literal words and phrases, never as FTS5 syntax:
 * it is split into words the way the full-text index's tokenizer splits
 * text (unicode61: letters, digits and private-use characters; everything
 * else separates), and each word or quoted phrase becomes an FTS5 string
 * of those words alone, so nothing the user typed reaches the FTS5 parser.
 * The same splitting finds where a line matches, for highlighting.
 */
import { indexedText } from "../jobs/lines.ts";

/** What to find: each term a sequence of folded words, all terms in one line. */
export interface SearchTerms {
  terms: string[][];
  /** The FTS5 MATCH expression. */
  match: string;
}

const WORD = /[\p{L}\p{N}\p{Co}\p{M}]+/gu;

/** Lower case without diacritics, as unicode61 with remove_diacritics 2 folds words. */
export function fold(word: string): string {
  return word.normalize("NFD").replace(/\p{M}/gu, "").toLowerCase();
}

function words(text: string): string[] {
  return Array.from(text.matchAll(WORD), (match) => fold(match[0])).filter((word) => word !== "");
}

/** The terms of `q`; null when it has no word to search for. */
export function parseQuery(q: string): SearchTerms | null {
  const terms: string[][] = [];
  // Even parts are outside double quotes, odd ones inside; an unclosed quote opens nothing.
  const parts = q.split('"');
  if (parts.length % 2 === 0) parts.splice(-2, 2, `${parts.at(-2)} ${parts.at(-1)}`);
  parts.forEach((part, index) => {
    if (index % 2 === 1) {
      const phrase = words(part);
      if (phrase.length > 0) terms.push(phrase);
      return;
    }
    for (const piece of part.split(/\s+/)) {
      const word = words(piece);
      if (word.length > 0) terms.push(word);
    }
  });
  if (terms.length === 0) return null;
  // Words hold letters and digits only: quoted, they are FTS5 strings and nothing else.
  return { terms, match: terms.map((term) => `"${term.join(" ")}"`).join(" AND ") };
}

/** Where `text` matches any of the terms: [start, end) in UTF-16 code units, in order, merged. */
export function matchRanges(text: string, terms: readonly string[][]): [number, number][] {
  const tokens = Array.from(indexedText(text).matchAll(WORD), (match) => ({
    start: match.index,
    end: match.index + match[0].length,
    word: fold(match[0]),
  }));
  const found: [number, number][] = [];
  for (const term of terms) {
    for (let i = 0; i + term.length <= tokens.length; i += 1) {
      if (term.every((word, k) => tokens[i + k]?.word === word)) {
        found.push([tokens[i]?.start ?? 0, tokens[i + term.length - 1]?.end ?? 0]);
      }
    }
  }
  found.sort((a, b) => a[0] - b[0] || a[1] - b[1]);
  const merged: [number, number][] = [];
  for (const range of found) {
    const last = merged.at(-1);
    if (last !== undefined && range[0] <= last[1]) last[1] = Math.max(last[1], range[1]);
    else merged.push([range[0], range[1]]);
  }
  return merged;
}

/**
 * About `chars` characters of `text` around its first range, with the ranges
 * inside them moved to match; the whole text when it is short enough.
 */
export function snippet(
  text: string,
  ranges: readonly [number, number][],
  chars: number,
): { text: string; ranges: [number, number][] } {
  if (text.length <= chars) return { text, ranges: ranges.map(([a, b]) => [a, b]) };
  const first = ranges[0]?.[0] ?? 0;
  let start = Math.max(0, Math.min(first - Math.floor(chars / 3), text.length - chars));
  let end = start + chars;
  // Never cut a surrogate pair in two.
  if (isLowSurrogate(text.charCodeAt(start))) start += 1;
  if (isLowSurrogate(text.charCodeAt(end))) end -= 1;
  const inside: [number, number][] = [];
  for (const [a, b] of ranges) {
    if (b <= start || a >= end) continue;
    inside.push([Math.max(a, start) - start, Math.min(b, end) - start]);
  }
  return { text: text.slice(start, end), ranges: inside };
}

const isLowSurrogate = (code: number) => code >= 0xdc00 && code <= 0xdfff;
