/** An effect's cleanup for a listener that is registered asynchronously. */
export function subscribe(registered: Promise<() => void>): () => void {
  let unsubscribe: (() => void) | null = null;
  let gone = false;
  void registered.then((stop) => {
    if (gone) stop();
    else unsubscribe = stop;
  });
  return () => {
    gone = true;
    unsubscribe?.();
  };
}
