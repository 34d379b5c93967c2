import { readFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { sql } from 'kysely';
import type { Series } from '../server/analysis/analysis.models.ts';
import { detectChanges } from '../server/analysis/changepoint.ts';
import { locatedChanges } from '../server/analysis/located-change.ts';
import { MEMORY_COMPONENTS, PROCESS_RESIDENT_TOTAL } from '../server/analysis/host-onset.ts';
import { createDatabase, type Db } from '../server/db/database.ts';
import { migrateToLatest } from '../server/db/migrate.ts';
import { createLogger } from '../server/logger.ts';
import { simulateFleet } from '../server/sim/fleet-sim.ts';
import { meanSlotSeconds } from '../server/storage/storage.repository.ts';
import { startServer } from '../test/helpers/server-process.ts';
import { fmt, freshDatabase, line, median, residentMiB, section } from './lib.ts';

/** User and system CPU time of a process and all its threads so far, from /proc (clock ticks of 10 ms). */
function cpuMs(pid: number): number {
  const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]?.split(' ') ?? [];
  return (Number(fields[11]) + Number(fields[12])) * 10;
}

const token = 'bench-read-token-0123456789';
const hourMs = 3_600_000;
export const end = Date.UTC(2026, 0, 3);
export const start = end - 48 * hourMs;

/** The 12 series per host the analysis needs: used memory, its components, the dentry cache, processes. */
const keep = new Set([
  'node_memory_MemTotal_bytes',
  'node_memory_MemFree_bytes',
  ...MEMORY_COMPONENTS,
  'node_slabinfo_objects{slab="dentry"}',
  'node_slabinfo_object_size_bytes{slab="dentry"}',
  PROCESS_RESIDENT_TOTAL,
]);

/** One hour of one series in the stored form: offsets in seconds, values, 5-minute means as float4. */
function chunksOf(series: Series) {
  const out: { start: number; offsets: number[]; vals: number[]; means: Buffer }[] = [];
  let i = 0;
  while (i < series.ts.length) {
    const hour = Math.floor((series.ts[i] as number) / hourMs) * hourMs;
    const offsets: number[] = [];
    const vals: number[] = [];
    const sums = new Float64Array(12);
    const counts = new Float64Array(12);
    for (; i < series.ts.length && (series.ts[i] as number) < hour + hourMs; i++) {
      const o = Math.floor(((series.ts[i] as number) - hour) / 1000);
      if (offsets.length && o <= (offsets.at(-1) as number)) continue;
      offsets.push(o);
      vals.push(series.values[i] as number);
      const slot = Math.floor(o / meanSlotSeconds);
      sums[slot] = (sums[slot] as number) + (series.values[i] as number);
      counts[slot] = (counts[slot] as number) + 1;
    }
    const means = Buffer.alloc(48);
    for (let s = 0; s < 12; s++)
      means.writeFloatBE(counts[s] ? (sums[s] as number) / (counts[s] as number) : NaN, s * 4);
    out.push({ start: hour, offsets, vals, means });
  }
  return out;
}

/**
 * Writes a simulated 2-day fleet with a site-wide dentry leak straight into hourly chunks, the form
 * compaction leaves, 100 hosts at a time (the compaction path itself is measured in the storage section).
 */
export async function loadSimulatedFleet(db: Db, hosts: number): Promise<number> {
  let values = 0;
  for (let slice = 0; slice * 100 < hosts; slice++) {
    const { fleet } = simulateFleet(
      {
        name: `bench-${slice}`,
        seed: 1000 + slice,
        hosts: Math.min(100, hosts - slice * 100),
        from: start,
        to: end,
        stepMs: 60_000,
        change: {
          at: start + 30 * hourMs,
          effect: { kind: 'slab-leak', slab: 'dentry', reclaimable: true, ratePerHour: 40 * 2 ** 20 },
          lag: { kind: 'highstate', intervalMs: hourMs, splayMs: 10 * 60_000 },
          target: { kind: 'all' },
        },
      },
      { keep: (key) => keep.has(key) },
    );
    for (const host of fleet.hosts) {
      const name = `s${slice}-${host.host}`;
      const { rows } = await sql<{ id: number }>`
        INSERT INTO hosts (name, labels, first_ts, last_ts) VALUES (${name}, ${JSON.stringify(host.labels)}, ${new Date(start)}, ${new Date(end)})
        RETURNING id`.execute(db);
      const hostId = rows[0]?.id as number;
      const ids: number[] = [];
      const starts: Date[] = [];
      const offsets: string[] = [];
      const vals: string[] = [];
      const means: Buffer[] = [];
      for (const [key, series] of host.series) {
        const brace = key.indexOf('{');
        const metric = brace === -1 ? key : key.slice(0, brace);
        const labels = brace === -1 ? {} : { slab: 'dentry' };
        const { rows: s } = await sql<{ id: number }>`
          INSERT INTO series (host_id, key, metric, labels) VALUES (${hostId}, ${key}, ${metric}, ${JSON.stringify(labels)}) RETURNING id`.execute(
          db,
        );
        for (const c of chunksOf(series)) {
          ids.push(s[0]?.id as number);
          starts.push(new Date(c.start));
          offsets.push(`{${c.offsets.join(',')}}`);
          vals.push(`{${c.vals.join(',')}}`);
          means.push(c.means);
          values += c.vals.length;
        }
      }
      await sql`
        INSERT INTO sample_chunks (series_id, start, offsets, vals, means)
        SELECT id, st, o::int2[], v::float8[], m
        FROM unnest(${ids}::int4[], ${starts}::timestamptz[], ${offsets}::text[], ${vals}::text[], ${means}::bytea[]) AS u(id, st, o, v, m)`.execute(
        db,
      );
    }
  }
  await sql`VACUUM ANALYZE`.execute(db);
  return values;
}

interface Timings {
  read_ms: number;
  analyze_ms: number;
  rank_ms: number;
}

interface AnalysisAnswer {
  onset: { ts: string; hosts_affected: number } | null;
  hosts_total: number;
  components: { metric: string }[];
  timings_ms: Timings;
}

const strip = ({ timings_ms: _, ...answer }: AnalysisAnswer) => answer;

/**
 * The test of silent hosts (located-change.ts) at its most expensive: every host silent, a 50-minute
 * window, page caches of 2 days in 5-minute means (a step and a bend cost the same). This measures what it
 * adds where most hosts are silent, against the fit of the same series in the same run.
 */
function locatedBench(hosts: number, runs: number): void {
  const slotMs = 300_000;
  const caches = Array.from({ length: hosts }, (_, h) => {
    let state = h + 1;
    const uniform = () => ((state = (Math.imul(state, 1664525) + 1013904223) >>> 0) + 0.5) / 2 ** 32;
    let wander = 0;
    const ts = Float64Array.from({ length: 576 }, (_, i) => start + (i + 0.5) * slotMs);
    const values = ts.map((t) => {
      // Uniform noise of unit variance (× √12), 12 MiB a step.
      wander = 0.9 * wander + 12 * 2 ** 20 * (uniform() - 0.5) * Math.sqrt(12);
      return 4 * 2 ** 30 + 300 * 2 ** 20 * Math.cos((2 * Math.PI * t) / (24 * hourMs)) + wander;
    });
    return { ts, values };
  });
  const window = { from: start + 30 * hourMs, to: start + 30 * hourMs + 50 * 60_000 };
  const tested: number[] = [];
  const fitted: number[] = [];
  for (let run = 0; run < runs; run++) {
    let t = performance.now();
    locatedChanges(caches, 'step', window);
    tested.push(performance.now() - t);
    t = performance.now();
    for (const c of caches) detectChanges(c.ts, c.values);
    fitted.push(performance.now() - t);
  }
  line(
    `| located test of ${fmt(hosts)} silent hosts' page caches (in process) | ${fmt(median(tested))} ms |`,
  );
  line(`| the change-point fit of the same ${fmt(hosts)} series | ${fmt(median(fitted))} ms |`);
}

export async function analysisBench(opts: { hosts: number[]; runs: number }): Promise<void> {
  for (const hosts of opts.hosts) {
    section(
      `Analysis: ${fmt(hosts)} hosts × 2 days × 1-minute samples × 12 metrics, a site-wide dentry leak`,
    );
    const database = await freshDatabase('onset_bench_analysis');
    const dataDir = await mkdtemp(path.join(tmpdir(), 'onset-bench-'));
    const handle = await createDatabase(
      { url: database.url, dataDir: '', poolSize: 2 },
      createLogger('warn'),
    );
    try {
      await migrateToLatest(handle.db);
      const loadStarted = performance.now();
      const values = await loadSimulatedFleet(handle.db, hosts);
      line(`loaded ${fmt(values)} values in ${fmt((performance.now() - loadStarted) / 1000, 1)} s`);
      const serverEnv = {
        DATABASE_URL: database.url,
        ONSET_DATA_DIR: dataDir,
        ONSET_READ_TOKENS: token,
        // The benchmark's fleet lies in the past: retention must not delete it mid-run.
        ONSET_RETENTION: '3650d',
      };
      // As a user starts it (detection on one worker thread per CPU), and with detection on the main thread.
      const server = await startServer(serverEnv);
      const inline = await startServer({ ...serverEnv, ONSET_ANALYSIS_WORKERS: '0' });
      try {
        const query = `/api/v1/analysis?from=${new Date(start).toISOString()}&to=${new Date(end).toISOString()}`;
        // A client holding every value (about 80 bytes each in JS) would need gigabytes past 1,000 hosts.
        const withFetch = hosts <= 1000;
        const scan: number[] = [];
        const fetchAll: number[] = [];
        const analysis: number[] = [];
        const inlineAnalysis: number[] = [];
        const timings: Timings[] = [];
        let differing = 0;
        let last: AnalysisAnswer | undefined;
        const serverCpu: number[] = [];
        const ask = async (base: string): Promise<{ ms: number; answer: AnalysisAnswer }> => {
          const t = performance.now();
          const res = await fetch(`${base}${query}`, { headers: { Authorization: `Bearer ${token}` } });
          const answer = (await res.json()) as AnalysisAnswer;
          if (res.status !== 200) throw new Error(`analysis answered ${res.status}`);
          return { ms: performance.now() - t, answer };
        };
        for (let run = 0; run < opts.runs; run++) {
          // Baseline 1: PostgreSQL visits every stored value once.
          let t = performance.now();
          await sql`SELECT sum(v) FROM sample_chunks c, unnest(c.vals) v WHERE c.start >= ${new Date(start)} AND c.start < ${new Date(end)}`.execute(
            handle.db,
          );
          scan.push(performance.now() - t);
          // Baseline 2: a client fetches every stored value once, as stored.
          if (withFetch) {
            t = performance.now();
            await sql`SELECT series_id, start, offsets, vals FROM sample_chunks WHERE start >= ${new Date(start)} AND start < ${new Date(end)}`.execute(
              handle.db,
            );
            fetchAll.push(performance.now() - t);
          }
          const cpu = cpuMs(server.child.pid as number);
          const pooled = await ask(server.url);
          serverCpu.push(cpuMs(server.child.pid as number) - cpu);
          analysis.push(pooled.ms);
          timings.push(pooled.answer.timings_ms);
          last = pooled.answer;
          const single = await ask(inline.url);
          inlineAnalysis.push(single.ms);
          if (JSON.stringify(strip(single.answer)) !== JSON.stringify(strip(pooled.answer))) differing++;
          line(
            `run ${run + 1}: analysis ${fmt(pooled.ms)} ms (server ${JSON.stringify(pooled.answer.timings_ms)}), on the main thread ${fmt(single.ms)} ms, scan ${fmt(scan.at(-1) as number)} ms${withFetch ? `, fetch ${fmt(fetchAll.at(-1) as number)} ms` : ''}`,
          );
        }
        const rss = residentMiB(server.child.pid as number);
        const inlineRss = residentMiB(inline.child.pid as number);
        const split = (k: keyof Timings) => fmt(median(timings.map((x) => x[k])));
        line('');
        line(`| figure (median of ${opts.runs} runs) | value |`);
        line('|---|---|');
        line(
          `| GET /api/v1/analysis | ${fmt(median(analysis))} ms (runs ${analysis.map((a) => fmt(a)).join(', ')}) |`,
        );
        line(
          `| the same, detection on the main thread (\`ONSET_ANALYSIS_WORKERS=0\`) | ${fmt(median(inlineAnalysis))} ms |`,
        );
        line(`| PostgreSQL visits every value once (\`sum(unnest(vals))\`) | ${fmt(median(scan))} ms |`);
        if (withFetch) line(`| a client fetches every value once, as stored | ${fmt(median(fetchAll))} ms |`);
        line(
          `| analysis ÷ PostgreSQL scan (per run, median) | ${fmt(median(analysis.map((a, i) => a / (scan[i] as number))), 2)} |`,
        );
        line(`| server CPU time per analysis, all its threads | ${fmt(median(serverCpu))} ms |`);
        line(
          `| server resident memory, peak | ${fmt(rss.peak)} MiB (on the main thread: ${fmt(inlineRss.peak)} MiB) |`,
        );
        line(
          `| server's own split | read ${split('read_ms')} ms, detection ${split('analyze_ms')} ms, ranking ${split('rank_ms')} ms |`,
        );
        line(
          `| answer | onset ${last?.onset?.ts ?? 'none'}, ${last?.onset?.hosts_affected ?? 0} of ${last?.hosts_total} hosts, first component ${last?.components[0]?.metric ?? 'none'} |`,
        );
        line(`| runs whose answers with and without workers differ | ${differing} of ${opts.runs} |`);
        locatedBench(hosts, opts.runs);
      } finally {
        await server.stop();
        await inline.stop();
      }
    } finally {
      await handle.close();
      await database.drop();
      await rm(dataDir, { recursive: true, force: true });
    }
  }
}
