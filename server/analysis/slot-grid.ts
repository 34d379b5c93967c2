/**
 * Series as slot grids (see `SlotGrid`), the compact form the analysis keeps between its steps: 8 bytes
 * a slot and no timestamps, against 16 bytes a point as a `Series`.
 */
import type { SlotGrid } from '../storage/slot-means.repository.ts';
import type { HostData, Series, SeriesKey } from './analysis.models.ts';

export type { SlotGrid };

export interface HostGrids {
  host: string;
  labels: Record<string, string>;
  series: Map<SeriesKey, SlotGrid>;
}

const slotMiddle = (grid: SlotGrid, i: number): number => grid.first + i * grid.slotMs + grid.slotMs / 2;

/** The first cell whose slot's middle is at or after `t`. */
function firstFrom(grid: SlotGrid, t: number): number {
  const n = grid.cells.length;
  let i = Math.min(n, Math.max(0, Math.ceil((t - grid.first - grid.slotMs / 2) / grid.slotMs)));
  while (i > 0 && slotMiddle(grid, i - 1) >= t) i--;
  while (i < n && slotMiddle(grid, i) < t) i++;
  return i;
}

/** How many slots hold a sample and have their middle in the window. */
export function gridSlotsIn(grid: SlotGrid, from: number, to: number): number {
  const hi = firstFrom(grid, to);
  let n = 0;
  for (let i = firstFrom(grid, from); i < hi; i++) if (!Number.isNaN(grid.cells[i])) n++;
  return n;
}

/** The slots that hold a sample and whose middle lies in the window, each placed at its middle. */
export function gridSeries(grid: SlotGrid, from: number, to: number): Series {
  const n = gridSlotsIn(grid, from, to);
  const ts = new Float64Array(n);
  const values = new Float64Array(n);
  const hi = firstFrom(grid, to);
  for (let i = firstFrom(grid, from), j = 0; i < hi; i++) {
    const v = grid.cells[i] as number;
    if (Number.isNaN(v)) continue;
    ts[j] = slotMiddle(grid, i);
    values[j++] = v;
  }
  return { ts, values };
}

/** A host's series from its grids. */
export function hostSeries(h: HostGrids, from: number, to: number): HostData {
  const series = new Map<SeriesKey, Series>();
  for (const [key, grid] of h.series) series.set(key, gridSeries(grid, from, to));
  return { host: h.host, labels: h.labels, series };
}

/** The buffers of the hosts' grids, to transfer to another thread rather than copy. */
export function gridBuffers(hosts: HostGrids[]): ArrayBuffer[] {
  const out: ArrayBuffer[] = [];
  for (const h of hosts) for (const g of h.series.values()) out.push(g.cells.buffer as ArrayBuffer);
  return out;
}
