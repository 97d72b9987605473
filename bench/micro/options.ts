/** Per-case budget: keeps the whole suite well under a minute. */
export const BENCH = { time: 500, warmupTime: 100 } as const;

/** Cycles through `items` so a case does not measure one input the JIT specialised for. */
export function cycle<T>(items: readonly T[]): () => T {
  const mask = items.length - 1;
  if ((items.length & mask) !== 0) throw new Error(`cycle needs a power-of-two length, not ${items.length}`);
  let i = 0;
  return () => items[i++ & mask];
}

/** Results are written here so the JIT cannot drop a computation whose value is unused. */
export const sink: { value: unknown; n: number } = { value: undefined, n: 0 };
