import { type ReactNode, useMemo } from "react";
import { isPlain, type ParseOptions, parseAnsi, styleClasses, styleColors } from "./ansi";

/** [start, end) offsets into the raw text, in order, not overlapping. */
export type Ranges = readonly (readonly [number, number])[];

/**
 * A line of job output with its ANSI colours, its control characters as
 * pictures, and `ranges` (offsets into the raw text) marked.
 */
export function AnsiText({
  text,
  ranges,
  options,
}: {
  text: string;
  ranges?: Ranges;
  options?: ParseOptions;
}) {
  const segments = useMemo(() => (isPlain(text) ? null : parseAnsi(text, options)), [text, options]);
  if (segments === null) return <>{ranges?.length ? marked(text, 0, ranges) : text}</>;
  return (
    <>
      {segments.map((segment) => {
        const className = [styleClasses(segment.style), segment.control ? "ansi-control" : ""]
          .filter(Boolean)
          .join(" ");
        return (
          <span key={segment.start} className={className || undefined} style={styleColors(segment.style)}>
            {ranges?.length ? marked(segment.text, segment.start, ranges) : segment.text}
          </span>
        );
      })}
    </>
  );
}

/** `text` (starting at raw offset `start`) with the parts `ranges` cover in <mark>. */
function marked(text: string, start: number, ranges: Ranges): ReactNode {
  const end = start + text.length;
  const parts: ReactNode[] = [];
  let at = start;
  for (const [from, to] of ranges) {
    if (to <= at || from >= end) continue;
    const a = Math.max(from, at);
    const b = Math.min(to, end);
    if (a > at) parts.push(text.slice(at - start, a - start));
    parts.push(
      <mark key={a} className="match">
        {text.slice(a - start, b - start)}
      </mark>,
    );
    at = b;
  }
  if (parts.length === 0) return text;
  if (at < end) parts.push(text.slice(at - start));
  return parts;
}
