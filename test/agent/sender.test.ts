import { describe, expect, it } from 'vitest';
import { backoffDelay, buildBody, parseRetryAfter, postSamples } from '../../server/agent/sender.ts';
import { FakeServer } from './fake-server.ts';

const sample = {
  host: 'web-001',
  labels: { role: 'web' },
  ts: 1498459860000,
  values: { node_memory_Slab_bytes: 1 },
};

describe('sender', () => {
  it('reads Retry-After as seconds or as an HTTP date', () => {
    const now = Date.parse('2017-06-26T06:51:00Z');
    expect(parseRetryAfter('120', now)).toBe(120_000);
    expect(parseRetryAfter('Mon, 26 Jun 2017 06:51:30 GMT', now)).toBe(30_000);
    expect(parseRetryAfter('Mon, 26 Jun 2017 06:50:00 GMT', now)).toBe(0);
    expect(parseRetryAfter('soon', now)).toBeUndefined();
    expect(parseRetryAfter(null, now)).toBeUndefined();
  });

  it('backs off exponentially with full jitter, up to the cap', () => {
    expect(backoffDelay(0, 1000, 60_000, () => 0.999)).toBe(999);
    expect(backoffDelay(3, 1000, 60_000, () => 0.5)).toBe(4000);
    expect(backoffDelay(20, 1000, 60_000, () => 0.999)).toBe(59_940);
    expect(backoffDelay(20, 1000, 60_000, () => 0)).toBe(0);
  });

  it('groups consecutive samples of one host and its labels', () => {
    const body = buildBody([sample, { ...sample, ts: sample.ts + 15_000 }, { ...sample, host: 'db-001' }]);
    expect(body.hosts).toHaveLength(2);
    expect(body.hosts[0]).toMatchObject({ host: 'web-001', labels: { role: 'web' } });
  });

  it('classifies the answers: 2xx, 503 with Retry-After, 429, 400 with the field, 401, and no server', async () => {
    const server = new FakeServer();
    await server.start();
    const answers = [
      { status: 202 },
      { status: 503, headers: { 'retry-after': '7' } },
      { status: 429 },
      {
        status: 400,
        body: {
          error: {
            code: 'validation',
            message: 'invalid',
            details: [{ path: 'hosts.0.samples.0.ts', message: 'in the future' }],
          },
        },
      },
      { status: 401, body: { error: { code: 'auth.token', message: 'unknown token' } } },
    ];
    server.respond = (_request, index) => answers[index] ?? { status: 500 };
    const options = { server: server.url, token: 't', timeoutMs: 2000 };
    expect(await postSamples([sample], options)).toEqual({ kind: 'stored' });
    expect(await postSamples([sample], options)).toMatchObject({ kind: 'retry', retryAfterMs: 7000 });
    expect(await postSamples([sample], options)).toMatchObject({ kind: 'retry', reason: 'HTTP 429' });
    const rejected = await postSamples([sample], options);
    expect(rejected).toMatchObject({ kind: 'rejected', status: 400 });
    expect(rejected.kind === 'rejected' && rejected.error).toContain('hosts.0.samples.0.ts');
    expect(await postSamples([sample], options)).toMatchObject({ kind: 'unauthorized', status: 401 });
    await server.stop();
    expect(await postSamples([sample], options)).toMatchObject({
      kind: 'retry',
      reason: expect.stringMatching(/ECONNREFUSED|ECONNRESET/),
    });
  });

  it('gives up on a request that hangs, after the timeout', async () => {
    const { createServer } = await import('node:http');
    const hanging = createServer(() => undefined);
    await new Promise<void>((resolve) => hanging.listen(0, '127.0.0.1', resolve));
    const port = (hanging.address() as { port: number }).port;
    const result = await postSamples([sample], {
      server: `http://127.0.0.1:${port}`,
      token: 't',
      timeoutMs: 300,
    });
    expect(result).toEqual({ kind: 'retry', reason: 'request timed out' });
    hanging.closeAllConnections();
    hanging.close();
  });
});
