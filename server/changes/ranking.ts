/**
 * Ranks candidate changes (commits of the deployed branch, change events) as the cause of a fleet onset.
 * Pure: it reads only its argument.
 *
 * The model: one hypothesis per candidate c ("c started the growth") plus H0 ("none of these": a change
 * outside the list, landing at an unknown time). P(c | data) ∝ prior(c) · P(onset times | c) · P(who changed | c).
 *
 * Timing. A change that lands at L is applied by each host it reaches at its next scheduled run (highstate
 * with splay, cron, a push): the onsets of the hosts it explains are uniform over a window [s, s + W],
 * blurred by the onset's error: Gaussian of width σ (half the clock-skew bound, or the onset's own
 * interval) for most hosts, Laplace of 30 min for a quarter (a slow leak's bend is hard to date); with
 * probability ε a reached host's onset is unrelated (uniform over the analysis window). W has a
 * log-uniform prior and is integrated out: the spread of the onsets teaches it. The start delay d = s − L
 * is 0.85·Exp(τ) + 0.15·LogUniform(τ, 3 d) (slow leaks show late), τ learned from `confirmedLags`; before
 * L it falls off as a Gaussian of the skew. Under H0, s is uniform over the window. Known per-host apply
 * times (change events) replace the window: onset − apply is a detection delay.
 *
 * Scope. Who changed, given the hosts a change reaches: within each role a reached host changes at its own
 * rate ~ Beta(1, 1) (a change shows on some workloads only, and detection misses more on some), an
 * unreached host at the background rate ~ Beta(1, 19). Under H0 the unlisted change reaches a Salt-like
 * target (every host, or hosts by grain values and their unions), each equally likely; an approximate
 * reach may be too wide, so its change reaches a Salt-like target within it. The ratio is a Bayes factor
 * for the reached × changed table, a Bayesian counterpart of Fisher's exact test: unreached hosts that
 * changed count heavily against a change, reached hosts that stayed flat less so. Affected hosts outside
 * the reach are background in time too: a change reaching none of them explains nothing.
 *
 * The change. A change that reaches no host, or a revert landing after the onset, is not a suspect. Size
 * and custom modules make a weak prior; a change reverted after the onset counts twice.
 */
import type { FleetAnalysis } from '../analysis/analyze-fleet.ts';
import { isRepositoryOnly } from './salt/reach.ts';

export interface CandidateChange {
  /** Commit sha, or a change event's id. */
  id: string;
  kind: 'commit' | 'event';
  /** Epoch ms: when it reached the deployed branch (or was applied, for events). */
  landedAt: number;
  subject: string;
  author?: string;
  files?: { path: string; additions: number | null; deletions: number | null }[];
  /** Hosts the change reaches and why. */
  reach: { hosts: Set<string>; approximate: boolean; reasons: string[] };
  /** Per-host apply times, when known (change events). */
  appliedAt?: Map<string, number>;
  /** Id of the change this one reverts, when known. */
  revertOf?: string;
}

export interface RankInput {
  /** Its onset is non-null when ranking is asked for. */
  analysis: FleetAnalysis;
  candidates: CandidateChange[];
  /** Confirmed culprits of earlier incidents: observed lags (first onset − landedAt, ms), to inform the lag prior. */
  confirmedLags?: number[];
  /** Default 5 minutes. */
  clockSkewMs?: number;
  /** Leave out suspects below this posterior; default 0.01. */
  minScore?: number;
  /**
   * Leave out suspects whose evidence (timing × scope) against an unlisted change is weaker than this
   * power of ten; default 0.5 (substantial, on Jeffreys' scale). A diffuse cluster that no change explains better
   * than chance then has no suspects.
   */
  minLog10BayesFactor?: number;
}

export interface SuspectEvidence {
  /** First onset − landed at. */
  lag_ms: number;
  hosts_reached: number;
  affected_reached: number;
  affected_total: number;
  /** Affected hosts the change does not reach, and hosts it does not reach. */
  unreached_changed: number;
  unreached_total: number;
  /** Affected hosts reached whose onset is not before the change (give or take the clock skew). */
  explained_hosts: number;
  timing_violations: number;
  reach_approximate: boolean;
  /** log10 Bayes factors against H0 ("none of these"), and the log10 prior weight. */
  timing_log10_bf: number;
  scope_log10_bf: number;
  prior_log10: number;
  /** Id of a change that reverts this one after the onset. */
  reverted_by?: string;
}

export interface Suspect {
  id: string;
  kind: 'commit' | 'event';
  /** Posterior probability among the candidates and "none of these", 0..1. */
  score: number;
  landed_at: number;
  subject: string;
  reasons: string[];
  evidence: SuspectEvidence;
}

const SECOND = 1000;
const MINUTE = 60 * SECOND;
const HOUR = 60 * MINUTE;
const DAY = 24 * HOUR;
const SQRT_2PI = Math.sqrt(2 * Math.PI);

/** Model constants; see the header. */
export const RANKING_MODEL = {
  clockSkewMs: 5 * MINUTE,
  /** Share of reached, affected hosts whose onset is unrelated to the change. */
  unrelated: 0.05,
  /** Share of onsets placed off by tens of minutes (a slow leak's bend is hard to date), and that scale. */
  onsetErrorShare: 0.25,
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

interface AffectedHost {
  host: string;
  ts: number;
  sigma: number;
}

interface Grid {
  /** Start of the apply window, epoch ms, ascending; and log of each point's width. */
  s: Float64Array;
  logDs: Float64Array;
  spreads: Float64Array;
  logPerHostBackground: number;
}

interface Scored {
  candidate: CandidateChange;
  logPost: number;
  timingBf: number;
  scopeBf: number;
  logPrior: number;
  counts: ScopeCounts;
  violations: number;
  revertedBy?: CandidateChange;
}

interface ScopeCounts {
  reached: number;
  affectedReached: number;
  affectedTotal: number;
  unreachedChanged: number;
  unreachedTotal: number;
}

export function rankChanges(input: RankInput): Suspect[] {
  const onset = input.analysis.onset;
  if (onset === null || onset.hosts.length === 0) return [];
  const m = RANKING_MODEL;
  const skew = input.clockSkewMs ?? m.clockSkewMs;
  const affected: AffectedHost[] = onset.hosts.map((h) => ({
    host: h.host,
    ts: h.onset,
    sigma: Math.max(skew / 2, (h.hi - h.lo) / 2, MINUTE),
  }));
  const affectedSet = new Set(affected.map((h) => h.host));
  const universe = new Set(input.analysis.hosts.map((h) => h.host));
  for (const h of affectedSet) universe.add(h);
  const first = Math.min(...affected.map((h) => h.ts));
  const span = Math.max(input.analysis.to - input.analysis.from, HOUR);
  const tau = startDelayMean(input.confirmedLags);
  const grid = makeGrid(first, affected, span);
  const windowCache = new Map<string, Float64Array>();
  const windowLogLik = (hosts: AffectedHost[]): Float64Array => {
    const key = hosts.map((h) => h.host).join('\0');
    let value = windowCache.get(key);
    if (value === undefined) {
      value = windowFit(hosts, grid);
      windowCache.set(key, value);
    }
    return value;
  };

  // H0: all affected hosts fit one window starting anywhere in the analysis window.
  const all = windowLogLik(affected);
  const logNoneTiming = logIntegral(all, grid, () => -Math.log(span));
  const targets = saltLikeTargets(input.analysis.hosts, universe);
  const scope: ScopeContext = { universe, affected: affectedSet, groupOf: hostGroups(input.analysis.hosts) };
  const logNoneScope = unknownTargetScope(targets, universe, scope);
  const logNone = Math.log(m.noneWeight) + logNoneTiming + logNoneScope;

  const revertsAfter = input.candidates.filter((c) => c.revertOf !== undefined && c.landedAt > first + skew);
  // git names the reverted commit in full; a hand-made event may give a prefix.
  const revertOf = (c: CandidateChange): CandidateChange | undefined =>
    revertsAfter.find(
      (r) => r.revertOf !== undefined && r.revertOf.length >= 7 && c.id.startsWith(r.revertOf),
    );

  const scored: Scored[] = [];
  for (const c of input.candidates) {
    // A revert after the onset answers it; it cannot have started it.
    if (c.revertOf !== undefined && c.landedAt > first + skew) continue;
    const reached = new Set([...c.reach.hosts].filter((h) => universe.has(h)));
    if (reached.size === 0) continue;
    const explained = affected.filter((h) => reached.has(h.host));
    if (explained.length === 0) continue;
    const counts: ScopeCounts = {
      reached: reached.size,
      affectedReached: explained.length,
      affectedTotal: affected.length,
      unreachedChanged: affected.length - explained.length,
      unreachedTotal: universe.size - reached.size,
    };
    // An approximate reach may be too wide: the change reaches some Salt-like target within it.
    const logScope = c.reach.approximate
      ? unknownTargetScope(targets, reached, scope)
      : targetScope(reached, scope);

    const known = c.appliedAt;
    const byApply = known === undefined ? [] : explained.filter((h) => known.has(h.host));
    const byWindow = known === undefined ? explained : explained.filter((h) => !known.has(h.host));
    let logTiming = (affected.length - explained.length) * grid.logPerHostBackground;
    for (const h of byApply) {
      const delay = h.ts - (known?.get(h.host) ?? c.landedAt);
      logTiming += logMix(logDetectionDelay(delay, h.sigma), grid.logPerHostBackground);
    }
    if (byWindow.length > 0) {
      logTiming += logIntegral(windowLogLik(byWindow), grid, (s) => logStartDelay(s - c.landedAt, tau, skew));
    }
    const revertedBy = revertOf(c);
    const logPrior = Math.log(changeWeight(c) * (revertedBy ? m.revertedWeight : 1));
    const violations = explained.filter((h) => {
      const applied = known?.get(h.host) ?? c.landedAt;
      return h.ts < applied - skew;
    }).length;
    scored.push({
      candidate: c,
      logPost: logPrior + logTiming + logScope,
      timingBf: logTiming - logNoneTiming,
      scopeBf: logScope - logNoneScope,
      logPrior,
      counts,
      violations,
      ...(revertedBy ? { revertedBy } : {}),
    });
  }

  const logZ = logSumExp([logNone, ...scored.map((s) => s.logPost)]);
  const ranked = scored
    .map((s) => ({ s, score: Math.exp(s.logPost - logZ) }))
    .filter(
      ({ s, score }) =>
        score >= (input.minScore ?? m.minScore) &&
        (s.timingBf + s.scopeBf) / Math.LN10 >= (input.minLog10BayesFactor ?? m.minLog10BayesFactor),
    )
    .sort(
      (x, y) =>
        y.score - x.score ||
        y.s.candidate.landedAt - x.s.candidate.landedAt ||
        (x.s.candidate.id < y.s.candidate.id ? -1 : x.s.candidate.id > y.s.candidate.id ? 1 : 0),
    )
    .slice(0, m.maxSuspects);
  return ranked.map(({ s, score }) =>
    toSuspect(s, score, { first, skew, hostsTotal: universe.size, affected }),
  );
}

/** τ: posterior mean of an exponential's mean, the default counting as `startDelayWeight` incidents. */
function startDelayMean(lags: readonly number[] | undefined): number {
  const m = RANKING_MODEL;
  const usable = (lags ?? []).filter(Number.isFinite).map((l) => Math.min(Math.max(l, 0), DAY));
  const sum = usable.reduce((a, b) => a + b, 0);
  return Math.max(MINUTE, (m.startDelayWeight * m.startDelayMs + sum) / (m.startDelayWeight + usable.length));
}

/**
 * The targets an unlisted change may have, the way Salt targets: every host, or the hosts holding some
 * grain values (one label's values, or unions of them when a label has few).
 */
function saltLikeTargets(hosts: FleetAnalysis['hosts'], universe: ReadonlySet<string>): Set<string>[] {
  const m = RANKING_MODEL;
  const targets: Set<string>[] = [new Set(universe)];
  const byKey = new Map<string, Map<string, Set<string>>>();
  for (const h of hosts) {
    for (const [key, value] of Object.entries(h.labels)) {
      const values = byKey.get(key) ?? new Map<string, Set<string>>();
      byKey.set(key, values);
      for (const item of value.split(',')) {
        const v = item.trim();
        if (v !== '') values.set(v, (values.get(v) ?? new Set()).add(h.host));
      }
    }
  }
  for (const values of byKey.values()) {
    const groups = [...values.values()];
    if (groups.length < 2 || groups.length > m.noneMaxLabelValues) continue;
    if (groups.length > m.noneMaxUnionValues) {
      targets.push(...groups);
      continue;
    }
    for (let mask = 1; mask < (1 << groups.length) - 1; mask++) {
      const union = new Set<string>();
      groups.forEach((g, i) => {
        if (mask & (1 << i)) for (const h of g) union.add(h);
      });
      targets.push(union);
    }
  }
  return targets;
}

interface ScopeContext {
  universe: ReadonlySet<string>;
  affected: ReadonlySet<string>;
  /** Hosts by role: how often a reached host shows the change differs by workload (and by detection). */
  groupOf: ReadonlyMap<string, string>;
}

/**
 * Groups for the per-group rate: the `role` label, else the first label with a few values, else one group.
 */
function hostGroups(hosts: FleetAnalysis['hosts']): Map<string, string> {
  const keys = new Set(hosts.flatMap((h) => Object.keys(h.labels)));
  const distinct = (key: string): number => new Set(hosts.map((h) => h.labels[key])).size;
  const key = keys.has('role')
    ? 'role'
    : [...keys].sort().find((k) => distinct(k) >= 2 && distinct(k) <= RANKING_MODEL.noneMaxUnionValues);
  return new Map(hosts.map((h) => [h.host, key === undefined ? '' : (h.labels[key] ?? '')]));
}

/**
 * log P(who changed | the change reaches `reached`): within each group a reached host changes at its own
 * rate ~ Beta(1, 1); an unreached host changes at the background rate ~ Beta(1, 19).
 */
function targetScope(reached: ReadonlySet<string>, ctx: ScopeContext): number {
  const m = RANKING_MODEL;
  const groups = new Map<string, [number, number]>();
  let unreachedChanged = 0;
  for (const h of ctx.universe) {
    const changed = ctx.affected.has(h);
    if (!reached.has(h)) {
      if (changed) unreachedChanged++;
      continue;
    }
    const g = ctx.groupOf.get(h) ?? '';
    const counts = groups.get(g) ?? [0, 0];
    counts[0] += changed ? 1 : 0;
    counts[1] += 1;
    groups.set(g, counts);
  }
  let total = logBetaBinomial(unreachedChanged, ctx.universe.size - reached.size, m.unreached);
  for (const [k, n] of groups.values()) total += logBetaBinomial(k, n, m.reached);
  return total;
}

/**
 * log P(who changed | the change reaches an unknown Salt-like target within `within`), each target equally
 * likely (a larger family costs more).
 */
function unknownTargetScope(
  targets: readonly Set<string>[],
  within: ReadonlySet<string>,
  ctx: ScopeContext,
): number {
  const terms = targets.map((target) => {
    const reached = new Set([...target].filter((h) => within.has(h)));
    return targetScope(reached, ctx);
  });
  return logSumExp(terms) - Math.log(targets.length);
}

/**
 * Apply-window starts: fine near the first onset, coarser going back (a start delay of hours or days),
 * and forward as far as the median onset (the first onsets may be unrelated).
 */
function makeGrid(first: number, affected: readonly AffectedHost[], span: number): Grid {
  const m = RANKING_MODEL;
  const sorted = affected.map((h) => h.ts).sort((a, b) => a - b);
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
  return { s, logDs, spreads, logPerHostBackground: Math.log(m.unrelated) - Math.log(span) };
}

/**
 * log P(onsets | window starts at s), for each grid point s, with the spread W integrated out (log-uniform
 * prior over the grid of spreads).
 */
function windowFit(hosts: readonly AffectedHost[], grid: Grid): Float64Array {
  const m = RANKING_MODEL;
  const b = m.onsetErrorMs;
  const background = Math.exp(grid.logPerHostBackground);
  const logSpreadPrior = -Math.log(grid.spreads.length);
  const n = hosts.length;
  const ts = Float64Array.from(hosts, (h) => h.ts);
  const halfInvVar = Float64Array.from(hosts, (h) => 0.5 / (h.sigma * h.sigma));
  // The normalising constants depend on the spread, not on the window's start: computed once.
  const core = new Float64Array(grid.spreads.length * n);
  const broad = new Float64Array(grid.spreads.length);
  grid.spreads.forEach((w, j) => {
    broad[j] = ((1 - m.unrelated) * m.onsetErrorShare) / (w + 2 * b);
    hosts.forEach((h, k) => {
      core[j * n + k] = ((1 - m.unrelated) * (1 - m.onsetErrorShare)) / (w + SQRT_2PI * h.sigma);
    });
  });
  const out = new Float64Array(grid.s.length);
  const perSpread = new Float64Array(grid.spreads.length);
  for (let i = 0; i < grid.s.length; i++) {
    const s = grid.s[i] as number;
    for (let j = 0; j < grid.spreads.length; j++) {
      const w = grid.spreads[j] as number;
      const broadJ = broad[j] as number;
      let total = 0;
      for (let k = 0; k < n; k++) {
        const lag = (ts[k] as number) - s;
        const outside = lag < 0 ? -lag : lag > w ? lag - w : 0;
        const density =
          (core[j * n + k] as number) * Math.exp(-outside * outside * (halfInvVar[k] as number)) +
          broadJ * Math.exp(-outside / b) +
          background;
        total += Math.log(density);
      }
      perSpread[j] = logSpreadPrior + total;
    }
    out[i] = logSumExp(perSpread);
  }
  return out;
}

/** log ∫ prior(s) · exp(fit(s)) ds over the grid. */
function logIntegral(fit: Float64Array, grid: Grid, logPrior: (s: number) => number): number {
  const terms = new Float64Array(fit.length);
  for (let i = 0; i < fit.length; i++) {
    terms[i] = (fit[i] as number) + (grid.logDs[i] as number) + logPrior(grid.s[i] as number);
  }
  return logSumExp(terms);
}

/** log density of the delay from landing to the start of the apply window. */
export function logStartDelay(delay: number, tau: number, skew: number): number {
  const m = RANKING_MODEL;
  // Before landing only by clock skew between the repository's server and the hosts.
  if (delay < 0) return logStartDelay(0, tau, skew) - 0.5 * (delay / Math.max(skew / 2, SECOND)) ** 2;
  const fast = Math.log(1 - m.slowShare) - delay / tau - Math.log(tau);
  if (delay < tau || delay > m.slowMaxMs) return fast;
  const slow = Math.log(m.slowShare) - Math.log(delay) - Math.log(Math.log(m.slowMaxMs / tau));
  return logMix(fast, slow);
}

/** log density of onset − apply for a host whose apply time is known. */
function logDetectionDelay(delay: number, sigma: number): number {
  const m = RANKING_MODEL;
  if (delay < 0) return logDetectionDelay(0, sigma) + delay / sigma;
  return logMix(
    Math.log(0.8) - delay / m.detectFastMs - Math.log(m.detectFastMs),
    Math.log(0.2) - delay / m.detectSlowMs - Math.log(m.detectSlowMs),
  );
}

/** A weak prior from the change itself: bigger changes and custom minion modules break things more often. */
function changeWeight(c: CandidateChange): number {
  const files = c.files ?? [];
  const lines = files.reduce((n, f) => n + (f.additions ?? 20) + (f.deletions ?? 20), 0);
  let weight = Math.min(1.5, Math.max(0.75, 0.75 + 0.25 * Math.log10(1 + lines)));
  if (files.some((f) => /(^|\/)_(grains|modules|states|utils|beacons|engines)\//.test(f.path))) weight *= 1.5;
  return weight;
}

function toSuspect(
  s: Scored,
  score: number,
  ctx: { first: number; skew: number; hostsTotal: number; affected: readonly AffectedHost[] },
): Suspect {
  const c = s.candidate;
  const { counts } = s;
  const lag = ctx.first - c.landedAt;
  const reasons: string[] = [];
  const when =
    Math.abs(lag) < 30 * SECOND
      ? 'landed at the first onset'
      : lag > 0
        ? `landed ${duration(lag)} before the first onset`
        : `landed ${duration(-lag)} after the first onset`;
  reasons.push(
    s.violations === 0
      ? `${when}; no affected host it reaches began before it`
      : `${when}; ${s.violations} of ${counts.affectedReached} affected hosts it reaches began before it (beyond ${duration(ctx.skew)} of clock skew)`,
  );
  const spread = onsetSpread(ctx.affected, c.reach.hosts);
  if (spread !== null) reasons.push(spread);
  const through = reachingFiles(c);
  const reachText =
    counts.reached === ctx.hostsTotal
      ? `all ${counts.reached} hosts`
      : `${counts.reached} of ${ctx.hostsTotal} hosts`;
  reasons.push(
    `reaches ${reachText}${through === '' ? '' : ` through ${through}`}${c.reach.approximate ? ' (approximate: it may reach fewer)' : ''}`,
  );
  reasons.push(
    `${counts.affectedReached} of ${counts.affectedTotal} affected hosts reached; ` +
      `${counts.unreachedChanged} of ${counts.unreachedTotal} unreached hosts changed`,
  );
  for (const reason of c.reach.reasons.slice(0, 2)) reasons.push(reason);
  if (s.revertedBy) {
    reasons.push(
      `reverted by ${shortId(s.revertedBy)} ${duration(s.revertedBy.landedAt - ctx.first)} after the first onset`,
    );
  }
  reasons.push(`against an unlisted change: timing ×${factor(s.timingBf)}, scope ×${factor(s.scopeBf)}`);
  return {
    id: c.id,
    kind: c.kind,
    score: round(score, 4),
    landed_at: c.landedAt,
    subject: c.subject,
    reasons,
    evidence: {
      lag_ms: lag,
      hosts_reached: counts.reached,
      affected_reached: counts.affectedReached,
      affected_total: counts.affectedTotal,
      unreached_changed: counts.unreachedChanged,
      unreached_total: counts.unreachedTotal,
      explained_hosts: counts.affectedReached - s.violations,
      timing_violations: s.violations,
      reach_approximate: c.reach.approximate,
      timing_log10_bf: round(s.timingBf / Math.LN10, 2),
      scope_log10_bf: round(s.scopeBf / Math.LN10, 2),
      prior_log10: round(s.logPrior / Math.LN10, 2),
      ...(s.revertedBy ? { reverted_by: s.revertedBy.id } : {}),
    },
  };
}

/** How the reached hosts' onsets spread: what the lag model learns from. */
function onsetSpread(affected: readonly AffectedHost[], reached: ReadonlySet<string>): string | null {
  const ts = affected
    .filter((h) => reached.has(h.host))
    .map((h) => h.ts)
    .sort((a, b) => a - b);
  if (ts.length < 3) return null;
  const q = (p: number): number => ts[Math.min(ts.length - 1, Math.floor(p * (ts.length - 1)))] as number;
  return `their onsets spread over ${duration(q(0.9) - q(0.1))} (p10–p90), as a scheduled apply with splay would`;
}

function reachingFiles(c: CandidateChange): string {
  const paths = (c.files ?? [])
    .map((f) => f.path)
    .filter((p) => !isRepositoryOnly(p) && !/(^|\/)(readme|changelog)[^/]*$|\.(md|rst|adoc)$/i.test(p));
  if (paths.length === 0) return '';
  const shown = paths.slice(0, 2).join(', ');
  return paths.length > 2 ? `${shown} and ${paths.length - 2} more files` : shown;
}

function shortId(c: CandidateChange): string {
  return c.kind === 'commit' ? c.id.slice(0, 10) : c.id;
}

/** A Bayes factor for people: "120", "3.4e+25", "1/50". */
function factor(logBf: number): string {
  const bf = Math.exp(logBf);
  if (!Number.isFinite(bf)) return logBf > 0 ? `1e+${Math.round(logBf / Math.LN10)}` : '0';
  if (bf >= 1e4) return bf.toExponential(1);
  if (bf >= 1) return bf.toPrecision(2).replace(/\.0$/, '');
  if (bf >= 1e-4) return `1/${(1 / bf).toPrecision(2).replace(/\.0$/, '')}`;
  return bf.toExponential(1);
}

export function duration(ms: number): string {
  const abs = Math.abs(ms);
  if (abs < MINUTE) return `${Math.round(abs / SECOND)} s`;
  if (abs < HOUR) return `${Math.round(abs / MINUTE)} min`;
  if (abs < DAY) {
    const h = Math.floor(abs / HOUR);
    const min = Math.round((abs - h * HOUR) / MINUTE);
    return min === 0 ? `${h} h` : min === 60 ? `${h + 1} h` : `${h} h ${min} min`;
  }
  const d = Math.floor(abs / DAY);
  const h = Math.round((abs - d * DAY) / HOUR);
  return h === 0 ? `${d} d` : h === 24 ? `${d + 1} d` : `${d} d ${h} h`;
}

function round(x: number, digits: number): number {
  const f = 10 ** digits;
  return Math.round(x * f) / f;
}

function logMix(a: number, b: number): number {
  const hi = Math.max(a, b);
  if (hi === -Infinity) return -Infinity;
  return hi + Math.log(Math.exp(a - hi) + Math.exp(b - hi));
}

function logSumExp(values: ArrayLike<number>): number {
  let hi = -Infinity;
  for (let i = 0; i < values.length; i++) hi = Math.max(hi, values[i] as number);
  if (hi === -Infinity) return -Infinity;
  let sum = 0;
  for (let i = 0; i < values.length; i++) sum += Math.exp((values[i] as number) - hi);
  return hi + Math.log(sum);
}

/** log of the probability of one sequence with k successes in n under a Beta(a, b) rate. */
function logBetaBinomial(k: number, n: number, [a, b]: readonly [number, number]): number {
  return logBeta(a + k, b + n - k) - logBeta(a, b);
}

function logBeta(a: number, b: number): number {
  return logGamma(a) + logGamma(b) - logGamma(a + b);
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
