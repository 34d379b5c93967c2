/** Small hand-made series for the analysis tests: deterministic noise, 1-minute samples. */
export const T0 = Date.UTC(2017, 5, 25, 0, 0);
export const MINUTE = 60_000;
export const HOUR = 3_600_000;
export const MIB = 1024 * 1024;

/** A seeded standard normal stream (LCG + Box–Muller): the same numbers on every run. */
export function normals(seed: number): () => number {
  let s = seed >>> 0 || 1;
  const uniform = (): number => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return (s + 0.5) / 4294967296;
  };
  return () => Math.sqrt(-2 * Math.log(uniform())) * Math.cos(2 * Math.PI * uniform());
}

export function makeSeries(
  n: number,
  f: (i: number, ts: number) => number,
  stepMs = MINUTE,
): { ts: Float64Array; values: Float64Array } {
  const ts = new Float64Array(n);
  const values = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    ts[i] = T0 + i * stepMs;
    values[i] = f(i, ts[i]!);
  }
  return { ts, values };
}
