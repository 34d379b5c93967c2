import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildHost, minute } from './helpers/fixtures.ts';
import { createTestOnset, ingestToken, readToken, type TestOnset } from './helpers/onset.ts';

let t: TestOnset;
beforeAll(async () => {
  t = await createTestOnset();
});
afterAll(() => t.close());

const start = Date.UTC(2017, 5, 26, 0, 0);
const read = (path: string, token = readToken) => t.http.get(path).set('Authorization', `Bearer ${token}`);

async function pushLinear(count: number) {
  const host = buildHost({ start, count });
  host.samples = Array.from({ length: count }, (_, i) => ({
    ts: start + i * minute,
    values: {
      node_memory_Slab_bytes: i * 100,
      'node_slabinfo_objects{slab="dentry"}': i,
      'node_slabinfo_objects{slab="inode_cache"}': 2 * i,
    },
  }));
  const res = await t.http
    .post('/api/v1/samples')
    .set('Authorization', `Bearer ${ingestToken}`)
    .send({ hosts: [host] });
  expect(res.status).toBe(200);
  return host.host;
}

describe('reading', () => {
  it('lists hosts with labels, first and last sample and number of series', async () => {
    const host = await pushLinear(30);
    const res = await read('/api/v1/hosts');
    expect(res.status).toBe(200);
    expect(res.body.hosts.find((h: { name: string }) => h.name === host)).toEqual({
      name: host,
      labels: { role: 'web', dc: 'ams1' },
      first_sample: new Date(start).toISOString(),
      last_sample: new Date(start + 29 * minute).toISOString(),
      series: 3,
    });
  });

  it('downsamples by averaging each step, before and after compaction, selecting by labels', async () => {
    const host = await pushLinear(180);
    const q = `/api/v1/series?host=${host}&metric=${encodeURIComponent('node_slabinfo_objects{slab="dentry"}')}&from=${new Date(start).toISOString()}&to=${new Date(start + 3 * 3_600_000).toISOString()}&step=1h`;
    const expected = [
      [start, 29.5],
      [start + 3_600_000, 89.5],
      [start + 7_200_000, 149.5],
    ];
    const before = await read(q);
    expect(before.status).toBe(200);
    expect(before.body.series).toHaveLength(1);
    expect(before.body.series[0].points).toEqual(expected);

    expect(await t.onset.storage.compact(new Date(start + 2 * 3_600_000))).toBeGreaterThan(0);
    const after = await read(q);
    expect(after.body.series[0].points).toEqual(expected);

    const all = await read(
      `/api/v1/series?host=${host}&metric=node_slabinfo_objects&from=${start}&to=${start + 3_600_000}&step=30m`,
    );
    expect(all.body.series.map((s: { labels: { slab: string } }) => s.labels.slab)).toEqual([
      'dentry',
      'inode_cache',
    ]);
  });

  it('keeps the stored value when a compacted sample is sent again', async () => {
    const host = buildHost({ start, count: 1 });
    host.samples = [{ ts: start, values: { node_memory_MemFree_bytes: 10 } }];
    const push = (value: number) => {
      host.samples[0]!.values = { node_memory_MemFree_bytes: value };
      return t.http
        .post('/api/v1/samples')
        .set('Authorization', `Bearer ${ingestToken}`)
        .send({ hosts: [host] });
    };
    await push(10);
    await t.onset.storage.compact(new Date(start + 3_600_000));
    await push(99);
    await t.onset.storage.compact(new Date(start + 3_600_000));
    const res = await read(
      `/api/v1/series?host=${host.host}&metric=node_memory_MemFree_bytes&from=${start}&to=${start + minute}&step=1m`,
    );
    expect(res.body.series[0].points).toEqual([[start, 10]]);
  });

  it('refuses an ingest token, an unknown host and a bad query', async () => {
    expect((await read('/api/v1/hosts', ingestToken)).status).toBe(403);
    expect((await read('/api/v1/series?host=nope&metric=up')).status).toBe(404);
    const bad = await read('/api/v1/series?host=x&metric=up&from=yesterday');
    expect(bad.status).toBe(400);
    expect(bad.body.error.details[0].path).toBe('from');
    expect(
      (
        await read(
          '/api/v1/series?host=x&metric=up&step=1s&from=2017-01-01T00:00:00Z&to=2017-02-01T00:00:00Z',
        )
      ).status,
    ).toBe(400);
  });

  it('drops data past retention', async () => {
    const host = await pushLinear(10);
    await t.onset.storage.compact(new Date(start + 3_600_000));
    const deleted = await t.onset.storage.applyRetention(new Date(start + 31 * 86_400_000));
    expect(deleted).toBeGreaterThan(0);
    const res = await read(
      `/api/v1/series?host=${host}&metric=node_memory_Slab_bytes&from=${start}&to=${start + 3_600_000}&step=1m`,
    );
    expect(res.body.series[0].points).toEqual([]);
  });
});

describe('operations', () => {
  it('answers /healthz and /metrics', async () => {
    expect((await t.http.get('/healthz')).body).toEqual({ status: 'ok', pending: [] });
    await pushLinear(2);
    const metrics = await t.http.get('/metrics');
    expect(metrics.text).toMatch(/onset_samples_ingested_total \d+/);
    expect(metrics.text).toMatch(/onset_http_request_duration_seconds_bucket\{.*route="\/api\/v1\/samples"/);
  });

  it('answers unknown API paths with a JSON 404', async () => {
    const res = await read('/api/v1/nope');
    expect(res.status).toBe(404);
    expect(res.body.error.code).toBe('not_found');
  });
});
