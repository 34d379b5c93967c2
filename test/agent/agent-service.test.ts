import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pino } from 'pino';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createAgentService, splitBatches, type AgentService } from '../../server/agent/agent.service.ts';
import { postSamples } from '../../server/agent/sender.ts';
import { Spool } from '../../server/agent/spool.ts';
import { FakeServer } from './fake-server.ts';

describe('agent service', () => {
  let dir: string;
  let server: FakeServer;
  let service: AgentService | undefined;
  let logs: Record<string, unknown>[];
  let taken: number[];

  beforeEach(async () => {
    dir = mkdtempSync(join(tmpdir(), 'onset-agent-service-'));
    server = new FakeServer();
    await server.start();
    logs = [];
    taken = [];
  });
  afterEach(async () => {
    await service?.stop();
    service = undefined;
    await server.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  function start(overrides: { batchMaxSamples?: number; backoffMaxMs?: number } = {}): Spool {
    const spool = Spool.open(dir, { maxBytes: 1 << 30, maxAgeMs: 86_400_000 });
    const log = pino({ level: 'debug' }, { write: (line: string) => logs.push(JSON.parse(line)) });
    let n = 0;
    service = createAgentService({
      options: {
        host: 'web-001',
        labels: { role: 'web' },
        intervalMs: 100,
        batchMaxSamples: overrides.batchMaxSamples ?? 100,
        batchMaxBytes: 1 << 20,
        backoffBaseMs: 20,
        backoffMaxMs: overrides.backoffMaxMs ?? 200,
      },
      log,
      spool,
      collect: async () => {
        n += 1;
        return { node_memory_Slab_bytes: n };
      },
      post: (records, signal) =>
        postSamples(records, { server: server.url, token: 't', timeoutMs: 2000 }, signal),
    });
    service.start();
    return spool;
  }

  const sampleTimes = () =>
    logs.filter((l) => l.msg === 'sample spooled').map((l) => Date.parse(String(l.ts)));
  const storedTimes = () =>
    [...server.stored.keys()].map((k) => Number(k.split('@')[1])).sort((a, b) => a - b);

  it('keeps samples through 503s and Retry-After, then delivers each, oldest first', async () => {
    const retryAt: number[] = [];
    server.respond = (_request, index) => {
      if (index < 2) {
        retryAt.push(Date.now());
        return { status: 503, headers: { 'retry-after': '1' } };
      }
      return { status: 204 };
    };
    start();
    await server.waitFor(() => server.stored.size >= 15);
    await service!.stop();
    service = undefined;
    taken = sampleTimes();
    expect(retryAt[1]! - retryAt[0]!).toBeGreaterThanOrEqual(950);
    await server.waitFor(() => true);
    expect(storedTimes()).toEqual(taken.filter((ts) => server.stored.has(`web-001@${ts}`)));
    // Every sample taken before the last delivery is stored; the first request after the outage starts at the oldest.
    const firstStored = server.requests[2]!.body.hosts[0]!.samples[0]!.ts;
    expect(firstStored).toBe(taken[0]);
    expect(logs.some((l) => l.msg === 'server reachable again: sending the spool')).toBe(true);
  });

  it('drops a batch the server rejects with 400, says which field, and does not retry it', async () => {
    server.respond = (_request, index) =>
      index === 0
        ? {
            status: 400,
            body: {
              error: {
                code: 'validation',
                message: 'invalid request',
                details: [{ path: 'hosts.0.samples.0.values', message: 'not a number' }],
              },
            },
          }
        : { status: 204 };
    start();
    await server.waitFor(() => server.stored.size >= 3);
    const rejected = logs.find(
      (l) => l.level === 50 && typeof l.msg === 'string' && l.msg.includes('HTTP 400'),
    );
    expect(rejected?.msg).toContain('hosts.0.samples.0.values');
    expect(rejected).toMatchObject({ status: 400, samples: 1 });
    const firstTs = server.requests[0]!.body.hosts[0]!.samples[0]!.ts;
    expect(
      server.requests.slice(1).every((r) => r.body.hosts[0]!.samples.every((s) => s.ts !== firstTs)),
    ).toBe(true);
    await server.waitFor(() =>
      [...server.stored.values()].some((v) => v['onset_agent_rejected_samples_total'] === 1),
    );
  });

  it('splits a batch the server finds too large (413)', async () => {
    // A second of 503 lets samples pile up; then anything over two samples is too large.
    server.respond = (request, index) => {
      if (index === 0) return { status: 503, headers: { 'retry-after': '1' } };
      return request.body.hosts[0]!.samples.length > 2 ? { status: 413 } : { status: 204 };
    };
    start({ batchMaxSamples: 100 });
    await server.waitFor(() => server.stored.size >= 8);
    expect(server.requests.some((r) => r.body.hosts[0]!.samples.length > 2)).toBe(true);
    expect(logs.some((l) => String(l.msg).includes('splitting'))).toBe(true);
  });

  it('keeps samples spooled while the token is refused (401), and delivers them once it is accepted', async () => {
    let accept = false;
    server.respond = () => (accept ? { status: 204 } : { status: 401, body: { error: { code: 'auth' } } });
    start({ backoffMaxMs: 300 });
    await server.waitFor(() => server.requests.length >= 2);
    accept = true;
    await server.waitFor(() => server.stored.size >= 5);
    const first = server.requests[0]!.body.hosts[0]!.samples[0]!.ts;
    expect(server.stored.has(`web-001@${first}`)).toBe(true);
    expect(logs.some((l) => l.level === 50 && String(l.msg).includes('refused the token'))).toBe(true);
  });

  it('splits by count and by size', () => {
    const records = Array.from({ length: 5 }, (_, i) => ({ host: 'h', labels: {}, ts: i, values: { a: i } }));
    expect(splitBatches(records, 2, 1 << 20).map((b) => b.length)).toEqual([2, 2, 1]);
    expect(splitBatches(records, 100, 1).map((b) => b.length)).toEqual([1, 1, 1, 1, 1]);
  });
});
