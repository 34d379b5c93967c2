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
 * interval) for most hosts, Laplace of 30 min for some (a quarter of bends: a slow leak's bend is hard to
 * date; one level shift in seventy; nearly half the hosts seen through a related series); with
 * probability ε a reached host's onset is unrelated (a quarter for a host seen only through a related
 * series: on the `tune` fleets a quarter of those are hosts the change did not reach). An unrelated onset
 * is one the fleet step counted because it fell in the cluster's window, so it is uniform over that
 * stretch (the first to the last onset, give or take the clock skew), not over the whole analysis window.
 * W has a log-uniform prior and is integrated out: the spread of the onsets teaches it. The start delay d = s − L
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
 * changed count heavily against a change, reached hosts that stayed flat less so. Hosts seen only through
 * a related series are left out of the table: whether they changed is not known well enough. Affected
 * hosts outside the reach are background in time too: a change reaching none of them explains nothing.
 *
 * The change. A change that reaches no host, or a revert landing after the onset, is not a suspect. Size
 * and custom modules make a weak prior; a change reverted after the onset counts twice.
 *
 * Computation. Candidates reaching the same hosts (most commits reach a role, a few targets or every
 * host) share their scope evidence and the fit of the hosts they explain to one apply window, computed
 * once per reach. Hosts are indices; the Salt-like targets of H0 are counted per label signature rather
 * than per host; every set of hosts to fit is fitted in one pass over the window starts (`windowFits`).
 * Each candidate's timing integral leaves out window starts that cannot change it. The answers are those
 * of evaluating the model candidate by candidate and host by host (ranking.reference.ts), to within float
 * rounding; test/changes/ranking.test.ts holds the two side by side.
 */
import type { FleetAnalysis } from '../analysis/analyze-fleet.ts';
import {
  affectedHosts,
  changeWeight,
  DAY,
  HOUR,
  hostGroups,
  LogGammaTable,
  logDetectionDelay,
  logIntegralBounded,
  logHostBackground,
  logMix,
  logSumExp,
  makeGrid,
  prepareFit,
  MINUTE,
  RANKING_MODEL,
  SECOND,
  startDelayDensity,
  startDelayMean,
  windowFits,
  type AffectedHost,
  type Grid,
  type PreparedFit,
} from './ranking.model.ts';
import { isRepositoryOnly } from './salt/reach.ts';

export { logGamma, logStartDelay, RANKING_MODEL } from './ranking.model.ts';

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

interface Scored {
  candidate: CandidateChange;
  logPost: number;
  logTiming: number;
  logScope: number;
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

/** Each candidate's log posterior terms, unrounded and unfiltered, beside those of "none of these". */
export interface ChangeScores {
  /** log P(timing | none of these), log P(who changed | none of these), and the log posterior weight. */
  none: { logTiming: number; logScope: number; logPost: number };
  /** In the order of the input's candidates; those that cannot be suspects are left out. */
  changes: {
    id: string;
    logPrior: number;
    logTiming: number;
    logScope: number;
    logPost: number;
    counts: ScopeCounts;
    violations: number;
    revertedBy?: string;
  }[];
}

interface Scoring {
  logNone: number;
  logNoneTiming: number;
  logNoneScope: number;
  scored: Scored[];
  first: number;
  skew: number;
  hostsTotal: number;
  affected: AffectedHost[];
}

export function rankChanges(input: RankInput): Suspect[] {
  const scoring = scoreAll(input);
  if (scoring === null) return [];
  const m = RANKING_MODEL;
  const { logNone, scored } = scoring;
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
  return ranked.map(({ s, score }) => toSuspect(s, score, scoring));
}

/** The terms `rankChanges` scores by, before it normalises, filters and words them; null without an onset. */
export function scoreChanges(input: RankInput): ChangeScores | null {
  const scoring = scoreAll(input);
  if (scoring === null) return null;
  return {
    none: { logTiming: scoring.logNoneTiming, logScope: scoring.logNoneScope, logPost: scoring.logNone },
    changes: scoring.scored.map((s) => ({
      id: s.candidate.id,
      logPrior: s.logPrior,
      logTiming: s.logTiming,
      logScope: s.logScope,
      logPost: s.logPost,
      counts: s.counts,
      violations: s.violations,
      ...(s.revertedBy ? { revertedBy: s.revertedBy.id } : {}),
    })),
  };
}

/**
 * What a set of reached hosts decides, whichever candidates reach it: the scope evidence, the affected
 * hosts it explains and their fit to one apply window. Candidates reaching the same hosts share it.
 */
interface ReachGroup {
  /** Indices of the reached hosts, ascending. */
  hosts: Int32Array;
  /** Affected hosts reached, in the order of the onset's hosts. */
  explained: AffectedHost[];
  logScopeExact?: number;
  logScopeApproximate?: number;
  /** log density of the affected hosts beyond the reach, each an unrelated onset. */
  logUnexplained?: number;
  /** The key of `explained` among the sets fitted to an apply window. */
  windowKey?: string;
}

const hostsKey = (hosts: readonly AffectedHost[]): string => hosts.map((h) => h.host).join('\0');

function scoreAll(input: RankInput): Scoring | null {
  const onset = input.analysis.onset;
  if (onset === null || onset.hosts.length === 0) return null;
  const m = RANKING_MODEL;
  const skew = input.clockSkewMs ?? m.clockSkewMs;
  const affected = affectedHosts(onset, skew);
  const fleet = indexFleet(input.analysis.hosts, affected);
  let first = Infinity;
  for (const h of affected) first = Math.min(first, h.ts);
  const span = Math.max(input.analysis.to - input.analysis.from, HOUR);
  const startDelay = startDelayDensity(startDelayMean(input.confirmedLags), skew);
  const grid = makeGrid(first, affected, skew);
  const targets = saltLikeTargets(input.analysis.hosts, fleet);
  const logNoneScope = unknownTargetScope(targets, null, fleet);

  const revertsAfter = input.candidates.filter((c) => c.revertOf !== undefined && c.landedAt > first + skew);
  // git names the reverted commit in full; a hand-made event may give a prefix.
  const revertOf = (c: CandidateChange): CandidateChange | undefined =>
    revertsAfter.find(
      (r) => r.revertOf !== undefined && r.revertOf.length >= 7 && c.id.startsWith(r.revertOf),
    );

  // First what each candidate explains, so that every set of hosts to fit to an apply window is fitted
  // in one pass; H0: all affected hosts fit one window starting anywhere in the analysis window.
  const reachGroups = new Map<string, ReachGroup>();
  const toFit = new Map<string, AffectedHost[]>([[hostsKey(affected), affected]]);
  const considered: { c: CandidateChange; group: ReachGroup; byWindow: AffectedHost[]; windowKey: string }[] =
    [];
  for (const c of input.candidates) {
    // A revert after the onset answers it; it cannot have started it.
    if (c.revertOf !== undefined && c.landedAt > first + skew) continue;
    const group = reachGroupOf(c.reach.hosts, fleet, reachGroups);
    if (group.hosts.length === 0 || group.explained.length === 0) continue;
    const known = c.appliedAt;
    const byWindow =
      known === undefined ? group.explained : group.explained.filter((h) => !known.has(h.host));
    const windowKey = known === undefined ? (group.windowKey ??= hostsKey(byWindow)) : hostsKey(byWindow);
    if (byWindow.length > 0) toFit.set(windowKey, byWindow);
    considered.push({ c, group, byWindow, windowKey });
  }
  const fitted = windowFits([...toFit.values()], grid);
  const fits = new Map([...toFit.keys()].map((key, i) => [key, prepareFit(fitted[i] as Float64Array, grid)]));

  const uniform = -Math.log(span);
  const logNoneTiming = logIntegralBounded(
    fits.get(hostsKey(affected)) as PreparedFit,
    grid,
    () => uniform,
    uniform,
  );
  const logNone = Math.log(m.noneWeight) + logNoneTiming + logNoneScope;
  const scored: Scored[] = [];
  for (const { c, group, byWindow, windowKey } of considered) {
    const explained = group.explained;
    const counts: ScopeCounts = {
      reached: group.hosts.length,
      affectedReached: explained.length,
      affectedTotal: affected.length,
      unreachedChanged: affected.length - explained.length,
      unreachedTotal: fleet.size - group.hosts.length,
    };
    // An approximate reach may be too wide: the change reaches some Salt-like target within it.
    const logScope = c.reach.approximate
      ? (group.logScopeApproximate ??= unknownTargetScope(targets, group.hosts, fleet))
      : (group.logScopeExact ??= targetScope(group.hosts, fleet));

    const known = c.appliedAt;
    let logTiming = (group.logUnexplained ??= unexplainedBackground(affected, explained, grid));
    if (known !== undefined) {
      for (const h of explained) {
        const at = known.get(h.host);
        if (at !== undefined)
          logTiming += logMix(logDetectionDelay(h.ts - at, h.sigma), logHostBackground(grid, h));
      }
    }
    if (byWindow.length > 0) {
      const fit = fits.get(windowKey) as PreparedFit;
      logTiming += logIntegralBounded(fit, grid, (s) => startDelay(s - c.landedAt), startDelay.max);
    }
    const revertedBy = revertOf(c);
    const logPrior = Math.log(changeWeight(c) * (revertedBy ? m.revertedWeight : 1));
    let violations = 0;
    for (const h of explained) {
      const applied = known?.get(h.host) ?? c.landedAt;
      if (h.ts < applied - skew) violations++;
    }
    scored.push({
      candidate: c,
      logPost: logPrior + logTiming + logScope,
      logTiming,
      logScope,
      timingBf: logTiming - logNoneTiming,
      scopeBf: logScope - logNoneScope,
      logPrior,
      counts,
      violations,
      ...(revertedBy ? { revertedBy } : {}),
    });
  }
  return {
    logNone,
    logNoneTiming,
    logNoneScope,
    scored,
    first,
    skew,
    hostsTotal: fleet.size,
    affected,
  };
}

/**
 * The hosts as indices: every host of the analysis, then affected hosts it does not list, each with its
 * group (for the per-group rate) and whether it changed.
 */
interface FleetIndex {
  size: number;
  index: Map<string, number>;
  /** Group of each host, 0 … groups − 1. */
  group: Int32Array;
  groups: number;
  /** 1 where the host counts in the reached × changed table (see `AffectedHost.scopeUnknown`). */
  counted: Uint8Array;
  countedTotal: number;
  /** 1 where a counted host changed. */
  changed: Uint8Array;
  changedTotal: number;
  /** The onset's hosts. */
  affected: AffectedHost[];
  /** For `logBetaBinomial` of this fleet's counts. */
  logGammas: LogGammaTable;
}

function indexFleet(hosts: FleetAnalysis['hosts'], affected: AffectedHost[]): FleetIndex {
  const index = new Map<string, number>();
  for (const h of hosts) if (!index.has(h.host)) index.set(h.host, index.size);
  for (const h of affected) if (!index.has(h.host)) index.set(h.host, index.size);
  const size = index.size;
  const groupOf = hostGroups(hosts);
  const groupIds = new Map<string, number>();
  const group = new Int32Array(size);
  for (const [host, i] of index) {
    const name = groupOf.get(host) ?? '';
    let id = groupIds.get(name);
    if (id === undefined) groupIds.set(name, (id = groupIds.size));
    group[i] = id;
  }
  const counted = new Uint8Array(size).fill(1);
  const changed = new Uint8Array(size);
  for (const h of affected) {
    const i = index.get(h.host) as number;
    if (h.scopeUnknown) counted[i] = 0;
    else changed[i] = 1;
  }
  let countedTotal = 0;
  let changedTotal = 0;
  for (let i = 0; i < size; i++) {
    countedTotal += counted[i] as number;
    changedTotal += changed[i] as number;
  }
  const groups = groupIds.size;
  return {
    size,
    index,
    group,
    groups,
    counted,
    countedTotal,
    changed,
    changedTotal,
    affected,
    logGammas: new LogGammaTable(size + 64),
  };
}

/** log density of the affected hosts outside `explained`, each an unrelated onset. */
function unexplainedBackground(affected: AffectedHost[], explained: AffectedHost[], grid: Grid): number {
  const inReach = new Set(explained);
  let total = 0;
  for (const h of affected) if (!inReach.has(h)) total += logHostBackground(grid, h);
  return total;
}

/** The candidate's reached hosts as a group shared with every candidate reaching the same ones. */
function reachGroupOf(
  reach: ReadonlySet<string>,
  fleet: FleetIndex,
  groups: Map<string, ReachGroup>,
): ReachGroup {
  // The reached hosts as a bit set, and that as a string: the key of the group.
  const bits = new Uint16Array(Math.ceil(fleet.size / 16));
  let count = 0;
  for (const host of reach) {
    const i = fleet.index.get(host);
    if (i === undefined) continue;
    const bit = 1 << (i & 15);
    if (((bits[i >> 4] as number) & bit) === 0) {
      bits[i >> 4] = (bits[i >> 4] as number) | bit;
      count++;
    }
  }
  let key = '';
  for (let at = 0; at < bits.length; at += 4096) {
    key += String.fromCharCode(...bits.subarray(at, at + 4096));
  }
  const known = groups.get(key);
  if (known !== undefined) return known;
  const hosts = new Int32Array(count);
  let n = 0;
  for (let w = 0; w < bits.length; w++) {
    const word = bits[w] as number;
    if (word === 0) continue;
    for (let b = 0; b < 16; b++) if (word & (1 << b)) hosts[n++] = w * 16 + b;
  }
  const explained = fleet.affected.filter((h) => {
    const i = fleet.index.get(h.host) as number;
    return ((bits[i >> 4] as number) & (1 << (i & 15))) !== 0;
  });
  const group: ReachGroup = { hosts, explained };
  groups.set(key, group);
  return group;
}

/**
 * The targets an unlisted change may have, the way Salt targets: every host, or the hosts holding some
 * grain values (one label's values, or unions of them when a label has few). Kept per label as what the
 * scope needs: each host's signature (the set of the label's values it holds), and which signatures each
 * target takes in, so a target's counts are sums over signatures rather than over hosts.
 */
interface TargetFamily {
  /** Per host, its signature, or −1 where it holds none of the label's values. */
  signatureOf: Int32Array;
  signatures: number;
  targets: number;
  /** targets × signatures: 1 where the target takes in the hosts of that signature. */
  takes: Uint8Array;
}

function saltLikeTargets(hosts: FleetAnalysis['hosts'], fleet: FleetIndex): TargetFamily[] {
  const m = RANKING_MODEL;
  const byKey = new Map<string, { values: Map<string, number>; held: Map<number, Set<number>> }>();
  for (const h of hosts) {
    const i = fleet.index.get(h.host) as number;
    for (const [key, value] of Object.entries(h.labels)) {
      let label = byKey.get(key);
      if (label === undefined) byKey.set(key, (label = { values: new Map(), held: new Map() }));
      for (const item of value.split(',')) {
        const v = item.trim();
        if (v === '') continue;
        let id = label.values.get(v);
        if (id === undefined) label.values.set(v, (id = label.values.size));
        let held = label.held.get(i);
        if (held === undefined) label.held.set(i, (held = new Set()));
        held.add(id);
      }
    }
  }
  const families: TargetFamily[] = [];
  for (const { values, held } of byKey.values()) {
    const count = values.size;
    if (count < 2 || count > m.noneMaxLabelValues) continue;
    // Each target as the label values it takes: singly, or every union short of all of them.
    const targets: number[][] = [];
    if (count > m.noneMaxUnionValues) {
      for (let v = 0; v < count; v++) targets.push([v]);
    } else {
      for (let mask = 1; mask < (1 << count) - 1; mask++) {
        targets.push(Array.from({ length: count }, (_, v) => v).filter((v) => mask & (1 << v)));
      }
    }
    const signatureOf = new Int32Array(fleet.size).fill(-1);
    const signatureIds = new Map<string, number>();
    const signatureValues: number[][] = [];
    for (const [i, set] of held) {
      const ids = [...set].sort((a, b) => a - b);
      const key = ids.join(',');
      let sig = signatureIds.get(key);
      if (sig === undefined) {
        signatureIds.set(key, (sig = signatureIds.size));
        signatureValues.push(ids);
      }
      signatureOf[i] = sig;
    }
    const signatures = signatureValues.length;
    const takes = new Uint8Array(targets.length * signatures);
    targets.forEach((target, t) => {
      signatureValues.forEach((ids, sig) => {
        if (ids.some((v) => target.includes(v))) takes[t * signatures + sig] = 1;
      });
    });
    families.push({ signatureOf, signatures, targets: targets.length, takes });
  }
  return families;
}

/**
 * log P(who changed | reached and changed hosts per group): within each group a reached host changes at
 * its own rate ~ Beta(1, 1); an unreached host at the background rate ~ Beta(1, 19).
 */
function scopeOfCounts(perGroup: Int32Array, changedPerGroup: Int32Array, fleet: FleetIndex): number {
  const m = RANKING_MODEL;
  let size = 0;
  let changedReached = 0;
  for (let g = 0; g < fleet.groups; g++) {
    size += perGroup[g] as number;
    changedReached += changedPerGroup[g] as number;
  }
  let total = fleet.logGammas.logBetaBinomial(
    fleet.changedTotal - changedReached,
    fleet.countedTotal - size,
    m.unreached,
  );
  for (let g = 0; g < fleet.groups; g++) {
    const n = perGroup[g] as number;
    if (n > 0) total += fleet.logGammas.logBetaBinomial(changedPerGroup[g] as number, n, m.reached);
  }
  return total;
}

/** log P(who changed | the change reaches `reached`), the hosts as indices. */
function targetScope(reached: Int32Array, fleet: FleetIndex): number {
  const { group, counted, changed } = fleet;
  const perGroup = new Int32Array(fleet.groups);
  const changedPerGroup = new Int32Array(fleet.groups);
  for (let k = 0; k < reached.length; k++) {
    const i = reached[k] as number;
    const g = group[i] as number;
    perGroup[g] = (perGroup[g] as number) + (counted[i] as number);
    changedPerGroup[g] = (changedPerGroup[g] as number) + (changed[i] as number);
  }
  return scopeOfCounts(perGroup, changedPerGroup, fleet);
}

/**
 * log P(who changed | the change reaches an unknown Salt-like target within `within`, or anywhere), each
 * target equally likely (a larger family costs more).
 */
function unknownTargetScope(
  families: readonly TargetFamily[],
  within: Int32Array | null,
  fleet: FleetIndex,
): number {
  const { group, counted, changed, groups } = fleet;
  const inside = new Uint8Array(fleet.size);
  if (within === null) inside.fill(1);
  else for (const i of within) inside[i] = 1;
  const terms: number[] = [];
  const perGroup = new Int32Array(groups);
  const changedPerGroup = new Int32Array(groups);
  // Every host (within).
  for (let i = 0; i < fleet.size; i++) {
    if (inside[i] === 0) continue;
    const g = group[i] as number;
    perGroup[g] = (perGroup[g] as number) + (counted[i] as number);
    changedPerGroup[g] = (changedPerGroup[g] as number) + (changed[i] as number);
  }
  terms.push(scopeOfCounts(perGroup, changedPerGroup, fleet));
  for (const family of families) {
    // Reached and changed hosts per signature and group, then each target's as a sum over signatures.
    const { signatures, signatureOf, takes } = family;
    const bySignature = new Int32Array(signatures * groups);
    const changedBySignature = new Int32Array(signatures * groups);
    for (let i = 0; i < fleet.size; i++) {
      const sig = signatureOf[i] as number;
      if (sig < 0 || inside[i] === 0) continue;
      const cell = sig * groups + (group[i] as number);
      bySignature[cell] = (bySignature[cell] as number) + (counted[i] as number);
      changedBySignature[cell] = (changedBySignature[cell] as number) + (changed[i] as number);
    }
    for (let t = 0; t < family.targets; t++) {
      perGroup.fill(0);
      changedPerGroup.fill(0);
      for (let sig = 0; sig < signatures; sig++) {
        if (takes[t * signatures + sig] === 0) continue;
        for (let g = 0; g < groups; g++) {
          perGroup[g] = (perGroup[g] as number) + (bySignature[sig * groups + g] as number);
          changedPerGroup[g] =
            (changedPerGroup[g] as number) + (changedBySignature[sig * groups + g] as number);
        }
      }
      terms.push(scopeOfCounts(perGroup, changedPerGroup, fleet));
    }
  }
  return logSumExp(terms) - Math.log(terms.length);
}

function toSuspect(
  s: Scored,
  score: number,
  ctx: Pick<Scoring, 'first' | 'skew' | 'hostsTotal' | 'affected'>,
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
