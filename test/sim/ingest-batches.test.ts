import { describe, expect, it } from 'vitest';
import { fleetToIngestBatches, NOISE_PRESETS, simulateFleet } from '../../server/sim/fleet-sim.ts';
import { FROM, HOUR, scenario } from './helpers.ts';

describe('fleetToIngestBatches', () => {
  const { fleet } = simulateFleet(
    scenario({ hosts: 5, to: FROM + 2 * HOUR, noise: { ...NOISE_PRESETS.none } }),
  );

  it('splits the fleet into bodies of POST /api/v1/samples', () => {
    const bodies = [...fleetToIngestBatches(fleet, 2, 50)];
    // 3 groups of hosts × 120 samples in rounds of 50.
    expect(bodies.length).toBe(9);
    let samples = 0;
    for (const body of bodies) {
      expect(body.hosts.length).toBeLessThanOrEqual(2);
      for (const h of body.hosts) {
        expect(h.samples.length).toBeLessThanOrEqual(50);
        expect(h.labels).toEqual(fleet.hosts.find((x) => x.host === h.host)?.labels);
        for (const sample of h.samples) {
          expect(typeof sample.ts).toBe('string');
          expect(new Date(sample.ts).toISOString()).toBe(sample.ts);
        }
        samples += h.samples.length;
      }
    }
    expect(samples).toBe(
      fleet.hosts.reduce((sum, h) => sum + (h.series.values().next().value?.ts.length ?? 0), 0),
    );
  });

  it('carries every series of a host at each timestamp', () => {
    const [body] = fleetToIngestBatches(fleet, 1, 3, { timestamps: 'epoch-ms' });
    const sent = body?.hosts[0];
    const host = fleet.hosts[0];
    if (sent === undefined || host === undefined) throw new Error('no batch');
    expect(sent.host).toBe(host.host);
    sent.samples.forEach((sample, i) => {
      expect(Object.keys(sample.values).sort()).toEqual([...host.series.keys()].sort());
      for (const [key, s] of host.series) {
        expect(sample.ts).toBe(s.ts[i]);
        expect(sample.values[key]).toBe(s.values[i]);
      }
    });
    expect(JSON.parse(JSON.stringify(body))).toEqual(body);
  });

  it('merges series that were sampled at different times', () => {
    const ts = (xs: number[]) => Float64Array.from(xs);
    const bodies = [
      ...fleetToIngestBatches(
        {
          from: 0,
          to: 1e13,
          hosts: [
            {
              host: 'a',
              labels: {},
              series: new Map([
                ['x', { ts: ts([1e12, 1e12 + 60_000]), values: ts([1, 2]) }],
                ['y', { ts: ts([1e12 + 60_000, 1e12 + 120_000]), values: ts([3, 4]) }],
              ]),
            },
          ],
        },
        10,
        10,
        { timestamps: 'epoch-ms' },
      ),
    ];
    expect(bodies[0]?.hosts[0]?.samples).toEqual([
      { ts: 1e12, values: { x: 1 } },
      { ts: 1e12 + 60_000, values: { x: 2, y: 3 } },
      { ts: 1e12 + 120_000, values: { y: 4 } },
    ]);
  });
});
