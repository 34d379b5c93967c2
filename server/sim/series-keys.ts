/** Series keys as the analysis reads them: node_exporter and process-exporter names, labels sorted. */
import type { SeriesKey } from '../analysis/analysis.models.ts';

/**
 * The resident memory of all process groups summed, per host (process-exporter has no such series; the
 * simulator adds it so "used memory no process accounts for" needs no summing over groups).
 */
export const PROCESS_RESIDENT_TOTAL = 'onset_process_resident_total_bytes';

/** `/proc/meminfo` field → its node_exporter series: `Active(anon)` → `node_memory_Active_anon_bytes`. */
export function meminfoKey(field: string): SeriesKey {
  return `node_memory_${field.replace(/\((\w+)\)/, '_$1')}_bytes`;
}

export function slabObjectsKey(slab: string): SeriesKey {
  return `node_slabinfo_objects{slab="${slab}"}`;
}

export function slabObjectSizeKey(slab: string): SeriesKey {
  return `node_slabinfo_object_size_bytes{slab="${slab}"}`;
}

export function processResidentKey(group: string): SeriesKey {
  return `namedprocess_namegroup_memory_bytes{groupname="${group}",memtype="resident"}`;
}
