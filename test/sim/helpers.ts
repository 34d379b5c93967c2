import type { FleetData, HostData, Series } from '../../server/analysis/analysis.models.ts';
import type { ApplyLag, ChangeEffect, FleetScenario, Target } from '../../server/sim/fleet-sim.ts';
import { NOISE_PRESETS } from '../../server/sim/fleet-sim.ts';

export const MiB = 1024 * 1024;
export const MINUTE = 60_000;
export const HOUR = 3_600_000;
export const DAY = 86_400_000;
export const FROM = Date.UTC(2017, 5, 25, 16);

/** A small fleet: one day, 30 hosts, medium noise, unless overridden. */
export function scenario(overrides: Partial<FleetScenario> = {}): FleetScenario {
  return {
    name: 'test-fleet',
    seed: 7,
    hosts: 30,
    from: FROM,
    to: FROM + DAY,
    stepMs: MINUTE,
    change: null,
    noise: { ...NOISE_PRESETS.medium },
    ...overrides,
  };
}

export function hostByName(fleet: FleetData, name: string): HostData {
  const host = fleet.hosts.find((h) => h.host === name);
  if (host === undefined) throw new Error(`no host ${name}`);
  return host;
}

export function series(host: HostData, key: string): Series {
  const s = host.series.get(key);
  if (s === undefined) throw new Error(`${host.host} has no series ${key}`);
  return s;
}

/** The value of a series at sample i. */
export function at(host: HostData, key: string, i: number): number {
  const v = series(host, key).values[i];
  if (v === undefined) throw new Error(`${host.host} ${key} has no sample ${i}`);
  return v;
}

export const mem = (field: string): string => `node_memory_${field}_bytes`;

/** A fleet with a change: pushed to all hosts within a minute at FROM + 6 h unless told otherwise. */
export function changeScenario(
  effect: ChangeEffect,
  change: { at?: number; lag?: ApplyLag; target?: Target } = {},
  overrides: Partial<FleetScenario> = {},
): FleetScenario {
  return scenario({
    ...overrides,
    change: {
      at: change.at ?? FROM + 6 * HOUR,
      effect,
      lag: change.lag ?? { kind: 'push', spreadMs: MINUTE },
      target: change.target ?? { kind: 'all' },
    },
  });
}
