import { join } from 'node:path';
import type { MetricValues } from './metric-key.ts';
import type { ProcFileReader } from './proc-file.reader.ts';

/**
 * Every `/proc/meminfo` field the way node_exporter names it: `Active(anon)` → `node_memory_Active_anon_bytes`;
 * a field with a unit is in kB and becomes bytes with a `_bytes` suffix, a field without one (`HugePages_Total`)
 * is a count and keeps its name.
 */
export function parseMeminfo(text: string): MetricValues {
  const values: MetricValues = {};
  for (const line of text.split('\n')) {
    const parts = line.trim().split(/\s+/);
    const [field, raw, unit] = parts;
    if (field === undefined || raw === undefined || !field.endsWith(':') || parts.length > 3) continue;
    const value = Number(raw);
    if (!Number.isFinite(value)) continue;
    const name = field.slice(0, -1).replace(/\((.*)\)/, '_$1');
    if (unit === undefined) values[`node_memory_${name}`] = value;
    else values[`node_memory_${name}_bytes`] = value * 1024;
  }
  return values;
}

export function readMeminfo(procfs: string, files: ProcFileReader): MetricValues {
  return parseMeminfo(files.read(join(procfs, 'meminfo')));
}
