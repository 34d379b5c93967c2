import { join } from 'node:path';
import { byName, metricKey, type MetricValues } from './metric-key.ts';
import type { ProcFileReader } from './proc-file.reader.ts';

export interface SlabCache {
  name: string;
  activeObjects: number;
  objects: number;
  objectSize: number;
}

/** Parses `/proc/slabinfo` version 2.x: `name active_objs num_objs objsize objperslab pagesperslab : …`. */
export function parseSlabinfo(text: string): SlabCache[] {
  const lines = text.split('\n');
  const header = lines[0] ?? '';
  if (!/^slabinfo - version: 2\.\d+/.test(header)) {
    throw new Error(`unsupported slabinfo format: ${header.slice(0, 60)}`);
  }
  const caches: SlabCache[] = [];
  for (const line of lines.slice(1)) {
    if (line.startsWith('#') || line.trim() === '') continue;
    const [name, active, total, size] = line.trim().split(/\s+/);
    if (name === undefined || size === undefined) continue;
    const cache = { name, activeObjects: Number(active), objects: Number(total), objectSize: Number(size) };
    if ([cache.activeObjects, cache.objects, cache.objectSize].every(Number.isFinite)) caches.push(cache);
  }
  return caches;
}

/** The `top` largest caches by bytes (objects × object size), in node_exporter's slabinfo names. */
export function slabMetrics(caches: SlabCache[], top: number): MetricValues {
  const largest = [...caches]
    .sort((a, b) => b.objects * b.objectSize - a.objects * a.objectSize || byName(a, b))
    .slice(0, top);
  const values: MetricValues = {};
  for (const cache of largest) {
    const labels = { slab: cache.name };
    values[metricKey('node_slabinfo_objects', labels)] = cache.objects;
    values[metricKey('node_slabinfo_active_objects', labels)] = cache.activeObjects;
    values[metricKey('node_slabinfo_object_size_bytes', labels)] = cache.objectSize;
  }
  return values;
}

export function readSlabinfo(procfs: string, top: number, files: ProcFileReader): MetricValues {
  return slabMetrics(parseSlabinfo(files.read(join(procfs, 'slabinfo'))), top);
}
