import { expect } from 'vitest';
import { fleetToIngestBatches, simulateFleet, type FleetScenario } from '../../server/sim/fleet-sim.ts';
import { ingestToken, type TestOnset } from '../helpers/onset.ts';

export const hour = 3_600_000;
export const incidentFrom = Date.UTC(2017, 5, 25, 12);
export const incidentTo = incidentFrom + 24 * hour;

/** A dentry leak rolled out by highstate to the whole fleet, half-way through the day. */
export function incidentScenario(name: string, hosts: number, seed = 99): FleetScenario {
  return {
    name,
    seed,
    hosts,
    from: incidentFrom,
    to: incidentTo,
    stepMs: 300_000,
    change: {
      at: incidentFrom + 12 * hour,
      effect: { kind: 'slab-leak', slab: 'dentry', reclaimable: true, ratePerHour: 40 * 2 ** 20 },
      lag: { kind: 'highstate', intervalMs: hour, splayMs: 10 * 60_000 },
      target: { kind: 'all' },
    },
  };
}

/** Simulates the incident and pushes it through the ingest API; `labels` adds labels to the first host. */
export async function loadIncident(
  t: TestOnset,
  scenario: FleetScenario,
  labels: Record<string, string> = {},
) {
  const sim = simulateFleet(scenario);
  Object.assign(sim.fleet.hosts[0]?.labels ?? {}, labels);
  for (const body of fleetToIngestBatches(sim.fleet, 12, 288)) {
    const res = await t.http.post('/api/v1/samples').set('Authorization', `Bearer ${ingestToken}`).send(body);
    expect(res.status).toBe(200);
  }
  return sim;
}
