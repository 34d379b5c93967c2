import { describe, expect, it } from 'vitest';
import { simulateFleet } from '../../server/sim/fleet-sim.ts';
import { evalScenarios } from '../../server/sim/scenarios.ts';
import { DAY } from './helpers.ts';

describe('evaluation scenarios', () => {
  const test = evalScenarios('test');
  const tune = evalScenarios('tune');

  it('are fixed: the same list every time', () => {
    expect(evalScenarios('test')).toEqual(test);
  });

  it('hold at least 200 test fleets, with seeds and names apart from the tuning set', () => {
    expect(test.length).toBeGreaterThanOrEqual(200);
    expect(tune.length).toBeGreaterThan(0);
    const testSeeds = new Set(test.map((s) => s.seed));
    expect(testSeeds.size).toBe(test.length);
    for (const s of tune) expect(testSeeds.has(s.seed)).toBe(false);
    expect(new Set([...test, ...tune].map((s) => s.name)).size).toBe(test.length + tune.length);
  });

  it('leave about a quarter without a change', () => {
    const share = test.filter((s) => s.change === null).length / test.length;
    expect(share).toBeGreaterThan(0.2);
    expect(share).toBeLessThan(0.3);
  });

  it('cover every effect × lag model × target', () => {
    const combos = new Set(
      test.flatMap((s) => {
        if (s.change === null) return [];
        const e = s.change.effect;
        const effect = e.kind === 'step' ? `step-${e.component}` : e.kind;
        return [`${effect}/${s.change.lag.kind}/${s.change.target.kind}`];
      }),
    );
    const effects = [
      'slab-leak',
      'process-leak',
      'page-cache',
      'step-slab',
      'step-process',
      'step-page-cache',
    ];
    for (const effect of effects)
      for (const lag of ['highstate', 'cron', 'push'])
        for (const target of ['all', 'roles', 'fraction'])
          expect(combos).toContain(`${effect}/${lag}/${target}`);
  });

  it('vary fleet size, window, step and noise within the stated ranges', () => {
    for (const s of [...test, ...tune]) {
      expect(s.hosts).toBeGreaterThanOrEqual(20);
      expect(s.hosts).toBeLessThanOrEqual(300);
      expect(s.to - s.from).toBeGreaterThanOrEqual(DAY);
      expect(s.to - s.from).toBeLessThanOrEqual(2 * DAY);
      if (s.change !== null) {
        // Enough history before the change, and time after it for the growth to show.
        expect(s.change.at - s.from).toBeGreaterThanOrEqual(0.25 * (s.to - s.from));
        expect(s.to - s.change.at).toBeGreaterThanOrEqual(0.35 * (s.to - s.from));
      }
    }
    const steps = new Set(test.map((s) => s.stepMs));
    expect(steps).toEqual(new Set([15_000, 60_000, 300_000]));
    expect(test.filter((s) => s.stepMs === 60_000).length / test.length).toBeGreaterThan(0.8);
    expect(new Set(test.map((s) => s.noise?.clockSkewMs)).size).toBe(3);
    expect(Math.min(...test.map((s) => s.hosts))).toBeLessThanOrEqual(30);
    expect(Math.max(...test.map((s) => s.hosts))).toBe(300);
  });

  it('simulate', () => {
    const small = [...tune].sort((a, b) => a.hosts - b.hosts).slice(0, 3);
    for (const s of small) {
      const { fleet, truth } = simulateFleet(s, { keep: (key) => key.startsWith('node_memory_') });
      expect(fleet.hosts.length).toBeGreaterThan(0.8 * s.hosts);
      expect(truth.change === null).toBe(s.change === null);
    }
  });
});
