import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildHeatmap } from '../../server/analysis/heatmap.service.ts';
import { createTestOnset, readToken, type TestOnset } from '../helpers/onset.ts';
import {
  hour,
  incidentFrom as from,
  incidentScenario,
  incidentTo as to,
  loadIncident,
} from './web-fixtures.ts';

let t: TestOnset;
beforeAll(async () => {
  t = await createTestOnset();
});
afterAll(() => t.close());

const series = (points: [number, number][]) => ({
  ts: Float64Array.from(points, (p) => p[0]),
  values: Float64Array.from(points, (p) => p[1]),
});

describe('heatmap', () => {
  it('normalises each host between its lowest and highest used memory, with gaps as NaN', () => {
    const gib = 2 ** 30;
    const step = hour;
    const total = series([0, 1, 2, 3].map((h) => [from + h * hour + 1, 4 * gib]));
    const free = series([
      [from + 1, 3 * gib],
      [from + hour + 1, 2.5 * gib],
      [from + 3 * hour + 1, 2 * gib],
    ]);
    const flatFree = series([0, 1, 2, 3].map((h) => [from + h * hour + 1, 3 * gib + h * 1000]));
    const heat = buildHeatmap(
      {
        from,
        to: from + 4 * hour,
        hosts: [
          {
            host: 'a',
            labels: {},
            series: new Map([
              ['node_memory_MemTotal_bytes', total],
              ['node_memory_MemFree_bytes', free],
            ]),
          },
          {
            host: 'flat',
            labels: {},
            series: new Map([
              ['node_memory_MemTotal_bytes', total],
              ['node_memory_MemFree_bytes', flatFree],
            ]),
          },
          { host: 'no-total', labels: {}, series: new Map([['node_memory_MemFree_bytes', free]]) },
        ],
      },
      step,
    );
    expect(heat.columns).toBe(4);
    expect(heat.rows.map((r) => r.host)).toEqual(['a', 'flat']);
    expect(heat.composition).toEqual([]);
    const a = heat.rows[0]!;
    expect([...a.values.slice(0, 2)]).toEqual([0, 0.5]);
    expect(a.values[2]).toBeNaN();
    expect(a.values[3]).toBe(1);
    expect(a.min).toBe(gib);
    expect(a.max).toBe(2 * gib);
    // 3 kB of movement on a 4 GiB host is noise: it stays near zero.
    expect(Math.max(...heat.rows[1]!.values)).toBeLessThan(0.001);
  });

  it('answers per-host arrays of whole percentages, rows for every host that sent memory', async () => {
    await loadIncident(t, incidentScenario('heatmap-api', 12));
    const q = `from=${new Date(from).toISOString()}&to=${new Date(to).toISOString()}`;
    const res = await t.http.get(`/api/v1/analysis/heatmap?${q}`).set('Authorization', `Bearer ${readToken}`);
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ metric: 'used', step_seconds: 600, columns: 144 });
    expect(res.body.hosts).toHaveLength(12);
    for (const h of res.body.hosts as { values: (number | null)[]; min_bytes: number; max_bytes: number }[]) {
      expect(h.values).toHaveLength(144);
      for (const v of h.values) if (v !== null) expect(Number.isInteger(v) && v >= 0 && v <= 100).toBe(true);
      expect(h.max_bytes).toBeGreaterThan(h.min_bytes);
    }
    const composition = res.body.composition as { metric: string; values: (number | null)[] }[];
    expect(composition.map((c) => c.metric)).toContain('node_memory_SReclaimable_bytes');
    const slab = composition.find((c) => c.metric === 'node_memory_SReclaimable_bytes')!.values;
    expect(slab).toHaveLength(144);
    // Twelve hours of a 40 MiB/h leak on the average host.
    expect((slab.at(-2) as number) - (slab[1] as number)).toBeGreaterThan(300 * 2 ** 20);
    // The leak makes the late columns the hot ones on most hosts.
    const hot = (res.body.hosts as { values: (number | null)[] }[]).filter(
      (h) => (h.values.at(-2) ?? 0) > 70,
    );
    expect(hot.length).toBeGreaterThanOrEqual(9);

    const hourly = await t.http
      .get(`/api/v1/analysis/heatmap?${q}&step=1h`)
      .set('Authorization', `Bearer ${readToken}`);
    expect(hourly.body.columns).toBe(24);
    for (const bad of ['step=7m', 'step=1s', 'metric=slab', 'from=tomorrow']) {
      const r = await t.http
        .get(`/api/v1/analysis/heatmap?${q}&${bad}`)
        .set('Authorization', `Bearer ${readToken}`);
      expect(r.status, bad).toBe(400);
    }
    expect((await t.http.get(`/api/v1/analysis/heatmap?${q}`)).status).toBe(401);
  }, 120_000);
});
