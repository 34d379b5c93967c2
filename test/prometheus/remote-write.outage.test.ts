import supertest from 'supertest';
import { describe, expect, inject, it } from 'vitest';
import { uniqueHost } from '../helpers/fixtures.ts';
import { createOnsetBehindProxy, ingestToken } from '../helpers/onset.ts';
import { compress, encodeWriteRequest, nodeSeries } from './remote-write.encode.ts';

// Stopping the database needs a server outside the process: real PostgreSQL only.
describe.skipIf(!inject('pgAdminUrl'))('remote write when the database goes away', () => {
  it('answers 503 with Retry-After, which Prometheus retries', async () => {
    const { onset, proxy, close } = await createOnsetBehindProxy();
    const body = compress(
      encodeWriteRequest(nodeSeries(`${uniqueHost()}:9100`, Date.UTC(2017, 5, 26, 6), 2)),
    );
    const post = () =>
      supertest(onset.app)
        .post('/api/v1/prometheus/write')
        .set('Authorization', `Bearer ${ingestToken}`)
        .set('Content-Type', 'application/x-protobuf')
        .set('Content-Encoding', 'snappy')
        .serialize(((b: Buffer) => b) as unknown as (obj: unknown) => string)
        .send(body);
    try {
      await proxy.stop();
      const res = await post();
      expect(res.status).toBe(503);
      expect(res.headers['retry-after']).toMatch(/^\d+$/);
      expect(res.body.error.code).toBe('service.unavailable');
    } finally {
      await close();
    }
  });
});
