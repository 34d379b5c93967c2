/**
 * What grew after the onset on the affected hosts. For each host and series, a local model around the host's
 * own onset τ: `y = a + b·t + d·(t − τ)+ + e·1{t ≥ τ}` on the deseasonalised values, whose excess growth by
 * a common horizon, `e + d·h`, is what the change added beyond the earlier trend. Summed over the affected
 * hosts, each component's excess over the excess of used memory is its share.
 */
import { seasonalAt, solve } from './changepoint.ts';
import type { FleetOnset } from './fleet-onset.ts';
import {
  ANON_PAGES,
  type HostOnsets,
  MEMORY_COMPONENTS,
  OTHER,
  SLAB_PARTS,
  type SeriesAnalysis,
  UNACCOUNTED,
  USED,
  holdersOf,
} from './host-onset.ts';

const HOUR = 3_600_000;
// Six hours each side of the onset: long enough for a leak of a few MiB/h to stand clear of the noise,
// short enough that restarts, reclaim and the OOM killer seldom intervene.
const WINDOW_MS = 6 * HOUR;
// A share under this is "flat" in the summary: it is within what noise and rounding move.
const FLAT_SHARE = 0.1;
const MIB = 1024 * 1024;

export interface Growth {
  /** Summed excess over the affected hosts, bytes. */
  bytes: number;
  /** Share of the growth in used memory. */
  share: number;
  /** Median over the hosts of the added rate, bytes per hour, and of the added level, bytes. */
  ratePerHour: number;
  step: number;
  /** Affected hosts that have the series. */
  hosts: number;
}

export interface ComponentGrowth extends Growth {
  metric: string;
}
export interface SlabGrowth extends Growth {
  slab: string;
  /** Share of the growth of all slab (reclaimable and not). */
  shareOfSlab: number;
}
export interface ProcessGrowth extends Growth {
  group: string;
}

export interface Attribution {
  used: Growth;
  /** `node_memory_*` components, largest share first. */
  components: ComponentGrowth[];
  /** Used memory the listed components leave out. */
  other: Growth;
  /** Used memory minus the resident memory of all processes: what no process accounts for. */
  unaccounted: Growth | null;
  slabCaches: SlabGrowth[];
  processGroups: ProcessGrowth[];
  summary: string;
}

interface Excess {
  total: number;
  rate: number;
  step: number;
}

const A = new Float64Array(16);
const rhs = new Float64Array(4);

/** The excess growth after `tau` of one series, or null with too few points on either side. */
export function excessGrowth(sa: SeriesAnalysis, tau: number): Excess | null {
  const { ts, values } = sa.series;
  const coef = sa.fit?.seasonal ?? null;
  let n0 = 0;
  let t0 = 0;
  let tt0 = 0;
  let y0 = 0;
  let ty0 = 0;
  let n1 = 0;
  let t1 = 0;
  let tt1 = 0;
  let y1 = 0;
  let ty1 = 0;
  let last = tau;
  // Values relative to the first one in the window, to keep the sums well conditioned.
  let base = NaN;
  for (let i = 0; i < ts.length; i++) {
    const at = ts[i]!;
    if (at < tau - WINDOW_MS) continue;
    if (at > tau + WINDOW_MS) break;
    const v = values[i]!;
    if (!Number.isFinite(v)) continue;
    const y0i = v - seasonalAt(coef, at);
    if (Number.isNaN(base)) base = y0i;
    const y = y0i - base;
    const t = (at - tau) / HOUR;
    if (at < tau) {
      n0++;
      t0 += t;
      tt0 += t * t;
      y0 += y;
      ty0 += t * y;
    } else {
      n1++;
      t1 += t;
      tt1 += t * t;
      y1 += y;
      ty1 += t * y;
      last = at;
    }
  }
  // Three points each side: a line before, and a slope and level after, each need one to spare.
  if (n0 < 3 || n1 < 3) return null;
  // Regressors 1, t, t+ (t ≥ 0 part), step; t is already relative to τ.
  const n = n0 + n1;
  const st = t0 + t1;
  const stt = tt0 + tt1;
  const m = [n, st, t1, n1, st, stt, tt1, t1, t1, tt1, tt1, t1, n1, t1, t1, n1];
  for (let i = 0; i < 16; i++) A[i] = m[i]!;
  rhs[0] = y0 + y1;
  rhs[1] = ty0 + ty1;
  rhs[2] = ty1;
  rhs[3] = y1;
  if (!solve(A, rhs, 4)) return null;
  const rate = rhs[2]!;
  const step = rhs[3]!;
  const horizon = Math.min(WINDOW_MS, last - tau) / HOUR;
  return { total: step + rate * horizon, rate, step };
}

/**
 * The component that holds series `key`: itself, or of the components among its holders (anonymous pages
 * for a process group; reclaimable and unreclaimable slab for a slab cache) the one that grew most; none
 * for used memory.
 */
function holderOf(key: string, grew: (key: string) => number): string | null {
  if ((MEMORY_COMPONENTS as readonly string[]).includes(key)) return key;
  const parts = holdersOf(key).filter((k) => k !== USED);
  return parts.reduce<string | null>((a, k) => (a === null || grew(k) > grew(a) ? k : a), null);
}

function median(values: number[]): number {
  if (values.length === 0) return 0;
  const s = [...values].sort((a, b) => a - b);
  const mid = s.length >> 1;
  return s.length % 2 === 1 ? s[mid]! : (s[mid - 1]! + s[mid]!) / 2;
}

interface Pooled {
  bytes: number;
  rates: number[];
  steps: number[];
}

const WORDS: Record<string, string> = {
  node_memory_AnonPages_bytes: 'process (anonymous) memory',
  node_memory_Cached_bytes: 'page cache',
  node_memory_Buffers_bytes: 'buffer cache',
  node_memory_SReclaimable_bytes: 'reclaimable kernel slab',
  node_memory_SUnreclaim_bytes: 'unreclaimable kernel slab',
  node_memory_KernelStack_bytes: 'kernel stacks',
  node_memory_PageTables_bytes: 'page tables',
  [OTHER]: 'memory outside the listed components',
};

function mib(bytes: number): string {
  const v = bytes / MIB;
  return v >= 100 ? v.toFixed(0) : v >= 10 ? v.toFixed(0) : v.toFixed(1);
}

/** A part's percentage of a whole, at most 100: both are estimates, and the part's may be the cleaner one. */
function percentOf(part: number, whole: number): number {
  return Math.min(100, Math.round((part / whole) * 100));
}

function clock(ms: number): string {
  const iso = new Date(ms).toISOString();
  return `${iso.slice(0, 10)} ${iso.slice(11, 16)} UTC`;
}

/** What grew after the fleet onset on its affected hosts. */
export function attribute(hosts: HostOnsets[], onset: FleetOnset): Attribution {
  const byName = new Map(hosts.map((h) => [h.host, h]));
  const pooled = new Map<string, Pooled>();
  for (const a of onset.hosts) {
    const h = byName.get(a.host);
    if (!h) continue;
    for (const [key, sa] of h.series) {
      const ex = excessGrowth(sa, a.onset);
      if (!ex) continue;
      let p = pooled.get(key);
      if (!p) pooled.set(key, (p = { bytes: 0, rates: [], steps: [] }));
      p.bytes += ex.total;
      p.rates.push(ex.rate);
      p.steps.push(ex.step);
    }
  }
  const usedBytes = pooled.get(USED)?.bytes ?? 0;
  // Shares of used memory's growth; if used memory did not grow, of the components' positive growth.
  let denominator = usedBytes;
  if (!(denominator > 0)) {
    denominator = 0;
    for (const key of MEMORY_COMPONENTS) denominator += Math.max(0, pooled.get(key)?.bytes ?? 0);
  }
  const growth = (key: string): Growth => {
    const p = pooled.get(key);
    if (!p) return { bytes: 0, share: 0, ratePerHour: 0, step: 0, hosts: 0 };
    return {
      bytes: p.bytes,
      share: denominator > 0 ? p.bytes / denominator : 0,
      ratePerHour: median(p.rates),
      step: median(p.steps),
      hosts: p.rates.length,
    };
  };
  const components: ComponentGrowth[] = MEMORY_COMPONENTS.filter((k) => pooled.has(k))
    .map((metric) => ({ metric, ...growth(metric) }))
    .sort((a, b) => b.share - a.share);
  // The onsets clustered in a series that one component holds: that component grew, whatever the local
  // fits say of the others (a page cache's daily swing, shared by the fleet, does not average out).
  const holder = holderOf(onset.key, (key) => pooled.get(key)?.bytes ?? -Infinity);
  const at = components.findIndex((c) => c.metric === holder);
  if (at > 0) components.unshift(...components.splice(at, 1));
  const slabTotal = Math.max(
    0,
    (pooled.get('node_memory_SReclaimable_bytes')?.bytes ?? 0) +
      (pooled.get('node_memory_SUnreclaim_bytes')?.bytes ?? 0),
  );
  const slabCaches: SlabGrowth[] = [];
  const processGroups: ProcessGrowth[] = [];
  for (const key of pooled.keys()) {
    if (key.startsWith('slab:')) {
      const g = growth(key);
      slabCaches.push({ slab: key.slice(5), ...g, shareOfSlab: slabTotal > 0 ? g.bytes / slabTotal : 0 });
    } else if (key.startsWith('process:')) {
      processGroups.push({ group: key.slice(8), ...growth(key) });
    }
  }
  slabCaches.sort((a, b) => b.bytes - a.bytes);
  processGroups.sort((a, b) => b.bytes - a.bytes);
  const unaccounted = pooled.has(UNACCOUNTED) ? growth(UNACCOUNTED) : null;
  const result: Attribution = {
    used: growth(USED),
    components,
    other: growth(OTHER),
    unaccounted,
    slabCaches,
    processGroups,
    summary: '',
  };
  result.summary = summarise(result, onset);
  return result;
}

function summarise(a: Attribution, onset: FleetOnset): string {
  // Growth no listed component holds is named as such, not after whichever component moved most.
  const top = onset.key === OTHER ? { metric: OTHER, ...a.other } : a.components[0];
  const hostsPart = `on ${onset.hostsAffected} of ${onset.hostsSeen} hosts from ${clock(onset.ts)}`;
  if (!top || !(top.bytes > 0)) return `memory grew ${hostsPart}; no single component stands out`;
  const name = WORDS[top.metric] ?? top.metric;
  // A change is a step when its level shift outweighs six hours of its added rate.
  const stepLike = Math.abs(top.step) > Math.abs(top.ratePerHour) * 6;
  const how = stepLike ? `rose by about ${mib(top.step)} MiB` : `grew about ${mib(top.ratePerHour)} MiB/h`;
  const parts = [
    `${name} ${how} ${hostsPart} (${Math.round(top.share * 100)}% of the growth in used memory)`,
  ];
  if (top.metric !== ANON_PAGES) {
    const anon = a.components.find((c) => c.metric === ANON_PAGES);
    if (anon && Math.abs(anon.share) < FLAT_SHARE) parts.push('process memory flat');
  }
  if ((SLAB_PARTS as readonly string[]).includes(top.metric)) {
    const slab = a.slabCaches[0];
    if (slab && slab.bytes > 0)
      parts.push(`the ${slab.slab} cache holds ${percentOf(slab.bytes, top.bytes)}% of it`);
  } else if (top.metric === ANON_PAGES) {
    const group = a.processGroups[0];
    if (group && group.bytes > 0)
      parts.push(`${group.group} holds ${percentOf(group.bytes, top.bytes)}% of it`);
  }
  if (a.unaccounted && a.unaccounted.share > 1 - FLAT_SHARE && top.metric !== ANON_PAGES)
    parts.push('no process accounts for it');
  return parts.join('; ');
}
