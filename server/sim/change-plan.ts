/** Which hosts a change reaches, when each applies it, and which series it grows. */
import type { ApplyLag, ChangeEffect, FleetScenario, Target } from './fleet-sim.ts';
import { SLAB_CACHES } from './host-catalog.ts';
import type { HostProfile } from './host-profile.ts';
import { createRng, deriveSeed, shuffle, type Rng } from './prng.ts';

const MINUTE = 60_000;

export interface HostChange {
  /** When the host applied the change and its effect began: its true onset. */
  apply: number;
  /** The host's own multiple of the effect's rate or size. */
  rateFactor: number;
  /** Provisioned after the change: it got it with its first highstate, minutes after its first sample. */
  atProvisioning: boolean;
}

export const DEFAULT_STEP_SLAB = 'dentry';
export const DEFAULT_STEP_GROUP = 'salt-minion';

/** Host index → how the change reaches it; hosts it does not reach are absent. */
export function planChange(
  scenario: FleetScenario,
  profiles: readonly HostProfile[],
): Map<number, HostChange> {
  const plans = new Map<number, HostChange>();
  const change = scenario.change;
  if (change === null) return plans;
  const targeted = targetHosts(change.target, profiles, createRng(deriveSeed(scenario.seed, 'target')));
  const unaffectedShare = change.unaffectedShare ?? 0.05;
  const jitter = change.rateJitter ?? 0.3;
  const group = effectGroup(change.effect);
  for (const profile of targeted) {
    // Each host's own stream: the draws do not depend on which other hosts are targeted.
    const rng = createRng(deriveSeed(scenario.seed, 'change', profile.index));
    const unaffected = rng.next() < unaffectedShare;
    const rateFactor = Math.exp(jitter * rng.normal());
    let apply = applyTime(change.at, change.lag, rng);
    const bootDelay = rng.uniform(1, 5) * MINUTE;
    // A host provisioned after the change gets it with its first highstate.
    const atProvisioning = profile.joinAt !== null && profile.joinAt > apply;
    if (atProvisioning) apply = (profile.joinAt ?? apply) + bootDelay;
    apply = Math.round(apply);
    if (unaffected || apply >= scenario.to) continue;
    if (profile.leaveAt !== null && apply >= profile.leaveAt) continue;
    if (group !== undefined && !profile.groups.some((g) => g.name === group)) continue;
    plans.set(profile.index, { apply, rateFactor, atProvisioning });
  }
  return plans;
}

function targetHosts(target: Target, profiles: readonly HostProfile[], rng: Rng): HostProfile[] {
  switch (target.kind) {
    case 'all':
      return [...profiles];
    case 'roles':
      return profiles.filter((p) => target.roles.includes(p.role));
    case 'fraction': {
      const chosen = [...profiles];
      shuffle(chosen, rng);
      return chosen.slice(0, Math.round(target.fraction * profiles.length)).sort((a, b) => a.index - b.index);
    }
  }
}

function applyTime(at: number, lag: ApplyLag, rng: Rng): number {
  switch (lag.kind) {
    case 'highstate': {
      // The Salt scheduler runs a highstate every interval from the minion's start, delayed by a random splay.
      const phase = rng.next() * lag.intervalMs;
      return nextTick(at, phase, lag.intervalMs) + rng.next() * lag.splayMs;
    }
    case 'cron':
      return nextTick(at, rng.next() * lag.everyMs, lag.everyMs);
    case 'push':
      return at + rng.next() * lag.spreadMs;
  }
}

/** The first time ≥ at of the form phase + k × period. */
function nextTick(at: number, phase: number, period: number): number {
  return phase + Math.ceil((at - phase) / period) * period;
}

function effectGroup(effect: ChangeEffect): string | undefined {
  if (effect.kind === 'process-leak') return effect.group;
  if (effect.kind === 'step' && effect.component === 'process') return effect.group ?? DEFAULT_STEP_GROUP;
  return undefined;
}

/** The truth's description of what the change grows. */
export function truthComponent(effect: ChangeEffect): { component: string; slab?: string; group?: string } {
  switch (effect.kind) {
    case 'slab-leak':
      return { component: slabMetric(effect.reclaimable), slab: effect.slab };
    case 'process-leak':
      return { component: 'node_memory_AnonPages_bytes', group: effect.group };
    case 'page-cache':
      return { component: 'node_memory_Cached_bytes' };
    case 'step': {
      if (effect.component === 'process')
        return { component: 'node_memory_AnonPages_bytes', group: effect.group ?? DEFAULT_STEP_GROUP };
      if (effect.component === 'page-cache') return { component: 'node_memory_Cached_bytes' };
      const slab = effect.slab ?? DEFAULT_STEP_SLAB;
      const reclaimable = SLAB_CACHES.find((c) => c.name === slab)?.reclaimable ?? false;
      return { component: slabMetric(reclaimable), slab };
    }
  }
}

function slabMetric(reclaimable: boolean): string {
  return reclaimable ? 'node_memory_SReclaimable_bytes' : 'node_memory_SUnreclaim_bytes';
}
