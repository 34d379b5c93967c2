import snappy from 'snappyjs';

/** A series as a test writes it: labels in order (repeats allowed), samples as [epoch ms, value or a stale marker]. */
export interface TestSeries {
  labels: Record<string, string> | Array<[string, string]>;
  samples: Array<[number, number | 'stale']>;
}

function varint(n: number | bigint): number[] {
  // int64 fields: negatives are their 64-bit two's complement.
  let v = BigInt.asUintN(64, BigInt(n));
  const out: number[] = [];
  while (v >= 0x80n) {
    out.push(Number(v & 0x7fn) | 0x80);
    v >>= 7n;
  }
  out.push(Number(v));
  return out;
}

const tag = (field: number, type: number) => varint(field * 8 + type);
const bytesField = (field: number, payload: number[]) => [
  ...tag(field, 2),
  ...varint(payload.length),
  ...payload,
];
const stringField = (field: number, text: string) => bytesField(field, [...new TextEncoder().encode(text)]);

function double(value: number): number[] {
  const b = Buffer.alloc(8);
  b.writeDoubleLE(value);
  return [...b];
}

/** The stale marker Prometheus writes when a series disappears: a NaN with these exact bits. */
export const staleMarkerBits = [2, 0, 0, 0, 0, 0, 0xf0, 0x7f];

/** `prompb.WriteRequest`, with a metadata entry (field 3) the receiver must skip. */
export function encodeWriteRequest(series: TestSeries[]): Buffer {
  const out: number[] = [];
  for (const s of series) {
    const labels = Array.isArray(s.labels) ? s.labels : Object.entries(s.labels);
    const ts: number[] = [];
    for (const [name, value] of labels)
      ts.push(...bytesField(1, [...stringField(1, name), ...stringField(2, value)]));
    for (const [t, v] of s.samples) {
      const value = v === 'stale' ? staleMarkerBits : double(v);
      ts.push(...bytesField(2, [...tag(1, 1), ...value, ...tag(2, 0), ...varint(t)]));
    }
    out.push(...bytesField(1, ts));
  }
  out.push(...bytesField(3, [...tag(1, 0), ...varint(1), ...stringField(2, 'node_memory_Slab_bytes')]));
  return Buffer.from(out);
}

export function compress(bytes: Uint8Array): Buffer {
  return Buffer.from(snappy.compress(bytes));
}

/** node_exporter- and process-exporter-like series of one host, scraped every minute. */
export function nodeSeries(
  instance: string,
  start: number,
  count: number,
  extra: Record<string, string> = {},
) {
  const at = (base: number) =>
    Array.from({ length: count }, (_, i): [number, number] => [start + i * 60_000, base + i * 4096]);
  const target = { instance, job: 'node', ...extra };
  return [
    { labels: { __name__: 'node_memory_MemTotal_bytes', ...target }, samples: at(8_589_934_592) },
    { labels: { __name__: 'node_memory_Slab_bytes', ...target }, samples: at(551_133_184) },
    { labels: { __name__: 'node_slabinfo_objects', slab: 'dentry', ...target }, samples: at(1_633_000) },
    {
      labels: {
        __name__: 'namedprocess_namegroup_memory_bytes',
        groupname: 'nginx',
        memtype: 'resident',
        ...target,
      },
      samples: at(104_857_600),
    },
    { labels: { __name__: 'node_cpu_seconds_total', cpu: '0', mode: 'idle', ...target }, samples: at(12345) },
    { labels: { __name__: 'go_goroutines', ...target }, samples: at(8) },
  ] satisfies TestSeries[];
}
