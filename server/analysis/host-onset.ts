/**
 * Per host: the memory series that matter for "what grew", and where each of them started to grow.
 *
 * Used memory is `MemTotal − MemFree`, not `MemTotal − MemAvailable`: the kernel counts most reclaimable
 * slab as available, so a dentry-cache leak barely moves the latter. Used memory splits into disjoint
 * `/proc/meminfo` components (anonymous pages, page cache, buffers, reclaimable and unreclaimable slab,
 * kernel stacks, page tables) and what they leave (`other`).
 */
import type { HostData, Series, SeriesKey } from './analysis.models.ts';
import {
  type ChangePoint,
  type DetectOptions,
  type SeriesFit,
  detectChanges,
  varianceInflation,
} from './changepoint.ts';

/** Derived series: used memory, the remainder of the components, the memory no process accounts for. */
export const USED = 'used';
export const OTHER = 'other';
export const UNACCOUNTED = 'unaccounted';
export const PROCESS_RESIDENT_TOTAL = 'onset_process_resident_total_bytes';

/** Disjoint parts of used memory (`Shmem` is inside `Cached`, `AnonHugePages` inside `AnonPages`). */
export const MEMORY_COMPONENTS = [
  'node_memory_AnonPages_bytes',
  'node_memory_Cached_bytes',
  'node_memory_Buffers_bytes',
  'node_memory_SReclaimable_bytes',
  'node_memory_SUnreclaim_bytes',
  'node_memory_KernelStack_bytes',
  'node_memory_PageTables_bytes',
] as const;

/** Anonymous pages hold process memory; reclaimable and unreclaimable slab hold the slab caches. */
export const ANON_PAGES = 'node_memory_AnonPages_bytes';
export const SLAB_PARTS = ['node_memory_SReclaimable_bytes', 'node_memory_SUnreclaim_bytes'] as const;

const HOUR = 3_600_000;
const DAY = 24 * HOUR;
// Growth slower than a quarter per cent of the host's memory a day would take over a year to fill it: not a
// memory incident, whatever its statistical evidence (kernel caches that follow the daily load are such).
const MATERIAL_SHARE = 0.0025;
// Growth must hold for this long after its change to count (cron bursts drain within a few hours).
const SUSTAIN_MS = 6 * HOUR;
// A departure from earlier behaviour needs some earlier behaviour: a quarter of a day, half a daily swing.
const MIN_HISTORY_MS = 6 * HOUR;
// And some behaviour after it: a cron job's burst rises for minutes up to most of an hour (updatedb, a
// backup) before it drains, so growth seen for less than this cannot be told from one.
const MIN_FOLLOW_MS = HOUR;
/**
 * Where a site-wide change is already known to lie, the history asked of a host is only what shows that its
 * series departed there: as much as is asked after the change. The quarter of a day guards against reading
 * a host's first hours (warm-up, half a daily swing) as an onset anywhere in the window; inside the
 * cluster's window the scan has already said that something changed.
 */
export const CLUSTER_HISTORY_MS = MIN_FOLLOW_MS;
// A segment this short between two changes may be a step spread over a slot mean or two (see withoutRamps).
const RAMP_MS = 15 * 60_000;
const SLAB_OBJECTS = /^node_slabinfo_objects\{slab="((?:[^"\\]|\\.)*)"\}$/;
const PROCESS_RESIDENT =
  /^namedprocess_namegroup_memory_bytes\{groupname="((?:[^"\\]|\\.)*)",memtype="resident"\}$/;

/**
 * The derived series that hold series `key`: a process group's anonymous pages, a slab cache's slab,
 * every component's used memory (used memory itself has none).
 */
export function holdersOf(key: string): string[] {
  if (key.startsWith('slab:')) return [...SLAB_PARTS, USED];
  if (key.startsWith('process:')) return [ANON_PAGES, USED];
  return key === USED ? [] : [USED];
}

/** Key of a slab cache's bytes (objects × object size) and of a process group's resident memory. */
export function slabKey(slab: string): string {
  return `slab:${slab}`;
}
export function processKey(group: string): string {
  return `process:${group}`;
}

export interface GrowthOnset {
  ts: number;
  lo: number;
  hi: number;
  kind: ChangePoint['kind'];
  rateBefore: number;
  rateAfter: number;
  jump: number;
  size: number;
  /** Evidence in noise units (the larger of the slope and level z). */
  z: number;
}

export interface SeriesAnalysis {
  series: Series;
  /** Null where detection was not asked for. */
  fit: SeriesFit | null;
  onsets: GrowthOnset[];
}

export interface HostOnsets {
  host: string;
  labels: Record<string, string>;
  /** First and last sample of the host, epoch ms. */
  firstTs: number;
  lastTs: number;
  /** By derived key: `used`, a `node_memory_*` component, `other`, `unaccounted`, `slab:…`, `process:…`. */
  series: Map<string, SeriesAnalysis>;
}

export interface HostOnsetOptions {
  detect?: DetectOptions;
  /** Which derived series to run detection on; all by default. */
  detectOn?: (key: string) => boolean;
}

/**
 * Whether a change starts growth: a trend into growth, steeper than before, or an upward level shift.
 * `turnsUp` is wider: any steeper trend, a decline that slows included; it ends the course of a burst
 * (what follows is another change's doing) without being growth itself.
 */
export function growthAt(c: ChangePoint): {
  grows: boolean;
  turnsUp: boolean;
  slopeUp: boolean;
  levelUp: boolean;
} {
  if (c.kind === 'spike') return { grows: false, turnsUp: false, slopeUp: false, levelUp: false };
  const steeper = c.zSlope > 0 && c.rateAfter > c.rateBefore;
  const slopeUp = steeper && c.rateAfter > 0;
  const levelUp = c.zLevel > 0 && c.jump > 0;
  let grows: boolean;
  if (c.kind === 'slope') grows = slopeUp;
  else if (c.kind === 'level') grows = levelUp;
  // Both at once: a bend into a leak may sit on a drop too small to matter (under a tenth of what the change
  // adds); a larger drop is a restart or reclaim, whatever regrows after it.
  else grows = (c.zLevel >= 0 || -c.jump < 0.1 * c.size) && (slopeUp || levelUp);
  return { grows, turnsUp: grows || steeper, slopeUp, levelUp };
}

/**
 * Changes that start growth: a slope increase into growth or an upward level shift. Drops (restarts, the
 * OOM killer, reclaim) are not onsets, even when the series regrows after them, and neither are spikes
 * that return. `historyMs` is how much of the series must come before a change.
 */
export function growthOnsets(fitted: SeriesFit, memTotal = 0, historyMs = MIN_HISTORY_MS): GrowthOnset[] {
  const fit = withoutRamps(fitted);
  const floor = MATERIAL_SHARE * memTotal;
  const out: GrowthOnset[] = [];
  // Segments of a burst's own course: a transient's top is no ground later growth has to break.
  const transient = new Uint8Array(fit.segments.length);
  fit.changes.forEach((c, i) => {
    const { grows, slopeUp, levelUp } = growthAt(c);
    if (!grows) return;
    if (!sustained(fit, i, transient)) return;
    if (c.ts - fit.segments[0]!.startTs < historyMs) return;
    if (fit.segments[fit.segments.length - 1]!.endTs - c.ts < MIN_FOLLOW_MS) return;
    // Immaterial: slower than the floor per day and a smaller jump than the floor.
    if (c.rateAfter - c.rateBefore < floor / 24 && c.jump < floor) return;
    out.push({
      ts: c.ts,
      lo: c.lo,
      hi: c.hi,
      kind: c.kind,
      rateBefore: c.rateBefore,
      rateAfter: c.rateAfter,
      jump: c.jump,
      size: c.size,
      z: Math.max(slopeUp ? c.zSlope : 0, levelUp ? c.zLevel : 0),
    });
  });
  return out;
}

/**
 * A step that falls inside a sample's averaging interval (a 5-minute slot mean half before, half after)
 * shows as a ramp of a few points, and the fit may cut it into two changes around a short steep segment,
 * each judged on too few points to be told a level shift (a negative jump into the ramp, the ramp's own
 * rise unseen). Such a ramp, rising or falling the way the series moves across it by more than three
 * noise units, is one level shift from the segment before to the segment after.
 */
function withoutRamps(fit: SeriesFit): SeriesFit {
  const { segments, changes } = fit;
  const noise = fit.sigma * Math.sqrt(varianceInflation(fit.rho));
  let out: SeriesFit | null = null;
  for (let i = 1; i + 1 < segments.length; i++) {
    const ramp = segments[i]!;
    if (ramp.endTs - ramp.startTs > RAMP_MS) continue;
    const [c1, c2] = [changes[i - 1]!, changes[i]!];
    if (c1.kind === 'spike' || c2.kind === 'spike') continue;
    const L = segments[i - 1]!;
    const R = segments[i + 1]!;
    const jump = R.level - (L.level + (L.rate * (R.startTs - L.startTs)) / HOUR);
    if (!(Math.abs(jump) > 3 * noise) || Math.sign(ramp.rate) !== Math.sign(jump)) continue;
    out ??= { ...fit, segments: [...segments], changes: [...changes] };
    const k = out.segments.indexOf(ramp);
    out.segments.splice(k, 1);
    out.changes.splice(k - 1, 2, {
      ...c1,
      hi: c2.hi,
      kind: 'level',
      rateBefore: L.rate,
      rateAfter: R.rate,
      jump,
      size: jump + ((R.rate - L.rate) * (R.endTs - R.startTs)) / HOUR,
      zSlope: 0,
      zLevel: jump / noise,
    });
    i++;
  }
  return out ?? fit;
}

/**
 * Growth is sustained when the series stays above where it stood before the change: growth that drains
 * back by half or more from its peak over the following segments is not an onset. A reset
 * (restart, OOM kill: a sudden drop that takes back half the growth or more at once) ends the look-ahead:
 * what it resets says nothing about the growth before it.
 *
 * A burst (updatedb, logrotate, a backup) is growth whose own course over its first `SUSTAIN_MS`, up to
 * where the series turns up again after falling from its peak, drains half of it, or turns down at a pace
 * that would within that time: it is a transient even where a leak starting under it holds the series up
 * later, and even where the window ends before it has drained. A rise the fit cut into several steps is
 * one course.
 *
 * Growth also has to break new ground: at least half of it must take the series above anything it held in
 * the day before the change. A daily cycle the fit did not model turns from falling to rising once a day,
 * and regrowth after a restart climbs back to where the process was; neither is memory starting to grow.
 */
function sustained(fit: SeriesFit, i: number, transient: Uint8Array): boolean {
  const c = fit.changes[i]!;
  const before = fit.segments[i]!;
  const base = before.level + (before.rate * (c.ts - before.startTs)) / HOUR;
  let peak = 0;
  let sincePeak = 0;
  let ownPeak = 0;
  let ownLast = 0;
  let ownSeg = fit.segments[i + 1]!;
  let ownEnd = i + 1;
  let own = true;
  // A bend's growth is its trend: later upward jumps are their own changes (tonight's updatedb after this
  // afternoon's bend), and the series is judged without them.
  let lifted = 0;
  const horizon = c.ts + SUSTAIN_MS;
  for (let s = i + 1; s < fit.segments.length; s++) {
    const seg = fit.segments[s]!;
    if (s > i + 1 && c.kind === 'slope' && growthAt(fit.changes[s - 1]!).levelUp)
      lifted += fit.changes[s - 1]!.jump;
    const start = seg.level - base;
    if (s > i + 1) {
      const next = fit.changes[s - 1]!;
      const sudden = next.kind !== 'slope' && next.kind !== 'spike' && next.jump < 0;
      if (sudden && start - lifted <= peak / 2) break;
      // The course ends where the series turns up again after falling from its peak; a rise in several
      // pieces (a burst's ramp cut into steps) is one course.
      if (growthAt(next).turnsUp && ownLast < ownPeak) own = false;
    }
    const end = seg.level + (seg.rate * (seg.endTs - seg.startTs)) / HOUR - base;
    for (const v of [start - lifted, end - lifted]) {
      if (v > peak) peak = sincePeak = v;
      else sincePeak = Math.min(sincePeak, v);
    }
    // A burst's course is judged over its first `SUSTAIN_MS`: a slow decline over the following day is the
    // series' own drift (or a cycle), not the drain of a transient.
    if (own && seg.startTs <= horizon) {
      const last =
        seg.endTs <= horizon ? end : seg.level + (seg.rate * (horizon - seg.startTs)) / HOUR - base;
      ownPeak = Math.max(ownPeak, start, last);
      ownLast = last;
      ownSeg = seg;
      ownEnd = s;
    }
  }
  if (peak <= 0) return false;
  const judged = ownPeak > 0;
  const left = Math.max(0, horizon - ownSeg.endTs);
  const burst = judged && ownLast + (Math.min(0, ownSeg.rate) * left) / HOUR < ownPeak / 2;
  if (burst || sincePeak < peak / 2) {
    if (judged) transient.fill(1, i + 1, ownEnd + 1);
    return false;
  }
  return base + peak - priorHigh(fit, i, c.ts - DAY, transient) >= peak / 2;
}

/** The highest the fitted series stood from `since` up to change `i`, bursts left out. */
function priorHigh(fit: SeriesFit, i: number, since: number, transient: Uint8Array): number {
  let high = -Infinity;
  for (let s = 0; s <= i; s++) {
    const seg = fit.segments[s]!;
    if (transient[s] === 1) continue;
    const end = s === i ? fit.changes[i]!.ts : seg.endTs;
    if (end < since) continue;
    const from = Math.max(seg.startTs, since);
    const at = (t: number): number => seg.level + (seg.rate * (t - seg.startTs)) / HOUR;
    high = Math.max(high, at(from), at(end));
  }
  return high;
}

/** `a op b` on the timestamps both carry. */
function combine(a: Series, b: Series, op: (x: number, y: number) => number): Series {
  if (a.ts.length === b.ts.length && a.ts.every((t, i) => t === b.ts[i])) {
    const values = new Float64Array(a.ts.length);
    for (let i = 0; i < values.length; i++) values[i] = op(a.values[i]!, b.values[i]!);
    return { ts: a.ts, values };
  }
  const ts: number[] = [];
  const values: number[] = [];
  let j = 0;
  for (let i = 0; i < a.ts.length; i++) {
    const t = a.ts[i]!;
    while (j < b.ts.length && b.ts[j]! < t) j++;
    if (j < b.ts.length && b.ts[j] === t) {
      ts.push(t);
      values.push(op(a.values[i]!, b.values[j]!));
    }
  }
  return { ts: Float64Array.from(ts), values: Float64Array.from(values) };
}

const minus = (x: number, y: number): number => x - y;
const plus = (x: number, y: number): number => x + y;
const times = (x: number, y: number): number => x * y;

/** The series analysis works on, derived from a host's raw series. */
export function derivedSeries(host: HostData): Map<string, Series> {
  const out = new Map<string, Series>();
  const get = (key: SeriesKey): Series | undefined => host.series.get(key);
  const total = get('node_memory_MemTotal_bytes');
  const free = get('node_memory_MemFree_bytes');
  const used = total && free ? combine(total, free, minus) : undefined;
  if (used) out.set(USED, used);
  let parts: Series | undefined;
  for (const key of MEMORY_COMPONENTS) {
    const s = get(key);
    if (!s) continue;
    out.set(key, s);
    parts = parts ? combine(parts, s, plus) : s;
  }
  if (used && parts) out.set(OTHER, combine(used, parts, minus));
  const resident = get(PROCESS_RESIDENT_TOTAL);
  if (used && resident) out.set(UNACCOUNTED, combine(used, resident, minus));
  for (const [key, s] of host.series) {
    const slab = SLAB_OBJECTS.exec(key)?.[1];
    if (slab !== undefined) {
      const size = get(`node_slabinfo_object_size_bytes{slab="${slab}"}`);
      if (size) out.set(slabKey(slab), combine(s, size, times));
      continue;
    }
    const group = PROCESS_RESIDENT.exec(key)?.[1];
    if (group !== undefined) out.set(processKey(group), s);
  }
  return out;
}

/**
 * Whether a series moves too little to hold a material onset: a jump of the materiality floor, or growth
 * of it in a day, moves the series by far more than a sixteenth of it within the window. Most of a host's
 * small process groups and slab caches are such, and detection on them is skipped.
 */
function still(values: Float64Array, memTotal: number): boolean {
  if (!(memTotal > 0)) return false;
  let lo = Infinity;
  let hi = -Infinity;
  for (const v of values) {
    if (v < lo) lo = v;
    if (v > hi) hi = v;
  }
  return hi - lo < (MATERIAL_SHARE * memTotal) / 16;
}

/** Detection on each derived series of one host. */
export function hostOnsets(host: HostData, options: HostOnsetOptions = {}): HostOnsets {
  const series = new Map<string, SeriesAnalysis>();
  const total = host.series.get('node_memory_MemTotal_bytes')?.values;
  const memTotal = total && total.length > 0 ? total[total.length >> 1]! : 0;
  let firstTs = Infinity;
  let lastTs = -Infinity;
  for (const [key, s] of derivedSeries(host)) {
    if (s.ts.length > 0) {
      firstTs = Math.min(firstTs, s.ts[0]!);
      lastTs = Math.max(lastTs, s.ts[s.ts.length - 1]!);
    }
    if ((options.detectOn && !options.detectOn(key)) || still(s.values, memTotal)) {
      series.set(key, { series: s, fit: null, onsets: [] });
      continue;
    }
    const fit = detectChanges(s.ts, s.values, options.detect);
    series.set(key, { series: s, fit, onsets: growthOnsets(fit, memTotal) });
  }
  return { host: host.host, labels: host.labels, firstTs, lastTs, series };
}
