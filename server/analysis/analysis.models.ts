/**
 * The in-memory shape of fleet data that detection works on. The storage layer reads samples into
 * this shape; the simulator produces it directly.
 */

/** One series of one host: timestamps in epoch milliseconds, ascending, and values of the same length. */
export interface Series {
  ts: Float64Array;
  values: Float64Array;
}

/**
 * A series key is the metric name with its labels in Prometheus exposition syntax, labels sorted by name:
 * `node_memory_Slab_bytes`, `node_slabinfo_objects{slab="dentry"}`,
 * `namedprocess_namegroup_memory_bytes{groupname="nginx",memtype="resident"}`.
 */
export type SeriesKey = string;

export interface HostData {
  host: string;
  labels: Record<string, string>;
  series: Map<SeriesKey, Series>;
}

export interface FleetData {
  /** Window analysed, epoch milliseconds. */
  from: number;
  to: number;
  hosts: HostData[];
}
