/**
 * Where a window of fixed-height lines stands in its scroller. With every
 * line LINE_HEIGHT high, a scroll position is a line number, exactly; the
 * scroller's content is as tall as the lines, so the browser's own scrollbar
 * works, up to MAX_SCROLL_PX (WebKit and Chromium keep layout in 1/64 px in
 * 32 bits, about 33.5M px). Past it the content stays at MAX_SCROLL_PX and a
 * scroll position maps onto the lines in proportion.
 */

export const LINE_HEIGHT = 18;
export const MAX_SCROLL_PX = 30_000_000;
/** Lines rendered beyond each edge of the viewport. */
export const OVERSCAN = 20;
/** Within this of the bottom counts as at the bottom (follow mode). */
export const BOTTOM_SLACK_PX = LINE_HEIGHT * 1.5;

export interface Viewport {
  scrollTop: number;
  height: number;
}

/** The content's height for `count` lines. */
export function contentHeight(count: number): number {
  return Math.min(count * LINE_HEIGHT, MAX_SCROLL_PX);
}

/** The line (fractional) at the viewport's top. */
export function firstLine(count: number, { scrollTop, height }: Viewport): number {
  const real = count * LINE_HEIGHT - height;
  const shown = contentHeight(count) - height;
  if (real <= 0 || shown <= 0) return 0;
  return Math.max(0, (Math.min(scrollTop, shown) / shown) * real) / LINE_HEIGHT;
}

/** The scroll position that puts line `n` (fractional) at the viewport's top. */
export function scrollTopFor(n: number, count: number, height: number): number {
  const real = count * LINE_HEIGHT - height;
  const shown = contentHeight(count) - height;
  if (real <= 0 || shown <= 0) return 0;
  return (Math.min(Math.max(0, n * LINE_HEIGHT), real) / real) * shown;
}

/** The lines to render: the visible ones and OVERSCAN each side, [from, to). */
export function windowRange(count: number, viewport: Viewport): { from: number; to: number; first: number } {
  const first = firstLine(count, viewport);
  const rows = Math.ceil(viewport.height / LINE_HEIGHT) + 1;
  const from = Math.max(0, Math.floor(first) - OVERSCAN);
  const to = Math.min(count, Math.floor(first) + rows + OVERSCAN);
  return { from, to, first };
}

/** Line n's top within the content, so that line `first` sits at the viewport's top. */
export function lineTop(n: number, first: number, scrollTop: number): number {
  return scrollTop + (n - first) * LINE_HEIGHT;
}

export function atBottom(scrollTop: number, height: number, scrollHeight: number): boolean {
  return scrollHeight - scrollTop - height <= BOTTOM_SLACK_PX;
}

/**
 * Follow mode after a scroll the user made: on at the bottom, off elsewhere.
 * A scroll the view made itself (following, jumping) changes nothing.
 */
export function followAfterScroll(following: boolean, byUser: boolean, bottom: boolean): boolean {
  return byUser ? bottom : following;
}
