import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fleetToIngestBatches, simulateFleet, type FleetScenario } from '../server/sim/fleet-sim.ts';
import { createTestOnset, ingestToken, readToken, type TestOnset } from './helpers/onset.ts';

let t: TestOnset;
beforeAll(async () => {
  t = await createTestOnset();
});
afterAll(() => t.close());

const hour = 3_600_000;
const from = Date.UTC(2017, 5, 25, 12);
const to = from + 30 * hour;

async function load(scenario: FleetScenario) {
  const sim = simulateFleet(scenario);
  for (const body of fleetToIngestBatches(sim.fleet, 20, 240)) {
    const res = await t.http.post('/api/v1/samples').set('Authorization', `Bearer ${ingestToken}`).send(body);
    expect(res.status).toBe(200);
  }
  return sim;
}

const analysis = (window = `from=${new Date(from).toISOString()}&to=${new Date(to).toISOString()}`) =>
  t.http.get(`/api/v1/analysis?${window}`).set('Authorization', `Bearer ${readToken}`);

describe('GET /api/v1/analysis', () => {
  it('finds a fleet-wide dentry leak from stored samples, before and after compaction', async () => {
    const { truth } = await load({
      name: 'api-slab-leak',
      seed: 4242,
      hosts: 24,
      from,
      to,
      stepMs: 300_000,
      change: {
        at: from + 14 * hour,
        effect: { kind: 'slab-leak', slab: 'dentry', reclaimable: true, ratePerHour: 40 * 2 ** 20 },
        lag: { kind: 'highstate', intervalMs: hour, splayMs: 10 * 60_000 },
        target: { kind: 'all' },
      },
    });
    const trueFirst = Math.min(...truth.change!.hosts.values());
    for (const compacted of [false, true]) {
      if (compacted) await t.onset.storage.compact(new Date(to));
      const res = await analysis();
      expect(res.status).toBe(200);
      expect(res.body.hosts_total).toBe(24);
      expect(res.body.onset).not.toBeNull();
      expect(Math.abs(Date.parse(res.body.onset.ts) - trueFirst)).toBeLessThan(30 * 60_000);
      // The leak starts while the nightly updatedb burst still drains on several hosts: their onsets are
      // placed late or missed (docs/evaluation.md), so this checks the path end to end, not the recall.
      const named: string[] = res.body.onset.hosts.map((h: { host: string }) => h.host);
      expect(named.length).toBeGreaterThanOrEqual(truth.change!.hosts.size * 0.6);
      expect(named.filter((h) => truth.change!.hosts.has(h)).length).toBe(named.length);
      expect(res.body.components[0].metric).toBe('node_memory_SReclaimable_bytes');
      expect(res.body.slab_caches[0].slab).toBe('dentry');
      expect(res.body.suspects).toEqual([]);
    }
  }, 180_000);

  it('answers with the contract fields and validates the window', async () => {
    const res = await analysis(
      `from=${new Date(to + 10 * hour).toISOString()}&to=${new Date(to + 20 * hour).toISOString()}`,
    );
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ hosts_total: 0, onset: null, components: [], suspects: [] });
    expect((await analysis('from=yesterday')).status).toBe(400);
    expect((await t.http.get('/api/v1/analysis').set('Authorization', `Bearer ${ingestToken}`)).status).toBe(
      403,
    );
  });
});
