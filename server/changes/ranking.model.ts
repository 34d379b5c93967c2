/**
 * The ranking model's constants and densities (see the header of ranking.ts): the grid of apply-window
 * starts, the fit of a set of onsets to one apply window, the start-delay and detection-delay densities,
 * the prior from the change itself and the Beta-binomial of the reached × changed table. Pure functions.
 */
import type { FleetAnalysis } from '../analysis/analyze-fleet.ts';
import type { CandidateChange } from './ranking.ts';

export const SECOND = 1000;
export const MINUTE = 60 * SECOND;
export const HOUR = 60 * MINUTE;
export const DAY = 24 * HOUR;
const SQRT_2PI = Math.sqrt(2 * Math.PI);

/** Model constants; see the header. */
export const RANKING_MODEL = {
  clockSkewMs: 5 * MINUTE,
  /** Share of reached, affected hosts whose onset is unrelated to the change. */
  unrelated: 0.05,
  /**
   * The same share for hosts whose scope is unknown (`AffectedHost.scopeUnknown`), where it is higher: on
   * the `tune` fleets about a quarter of those seen only through a related series are hosts the change did
   * not reach, and one in eleven of the hosts the test of silent hosts found (located-change.ts).
   */
  unrelatedRelated: 0.25,
  /**
   * Share of onsets placed off by tens of minutes, by how the onset was dated (a slow leak's bend is hard
   * to date; a level shift is not), and that scale. Measured on the `tune` fleets: a quarter of bends, one
   * level shift in seventy, nearly half the hosts seen through a related series; 0.25 where not known
   * (a silent host's change found inside the cluster's window: its interval is the window).
   */
  onsetErrorShare: { step: 0.015, bend: 0.25, related: 0.45, located: 0.25, unknown: 0.25 },
  onsetErrorMs: 30 * MINUTE,
  /** Prior mean start delay, and how many incidents' worth of weight it has against `confirmedLags`. */
  startDelayMs: 15 * MINUTE,
  startDelayWeight: 2,
  slowShare: 0.15,
  slowMaxMs: 3 * DAY,
  spreadMinMs: 2 * MINUTE,
  spreadMaxMs: DAY,
  spreadSteps: 20,
  /** Detection delay after a known apply: mostly minutes, sometimes hours. */
  detectFastMs: 10 * MINUTE,
  detectSlowMs: 3 * HOUR,
  reached: [1, 1] as const,
  unreached: [1, 19] as const,
  /** Label values whose unions an unlisted change may target, and the most values listed singly. */
  noneMaxUnionValues: 8,
  noneMaxLabelValues: 40,
  /** Prior weight of "none of these", in units of an ordinary candidate. */
  noneWeight: 1,
  revertedWeight: 2,
  /** Suspects below this posterior, or with weaker evidence than this against H0, are left out. */
  minScore: 0.01,
  minLog10BayesFactor: 0.5,
  maxSuspects: 20,
};

export interface AffectedHost {
  host: string;
  ts: number;
  sigma: number;
  /** Share of onsets dated like this one that are off by tens of minutes (`onsetErrorShare`). */
  offShare: number;
  /**
   * Seen only through a related series, or by the test of a silent host: whether such a host changed
   * is not known well enough to weigh a change's scope (on the `tune` fleets about one in four, and one in
   * eleven, is a host the change did not reach, against one in eight hundred of those seen on the cluster's
   * own series). It counts in time, with its dating error, and is left out of the reached × changed table.
   */
  scopeUnknown: boolean;
}

/** Share of unrelated onsets among hosts dated like `h`. */
export function unrelatedShare(grid: Grid, h: AffectedHost): number {
  return h.scopeUnknown ? Math.max(grid.unrelated, RANKING_MODEL.unrelatedRelated) : grid.unrelated;
}

/** log density of `h`'s onset where it is unrelated to the change (see `Grid.logPerHostBackground`). */
export function logHostBackground(grid: Grid, h: AffectedHost): number {
  return grid.logPerHostBackground + Math.log(unrelatedShare(grid, h) / grid.unrelated);
}

export interface Grid {
  /** Start of the apply window, epoch ms, ascending; and log of each point's width. */
  s: Float64Array;
  logDs: Float64Array;
  spreads: Float64Array;
  /** Share of affected hosts whose onset is unrelated to the change. */
  unrelated: number;
  /**
   * log density of an affected host's onset that is unrelated to the change (`unrelated` of them), uniform
   * over the stretch the fleet step counted affected hosts in.
   */
  logPerHostBackground: number;
}

/** The rate of onsets away from the cluster, per host and ms, over `hostsSeen` hosts. */
export interface OnsetBackground {
  perHostMs: number;
  hostsSeen: number;
}

/** The onset's hosts, each onset's error σ half the clock-skew bound or half its interval (at least a minute). */
export function affectedHosts(
  onset: Pick<NonNullable<FleetAnalysis['onset']>, 'hosts'>,
  skew: number,
): AffectedHost[] {
  return onset.hosts.map((h) => ({
    host: h.host,
    ts: h.onset,
    sigma: Math.max(skew / 2, (h.hi - h.lo) / 2, MINUTE),
    offShare: RANKING_MODEL.onsetErrorShare[h.dating ?? 'unknown'],
    scopeUnknown: h.dating === 'related' || h.dating === 'located',
  }));
}

/**
 * When a change applied over a window first showed, from every host's onset: the posterior median of the
 * window's start under the timing model (flat prior on the start, the spread integrated out, each onset
 * blurred by its dating error). The earliest single onset is a poor estimate with many hosts: a few of
 * them are dated tens of minutes early (a slow leak's bend is hard to date), and the earliest of many is
 * one of those.
 *
 * Given the rate of onsets away from the cluster, the share of unrelated onsets follows from it (`makeGrid`).
 */
export function windowStart(
  hosts: NonNullable<FleetAnalysis['onset']>['hosts'],
  skew: number,
  background?: OnsetBackground,
): number {
  const affected = affectedHosts({ hosts }, skew);
  let first = Infinity;
  for (const h of affected) first = Math.min(first, h.ts);
  const grid = makeGrid(first, affected, skew, background);
  const fit = windowFits([affected], grid)[0] as Float64Array;
  const logMass = Array.from(fit, (f, i) => f + (grid.logDs[i] as number));
  const total = logSumExp(logMass);
  let i = 0;
  for (let below = 0; i < logMass.length - 1; i++) {
    below += Math.exp((logMass[i] as number) - total);
    if (below >= 0.5) break;
  }
  // To the second: the grid's points fall between samples.
  return Math.round((grid.s[i] as number) / SECOND) * SECOND;
}

/**
 * When a change applied over a window last showed: `windowStart` on the onsets mirrored in time, so the
 * same model (each onset blurred by its dating error, unrelated onsets at the background rate) dates the
 * window's end.
 */
export function windowEnd(
  hosts: NonNullable<FleetAnalysis['onset']>['hosts'],
  skew: number,
  background?: OnsetBackground,
): number {
  const mirrored = hosts.map((h) => ({ ...h, onset: -h.onset, lo: -h.hi, hi: -h.lo }));
  return -windowStart(mirrored, skew, background);
}

/** τ: posterior mean of an exponential's mean, the default counting as `startDelayWeight` incidents. */
export function startDelayMean(lags: readonly number[] | undefined): number {
  const m = RANKING_MODEL;
  const usable = (lags ?? []).filter(Number.isFinite).map((l) => Math.min(Math.max(l, 0), DAY));
  const sum = usable.reduce((a, b) => a + b, 0);
  return Math.max(MINUTE, (m.startDelayWeight * m.startDelayMs + sum) / (m.startDelayWeight + usable.length));
}

/**
 * Groups for the per-group rate: the `role` label, else the first label with a few values, else one group.
 */
export function hostGroups(hosts: FleetAnalysis['hosts']): Map<string, string> {
  const keys = new Set(hosts.flatMap((h) => Object.keys(h.labels)));
  const distinct = (key: string): number => new Set(hosts.map((h) => h.labels[key])).size;
  const key = keys.has('role')
    ? 'role'
    : [...keys].sort().find((k) => distinct(k) >= 2 && distinct(k) <= RANKING_MODEL.noneMaxUnionValues);
  return new Map(hosts.map((h) => [h.host, key === undefined ? '' : (h.labels[key] ?? '')]));
}

/**
 * Apply-window starts: fine near the first onset, coarser going back (a start delay of hours or days),
 * and forward as far as the median onset (the first onsets may be unrelated).
 *
 * An unrelated onset is one the fleet step counted because it fell in the cluster's window: its density is
 * uniform over that stretch (the first to the last onset, give or take the clock skew), not over the
 * whole analysis window, where most such onsets would never have been counted. Their share is the model's
 * `unrelated`, or, given the rate of onsets away from the cluster (per host and ms, over `hostsSeen`
 * hosts), the number that rate puts in that stretch by chance, per affected host.
 */
export function makeGrid(
  first: number,
  affected: readonly AffectedHost[],
  skew: number,
  background?: OnsetBackground,
): Grid {
  const m = RANKING_MODEL;
  const sorted = affected.map((h) => h.ts).sort((a, b) => a - b);
  const selected = (sorted[sorted.length - 1] ?? first) - (sorted[0] ?? first) + 2 * Math.max(skew, MINUTE);
  const unrelated = background
    ? Math.min(0.5, (background.hostsSeen * -Math.expm1(-background.perHostMs * selected)) / affected.length)
    : m.unrelated;
  const median = sorted[Math.floor(sorted.length / 2)] ?? first;
  const forward = Math.min(Math.max(median - first, 30 * MINUTE), 6 * HOUR);
  const points: number[] = [first];
  const back = 110;
  const lo = 15 * SECOND;
  const hi = m.slowMaxMs;
  for (let i = 0; i < back; i++) points.push(first - lo * Math.pow(hi / lo, i / (back - 1)));
  const ahead = 24;
  for (let i = 1; i <= ahead; i++) points.push(first + (forward * i) / ahead);
  points.sort((a, b) => a - b);
  const s = Float64Array.from(points);
  const logDs = s.map((_, i) => {
    const left = i > 0 ? (s[i] as number) - (s[i - 1] as number) : 0;
    const right = i < s.length - 1 ? (s[i + 1] as number) - (s[i] as number) : 0;
    return Math.log(Math.max((left + right) / 2, 1));
  });
  const spreads = new Float64Array(m.spreadSteps);
  for (let j = 0; j < m.spreadSteps; j++) {
    spreads[j] = m.spreadMinMs * Math.pow(m.spreadMaxMs / m.spreadMinMs, j / (m.spreadSteps - 1));
  }
  return { s, logDs, spreads, unrelated, logPerHostBackground: Math.log(unrelated) - Math.log(selected) };
}

/**
 * For each set of hosts: log P(onsets | window starts at s), for each grid point s, with the spread W
 * integrated out (log-uniform prior over the grid of spreads). The first set, when it holds every host of
 * the others (the whole onset does), is fitted as the densities are computed.
 *
 * A host's density, given s and W, is that of its onset's distance outside [s, s + W], whichever set it
 * is in: it is computed once per host (hosts with the same onset and error once), as a multiple r ≥ 1 of
 * the background density, and a set's log likelihood is its size × log(background) plus the log of the
 * product of its hosts' r, one logarithm per run of hosts (a run ends before the product could overflow)
 * rather than one per host. Taken in onset order:
 * - the hosts inside the window are one run, whose r does not depend on s: their logs are prefix sums;
 * - the terms of the hosts before the window depend on s alone: computed once per s;
 * - after the window, the Laplace term factors into a part per host and a part per window end, and hosts
 *   so far after it that r rounds to 1 (the Gaussian term below 2⁻⁶⁰ of the background, the Laplace term
 *   below 2⁻⁵⁴) are left out.
 */
export function windowFits(sets: readonly (readonly AffectedHost[])[], grid: Grid): Float64Array[] {
  const m = RANKING_MODEL;
  const b = m.onsetErrorMs;
  const background = Math.exp(grid.logPerHostBackground);
  const logSpreadPrior = -Math.log(grid.spreads.length);
  const spreads = grid.spreads;
  const nw = spreads.length;

  // Distinct (onset, error, off share, unrelated share) points over all sets, in onset order. A host whose
  // unrelated share ε' differs from the grid's ε has its own background: r is then a multiple of that, and
  // its change-related terms are weighted by alpha = ((1 − ε') / (1 − ε)) / (ε' / ε).
  const hosts = [...new Set(sets.flat())].sort(
    (x, y) =>
      x.ts - y.ts ||
      x.sigma - y.sigma ||
      x.offShare - y.offShare ||
      Number(x.scopeUnknown) - Number(y.scopeUnknown),
  );
  const pointOf = new Map<AffectedHost, number>();
  const tsList: number[] = [];
  const sigmaList: number[] = [];
  const shareList: number[] = [];
  const alphaList: number[] = [];
  for (const h of hosts) {
    const last = tsList.length - 1;
    const eps = unrelatedShare(grid, h);
    const alpha = (1 - eps) / (1 - grid.unrelated) / (eps / grid.unrelated);
    if (
      last < 0 ||
      tsList[last] !== h.ts ||
      sigmaList[last] !== h.sigma ||
      shareList[last] !== h.offShare ||
      alphaList[last] !== alpha
    ) {
      tsList.push(h.ts);
      sigmaList.push(h.sigma);
      shareList.push(h.offShare);
      alphaList.push(alpha);
    }
    pointOf.set(h, tsList.length - 1);
  }
  const n = tsList.length;
  const ts = Float64Array.from(tsList);
  const laplaceShare = Float64Array.from(shareList, (share, k) => share * (alphaList[k] as number));
  const halfInvVar = Float64Array.from(sigmaList, (sigma) => 0.5 / (sigma * sigma));
  const origin = n > 0 ? (ts[0] as number) : 0;

  // The normalising constants depend on the spread, not on the window's start: computed once, as is r
  // inside the window, the largest it gets.
  const core = new Float64Array(nw * n);
  const broad = new Float64Array(nw);
  const inside = new Float64Array(nw * n);
  const gaussianCut = new Float64Array(n).fill(-Infinity);
  let largest = 1;
  for (let j = 0; j < nw; j++) {
    const w = spreads[j] as number;
    // The Laplace term without each host's share, which its own factors below carry.
    broad[j] = (1 - grid.unrelated) / (w + 2 * b) / background;
    for (let k = 0; k < n; k++) {
      const share = laplaceShare[k] as number;
      const c =
        ((1 - grid.unrelated) * (1 - (shareList[k] as number)) * (alphaList[k] as number)) /
        (w + SQRT_2PI * (sigmaList[k] as number)) /
        background;
      core[j * n + k] = c;
      inside[j * n + k] = 1 + c + (broad[j] as number) * share;
      largest = Math.max(largest, 1 + c + (broad[j] as number) * share);
      // Beyond this value of distance² / 2σ² the Gaussian term is below 2⁻⁶⁰ of the background.
      gaussianCut[k] = Math.max(gaussianCut[k] as number, Math.log(c) + 60 * Math.LN2);
    }
  }
  let gaussianReach = 0;
  for (let k = 0; k < n; k++) {
    gaussianReach = Math.max(
      gaussianReach,
      Math.sqrt(Math.max(gaussianCut[k] as number, 0) / (halfInvVar[k] as number)),
    );
  }
  const runLimit = 1e300 / largest;
  // exp(−(t − s − W) / b) = exp(−(t − origin) / b) · exp((s + W − origin) / b) after the window.
  const decay = Float64Array.from(ts, (t, k) => (laplaceShare[k] as number) * Math.exp(-(t - origin) / b));

  // Each set as its points (ascending) and how many of its hosts each stands for, and per spread the
  // prefix sums of its log r inside the window.
  const members = sets.map((set) => {
    const counts = new Map<number, number>();
    for (const h of set) {
      const p = pointOf.get(h) as number;
      counts.set(p, (counts.get(p) ?? 0) + 1);
    }
    const points = Int32Array.from(counts.keys()).sort();
    const weights = Float64Array.from(points, (p) => counts.get(p) as number);
    const insideLogs = new Float64Array(nw * (points.length + 1));
    for (let j = 0; j < nw; j++) {
      const base = j * (points.length + 1);
      for (let q = 0; q < points.length; q++) {
        insideLogs[base + q + 1] =
          (insideLogs[base + q] as number) +
          (weights[q] as number) * Math.log(inside[j * n + (points[q] as number)] as number);
      }
    }
    let logBackground = 0;
    for (const h of set) logBackground += logHostBackground(grid, h);
    return { points, weights, insideLogs, logBackground };
  });

  const hostsTable: HostTable = { n, ts, halfInvVar, gaussianCut, core, decay };
  // The first set is fitted while r is computed when it holds every point (the hosts of the onset do).
  const whole = members[0] !== undefined && members[0].points.length === n ? members[0] : undefined;
  const weights = whole?.weights ?? new Float64Array(n).fill(1);
  const gaussBefore = new Float64Array(n);
  const laplaceBefore = new Float64Array(n);
  const ratio = new Float64Array(nw * n);
  const afterStart = new Int32Array(nw);
  const afterEnd = new Int32Array(nw);
  const wholeLogs = new Float64Array(nw);
  const outsideLog = new Float64Array(1);
  const out = sets.map(() => new Float64Array(grid.s.length));
  const perSpread = new Float64Array(nw);
  // From the last start back: the first starts then meet every kind of host (before, in and after the
  // window), so the loops' compiled code need not be redone when one turns up later.
  let before = n;
  for (let i = grid.s.length - 1; i >= 0; i--) {
    const s = grid.s[i] as number;
    // Hosts whose onset is before the window's start: the same distance for every spread.
    while (before > 0 && !((ts[before - 1] as number) - s < 0)) before--;
    for (let k = 0; k < before; k++) {
      const outside = s - (ts[k] as number);
      const q = outside * outside * (halfInvVar[k] as number);
      gaussBefore[k] = q > (gaussianCut[k] as number) ? 0 : Math.exp(-q);
      laplaceBefore[k] = (laplaceShare[k] as number) * Math.exp(-outside / b);
    }
    let after = before;
    for (let j = 0; j < nw; j++) {
      const w = spreads[j] as number;
      const row = j * n;
      const broadJ = broad[j] as number;
      while (after < n && (ts[after] as number) - s <= w) after++;
      const end = broadJ * Math.exp((s + w - origin) / b);
      // No Gaussian term past the reach; r rounds to 1 once the Laplace term is below 2⁻⁵⁴ as well.
      const gaussianTo = s + w + gaussianReach;
      const flatFrom = Math.max(gaussianTo, origin + b * (Math.log(end) + 54 * Math.LN2));
      const window: WindowAt = { s, w, before, after, broad: broadJ, end, gaussianTo, flatFrom };
      afterStart[j] = after;
      afterEnd[j] = fillOutside(
        ratio,
        row,
        hostsTable,
        window,
        gaussBefore,
        laplaceBefore,
        weights,
        runLimit,
        outsideLog,
      );
      if (whole !== undefined) {
        const base = j * (n + 1);
        wholeLogs[j] =
          (whole.insideLogs[base + after] as number) -
          (whole.insideLogs[base + before] as number) +
          (outsideLog[0] as number);
      }
    }
    if (whole !== undefined) {
      for (let j = 0; j < nw; j++)
        perSpread[j] = logSpreadPrior + whole.logBackground + (wholeLogs[j] as number);
      (out[0] as Float64Array)[i] = logSumExp(perSpread);
    }
    for (let set = whole === undefined ? 0 : 1; set < members.length; set++) {
      const {
        points,
        weights: setWeights,
        insideLogs,
        logBackground,
      } = members[set] as (typeof members)[number];
      const firstInside = lowerBound(points, 0, before);
      let firstAfter = firstInside;
      for (let j = 0; j < nw; j++) {
        firstAfter = lowerBound(points, firstAfter, afterStart[j] as number);
        const end = lowerBound(points, firstAfter, afterEnd[j] as number);
        const base = j * (points.length + 1);
        perSpread[j] =
          logSpreadPrior +
          logBackground +
          logProduct(ratio, j * n, points, setWeights, 0, firstInside, runLimit) +
          ((insideLogs[base + firstAfter] as number) - (insideLogs[base + firstInside] as number)) +
          logProduct(ratio, j * n, points, setWeights, firstAfter, end, runLimit);
      }
      (out[set] as Float64Array)[i] = logSumExp(perSpread);
    }
  }
  return out;
}

interface HostTable {
  n: number;
  ts: Float64Array;
  halfInvVar: Float64Array;
  gaussianCut: Float64Array;
  core: Float64Array;
  decay: Float64Array;
}

/** A window [s, s + w] and where the hosts stand against it. */
interface WindowAt {
  s: number;
  w: number;
  /** Hosts [0, before) are before it, [before, after) in it. */
  before: number;
  after: number;
  broad: number;
  /** broad · exp((s + w − origin) / b): the Laplace term after the window is end · decay. */
  end: number;
  gaussianTo: number;
  flatFrom: number;
}

/**
 * r of the hosts outside the window: before it from the Gaussian and Laplace terms computed for this start,
 * after it up to where r rounds to 1. Returns that end, and puts log Π r^weight over them in `logOut[0]`.
 */
function fillOutside(
  ratio: Float64Array,
  row: number,
  hosts: HostTable,
  window: WindowAt,
  gaussBefore: Float64Array,
  laplaceBefore: Float64Array,
  weights: Float64Array,
  runLimit: number,
  logOut: Float64Array,
): number {
  const { n, ts, halfInvVar, gaussianCut, core, decay } = hosts;
  const { s, w, before, after, broad, end, gaussianTo, flatFrom } = window;
  let total = 0;
  let run = 1;
  let k = 0;
  for (; k < n; k++) {
    let r: number;
    if (k < before) {
      r = 1 + (core[row + k] as number) * (gaussBefore[k] as number) + broad * (laplaceBefore[k] as number);
    } else {
      if (k < after) k = after;
      if (k >= n || (ts[k] as number) > flatFrom) break;
      if ((ts[k] as number) <= gaussianTo) {
        const outside = (ts[k] as number) - s - w;
        const q = outside * outside * (halfInvVar[k] as number);
        const gauss = q > (gaussianCut[k] as number) ? 0 : (core[row + k] as number) * Math.exp(-q);
        r = 1 + gauss + end * (decay[k] as number);
      } else {
        r = 1 + end * (decay[k] as number);
      }
    }
    ratio[row + k] = r;
    const weight = weights[k] as number;
    if (weight !== 1) {
      total += weight * Math.log(r);
    } else if ((run *= r) > runLimit) {
      total += Math.log(run);
      run = 1;
    }
  }
  logOut[0] = total + Math.log(run);
  return k;
}

/** The first position at or after `from` whose point is at least `point`. */
function lowerBound(points: Int32Array, from: number, point: number): number {
  let at = from;
  while (at < points.length && (points[at] as number) < point) at++;
  return at;
}

/** log Π r^weight over the points at positions [from, to): a logarithm per run of single hosts. */
function logProduct(
  ratio: Float64Array,
  row: number,
  points: Int32Array,
  weights: Float64Array,
  from: number,
  to: number,
  runLimit: number,
): number {
  let total = 0;
  let run = 1;
  for (let p = from; p < to; p++) {
    const r = ratio[row + (points[p] as number)] as number;
    const weight = weights[p] as number;
    if (weight !== 1) {
      total += weight * Math.log(r);
      continue;
    }
    run *= r;
    if (run > runLimit) {
      total += Math.log(run);
      run = 1;
    }
  }
  return total + Math.log(run);
}

/** A fit ready for `logIntegralBounded`: fit(s) + log ds per grid point, and the points from the largest down. */
export interface PreparedFit {
  terms: Float64Array;
  order: Int32Array;
}

export function prepareFit(fit: Float64Array, grid: Grid): PreparedFit {
  const terms = fit.map((f, i) => f + (grid.logDs[i] as number));
  const order = Int32Array.from(terms.keys()).sort((a, b) => (terms[b] as number) - (terms[a] as number));
  return { terms, order };
}

/**
 * log ∫ prior(s) · exp(fit(s)) ds over the grid, for a prior bounded by `maxLogPrior`: the points are taken from the largest fit down, and
 * the rest are left out once even the bound cannot bring them within e⁻⁶⁰ of the largest term so far
 * (together they could not change the sum).
 */
export function logIntegralBounded(
  fit: PreparedFit,
  grid: Grid,
  logPrior: (s: number) => number,
  maxLogPrior: number,
): number {
  const kept: number[] = [];
  let largest = -Infinity;
  for (let r = 0; r < fit.order.length; r++) {
    const i = fit.order[r] as number;
    if ((fit.terms[i] as number) + maxLogPrior < largest - 60) break;
    const term = (fit.terms[i] as number) + logPrior(grid.s[i] as number);
    if (term > largest) largest = term;
    kept.push(term);
  }
  return logSumExp(kept);
}

/** log density of the delay from landing to the start of the apply window. */
export function logStartDelay(delay: number, tau: number, skew: number): number {
  return startDelayDensity(tau, skew)(delay);
}

/** `logStartDelay` for one τ and skew, its constants computed once; `max` bounds it. */
export function startDelayDensity(tau: number, skew: number): ((delay: number) => number) & { max: number } {
  const m = RANKING_MODEL;
  const logFast = Math.log(1 - m.slowShare);
  const logTau = Math.log(tau);
  const logSlow = Math.log(m.slowShare);
  const logSlowRange = Math.log(Math.log(m.slowMaxMs / tau));
  const skewScale = Math.max(skew / 2, SECOND);
  const atLanding = logFast - 0 / tau - logTau;
  const density = (delay: number): number => {
    // Before landing only by clock skew between the repository's server and the hosts.
    if (delay < 0) return atLanding - 0.5 * (delay / skewScale) ** 2;
    const fast = logFast - delay / tau - logTau;
    if (delay < tau || delay > m.slowMaxMs) return fast;
    return logMix(fast, logSlow - Math.log(delay) - logSlowRange);
  };
  // The fast part is largest at landing, the slow part at τ.
  return Object.assign(density, { max: logMix(atLanding, logSlow - logTau - logSlowRange) });
}

/** log density of onset − apply for a host whose apply time is known. */
export function logDetectionDelay(delay: number, sigma: number): number {
  const m = RANKING_MODEL;
  if (delay < 0) return logDetectionDelay(0, sigma) + delay / sigma;
  return logMix(
    Math.log(0.8) - delay / m.detectFastMs - Math.log(m.detectFastMs),
    Math.log(0.2) - delay / m.detectSlowMs - Math.log(m.detectSlowMs),
  );
}

/** A weak prior from the change itself: bigger changes and custom minion modules break things more often. */
export function changeWeight(c: Pick<CandidateChange, 'files'>): number {
  const files = c.files ?? [];
  const lines = files.reduce((n, f) => n + (f.additions ?? 20) + (f.deletions ?? 20), 0);
  let weight = Math.min(1.5, Math.max(0.75, 0.75 + 0.25 * Math.log10(1 + lines)));
  if (files.some((f) => /(^|\/)_(grains|modules|states|utils|beacons|engines)\//.test(f.path))) weight *= 1.5;
  return weight;
}

export function logMix(a: number, b: number): number {
  const hi = Math.max(a, b);
  if (hi === -Infinity) return -Infinity;
  return hi + Math.log(Math.exp(a - hi) + Math.exp(b - hi));
}

export function logSumExp(values: ArrayLike<number>): number {
  let hi = -Infinity;
  for (let i = 0; i < values.length; i++) hi = Math.max(hi, values[i] as number);
  if (hi === -Infinity) return -Infinity;
  let sum = 0;
  for (let i = 0; i < values.length; i++) sum += Math.exp((values[i] as number) - hi);
  return hi + Math.log(sum);
}

/** log of the probability of one sequence with k successes in n under a Beta(a, b) rate. */
export function logBetaBinomial(k: number, n: number, [a, b]: readonly [number, number]): number {
  return logBeta(a + k, b + n - k) - logBeta(a, b);
}

function logBeta(a: number, b: number): number {
  return logGamma(a) + logGamma(b) - logGamma(a + b);
}

/**
 * log-gamma at whole numbers below `size`, each computed once (the same numbers as `logGamma`): the
 * scope of one ranking asks for the same ones many times.
 */
export class LogGammaTable {
  private readonly values: Float64Array;

  constructor(size: number) {
    this.values = new Float64Array(size).fill(NaN);
  }

  at(x: number): number {
    if (!Number.isInteger(x) || x < 1 || x >= this.values.length) return logGamma(x);
    let value = this.values[x] as number;
    if (Number.isNaN(value)) this.values[x] = value = logGamma(x);
    return value;
  }

  /** `logBetaBinomial` through the table. */
  logBetaBinomial(k: number, n: number, [a, b]: readonly [number, number]): number {
    const lg = (x: number, y: number): number => this.at(x) + this.at(y) - this.at(x + y);
    return lg(a + k, b + n - k) - lg(a, b);
  }
}

/** Lanczos approximation (g = 7, n = 9), accurate to about 15 digits for x > 0. */
export function logGamma(x: number): number {
  if (x < 0.5) return Math.log(Math.PI / Math.sin(Math.PI * x)) - logGamma(1 - x);
  const c = [
    0.99999999999980993, 676.5203681218851, -1259.1392167224028, 771.32342877765313, -176.61502916214059,
    12.507343278686905, -0.13857109526572012, 9.9843695780195716e-6, 1.5056327351493116e-7,
  ];
  const y = x - 1;
  let sum = c[0] as number;
  for (let i = 1; i < 9; i++) sum += (c[i] as number) / (y + i);
  const t = y + 7.5;
  return 0.5 * Math.log(2 * Math.PI) + (y + 0.5) * Math.log(t) - t + Math.log(sum);
}
