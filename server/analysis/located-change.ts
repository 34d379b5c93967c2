/**
 * Hosts silent on the cluster's series, tested where the cluster says the change landed.
 *
 * Once a cluster stands, the change's place is known to within its apply window, as the timing model dates
 * it from the hosts found (fleet-onset.ts). A host whose own fit found no change there may still hold one:
 * too small against its noise for a search over the whole series to pick out, or read as something else (a
 * step that lands as the daily swing turns down looks like a burst draining). The test asks the narrower
 * question, a change of the cluster's kind inside the window: a step where the cluster is one of level
 * shifts, a bend (a hinge: the slope grows from τ on) where it is one of bends.
 *
 * - at each sample time τ in the window, a least-squares fit over τ ± 3 hours of a quadratic (over a
 *   quarter of a day the daily cycle is close to a parabola) and the change at τ; the host's statistic is
 *   the largest t of the change;
 * - what that statistic comes to by chance is read from the same hosts at other times: windows of the same
 *   width elsewhere in their series, nightly jobs, daily turns and the page cache's wander included. Each
 *   host's statistic is put on the scale of its own other times, and its p-value is the share of all the
 *   hosts' reference windows, so scaled, that reach as far. The reference is the same hours of the hosts'
 *   other days where their series hold them (a job that runs at that hour every night makes its step there
 *   too, and the jobs of other hours do not count against the change), their other times otherwise;
 * - Benjamini–Hochberg at a false discovery rate of 5%, adapted to the share of hosts without the change
 *   (Storey's), says which hosts to add.
 *
 * Where it errs: a change that lands in the same minutes as a job every host runs at that minute each day
 * (cron.daily). The windows of the same hours on other days hold the job only where they cover that minute,
 * and on a series of a day there are none; the hosts' p-values are then small together, and so is Storey's
 * share of nulls.
 */
import type { Series } from './analysis.models.ts';
import { median, robustScale, solve } from './changepoint.ts';

const HOUR = 3_600_000;
// The local fit's reach either side of a change.
const HALF_MS = 3 * HOUR;
// Each side must hold this much of it, and the fit this many samples.
const MIN_SIDE_MS = HALF_MS / 2;
const MIN_POINTS = 20;
/** The share of wrongly added hosts Benjamini–Hochberg allows among those it adds. */
const LOCATED_FDR = 0.05;
const COLUMNS = 4;
// Windows at other times per host, evenly spread (overlapping where the series is short): Benjamini–Hochberg
// adds one host of m at a p-value of q/m, which the null's share can reach only with more than m/q windows
// in all. A host's own scale needs at least the fewest.
const NULL_WINDOWS = 32;
const MIN_NULL = 8;
const DAY = 24 * HOUR;
// A daily job does not run at the same minute each day: splay, load and run time move it by up to an hour.
export const DAILY_DRIFT = HOUR;
// Windows at the same hours per other day, spread over the drift either side.
const SAME_HOUR_WINDOWS = 16;

/**
 * Running sums of a series for the local fits: of tᵏ (k ≤ 4), y·tᵏ (k ≤ 2) and y², t in hours from the first
 * sample and y centred on the series' mean, so that each fit costs the same however many samples it holds.
 */
interface Sums {
  s: Series;
  t: Float64Array[];
  yt: Float64Array[];
  yy: Float64Array;
}

function sumsOf(s: Series): Sums {
  const n = s.ts.length;
  let mean = 0;
  for (let i = 0; i < n; i++) mean += s.values[i]! / n;
  const t = Array.from({ length: 5 }, () => new Float64Array(n + 1));
  const yt = Array.from({ length: 3 }, () => new Float64Array(n + 1));
  const yy = new Float64Array(n + 1);
  for (let i = 0; i < n; i++) {
    const u = (s.ts[i]! - s.ts[0]!) / HOUR;
    const y = s.values[i]! - mean;
    let p = 1;
    for (let k = 0; k < 5; k++, p *= u) {
      t[k]![i + 1] = t[k]![i]! + p;
      if (k < 3) yt[k]![i + 1] = yt[k]![i]! + y * p;
    }
    yy[i + 1] = yy[i]! + y * y;
  }
  return { s, t, yt, yy };
}

const BINOMIAL = [[1], [1, 1], [1, 2, 1], [1, 3, 3, 1], [1, 4, 6, 4, 1]];
// Scratch space for the fits: one runs at a time.
const A = new Float64Array(COLUMNS * COLUMNS);
const A2 = new Float64Array(COLUMNS * COLUMNS);
const B = new Float64Array(COLUMNS);
const BETA = new Float64Array(COLUMNS);
const U = new Float64Array(COLUMNS);
const POWERS = new Float64Array(5);

/** Σ (u − c)ᵏ·w over samples [a, b), from the running sums `p` of w·uʲ; `POWERS` holds (−c)ʲ. */
function centred(p: Float64Array[], k: number, a: number, b: number): number {
  let sum = 0;
  for (let j = 0; j <= k; j++) sum += BINOMIAL[k]![j]! * POWERS[k - j]! * (p[j]![b]! - p[j]![a]!);
  return sum;
}

/** The change tested for: a step (1 from τ on) or a hinge (u − τ from τ on), as the power of u − τ. */
export type LocatedKind = 'step' | 'hinge';
const POWER: Record<LocatedKind, number> = { step: 0, hinge: 1 };

/**
 * One-sided t statistic of an upward change of `kind` at sample `at` over a local quadratic on samples
 * [lo, hi); NaN where the data around it is too thin. Residuals are taken as independent: how far their
 * correlation and bursts stretch it is the null's business, host by host.
 */
function changeAt(m: Sums, kind: LocatedKind, at: number, lo: number, hi: number): number {
  const power = POWER[kind];
  const { ts } = m.s;
  const tau = ts[at]!;
  if (hi - lo < MIN_POINTS || ts[lo]! > tau - MIN_SIDE_MS || ts[hi - 1]! < tau + MIN_SIDE_MS) return NaN;
  const c = (tau - ts[0]!) / HOUR;
  for (let j = 0; j < 5; j++) POWERS[j] = (-c) ** j;
  for (let r = 0; r < 3; r++) {
    for (let q = r; q < 3; q++) A[r * COLUMNS + q] = A[q * COLUMNS + r] = centred(m.t, r + q, lo, hi);
    A[r * COLUMNS + 3] = A[3 * COLUMNS + r] = centred(m.t, r + power, at, hi);
    B[r] = centred(m.yt, r, lo, hi);
  }
  A[15] = centred(m.t, 2 * power, at, hi);
  B[3] = centred(m.yt, power, at, hi);
  BETA.set(B);
  A2.set(A);
  // The change's variance factor: the last entry of A⁻¹, from A u = e₄.
  U.fill(0);
  U[3] = 1;
  if (!solve(A2, U, COLUMNS) || !solve(A, BETA, COLUMNS)) return NaN;
  let explained = 0;
  for (let r = 0; r < COLUMNS; r++) explained += BETA[r]! * B[r]!;
  const rss = Math.max(0, m.yy[hi]! - m.yy[lo]! - explained);
  const variance = (rss / (hi - lo - COLUMNS)) * U[3]!;
  return variance > 0 ? BETA[3]! / Math.sqrt(variance) : NaN;
}

/**
 * The t of a change of `kind` at the first sample at or after `tau`, over the local quadratic ± 3 h; NaN
 * where the data is too thin.
 */
export function changeT(s: Series, kind: LocatedKind, tau: number): number {
  const at = s.ts.find((t) => t >= tau);
  const { t } = at === undefined ? { t: NaN } : largestChange(sumsOf(s), kind, at, at);
  return Number.isFinite(t) ? t : NaN;
}

/**
 * The largest t of a change of `kind` at the series' sample times in [from, to], and where; −Infinity where
 * none fits.
 */
function largestChange(m: Sums, kind: LocatedKind, from: number, to: number): { t: number; at: number } {
  const { ts } = m.s;
  let best = { t: -Infinity, at: from };
  let lo = 0;
  let hi = 0;
  for (let i = 0; i < ts.length; i++) {
    const at = ts[i]!;
    if (at < from) continue;
    if (at > to) break;
    while (ts[lo]! < at - HALF_MS) lo++;
    while (hi < ts.length && ts[hi]! <= at + HALF_MS) hi++;
    const t = changeAt(m, kind, i, lo, hi);
    if (t > best.t) best = { t, at };
  }
  return best;
}

/** The first and last start of a window of `width` whose fits stay inside the series. */
function startRange(s: Series, width: number): [first: number, last: number] {
  return [(s.ts[0] ?? Infinity) + HALF_MS, (s.ts[s.ts.length - 1] ?? -Infinity) - HALF_MS - width];
}

/**
 * Where a series' windows at other times start: `NULL_WINDOWS` of them evenly spread over the starts whose
 * fits stay inside the series and do not reach the tested window, overlapping where those are short.
 */
export function nullStarts(s: Series, width: number, window: { from: number; to: number }): number[] {
  const [first, last] = startRange(s, width);
  // The starts before the tested window, then after it.
  const parts = [
    [first, Math.min(last, window.from - HALF_MS - width)],
    [Math.max(first, window.to + HALF_MS), last],
  ].filter(([a, b]) => b! >= a!) as [number, number][];
  const total = parts.reduce((sum, [a, b]) => sum + b - a, 0);
  const starts: number[] = [];
  for (let k = 0; k < NULL_WINDOWS; k++) {
    let offset = ((k + 0.5) * total) / NULL_WINDOWS;
    for (const [a, b] of parts) {
      if (offset <= b - a) {
        starts.push(a + offset);
        break;
      }
      offset -= b - a;
    }
  }
  return starts;
}

/**
 * Where a series' windows at the same hours of its other days start: `SAME_HOUR_WINDOWS` a day, up to two
 * days before and after the tested window, spread over the daily drift either side of it, where their fits
 * stay inside the series.
 */
export function sameHourStarts(s: Series, width: number, window: { from: number; to: number }): number[] {
  const [first, last] = startRange(s, width);
  const starts: number[] = [];
  for (const days of [-2, -1, 1, 2]) {
    for (let k = 0; k < SAME_HOUR_WINDOWS; k++) {
      const start =
        window.from + days * DAY - DAILY_DRIFT + (2 * DAILY_DRIFT * (k + 0.5)) / SAME_HOUR_WINDOWS;
      if (start >= first && start <= last) starts.push(start);
    }
  }
  return starts;
}

/**
 * Storey's estimate of the share of true null hypotheses among those with p-values `pValues`: the p-values
 * of true nulls are uniform, so those above ½ come from them, about half of theirs (Storey, Taylor and
 * Siegmund 2004, with its +1). Benjamini–Hochberg at q / π₀ keeps the false discovery rate at q where many of
 * the hosts tested hold the change, as they do when the change reached most of the fleet.
 */
export function nullShare(pValues: readonly number[]): number {
  const above = pValues.filter((p) => p > 0.5).length;
  return pValues.length === 0 ? 1 : Math.min(1, (1 + above) / (0.5 * pValues.length));
}

/** Which of the p-values Benjamini–Hochberg rejects at false discovery rate `q`: true where rejected. */
export function benjaminiHochberg(pValues: readonly number[], q: number): boolean[] {
  const m = pValues.length;
  const order = pValues.map((_, i) => i).sort((a, b) => pValues[a]! - pValues[b]!);
  let k = 0;
  order.forEach((i, rank) => {
    if (pValues[i]! <= (q * (rank + 1)) / m) k = rank + 1;
  });
  const rejected = pValues.map(() => false);
  for (const i of order.slice(0, k)) rejected[i] = true;
  return rejected;
}

/**
 * Where each of the silent hosts' series holds an upward change of `kind` in `window`, judged against the
 * same statistic at other times; null for the hosts without one. Each host's statistic is put on the scale
 * of its own other times (median and MAD of their windows' largest t): a host whose page cache wanders or
 * bursts more than another's makes larger changes anywhere. The p-value is then the share of all the
 * hosts' reference windows (the same hours of other days, or other times), so scaled, that reach as far.
 */
export function locatedChanges(
  silent: readonly Series[],
  kind: LocatedKind,
  window: { from: number; to: number },
): (number | null)[] {
  const width = window.to - window.from;
  // A window wider than the local fit reaches either side is no place: a search over a part of the day
  // that holds the nightly jobs of whole data centres.
  if (width > HALF_MS) return silent.map(() => null);
  const nulls: number[] = [];
  const observed = silent.map((s) => {
    const m = sumsOf(s);
    const largest = (starts: number[]): number[] =>
      starts.map((start) => largestChange(m, kind, start, start + width).t).filter(Number.isFinite);
    const own = largest(nullStarts(s, width, window));
    const found = largestChange(m, kind, window.from, window.to);
    if (own.length < MIN_NULL || !Number.isFinite(found.t)) return null;
    const centre = median(Float64Array.from(own), own.length);
    const spread = robustScale(Float64Array.from(own), own.length);
    if (!(spread > 0)) return null;
    const sameHour = largest(sameHourStarts(s, width, window));
    for (const t of sameHour.length >= MIN_NULL ? sameHour : own) nulls.push((t - centre) / spread);
    return { at: found.at, d: (found.t - centre) / spread };
  });
  nulls.sort((a, b) => a - b);
  const pValue = (d: number): number => {
    let lo = 0;
    let hi = nulls.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (nulls[mid]! < d) lo = mid + 1;
      else hi = mid;
    }
    return (1 + nulls.length - lo) / (1 + nulls.length);
  };
  const p = observed.map((o) => (o ? pValue(o.d) : 1));
  const rejected = benjaminiHochberg(p, LOCATED_FDR / nullShare(p));
  return observed.map((o, i) => (o && rejected[i] ? o.at : null));
}
