import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { FleetData } from '../../server/analysis/analysis.models.ts';
import { createAnalysisService } from '../../server/analysis/analysis.service.ts';
import { analyzeFleet, analyzeHost } from '../../server/analysis/analyze-fleet.ts';
import { createDetectPool } from '../../server/analysis/detect-pool.ts';
import { type HostGrids, type SlotGrid, hostSeries } from '../../server/analysis/slot-grid.ts';
import { fleetToIngestBatches, simulateFleet, type FleetScenario } from '../../server/sim/fleet-sim.ts';
import { createTestOnset, ingestToken, type TestOnset } from '../helpers/onset.ts';

const hour = 3_600_000;
const slotMs = 300_000;
const from = Date.UTC(2017, 5, 25, 12);
const to = from + 30 * hour;

// A process leak pushed to every host: attribution then reads process groups as well as components.
const scenario: FleetScenario = {
  name: 'pool-process-leak',
  seed: 5150,
  hosts: 12,
  from,
  to,
  stepMs: 300_000,
  change: {
    at: from + 14 * hour,
    effect: { kind: 'process-leak', group: 'salt-minion', ratePerHour: 60 * 2 ** 20 },
    lag: { kind: 'push', spreadMs: 20 * 60_000 },
    target: { kind: 'all' },
  },
};

/** The simulated fleet as slot grids, one cell per 5-minute slot from the window's first hour. */
function gridsOf(fleet: FleetData): HostGrids[] {
  const first = Math.floor(fleet.from / hour) * hour;
  const cellCount = Math.ceil((fleet.to - first) / slotMs);
  return fleet.hosts.map((h) => {
    const series = new Map<string, SlotGrid>();
    for (const [key, s] of h.series) {
      const sums = new Float64Array(cellCount);
      const counts = new Float64Array(cellCount);
      s.ts.forEach((t, i) => {
        const cell = Math.floor((t - first) / slotMs);
        if (cell < 0 || cell >= cellCount || !Number.isFinite(s.values[i])) return;
        sums[cell] = (sums[cell] as number) + (s.values[i] as number);
        counts[cell] = (counts[cell] as number) + 1;
      });
      const cells = sums.map((v, i) => ((counts[i] as number) > 0 ? v / (counts[i] as number) : NaN));
      series.set(key, { first, slotMs, cells });
    }
    return { host: h.host, labels: h.labels, series };
  });
}

describe('the detection pool', () => {
  it('finds what detection on this thread finds, and hands the grids back intact', async () => {
    const grids = gridsOf(simulateFleet(scenario).fleet);
    const copies = grids.map((h) => [...h.series.values()].map((g) => Float64Array.from(g.cells)));
    const inline = grids.map((h) => analyzeHost(hostSeries(h, from, to)));
    const pool = createDetectPool(2);
    try {
      const pooled = await pool.detect(grids, { from, to });
      expect(pooled.map((r) => r.host)).toEqual(grids.map((h) => h.host));
      expect(pooled).toEqual(inline);
      expect(inline.some((r) => r.series.some(([, s]) => s.onsets.length > 0))).toBe(true);
      grids.forEach((h, i) => expect([...h.series.values()].map((g) => g.cells)).toEqual(copies[i]));
      // The workers stay for the next analysis.
      expect(await pool.detect(grids.slice(0, 3), { from, to })).toEqual(inline.slice(0, 3));
    } finally {
      await pool.close();
    }
    await expect(pool.detect(grids, { from, to })).rejects.toThrow(/closed/);
  }, 120_000);
});

describe('the analysis read in batches and detected on workers', () => {
  let t: TestOnset;
  beforeAll(async () => {
    t = await createTestOnset();
    const sim = simulateFleet(scenario);
    for (const body of fleetToIngestBatches(sim.fleet, 12, 240)) {
      const res = await t.http
        .post('/api/v1/samples')
        .set('Authorization', `Bearer ${ingestToken}`)
        .send(body);
      expect(res.status).toBe(200);
    }
    // Half the window compacted into chunks, half still recent rows: the read combines both.
    await t.onset.storage.compact(new Date(from + 15 * hour));
  }, 180_000);
  afterAll(() => t.close());

  it('answers exactly as one read detected on this thread', async () => {
    const w = { from, to };
    const reference = analyzeFleet(await t.onset.analysis.fleet(w));
    expect(reference.onset).not.toBeNull();
    expect(reference.hosts.length).toBe(scenario.hosts);
    for (const deps of [
      { workers: 0, batchHosts: 5 },
      { workers: 2, batchHosts: 5 },
      { workers: 2, batchHosts: 1000 },
    ]) {
      const service = createAnalysisService(t.onset.database.db, deps);
      try {
        const { suspects: _s, timings: _t, ...answer } = await service.analyze(w);
        expect(answer, JSON.stringify(deps)).toEqual(reference);
      } finally {
        await service.close?.();
      }
    }
  }, 180_000);
});
