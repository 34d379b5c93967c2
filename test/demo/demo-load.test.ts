import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { demoScenario } from '../../server/demo/demo-incident.ts';
import { loadDemoFleet, seriesChunks } from '../../server/demo/demo-load.ts';
import { analysedSeries } from '../../server/demo/demo-incident.ts';
import { fleetToIngestBatches, simulateFleet } from '../../server/sim/fleet-sim.ts';
import { createTestOnset, ingestToken, type TestOnset } from '../helpers/onset.ts';

const HOUR = 3_600_000;
const FROM = Date.UTC(2017, 5, 25, 12);
/** A small fleet with every kind of noise the demo has: offline hosts, churn, clock skew, missed samples. */
const scenario = { ...demoScenario({ from: FROM, hosts: 8, hours: 7, changeAfterHours: 3, seed: 31 }) };
const sim = simulateFleet(scenario, { keep: analysedSeries });

let viaApi: TestOnset;
let viaChunks: TestOnset;

const pusher = (t: TestOnset) => async (route: string, body: unknown) => {
  const res = await t.http
    .post(route)
    .set('Authorization', `Bearer ${ingestToken}`)
    .send(body as object);
  expect(res.status).toBe(200);
  return res.body as unknown;
};

beforeAll(async () => {
  [viaApi, viaChunks] = await Promise.all([createTestOnset(), createTestOnset()]);
  const push = pusher(viaApi);
  for (const body of fleetToIngestBatches(sim.fleet, 20, 360)) await push('/api/v1/samples', body);
  await loadDemoFleet(viaChunks.onset, sim, pusher(viaChunks));
}, 120_000);
afterAll(async () => {
  await viaApi?.close();
  await viaChunks?.close();
});

interface ChunkDump {
  host: string;
  key: string;
  start: string;
  offsets: number[];
  vals: number[];
  means: number[];
}

/** Every chunk, by host, series and hour; the means decoded from their big-endian float4. */
async function chunks(t: TestOnset): Promise<ChunkDump[]> {
  const { rows } = await sql<{
    host: string;
    key: string;
    start: Date;
    offsets: number[];
    vals: number[];
    means: Uint8Array;
  }>`SELECT h.name AS host, s.key, c.start, c.offsets, c.vals, c.means
     FROM sample_chunks c JOIN series s ON s.id = c.series_id JOIN hosts h ON h.id = s.host_id
     ORDER BY h.name, s.key, c.start`.execute(t.onset.database.db);
  return rows.map((r) => {
    const view = new DataView(r.means.buffer, r.means.byteOffset, r.means.byteLength);
    return {
      host: r.host,
      key: r.key,
      start: new Date(r.start).toISOString(),
      offsets: r.offsets.map(Number),
      vals: r.vals.map(Number),
      means: Array.from({ length: r.means.byteLength / 4 }, (_, i) => view.getFloat32(4 * i)),
    };
  });
}

const tables = (t: TestOnset) =>
  sql<{ host: string; labels: unknown; first_ts: Date; last_ts: Date; series: number; keys: string[] }>`
    SELECT h.name AS host, h.labels, h.first_ts, h.last_ts, count(s.id)::int AS series,
           array_agg(s.key || ' ' || s.metric || ' ' || s.labels::text ORDER BY s.key) AS keys
    FROM hosts h JOIN series s ON s.host_id = h.id GROUP BY h.id ORDER BY h.name`
    .execute(t.onset.database.db)
    .then((r) => r.rows);

describe('the demo loader', () => {
  it('stores the hosts and series the API stores', async () => {
    const expected = await tables(viaApi);
    expect(expected.length).toBe(sim.fleet.hosts.length);
    expect(await tables(viaChunks)).toEqual(expected);
  });

  it('leaves, once compacted, the very chunks that ingest and compaction leave', async () => {
    const end = new Date(Math.ceil(scenario.to / HOUR) * HOUR + HOUR);
    const [a, b] = await Promise.all([
      viaApi.onset.storage.compact(end),
      viaChunks.onset.storage.compact(end),
    ]);
    expect(a).toBeGreaterThan(b);
    const expected = await chunks(viaApi);
    const actual = await chunks(viaChunks);
    expect(actual.length).toBe(expected.length);
    expect(expected.length).toBeGreaterThan(sim.fleet.hosts.length * 6);
    for (let i = 0; i < expected.length; i++) {
      const e = expected[i] as ChunkDump;
      const g = actual[i] as ChunkDump;
      expect({ ...g, means: [] }).toEqual({ ...e, means: [] });
      // PostgreSQL sums a slot in its own order: the float4 means may differ in their last bit.
      g.means.forEach((m, j) => {
        const want = e.means[j] as number;
        if (Number.isNaN(want)) expect(m).toBeNaN();
        else expect(Math.abs(m - want)).toBeLessThanOrEqual(Math.abs(want) * 2 ** -22);
      });
    }
  }, 60_000);

  it('keeps times to the second and drops a second sample in the same second', () => {
    const base = Date.UTC(2017, 5, 25, 12);
    const got = seriesChunks(
      7,
      [base + 400, base + 900, base + 301_500, base + HOUR],
      [1, 2, 3, 4],
      base,
      base + HOUR,
    );
    expect(got).toHaveLength(1);
    expect(got[0]).toMatchObject({ series_id: 7, offsets: [0, 301], vals: [1, 3] });
    const means = got[0]?.means as Buffer;
    expect(means.readFloatBE(0)).toBe(1);
    expect(means.readFloatBE(4)).toBe(3);
    expect(means.readFloatBE(8)).toBeNaN();
  });
});
