import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { sql } from 'kysely';
import { createDatabase } from '../server/db/database.ts';
import { migrateToLatest } from '../server/db/migrate.ts';
import { createLogger } from '../server/logger.ts';
import { createStorageService, defaultStorageOptions } from '../server/storage/storage.service.ts';
import { startServer } from '../test/helpers/server-process.ts';
import { fmt, freshDatabase, line, median, section } from './lib.ts';

const token = 'bench-read-token-0123456789';
export const fleetMetrics = [
  'node_memory_MemTotal_bytes',
  'node_memory_MemFree_bytes',
  'node_memory_MemAvailable_bytes',
  'node_memory_Buffers_bytes',
  'node_memory_Cached_bytes',
  'node_memory_AnonPages_bytes',
  'node_memory_Slab_bytes',
  'node_memory_SReclaimable_bytes',
  'node_memory_SUnreclaim_bytes',
  'node_memory_Shmem_bytes',
  'node_memory_KernelStack_bytes',
  'node_memory_PageTables_bytes',
];
const dayMs = 86_400_000;
export const fleetEnd = Date.UTC(2026, 0, 3);
export const fleetStart = fleetEnd - 2 * dayMs;

/**
 * Fills a database with `hosts` hosts × 2 days × 1-minute samples × 12 metrics through the recent-rows
 * table and compacts it as the server does. Returns the time each took.
 */
export async function loadFleet(url: string, hosts: number): Promise<{ loadS: number; compactS: number }> {
  const logger = createLogger('warn');
  const handle = await createDatabase({ url, dataDir: '', poolSize: 4 }, logger);
  const db = handle.db;
  try {
    await migrateToLatest(db);
    const { rows: have } = await sql<{ n: number; last: Date | null }>`
      SELECT (SELECT count(*) FROM hosts)::int AS n, (SELECT max(start) FROM sample_chunks) AS last`.execute(
      db,
    );
    const resumeAt = have[0]?.n === hosts && have[0].last ? have[0].last.getTime() + 3_600_000 : fleetStart;
    if (resumeAt === fleetStart) {
      await sql`TRUNCATE hosts, series, samples, sample_chunks`.execute(db);
      await sql`
      INSERT INTO hosts (name, labels, first_ts, last_ts)
      SELECT format('host-%s.example.net', lpad(i::text, 5, '0')), '{"role":"bench"}', ${new Date(fleetStart)}, ${new Date(fleetEnd)}
      FROM generate_series(1, ${hosts}) i`.execute(db);
      await sql`
      INSERT INTO series (host_id, key, metric, labels)
      SELECT h.id, m, m, '{}' FROM hosts h CROSS JOIN unnest(${fleetMetrics}::text[]) m ORDER BY h.id, m`.execute(
        db,
      );
    } else {
      // An interrupted load resumes: the hour it was in is loaded again (samples are stored once).
      await sql`DELETE FROM samples WHERE ts >= ${new Date(resumeAt)}`.execute(db);
    }
    const storage = createStorageService(
      db,
      { ...defaultStorageOptions, retentionMs: 3650 * dayMs, concurrentReindex: true },
      logger,
    );
    // Hour by hour, as the server sees a fleet: an hour of samples arrives, then compaction folds it.
    let loadMs = 0;
    let compactMs = 0;
    for (let hour = resumeAt; hour < fleetEnd; hour += 3_600_000) {
      const started = performance.now();
      // A daily cycle, a slow drift and noise: values shaped like memory, not constants.
      await sql`
        INSERT INTO samples (series_id, ts, value)
        SELECT s.id, t,
               round(2e9 + s.id * 1e5 + 1e8 * sin(date_part('epoch', t) / 13751) + (date_part('epoch', t) - ${fleetStart / 1000}) * 50 + random() * 1e6)
        FROM series s CROSS JOIN generate_series(${new Date(hour)}::timestamptz, ${new Date(hour + 3_540_000)}::timestamptz, interval '1 minute') t`.execute(
        db,
      );
      loadMs += performance.now() - started;
      const compactStarted = performance.now();
      await storage.compact(new Date(hour + 3_600_000));
      compactMs += performance.now() - compactStarted;
    }
    const loadS = loadMs / 1000;
    const compactS = compactMs / 1000;
    await sql`VACUUM ANALYZE`.execute(db);
    return { loadS, compactS };
  } finally {
    await handle.close();
  }
}

export async function storageBench(opts: { hosts: number; runs: number; resume: boolean }): Promise<void> {
  const hosts = opts.hosts;
  const values = hosts * 2 * 1440 * fleetMetrics.length;
  section(
    `Storage and reads: ${fmt(hosts)} hosts × 2 days × 1-minute samples × ${fleetMetrics.length} metrics (${fmt(values)} values)`,
  );
  const database = await freshDatabase('onset_bench_storage', opts.resume);
  const dataDir = await mkdtemp(path.join(tmpdir(), 'onset-bench-'));
  try {
    const { loadS, compactS } = await loadFleet(database.url, hosts);
    line(
      `loaded in ${fmt(loadS, 1)} s (SQL), compacted in ${fmt(compactS, 1)} s (${fmt(values / compactS)} values/s)`,
    );

    const logger = createLogger('warn');
    const handle = await createDatabase({ url: database.url, dataDir: '', poolSize: 2 }, logger);
    const { rows } = await sql<{ table: string; bytes: string }>`
      SELECT t AS table, pg_total_relation_size(t::regclass)::text AS bytes
      FROM unnest(ARRAY['samples', 'sample_chunks', 'series', 'hosts']) t`.execute(handle.db);
    await handle.close();
    const total = rows.reduce((n, r) => n + Number(r.bytes), 0);
    line('');
    line('| table (with indexes and TOAST) | bytes |');
    line('|---|---|');
    for (const r of rows) line(`| ${r.table} | ${fmt(Number(r.bytes))} |`);
    line(`| **bytes per stored value** | **${fmt(total / values, 2)}** |`);

    const server = await startServer({
      DATABASE_URL: database.url,
      ONSET_DATA_DIR: dataDir,
      ONSET_READ_TOKENS: token,
      // The benchmark's fleet lies in the past: retention must not delete it mid-run.
      ONSET_RETENTION: '3650d',
    });
    try {
      const query = (host: number) =>
        `${server.url}/api/v1/series?host=host-${String(host).padStart(5, '0')}.example.net&` +
        fleetMetrics.map((m) => `metric=${m}`).join('&') +
        `&from=${new Date(fleetStart).toISOString()}&to=${new Date(fleetEnd).toISOString()}&step=5m`;
      const read = async (host: number) => {
        const started = performance.now();
        const res = await fetch(query(host), { headers: { Authorization: `Bearer ${token}` } });
        const body = (await res.json()) as { series: { points: unknown[] }[] };
        if (
          res.status !== 200 ||
          body.series.length !== fleetMetrics.length ||
          body.series[0]?.points.length !== 576
        ) {
          throw new Error(`unexpected answer ${res.status}`);
        }
        return performance.now() - started;
      };
      for (let i = 1; i <= 10; i++) await read(i); // warm the connection pool and caches
      const medians: number[] = [];
      for (let run = 0; run < opts.runs; run++) {
        const times: number[] = [];
        for (let i = 0; i < 20; i++) times.push(await read(1 + Math.floor(Math.random() * hosts)));
        medians.push(median(times));
      }
      line('');
      line(
        `one host, ${fleetMetrics.length} metrics, 2 days at 5-minute steps (GET /api/v1/series, 576 points a series): median ${fmt(median(medians), 1)} ms (medians of ${opts.runs} runs of 20 random hosts: ${medians.map((m) => fmt(m, 1)).join(', ')})`,
      );
    } finally {
      await server.stop();
    }
  } finally {
    await database.drop();
    await rm(dataDir, { recursive: true, force: true });
  }
}
