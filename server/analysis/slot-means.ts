/**
 * What the server feeds the analysis, computed on in-memory data: each series reduced to the mean of its
 * samples per slot (slots of `slotMs` aligned to the epoch), placed at the middle of the slot, only slots
 * that hold samples and whose middle lies in the window. The same reduction as the repository's reading
 * of compacted chunks, so the evaluation measures what the server runs.
 */
import type { FleetData, HostData, Series } from './analysis.models.ts';

export function slotMeansOf(s: Series, from: number, to: number, slotMs: number): Series {
  const ts: number[] = [];
  const values: number[] = [];
  let slot = NaN;
  let sum = 0;
  let count = 0;
  const flush = (): void => {
    if (count === 0) return;
    const mid = slot * slotMs + slotMs / 2;
    if (mid >= from && mid < to) {
      ts.push(mid);
      values.push(sum / count);
    }
  };
  for (let i = 0; i < s.ts.length; i++) {
    const v = s.values[i]!;
    if (!Number.isFinite(v)) continue;
    const k = Math.floor(s.ts[i]! / slotMs);
    if (k !== slot) {
      flush();
      slot = k;
      sum = 0;
      count = 0;
    }
    sum += v;
    count++;
  }
  flush();
  return { ts: Float64Array.from(ts), values: Float64Array.from(values) };
}

/** The fleet as the server reads it: slot means of every series; hosts left with no slot are dropped. */
export function slotMeans(fleet: FleetData, slotMs = 300_000): FleetData {
  const hosts: HostData[] = [];
  for (const h of fleet.hosts) {
    const series = new Map<string, Series>();
    for (const [key, s] of h.series) {
      const m = slotMeansOf(s, fleet.from, fleet.to, slotMs);
      if (m.ts.length > 0) series.set(key, m);
    }
    if (series.size > 0) hosts.push({ host: h.host, labels: h.labels, series });
  }
  return { from: fleet.from, to: fleet.to, hosts };
}
