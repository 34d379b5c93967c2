import type { Db } from '../db/database.ts';
import { meanSlotSeconds } from '../storage/storage.repository.ts';
import type { FleetData } from './analysis.models.ts';
import { readFleetMeans } from './analysis.repository.ts';
import type { AnalysisWindow } from './analysis.service.ts';
import { MEMORY_COMPONENTS } from './host-onset.ts';

const totalKey = 'node_memory_MemTotal_bytes';
const freeKey = 'node_memory_MemFree_bytes';

/** One row of the heatmap: a host's used memory per column, scaled to 0..1 between its own low and high. */
export interface HeatmapRow {
  host: string;
  /** Lowest and highest used memory over the window, bytes. */
  min: number;
  max: number;
  /** 0..1 per column; NaN where the host sent nothing. */
  values: Float64Array;
}

export interface Heatmap {
  from: number;
  to: number;
  step: number;
  columns: number;
  rows: HeatmapRow[];
  /** What used memory is made of on the average host, per column: bytes, NaN where no host sent it. */
  composition: { metric: string; values: Float64Array }[];
}

export const heatmapSlotMs = meanSlotSeconds * 1000;
export const maxHeatmapColumns = 1000;
const defaultColumns = 240;

/** About 240 columns, each a whole number of the stored 5-minute means. */
export function defaultHeatmapStep(window: AnalysisWindow): number {
  return Math.max(1, Math.ceil((window.to - window.from) / defaultColumns / heatmapSlotMs)) * heatmapSlotMs;
}

/**
 * Used memory (MemTotal − MemFree) of every host, averaged per column and normalised per host, and the
 * components of used memory on the average host. A host whose
 * used memory moves less than 2% of its RAM is scaled by that 2% so its noise does not look like growth.
 */
export function buildHeatmap(fleet: FleetData, step: number): Heatmap {
  const columns = Math.max(1, Math.ceil((fleet.to - fleet.from) / step));
  const rows: HeatmapRow[] = [];
  const composition = MEMORY_COMPONENTS.map((metric) => ({
    metric,
    sum: new Float64Array(columns),
    hosts: new Uint32Array(columns),
  }));
  for (const host of fleet.hosts) {
    for (const part of composition) {
      const series = host.series.get(part.metric);
      if (!series) continue;
      columnMeans(series.ts, series.values, fleet.from, step, columns).forEach((v, c) => {
        if (Number.isNaN(v)) return;
        part.sum[c] = (part.sum[c] as number) + v;
        part.hosts[c] = (part.hosts[c] as number) + 1;
      });
    }
    const total = host.series.get(totalKey);
    const free = host.series.get(freeKey);
    if (!total || !free) continue;
    const totalMean = columnMeans(total.ts, total.values, fleet.from, step, columns);
    const freeMean = columnMeans(free.ts, free.values, fleet.from, step, columns);
    const used = new Float64Array(columns);
    let min = Infinity;
    let max = -Infinity;
    let ram = 0;
    for (let c = 0; c < columns; c++) {
      const u = (totalMean[c] as number) - (freeMean[c] as number);
      used[c] = u;
      if (Number.isNaN(u)) continue;
      if (u < min) min = u;
      if (u > max) max = u;
      ram = Math.max(ram, totalMean[c] as number);
    }
    if (min === Infinity) continue;
    const range = Math.max(max - min, ram * 0.02, 1);
    for (let c = 0; c < columns; c++) used[c] = ((used[c] as number) - min) / range;
    rows.push({ host: host.host, min, max, values: used });
  }
  return {
    from: fleet.from,
    to: fleet.to,
    step,
    columns,
    rows,
    // A mean over the hosts that reported, so a host going offline does not show as a dip.
    composition: composition
      .filter((part) => part.hosts.some((n) => n > 0))
      .map((part) => ({
        metric: part.metric,
        values: part.sum.map((v, c) => ((part.hosts[c] as number) > 0 ? v / (part.hosts[c] as number) : NaN)),
      })),
  };
}

function columnMeans(ts: Float64Array, values: Float64Array, from: number, step: number, columns: number) {
  const sum = new Float64Array(columns);
  const count = new Uint32Array(columns);
  for (let i = 0; i < ts.length; i++) {
    const c = Math.floor(((ts[i] as number) - from) / step);
    if (c < 0 || c >= columns) continue;
    sum[c] = (sum[c] as number) + (values[i] as number);
    count[c] = (count[c] as number) + 1;
  }
  return sum.map((s, c) => ((count[c] as number) > 0 ? s / (count[c] as number) : NaN));
}

export interface HeatmapService {
  heatmap(window: AnalysisWindow, step: number): Promise<Heatmap>;
}

/** Reads only the memory series the heatmap needs, not the slab and process series an analysis reads. */
export function createHeatmapService(db: Db): HeatmapService {
  return {
    async heatmap(window, step) {
      const fleet = await readFleetMeans(db, {
        ...window,
        metrics: [totalKey, freeKey, ...MEMORY_COMPONENTS],
      });
      return buildHeatmap(fleet, step);
    },
  };
}
