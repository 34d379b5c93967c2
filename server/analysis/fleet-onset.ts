/**
 * The site-wide onset: a cluster in time of per-host growth onsets in one memory series, tested against
 * the rate at which onsets happen anyway (host-local leaks, noise) on the same series.
 *
 * Method: a scan statistic. For each series and each window width (a push lands within minutes, a
 * highstate schedule with splay within an hour or two, a slow cron within hours), slide the window over the
 * onsets and count the hosts with an onset inside. Under the null hypothesis a host has an onset in a
 * given window with probability p = 1 − exp(−λ w), λ being the background rate per host estimated from the
 * onsets outside the window (other times, other hosts), so the count is Binomial(hosts, p). The p-value is
 * that binomial tail, multiplied (Bonferroni) by the number of effectively distinct windows, widths and
 * series tried.
 */
import { RANKING_MODEL, windowEnd, windowStart } from '../changes/ranking.model.ts';
import { DAILY_DRIFT, locatedChanges } from './located-change.ts';
import type { ChangeKind, SeriesFit } from './changepoint.ts';
import {
  CLUSTER_HISTORY_MS,
  type GrowthOnset,
  type HostOnsets,
  growthAt,
  growthOnsets,
} from './host-onset.ts';

const MINUTE = 60_000;
const HOUR = 60 * MINUTE;
const DAY = 24 * HOUR;

// From a push (minutes) to a slow schedule (hours).
const DEFAULT_WIDTHS = [10 * MINUTE, 20 * MINUTE, 40 * MINUTE, 80 * MINUTE, 160 * MINUTE, 320 * MINUTE];
// A site-wide change is reported when so unlikely by chance; with ~10 series per analysis this keeps the
// false-alarm rate of a quiet fleet near 1%.
const DEFAULT_ALPHA = 0.01;
// Two hosts agreeing in time is too easily a coincidence to call site-wide, whatever the rate says.
const DEFAULT_MIN_HOSTS = 3;
// Site-wide means a visible part of the site: a cluster on fewer than one host in twenty is a local
// matter (one rack's cron timing, a handful of hosts' daily cycles lining up), however unlikely its timing.
const DEFAULT_MIN_SHARE = 0.05;

export interface FleetOnsetOptions {
  /** Derived series keys to look for a cluster in (see host-onset.ts). */
  keys: string[];
  widthsMs?: number[];
  alpha?: number;
  minHosts?: number;
  /** Least share of the hosts seen a cluster must reach. */
  minShare?: number;
  /**
   * Series that show the same growth as a key through another lens (for a process group: anonymous pages,
   * used memory). A host whose onset in the cluster's window shows only in a related series (noise hid it
   * in the cluster's own) is affected too.
   */
  related?: (key: string) => string[];
}

/**
 * How a host's onset was dated: a level shift on the cluster's series (to within minutes), a bend in its
 * trend (tens of minutes off now and then: a slow bend is hard to date), through a related series, or by
 * the test of a silent host inside the cluster's window (located-change.ts).
 */
export type OnsetDating = 'step' | 'bend' | 'related' | 'located';

export interface AffectedHost {
  host: string;
  onset: number;
  lo: number;
  hi: number;
  dating: OnsetDating;
}

export interface FleetOnset {
  /** The derived series whose onsets cluster. */
  key: string;
  /**
   * When the change first showed on any affected host, epoch ms: estimated from the onsets detection found
   * on its own, each with its dating error, against the rate of onsets away from the cluster
   * (`windowStart`), so it may follow a host whose onset was dated early.
   */
  ts: number;
  /** The earliest onset of an affected host, as dated on that host. */
  first: number;
  median: number;
  spread: { p10: number; p50: number; p90: number };
  /** The scan window that holds the cluster. */
  window: { from: number; to: number };
  hostsAffected: number;
  hostsSeen: number;
  hosts: AffectedHost[];
  pValue: number;
  /** Onsets per host per day on this series outside the cluster. */
  backgroundPerHostDay: number;
}

interface Event {
  host: number;
  ts: number;
  lo: number;
  hi: number;
  kind: ChangeKind;
}

function eventOf(host: number, c: { ts: number; lo: number; hi: number; kind: ChangeKind }): Event {
  return { host, ts: c.ts, lo: c.lo, hi: c.hi, kind: c.kind };
}

/** A jump (a level shift, with or without a bend) rather than a bend alone. */
const jumps = (e: Event): boolean => e.kind !== 'slope';

/** log P(X ≥ k) for X ~ Binomial(n, p). */
export function logBinomialTail(n: number, p: number, k: number): number {
  if (k <= 0) return 0;
  if (k > n) return -Infinity;
  if (p <= 0) return -Infinity;
  if (p >= 1) return 0;
  const lp = Math.log(p);
  const lq = Math.log1p(-p);
  // Terms from k upwards; log-sum-exp, stopping once they no longer count.
  let logC = logChoose(n, k);
  const term = logC + k * lp + (n - k) * lq;
  let max = term;
  let sum = 1;
  for (let j = k + 1; j <= n; j++) {
    logC += Math.log((n - j + 1) / j);
    const t = logC + j * lp + (n - j) * lq;
    if (t > max) {
      sum = sum * Math.exp(max - t) + 1;
      max = t;
    } else {
      sum += Math.exp(t - max);
      if (t - max < -40) break;
    }
  }
  return max + Math.log(sum);
}

function logChoose(n: number, k: number): number {
  return logFactorial(n) - logFactorial(k) - logFactorial(n - k);
}

function logFactorial(n: number): number {
  // Stirling with two correction terms; exact sums for small n.
  if (n < 20) {
    let s = 0;
    for (let i = 2; i <= n; i++) s += Math.log(i);
    return s;
  }
  return n * Math.log(n) - n + 0.5 * Math.log(2 * Math.PI * n) + 1 / (12 * n) - 1 / (360 * n ** 3);
}

function quantile(sorted: number[], q: number): number {
  if (sorted.length === 0) return NaN;
  const pos = (sorted.length - 1) * q;
  const lo = Math.floor(pos);
  const hi = Math.ceil(pos);
  return sorted[lo]! + (sorted[hi]! - sorted[lo]!) * (pos - lo);
}

interface Scan {
  key: string;
  logP: number;
  count: number;
  from: number;
  to: number;
  lambda: number;
  events: Event[];
}

/**
 * A change happens once: when at least half of the cluster's hosts turned upwards the same way (a jump,
 * or a bend in the trend) at the same time of day, within an hour, a day earlier or later, the cluster is a
 * daily habit the cycle model missed, not a change. `ups` holds every upward change of the series, onsets
 * or not: last night's backup, which drained by morning, was no onset, yet it shows tonight's for the
 * habit it is; a leak that starts in the hours of the nightly updatedb is a bend, not the burst's jump.
 */
function recursDaily(events: Event[], lo: number, hi: number, ups: Event[]): boolean {
  let habits = 0;
  const hosts = new Set<number>();
  for (let k = lo; k < hi; k++) {
    const e = events[k]!;
    if (hosts.has(e.host)) continue;
    hosts.add(e.host);
    const again = [-DAY, DAY].some((shift) => {
      for (let i = lowerBound(ups, e.ts + shift - DAILY_DRIFT); i < ups.length; i++) {
        const u = ups[i]!;
        if (u.ts > e.ts + shift + DAILY_DRIFT) break;
        if (u.host === e.host && jumps(u) === jumps(e)) return true;
      }
      return false;
    });
    if (again) habits++;
  }
  return habits * 2 >= hosts.size && habits > 0;
}

function lowerBound(events: Event[], ts: number): number {
  let lo = 0;
  let hi = events.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (events[mid]!.ts < ts) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/** The most significant window of one series' onsets. */
function scanKey(
  key: string,
  events: Event[],
  ups: Event[],
  hostsSeen: number,
  exposure: number,
  span: number,
  widths: number[],
  multiplicity: number,
  minHosts: number,
): Scan | null {
  if (events.length === 0) return null;
  events.sort((a, b) => a.ts - b.ts);
  const inWindow = new Int32Array(hostsSeen);
  let best: Scan | null = null;
  for (const w of widths) {
    // Bonferroni: about 2 span / w effectively distinct windows of this width (half-overlapping).
    const logMult = Math.log(multiplicity * Math.max(1, (2 * span) / w));
    inWindow.fill(0);
    let distinct = 0;
    let hi = 0;
    for (let lo = 0; lo < events.length; lo++) {
      const start = events[lo]!.ts;
      while (hi < events.length && events[hi]!.ts <= start + w) {
        if (inWindow[events[hi]!.host]!++ === 0) distinct++;
        hi++;
      }
      const count = distinct;
      if (count >= minHosts) {
        // Background from the onsets outside this window; one pseudo-onset keeps the rate above zero.
        const outside = events.length - (hi - lo);
        const lambda = (outside + 1) / Math.max(exposure - hostsSeen * w, exposure / 2);
        const p = -Math.expm1(-lambda * w);
        const logP = Math.min(0, logBinomialTail(hostsSeen, p, count) + logMult);
        const better = best === null || logP < best.logP || (logP === best.logP && count > best.count);
        if (better && !recursDaily(events, lo, hi, ups)) {
          const endTs = events[hi - 1]!.ts;
          best = { key, logP, count, from: start, to: endTs, lambda, events };
        }
      }
      if (--inWindow[events[lo]!.host]! === 0) distinct--;
    }
  }
  return best;
}

function affectedOf(hosts: HostOnsets[], events: Iterable<Event & { dating: OnsetDating }>): AffectedHost[] {
  return [...events]
    .map((e) => ({ host: hosts[e.host]!.host, onset: e.ts, lo: e.lo, hi: e.hi, dating: e.dating }))
    .sort((a, b) => a.onset - b.onset || a.host.localeCompare(b.host));
}

/** The site-wide onset among the hosts' growth onsets, or null when no cluster is significant. */
export function findFleetOnset(
  hosts: HostOnsets[],
  window: { from: number; to: number },
  options: FleetOnsetOptions,
): FleetOnset | null {
  const alpha = options.alpha ?? DEFAULT_ALPHA;
  const hostsSeen = hosts.length;
  const minHosts = Math.max(
    options.minHosts ?? DEFAULT_MIN_HOSTS,
    Math.ceil((options.minShare ?? DEFAULT_MIN_SHARE) * hostsSeen),
  );
  const span = Math.max(1, window.to - window.from);
  const widths = (options.widthsMs ?? DEFAULT_WIDTHS).filter((w) => w <= span / 4);
  if (widths.length === 0) widths.push(span / 4);
  let exposure = 0;
  for (const h of hosts) if (h.lastTs > h.firstTs) exposure += h.lastTs - h.firstTs;
  if (hostsSeen < minHosts || exposure <= 0) return null;
  const multiplicity = widths.length * options.keys.length;

  const eventsOf = (key: string): Event[] => {
    const events: Event[] = [];
    hosts.forEach((h, i) => {
      for (const o of h.series.get(key)?.onsets ?? []) events.push(eventOf(i, o));
    });
    return events;
  };
  let best: Scan | null = null;
  for (const key of options.keys) {
    const ups: Event[] = [];
    hosts.forEach((h, i) => {
      for (const c of h.series.get(key)?.fit?.changes ?? []) if (growthAt(c).grows) ups.push(eventOf(i, c));
    });
    ups.sort((a, b) => a.ts - b.ts);
    const scan = scanKey(key, eventsOf(key), ups, hostsSeen, exposure, span, widths, multiplicity, minHosts);
    if (scan && (best === null || scan.logP < best.logP)) best = scan;
  }
  if (best === null || !(best.logP < Math.log(alpha))) return null;

  // Affected: an onset in the window, or within its own uncertainty of it or the hosts' clock skew.
  const inside = best.events.filter((e) => e.ts >= best.from && e.ts <= best.to);
  const halfWidths = inside.map((e) => (e.hi - e.lo) / 2).sort((a, b) => a - b);
  // The window's edges are onsets read on their hosts' own clocks, each off by up to the clock skew.
  const margin = quantile(halfWidths, 0.5) + RANKING_MODEL.clockSkewMs;
  // Within its own uncertainty: a slow bend's onset may be placed past the window's edge, with an interval
  // that reaches into it.
  const near = (o: { lo: number; hi: number }): boolean =>
    o.hi >= best.from - margin && o.lo <= best.to + margin;
  const byHost = new Map<number, Event & { dating: OnsetDating }>();
  // A level shift alone is dated to within minutes; a bend is not.
  const dated = (e: Event, own: boolean) => ({
    ...e,
    dating: (own ? (e.kind === 'level' ? 'step' : 'bend') : 'related') as OnsetDating,
  });
  const related = [best.key, ...(options.related?.(best.key) ?? [])];
  // A host's onset is its first in the cluster's own series; a related series speaks only for hosts the
  // cluster's series is silent on (it is noisier there, or would not be the cluster's).
  for (const key of related) {
    const found = new Map<number, Event>();
    for (const e of key === best.key ? best.events : eventsOf(key)) {
      if (!near(e) || byHost.has(e.host)) continue;
      const seen = found.get(e.host);
      if (!seen || e.ts < seen.ts) found.set(e.host, e);
    }
    for (const [host, e] of found) byHost.set(host, dated(e, key === best.key));
  }
  // Once the cluster stands, a host silent on its series is looked at again there, in its window:
  // - without the materiality floor, which keeps trivial growth out of the scan: growth that passes every
  //   other test is the change reaching a host where it is small against the host's memory (a 100 MiB step
  //   on a 64 GiB database host);
  // - under the model BIC passed over (with the daily cycle or without it): over a day or two the choice
  //   is close, and the chosen model can hide the change (see `SeriesFit.alternative`);
  // - with only as much history before the change as is asked after it: a host that came up a few hours
  //   before the change reached it (see `CLUSTER_HISTORY_MS`).
  const inCluster = (fit: SeriesFit): GrowthOnset | undefined =>
    growthOnsets(fit, 0, CLUSTER_HISTORY_MS).find(near);
  // The hosts detection found on its own date the change; those looked at again do not: their onsets were
  // sought inside the window, so they say nothing of where it starts.
  const dating = affectedOf(hosts, byHost.values());
  const own = [...byHost.values()].filter((e) => e.dating !== 'related');
  hosts.forEach((h, i) => {
    const fit = h.series.get(best.key)?.fit;
    if (byHost.has(i) || !fit) return;
    const o = inCluster(fit) ?? (fit.alternative && inCluster(fit.alternative));
    if (o) byHost.set(i, dated(eventOf(i, o), true));
  });
  // The cluster says where the change landed and what it looks like: the hosts still silent are tested
  // there for a change of its kind, a step under a cluster of level shifts, a bend otherwise, against the
  // same test at other times (see located-change.ts). Where: the change's apply window, its start and end
  // as the timing model dates them from the hosts found on their own, give or take the clock skew; not the
  // scan's window, which runs from the earliest onset it counts to the latest (a slow bend may be dated
  // hours off).
  const stepped = 2 * own.filter(jumps).length >= own.length;
  const locatedKind: ChangeKind = stepped ? 'level' : 'slope';
  const silent = hosts.flatMap((h, i) => {
    const { series, fit } = h.series.get(best.key) ?? {};
    return byHost.has(i) || !series?.ts.length || !fit ? [] : [{ i, series }];
  });
  const skew = RANKING_MODEL.clockSkewMs;
  const background = { perHostMs: best.lambda, hostsSeen };
  const start = windowStart(dating, skew, background);
  const from = start - skew;
  const to = Math.max(start, windowEnd(dating, skew, background)) + skew;
  locatedChanges(
    silent.map((x) => x.series),
    stepped ? 'step' : 'hinge',
    { from, to },
  ).forEach((at, k) => {
    const i = silent[k]!.i;
    if (at !== null)
      byHost.set(i, { host: i, ts: at, lo: from, hi: to, kind: locatedKind, dating: 'located' });
  });
  const affected = affectedOf(hosts, byHost.values());
  const times = affected.map((a) => a.onset);
  return {
    key: best.key,
    ts: start,
    first: times[0]!,
    median: quantile(times, 0.5),
    spread: { p10: quantile(times, 0.1), p50: quantile(times, 0.5), p90: quantile(times, 0.9) },
    window: { from: best.from, to: best.to },
    hostsAffected: affected.length,
    hostsSeen,
    hosts: affected,
    pValue: Math.exp(best.logP),
    backgroundPerHostDay: best.lambda * DAY,
  };
}
