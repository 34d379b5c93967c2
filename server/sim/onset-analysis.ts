/**
 * A fleet analysis made by hand rather than by `analyzeFleet`: hosts with their labels and, for the hosts
 * that changed, when. What the change ranking's tests and benchmark rank against.
 */
import type { FleetAnalysis } from '../analysis/analyze-fleet.ts';

const MINUTE = 60_000;

export interface OnsetAnalysisInput {
  from: number;
  to: number;
  hosts: readonly { host: string; labels: Record<string, string> }[];
  /** Onset per affected host, epoch ms; null for an analysis that found no onset. */
  onsets: ReadonlyMap<string, number> | null;
  /** Half the width of each onset's interval (`lo` … `hi`); default 2 minutes. */
  onsetErrorMs?: number | ((host: string) => number);
}

export function onsetAnalysis(input: OnsetAnalysisInput): FleetAnalysis {
  const { from, to, hosts, onsets, onsetErrorMs = 2 * MINUTE } = input;
  const errorOf = typeof onsetErrorMs === 'number' ? () => onsetErrorMs : onsetErrorMs;
  const list = [...(onsets ?? [])].map(([host, onset]) => {
    const error = errorOf(host);
    return { host, onset, lo: onset - error, hi: onset + error };
  });
  const first = list.reduce((min, h) => Math.min(min, h.onset), Infinity);
  return {
    from,
    to,
    hosts_total: hosts.length,
    onset:
      onsets === null || list.length === 0
        ? null
        : {
            ts: first,
            series: 'node_memory_SReclaimable_bytes',
            first,
            median: first,
            spread: { p10: first, p50: first, p90: first },
            window: { from: first, to: first },
            hosts_affected: list.length,
            hosts_seen: hosts.length,
            p_value: 1e-12,
            background_per_host_day: 0.01,
            hosts: list,
          },
    components: [],
    used: null,
    other: null,
    unaccounted: null,
    slab_caches: [],
    process_groups: [],
    summary: '',
    hosts: hosts.map((h) => ({ host: h.host, labels: h.labels, onsets: {} })),
  };
}
