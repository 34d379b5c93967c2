/**
 * The whole analysis of a fleet window: per-host onsets, the site-wide onset, and what grew. Pure: it reads
 * only its argument. Times are epoch ms; the HTTP layer formats them.
 */
import type { FleetData, HostData, Series } from './analysis.models.ts';
import { type Attribution, attribute } from './attribution.ts';
import type { ChangeKind, DetectOptions, SeriesFit } from './changepoint.ts';
import { type FleetOnsetOptions, type OnsetDating, findFleetOnset } from './fleet-onset.ts';
import {
  type GrowthOnset,
  type HostOnsets,
  type SeriesAnalysis,
  OTHER,
  USED,
  derivedSeries,
  holdersOf,
  hostOnsets,
} from './host-onset.ts';

export interface AnalyzeOptions {
  detect?: DetectOptions;
  fleet?: Partial<FleetOnsetOptions>;
}

export interface FleetOnsetResult {
  /** When the change first showed on any affected host (estimated from them together; see FleetOnset). */
  ts: number;
  /** The series whose onsets cluster: `used` or a `node_memory_*` component. */
  series: string;
  first: number;
  median: number;
  spread: { p10: number; p50: number; p90: number };
  window: { from: number; to: number };
  hosts_affected: number;
  hosts_seen: number;
  p_value: number;
  /** Growth onsets per host per day on that series away from the cluster. */
  background_per_host_day: number;
  hosts: { host: string; onset: number; lo: number; hi: number; dating?: OnsetDating }[];
}

export interface GrowthResult {
  /** Summed over the affected hosts, bytes. */
  bytes: number;
  share: number;
  /** Median over the affected hosts: added rate (bytes per hour) and added level (bytes). */
  rate_per_hour: number;
  step: number;
}

export interface HostDetail {
  host: string;
  labels: Record<string, string>;
  /** Growth onsets by series (`used`, `node_memory_*`, `other`, `unaccounted`, `slab:…`, `process:…`). */
  onsets: Record<
    string,
    {
      ts: number;
      lo: number;
      hi: number;
      kind: ChangeKind;
      rate_before: number;
      rate_after: number;
      z: number;
    }[]
  >;
}

export interface FleetAnalysis {
  from: number;
  to: number;
  hosts_total: number;
  onset: FleetOnsetResult | null;
  /** `node_memory_*` components with their share of the growth in used memory, largest first. */
  components: ({ metric: string } & GrowthResult)[];
  used: GrowthResult | null;
  /** Used memory the listed components leave out. */
  other: GrowthResult | null;
  /** Used memory minus the resident memory of all processes. */
  unaccounted: GrowthResult | null;
  slab_caches: ({ slab: string; share_of_slab: number } & GrowthResult)[];
  process_groups: ({ group: string } & GrowthResult)[];
  summary: string;
  hosts: HostDetail[];
}

/**
 * Series where a site-wide cluster is looked for: the components a change can grow on its own, and what
 * they leave of used memory. Kernel stacks and page tables follow threads and process memory; buffers
 * follow the page cache. Used memory itself is not scanned: it sums the noise of every component (each
 * night's updatedb, logrotate and backup at once), while a change grows one of them and stands clearer
 * there. It is still fitted, to count the hosts where only the sum shows the growth.
 */
export const ONSET_KEYS: readonly string[] = [
  'node_memory_AnonPages_bytes',
  'node_memory_Cached_bytes',
  'node_memory_SReclaimable_bytes',
  'node_memory_SUnreclaim_bytes',
  OTHER,
];
const SCANNED = new Set(ONSET_KEYS);

/**
 * Whether the fleet step looks for a cluster in a derived series: the keys above, and each slab cache and
 * process group. A leak in one process or cache stands far clearer of the noise in its own series than in
 * the component that holds it (a process's few MiB of noise against all anonymous memory's hundreds).
 */
export function scansKey(key: string): boolean {
  return SCANNED.has(key) || key.startsWith('slab:') || key.startsWith('process:');
}

/** Whether detection runs on a derived series: the scanned ones and used memory. */
export function detectsKey(key: string): boolean {
  return key === USED || scansKey(key);
}

function growthResult(g: { bytes: number; share: number; ratePerHour: number; step: number }): GrowthResult {
  return { bytes: g.bytes, share: g.share, rate_per_hour: g.ratePerHour, step: g.step };
}

/**
 * One host's detection, without its series: what the fleet step and the host details need. Series are
 * in the order `hostOnsets` gives them; `fit` and `onsets` are as it found them.
 */
export interface HostResult {
  host: string;
  labels: Record<string, string>;
  firstTs: number;
  lastTs: number;
  /** With the series of `ONSET_KEYS`, where the fleet step may test a host again (located-change.ts). */
  series: [key: string, result: { fit: SeriesFit | null; onsets: GrowthOnset[]; series?: Series }][];
}

/** The per-host step: detection on one host's series. Independent of every other host. */
export function analyzeHost(host: HostData, options: AnalyzeOptions = {}): HostResult {
  const h = hostOnsets(host, { detect: options.detect, detectOn: detectsKey });
  return {
    host: h.host,
    labels: h.labels,
    firstTs: h.firstTs,
    lastTs: h.lastTs,
    series: [...h.series].map(([key, sa]) => [
      key,
      { fit: sa.fit, onsets: sa.onsets, ...(SCANNED.has(key) && sa.fit ? { series: sa.series } : {}) },
    ]),
  };
}

export function analyzeFleet(fleet: FleetData, options: AnalyzeOptions = {}): FleetAnalysis {
  const byHost = new Map(fleet.hosts.map((h) => [h.host, h]));
  return combineHosts(
    fleet,
    fleet.hosts.map((h) => analyzeHost(h, options)),
    (name) => byHost.get(name),
    options,
  );
}

const noSeries: Series = { ts: new Float64Array(0), values: new Float64Array(0) };

/**
 * The fleet step: per-host results (in host order) combined into the site-wide onset, and what grew on
 * the affected hosts. Only those hosts' series are needed again, from `seriesOf`.
 */
export function combineHosts(
  window: { from: number; to: number },
  results: HostResult[],
  seriesOf: (host: string) => HostData | undefined,
  options: AnalyzeOptions = {},
): FleetAnalysis {
  const hosts: HostOnsets[] = results.map((r) => ({
    ...r,
    series: new Map(r.series.map(([key, s]) => [key, { series: noSeries, ...s }])),
  }));
  const seen = hosts.filter((h) => h.lastTs >= h.firstTs);
  const keys = new Set<string>();
  for (const h of seen) for (const [key, sa] of h.series) if (sa.fit && scansKey(key)) keys.add(key);
  const onset = findFleetOnset(seen, window, {
    keys: [...keys],
    // Only the series that hold the cluster's: a component holds many, each with its own chance onsets
    // (a process group's daily turn, a restart's regrowth).
    related: holdersOf,
    ...options.fleet,
  });
  let attribution: Attribution | null = null;
  if (onset) {
    // Attribution reads the series of the affected hosts: derived again from their data, as detection saw them.
    const byName = new Map(seen.map((h) => [h.host, h]));
    const affected: HostOnsets[] = [];
    for (const a of onset.hosts) {
      const h = byName.get(a.host);
      const data = seriesOf(a.host);
      if (!h || !data) continue;
      const derived = derivedSeries(data);
      const series = new Map<string, SeriesAnalysis>();
      for (const [key, sa] of h.series) series.set(key, { ...sa, series: derived.get(key) ?? noSeries });
      affected.push({ ...h, series });
    }
    attribution = attribute(affected, onset);
  }
  return {
    from: window.from,
    to: window.to,
    hosts_total: seen.length,
    onset: onset && {
      ts: onset.ts,
      series: onset.key,
      first: onset.first,
      median: onset.median,
      spread: onset.spread,
      window: onset.window,
      hosts_affected: onset.hostsAffected,
      hosts_seen: onset.hostsSeen,
      p_value: onset.pValue,
      background_per_host_day: onset.backgroundPerHostDay,
      hosts: onset.hosts,
    },
    components: attribution?.components.map((c) => ({ metric: c.metric, ...growthResult(c) })) ?? [],
    used: attribution && growthResult(attribution.used),
    other: attribution && growthResult(attribution.other),
    unaccounted: attribution?.unaccounted ? growthResult(attribution.unaccounted) : null,
    slab_caches:
      attribution?.slabCaches.map((s) => ({
        slab: s.slab,
        share_of_slab: s.shareOfSlab,
        ...growthResult(s),
      })) ?? [],
    process_groups: attribution?.processGroups.map((g) => ({ group: g.group, ...growthResult(g) })) ?? [],
    summary: attribution?.summary ?? 'no site-wide change in memory growth',
    hosts: hosts.map(hostDetail),
  };
}

function hostDetail(h: HostOnsets): HostDetail {
  const onsets: HostDetail['onsets'] = {};
  for (const [key, sa] of h.series) {
    if (sa.onsets.length === 0) continue;
    onsets[key] = sa.onsets.map((o) => ({
      ts: o.ts,
      lo: o.lo,
      hi: o.hi,
      kind: o.kind,
      rate_before: o.rateBefore,
      rate_after: o.rateAfter,
      z: o.z,
    }));
  }
  return { host: h.host, labels: h.labels, onsets };
}
