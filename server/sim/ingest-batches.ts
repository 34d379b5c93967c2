/** Turns a simulated fleet into `POST /api/v1/samples` request bodies, for the demo and the benchmarks. */
import type { FleetData, HostData } from '../analysis/analysis.models.ts';

export interface IngestSample {
  ts: string | number;
  values: Record<string, number>;
}

export interface IngestHost {
  host: string;
  labels: Record<string, string>;
  samples: IngestSample[];
}

export interface IngestBody {
  hosts: IngestHost[];
}

export interface IngestBatchOptions {
  /** `rfc3339` (default) or `epoch-ms`: both are valid `ts` forms. */
  timestamps?: 'rfc3339' | 'epoch-ms';
}

/**
 * Yields request bodies of at most `hostsPerBatch` hosts and `samplesPerHost` samples per host: all hosts of
 * a batch from their first samples on, then their next samples, and so on, the way agents push in rounds.
 * A generator, so a large fleet never sits in memory as JSON-ready objects all at once.
 */
export function* fleetToIngestBatches(
  fleet: FleetData,
  hostsPerBatch: number,
  samplesPerHost: number,
  options: IngestBatchOptions = {},
): Generator<IngestBody> {
  if (!(hostsPerBatch >= 1 && samplesPerHost >= 1)) throw new RangeError('batch sizes must be at least 1');
  const format =
    options.timestamps === 'epoch-ms' ? (t: number) => t : (t: number) => new Date(t).toISOString();
  for (let h = 0; h < fleet.hosts.length; h += hostsPerBatch) {
    const tables = fleet.hosts.slice(h, h + hostsPerBatch).map(sampleTable);
    const longest = Math.max(0, ...tables.map((t) => t.times.length));
    for (let offset = 0; offset < longest; offset += samplesPerHost) {
      const hosts: IngestHost[] = [];
      for (const table of tables) {
        const end = Math.min(table.times.length, offset + samplesPerHost);
        if (offset >= end) continue;
        const samples: IngestSample[] = [];
        for (let i = offset; i < end; i++) {
          const values: Record<string, number> = {};
          for (const column of table.columns) {
            const at = column.rows[i] ?? -1;
            if (at >= 0) values[column.key] = column.values[at] ?? NaN;
          }
          samples.push({ ts: format(table.times[i] ?? NaN), values });
        }
        hosts.push({ host: table.host.host, labels: table.host.labels, samples });
      }
      yield { hosts };
    }
  }
}

interface SampleTable {
  host: HostData;
  times: Float64Array;
  /** Per series: for each row of `times`, the index into its values, or -1 when it has no sample then. */
  columns: Array<{ key: string; values: Float64Array; rows: Int32Array }>;
}

/** A host's series lined up by timestamp: the union of their timestamps, one row each. */
function sampleTable(host: HostData): SampleTable {
  const series = [...host.series];
  const shared = series.every(([, s]) => s.ts === series[0]?.[1].ts);
  const times = shared
    ? (series[0]?.[1].ts ?? new Float64Array(0))
    : Float64Array.from(new Set(series.flatMap(([, s]) => [...s.ts]))).sort();
  const row = new Map<number, number>();
  if (!shared) times.forEach((t, i) => row.set(t, i));
  const columns = series.map(([key, s]) => {
    if (shared) return { key, values: s.values, rows: Int32Array.from(times, (_, i) => i) };
    const rows = new Int32Array(times.length).fill(-1);
    s.ts.forEach((t, i) => {
      const r = row.get(t);
      if (r !== undefined) rows[r] = i;
    });
    return { key, values: s.values, rows };
  });
  return { host, times, columns };
}
