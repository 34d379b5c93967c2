/**
 * The ranking section of `npm run eval`: for each fleet, the simulator's Salt repository is written to a
 * temporary directory, its commits listed by the git adapter, each commit's reach computed by the Salt
 * code, and `rankChanges` run on the fleet's analysis. Scores where the culprit ranks, and whether
 * fleets without a change get no suspects.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { FleetData } from '../server/analysis/analysis.models.ts';
import type { FleetAnalysis } from '../server/analysis/analyze-fleet.ts';
import { rankChanges } from '../server/changes/ranking.ts';
import type { FleetScenario, FleetTruth } from '../server/sim/fleet-sim.ts';
import { repositoryCandidates } from '../server/sim/salt-repo.candidates.ts';
import { writeSaltRepository } from '../server/sim/salt-repo.ts';

const HOUR = 3_600_000;
const DAY = 24 * HOUR;

interface RankCase {
  scenario: FleetScenario;
  truth: FleetTruth;
  result: FleetAnalysis;
  variant: Record<string, string>;
}

interface RankScore {
  variant: Record<string, string>;
  change: boolean;
  onsetFound: boolean;
  /** The onset found is the change's: its first onset within an hour of the true first onset. */
  onsetRight: boolean;
  /** 1-based rank of the culprit among the suspects; null when absent. */
  rank: number | null;
  suspects: number;
  topScore: number | null;
  topIsCulprit: boolean;
  candidates: number;
  ms: { repository: number; candidates: number; ranking: number };
}

export interface RankingSectionOptions {
  /** Commits per fleet's repository. */
  commits?: number;
  verbose?: boolean;
}

export function rankingSection(options: RankingSectionOptions = {}) {
  const scores: RankScore[] = [];
  const commits = options.commits ?? 300;

  const summarise = (list: RankScore[]) => {
    const ranked = list.filter((s) => s.change && s.onsetFound);
    const right = list.filter((s) => s.change && s.onsetRight);
    const changed = list.filter((s) => s.change);
    const quiet = list.filter((s) => !s.change);
    const rr = (s: RankScore): number => (s.rank === null ? 0 : 1 / s.rank);
    const share = (xs: RankScore[], f: (s: RankScore) => boolean): number =>
      xs.length === 0 ? NaN : xs.filter(f).length / xs.length;
    const mean = (xs: number[]): number =>
      xs.length === 0 ? NaN : xs.reduce((a, b) => a + b, 0) / xs.length;
    const tops = list.filter((s) => s.topScore !== null && (s.change || s.suspects > 0));
    return {
      fleets: list.length,
      ranked: ranked.length,
      first: share(ranked, (s) => s.rank === 1),
      top3: share(ranked, (s) => s.rank !== null && s.rank <= 3),
      mrr: mean(ranked.map(rr)),
      rightFleets: right.length,
      firstRight: share(right, (s) => s.rank === 1),
      top3Right: share(right, (s) => s.rank !== null && s.rank <= 3),
      mrrRight: mean(right.map(rr)),
      firstAll: share(changed, (s) => s.rank === 1),
      mrrAll: mean(changed.map(rr)),
      quiet: quiet.length,
      quietNoSuspects: share(quiet, (s) => s.suspects === 0),
      meanTopScore: mean(tops.map((s) => s.topScore ?? 0)),
      brier: mean(tops.map((s) => ((s.topScore ?? 0) - (s.topIsCulprit ? 1 : 0)) ** 2)),
      candidates: mean(ranked.map((s) => s.candidates)),
    };
  };

  return {
    title: 'Change ranking',
    async measure({ scenario, truth, result, variant }: RankCase): Promise<void> {
      const onset = result.onset;
      const trueOnsets = [...(truth.change?.hosts ?? new Map<string, number>())]
        .filter(([h]) => !truth.change?.joinedAfterChange.has(h))
        .map(([, t]) => t);
      const earliest = trueOnsets.length > 0 ? Math.min(...trueOnsets) : NaN;
      const base = {
        variant,
        change: truth.change !== null,
        onsetFound: onset !== null,
        onsetRight: onset !== null && Math.abs(onset.ts - earliest) <= HOUR,
        candidates: 0,
      };
      if (onset === null) {
        // rankChanges gives [] without an onset: no repository needed to know it.
        scores.push({
          ...base,
          rank: null,
          suspects: 0,
          topScore: null,
          topIsCulprit: false,
          ms: { repository: 0, candidates: 0, ranking: 0 },
        });
        return;
      }
      const dir = await mkdtemp(join(tmpdir(), 'onset-eval-ranking-'));
      try {
        const fleet: FleetData = {
          from: result.from,
          to: result.to,
          hosts: result.hosts.map((h) => ({ host: h.host, labels: h.labels, series: new Map() })),
        };
        const t0 = performance.now();
        const repo = await writeSaltRepository(join(dir, 'salt'), scenario, fleet, truth, { commits });
        const t1 = performance.now();
        const { candidates } = await repositoryCandidates({
          source: join(dir, 'salt'),
          branch: repo.branch,
          cacheDir: join(dir, 'mirror.git'),
          nodegroupsPath: repo.nodegroupsPath,
          hosts: result.hosts.map((h) => ({ id: h.host, labels: h.labels })),
          // What an onset can be blamed on, and the reverts that answer it.
          landedFrom: onset.ts - 2 * DAY,
          landedTo: onset.ts + 12 * HOUR,
        });
        const t2 = performance.now();
        const suspects = rankChanges({ analysis: result, candidates });
        const t3 = performance.now();
        const index = repo.culprit === null ? -1 : suspects.findIndex((s) => s.id === repo.culprit);
        const top = suspects[0];
        scores.push({
          ...base,
          variant: { ...variant, culprit: repo.culpritKind },
          candidates: candidates.length,
          rank: index < 0 ? null : index + 1,
          suspects: suspects.length,
          topScore: top?.score ?? null,
          topIsCulprit: top !== undefined && top.id === repo.culprit,
          ms: { repository: t1 - t0, candidates: t2 - t1, ranking: t3 - t2 },
        });
        if (options.verbose) {
          const culprit = candidates.find((c) => c.id === repo.culprit);
          process.stderr.write(
            `  ranking ${scenario.name}: culprit ${repo.culpritKind} rank ${index < 0 ? '-' : index + 1} of ${suspects.length}` +
              (top ? `; top ${top.id.slice(0, 8)} ${top.score} "${top.subject}"` : '') +
              (culprit && index !== 0
                ? `; culprit reaches ${culprit.reach.hosts.size}, ${suspects[index]?.reasons.join(' | ') ?? 'not listed'}`
                : '') +
              '\n',
          );
        }
      } finally {
        await rm(dir, { recursive: true, force: true });
      }
    },
    report(): Record<string, unknown> {
      const breakdown: Record<string, Record<string, ReturnType<typeof summarise>>> = {};
      for (const dim of ['effect', 'lag', 'target', 'noise', 'step', 'culprit']) {
        const groups = new Map<string, RankScore[]>();
        for (const s of scores) {
          const k = s.variant[dim] ?? '-';
          groups.set(k, [...(groups.get(k) ?? []), s]);
        }
        breakdown[dim] = Object.fromEntries([...groups].sort().map(([k, v]) => [k, summarise(v)]));
      }
      const ms = (f: (s: RankScore) => number) =>
        scores.filter((s) => s.onsetFound).reduce((n, s) => n + f(s), 0) / 1000;
      return {
        overall: summarise(scores),
        breakdown,
        seconds: {
          repository: ms((s) => s.ms.repository),
          candidates: ms((s) => s.ms.candidates),
          ranking: ms((s) => s.ms.ranking),
        },
      };
    },
    print(report: Record<string, unknown>): string[] {
      const o = report.overall as ReturnType<typeof summarise>;
      const t = report.seconds as { repository: number; candidates: number; ranking: number };
      const pct = (x: number): string => (Number.isNaN(x) ? '–' : `${(100 * x).toFixed(1)}%`);
      const num = (x: number, d = 3): string => (Number.isNaN(x) ? '–' : x.toFixed(d));
      const lines = [
        `fleets ranked (a change and an onset found): ${o.ranked}; candidates per fleet ${num(o.candidates, 1)}`,
        `culprit first: ${pct(o.first)}   [bar: ≥ 90%]`,
        `culprit in the top three: ${pct(o.top3)}   [bar: ≥ 98%]`,
        `mean reciprocal rank: ${num(o.mrr)}   [bar: ≥ 0.93]`,
        `where the onset found is the change's (first onset within an hour of the truth; ${o.rightFleets} fleets): first ${pct(o.firstRight)}, top three ${pct(o.top3Right)}, MRR ${num(o.mrrRight)}`,
        `end to end, over all ${o.fleets - o.quiet} change fleets (a missed onset counts as a miss): first ${pct(o.firstAll)}, MRR ${num(o.mrrAll)}`,
        `fleets without a change that get no suspects: ${pct(o.quietNoSuspects)} of ${o.quiet}   [bar: 100%]`,
        `top suspect's score: mean ${num(o.meanTopScore)}, Brier score ${num(o.brier)} (calibration: lower is better)`,
        `time: repositories ${num(t.repository, 1)} s, listing and reach ${num(t.candidates, 1)} s, ranking ${num(t.ranking, 2)} s`,
        '',
        'breakdown:',
        '  group                          fleets  ranked   first    top3     MRR   quiet-none',
      ];
      const breakdown = report.breakdown as Record<string, Record<string, ReturnType<typeof summarise>>>;
      for (const [dim, groups] of Object.entries(breakdown)) {
        for (const [name, g] of Object.entries(groups)) {
          lines.push(
            `  ${`${dim}=${name}`.padEnd(30)}${String(g.fleets).padStart(6)}  ${String(g.ranked).padStart(6)}` +
              `  ${pct(g.first).padStart(6)}  ${pct(g.top3).padStart(6)}  ${num(g.mrr).padStart(6)}  ${pct(g.quietNoSuspects).padStart(10)}`,
          );
        }
      }
      return lines;
    },
  };
}
