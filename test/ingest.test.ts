import { gzipSync } from 'node:zlib';
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildBatch, buildHost, uniqueHost } from './helpers/fixtures.ts';
import { createTestOnset, ingestToken, readToken, type TestOnset } from './helpers/onset.ts';

let t: TestOnset;
beforeAll(async () => {
  t = await createTestOnset();
});
afterAll(() => t.close());

const push = (body: unknown, token = ingestToken) =>
  t.http
    .post('/api/v1/samples')
    .set('Authorization', `Bearer ${token}`)
    .send(body as object);

async function storedValues(host: string): Promise<number> {
  const { rows } = await sql<{ n: number }>`
    SELECT count(*)::int AS n FROM (
      SELECT r.series_id, r.ts FROM samples r JOIN series s ON s.id = r.series_id JOIN hosts h ON h.id = s.host_id WHERE h.name = ${host}
      UNION
      SELECT c.series_id, c.start + o * interval '1 ms' FROM sample_chunks c CROSS JOIN LATERAL unnest(c.offsets) o
        JOIN series s ON s.id = c.series_id JOIN hosts h ON h.id = s.host_id WHERE h.name = ${host}
    ) x`.execute(t.onset.database.db);
  return rows[0]?.n ?? 0;
}

/** The host's rows in the recent-samples table, by series and time. */
async function storedRows(host: string): Promise<Array<{ key: string; ts: number; value: number }>> {
  const { rows } = await sql<{ key: string; ms: number; value: number }>`
    SELECT s.key, (extract(epoch FROM r.ts) * 1000)::float8 AS ms, r.value
    FROM samples r JOIN series s ON s.id = r.series_id JOIN hosts h ON h.id = s.host_id
    WHERE h.name = ${host} ORDER BY s.key, r.ts`.execute(t.onset.database.db);
  return rows.map((r) => ({ key: r.key, ts: Number(r.ms), value: Number(r.value) }));
}

async function totalRows(): Promise<number> {
  const { rows } = await sql<{
    n: number;
  }>`SELECT ((SELECT count(*) FROM samples) + (SELECT count(*) FROM hosts))::int AS n`.execute(
    t.onset.database.db,
  );
  return rows[0]?.n ?? 0;
}

describe('POST /api/v1/samples', () => {
  it('stores a batch and reads it back', async () => {
    const body = buildBatch([
      { metrics: ['node_memory_Slab_bytes', 'node_slabinfo_objects{slab="dentry"}'], count: 5 },
    ]);
    const res = await push(body);
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ hosts: 1, values: 10, stored: 10 });
    expect(await storedValues(body.hosts[0]!.host)).toBe(10);
  });

  it('accepts epoch milliseconds and gzip bodies', async () => {
    const host = buildHost();
    host.samples = [{ ts: Date.UTC(2017, 5, 26, 7), values: { node_memory_MemFree_bytes: 42 } }];
    const res = await t.http
      .post('/api/v1/samples')
      .set('Authorization', `Bearer ${ingestToken}`)
      .set('Content-Type', 'application/json')
      .set('Content-Encoding', 'gzip')
      .serialize(rawBody)
      .send(gzipSync(JSON.stringify({ hosts: [host] })));
    expect(res.status).toBe(200);
    expect(await storedValues(host.host)).toBe(1);
  });

  it('stores a batch sent three times once, one after another and concurrently', async () => {
    const body = buildBatch([
      { count: 20, metrics: ['node_memory_Slab_bytes', 'node_memory_MemFree_bytes'] },
      { count: 20 },
    ]);
    for (let i = 0; i < 3; i++) expect((await push(body)).status).toBe(200);
    const concurrent = await Promise.all([push(body), push(body), push(body)]);
    expect(concurrent.map((r) => r.status)).toEqual([200, 200, 200]);
    const fresh = buildBatch([{ count: 10 }]);
    const first = await Promise.all([push(fresh), push(fresh), push(fresh)]);
    expect(first.map((r) => r.status)).toEqual([200, 200, 200]);
    expect(first.reduce((n, r) => n + (r.body.stored as number), 0)).toBe(10);
    expect(await storedValues(body.hosts[0]!.host)).toBe(40);
    expect(await storedValues(body.hosts[1]!.host)).toBe(20);
    expect(await storedValues(fresh.hosts[0]!.host)).toBe(10);
  });

  it('stores samples sent out of time order, keeping the first sent of two in one second', async () => {
    const host = uniqueHost();
    const at = (s: number) => Date.UTC(2017, 5, 26, 6, 0, s);
    const samples = [
      { ts: at(120), values: { node_memory_Slab_bytes: 3 } },
      { ts: at(0), values: { node_memory_Slab_bytes: 1 } },
      { ts: at(0) + 500, values: { node_memory_Slab_bytes: 9 } },
      { ts: at(60), values: { node_memory_Slab_bytes: 2 } },
    ];
    const res = await push({ hosts: [{ host, samples }] });
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ values: 4, stored: 3 });
    expect(await storedRows(host)).toEqual([
      { key: 'node_memory_Slab_bytes', ts: at(0), value: 1 },
      { key: 'node_memory_Slab_bytes', ts: at(60), value: 2 },
      { key: 'node_memory_Slab_bytes', ts: at(120), value: 3 },
    ]);
    const again = await push({ hosts: [{ host, samples: [...samples].reverse() }] });
    expect(again.body).toMatchObject({ values: 4, stored: 0 });
    expect((await storedRows(host)).map((r) => r.value)).toEqual([1, 2, 3]);
  });

  it('takes a series named with its labels in another order as the same series', async () => {
    const host = uniqueHost();
    const res = await push({
      hosts: [
        {
          host,
          samples: [
            { ts: '2017-06-26T06:00:00Z', values: { 'node_slabinfo_objects{a="1",slab="dentry"}': 5 } },
            { ts: '2017-06-26T06:01:00Z', values: { 'node_slabinfo_objects{slab="dentry",a="1"}': 6 } },
          ],
        },
      ],
    });
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ values: 2, stored: 2 });
    const rows = await storedRows(host);
    expect(rows.map((r) => [r.key, r.value])).toEqual([
      ['node_slabinfo_objects{a="1",slab="dentry"}', 5],
      ['node_slabinfo_objects{a="1",slab="dentry"}', 6],
    ]);
  });

  it('refuses a missing, wrong or read-only token', async () => {
    expect((await t.http.post('/api/v1/samples').send(buildBatch())).status).toBe(401);
    expect((await push(buildBatch(), 'not-a-token-at-all-0000')).status).toBe(401);
    const res = await push(buildBatch(), readToken);
    expect(res.status).toBe(403);
    expect(res.body.error.code).toBe('auth.forbidden');
  });

  it('counts refused requests by code on /metrics, and only those of this endpoint', async () => {
    const rejected = async (code: string) => {
      const text = (await t.http.get('/metrics')).text;
      const line = text
        .split('\n')
        .find((l) => l.startsWith(`onset_ingest_rejected_requests_total{code="${code}"}`));
      return line === undefined ? 0 : Number(line.split(' ').at(-1));
    };
    const invalid = await rejected('request.invalid');
    const forbidden = await rejected('auth.forbidden');
    const media = await rejected('request.unsupported_media_type');
    expect((await push(withValues({ node_memory_Slab_bytes: -1 }))).status).toBe(400);
    expect((await push(buildBatch(), readToken)).status).toBe(403);
    expect((await push(buildBatch())).status).toBe(200);
    const otherEndpoint = await t.http
      .post('/api/v1/changes')
      .set('Authorization', `Bearer ${ingestToken}`)
      .set('Content-Type', 'text/plain')
      .send('x');
    expect(otherEndpoint.status).toBe(415);
    expect(await rejected('request.invalid')).toBe(invalid + 1);
    expect(await rejected('auth.forbidden')).toBe(forbidden + 1);
    expect(await rejected('request.unsupported_media_type')).toBe(media);
  });

  describe('bad input gets a clear 4xx and stores nothing', () => {
    const future = new Date(Date.now() + 3_600_000).toISOString();
    const cases: Array<[string, () => unknown, number, RegExp?]> = [
      ['a JSON scalar', () => '42', 400],
      ['an unknown top-level field', () => ({ ...buildBatch(), extra: 1 }), 400, /extra/],
      [
        'an unknown sample field',
        () => withSample({ ts: '2017-06-26T06:00:00Z', values: {}, value: 3 }),
        400,
        /value/,
      ],
      ['NaN as a value (a string)', () => withValues({ node_memory_Slab_bytes: 'NaN' }), 400, /values/],
      [
        'Infinity as a value',
        () =>
          '{"hosts":[{"host":"h1","samples":[{"ts":1500000000000,"values":{"node_memory_Slab_bytes":1e999}}]}]}',
        400,
      ],
      [
        'a string as a value',
        () => withValues({ node_memory_Slab_bytes: '12' }),
        400,
        /node_memory_Slab_bytes/,
      ],
      ['a negative _bytes value', () => withValues({ node_memory_Slab_bytes: -1 }), 400, /negative/],
      [
        'a timestamp before 2000',
        () => withSample({ ts: '1999-12-31T23:59:59Z', values: { a: 1 } }),
        400,
        /2000/,
      ],
      ['a timestamp in the future', () => withSample({ ts: future, values: { a: 1 } }), 400, /future/],
      [
        'a timestamp that is not RFC 3339',
        () => withSample({ ts: '26/06/2017', values: { a: 1 } }),
        400,
        /RFC 3339/,
      ],
      [
        'a host name that cannot be a minion id',
        () => ({ hosts: [{ ...buildHost(), host: 'web 001/../x' }] }),
        400,
        /minion/,
      ],
      [
        'a 10,000-character host name',
        () => ({ hosts: [{ ...buildHost(), host: 'a'.repeat(10_000) }] }),
        400,
        /253/,
      ],
      ['a 10,000-character metric name', () => withValues({ ['m'.repeat(10_000)]: 1 }), 400],
      [
        'a __proto__ value key',
        () => '{"hosts":[{"host":"h1","samples":[{"ts":1500000000000,"values":{"__proto__":1}}]}]}',
        400,
        /reserved/,
      ],
      [
        'a __proto__ label',
        () => '{"hosts":[{"host":"h1","labels":{"__proto__":"x"},"samples":[]}]}',
        400,
        /reserved/,
      ],
      ['a __proto__ field', () => '{"hosts":[{"host":"h1","samples":[],"__proto__":{"x":1}}]}', 400],
      [
        'a bad label in a series',
        () => withValues({ 'node_slabinfo_objects{slab=dentry}': 1 }),
        400,
        /double quotes/,
      ],
      ['too many samples in one request', () => ({ hosts: [buildHost({ count: 50_001 })] }), 400, /at most/],
    ];
    for (const [name, body, status, message] of cases) {
      it(name, async () => {
        const before = await totalRows();
        const payload = body();
        const res = await t.http
          .post('/api/v1/samples')
          .set('Authorization', `Bearer ${ingestToken}`)
          .set('Content-Type', 'application/json')
          .send(typeof payload === 'string' ? payload : JSON.stringify(payload));
        expect(res.status).toBe(status);
        expect(res.body.error.code).toMatch(/^request\./);
        if (message) expect(JSON.stringify(res.body.error)).toMatch(message);
        expect(await totalRows()).toBe(before);
      });
    }

    it('malformed JSON', async () => {
      const res = await push('{"hosts": [').set('Content-Type', 'application/json');
      expect(res.status).toBe(400);
      expect(res.body.error.code).toBe('request.malformed_json');
    });

    it('a wrong content type', async () => {
      const res = await push(JSON.stringify(buildBatch())).set('Content-Type', 'text/plain');
      expect(res.status).toBe(415);
    });

    it('a body over the limit', async () => {
      const small = await createTestOnset({ ONSET_MAX_BODY_BYTES: '4096' });
      try {
        const before = await totalRowsOf(small);
        const res = await small.http
          .post('/api/v1/samples')
          .set('Authorization', `Bearer ${ingestToken}`)
          .send(buildBatch([{ count: 200 }]));
        expect(res.status).toBe(413);
        expect(res.body.error.code).toBe('request.too_large');
        expect(await totalRowsOf(small)).toBe(before);
      } finally {
        await small.close();
      }
    });

    it('a gzip body that inflates past the limit', async () => {
      const small = await createTestOnset({ ONSET_MAX_BODY_BYTES: '65536' });
      try {
        const bomb = gzipSync(
          Buffer.from(`{"hosts":[{"host":"h1","samples":[],"x":"${' '.repeat(10_000_000)}"}]}`),
        );
        expect(bomb.length).toBeLessThan(65_536);
        const res = await small.http
          .post('/api/v1/samples')
          .set('Authorization', `Bearer ${ingestToken}`)
          .set('Content-Type', 'application/json')
          .set('Content-Encoding', 'gzip')
          .serialize(rawBody)
          .send(bomb);
        expect(res.status).toBe(413);
      } finally {
        await small.close();
      }
    });

    it('one bad sample among good ones stores nothing of the request', async () => {
      const body = buildBatch([{ count: 5 }, { count: 5 }]);
      body.hosts[1]!.samples[4]!.values = { node_memory_Slab_bytes: -5 };
      const res = await push(body);
      expect(res.status).toBe(400);
      expect(res.body.error.details[0].path).toBe('hosts[1].samples[4].values.node_memory_Slab_bytes');
      expect(await storedValues(body.hosts[0]!.host)).toBe(0);
    });
  });
});

/** Sends a Buffer as it is, instead of serialising it as JSON. */
const rawBody = ((b: Buffer) => b) as unknown as (obj: unknown) => string;

function withSample(sample: unknown) {
  return { hosts: [{ host: uniqueHost(), samples: [sample] }] };
}
function withValues(values: Record<string, unknown>) {
  return withSample({ ts: '2017-06-26T06:00:00Z', values });
}
async function totalRowsOf(o: TestOnset): Promise<number> {
  const { rows } = await sql<{ n: number }>`SELECT count(*)::int AS n FROM samples`.execute(
    o.onset.database.db,
  );
  return rows[0]?.n ?? 0;
}
