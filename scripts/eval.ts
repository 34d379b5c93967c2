/**
 * `npm run eval`: the analysis against the simulator's ground truth over a fixed set of fleets.
 *
 *   npx tsx scripts/eval.ts [--set test|tune] [--only SUBSTRING] [--limit N] [--shard K/N] [--json]
 *     [--skip-ranking] [--raw]
 *
 * By default the analysis runs on what the server feeds it: the 5-minute slot means of each series
 * (`slotMeans`); `--raw` runs it on the raw samples instead. `--shard K/N` runs the K-th of N interleaved
 * parts (blocks of four fleets), to spread a run over several processes.
 *
 * Report on `test`; adjust only on `tune` (different seeds). Each section measures one part of the analysis
 * per fleet and prints its own figures; add a section (e.g. change ranking) by adding to `sections`.
 */
import { parseArgs } from 'node:util';
import { analyzeFleet, type FleetAnalysis } from '../server/analysis/analyze-fleet.ts';
import { slotMeans } from '../server/analysis/slot-means.ts';
import { simulateFleet, type FleetScenario, type FleetTruth } from '../server/sim/fleet-sim.ts';
import { evalScenarios } from '../server/sim/scenarios.ts';
import { rankingSection } from './eval-ranking.ts';

const MINUTE = 60_000;

interface Case {
  scenario: FleetScenario;
  truth: FleetTruth;
  result: FleetAnalysis;
  /** Effect, lag, target, noise level and sample step: what the breakdown groups by. */
  variant: Record<string, string>;
}

interface Section {
  title: string;
  measure(c: Case): void | Promise<void>;
  report(): Record<string, unknown>;
  print(report: Record<string, unknown>): string[];
}

function quantile(values: number[], q: number): number {
  if (values.length === 0) return NaN;
  const s = [...values].sort((a, b) => a - b);
  const pos = (s.length - 1) * q;
  const lo = Math.floor(pos);
  const hi = Math.ceil(pos);
  return s[lo]! + (s[hi]! - s[lo]!) * (pos - lo);
}

const mean = (values: number[]): number =>
  values.length === 0 ? NaN : values.reduce((a, b) => a + b, 0) / values.length;
const pct = (x: number): string => (Number.isNaN(x) ? '–' : `${(100 * x).toFixed(1)}%`);
const num = (x: number, digits = 1): string => (Number.isNaN(x) ? '–' : x.toFixed(digits));

function variantOf(s: FleetScenario): Record<string, string> {
  // Names are `set-index-effect-lag-target-level-hosts`, or `set-index-no-change-level-hosts`.
  const parts = s.name.split('-');
  const level = parts[parts.length - 2] ?? '?';
  const step =
    s.stepMs === 60_000 ? '1m' : s.stepMs < 60_000 ? `${s.stepMs / 1000}s` : `${s.stepMs / MINUTE}m`;
  if (s.change === null) return { effect: 'no-change', lag: '-', target: '-', noise: level, step };
  const effect = parts.slice(2, parts.length - 4).join('-');
  return { effect, lag: s.change.lag.kind, target: s.change.target.kind, noise: level, step };
}

/** Per fleet: the scores of the onset and attribution, for the overall figures and the breakdown. */
interface OnsetScore {
  variant: Record<string, string>;
  change: boolean;
  reported: boolean;
  /** Minutes, signed (reported − true earliest); null when not applicable. */
  error: number | null;
  precision: number | null;
  recall: number | null;
  componentFirst: boolean | null;
  step: string;
}

/**
 * The hosts the change reached and those the analysis found affected, and how many of those it reached.
 * Hosts that joined after their onset show growth from their first sample: no onset to find, so they are
 * left out of both.
 */
function affectedScore(change: NonNullable<FleetTruth['change']>, result: FleetAnalysis) {
  const truthHosts = new Map([...change.hosts].filter(([h]) => !change.joinedAfterChange.has(h)));
  const predicted = new Set(
    (result.onset?.hosts ?? []).map((h) => h.host).filter((h) => !change.joinedAfterChange.has(h)),
  );
  const hit = [...predicted].filter((h) => truthHosts.has(h)).length;
  return { truthHosts, predicted, hit };
}

function onsetSection(): Section {
  const scores: OnsetScore[] = [];
  const summarise = (list: OnsetScore[]) => {
    const changed = list.filter((s) => s.change);
    const quiet = list.filter((s) => !s.change);
    const errors = changed.filter((s) => s.error !== null).map((s) => Math.abs(s.error!));
    const errors1m = changed
      .filter((s) => s.error !== null && s.step === '1m')
      .map((s) => Math.abs(s.error!));
    return {
      fleets: list.length,
      changeFleets: changed.length,
      detected: changed.length === 0 ? NaN : changed.filter((s) => s.reported).length / changed.length,
      errorMedian: quantile(errors, 0.5),
      errorP90: quantile(errors, 0.9),
      errorMedian1m: quantile(errors1m, 0.5),
      errorP901m: quantile(errors1m, 0.9),
      precision: mean(changed.filter((s) => s.precision !== null).map((s) => s.precision!)),
      recall: mean(changed.map((s) => s.recall ?? 0)),
      componentFirst:
        changed.length === 0 ? NaN : changed.filter((s) => s.componentFirst === true).length / changed.length,
      quietFleets: quiet.length,
      falseOnsets: quiet.length === 0 ? NaN : quiet.filter((s) => s.reported).length / quiet.length,
    };
  };
  return {
    title: 'Onset and attribution',
    measure({ truth, result, variant }) {
      const change = truth.change;
      const reported = result.onset !== null;
      if (change === null) {
        scores.push({
          variant,
          change: false,
          reported,
          error: null,
          precision: null,
          recall: null,
          componentFirst: null,
          step: variant.step!,
        });
        return;
      }
      const { truthHosts, predicted, hit } = affectedScore(change, result);
      const earliest = Math.min(...truthHosts.values());
      scores.push({
        variant,
        change: true,
        reported,
        error: result.onset && truthHosts.size > 0 ? (result.onset.ts - earliest) / MINUTE : null,
        precision: reported ? (predicted.size === 0 ? 0 : hit / predicted.size) : null,
        recall: truthHosts.size === 0 ? null : hit / truthHosts.size,
        componentFirst: reported ? result.components[0]?.metric === change.component : false,
        step: variant.step!,
      });
    },
    report() {
      const breakdown: Record<string, Record<string, ReturnType<typeof summarise>>> = {};
      for (const dim of ['effect', 'lag', 'target', 'noise', 'step']) {
        const groups = new Map<string, OnsetScore[]>();
        for (const s of scores) {
          const k = s.variant[dim] ?? '?';
          groups.set(k, [...(groups.get(k) ?? []), s]);
        }
        breakdown[dim] = Object.fromEntries([...groups].sort().map(([k, v]) => [k, summarise(v)]));
      }
      return { overall: summarise(scores), breakdown };
    },
    print(report) {
      const o = report.overall as ReturnType<typeof summarise>;
      const lines = [
        `fleets: ${o.fleets} (${o.changeFleets} with a change, ${o.quietFleets} without)`,
        `site-wide change found: ${pct(o.detected)} of change fleets`,
        `onset error, 1-minute samples (min): median ${num(o.errorMedian1m)}, p90 ${num(o.errorP901m)}` +
          `   [bars: ≤ 5, ≤ 15]`,
        `onset error, all steps (min): median ${num(o.errorMedian)}, p90 ${num(o.errorP90)}`,
        `affected hosts: precision ${num(o.precision, 3)}, recall ${num(o.recall, 3)}   [bars: ≥ 0.95 each]`,
        `true component ranked first: ${pct(o.componentFirst)}   [bar: ≥ 95%]`,
        `false site-wide onsets on fleets without a change: ${pct(o.falseOnsets)}   [bar: ≤ 5%]`,
        '',
        'breakdown:',
        '  group                     fleets  found   err-med  err-p90  prec   recall  comp-1st  false',
      ];
      const breakdown = report.breakdown as Record<string, Record<string, ReturnType<typeof summarise>>>;
      for (const [dim, groups] of Object.entries(breakdown)) {
        for (const [name, g] of Object.entries(groups)) {
          lines.push(
            `  ${`${dim}=${name}`.padEnd(26)}${String(g.fleets).padStart(6)}  ${pct(g.detected).padStart(6)}` +
              `  ${num(g.errorMedian).padStart(7)}  ${num(g.errorP90).padStart(7)}` +
              `  ${num(g.precision, 3).padStart(5)}  ${num(g.recall, 3).padStart(6)}` +
              `  ${pct(g.componentFirst).padStart(8)}  ${pct(g.falseOnsets).padStart(6)}`,
          );
        }
      }
      return lines;
    },
  };
}

async function run(): Promise<void> {
  const { values } = parseArgs({
    options: {
      set: { type: 'string', default: 'test' },
      only: { type: 'string' },
      limit: { type: 'string' },
      shard: { type: 'string' },
      json: { type: 'boolean', default: false },
      verbose: { type: 'boolean', default: false },
      raw: { type: 'boolean', default: false },
      'skip-ranking': { type: 'boolean', default: false },
    },
  });
  const set = values.set === 'tune' ? 'tune' : 'test';
  let scenarios = evalScenarios(set);
  if (values.only) scenarios = scenarios.filter((s) => s.name.includes(values.only!));
  if (values.limit) scenarios = scenarios.slice(0, Number(values.limit));
  if (values.shard) {
    const [k, n] = values.shard.split('/').map(Number) as [number, number];
    if (!(Number.isInteger(k) && Number.isInteger(n) && k >= 1 && k <= n))
      throw new Error(`--shard takes K/N with 1 ≤ K ≤ N, got '${values.shard}'`);
    scenarios = scenarios.filter((_, i) => Math.floor(i / 4) % n === k - 1);
  }
  const sections: Section[] = [onsetSection()];
  if (!values['skip-ranking']) sections.push(rankingSection({ verbose: values.verbose }));
  let analysisMs = 0;
  let samples = 0;
  let hosts = 0;
  const started = performance.now();
  for (const scenario of scenarios) {
    const { fleet, truth } = simulateFleet(scenario);
    for (const h of fleet.hosts) for (const s of h.series.values()) samples += s.ts.length;
    hosts += fleet.hosts.length;
    const t0 = performance.now();
    const result = analyzeFleet(values.raw ? fleet : slotMeans(fleet));
    analysisMs += performance.now() - t0;
    const c: Case = { scenario, truth, result, variant: variantOf(scenario) };
    for (const section of sections) await section.measure(c);
    if (values.verbose) process.stderr.write(describe(c) + '\n');
  }
  const timing = {
    fleets: scenarios.length,
    hosts,
    samples,
    analysisSeconds: analysisMs / 1000,
    msPerHost: analysisMs / Math.max(1, hosts),
    samplesPerSecond: samples / Math.max(1e-9, analysisMs / 1000),
    totalSeconds: (performance.now() - started) / 1000,
  };
  const reports = sections.map((s) => ({ title: s.title, report: s.report() }));
  if (values.json) {
    process.stdout.write(JSON.stringify({ set, timing, sections: reports }, null, 2) + '\n');
    return;
  }
  const out: string[] = [`onset evaluation: set '${set}'`, ''];
  sections.forEach((s, i) => out.push(`## ${s.title}`, ...s.print(reports[i]!.report), ''));
  out.push(
    '## Run time',
    `analysis: ${num(timing.analysisSeconds, 2)} s for ${timing.hosts} hosts (${num(timing.msPerHost, 2)} ms per host,` +
      ` ${(timing.samplesPerSecond / 1e6).toFixed(1)} M samples/s); whole run with simulation ${num(timing.totalSeconds, 1)} s`,
  );
  process.stdout.write(out.join('\n') + '\n');
}

function describe({ scenario, truth, result }: Case): string {
  const change = truth.change;
  const earliest = change ? Math.min(...change.hosts.values()) : NaN;
  const o = result.onset;
  const err = o && change ? ((o.ts - earliest) / MINUTE).toFixed(1) : '-';
  let scored = '';
  if (change) {
    const { truthHosts, predicted, hit } = affectedScore(change, result);
    scored = `; hosts ${hit}/${truthHosts.size} found, ${predicted.size - hit} not reached`;
  }
  return (
    `${scenario.name}: truth ${change ? `${change.component} ${change.hosts.size} hosts` : 'none'}; ` +
    (o
      ? `found ${o.series} ${o.hosts_affected}/${o.hosts_seen} p=${o.p_value.toExponential(1)} err ${err} min; ` +
        `top ${result.components[0]?.metric ?? '-'}`
      : 'found none') +
    scored
  );
}

await run();
