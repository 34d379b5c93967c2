import type { MEMORY_COMPONENTS } from '../../../server/analysis/host-onset.ts';
import type { SeriesResponse } from '../api.ts';
import { shortMetric } from '../format.ts';
import { stackedChart } from './stacked-chart.ts';

/** Stacked bottom to top: the analysis's disjoint parts of used memory, then the line they add up to. */
export const stackedComponents: readonly (typeof MEMORY_COMPONENTS)[number][] = [
  'node_memory_AnonPages_bytes',
  'node_memory_Cached_bytes',
  'node_memory_Buffers_bytes',
  'node_memory_SReclaimable_bytes',
  'node_memory_SUnreclaim_bytes',
  'node_memory_KernelStack_bytes',
  'node_memory_PageTables_bytes',
];
export const hostChartMetrics = [
  ...stackedComponents,
  'node_memory_MemTotal_bytes',
  'node_memory_MemFree_bytes',
];

/** One host's memory components as stacked areas and its used memory (MemTotal − MemFree) as a line. */
export function memoryChart(container: HTMLElement, data: SeriesResponse) {
  const byMetric = new Map(data.series.map((s) => [s.metric, s]));
  const times = [...new Set(data.series.flatMap((s) => s.points.map((p) => p[0])))].sort((a, b) => a - b);
  const index = new Map(times.map((t, i) => [t, i]));
  const column = (metric: string) => {
    const out: (number | null)[] = new Array<number | null>(times.length).fill(null);
    for (const [t, v] of byMetric.get(metric)?.points ?? []) out[index.get(t) as number] = v;
    return out;
  };
  const total = column('node_memory_MemTotal_bytes');
  const free = column('node_memory_MemFree_bytes');
  return stackedChart(container, {
    times,
    parts: stackedComponents
      .filter((m) => byMetric.has(m))
      .map((m) => ({ label: shortMetric(m), values: column(m) })),
    line: {
      label: 'used (MemTotal − MemFree)',
      values: total.map((t, i) => (t === null || free[i] === null ? null : t - (free[i] as number))),
    },
  });
}
