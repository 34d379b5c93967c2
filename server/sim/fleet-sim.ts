/**
 * A deterministic simulator of a fleet's memory series: the shared ground truth of the tests, the evaluation
 * and the demo. Every random value comes from streams derived from `scenario.seed`, one per host and purpose,
 * so the same scenario gives the same fleet, and a scenario that differs only in its change gives the same
 * series on every host the change does not reach (and on the others until their onset).
 *
 * Each host reports, all in bytes unless named otherwise, every sample sharing one timestamp array:
 * - `node_memory_<F>_bytes` for MemTotal, MemFree, MemAvailable, Buffers, Cached, SwapCached, Active,
 *   Inactive, Active_anon, Inactive_anon, Active_file, Inactive_file, SwapTotal, SwapFree, Dirty, Writeback,
 *   AnonPages, Mapped, Shmem, Slab, SReclaimable, SUnreclaim, KernelStack, PageTables (see kernel-memory.ts);
 * - `node_slabinfo_objects{slab}` (a count) and `node_slabinfo_object_size_bytes{slab}` per slab cache;
 * - `namedprocess_namegroup_memory_bytes{groupname,memtype="resident"}` per process group, and
 *   `onset_process_resident_total_bytes`, their sum (see series-keys.ts).
 * Timestamps are the true sample times shifted by the host's clock skew; truth times are true times.
 */
import type { FleetData, HostData, SeriesKey } from '../analysis/analysis.models.ts';
import { planChange, truthComponent } from './change-plan.ts';
import { slabCatalog } from './host-catalog.ts';
import { buildHostProfiles } from './host-profile.ts';
import { simulateHost } from './host-sim.ts';

export { fleetToIngestBatches } from './ingest-batches.ts';

export type ChangeEffect =
  | { kind: 'slab-leak'; slab: string; reclaimable: boolean; ratePerHour: number }
  | { kind: 'process-leak'; group: string; ratePerHour: number }
  | { kind: 'page-cache'; ratePerHour: number }
  | {
      kind: 'step';
      component: 'slab' | 'process' | 'page-cache';
      bytes: number;
      slab?: string;
      group?: string;
    };

export type ApplyLag =
  | { kind: 'highstate'; intervalMs: number; splayMs: number }
  | { kind: 'cron'; everyMs: number }
  | { kind: 'push'; spreadMs: number };

export type Target =
  { kind: 'all' } | { kind: 'roles'; roles: readonly string[] } | { kind: 'fraction'; fraction: number };

export interface NoiseSettings {
  /** 0..1: traffic-driven daily swing of process memory and page cache. */
  dailyCycle: number;
  /** 0..1: size of the nightly updatedb (dentry and inode caches) and logrotate (page cache) bursts. */
  cronSpikes: number;
  /** 0..1: sawtooth growth between restarts and how often processes restart. */
  restarts: number;
  /** 0..1: share of hosts with a leak of their own (1 → about 6% of hosts). */
  localLeaks: number;
  /** 0..1: share of hosts with offline periods (1 → about 20%) and of single missed samples. */
  offline: number;
  /** Largest clock offset of a host, ms: sample timestamps are shifted by up to ± this. */
  clockSkewMs: number;
  /** 0..1: share of hosts that join or leave during the window (1 → about 15%). */
  churn: number;
}

export interface FleetScenario {
  name: string;
  seed: number;
  hosts: number;
  /** Window, epoch ms: samples are taken at `from + k × stepMs` (plus each host's scrape phase) before `to`. */
  from: number;
  to: number;
  stepMs: number;
  change: null | {
    at: number;
    effect: ChangeEffect;
    lag: ApplyLag;
    target: Target;
    /** Share of targeted hosts the change leaves untouched; default 0.05. */
    unaffectedShare?: number;
    /** Spread of the per-host rate (σ of its logarithm); default 0.3. */
    rateJitter?: number;
  };
  noise?: Partial<NoiseSettings>;
}

export interface FleetTruth {
  change: null | {
    at: number;
    /** The node_memory_* series the change grows. */
    component: string;
    slab?: string;
    group?: string;
    /** Affected host → its true onset (true clock, epoch ms). */
    hosts: Map<string, number>;
    /**
     * Affected hosts provisioned after the change: they got it with their first highstate, minutes after
     * their first sample, so their series hold almost nothing from before the onset.
     */
    joinedAfterChange: Set<string>;
  };
  /** Hosts with a leak of their own, not site-wide → its onset. */
  localLeaks: Map<string, number>;
  /** Hosts where the OOM killer (or a reboot) cleared leaked memory → when. */
  oomKills: Map<string, number[]>;
  /** Each host's clock offset, ms: a sample taken at true time t carries timestamp t + offset. */
  clockSkewMs: Map<string, number>;
}

export const NOISE_PRESETS = {
  none: { dailyCycle: 0, cronSpikes: 0, restarts: 0, localLeaks: 0, offline: 0, clockSkewMs: 0, churn: 0 },
  low: {
    dailyCycle: 0.3,
    cronSpikes: 0.3,
    restarts: 0.3,
    localLeaks: 0.3,
    offline: 0.2,
    clockSkewMs: 30_000,
    churn: 0.1,
  },
  medium: {
    dailyCycle: 0.6,
    cronSpikes: 0.6,
    restarts: 0.6,
    localLeaks: 0.6,
    offline: 0.5,
    clockSkewMs: 120_000,
    churn: 0.3,
  },
  high: {
    dailyCycle: 1,
    cronSpikes: 1,
    restarts: 1,
    localLeaks: 1,
    offline: 1,
    clockSkewMs: 300_000,
    churn: 0.6,
  },
} as const satisfies Record<string, NoiseSettings>;

/** Fills in what a scenario leaves out of `noise`: the medium preset. */
export function resolveNoise(noise: Partial<NoiseSettings> | undefined): NoiseSettings {
  return { ...NOISE_PRESETS.medium, ...noise };
}

export interface SimulateOptions {
  /** Keeps only the series this accepts: less memory when a caller needs a few metrics. */
  keep?: (key: SeriesKey) => boolean;
}

export function simulateFleet(
  scenario: FleetScenario,
  options: SimulateOptions = {},
): { fleet: FleetData; truth: FleetTruth } {
  validateScenario(scenario);
  const noise = resolveNoise(scenario.noise);
  const caches = slabCatalog(scenario.change?.effect);
  const profiles = buildHostProfiles(scenario, noise, caches);
  const plans = planChange(scenario, profiles);

  const hosts: HostData[] = [];
  const localLeaks = new Map<string, number>();
  const oomKills = new Map<string, number[]>();
  const clockSkewMs = new Map<string, number>();
  const affected = new Map<string, number>();
  const joinedAfterChange = new Set<string>();
  for (const profile of profiles) {
    const plan = plans.get(profile.index);
    const result = simulateHost(profile, { scenario, noise, caches, keep: options.keep }, plan);
    if (result.data === null) continue;
    hosts.push(result.data);
    clockSkewMs.set(profile.host, profile.skewMs);
    if (profile.localLeak !== null) localLeaks.set(profile.host, profile.localLeak.onset);
    if (result.oomKills.length > 0) oomKills.set(profile.host, result.oomKills);
    if (plan !== undefined) {
      affected.set(profile.host, plan.apply);
      if (plan.atProvisioning) joinedAfterChange.add(profile.host);
    }
  }

  const change = scenario.change;
  const truth: FleetTruth = {
    change:
      change === null
        ? null
        : { at: change.at, ...truthComponent(change.effect), hosts: affected, joinedAfterChange },
    localLeaks,
    oomKills,
    clockSkewMs,
  };
  return { fleet: { from: scenario.from, to: scenario.to, hosts }, truth };
}

function validateScenario(s: FleetScenario): void {
  const problems: string[] = [];
  if (!Number.isInteger(s.hosts) || s.hosts < 1) problems.push('hosts must be a positive integer');
  if (!(s.stepMs > 0)) problems.push('stepMs must be positive');
  if (!(s.to > s.from)) problems.push('to must come after from');
  if (s.change !== null) {
    const { target, lag, effect } = s.change;
    if (target.kind === 'fraction' && !(target.fraction >= 0 && target.fraction <= 1))
      problems.push('target.fraction must be within 0..1');
    if (lag.kind === 'highstate' && !(lag.intervalMs > 0)) problems.push('lag.intervalMs must be positive');
    if (lag.kind === 'cron' && !(lag.everyMs > 0)) problems.push('lag.everyMs must be positive');
    if (effect.kind !== 'step' && !(effect.ratePerHour >= 0)) problems.push('effect.ratePerHour must be ≥ 0');
  }
  if (problems.length > 0) throw new RangeError(`invalid scenario ${s.name}: ${problems.join('; ')}`);
}
