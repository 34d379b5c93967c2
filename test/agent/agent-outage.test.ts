import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, describe, expect, it } from 'vitest';
import { createTestDatabase, type TestDatabase } from '../helpers/onset.ts';
import { freePort } from '../helpers/server-process.ts';
import { AgentProcess, ROOT } from './agent-process.ts';

// The outage the agent must ride out. The bar is two minutes; ONSET_AGENT_OUTAGE_SECONDS shortens it
// for a quick local run.
const OUTAGE_MS = Number(process.env.ONSET_AGENT_OUTAGE_SECONDS ?? 120) * 1000;
const INGEST_TOKEN = 'agent-outage-ingest';
const READ_TOKEN = 'agent-outage-read';
const HOST = 'agent-outage.example.net';

/** `onset serve` on a fixed port and data directory, so that it can be stopped and started again. */
class ServerProcess {
  private child: ChildProcess | undefined;
  output = '';
  constructor(
    readonly port: number,
    private readonly dataDir: string,
    private readonly databaseUrl: string | undefined,
  ) {}

  get url(): string {
    return `http://127.0.0.1:${this.port}`;
  }

  async start(): Promise<void> {
    const child = spawn(process.execPath, ['bin/onset.js', 'serve'], {
      cwd: ROOT,
      env: {
        PATH: process.env.PATH ?? '',
        HOME: process.env.HOME ?? '/tmp',
        PORT: String(this.port),
        ONSET_DATA_DIR: this.dataDir,
        ONSET_INGEST_TOKENS: INGEST_TOKEN,
        ONSET_READ_TOKENS: READ_TOKEN,
        ONSET_LOG_LEVEL: 'warn',
        // The suite's database kind: embedded, or real PostgreSQL when TEST_DATABASE_URL is set.
        ...(this.databaseUrl ? { DATABASE_URL: this.databaseUrl } : {}),
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    child.stdout?.on('data', (d) => (this.output += d));
    child.stderr?.on('data', (d) => (this.output += d));
    this.child = child;
    for (let i = 0; i < 600; i++) {
      if (child.exitCode !== null)
        throw new Error(`onset serve exited with ${child.exitCode}:\n${this.output}`);
      if (
        await fetch(`${this.url}/healthz`).then(
          (r) => r.ok,
          () => false,
        )
      )
        return;
      await sleep(100);
    }
    throw new Error(`onset serve did not become healthy:\n${this.output}`);
  }

  async stop(): Promise<void> {
    const child = this.child;
    if (!child || child.exitCode !== null) return;
    child.kill('SIGTERM');
    await once(child, 'exit');
  }
}

/** Timestamps of the stored samples of one series, one per sample with a step of one second. */
async function storedTimes(
  server: ServerProcess,
  metric: string,
  from: number,
  to: number,
): Promise<number[]> {
  const query = new URLSearchParams({ host: HOST, metric, from: String(from), to: String(to), step: '1s' });
  const response = await fetch(`${server.url}/api/v1/series?${query}`, {
    headers: { authorization: `Bearer ${READ_TOKEN}` },
  });
  if (response.status === 404) return [];
  expect(response.status).toBe(200);
  const body = (await response.json()) as { series: { series: string; points: [number, number][] }[] };
  return body.series.find((s) => s.series === metric)?.points.map(([ts]) => ts) ?? [];
}

describe('onset agent through a server outage and an agent restart', () => {
  const dataDir = mkdtempSync(join(tmpdir(), 'onset-agent-outage-data-'));
  let database: TestDatabase | undefined;
  const spoolDir = mkdtempSync(join(tmpdir(), 'onset-agent-outage-spool-'));
  const agents: AgentProcess[] = [];
  let server: ServerProcess | undefined;

  afterAll(async () => {
    for (const agent of agents) await agent.stop();
    await server?.stop();
    await database?.drop();
    rmSync(dataDir, { recursive: true, force: true });
    rmSync(spoolDir, { recursive: true, force: true });
  });

  const startAgent = () => {
    const agent = new AgentProcess(
      [
        '--server',
        server!.url,
        '--host',
        HOST,
        '--interval',
        '1s',
        '--spool-dir',
        spoolDir,
        '--backoff-max',
        '2s',
        '--log-level',
        'debug',
      ],
      { ONSET_TOKEN: INGEST_TOKEN },
    );
    agent.start();
    agents.push(agent);
    return agent;
  };

  it(
    'stores every sample the agent took, each once',
    async () => {
      const started = Date.now();
      database = await createTestDatabase();
      server = new ServerProcess(await freePort(), dataDir, database.options.url);
      await server.start();
      const first = startAgent();
      await sleep(4000);

      // The outage: the server is down; halfway through, the agent restarts.
      await server.stop();
      await sleep(OUTAGE_MS / 2);
      expect(await first.stop()).toBe(0);
      const second = startAgent();
      await sleep(OUTAGE_MS / 2);
      await server.start();

      const taken = () => [...first.sampleTimes(), ...second.sampleTimes()];
      // The spool drains within a few seconds of the server's return.
      const metric = 'node_memory_MemTotal_bytes';
      const deadline = Date.now() + 60_000;
      let stored: number[] = [];
      for (;;) {
        stored = await storedTimes(server, metric, started - 1000, Date.now() + 1000);
        const missing = taken().filter((ts) => !stored.includes(ts));
        if (missing.length === 0 || Date.now() > deadline) break;
        await sleep(500);
      }
      expect(await second.stop()).toBe(0);
      stored = await storedTimes(server, metric, started - 1000, Date.now() + 1000);

      const all = taken();
      // Samples at whole seconds, about one a second through the whole run, outage included.
      expect(all.length).toBeGreaterThan(((OUTAGE_MS + 4000) / 1000) * 0.8);
      expect(new Set(all).size).toBe(all.length);
      // A stopping agent delivers what is left, so nothing is missing, nothing is extra, nothing twice.
      expect({
        missing: all.filter((ts) => !stored.includes(ts)),
        extra: stored.filter((ts) => !all.includes(ts)),
      }).toEqual({ missing: [], extra: [] });
      expect(stored).toEqual([...all].sort((a, b) => a - b));
      // The slab and process series came through the outage as well.
      const slabs = await storedTimes(
        server,
        'node_memory_SReclaimable_bytes',
        started - 1000,
        Date.now() + 1000,
      );
      expect(slabs).toEqual(stored);
      expect(second.logs.some((l) => l.msg === 'server reachable again: sending the spool')).toBe(true);
      console.info(
        `agent outage: ${all.length} samples taken (${first.sampleTimes().length} before the agent restart, ` +
          `${second.sampleTimes().length} after), server down ${OUTAGE_MS / 1000} s, ${stored.length} stored`,
      );
    },
    OUTAGE_MS + 120_000,
  );
});
