/**
 * The evaluation's fleets: a fixed list over effects × lag models × targets × noise levels × fleet sizes,
 * a quarter of them with no site-wide change. `tune` is for adjusting detection, `test` for reporting; their
 * seeds come from different names, so the sets never share a fleet.
 */
import type { ApplyLag, ChangeEffect, FleetScenario, Target } from './fleet-sim.ts';
import { NOISE_PRESETS } from './fleet-sim.ts';
import { MIB } from './host-catalog.ts';
import { createRng, deriveSeed, type Rng } from './prng.ts';

const MINUTE = 60_000;
const HOUR = 3_600_000;
const DAY = 86_400_000;
const SET_SIZES = { tune: 240, test: 240 } as const;
const FIRST_DAY = Date.UTC(2017, 0, 2);

type EffectMaker = { label: string; make: (rng: Rng) => ChangeEffect };

const EFFECTS: readonly EffectMaker[] = [
  {
    label: 'dentry-leak',
    make: (rng) => ({
      kind: 'slab-leak',
      slab: 'dentry',
      reclaimable: true,
      ratePerHour: rng.uniform(15, 80) * MIB,
    }),
  },
  {
    label: 'kmalloc-leak',
    make: (rng) => ({
      kind: 'slab-leak',
      slab: 'kmalloc-256',
      reclaimable: false,
      ratePerHour: rng.uniform(10, 50) * MIB,
    }),
  },
  {
    label: 'minion-leak',
    make: (rng) => ({ kind: 'process-leak', group: 'salt-minion', ratePerHour: rng.uniform(10, 60) * MIB }),
  },
  {
    label: 'rsyslog-leak',
    make: (rng) => ({ kind: 'process-leak', group: 'rsyslogd', ratePerHour: rng.uniform(8, 40) * MIB }),
  },
  { label: 'page-cache', make: (rng) => ({ kind: 'page-cache', ratePerHour: rng.uniform(40, 200) * MIB }) },
  {
    label: 'slab-step',
    make: (rng) => ({ kind: 'step', component: 'slab', slab: 'dentry', bytes: rng.uniform(150, 600) * MIB }),
  },
  {
    label: 'process-step',
    make: (rng) => ({
      kind: 'step',
      component: 'process',
      group: 'salt-minion',
      bytes: rng.uniform(100, 500) * MIB,
    }),
  },
  {
    label: 'cache-step',
    make: (rng) => ({ kind: 'step', component: 'page-cache', bytes: rng.uniform(300, 1000) * MIB }),
  },
];

const LAGS: ReadonlyArray<(rng: Rng) => ApplyLag> = [
  (rng) => ({
    kind: 'highstate',
    intervalMs: rng.pick([30, 60, 60, 120]) * MINUTE,
    splayMs: rng.pick([5, 10, 15]) * MINUTE,
  }),
  (rng) => ({ kind: 'cron', everyMs: rng.pick([10, 15, 30, 60]) * MINUTE }),
  (rng) => ({ kind: 'push', spreadMs: rng.uniform(1, 10) * MINUTE }),
];

const TARGETS: ReadonlyArray<(rng: Rng) => Target> = [
  () => ({ kind: 'all' }),
  (rng) => {
    // One of the big roles, so the targeted part of the fleet is never a handful of hosts.
    const roles = [rng.pick(['web', 'app'])];
    for (const role of ['db', 'cache', 'mail', 'ops', 'lb', 'worker']) if (rng.chance(0.4)) roles.push(role);
    return { kind: 'roles', roles };
  },
  (rng) => ({ kind: 'fraction', fraction: rng.uniform(0.3, 0.8) }),
];

const LEVELS = ['low', 'medium', 'high'] as const;
const SIZES = [20, 30, 50, 80, 120, 120, 160, 200, 300];

export function evalScenarios(set: 'tune' | 'test'): FleetScenario[] {
  return Array.from({ length: SET_SIZES[set] }, (_, i) => buildScenario(set, i));
}

function buildScenario(set: 'tune' | 'test', i: number): FleetScenario {
  const seed = deriveSeed('onset-eval', set, i);
  const rng = createRng(deriveSeed(seed, 'scenario'));
  // Most fleets sample every minute; a few every 15 s (small, one day) or every 5 min.
  const stepMs = i % 20 === 7 ? 15_000 : i % 20 === 13 ? 300_000 : 60_000;
  const hosts = stepMs === 15_000 ? rng.pick([20, 30, 40]) : rng.pick(SIZES);
  const windowMs = stepMs === 15_000 ? DAY : rng.pick([DAY, 1.5 * DAY, 2 * DAY]);
  const from = FIRST_DAY + rng.int(0, 360) * DAY + rng.int(0, 23) * HOUR;
  const to = from + windowMs;
  const level = LEVELS[(i + Math.floor(i / 12)) % LEVELS.length] ?? 'medium';
  const noise = { ...NOISE_PRESETS[level] };
  const base = { seed, hosts, from, to, stepMs, noise };
  if (i % 4 === 3) return { ...base, name: `${set}-${pad(i)}-no-change-${level}-${hosts}h`, change: null };

  // Walk the effect × lag × target grid so every combination appears.
  const c = i - Math.floor(i / 4);
  const effect = EFFECTS[c % EFFECTS.length] as EffectMaker;
  const makeLag = LAGS[Math.floor(c / EFFECTS.length) % LAGS.length] as (typeof LAGS)[number];
  const makeTarget = TARGETS[
    Math.floor(c / (EFFECTS.length * LAGS.length)) % TARGETS.length
  ] as (typeof TARGETS)[number];
  const lag = makeLag(rng);
  const target = makeTarget(rng);
  const at = from + Math.round((windowMs * rng.uniform(0.3, 0.6)) / 1000) * 1000;
  return {
    ...base,
    name: `${set}-${pad(i)}-${effect.label}-${lag.kind}-${target.kind}-${level}-${hosts}h`,
    change: { at, effect: effect.make(rng), lag, target },
  };
}

function pad(i: number): string {
  return String(i).padStart(3, '0');
}
