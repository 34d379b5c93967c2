/**
 * Change points of one series: segmented (piecewise-linear) regression on time.
 *
 * 1. The series is binned in time into about 256 cells; each cell keeps its median, so spikes shorter
 *    than half a cell vanish and the search cost no longer depends on the sampling rate.
 * 2. When the series covers a day or more, a daily cycle (24 h and 12 h harmonics) is fitted jointly with
 *    the segmentation by backfitting and removed, so a daily swing is not read as a trend change. The
 *    fit with the cycle and the one without are compared by BIC; the one passed over is kept beside.
 * 3. The noise scale is the MAD of first differences, corrected for lag-1 autocorrelation (estimated
 *    robustly from the same differences); the penalty grows by the long-run variance ratio, so a slowly
 *    wandering series needs stronger evidence.
 * 4. Binary segmentation proposes changes; an exact optimal partitioning over the proposals picks the
 *    set that minimises the residual sum of squares plus a BIC penalty of 3 log m per change (a new level,
 *    a new slope and a location). Every segment cost is O(1) from cumulative sums.
 * 5. Each change is classified (slope, level, both, or one side of a spike that returns), then located at
 *    full resolution, with an interval from the profile of the cost (a likelihood-ratio set at 95%).
 */

export type ChangeKind = 'slope' | 'level' | 'both' | 'spike';

export interface ChangePoint {
  /** 0-based index in the input of the first point after the change. */
  index: number;
  /** Epoch ms of that point. */
  ts: number;
  /** Uncertainty interval of the change time, epoch ms (95% profile-likelihood set). */
  lo: number;
  hi: number;
  kind: ChangeKind;
  /** Trend before and after, in series units per hour. */
  rateBefore: number;
  rateAfter: number;
  /** Level shift at the change, in series units. */
  jump: number;
  /** Excess over the earlier trend by the end of the following segment, in series units. */
  size: number;
  /** Standardised evidence for a slope change and for a level shift (signed). */
  zSlope: number;
  zLevel: number;
}

/** One straight piece of the fit: `value(ts) = level + rate * (ts - startTs) / 1 h` plus the daily cycle. */
export interface Segment {
  start: number;
  /** Exclusive. */
  end: number;
  startTs: number;
  endTs: number;
  level: number;
  rate: number;
}

export interface SeriesFit {
  changes: ChangePoint[];
  segments: Segment[];
  /** Noise scale per point and its lag-1 autocorrelation. */
  sigma: number;
  rho: number;
  /** Daily cycle `[sin 24h, cos 24h, sin 12h, cos 12h]` coefficients, or null when not fitted. */
  seasonal: Float64Array | null;
  /**
   * The fit under the model BIC passed over (with the daily cycle or without it), where both were fitted.
   * Over a day or two the choice is close, and each model hides some changes: the cycle can take up growth
   * that starts mid-window, and without it a step that lands as the daily swing turns down reads as a
   * burst draining.
   */
  alternative?: SeriesFit;
}

export interface DetectOptions {
  /** Multiplies the BIC penalty; 1 is plain BIC. */
  penaltyScale?: number;
  /** Fit the daily cycle: 'auto' does when the series spans a day or more. */
  seasonal?: boolean | 'auto';
}

const HOUR = 3_600_000;
const DAY = 86_400_000;
// Cells of the coarse search: enough to place a change within a few minutes on a 2-day window before
// the full-resolution step, few enough that the search stays cheap.
const TARGET_BINS = 256;
// Fewer points than this cannot carry two lines and a penalty.
const MIN_POINTS = 8;
// Parameters a change adds (level, slope, location): BIC charges log m for each.
const PARAMS_PER_CHANGE = 3;
// Above this the noise is close to a random walk and has no level to depart from; capping keeps the
// variance correction finite.
const RHO_MAX = 0.9;
// MAD of Gaussian noise is 0.6745 sigma.
const MAD_TO_SIGMA = 1.4826;
// 95% point of chi-square with one degree of freedom: the profile-likelihood interval of a location.
const CHI2_1_95 = 3.841;
// Binary segmentation stops after this many proposals; far more than any plausible series needs.
const MAX_PROPOSALS = 48;
// Backfitting rounds of cycle and segments; they agree after two or three in practice.
const SEASONAL_ROUNDS = 4;
const NOISE_SAMPLES = 1024;

// A 1-second lookup table of the daily harmonics: Math.sin on every point of every series is the
// largest cost otherwise.
const PHASE_STEPS = 86_400;
const SIN_TABLE = new Float64Array(PHASE_STEPS);
const COS_TABLE = new Float64Array(PHASE_STEPS);
for (let i = 0; i < PHASE_STEPS; i++) {
  SIN_TABLE[i] = Math.sin((2 * Math.PI * i) / PHASE_STEPS);
  COS_TABLE[i] = Math.cos((2 * Math.PI * i) / PHASE_STEPS);
}

// Whole milliseconds within this of zero: `ts / DAY` cannot round across a day boundary, so the day floor
// and the remainder below are exact.
const EXACT_MS = 2 ** 50;

/** Second of the day of `ts`. */
function phaseIndex(ts: number): number {
  // A floating remainder is a library call; whole milliseconds (the usual timestamps) get the same
  // remainder exactly from the day floor.
  const r =
    Number.isInteger(ts) && Math.abs(ts) <= EXACT_MS
      ? ts - Math.floor(ts / DAY) * DAY
      : ((ts % DAY) + DAY) % DAY;
  const p = Math.floor(r / 1000);
  return p >= PHASE_STEPS ? 0 : p;
}

/** The daily cycle at `ts` for coefficients `c` (see `SeriesFit.seasonal`). */
export function seasonalAt(c: Float64Array | null, ts: number): number {
  if (c === null) return 0;
  const p = phaseIndex(ts);
  const p2 = (2 * p) % PHASE_STEPS;
  return (
    (c[0] ?? 0) * SIN_TABLE[p]! +
    (c[1] ?? 0) * COS_TABLE[p]! +
    (c[2] ?? 0) * SIN_TABLE[p2]! +
    (c[3] ?? 0) * COS_TABLE[p2]!
  );
}

/** Cumulative weighted sums of 1, t, t², y, y², t·y: any segment's line fit in O(1). */
class Sums {
  w = new Float64Array(1);
  t = new Float64Array(1);
  tt = new Float64Array(1);
  y = new Float64Array(1);
  yy = new Float64Array(1);
  ty = new Float64Array(1);
  /** Sums of points [0, n) (entry 0 is the empty prefix); the arrays are kept for the next series. */
  fill(t: Float64Array, y: Float64Array, w: Float64Array | null, n: number): void {
    if (this.w.length < n + 1) {
      const size = Math.max(n + 1, 2 * this.w.length);
      this.w = new Float64Array(size);
      this.t = new Float64Array(size);
      this.tt = new Float64Array(size);
      this.y = new Float64Array(size);
      this.yy = new Float64Array(size);
      this.ty = new Float64Array(size);
    }
    let s0 = 0;
    let s1 = 0;
    let s2 = 0;
    let s3 = 0;
    let s4 = 0;
    let s5 = 0;
    for (let i = 0; i < n; i++) {
      const wi = w === null ? 1 : w[i]!;
      const ti = t[i]!;
      const yi = y[i]!;
      s0 += wi;
      s1 += wi * ti;
      s2 += wi * ti * ti;
      s3 += wi * yi;
      s4 += wi * yi * yi;
      s5 += wi * ti * yi;
      this.w[i + 1] = s0;
      this.t[i + 1] = s1;
      this.tt[i + 1] = s2;
      this.y[i + 1] = s3;
      this.yy[i + 1] = s4;
      this.ty[i + 1] = s5;
    }
  }
}

/** Line fit of points [a, b): residual sum of squares, slope and the fitted value at time `x`. */
interface LineFit {
  rss: number;
  slope: number;
  mean: number;
  tMean: number;
  n: number;
  sxx: number;
}

function lineFit(s: Sums, a: number, b: number, out: LineFit): LineFit {
  const n = s.w[b]! - s.w[a]!;
  if (n <= 0) {
    out.rss = 0;
    out.slope = 0;
    out.mean = 0;
    out.tMean = 0;
    out.n = 0;
    out.sxx = 0;
    return out;
  }
  const st = s.t[b]! - s.t[a]!;
  const sy = s.y[b]! - s.y[a]!;
  const sxx = s.tt[b]! - s.tt[a]! - (st * st) / n;
  const sxy = s.ty[b]! - s.ty[a]! - (st * sy) / n;
  const syy = s.yy[b]! - s.yy[a]! - (sy * sy) / n;
  // Two points fit any line exactly and say nothing about a trend: shorter pieces are constants.
  const slope = b - a >= 3 && sxx > 1e-12 ? sxy / sxx : 0;
  out.rss = Math.max(0, syy - slope * sxy);
  out.slope = slope;
  out.mean = sy / n;
  out.tMean = st / n;
  out.n = n;
  out.sxx = sxx;
  return out;
}

const scratchFit: LineFit = { rss: 0, slope: 0, mean: 0, tMean: 0, n: 0, sxx: 0 };

function cost(s: Sums, a: number, b: number): number {
  const n = s.w[b]! - s.w[a]!;
  return pieceRss(
    b - a,
    n,
    s.t[b]! - s.t[a]!,
    s.tt[b]! - s.tt[a]!,
    s.y[b]! - s.y[a]!,
    s.yy[b]! - s.yy[a]!,
    s.ty[b]! - s.ty[a]!,
  );
}

/** `lineFit`'s residual sum of squares from the sums of one piece of `len` points and weight `n`. */
function pieceRss(
  len: number,
  n: number,
  st: number,
  stt: number,
  sy: number,
  syy: number,
  sty: number,
): number {
  if (n <= 0) return 0;
  const sxx = stt - (st * st) / n;
  const sxy = sty - (st * sy) / n;
  const syyc = syy - (sy * sy) / n;
  const slope = len >= 3 && sxx > 1e-12 ? sxy / sxx : 0;
  return Math.max(0, syyc - slope * sxy);
}

// Costs of the two sides of each split position (see `splitCosts`), grown on demand.
let leftCost = new Float64Array(0);
let rightCost = new Float64Array(0);

/**
 * Line costs of [a, k) into `leftCost[k]` (when `left`) and of [k, b) into `rightCost[k]` (when `right`), for
 * every k in (a, b): one pass that reads each position's cumulative sums once for both sides.
 */
function splitCosts(s: Sums, a: number, b: number, left = true, right = true): void {
  if (leftCost.length < b + 1) {
    leftCost = new Float64Array(2 * b + 2);
    rightCost = new Float64Array(2 * b + 2);
  }
  const { w, t, tt, y, yy, ty } = s;
  const wa = w[a]!;
  const ta = t[a]!;
  const tta = tt[a]!;
  const ya = y[a]!;
  const yya = yy[a]!;
  const tya = ty[a]!;
  const wb = w[b]!;
  const tb = t[b]!;
  const ttb = tt[b]!;
  const yb = y[b]!;
  const yyb = yy[b]!;
  const tyb = ty[b]!;
  for (let k = a + 1; k < b; k++) {
    const wk = w[k]!;
    const tk = t[k]!;
    const ttk = tt[k]!;
    const yk = y[k]!;
    const yyk = yy[k]!;
    const tyk = ty[k]!;
    if (left) leftCost[k] = pieceRss(k - a, wk - wa, tk - ta, ttk - tta, yk - ya, yyk - yya, tyk - tya);
    if (right) rightCost[k] = pieceRss(b - k, wb - wk, tb - tk, ttb - ttk, yb - yk, yyb - yyk, tyb - tyk);
  }
}

/**
 * Continuous hinge on [a, b): y = c0 + c1 t + c2 (t - t_k)+. RSS from the cumulative sums and a 3×3 solve.
 */
function hingeCost(s: Sums, tArr: Float64Array, a: number, k: number, b: number): number {
  const tk = tArr[k]!;
  const n = s.w[b]! - s.w[a]!;
  const st = s.t[b]! - s.t[a]!;
  const stt = s.tt[b]! - s.tt[a]!;
  const sy = s.y[b]! - s.y[a]!;
  const syy = s.yy[b]! - s.yy[a]!;
  const sty = s.ty[b]! - s.ty[a]!;
  const nR = s.w[b]! - s.w[k]!;
  const tR = s.t[b]! - s.t[k]!;
  const ttR = s.tt[b]! - s.tt[k]!;
  const yR = s.y[b]! - s.y[k]!;
  const tyR = s.ty[b]! - s.ty[k]!;
  const sh = tR - nR * tk;
  const shh = ttR - 2 * tk * tR + nR * tk * tk;
  const sth = ttR - tk * tR;
  const shy = tyR - tk * yR;
  // Centre on the segment mean to keep the 3×3 system well conditioned.
  if (n <= 0) return 0;
  const mt = st / n;
  const my = sy / n;
  const mh = sh / n;
  const a11 = stt - n * mt * mt;
  const a12 = sth - n * mt * mh;
  const a22 = shh - n * mh * mh;
  const b1 = sty - n * mt * my;
  const b2 = shy - n * mh * my;
  const yy = syy - n * my * my;
  const det = a11 * a22 - a12 * a12;
  if (!(det > 1e-12 * Math.max(1, a11 * a22))) {
    return a11 > 1e-12 ? Math.max(0, yy - (b1 * b1) / a11) : Math.max(0, yy);
  }
  const c1 = (a22 * b1 - a12 * b2) / det;
  const c2 = (a11 * b2 - a12 * b1) / det;
  return Math.max(0, yy - c1 * b1 - c2 * b2);
}

// ---------- robust statistics ----------

// The (k-1)-th smallest value of the last `select` (the largest of a[0..k)), or -Infinity when k is 0.
let selectedBelow = -Infinity;

/** Largest of a[from..to), or -Infinity when empty. */
function maxOf(a: Float64Array, from: number, to: number): number {
  let m = -Infinity;
  for (let i = from; i < to; i++) if (a[i]! > m) m = a[i]!;
  return m;
}

/**
 * k-th smallest of a[0..n); reorders a so that a[0..k) holds the k smaller values, and leaves the largest
 * of those in `selectedBelow`. Quickselect with a median-of-three pivot and branch-free partitions: each
 * value is swapped into place and the boundary moves by the comparison as a number (a conditional would
 * compile to a branch), so the cost does not depend on how predictable the comparisons are.
 */
function select(a: Float64Array, n: number, k: number): number {
  let lo = 0;
  let hi = n;
  // Values leave the range [lo, hi) in blocks below it, each no smaller than the ones before: the largest
  // value below the range is in the last block, a[block..lo).
  let block = 0;
  while (hi - lo > 16) {
    const x = a[lo]!;
    const y = a[(lo + hi) >> 1]!;
    const z = a[hi - 1]!;
    const p = x < y ? (y < z ? y : x < z ? z : x) : x < z ? x : y < z ? z : y;
    // Values below the pivot to the front.
    let s = lo;
    for (let i = lo; i < hi; i++) {
      const v = a[i]!;
      a[i] = a[s]!;
      a[s] = v;
      s += Number(v < p);
    }
    if (k < s) {
      hi = s;
      continue;
    }
    if (s > lo) {
      block = lo;
      lo = s;
      continue;
    }
    // Nothing below the pivot: split off the values equal to it, so ties cannot stall the search.
    let e = s;
    for (let i = s; i < hi; i++) {
      const v = a[i]!;
      a[i] = a[e]!;
      a[e] = v;
      e += Number(v <= p);
    }
    if (k < e) {
      selectedBelow = k > lo ? p : maxOf(a, block, lo);
      return p;
    }
    block = lo;
    lo = e;
  }
  for (let i = lo + 1; i < hi; i++) {
    const v = a[i]!;
    let j = i - 1;
    while (j >= lo && a[j]! > v) {
      a[j + 1] = a[j]!;
      j--;
    }
    a[j + 1] = v;
  }
  selectedBelow = k > lo ? a[k - 1]! : maxOf(a, block, lo);
  return a[k]!;
}

/** Median of a[0..n) (reorders a). */
export function median(a: Float64Array, n: number): number {
  if (n === 0) return 0;
  const hi = select(a, n, n >> 1);
  if (n % 2 === 1) return hi;
  return (selectedBelow + hi) / 2;
}

/** Robust scale of a[0..n) (reorders a): MAD, or the mean absolute deviation when over half the values tie. */
export function robustScale(a: Float64Array, n: number): number {
  if (n === 0) return 0;
  const m = median(a, n);
  for (let i = 0; i < n; i++) a[i] = Math.abs(a[i]! - m);
  const mad = median(a, n) * MAD_TO_SIGMA;
  if (mad > 0) return mad;
  // Quantised or mostly flat series have MAD 0; the mean deviation (×1.2533 for Gaussian) still sees noise.
  let mean = 0;
  for (let i = 0; i < n; i++) mean += a[i]!;
  mean /= n;
  return mean * 1.2533;
}

interface NoiseScale {
  sigma: number;
  rho: number;
  /** Long-run variance over marginal variance under AR(1): inflates the penalty and the intervals. */
  kappa: number;
}

// The differences, and their sums and differences at lag 1, that `noiseScale` ranks.
const diffs = {
  d: new Float64Array(NOISE_SAMPLES),
  u: new Float64Array(NOISE_SAMPLES),
  v: new Float64Array(NOISE_SAMPLES),
};

/**
 * Noise from first differences: their robust scale gives sqrt(2 (1 - rho)) sigma, and their lag-1
 * correlation (Gnanadesikan–Kettenring, from robust scales of sums and differences) is (rho - 1) / 2.
 */
function noiseScale(z: Float64Array, n: number): NoiseScale {
  if (n < 4) return { sigma: 0, rho: 0, kappa: 1 };
  // Up to 1,024 evenly spread differences: the scale is then known to a few per cent, at a fixed cost.
  const k = Math.min(n - 2, NOISE_SAMPLES);
  const step = (n - 2) / k;
  const d = diffs.d;
  const u = diffs.u;
  const v = diffs.v;
  for (let j = 0; j < k; j++) {
    const i = 1 + Math.floor(j * step);
    const d1 = z[i + 1]! - z[i]!;
    const d0 = z[i]! - z[i - 1]!;
    d[j] = d1;
    u[j] = d1 + d0;
    v[j] = d1 - d0;
  }
  const sd = robustScale(d, k);
  const su = robustScale(u, k);
  const sv = robustScale(v, k);
  const r = su + sv > 0 ? (su * su - sv * sv) / (su * su + sv * sv) : -0.5;
  const rho = Math.min(RHO_MAX, Math.max(0, 1 + 2 * r));
  const sigma = sd / Math.sqrt(2 * (1 - rho));
  return { sigma, rho, kappa: varianceInflation(rho) };
}

/** How much lag-1 correlation `rho` inflates the variance of a mean over many points (long-run variance). */
export function varianceInflation(rho: number): number {
  return (1 + rho) / (1 - rho);
}

// ---------- small linear algebra ----------

/** Solves the k×k system A x = b in place (A row-major, Gaussian elimination with pivoting); x in b. */
export function solve(A: Float64Array, b: Float64Array, k: number): boolean {
  for (let c = 0; c < k; c++) {
    let p = c;
    for (let r = c + 1; r < k; r++) if (Math.abs(A[r * k + c]!) > Math.abs(A[p * k + c]!)) p = r;
    if (Math.abs(A[p * k + c]!) < 1e-12) return false;
    if (p !== c) {
      for (let j = 0; j < k; j++) {
        const tmp = A[c * k + j]!;
        A[c * k + j] = A[p * k + j]!;
        A[p * k + j] = tmp;
      }
      const tb = b[c]!;
      b[c] = b[p]!;
      b[p] = tb;
    }
    for (let r = c + 1; r < k; r++) {
      const f = A[r * k + c]! / A[c * k + c]!;
      if (f === 0) continue;
      for (let j = c; j < k; j++) A[r * k + j] = A[r * k + j]! - f * A[c * k + j]!;
      b[r] = b[r]! - f * b[c]!;
    }
  }
  for (let c = k - 1; c >= 0; c--) {
    let v = b[c]!;
    for (let j = c + 1; j < k; j++) v -= A[c * k + j]! * b[j]!;
    b[c] = v / A[c * k + c]!;
  }
  return true;
}

/**
 * `solve` for a 4×4 system, unrolled into locals: the same pivots and the same operations in the same
 * order, so the same solution to the last bit. Entries left of the diagonal are not read once their
 * column is done, so swaps and elimination skip them. A is left as it was, and so is b when there is no
 * solution. The joint search with the daily cycle solves one such system per trial split.
 */
function solve4(A: Float64Array, b: Float64Array): boolean {
  // Column 0's pivot (the first row holding its largest entry) is known before elimination: its row and
  // the first are loaded swapped.
  let p = 0;
  let big = Math.abs(A[0]!);
  for (let r = 1; r < 4; r++) {
    if (Math.abs(A[4 * r]!) > big) {
      p = r;
      big = Math.abs(A[4 * r]!);
    }
  }
  if (big < 1e-12) return false;
  const r1 = p === 1 ? 0 : 1;
  const r2 = p === 2 ? 0 : 2;
  const r3 = p === 3 ? 0 : 3;
  const a00 = A[4 * p]!;
  const a01 = A[4 * p + 1]!;
  const a02 = A[4 * p + 2]!;
  const a03 = A[4 * p + 3]!;
  const b0 = b[p]!;
  let a11 = A[4 * r1 + 1]!;
  let a12 = A[4 * r1 + 2]!;
  let a13 = A[4 * r1 + 3]!;
  let b1 = b[r1]!;
  let a21 = A[4 * r2 + 1]!;
  let a22 = A[4 * r2 + 2]!;
  let a23 = A[4 * r2 + 3]!;
  let b2 = b[r2]!;
  let a31 = A[4 * r3 + 1]!;
  let a32 = A[4 * r3 + 2]!;
  let a33 = A[4 * r3 + 3]!;
  let b3 = b[r3]!;
  let tmp: number;
  let f = A[4 * r1]! / a00;
  if (f !== 0) {
    a11 -= f * a01;
    a12 -= f * a02;
    a13 -= f * a03;
    b1 -= f * b0;
  }
  f = A[4 * r2]! / a00;
  if (f !== 0) {
    a21 -= f * a01;
    a22 -= f * a02;
    a23 -= f * a03;
    b2 -= f * b0;
  }
  f = A[4 * r3]! / a00;
  if (f !== 0) {
    a31 -= f * a01;
    a32 -= f * a02;
    a33 -= f * a03;
    b3 -= f * b0;
  }
  // Column 1.
  p = 1;
  big = Math.abs(a11);
  if (Math.abs(a21) > big) {
    p = 2;
    big = Math.abs(a21);
  }
  if (Math.abs(a31) > big) {
    p = 3;
    big = Math.abs(a31);
  }
  if (big < 1e-12) return false;
  if (p === 2) {
    tmp = a11;
    a11 = a21;
    a21 = tmp;
    tmp = a12;
    a12 = a22;
    a22 = tmp;
    tmp = a13;
    a13 = a23;
    a23 = tmp;
    tmp = b1;
    b1 = b2;
    b2 = tmp;
  } else if (p === 3) {
    tmp = a11;
    a11 = a31;
    a31 = tmp;
    tmp = a12;
    a12 = a32;
    a32 = tmp;
    tmp = a13;
    a13 = a33;
    a33 = tmp;
    tmp = b1;
    b1 = b3;
    b3 = tmp;
  }
  f = a21 / a11;
  if (f !== 0) {
    a22 -= f * a12;
    a23 -= f * a13;
    b2 -= f * b1;
  }
  f = a31 / a11;
  if (f !== 0) {
    a32 -= f * a12;
    a33 -= f * a13;
    b3 -= f * b1;
  }
  // Column 2.
  big = Math.abs(a22);
  if (Math.abs(a32) > big) {
    big = Math.abs(a32);
    tmp = a22;
    a22 = a32;
    a32 = tmp;
    tmp = a23;
    a23 = a33;
    a33 = tmp;
    tmp = b2;
    b2 = b3;
    b3 = tmp;
  }
  if (big < 1e-12) return false;
  f = a32 / a22;
  if (f !== 0) {
    a33 -= f * a23;
    b3 -= f * b2;
  }
  // Column 3, then back-substitution.
  if (Math.abs(a33) < 1e-12) return false;
  b3 = b3 / a33;
  b2 = (b2 - a23 * b3) / a22;
  b1 = (b1 - a12 * b2 - a13 * b3) / a11;
  b[0] = (b0 - a01 * b1 - a02 * b2 - a03 * b3) / a00;
  b[1] = b1;
  b[2] = b2;
  b[3] = b3;
  return true;
}

// ---------- search ----------

/**
 * Binary segmentation proposals on [0, m) whose split gain exceeds `threshold`.
 *
 * Splitting [a, b) at c leaves half of each part's scan known: [a, c) splits at k into [a, k), already in
 * `leftCost[k]` from the scan of [a, b), and [k, c); likewise [c, b) keeps `rightCost`. Scans only write
 * inside their own segment and the pending segments are disjoint, so those entries wait intact.
 */
function propose(s: Sums, m: number, threshold: number): number[] {
  const found: number[] = [];
  // Segments to scan: start, end, and whether their left and right costs still need computing.
  const stack: [number, number, boolean, boolean][] = [[0, m, true, true]];
  while (stack.length > 0 && found.length < MAX_PROPOSALS) {
    const [a, b, left, right] = stack.pop()!;
    if (b - a < 2) continue;
    const whole = cost(s, a, b);
    let best = -1;
    let bestGain = threshold;
    splitCosts(s, a, b, left, right);
    for (let k = a + 1; k < b; k++) {
      const gain = whole - leftCost[k]! - rightCost[k]!;
      if (gain > bestGain) {
        bestGain = gain;
        best = k;
      }
    }
    if (best < 0) continue;
    found.push(best);
    stack.push([a, best, false, true], [best, b, true, false]);
  }
  return found.sort((x, y) => x - y);
}

// Best cost up to each position, and the position before it (at most MAX_PROPOSALS + 2 positions).
const partition = { f: new Float64Array(MAX_PROPOSALS + 2), back: new Int32Array(MAX_PROPOSALS + 2) };

/** Exact optimal partitioning restricted to the proposed positions. */
function optimalPartition(s: Sums, m: number, proposals: number[], beta: number): number[] {
  const pos = [0, ...proposals, m];
  const k = pos.length;
  const f = partition.f;
  const back = partition.back;
  f[0] = -beta;
  for (let j = 1; j < k; j++) {
    let best = Infinity;
    let arg = 0;
    for (let i = 0; i < j; i++) {
      const v = f[i]! + cost(s, pos[i]!, pos[j]!) + beta;
      if (v < best) {
        best = v;
        arg = i;
      }
    }
    f[j] = best;
    back[j] = arg;
  }
  const chosen: number[] = [];
  for (let j = back[k - 1]!; j > 0; j = back[j]!) chosen.push(pos[j]!);
  return chosen.reverse();
}

/** One pass moving each change to its best position between its neighbours. */
function polish(s: Sums, m: number, cps: number[]): void {
  for (let c = 0; c < cps.length; c++) {
    const a = c === 0 ? 0 : cps[c - 1]!;
    const b = c === cps.length - 1 ? m : cps[c + 1]!;
    let best = cps[c]!;
    let bestCost = Infinity;
    splitCosts(s, a, b);
    for (let k = a + 1; k < b; k++) {
      const v = leftCost[k]! + rightCost[k]!;
      if (v < bestCost) {
        bestCost = v;
        best = k;
      }
    }
    cps[c] = best;
  }
}

// ---------- the series, binned ----------

interface Binned {
  m: number;
  /** Points a full cell holds. */
  perCell: number;
  /** Mean epoch ms of each cell, and hours since the first point. */
  ts: Float64Array;
  t: Float64Array;
  /** Median value and weight of each cell. */
  y: Float64Array;
  w: Float64Array;
  /** Raw index range of each cell. */
  start: Int32Array;
  end: Int32Array;
  /** Daily-cycle regressors, four per cell. */
  x: Float64Array;
}

/** Median of a[0..n) for small n (reorders a). */
function smallMedian(a: Float64Array, n: number): number {
  if (n > 24) return median(a, n);
  for (let i = 1; i < n; i++) {
    const v = a[i]!;
    let j = i - 1;
    while (j >= 0 && a[j]! > v) {
      a[j + 1] = a[j]!;
      j--;
    }
    a[j + 1] = v;
  }
  return n % 2 === 1 ? a[n >> 1]! : (a[(n >> 1) - 1]! + a[n >> 1]!) / 2;
}

// The cells of the series being analysed, kept for the next series.
const cells: Binned = {
  m: 0,
  perCell: 1,
  ts: new Float64Array(0),
  t: new Float64Array(0),
  y: new Float64Array(0),
  w: new Float64Array(0),
  start: new Int32Array(0),
  end: new Int32Array(0),
  x: new Float64Array(0),
};

/** Bins the series into `cells` (overwriting the previous series' cells). */
function binSeries(ts: Float64Array, y: Float64Array, n: number, work: Float64Array): Binned {
  // The typical spacing, from up to 256 evenly spread differences: cheap, and gaps do not move it.
  const stride = Math.max(1, Math.floor((n - 1) / 256));
  let k = 0;
  for (let i = stride; i < n; i += stride) work[k++] = ts[i]! - ts[i - 1]!;
  const dt = Math.max(1, median(work, k));
  const g = Math.max(1, Math.round(n / TARGET_BINS));
  const width = g * dt;
  const t0 = ts[0]!;
  const cap = Math.min(n, Math.ceil((ts[n - 1]! - t0) / width) + 1);
  const b = cells;
  b.m = 0;
  b.perCell = g;
  if (b.ts.length < cap) {
    const size = Math.max(cap, 2 * b.ts.length);
    b.ts = new Float64Array(size);
    b.t = new Float64Array(size);
    b.y = new Float64Array(size);
    b.w = new Float64Array(size);
    b.start = new Int32Array(size);
    b.end = new Int32Array(size);
    b.x = new Float64Array(4 * size);
  }
  let i = 0;
  while (i < n && b.m < cap) {
    const limit = t0 + (Math.floor((ts[i]! - t0) / width) + 1) * width;
    let j = i;
    let sumTs = 0;
    while (j < n && ts[j]! < limit) {
      sumTs += ts[j]!;
      work[j - i] = y[j]!;
      j++;
    }
    const c = j - i;
    const at = sumTs / c;
    const q = b.m;
    b.ts[q] = at;
    b.t[q] = (at - t0) / HOUR;
    b.y[q] = c === 1 ? work[0]! : smallMedian(work, c);
    // A part-filled cell weighs less; a crowded one no more, as neighbouring samples share their noise.
    b.w[q] = Math.min(1, c / g);
    b.start[q] = i;
    b.end[q] = j;
    const p = phaseIndex(at);
    const p2 = (2 * p) % PHASE_STEPS;
    b.x[4 * q] = SIN_TABLE[p]!;
    b.x[4 * q + 1] = COS_TABLE[p]!;
    b.x[4 * q + 2] = SIN_TABLE[p2]!;
    b.x[4 * q + 3] = COS_TABLE[p2]!;
    b.m++;
    i = j;
  }
  return b;
}

// The normal matrix of `seasonalGivenSegments`, kept between series.
const normal = new Float64Array(16);

/**
 * The daily cycle jointly with the given segmentation (Frisch–Waugh: regress what each segment's line
 * leaves of the values on what it leaves of the harmonics). Returns the coefficients.
 */
function seasonalGivenSegments(b: Binned, cps: number[]): Float64Array {
  // Upper triangle of the normal matrix and the right-hand side, summed over segments.
  let a00 = 0;
  let a01 = 0;
  let a02 = 0;
  let a03 = 0;
  let a11 = 0;
  let a12 = 0;
  let a13 = 0;
  let a22 = 0;
  let a23 = 0;
  let a33 = 0;
  let r0 = 0;
  let r1 = 0;
  let r2 = 0;
  let r3 = 0;
  const { w, t, y, x } = b;
  const bounds = [0, ...cps, b.m];
  for (let s = 0; s + 1 < bounds.length; s++) {
    const lo = bounds[s]!;
    const hi = bounds[s + 1]!;
    // Weighted sums of the value (y) and the harmonics (h0-h3), plain (m) and times t (k).
    let sw = 0;
    let st = 0;
    let stt = 0;
    let my = 0;
    let ky = 0;
    let m0 = 0;
    let k0 = 0;
    let m1 = 0;
    let k1 = 0;
    let m2 = 0;
    let k2 = 0;
    let m3 = 0;
    let k3 = 0;
    for (let i = lo; i < hi; i++) {
      const wi = w[i]!;
      const ti = t[i]!;
      const wt = wi * ti;
      const yi = y[i]!;
      const h0 = x[4 * i]!;
      const h1 = x[4 * i + 1]!;
      const h2 = x[4 * i + 2]!;
      const h3 = x[4 * i + 3]!;
      sw += wi;
      st += wt;
      stt += wt * ti;
      my += wi * yi;
      ky += wt * yi;
      m0 += wi * h0;
      k0 += wt * h0;
      m1 += wi * h1;
      k1 += wt * h1;
      m2 += wi * h2;
      k2 += wt * h2;
      m3 += wi * h3;
      k3 += wt * h3;
    }
    if (sw <= 0) continue;
    // Each vector's own line on the segment: slope (k) and mean (m).
    const tm = st / sw;
    const sxx = stt - st * tm;
    const sloped = hi - lo >= 3 && sxx > 1e-12;
    ky = sloped ? (ky - tm * my) / sxx : 0;
    k0 = sloped ? (k0 - tm * m0) / sxx : 0;
    k1 = sloped ? (k1 - tm * m1) / sxx : 0;
    k2 = sloped ? (k2 - tm * m2) / sxx : 0;
    k3 = sloped ? (k3 - tm * m3) / sxx : 0;
    my /= sw;
    m0 /= sw;
    m1 /= sw;
    m2 /= sw;
    m3 /= sw;
    for (let i = lo; i < hi; i++) {
      const wi = w[i]!;
      const dt = t[i]! - tm;
      const ey = y[i]! - my - ky * dt;
      const e0 = x[4 * i]! - m0 - k0 * dt;
      const e1 = x[4 * i + 1]! - m1 - k1 * dt;
      const e2 = x[4 * i + 2]! - m2 - k2 * dt;
      const e3 = x[4 * i + 3]! - m3 - k3 * dt;
      const w0 = wi * e0;
      const w1 = wi * e1;
      const w2 = wi * e2;
      const w3 = wi * e3;
      r0 += w0 * ey;
      a00 += w0 * e0;
      a01 += w0 * e1;
      a02 += w0 * e2;
      a03 += w0 * e3;
      r1 += w1 * ey;
      a11 += w1 * e1;
      a12 += w1 * e2;
      a13 += w1 * e3;
      r2 += w2 * ey;
      a22 += w2 * e2;
      a23 += w2 * e3;
      r3 += w3 * ey;
      a33 += w3 * e3;
    }
  }
  const A = normal;
  A[0] = a00;
  A[1] = a01;
  A[2] = a02;
  A[3] = a03;
  A[4] = a01;
  A[5] = a11;
  A[6] = a12;
  A[7] = a13;
  A[8] = a02;
  A[9] = a12;
  A[10] = a22;
  A[11] = a23;
  A[12] = a03;
  A[13] = a13;
  A[14] = a23;
  A[15] = a33;
  const coef = Float64Array.of(r0, r1, r2, r3);
  return solve4(A, coef) ? coef : new Float64Array(4);
}

interface Classified {
  kind: ChangeKind;
  zSlope: number;
  zLevel: number;
}

/** Evidence for a slope change and a level shift between [a, k) and [k, b); z² > log m is what BIC keeps. */
function classify(
  s: Sums,
  t: Float64Array,
  a: number,
  k: number,
  b: number,
  kappa: number,
  logM: number,
): Classified {
  const L = { ...lineFit(s, a, k, scratchFit) };
  const R = lineFit(s, k, b, scratchFit);
  const tb = (t[k - 1]! + t[k]!) / 2;
  const fl = L.mean + L.slope * (tb - L.tMean);
  const fr = R.mean + R.slope * (tb - R.tMean);
  const vl = 1 / L.n + (L.sxx > 1e-12 ? (tb - L.tMean) ** 2 / L.sxx : 0);
  const vr = 1 / R.n + (R.sxx > 1e-12 ? (tb - R.tMean) ** 2 / R.sxx : 0);
  const zLevel = (fr - fl) / Math.sqrt(kappa * (vl + vr));
  const slopeVar = (L.sxx > 1e-12 ? 1 / L.sxx : Infinity) + (R.sxx > 1e-12 ? 1 / R.sxx : Infinity);
  const zSlope = Number.isFinite(slopeVar) ? (R.slope - L.slope) / Math.sqrt(kappa * slopeVar) : 0;
  const sigS = zSlope * zSlope > logM;
  const sigL = zLevel * zLevel > logM;
  let kind: ChangeKind;
  if (sigS && sigL) kind = 'both';
  else if (sigS) kind = 'slope';
  else if (sigL) kind = 'level';
  else kind = Math.abs(zSlope) > Math.abs(zLevel) ? 'slope' : 'level';
  return { kind, zSlope, zLevel };
}

/**
 * A segment entered and left by opposite level shifts, after which the series is back on its earlier
 * line (one line through both neighbours costs less than the penalty of keeping them apart), is a spike.
 */
function isSpike(
  s: Sums,
  a: number,
  k1: number,
  k2: number,
  b: number,
  beta: number,
  c1: Classified,
  c2: Classified,
): boolean {
  if (c1.kind === 'slope' || c2.kind === 'slope') return false;
  if (Math.sign(c1.zLevel) === Math.sign(c2.zLevel)) return false;
  // Sums over [a, k1) ∪ [k2, b) by additivity.
  const n = s.w[k1]! - s.w[a]! + s.w[b]! - s.w[k2]!;
  if (n < 3) return false;
  const st = s.t[k1]! - s.t[a]! + s.t[b]! - s.t[k2]!;
  const stt = s.tt[k1]! - s.tt[a]! + s.tt[b]! - s.tt[k2]!;
  const sy = s.y[k1]! - s.y[a]! + s.y[b]! - s.y[k2]!;
  const syy = s.yy[k1]! - s.yy[a]! + s.yy[b]! - s.yy[k2]!;
  const sty = s.ty[k1]! - s.ty[a]! + s.ty[b]! - s.ty[k2]!;
  const sxx = stt - (st * st) / n;
  const sxy = sty - (st * sy) / n;
  const merged = Math.max(0, syy - (sy * sy) / n - (sxx > 1e-12 ? (sxy * sxy) / sxx : 0));
  return merged - cost(s, a, k1) - cost(s, k2, b) < beta;
}

// ---------- joint search with the daily cycle, on coarse cells ----------

// Cross products of the five vectors (value, four harmonics) are kept as the upper triangle of their
// symmetric 5×5 matrix, row by row: pairs (0,0) … (0,4) are entries 0-4, (1,1) … (1,4) are 5-8, (2,2) …
// (2,4) are 9-11, (3,3) and (3,4) are 12 and 13, (4,4) is 14.
// Cells of the joint search: the cycle only needs the broad shape of the trend.
const COARSE_CELLS = 64;

/** Cumulative sums for segments plus a global daily cycle: any segmentation's exact fit in O(segments). */
class JointSums {
  m = 0;
  // Sized for the coarse search (at most COARSE_CELLS cells), allocated once.
  readonly w = new Float64Array(COARSE_CELLS + 1);
  readonly t = new Float64Array(COARSE_CELLS + 1);
  readonly tt = new Float64Array(COARSE_CELLS + 1);
  /** Per vector (value, 4 harmonics): Σv and Σt·v; per pair: Σu·v. Row i of each starts at i × width. */
  readonly v = new Float64Array(5 * (COARSE_CELLS + 1));
  readonly tv = new Float64Array(5 * (COARSE_CELLS + 1));
  readonly uv = new Float64Array(15 * (COARSE_CELLS + 1));
  private readonly sum = new Float64Array(5);
  private readonly sumT = new Float64Array(5);
  /** Sums of cells [0, m) with times `t`, weights `w` and five values per cell in `vec`. */
  fill(t: Float64Array, w: Float64Array, vec: Float64Array, m: number): void {
    this.m = m;
    for (let i = 0; i < m; i++) {
      const wi = w[i]!;
      const ti = t[i]!;
      this.w[i + 1] = this.w[i]! + wi;
      this.t[i + 1] = this.t[i]! + wi * ti;
      this.tt[i + 1] = this.tt[i]! + wi * ti * ti;
      // Pairs in upper-triangle order.
      let k = 0;
      for (let u = 0; u < 5; u++) {
        const xu = vec[5 * i + u]!;
        this.v[5 * (i + 1) + u] = this.v[5 * i + u]! + wi * xu;
        this.tv[5 * (i + 1) + u] = this.tv[5 * i + u]! + wi * ti * xu;
        for (let q = u; q < 5; q++, k++)
          this.uv[15 * (i + 1) + k] = this.uv[15 * i + k]! + wi * xu * vec[5 * i + q]!;
      }
    }
  }

  /** Writes the cross products that [a, b)'s own line leaves into `out[at..at + 15)`. */
  segment(a: number, b: number, out: Float64Array, at: number): void {
    const n = this.w[b]! - this.w[a]!;
    if (n <= 0) {
      out.fill(0, at, at + 15);
      return;
    }
    const st = this.t[b]! - this.t[a]!;
    const sxx = this.tt[b]! - this.tt[a]! - (st * st) / n;
    const withSlope = b - a >= 3 && sxx > 1e-12;
    // Each vector's sum and centred cross product with time, then the pairs in upper-triangle order.
    const sum = this.sum;
    const sumT = this.sumT;
    for (let u = 0; u < 5; u++) {
      const su = this.v[5 * b + u]! - this.v[5 * a + u]!;
      sum[u] = su;
      sumT[u] = this.tv[5 * b + u]! - this.tv[5 * a + u]! - (st * su) / n;
    }
    let k = 0;
    for (let u = 0; u < 5; u++) {
      const su = sum[u]!;
      const stu = sumT[u]!;
      for (let q = u; q < 5; q++, k++) {
        let r = this.uv[15 * b + k]! - this.uv[15 * a + k]! - (su * sum[q]!) / n;
        if (withSlope) r -= (stu * sumT[q]!) / sxx;
        out[at + k] = r;
      }
    }
  }
}

/** Residual sum of squares of the value after the cycle, from the pooled cross products; the cycle in `coef`. */
function jointRss(T: Float64Array, A: Float64Array, coef: Float64Array): number {
  // The harmonics' block of the pooled cross products (entries 5-14) and their products with the value (1-4).
  coef[0] = T[1]!;
  coef[1] = T[2]!;
  coef[2] = T[3]!;
  coef[3] = T[4]!;
  A[0] = T[5]!;
  A[1] = T[6]!;
  A[2] = T[7]!;
  A[3] = T[8]!;
  A[4] = T[6]!;
  A[5] = T[9]!;
  A[6] = T[10]!;
  A[7] = T[11]!;
  A[8] = T[7]!;
  A[9] = T[10]!;
  A[10] = T[12]!;
  A[11] = T[13]!;
  A[12] = T[8]!;
  A[13] = T[11]!;
  A[14] = T[13]!;
  A[15] = T[14]!;
  if (!solve4(A, coef)) {
    coef.fill(0);
    return T[0]!;
  }
  const fitted = coef[0]! * T[1]! + coef[1]! * T[2]! + coef[2]! * T[3]! + coef[3]! * T[4]!;
  return Math.max(0, T[0]! - fitted);
}

// Working arrays of the coarse search, sized for its largest case and kept between series.
const coarse = {
  /** Per coarse cell: time, weight, and the value with the four harmonics. */
  t: new Float64Array(COARSE_CELLS),
  w: new Float64Array(COARSE_CELLS),
  vec: new Float64Array(5 * COARSE_CELLS),
  J: new JointSums(),
  /**
   * Cross products of each current segment, at 15 × its start, and of the pieces either side of each
   * split position k within its segment, at 15 × k.
   */
  whole: new Float64Array(15 * COARSE_CELLS),
  before: new Float64Array(15 * COARSE_CELLS),
  after: new Float64Array(15 * COARSE_CELLS),
  /** The current segmentation's pooled cross products, a trial's, and the system they give. */
  T: new Float64Array(15),
  trial: new Float64Array(15),
  A: new Float64Array(16),
};

/**
 * Greedy forward search of segments jointly with a global daily cycle on coarse cells: each step adds the
 * split that most lowers the exact joint residual, while the drop beats the BIC penalty. Returns the cycle
 * in the units of `values`.
 *
 * The pooled cross products of a segmentation are the sum of its segments' own (`JointSums.segment`), so
 * a trial split of [a, e) at k is the current total minus [a, e)'s part plus those of [a, k) and [k, e).
 * A segment's parts for all its split positions are kept until it is split, so each step only solves.
 */
function coarseCycle(b: Binned, values: Float64Array, kappa: number, penaltyScale: number): Float64Array {
  const group = Math.max(1, Math.ceil(b.m / COARSE_CELLS));
  const mc = Math.ceil(b.m / group);
  const { t, w, vec, J, whole, before, after, T, trial, A } = coarse;
  for (let c = 0; c < mc; c++) {
    let sw = 0;
    let st = 0;
    let sts = 0;
    let sy = 0;
    for (let i = c * group; i < Math.min(b.m, (c + 1) * group); i++) {
      const wi = b.w[i]!;
      sw += wi;
      st += wi * b.t[i]!;
      sts += wi * b.ts[i]!;
      sy += wi * values[i]!;
    }
    w[c] = sw;
    t[c] = st / sw;
    vec[5 * c] = sy / sw;
    const p = phaseIndex(sts / sw);
    const p2 = (2 * p) % PHASE_STEPS;
    vec[5 * c + 1] = SIN_TABLE[p]!;
    vec[5 * c + 2] = COS_TABLE[p]!;
    vec[5 * c + 3] = SIN_TABLE[p2]!;
    vec[5 * c + 4] = COS_TABLE[p2]!;
  }
  const beta = penaltyScale * PARAMS_PER_CHANGE * Math.log(mc) * kappa;
  J.fill(t, w, vec, mc);
  J.segment(0, mc, whole, 0);
  for (let k = 1; k < mc; k++) {
    J.segment(0, k, before, 15 * k);
    J.segment(k, mc, after, 15 * k);
  }
  const coef = new Float64Array(4);
  for (let j = 0; j < 15; j++) T[j] = whole[j]!;
  const bounds = [0, mc];
  let current = jointRss(T, A, coef);
  for (let step = 0; step < MAX_PROPOSALS; step++) {
    let best = -1;
    let bestRss = current - beta;
    let seg = -1;
    for (let s = 0; s + 1 < bounds.length; s++) {
      const a = bounds[s]!;
      const e = bounds[s + 1]!;
      for (let k = a + 1; k < e; k++) {
        for (let j = 0; j < 15; j++)
          trial[j] = T[j]! - whole[15 * a + j]! + before[15 * k + j]! + after[15 * k + j]!;
        const r = jointRss(trial, A, coef);
        if (r < bestRss) {
          bestRss = r;
          best = k;
          seg = s;
        }
      }
    }
    if (best < 0) break;
    const a = bounds[seg]!;
    const e = bounds[seg + 1]!;
    for (let j = 0; j < 15; j++)
      T[j] = T[j]! - whole[15 * a + j]! + before[15 * best + j]! + after[15 * best + j]!;
    // [a, best) and [best, e) are the pieces of the split; inside them, the pieces reaching a or e stay.
    for (let j = 0; j < 15; j++) {
      whole[15 * a + j] = before[15 * best + j]!;
      whole[15 * best + j] = after[15 * best + j]!;
    }
    for (let k = a + 1; k < best; k++) J.segment(k, best, after, 15 * k);
    for (let k = best + 1; k < e; k++) J.segment(best, k, before, 15 * k);
    bounds.splice(seg + 1, 0, best);
    current = bestRss;
  }
  jointRss(T, A, coef);
  return coef;
}

// Scratch buffers grown on demand: detection runs on thousands of series and should not allocate per point.
let work = new Float64Array(0);
function workBuffer(n: number): Float64Array {
  if (work.length < 3 * n + 8) work = new Float64Array(3 * n + 8);
  return work;
}

/** Per-series arrays of detection, each kept for the next series. */
const scratch = {
  /** Standardised cells of the plain fit and of the fit with the cycle, and their sums. */
  z: new Float64Array(0),
  cz: new Float64Array(0),
  sums: new Sums(),
  cSums: new Sums(),
  /** What the segments leave of the cells. */
  residual: new Float64Array(0),
  /** Hours and standardised values at full resolution, and their sums. */
  t: new Float64Array(0),
  zr: new Float64Array(0),
  raw: new Sums(),
};

/** `a`, or a larger array when it holds fewer than `n` entries. */
function grown(a: Float64Array<ArrayBuffer>, n: number): Float64Array<ArrayBuffer> {
  return a.length >= n ? a : new Float64Array(Math.max(n, 2 * a.length));
}

interface BinFit {
  cps: number[];
  noise: NoiseScale;
  centre: number;
  beta: number;
}

/** Segments the cells after removing the daily cycle `coef`; leaves the standardised sums in `sums`. */
function segmentCells(
  b: Binned,
  coef: Float64Array | null,
  sums: Sums,
  z: Float64Array,
  penalty: number,
): BinFit {
  const m = b.m;
  const wk = workBuffer(m);
  if (coef === null) for (let i = 0; i < m; i++) z[i] = b.y[i]!;
  else {
    // `seasonalAt` of each cell, from the harmonics kept with the cells.
    const c0 = coef[0]!;
    const c1 = coef[1]!;
    const c2 = coef[2]!;
    const c3 = coef[3]!;
    const x = b.x;
    for (let i = 0; i < m; i++)
      z[i] = b.y[i]! - (c0 * x[4 * i]! + c1 * x[4 * i + 1]! + c2 * x[4 * i + 2]! + c3 * x[4 * i + 3]!);
  }
  const noise = noiseScale(z, m);
  if (!(noise.sigma > 0)) return { cps: [], noise, centre: 0, beta: 0 };
  for (let i = 0; i < m; i++) wk[i] = z[i]!;
  const centre = median(wk, m);
  for (let i = 0; i < m; i++) z[i] = (z[i]! - centre) / noise.sigma;
  sums.fill(b.t, z, b.w, m);
  const beta = penalty * noise.kappa;
  // Proposals at half the penalty: the exact partitioning makes the final choice.
  const cps = optimalPartition(sums, m, propose(sums, m, beta / 2), beta);
  polish(sums, m, cps);
  return { cps, noise, centre, beta };
}

/** Noise of what the segment lines leave of the standardised cells. */
function residualNoise(sums: Sums, t: Float64Array, z: Float64Array, cps: number[], m: number): NoiseScale {
  const r = (scratch.residual = grown(scratch.residual, m));
  const bounds = [0, ...cps, m];
  for (let s = 0; s + 1 < bounds.length; s++) {
    const f = lineFit(sums, bounds[s]!, bounds[s + 1]!, scratchFit);
    for (let i = bounds[s]!; i < bounds[s + 1]!; i++) r[i] = z[i]! - f.mean - f.slope * (t[i]! - f.tMean);
  }
  return noiseScale(r, m);
}

/**
 * BIC of a segmentation whose standardised sums are in `sums`: its residual sum of squares in units of
 * `scale` (a noise variance shared by the models compared) plus the penalty of its changes.
 */
function bicCost(sums: Sums, fit: BinFit, m: number, scale: number, penalty: number): number {
  const bounds = [0, ...fit.cps, m];
  let rss = 0;
  for (let s = 0; s + 1 < bounds.length; s++) rss += cost(sums, bounds[s]!, bounds[s + 1]!);
  return (rss * fit.noise.sigma * fit.noise.sigma) / scale + penalty * fit.cps.length;
}

function sameChanges(a: number[], b: number[]): boolean {
  return a.length === b.length && a.every((v, i) => v === b[i]);
}

/** Change points of one series (timestamps ascending, epoch ms). Non-finite values are skipped. */
export function detectChanges(
  tsIn: Float64Array,
  valuesIn: Float64Array,
  options: DetectOptions = {},
): SeriesFit {
  const { ts, y, orig, n } = cleanInput(tsIn, valuesIn);
  const none: SeriesFit = { changes: [], segments: [], sigma: 0, rho: 0, seasonal: null };
  if (n < MIN_POINTS) return withOneSegment(none, ts, y, orig, n);
  const bins = binSeries(ts, y, n, workBuffer(n));
  const m = bins.m;
  if (m < MIN_POINTS) return withOneSegment(none, ts, y, orig, n);
  const logM = Math.log(m);
  const penalty = (options.penaltyScale ?? 1) * PARAMS_PER_CHANGE * logM;
  const z = (scratch.z = grown(scratch.z, m));
  let sums = scratch.sums;
  let coef: Float64Array | null = null;
  let fit = segmentCells(bins, null, sums, z, penalty);
  let other: { fit: BinFit; coef: Float64Array | null; sums: Sums } | null = null;
  if (!(fit.noise.sigma > 0)) return withOneSegment(none, ts, y, orig, n);
  // Within an hour of a full day the two harmonics are still told apart from a trend.
  const seasonal =
    options.seasonal === true || (options.seasonal !== false && ts[n - 1]! - ts[0]! >= DAY - HOUR);
  if (seasonal) {
    // Two models, compared by BIC on one noise scale: segments alone, and segments with the daily cycle
    // (four coefficients). Without a cycle the segments bend to follow it, so testing the cycle given
    // those segments would find little left for it; each model is fitted on its own instead.
    const plain = fit;
    const scale = plain.noise.sigma * plain.noise.sigma * plain.noise.kappa;
    const plainCost = bicCost(sums, plain, m, scale, penalty);
    // Backfitting alone stalls where the segments have bent to follow the cycle: start it from a joint
    // search of segments and cycle on coarse cells, then settle the cycle given the fine segments.
    const left = residualNoise(sums, bins.t, z, plain.cps, m);
    // The cycle model works on its own sums, so the plain fit's stay as they are if it wins.
    const cz = (scratch.cz = grown(scratch.cz, m));
    const cSums = scratch.cSums;
    for (let i = 0; i < m; i++) cz[i] = (bins.y[i]! - plain.centre) / plain.noise.sigma;
    let cycle = coarseCycle(bins, cz, left.kappa * left.sigma * left.sigma, options.penaltyScale ?? 1);
    for (let u = 0; u < 4; u++) cycle[u] = cycle[u]! * plain.noise.sigma;
    let withCycle = plain;
    for (let round = 0; round < SEASONAL_ROUNDS; round++) {
      const next = segmentCells(bins, cycle, cSums, cz, penalty);
      const stable = round > 0 && sameChanges(next.cps, withCycle.cps);
      withCycle = next;
      if (stable || round === SEASONAL_ROUNDS - 1) break;
      cycle = seasonalGivenSegments(bins, withCycle.cps);
    }
    const cycleCost = bicCost(cSums, withCycle, m, scale, penalty) + (4 / PARAMS_PER_CHANGE) * penalty;
    if (withCycle.noise.sigma > 0 && cycleCost < plainCost) {
      other = { fit: plain, coef: null, sums };
      fit = withCycle;
      coef = cycle;
      sums = cSums;
    } else if (withCycle.noise.sigma > 0) other = { fit: withCycle, coef: cycle, sums: cSums };
  }
  const input: Input = { tsIn, ts, y, orig, n, bins, logM };
  const out = resolveFit(input, fit, coef, sums);
  // Each resolves from its own sums; the scratch arrays they share are free again once one has returned.
  if (other) out.alternative = resolveFit(input, other.fit, other.coef, other.sums);
  return out;
}

interface Input {
  tsIn: Float64Array;
  ts: Float64Array;
  y: Float64Array;
  orig: Int32Array | null;
  n: number;
  bins: Binned;
  logM: number;
}

/** A segmentation of the cells, with the cycle `coef` it was fitted with, classified and located at full resolution. */
function resolveFit(input: Input, fit: BinFit, coef: Float64Array | null, sums: Sums): SeriesFit {
  const { tsIn, ts, y, orig, n, bins, logM } = input;
  const m = bins.m;
  const { cps, noise, centre, beta } = fit;
  if (cps.length === 0) {
    const f = lineFit(sums, 0, m, scratchFit);
    const level = (f.mean - f.slope * f.tMean) * noise.sigma + centre;
    return {
      changes: [],
      segments: [
        {
          start: 0,
          end: tsIn.length,
          startTs: ts[0]!,
          endTs: ts[n - 1]!,
          level,
          rate: f.slope * noise.sigma,
        },
      ],
      sigma: noise.sigma,
      rho: noise.rho,
      seasonal: coef,
    };
  }

  // Classify; mark spikes.
  const bounds = [0, ...cps, m];
  const cls: Classified[] = [];
  for (let c = 0; c < cps.length; c++)
    cls.push(classify(sums, bins.t, bounds[c]!, bounds[c + 1]!, bounds[c + 2]!, noise.kappa, logM));
  for (let c = 0; c + 1 < cps.length; c++) {
    const c1 = cls[c]!;
    const c2 = cls[c + 1]!;
    if (c1.kind === 'spike') continue;
    if (isSpike(sums, bounds[c]!, bounds[c + 1]!, bounds[c + 2]!, bounds[c + 3]!, beta, c1, c2)) {
      c1.kind = 'spike';
      c2.kind = 'spike';
    }
  }

  // Full resolution: deseasonalised, standardised raw values with their own noise scale. When every cell
  // is one point of full weight, those are the cells as the fit standardised them: its times, noise and sums.
  const oneToOne = m === n && bins.perCell === 1;
  let t = bins.t;
  let rawNoise = noise;
  let raw = sums;
  if (!oneToOne) {
    const t0 = ts[0]!;
    t = scratch.t = grown(scratch.t, n);
    const zr = (scratch.zr = grown(scratch.zr, n));
    for (let i = 0; i < n; i++) {
      t[i] = (ts[i]! - t0) / HOUR;
      zr[i] = y[i]! - seasonalAt(coef, ts[i]!);
    }
    rawNoise = noiseScale(zr, n);
    const rawSigma = rawNoise.sigma > 0 ? rawNoise.sigma : noise.sigma;
    for (let i = 0; i < n; i++) zr[i] = (zr[i]! - centre) / rawSigma;
    raw = scratch.raw;
    raw.fill(t, zr, null, n);
  }
  const rawSigma = rawNoise.sigma > 0 ? rawNoise.sigma : noise.sigma;

  const rawCps: number[] = cps.map((k) => bins.start[k]!);
  const intervals: [number, number][] = [];
  for (let c = 0; c < cps.length; c++) {
    const k = cps[c]!;
    const A = c === 0 ? 0 : rawCps[c - 1]!;
    const B = c === cps.length - 1 ? n : bins.start[cps[c + 1]!]!;
    const hinge = cls[c]!.kind === 'slope';
    const modelCost = (tau: number): number =>
      hinge ? hingeCost(raw, t, A, tau, B) : cost(raw, A, tau) + cost(raw, tau, B);
    // Search the cells next to the coarse position, then walk out for the profile interval.
    const lo = Math.max(A + 1, bins.start[Math.max(0, k - 2)]!);
    const hi = Math.min(B - 1, bins.end[Math.min(m - 1, k + 1)]! - 1);
    let best = rawCps[c]!;
    let bestCost = Infinity;
    for (let tau = lo; tau <= hi; tau++) {
      const v = modelCost(tau);
      if (v < bestCost) {
        bestCost = v;
        best = tau;
      }
    }
    rawCps[c] = best;
    const limit = bestCost + CHI2_1_95 * rawNoise.kappa;
    const reach = 4 * (hi - lo + 1);
    let left = best;
    while (left - 1 > A && best - left < reach && modelCost(left - 1) <= limit) left--;
    let right = best;
    while (right + 1 < B && right - best < reach && modelCost(right + 1) <= limit) right++;
    intervals.push([ts[left]!, ts[right]!]);
  }

  const out: SeriesFit = { changes: [], segments: [], sigma: rawSigma, rho: rawNoise.rho, seasonal: coef };
  const rawBounds = [0, ...rawCps, n];
  for (let s = 0; s + 1 < rawBounds.length; s++) {
    const a = rawBounds[s]!;
    const b = rawBounds[s + 1]!;
    const f = lineFit(raw, a, b, scratchFit);
    out.segments.push({
      start: orig === null ? a : orig[a]!,
      end: b >= n ? tsIn.length : orig === null ? b : orig[b]!,
      startTs: ts[a]!,
      endTs: ts[b - 1]!,
      level: (f.mean + f.slope * (t[a]! - f.tMean)) * rawSigma + centre,
      rate: f.slope * rawSigma,
    });
  }
  for (let c = 0; c < rawCps.length; c++) {
    const k = rawCps[c]!;
    const L = out.segments[c]!;
    const R = out.segments[c + 1]!;
    const jump = R.level - (L.level + (L.rate * (ts[k]! - L.startTs)) / HOUR);
    const cl = cls[c]!;
    const [lo, hi] = intervals[c]!;
    out.changes.push({
      index: orig === null ? k : orig[k]!,
      ts: ts[k]!,
      lo,
      hi,
      kind: cl.kind,
      rateBefore: L.rate,
      rateAfter: R.rate,
      jump,
      size: jump + ((R.rate - L.rate) * (R.endTs - R.startTs)) / HOUR,
      zSlope: cl.zSlope,
      zLevel: cl.zLevel,
    });
  }
  return out;
}

/** The finite points in ascending time; `orig` maps back to input positions (null when nothing was dropped). */
function cleanInput(
  tsIn: Float64Array,
  valuesIn: Float64Array,
): { ts: Float64Array; y: Float64Array; orig: Int32Array | null; n: number } {
  const len = Math.min(tsIn.length, valuesIn.length);
  let clean = len === tsIn.length && len === valuesIn.length;
  for (let i = 0; i < len && clean; i++)
    if (!Number.isFinite(valuesIn[i]!) || !(i === 0 || tsIn[i]! > tsIn[i - 1]!)) clean = false;
  if (clean) return { ts: tsIn, y: valuesIn, orig: null, n: len };
  const ts = new Float64Array(len);
  const y = new Float64Array(len);
  const orig = new Int32Array(len);
  let n = 0;
  for (let i = 0; i < len; i++) {
    const v = valuesIn[i]!;
    const t = tsIn[i]!;
    if (!Number.isFinite(v) || !Number.isFinite(t) || (n > 0 && t <= ts[n - 1]!)) continue;
    ts[n] = t;
    y[n] = v;
    orig[n] = i;
    n++;
  }
  return { ts, y, orig, n };
}

/** Too little to model: one least-squares line through the points. */
function withOneSegment(
  fit: SeriesFit,
  ts: Float64Array,
  y: Float64Array,
  orig: Int32Array | null,
  n: number,
): SeriesFit {
  if (n === 0) return fit;
  let st = 0;
  let sy = 0;
  for (let i = 0; i < n; i++) {
    st += (ts[i]! - ts[0]!) / HOUR;
    sy += y[i]!;
  }
  const mt = st / n;
  const my = sy / n;
  let sxx = 0;
  let sxy = 0;
  for (let i = 0; i < n; i++) {
    const dt = (ts[i]! - ts[0]!) / HOUR - mt;
    sxx += dt * dt;
    sxy += dt * (y[i]! - my);
  }
  const rate = sxx > 0 ? sxy / sxx : 0;
  fit.segments.push({
    start: orig === null ? 0 : orig[0]!,
    end: orig === null ? n : orig[n - 1]! + 1,
    startTs: ts[0]!,
    endTs: ts[n - 1]!,
    level: my - rate * mt,
    rate,
  });
  return fit;
}
