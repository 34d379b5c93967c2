import type { FleetData } from '../analysis/analysis.models.ts';
import { histogram, lineChart, type Marker } from './svg.ts';

const MINUTE = 60_000;
const slotMs = 5 * MINUTE;
const GiB = 2 ** 30;

/** Mean used memory (MemTotal − MemFree) per host in each column, over the hosts of one group. */
function groupMeans(fleet: FleetData, hosts: (h: string) => boolean, step: number, columns: number) {
  const sum = new Float64Array(columns);
  const count = new Uint32Array(columns);
  for (const host of fleet.hosts) {
    if (!hosts(host.host)) continue;
    const total = host.series.get('node_memory_MemTotal_bytes');
    const free = host.series.get('node_memory_MemFree_bytes');
    if (!total || !free) continue;
    // Both come from the same 5-minute slots; pair them by timestamp.
    const freeAt = new Map<number, number>();
    for (let i = 0; i < free.ts.length; i++) freeAt.set(free.ts[i] as number, free.values[i] as number);
    const hostSum = new Float64Array(columns);
    const hostCount = new Uint32Array(columns);
    for (let i = 0; i < total.ts.length; i++) {
      const t = total.ts[i] as number;
      const f = freeAt.get(t);
      const c = Math.floor((t - fleet.from) / step);
      if (f === undefined || c < 0 || c >= columns) continue;
      hostSum[c] = (hostSum[c] as number) + (total.values[i] as number) - f;
      hostCount[c] = (hostCount[c] as number) + 1;
    }
    for (let c = 0; c < columns; c++) {
      if ((hostCount[c] as number) === 0) continue;
      sum[c] = (sum[c] as number) + (hostSum[c] as number) / (hostCount[c] as number);
      count[c] = (count[c] as number) + 1;
    }
  }
  return Array.from(sum, (s, c) => ((count[c] as number) > 0 ? s / (count[c] as number) : NaN));
}

export interface UsedMemoryChartInput {
  fleet: FleetData;
  affected: ReadonlySet<string>;
  markers: Marker[];
  formatX: (ms: number) => string;
}

/** The fleet's used memory over the window: affected hosts against the rest, with the onset marked. */
export function usedMemoryChart(input: UsedMemoryChartInput): string {
  const { fleet, affected } = input;
  const step = Math.max(1, Math.ceil((fleet.to - fleet.from) / 240 / slotMs)) * slotMs;
  const columns = Math.max(1, Math.ceil((fleet.to - fleet.from) / step));
  const at = (c: number) => fleet.from + c * step + step / 2;
  const hit = fleet.hosts.filter((h) => affected.has(h.host)).length;
  const rest = fleet.hosts.length - hit;
  const series = [
    { name: `affected hosts (${hit})`, color: '#c0392b', test: (h: string) => affected.has(h) },
    { name: `other hosts (${rest})`, color: '#3b6ea8', test: (h: string) => !affected.has(h) },
  ]
    .map((s) => ({
      name: s.name,
      color: s.color,
      points: groupMeans(fleet, s.test, step, columns).map((v, c) => [at(c), v / GiB] as const),
    }))
    .filter((s) => s.points.some(([, v]) => Number.isFinite(v)));
  return lineChart({
    title: 'Used memory (MemTotal − MemFree), mean per host',
    from: fleet.from,
    to: fleet.to,
    series,
    markers: input.markers,
    formatY: (v) => `${v.toFixed(v >= 10 ? 0 : 1)} GiB`,
    formatX: input.formatX,
  });
}

const binChoicesMin = [1, 2, 5, 10, 15, 30, 60, 120, 240, 480, 720, 1440];

const offsetLabel = (minutes: number) =>
  minutes < 60 ? `+${minutes}m` : minutes % 60 === 0 ? `+${minutes / 60}h` : `+${(minutes / 60).toFixed(1)}h`;

/** How many affected hosts started growing in each interval after the first onset. */
export function onsetSpreadChart(onsets: readonly number[]): string {
  const first = Math.min(...onsets);
  const span = Math.max(...onsets) - first;
  const binMin = binChoicesMin.find((b) => span / (b * MINUTE) <= 24) ?? 1440;
  const bins = Math.max(1, Math.floor(span / (binMin * MINUTE)) + 1);
  const counts = new Array<number>(bins).fill(0);
  for (const t of onsets) {
    const i = Math.min(bins - 1, Math.floor((t - first) / (binMin * MINUTE)));
    counts[i] = (counts[i] ?? 0) + 1;
  }
  return histogram({
    title: `Onset spread: affected hosts per ${binMin >= 60 ? `${binMin / 60} h` : `${binMin} min`}`,
    bins: counts.map((count, i) => ({ label: offsetLabel(i * binMin), count })),
    xLabel: 'time after the first onset',
  });
}
