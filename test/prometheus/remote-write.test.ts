import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { uniqueHost } from '../helpers/fixtures.ts';
import { createTestOnset, ingestToken, readToken, type TestOnset } from '../helpers/onset.ts';
import { compress, encodeWriteRequest, nodeSeries, type TestSeries } from './remote-write.encode.ts';

let t: TestOnset;
beforeAll(async () => {
  t = await createTestOnset({ ONSET_MAX_BODY_BYTES: String(64 * 1024) });
});
afterAll(() => t.close());

const start = Date.UTC(2017, 5, 26, 6, 0);
const rawBody = ((b: Buffer) => b) as unknown as (obj: unknown) => string;

function post(body: Buffer, headers: Record<string, string> = {}) {
  const req = t.http.post('/api/v1/prometheus/write');
  const all = {
    Authorization: `Bearer ${ingestToken}`,
    'Content-Type': 'application/x-protobuf',
    'Content-Encoding': 'snappy',
    'X-Prometheus-Remote-Write-Version': '0.1.0',
    ...headers,
  };
  for (const [name, value] of Object.entries(all)) if (value !== '') req.set(name, value);
  return req.serialize(rawBody).send(body);
}
const write = (series: TestSeries[], headers?: Record<string, string>) =>
  post(compress(encodeWriteRequest(series)), headers);

async function readSeries(host: string, metric: string | string[]) {
  const res = await t.http
    .get('/api/v1/series')
    .query({
      host,
      metric,
      from: new Date(start - 3_600_000).toISOString(),
      to: new Date(start + 3_600_000).toISOString(),
      step: '60s',
    })
    .set('Authorization', `Bearer ${readToken}`);
  return res;
}

async function totalRows(): Promise<number> {
  const { rows } = await sql<{ n: number }>`
    SELECT ((SELECT count(*) FROM samples) + (SELECT count(*) FROM hosts) + (SELECT count(*) FROM series))::int AS n`.execute(
    t.onset.database.db,
  );
  return rows[0]?.n ?? 0;
}

async function seriesKeys(host: string): Promise<string[]> {
  const { rows } = await sql<{ key: string }>`
    SELECT s.key FROM series s JOIN hosts h ON h.id = s.host_id WHERE h.name = ${host} ORDER BY s.key`.execute(
    t.onset.database.db,
  );
  return rows.map((r) => r.key);
}

describe('POST /api/v1/prometheus/write', () => {
  it('stores node_exporter and process-exporter series of two hosts, read back through /api/v1/series', async () => {
    const [a, b] = [uniqueHost(), uniqueHost()];
    const res = await write([
      ...nodeSeries(`${a}:9100`, start, 5, { role: 'web', dc: 'ams1' }),
      ...nodeSeries(`${b}:9100`, start, 5, { role: 'db', dc: 'fra1' }),
    ]);
    expect(res.status).toBe(200);
    // 4 analysed series a host, 5 samples each; CPU and Go series are ignored.
    expect(res.body).toMatchObject({
      hosts: 2,
      values: 40,
      stored: 40,
      ignored_series: 4,
      skipped_samples: 0,
    });

    const read = await readSeries(a, ['node_memory_Slab_bytes', 'node_slabinfo_objects{slab="dentry"}']);
    expect(read.status).toBe(200);
    const bySeries = Object.fromEntries(
      (read.body.series as Array<{ series: string; points: number[][] }>).map((s) => [s.series, s.points]),
    );
    expect(bySeries['node_memory_Slab_bytes']).toEqual(
      Array.from({ length: 5 }, (_, i) => [start + i * 60_000, 551_133_184 + i * 4096]),
    );
    expect(bySeries['node_slabinfo_objects{slab="dentry"}']).toHaveLength(5);
    expect(await seriesKeys(b)).toEqual([
      'namedprocess_namegroup_memory_bytes{groupname="nginx",memtype="resident"}',
      'node_memory_MemTotal_bytes',
      'node_memory_Slab_bytes',
      'node_slabinfo_objects{slab="dentry"}',
    ]);
    const hosts = await t.http.get('/api/v1/hosts').set('Authorization', `Bearer ${readToken}`);
    const hostB = (hosts.body.hosts as Array<{ name: string; labels: unknown }>).find((h) => h.name === b);
    expect(hostB?.labels).toEqual({ role: 'db', dc: 'fra1' });
  });

  it('stores a request sent twice once', async () => {
    const host = uniqueHost();
    const series = nodeSeries(`${host}:9100`, start, 3);
    const first = await write(series);
    const again = await write(series);
    expect([first.status, again.status]).toEqual([200, 200]);
    expect(first.body.stored).toBe(12);
    expect(again.body).toMatchObject({ values: 12, stored: 0 });
  });

  it('names the host by onset_host, nodename or host before instance', async () => {
    const [named, fromInstance] = [uniqueHost(), uniqueHost()];
    const res = await write([
      {
        labels: {
          __name__: 'node_memory_Slab_bytes',
          instance: '10.0.0.7:9100',
          onset_host: named,
          nodename: 'other',
        },
        samples: [[start, 1]],
      },
      {
        labels: { __name__: 'node_memory_Slab_bytes', instance: `${fromInstance}:9100` },
        samples: [[start, 2]],
      },
    ]);
    expect(res.status).toBe(200);
    expect(await seriesKeys(named)).toEqual(['node_memory_Slab_bytes']);
    expect(await seriesKeys(fromInstance)).toEqual(['node_memory_Slab_bytes']);
    expect(await seriesKeys('10.0.0.7')).toEqual([]);
  });

  it('answers 200 and stores nothing for a request holding only families onset does not analyse', async () => {
    const before = await totalRows();
    const host = uniqueHost();
    const res = await write([
      {
        labels: { __name__: 'node_cpu_seconds_total', cpu: '0', instance: `${host}:9100` },
        samples: [[start, 1]],
      },
      { labels: { __name__: 'up', instance: `${host}:9100` }, samples: [[start, 1]] },
    ]);
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ hosts: 0, values: 0, ignored_series: 2 });
    expect(await totalRows()).toBe(before);
  });

  it('skips stale markers and other NaN', async () => {
    const host = uniqueHost();
    const res = await write([
      {
        labels: { __name__: 'node_memory_Slab_bytes', instance: `${host}:9100` },
        samples: [
          [start, 10],
          [start + 60_000, 'stale'],
          [start + 120_000, NaN],
          [start + 180_000, 40],
        ],
      },
    ]);
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ values: 2, stored: 2, skipped_samples: 2 });
    const read = await readSeries(host, 'node_memory_Slab_bytes');
    expect(read.body.series[0].points).toEqual([
      [start, 10],
      [start + 180_000, 40],
    ]);
  });

  describe('bad requests get a clear 4xx and store nothing', () => {
    const valid = () => encodeWriteRequest(nodeSeries(`${uniqueHost()}:9100`, start, 2));
    const cases: Array<[string, () => ReturnType<typeof post>, number, RegExp]> = [
      ['no token', () => post(compress(valid()), { Authorization: '' }), 401, /Bearer/],
      ['a read token', () => post(compress(valid()), { Authorization: `Bearer ${readToken}` }), 403, /push/],
      ['JSON', () => post(compress(valid()), { 'Content-Type': 'application/json' }), 415, /x-protobuf/],
      [
        'remote-write 2.0',
        () =>
          post(compress(valid()), {
            'Content-Type': 'application/x-protobuf;proto=io.prometheus.write.v2.Request',
          }),
        415,
        /1\.0/,
      ],
      [
        'gzip instead of snappy',
        () => post(compress(valid()), { 'Content-Encoding': 'gzip' }),
        415,
        /snappy/,
      ],
      ['a body that is not snappy', () => post(Buffer.from('this is not snappy at all')), 400, /snappy/],
      [
        'snappy of a body that is not protobuf',
        () => post(compress(Buffer.from('{"hosts": []}'))),
        400,
        /protobuf/,
      ],
      ['a truncated protobuf', () => post(compress(valid().subarray(0, 40))), 400, /protobuf/],
      [
        'a host name that cannot be a minion id',
        () =>
          write([
            {
              labels: { __name__: 'node_memory_Slab_bytes', instance: 'web 001/x:9100' },
              samples: [[start, 1]],
            },
          ]),
        400,
        /minion/,
      ],
      [
        'a series naming no host',
        () => write([{ labels: { __name__: 'node_memory_Slab_bytes', job: 'node' }, samples: [[start, 1]] }]),
        400,
        /host/,
      ],
      [
        'a timestamp in the future',
        () =>
          write([
            {
              labels: { __name__: 'node_memory_Slab_bytes', instance: `${uniqueHost()}:9100` },
              samples: [[Date.now() + 3_600_000, 1]],
            },
          ]),
        400,
        /future/,
      ],
      [
        'a decompressed length over ONSET_MAX_BODY_BYTES',
        () => post(compress(Buffer.alloc(65 * 1024))),
        413,
        /decompresses to/,
      ],
      [
        'a snappy header claiming 4 GiB',
        () => post(Buffer.from([0xff, 0xff, 0xff, 0xff, 0x0f, 0])),
        413,
        /decompresses/,
      ],
      ['a compressed body over ONSET_MAX_BODY_BYTES', () => post(Buffer.alloc(65 * 1024, 1)), 413, /larger/],
    ];
    for (const [name, send, status, message] of cases) {
      it(name, async () => {
        const before = await totalRows();
        const res = await send();
        expect(res.status).toBe(status);
        expect(res.body.error.message + JSON.stringify(res.body.error.details ?? [])).toMatch(message);
        expect(await totalRows()).toBe(before);
      });
    }

    it('a bad host refuses the good hosts of the same request too', async () => {
      const good = uniqueHost();
      const res = await write([
        ...nodeSeries(`${good}:9100`, start, 2),
        {
          labels: { __name__: 'node_memory_Slab_bytes', instance: '[2001:db8::1]:9100' },
          samples: [[start, 1]],
        },
      ]);
      expect(res.status).toBe(400);
      expect(res.body.error.details[0].path).toMatch(/2001:db8::1.*instance/);
      expect(await seriesKeys(good)).toEqual([]);
    });
  });

  it('counts accepted and ignored series on /metrics', async () => {
    await write(nodeSeries(`${uniqueHost()}:9100`, start, 1));
    const text = (await t.http.get('/metrics')).text;
    expect(text).toMatch(/onset_remote_write_series_total\{outcome="accepted"\} [1-9]/);
    expect(text).toMatch(/onset_remote_write_series_total\{outcome="ignored"\} [1-9]/);
    expect(text).toMatch(/onset_remote_write_rejected_requests_total\{code="request.invalid"\} [1-9]/);
  });
});
