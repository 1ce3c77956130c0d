import type { OutputPiece } from "./useJobOutput";

/**
 * A job's output, each piece marked with its stream. Stderr is told apart by
 * more than colour (a bar at the left of each of its lines) and named in its
 * `title`; StderrKey says so in words.
 */
export function OutputPieces({ pieces }: { pieces: readonly OutputPiece[] }) {
  return pieces.map((piece) => (
    <span
      key={piece.key}
      className={`output-${piece.stream}`}
      data-stream={piece.stream}
      title={piece.stream === "stderr" ? "stderr" : undefined}
    >
      {piece.text}
    </span>
  ));
}

/** Says how stderr is shown, once there is some. */
export function StderrKey({ pieces }: { pieces: readonly OutputPiece[] }) {
  if (!pieces.some((piece) => piece.stream === "stderr")) return null;
  return (
    <p className="muted output-key" data-testid="output-key">
      <span className="output-key-stderr">stderr</span> is shown in red, with a bar at its left.
    </p>
  );
}
