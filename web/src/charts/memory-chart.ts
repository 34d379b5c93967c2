import uPlot from 'uplot';
import type { MEMORY_COMPONENTS } from '../../../server/analysis/host-onset.ts';
import type { SeriesResponse } from '../api.ts';
import { formatBytes, shortMetric } from '../format.ts';
import { fitWidth, markersPlugin, utc } from './uplot-util.ts';

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

const colours = ['#4c6ef5', '#74c0fc', '#a5d8ff', '#f59f00', '#e8590c', '#845ef7', '#be4bdb'];

export interface OnsetMark {
  at: number;
  from: number;
  to: number;
}

/**
 * A host's memory components as stacked areas and used memory as a line; its onset (and uncertainty) is
 * marked once the analysis, which takes longer than the series, has answered.
 */
export function memoryChart(
  container: HTMLElement,
  data: SeriesResponse,
): { destroy(): void; markOnset(onset: OnsetMark): void } {
  const byMetric = new Map(data.series.map((s) => [s.metric, s]));
  const times = [...new Set(data.series.flatMap((s) => s.points.map((p) => p[0])))].sort((a, b) => a - b);
  const index = new Map(times.map((t, i) => [t, i]));
  const column = (metric: string) => {
    const out: (number | null)[] = new Array<number | null>(times.length).fill(null);
    for (const [t, v] of byMetric.get(metric)?.points ?? []) out[index.get(t) as number] = v;
    return out;
  };
  const present = stackedComponents.filter((m) => byMetric.has(m));
  const raw = present.map(column);
  const stacked: (number | null)[][] = [];
  raw.forEach((col, k) => {
    const below = stacked[k - 1];
    stacked.push(col.map((v, i) => (v === null ? null : v + (below?.[i] ?? 0))));
  });
  const total = column('node_memory_MemTotal_bytes');
  const free = column('node_memory_MemFree_bytes');
  const used = total.map((t, i) => (t === null || free[i] === null ? null : t - (free[i] as number)));

  const height = 340;
  const marks: Parameters<typeof markersPlugin>[0] = [];
  const bytes = (_u: uPlot, v: number | null) => (v === null ? '–' : formatBytes(v));
  const u = new uPlot(
    {
      width: Math.max(200, container.clientWidth),
      height,
      tzDate: utc,
      scales: { x: { time: true }, y: { range: (_u, _min, max) => [0, max * 1.05] } },
      axes: [{}, { size: 70, values: (_u, ticks) => ticks.map((t) => formatBytes(t)) }],
      series: [
        {},
        ...present.map((m, k) => ({
          label: shortMetric(m),
          stroke: colours[k],
          fill: `${colours[k]}99`,
          width: 1,
          // The legend shows each component's own size, not the running sum the areas are drawn from.
          value: (_u: uPlot, _v: number | null, _s: number, i: number | null) =>
            bytes(_u, i === null ? null : (raw[k]?.[i] ?? null)),
        })),
        { label: 'used (MemTotal − MemFree)', stroke: '#212529', width: 2, value: bytes },
      ],
      bands: present.slice(1).map((_, k) => ({ series: [k + 2, k + 1] as [number, number] })),
      plugins: [markersPlugin(marks)],
    },
    [times.map((t) => t / 1000), ...stacked, used] as uPlot.AlignedData,
    container,
  );
  return {
    destroy: fitWidth(u, container, height),
    markOnset(onset) {
      marks.push({ at: onset.at / 1000, from: onset.from / 1000, to: onset.to / 1000, colour: '#d6336c' });
      u.redraw(false);
    },
  };
}
