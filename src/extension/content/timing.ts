/**
 * Timers and animation frames tied to an AbortSignal: aborting it stops every one of them, so
 * that stopping detection is one step (the shape of refined-github's `init(signal)`).
 */
export function every(signal: AbortSignal, ms: number, fn: () => void): void {
  if (signal.aborted) return;
  const timer = setInterval(fn, ms);
  signal.addEventListener('abort', () => clearInterval(timer), { once: true });
}

/** Calls `fn` after `ms`, unless the signal aborts first. */
export function after(signal: AbortSignal, ms: number, fn: () => void): void {
  if (signal.aborted) return;
  const timer = setTimeout(fn, ms);
  signal.addEventListener('abort', () => clearTimeout(timer), { once: true });
}

/** Calls `fn` on every animation frame until the signal aborts. */
export function eachFrame(signal: AbortSignal, fn: () => void): void {
  let raf = 0;
  const step = () => {
    if (signal.aborted) return;
    fn();
    raf = requestAnimationFrame(step);
  };
  raf = requestAnimationFrame(step);
  signal.addEventListener('abort', () => cancelAnimationFrame(raf), { once: true });
}

/**
 * Resolves once the next frame is painted (two animation frames), or after `maxMs` in a document
 * that paints no frames (a hidden tab), so that a caller waiting for it never hangs.
 */
export function painted(maxMs = 150): Promise<void> {
  return new Promise((resolve) => {
    const timer = setTimeout(resolve, maxMs);
    requestAnimationFrame(() =>
      requestAnimationFrame(() => {
        clearTimeout(timer);
        resolve();
      }),
    );
  });
}
