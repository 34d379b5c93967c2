import { setTimeout as sleep } from 'node:timers/promises';
import { describe, expect, inject, it } from 'vitest';
import { buildBatch } from './helpers/fixtures.ts';
import { createOnsetBehindProxy, ingestToken } from './helpers/onset.ts';
import supertest from 'supertest';

// Stopping the database needs a server outside the process: real PostgreSQL only.
describe.skipIf(!inject('pgAdminUrl'))('when the database goes away', () => {
  it('answers 503 with Retry-After, stays up, and recovers by itself', async () => {
    const { onset, proxy, close } = await createOnsetBehindProxy();
    const http = supertest(onset.app);
    const push = (body = buildBatch()) =>
      http.post('/api/v1/samples').set('Authorization', `Bearer ${ingestToken}`).send(body);
    try {
      expect((await push()).status).toBe(200);

      await proxy.stop();
      const during = buildBatch();
      for (let i = 0; i < 5; i++) {
        const res = await push(during);
        expect(res.status).toBe(503);
        expect(res.headers['retry-after']).toMatch(/^\d+$/);
        expect(res.body.error.code).toBe('service.unavailable');
      }
      expect((await http.get('/healthz')).status).toBe(200);

      await proxy.start();
      let status = 0;
      for (let i = 0; i < 50 && status !== 200; i++) {
        status = (await push(during)).status;
        if (status !== 200) await sleep(200);
      }
      expect(status).toBe(200);
    } finally {
      await close();
    }
  });
});
