/**
 * The shell holds the write end of each sidecar's stdin and never writes to it.
 * When the shell dies, however it dies (even SIGKILL), the kernel closes that
 * end and our read sees EOF: the one parent-death signal every OS delivers.
 */

/**
 * Reads stdin until it closes (EOF or error), then calls `onClose` and resolves.
 * Callers enable it only when `CONVOY_STDIN_WATCHDOG=1`: a sidecar started by
 * hand from a terminal should not exit because nobody types into it.
 */
export async function watchStdin(
  onClose: () => void,
  stdin: ReadableStream<Uint8Array> = Bun.stdin.stream(),
): Promise<void> {
  const reader = stdin.getReader();
  try {
    let chunk = await reader.read();
    while (!chunk.done) chunk = await reader.read();
  } catch {
    // A broken pipe means the same as EOF: the parent is gone.
  } finally {
    reader.releaseLock();
  }
  onClose();
}
