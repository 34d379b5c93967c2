/**
 * The ranking's scores computed the straightforward way: one candidate at a time, hosts as sets of names,
 * every host's density evaluated and logged at every window start and spread, every Salt-like target of
 * an unlisted change built as a set of hosts. `rankChanges` groups candidates by reach, counts through
 * host indices and sums over sorted onsets; it must agree with this to within float rounding
 * (test/changes/ranking.test.ts), and the benchmark times both on the same input. Not used to serve.
 */
import type { CandidateChange, ChangeScores, RankInput } from './ranking.ts';
import {
  affectedHosts,
  changeWeight,
  HOUR,
  hostGroups,
  logBetaBinomial,
  logDetectionDelay,
  logHostBackground,
  logMix,
  logStartDelay,
  logSumExp,
  makeGrid,
  RANKING_MODEL,
  startDelayMean,
  unrelatedShare,
  type AffectedHost,
  type Grid,
} from './ranking.model.ts';

type Hosts = RankInput['analysis']['hosts'];

export function referenceScores(input: RankInput): ChangeScores | null {
  const onset = input.analysis.onset;
  if (onset === null || onset.hosts.length === 0) return null;
  const m = RANKING_MODEL;
  const skew = input.clockSkewMs ?? m.clockSkewMs;
  const affected = affectedHosts(onset, skew);
  const affectedSet = new Set(affected.map((h) => h.host));
  const universe = new Set(input.analysis.hosts.map((h) => h.host));
  for (const h of affectedSet) universe.add(h);
  const first = Math.min(...affected.map((h) => h.ts));
  const span = Math.max(input.analysis.to - input.analysis.from, HOUR);
  const tau = startDelayMean(input.confirmedLags);
  const grid = makeGrid(first, affected, skew);
  // Hosts whose change is not known (see `AffectedHost.scopeUnknown`) are out of the scope's table.
  const unknown = new Set(affected.filter((h) => h.scopeUnknown).map((h) => h.host));
  const scope: ScopeContext = {
    universe: new Set([...universe].filter((h) => !unknown.has(h))),
    affected: affectedSet,
    groupOf: hostGroups(input.analysis.hosts),
  };
  const targets = saltLikeTargets(input.analysis.hosts, universe);

  const logNoneTiming = logIntegral(windowFit(affected, grid), grid, () => -Math.log(span));
  const logNoneScope = unknownTargetScope(targets, scope.universe, scope);
  const revertsAfter = input.candidates.filter((c) => c.revertOf !== undefined && c.landedAt > first + skew);
  const revertOf = (c: CandidateChange): CandidateChange | undefined =>
    revertsAfter.find(
      (r) => r.revertOf !== undefined && r.revertOf.length >= 7 && c.id.startsWith(r.revertOf),
    );

  const changes: ChangeScores['changes'] = [];
  for (const c of input.candidates) {
    if (c.revertOf !== undefined && c.landedAt > first + skew) continue;
    const reached = new Set([...c.reach.hosts].filter((h) => universe.has(h)));
    const explained = affected.filter((h) => reached.has(h.host));
    if (reached.size === 0 || explained.length === 0) continue;
    const logScope = c.reach.approximate
      ? unknownTargetScope(targets, reached, scope)
      : targetScope(reached, scope);
    const known = c.appliedAt;
    let logTiming = 0;
    for (const h of affected) if (!reached.has(h.host)) logTiming += logHostBackground(grid, h);
    const byWindow: AffectedHost[] = [];
    for (const h of explained) {
      const at = known?.get(h.host);
      if (at === undefined) byWindow.push(h);
      else logTiming += logMix(logDetectionDelay(h.ts - at, h.sigma), logHostBackground(grid, h));
    }
    if (byWindow.length > 0) {
      logTiming += logIntegral(windowFit(byWindow, grid), grid, (s) =>
        logStartDelay(s - c.landedAt, tau, skew),
      );
    }
    const revertedBy = revertOf(c);
    const logPrior = Math.log(changeWeight(c) * (revertedBy ? m.revertedWeight : 1));
    changes.push({
      id: c.id,
      logPrior,
      logTiming,
      logScope,
      logPost: logPrior + logTiming + logScope,
      counts: {
        reached: reached.size,
        affectedReached: explained.length,
        affectedTotal: affected.length,
        unreachedChanged: affected.length - explained.length,
        unreachedTotal: universe.size - reached.size,
      },
      violations: explained.filter((h) => h.ts < (known?.get(h.host) ?? c.landedAt) - skew).length,
      ...(revertedBy ? { revertedBy: revertedBy.id } : {}),
    });
  }
  return {
    none: {
      logTiming: logNoneTiming,
      logScope: logNoneScope,
      logPost: Math.log(m.noneWeight) + logNoneTiming + logNoneScope,
    },
    changes,
  };
}

/** Every host's density at every window start s and spread W, logged and summed; W integrated out. */
function windowFit(hosts: readonly AffectedHost[], grid: Grid): Float64Array {
  const m = RANKING_MODEL;
  const b = m.onsetErrorMs;
  const out = new Float64Array(grid.s.length);
  grid.s.forEach((s, i) => {
    const perSpread = [...grid.spreads].map((w) => {
      let total = -Math.log(grid.spreads.length);
      for (const h of hosts) {
        const lag = h.ts - s;
        const outside = lag < 0 ? -lag : lag > w ? lag - w : 0;
        const related = 1 - unrelatedShare(grid, h);
        const background = Math.exp(logHostBackground(grid, h));
        const core = (related * (1 - h.offShare)) / (w + Math.sqrt(2 * Math.PI) * h.sigma);
        const broad = (related * h.offShare) / (w + 2 * b);
        total += Math.log(
          core * Math.exp(-(outside * outside) / (2 * h.sigma * h.sigma)) +
            broad * Math.exp(-outside / b) +
            background,
        );
      }
      return total;
    });
    out[i] = logSumExp(perSpread);
  });
  return out;
}

interface ScopeContext {
  universe: ReadonlySet<string>;
  affected: ReadonlySet<string>;
  groupOf: ReadonlyMap<string, string>;
}

function saltLikeTargets(hosts: Hosts, universe: ReadonlySet<string>): Set<string>[] {
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
      targets.push(new Set(groups.filter((_, i) => mask & (1 << i)).flatMap((g) => [...g])));
    }
  }
  return targets;
}

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
    const counts = groups.get(ctx.groupOf.get(h) ?? '') ?? [0, 0];
    counts[0] += changed ? 1 : 0;
    counts[1] += 1;
    groups.set(ctx.groupOf.get(h) ?? '', counts);
  }
  let reachedInside = 0;
  for (const h of ctx.universe) if (reached.has(h)) reachedInside++;
  let total = logBetaBinomial(unreachedChanged, ctx.universe.size - reachedInside, m.unreached);
  for (const [k, n] of groups.values()) total += logBetaBinomial(k, n, m.reached);
  return total;
}

function unknownTargetScope(
  targets: readonly Set<string>[],
  within: ReadonlySet<string>,
  ctx: ScopeContext,
): number {
  const terms = targets.map((target) => targetScope(new Set([...target].filter((h) => within.has(h))), ctx));
  return logSumExp(terms) - Math.log(targets.length);
}

/** log ∫ prior(s) · exp(fit(s)) ds over the grid, every point. */
function logIntegral(fit: Float64Array, grid: Grid, logPrior: (s: number) => number): number {
  return logSumExp([...fit].map((f, i) => f + (grid.logDs[i] as number) + logPrior(grid.s[i] as number)));
}
