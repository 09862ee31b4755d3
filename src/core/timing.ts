/** Times `fn` `runs` times after `warmup` untimed calls (first calls compile, allocate, warm caches); returns ms per call. */
export async function timeRuns(fn: () => unknown, runs: number, warmup = 5): Promise<number[]> {
  for (let i = 0; i < warmup; i++) await fn();
  const times: number[] = [];
  for (let i = 0; i < runs; i++) {
    const t0 = performance.now();
    await fn();
    times.push(performance.now() - t0);
  }
  return times;
}
