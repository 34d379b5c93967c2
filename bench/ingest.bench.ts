import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { loadavg, tmpdir } from 'node:os';
import path from 'node:path';
import pg from 'pg';
import { startServer } from '../test/helpers/server-process.ts';
import { fmt, freshDatabase, line, median, section } from './lib.ts';
import { fleetMetrics } from './storage.bench.ts';

const token = 'bench-ingest-token-0123456789';
const clients = 8;
const hostsPerRequest = 50;
const samplesPerHost = 60;
const metrics = fleetMetrics;
const valuesPerRequest = hostsPerRequest * samplesPerHost * metrics.length;
const t0 = Date.UTC(2026, 0, 1);

function requestBody(client: number, round: number): string {
  const start = t0 + round * samplesPerHost * 60_000;
  const hosts = [];
  for (let h = 0; h < hostsPerRequest; h++) {
    const samples = [];
    for (let s = 0; s < samplesPerHost; s++) {
      const values: Record<string, number> = {};
      metrics.forEach((m, i) => (values[m] = Math.round(1e9 + i * 1e7 + Math.random() * 1e6)));
      samples.push({ ts: start + s * 60_000, values });
    }
    hosts.push({ host: `bench-${client}-${h}.example.net`, labels: { role: 'bench' }, samples });
  }
  return JSON.stringify({ hosts });
}

/** The machine's 1-, 5- and 15-minute load averages: the runs share it with whatever else runs. */
const loadAverage = () =>
  loadavg()
    .map((l) => l.toFixed(2))
    .join(', ');

/** Values a second through the HTTP API: `clients` loops each sending `rounds` requests. */
async function runIngest(url: string, bodies: string[][]): Promise<number> {
  const started = performance.now();
  await Promise.all(
    bodies.map(async (own) => {
      for (const body of own) {
        const res = await fetch(`${url}/api/v1/samples`, {
          method: 'POST',
          headers: { Authorization: `Bearer ${token}`, 'Content-Type': 'application/json' },
          body,
        });
        if (res.status !== 200) throw new Error(`ingest answered ${res.status}: ${await res.text()}`);
      }
    }),
  );
  return (bodies.flat().length * valuesPerRequest) / ((performance.now() - started) / 1000);
}

/** Values a second of `COPY samples FROM STDIN` with the same rows, `clients` psql processes at once. */
async function runCopy(dbUrl: string, rounds: number, roundOffset: number, dir: string): Promise<number> {
  const db = new pg.Client({ connectionString: dbUrl });
  await db.connect();
  const { rows } = await db.query<{ id: number }>('SELECT id FROM series ORDER BY id');
  await db.end();
  const ids = rows.map((r) => r.id);
  const perClient = Math.ceil(ids.length / clients);
  const files: string[] = [];
  for (let c = 0; c < clients; c++) {
    const own = ids.slice(c * perClient, (c + 1) * perClient);
    const lines: string[] = [];
    for (let r = 0; r < rounds; r++) {
      const start = t0 + (roundOffset + r) * samplesPerHost * 60_000;
      for (const id of own) {
        for (let s = 0; s < samplesPerHost; s++) {
          lines.push(
            `${id},${new Date(start + s * 60_000).toISOString()},${Math.round(1e9 + Math.random() * 1e6)}`,
          );
        }
      }
    }
    const file = path.join(dir, `copy-${c}.csv`);
    await writeFile(file, lines.join('\n') + '\n');
    files.push(file);
  }
  const total = ids.length * rounds * samplesPerHost;
  const started = performance.now();
  await Promise.all(
    files.map(async (file) => {
      const child = spawn(
        'psql',
        [
          dbUrl,
          '-q',
          '-v',
          'ON_ERROR_STOP=1',
          '-c',
          `\\copy samples (series_id, ts, value) FROM '${file}' WITH (FORMAT csv)`,
        ],
        {
          stdio: ['ignore', 'ignore', 'inherit'],
        },
      );
      const [code] = (await once(child, 'exit')) as [number];
      if (code !== 0) throw new Error(`psql exited with ${code}`);
    }),
  );
  return total / ((performance.now() - started) / 1000);
}

export async function ingestBench(opts: { runs: number; rounds: number }): Promise<void> {
  section(
    `Ingest: ${clients} clients, requests of ${hostsPerRequest} hosts × ${samplesPerHost} samples × ${metrics.length} metrics`,
  );
  const database = await freshDatabase('onset_bench_ingest');
  const dataDir = await mkdtemp(path.join(tmpdir(), 'onset-bench-'));
  const server = await startServer({
    DATABASE_URL: database.url,
    ONSET_DATA_DIR: dataDir,
    ONSET_INGEST_TOKENS: token,
    ONSET_DB_POOL_SIZE: '12',
  });
  try {
    // Warm-up creates the hosts and series, as a fleet that has been pushing for a while has.
    await runIngest(
      server.url,
      Array.from({ length: clients }, (_, c) => [requestBody(c, 0)]),
    );
    line(`load average before the runs: ${loadAverage()}`);
    const api: number[] = [];
    const copy: number[] = [];
    let round = 1;
    for (let run = 0; run < opts.runs; run++) {
      const bodies = Array.from({ length: clients }, (_, c) =>
        Array.from({ length: opts.rounds }, (_, r) => requestBody(c, round + r)),
      );
      round += opts.rounds;
      api.push(await runIngest(server.url, bodies));
      copy.push(await runCopy(database.url, opts.rounds, round, dataDir));
      round += opts.rounds;
      line(
        `run ${run + 1}: API ${fmt(api.at(-1) as number)} values/s, COPY ${fmt(copy.at(-1) as number)} values/s, ratio ${fmt((api.at(-1) as number) / (copy.at(-1) as number), 2)} (load average ${loadAverage()})`,
      );
    }
    const ratios = api.map((a, i) => a / (copy[i] as number));
    line('');
    line(`| figure | median of ${opts.runs} runs |`);
    line('|---|---|');
    line(`| POST /api/v1/samples | ${fmt(median(api))} values/s |`);
    line(`| COPY of the same rows (${clients} psql at once) | ${fmt(median(copy))} values/s |`);
    line(`| API ÷ COPY (per run, median) | ${fmt(median(ratios), 2)} |`);
  } finally {
    await server.stop();
    await database.drop();
    await rm(dataDir, { recursive: true, force: true });
  }
}
