import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterEach, describe, expect, it } from 'vitest';
import { AgentProcess, FIXTURES } from './agent-process.ts';
import { FakeServer } from './fake-server.ts';

describe('onset agent killed while the server is down', () => {
  const spoolDir = mkdtempSync(join(tmpdir(), 'onset-agent-crash-'));
  const agents: AgentProcess[] = [];
  let server: FakeServer | undefined;

  afterEach(async () => {
    for (const agent of agents) await agent.stop();
    await server?.stop();
    rmSync(spoolDir, { recursive: true, force: true });
  });

  const startAgent = (url: string) => {
    const agent = new AgentProcess([
      '--server',
      url,
      '--procfs',
      join(FIXTURES, 'proc'),
      '--host',
      'crash-test',
      '--interval',
      '1s',
      '--spool-dir',
      spoolDir,
      '--backoff-max',
      '1s',
      '--log-level',
      'debug',
    ]);
    agent.start();
    agents.push(agent);
    return agent;
  };

  it('delivers every sample it spooled before SIGKILL, and the new samples after', async () => {
    // Nothing listens yet: the address the server will take.
    server = new FakeServer();
    await server.start();
    const port = server.port;
    await server.stop();
    const url = `http://127.0.0.1:${port}`;

    const crashed = startAgent(url);
    await sleep(4500);
    await crashed.stop('SIGKILL');
    const restarted = startAgent(url);
    await sleep(2500);
    server = new FakeServer();
    await server.start(port);

    const spooled = crashed.sampleTimes();
    expect(spooled.length).toBeGreaterThanOrEqual(3);
    await server.waitFor(() =>
      [...spooled, ...restarted.sampleTimes()].every((ts) => server!.stored.has(`crash-test@${ts}`)),
    );
    expect(restarted.logs.some((l) => l.msg === 'agent started')).toBe(true);
  });
});
