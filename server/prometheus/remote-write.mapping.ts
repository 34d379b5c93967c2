import type { ErrorDetail } from '../http/errors.ts';
import type { IngestBody } from '../ingest/ingest.schemas.ts';
import { formatSeriesKey } from '../ingest/series-key.ts';
import type { PromTimeSeries } from './remote-write.decode.ts';

/**
 * The families onset analyses, and for each the labels that tell its series apart. Every other label
 * of such a series is a target label (`role`, `dc`, …) and describes the host instead, so the series key
 * stays what the agent sends (`node_memory_Slab_bytes`, `node_slabinfo_objects{slab="dentry"}`).
 */
const families: Array<{ matches: (metric: string) => boolean; keyLabels: readonly string[] }> = [
  { matches: (m) => m.startsWith('node_memory_numa_'), keyLabels: ['node'] },
  { matches: (m) => m.startsWith('node_memory_'), keyLabels: [] },
  { matches: (m) => m.startsWith('node_slabinfo_'), keyLabels: ['slab'] },
  { matches: (m) => m === 'namedprocess_namegroup_memory_bytes', keyLabels: ['groupname', 'memtype'] },
  { matches: (m) => m === 'namedprocess_namegroup_num_procs', keyLabels: ['groupname'] },
  { matches: (m) => m.startsWith('onset_'), keyLabels: [] },
];

/** Where a host's name comes from, first present wins; `instance` loses its port. */
export const hostLabelPrecedence = ['onset_host', 'nodename', 'host', 'instance'] as const;

/** Labels that name the scrape rather than the host or the series. */
const dropped = new Set(['__name__', 'instance', 'job', 'onset_host']);

/** `web-001.example.net:9100` → `web-001.example.net`; `[2001:db8::1]:9100` → `2001:db8::1`. */
export function stripPort(instance: string): string {
  const bracketed = /^\[([^\]]*)\](?::\d+)?$/.exec(instance);
  if (bracketed) return bracketed[1] as string;
  const hostPort = /^([^:]*):\d+$/.exec(instance);
  return hostPort ? (hostPort[1] as string) : instance;
}

export interface MappedWrite {
  /** The request as `POST /api/v1/samples` would carry it, for the ingest schema to check. */
  body: IngestBody;
  /** For each of `body.hosts`: the label its name came from. */
  hostSources: string[];
  series: { accepted: number; ignored: number };
  samples: { accepted: number; ignored: number; skipped: number };
  /** Series onset cannot place on a host: the whole request is refused. */
  problems: ErrorDetail[];
}

interface HostRows {
  source: string;
  labels: Map<string, string>;
  byTs: Map<number, Map<string, number>>;
}

function describeSeries(labels: Map<string, string>): string {
  const metric = labels.get('__name__') ?? '';
  const rest = Object.fromEntries([...labels].filter(([n]) => n !== '__name__'));
  return formatSeriesKey(metric, rest);
}

/** Keeps the analysed families, names their hosts and series, and drops NaN samples (stale markers). */
export function mapWriteRequest(input: PromTimeSeries[]): MappedWrite {
  const hosts = new Map<string, HostRows>();
  const out: MappedWrite = {
    body: { hosts: [] },
    hostSources: [],
    series: { accepted: 0, ignored: 0 },
    samples: { accepted: 0, ignored: 0, skipped: 0 },
    problems: [],
  };
  const problem = (labels: Map<string, string>, message: string) => {
    if (out.problems.length < 50) out.problems.push({ path: describeSeries(labels), message });
  };

  for (const series of input) {
    const labels = new Map<string, string>();
    let repeated: string | undefined;
    for (const { name, value } of series.labels) {
      if (labels.has(name)) repeated = name;
      // An empty value means the label is absent, as in Prometheus.
      if (value !== '') labels.set(name, value);
    }
    const metric = labels.get('__name__') ?? '';
    const family = families.find((f) => f.matches(metric));
    if (!family) {
      out.series.ignored++;
      out.samples.ignored += series.samples.length;
      continue;
    }
    if (repeated !== undefined) {
      problem(labels, `label '${repeated}' appears twice`);
      continue;
    }
    const source = hostLabelPrecedence.find((n) => labels.has(n));
    if (source === undefined) {
      problem(labels, `names no host: it needs one of the labels ${hostLabelPrecedence.join(', ')}`);
      continue;
    }
    const raw = labels.get(source) as string;
    const name = source === 'instance' ? stripPort(raw) : raw;

    const keyLabels: Record<string, string> = {};
    const hostLabels = new Map<string, string>();
    for (const [n, v] of labels) {
      if (dropped.has(n) || n === source) continue;
      if (family.keyLabels.includes(n)) keyLabels[n] = v;
      else hostLabels.set(n, v);
    }
    const key = formatSeriesKey(metric, keyLabels);

    let rows = hosts.get(name);
    if (!rows) {
      rows = { source, labels: new Map(), byTs: new Map() };
      hosts.set(name, rows);
    }
    // Target labels are the same on every series of a scrape; across jobs the first one seen wins.
    for (const [n, v] of hostLabels) if (!rows.labels.has(n)) rows.labels.set(n, v);

    out.series.accepted++;
    for (const s of series.samples) {
      // Stale markers are a NaN; no NaN or infinity tells onset anything about memory.
      if (!Number.isFinite(s.value)) {
        out.samples.skipped++;
        continue;
      }
      out.samples.accepted++;
      let values = rows.byTs.get(s.timestamp);
      if (!values) {
        values = new Map();
        rows.byTs.set(s.timestamp, values);
      }
      values.set(key, s.value);
    }
  }

  for (const [host, rows] of hosts) {
    if (rows.byTs.size === 0) continue;
    out.body.hosts.push({
      host,
      labels: Object.fromEntries(rows.labels),
      samples: [...rows.byTs].map(([ts, values]) => ({ ts, values: Object.fromEntries(values) })),
    });
    out.hostSources.push(rows.source);
  }
  return out;
}

/**
 * A path into the mapped body (as the ingest schema reports it), said the way a Prometheus operator
 * finds it: the host, where its name came from, the series and the sample's time.
 */
export function describeIngestPath(
  mapped: MappedWrite,
  path: string,
  issuePath: readonly PropertyKey[],
): string {
  const [, hi, part, si, field, key] = issuePath;
  if (typeof hi !== 'number') return path;
  const host = mapped.body.hosts[hi];
  if (!host) return path;
  let out = `host '${host.host}' (from label ${mapped.hostSources[hi] ?? '?'})`;
  if (part === 'labels' && si !== undefined) out += `, target label '${String(si)}'`;
  if (part === 'samples' && typeof si === 'number') {
    const ts = host.samples[si]?.ts;
    if (field === 'values' && key !== undefined) out += `, series ${String(key)}`;
    if (typeof ts === 'number')
      out += `, at ${Math.abs(ts) < 8.64e15 ? new Date(ts).toISOString() : `${ts} ms`}`;
  }
  return out;
}
