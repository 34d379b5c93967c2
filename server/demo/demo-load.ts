/**
 * Loads a simulated fleet the quick way. Each host's first hour and the fleet's last hour go through
 * `POST /api/v1/samples`, as agents push them; the hours between go straight into hourly chunks, as
 * compaction would have left them. Pushing thirty hours of a fleet through the API and compacting them
 * cost the demo most of its time; what every read answers is the same (test/demo/demo-load.test.ts
 * compares the two ways, chunk by chunk).
 */
import type { FleetData, HostData, Series } from '../analysis/analysis.models.ts';
import { sql } from 'kysely';
import type { Db } from '../db/database.ts';
import { parseSeriesKey } from '../ingest/series-key.ts';
import { fleetToIngestBatches } from '../sim/fleet-sim.ts';
import { meanSlotSeconds } from '../storage/storage.repository.ts';

const HOUR = 3_600_000;
const slotsPerHour = 3600 / meanSlotSeconds;
/** Chunks a statement writes. */
const chunksPerInsert = 5000;

export interface ChunkRow {
  series_id: number;
  start: Date;
  offsets: number[];
  vals: number[];
  means: Buffer;
}

/**
 * One series' samples in `[from, before)` as hourly chunks: times kept to the second (a second sample in
 * the same second is dropped, as ingest drops it), offsets from the hour, and the 5-minute slot means
 * as big-endian float4 with NaN where a slot is empty.
 */
export function seriesChunks(
  seriesId: number,
  ts: ArrayLike<number>,
  values: ArrayLike<number>,
  from: number,
  before: number,
): ChunkRow[] {
  const chunks: ChunkRow[] = [];
  let current: { start: number; offsets: number[]; vals: number[] } | undefined;
  const flush = () => {
    if (!current) return;
    const sums = new Float64Array(slotsPerHour);
    const counts = new Uint32Array(slotsPerHour);
    current.offsets.forEach((o, i) => {
      const slot = Math.floor(o / meanSlotSeconds);
      sums[slot] = (sums[slot] as number) + (current?.vals[i] as number);
      counts[slot] = (counts[slot] as number) + 1;
    });
    const means = Buffer.alloc(4 * slotsPerHour);
    for (let s = 0; s < slotsPerHour; s++) {
      const n = counts[s] as number;
      means.writeFloatBE(n === 0 ? NaN : (sums[s] as number) / n, 4 * s);
    }
    chunks.push({
      series_id: seriesId,
      start: new Date(current.start),
      offsets: current.offsets,
      vals: current.vals,
      means,
    });
  };
  let last = -Infinity;
  for (let i = 0; i < ts.length; i++) {
    const second = Math.floor((ts[i] as number) / 1000) * 1000;
    if (second >= before) break;
    if (second < from || second <= last) continue;
    last = second;
    const start = Math.floor(second / HOUR) * HOUR;
    if (current?.start !== start) {
      flush();
      current = { start, offsets: [], vals: [] };
    }
    current.offsets.push((second - start) / 1000);
    current.vals.push(values[i] as number);
  }
  flush();
  return chunks;
}

const literal = (values: number[]) => `{${values.join(',')}}`;

/**
 * One statement for many chunks: their arrays flattened into one array literal each (parsed in C, where
 * a parameter per chunk and column costs twice as long), cut apart again by the chunks' lengths.
 */
async function insertChunks(db: Db, chunks: ChunkRow[]): Promise<void> {
  await sql`
    INSERT INTO sample_chunks (series_id, start, offsets, vals, means)
    SELECT u.s, to_timestamp(u.st), o.offs[u.a:u.z], v.vals[u.a:u.z], substring(m.means FROM (u.i::int4 - 1) * ${4 * slotsPerHour} + 1 FOR ${4 * slotsPerHour})
    FROM (
      SELECT s, st, i, (sum(n) OVER (ORDER BY i) - n + 1)::int4 AS a, (sum(n) OVER (ORDER BY i))::int4 AS z
      FROM unnest(${literal(chunks.map((c) => c.series_id))}::int4[], ${literal(chunks.map((c) => c.start.getTime() / 1000))}::int8[],
                  ${literal(chunks.map((c) => c.vals.length))}::int4[]) WITH ORDINALITY AS x(s, st, n, i)
    ) u,
    (SELECT ${literal(chunks.flatMap((c) => c.offsets))}::int2[] AS offs) o,
    (SELECT ${literal(chunks.flatMap((c) => c.vals))}::float8[] AS vals) v,
    (SELECT ${Buffer.concat(chunks.map((c) => c.means))}::bytea AS means) m
    ON CONFLICT (series_id, start) DO NOTHING`.execute(db);
}

/**
 * Writes each series' samples in `[from(host), before)` as chunks, to series the API already created;
 * returns the values written and the series it found no id for.
 */
export async function writeChunks(
  db: Db,
  fleet: FleetData,
  from: (host: HostData) => number,
  before: number,
): Promise<{ written: number; missing: { host: HostData; key: string }[] }> {
  const rows = await db
    .selectFrom('series')
    .innerJoin('hosts', 'hosts.id', 'series.host_id')
    .select(['series.id', 'series.key', 'hosts.name'])
    .execute();
  const ids = new Map(rows.map((r) => [`${r.name}\u0000${r.key}`, r.id]));
  const missing: { host: HostData; key: string }[] = [];
  let written = 0;
  let batch: ChunkRow[] = [];
  const insert = async () => {
    if (batch.length === 0) return;
    await insertChunks(db, batch);
    batch = [];
  };
  for (const host of fleet.hosts) {
    const since = from(host);
    for (const [key, s] of host.series) {
      const id = ids.get(`${host.host}\u0000${parseSeriesKey(key).key}`);
      if (id === undefined) {
        missing.push({ host, key });
        continue;
      }
      for (const chunk of seriesChunks(id, s.ts, s.values, since, before)) {
        written += chunk.vals.length;
        batch.push(chunk);
        if (batch.length >= chunksPerInsert) await insert();
      }
    }
  }
  await insert();
  return { written, missing };
}

/** Each host's samples in `[from(host), to(host))`, for pushing through the API. */
export function fleetSlice(
  fleet: FleetData,
  from: (host: HostData) => number,
  to: (host: HostData) => number,
): FleetData {
  const index = (ts: Float64Array, at: number) => {
    let i = 0;
    while (i < ts.length && Math.floor((ts[i] as number) / 1000) * 1000 < at) i++;
    return i;
  };
  return {
    from: fleet.from,
    to: fleet.to,
    hosts: fleet.hosts.map((h) => {
      const [a, b] = [from(h), to(h)];
      return {
        ...h,
        series: new Map(
          [...h.series].map(([key, s]) => {
            const [i, j] = [index(s.ts, a), index(s.ts, b)];
            return [key, { ts: s.ts.subarray(i, j), values: s.values.subarray(i, j) }];
          }),
        ),
      };
    }),
  };
}

export interface DemoLoad {
  /** Values written as chunks. */
  chunked: number;
  /** Samples pushed through the API. */
  pushed: number;
}

/**
 * Loads a fleet. Through `post('/api/v1/samples', body)`, as agents push: each host's first hour (which
 * creates the host, its labels and its series) and the fleet's last hour. The hours between go straight
 * into chunks. A series the first hour did not create goes through the API whole.
 */
export async function loadDemoFleet(
  onset: { database: { db: Db } },
  sim: { fleet: FleetData },
  post: (route: string, body: unknown) => Promise<unknown>,
): Promise<DemoLoad> {
  const fleet = sim.fleet;
  const recentFrom = Math.max(fleet.from, Math.floor(fleet.to / HOUR) * HOUR - HOUR);
  const firstHourEnd = new Map(
    fleet.hosts.map((h) => {
      const first = Math.min(...[...h.series.values()].map((s) => s.ts[0] ?? Infinity));
      return [
        h,
        Number.isFinite(first) ? Math.min(recentFrom, Math.floor(first / HOUR) * HOUR + HOUR) : recentFrom,
      ];
    }),
  );
  const historyFrom = (h: HostData) => firstHourEnd.get(h) as number;
  let pushed = 0;
  const push = async (part: FleetData) => {
    for (const body of fleetToIngestBatches(part, 40, 360)) {
      if (body.hosts.length === 0) continue;
      await post('/api/v1/samples', body);
      pushed += body.hosts.reduce((n, h) => n + h.samples.length, 0);
    }
  };
  await push(fleetSlice(fleet, () => -Infinity, historyFrom));
  const { written, missing } = await writeChunks(onset.database.db, fleet, historyFrom, recentFrom);
  if (missing.length > 0) {
    await push({
      ...fleet,
      hosts: missing.map(({ host, key }) => ({
        ...host,
        series: new Map([[key, host.series.get(key) as Series]]),
      })),
    });
  }
  await push(
    fleetSlice(
      fleet,
      () => recentFrom,
      () => Infinity,
    ),
  );
  return { chunked: written, pushed };
}
