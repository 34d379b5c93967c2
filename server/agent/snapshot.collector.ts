import { readMeminfo } from './meminfo.reader.ts';
import type { MetricValues } from './metric-key.ts';
import { processMetrics, readProcessGroups } from './process.reader.ts';
import { readSlabinfo } from './slabinfo.reader.ts';
import { ProcFileReader } from './proc-file.reader.ts';

export interface CollectorOptions {
  procfs: string;
  topSlabs: number;
  topProcesses: number;
  pageSize: number;
  onWarning?: (message: string, err: unknown) => void;
}

/**
 * Reads one snapshot: every meminfo field, the largest slab caches and the resident memory of process
 * groups. `/proc/slabinfo` is readable only with privileges: without them the snapshot goes on without it,
 * and says so once.
 */
export function createCollector(options: CollectorOptions): () => Promise<MetricValues> {
  let slabinfoWarned = false;
  const files = new ProcFileReader();
  return async () => {
    const values = readMeminfo(options.procfs, files);
    if (options.topSlabs > 0) {
      try {
        Object.assign(values, readSlabinfo(options.procfs, options.topSlabs, files));
      } catch (err) {
        if (!slabinfoWarned) options.onWarning?.('cannot read slabinfo: slab caches are not sampled', err);
        slabinfoWarned = true;
      }
    }
    if (options.topProcesses > 0) {
      Object.assign(
        values,
        processMetrics(readProcessGroups(options.procfs, options.pageSize, files), options.topProcesses),
      );
    }
    return values;
  };
}
