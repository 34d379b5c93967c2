import { sql } from 'kysely';
import type { Db } from '../db/database.ts';
import { readSlotMeans, slotMs } from '../storage/slot-means.repository.ts';

export interface HostSummary {
  name: string;
  labels: Record<string, string>;
  first_ts: Date;
  last_ts: Date;
  series: number;
}

export async function listHosts(db: Db): Promise<HostSummary[]> {
  const rows = await db
    .selectFrom('hosts as h')
    .leftJoin('series as s', 's.host_id', 'h.id')
    .select(['h.name', 'h.labels', 'h.first_ts', 'h.last_ts'])
    .select((eb) => eb.fn.count<string>('s.id').as('series'))
    .groupBy('h.id')
    .orderBy('h.name')
    .execute();
  return rows.map((r) => ({ ...r, series: Number(r.series) }));
}

export interface SeriesSelector {
  metric: string;
  labels: Record<string, string>;
}

export interface SeriesPoints {
  key: string;
  metric: string;
  labels: Record<string, string>;
  ts: number[];
  values: number[];
}

/**
 * Averages per step of the selected series of one host. Points come from both the hourly chunks and
 * the recent rows; a sample sent again after compaction sits in both until the next compaction,
 * which an average of equal values does not notice.
 */
export async function readHostSeries(
  db: Db,
  host: string,
  selectors: SeriesSelector[],
  from: Date,
  to: Date,
  stepMs: number,
): Promise<SeriesPoints[]> {
  // Steps of whole 5-minute slots read the means compaction keeps: 48 bytes an hour instead of every value.
  const slotAligned = stepMs % slotMs === 0 && from.getTime() % slotMs === 0 && to.getTime() % slotMs === 0;
  return slotAligned
    ? readHostSeriesFromMeans(db, host, selectors, from, to, stepMs)
    : readHostSeriesFromSamples(db, host, selectors, from, to, stepMs);
}

function selectedSeries(host: string, selectors: SeriesSelector[]) {
  const metrics = selectors.map((s) => s.metric);
  const labelSets = selectors.map((s) => JSON.stringify(s.labels));
  return sql`
      SELECT DISTINCT s.id, s.key, s.metric, s.labels
      FROM series s
      JOIN hosts h ON h.id = s.host_id
      JOIN unnest(${metrics}::text[], ${labelSets}::text[]) AS q(metric, labels)
        ON s.metric = q.metric AND s.labels @> q.labels::jsonb
      WHERE h.name = ${host}`;
}

/**
 * Averages of whole 5-minute slots: compacted hours from their stored slot means (float4, so within
 * about 1e-7 of the value), recent rows averaged per slot. A step's value is the mean of its slots'.
 */
async function readHostSeriesFromMeans(
  db: Db,
  host: string,
  selectors: SeriesSelector[],
  from: Date,
  to: Date,
  stepMs: number,
): Promise<SeriesPoints[]> {
  const lo = from.getTime();
  const hi = to.getTime();
  const rows = await readSlotMeans<{ key: string; metric: string; labels: Record<string, string> }>(
    db,
    selectedSeries(host, selectors),
    { from: lo, to: hi },
    { keepEmpty: true, orderBy: sql`sel.key` },
  );
  return rows.map((r) => {
    const steps = new Map<number, { sum: number; n: number }>();
    const { first, cells } = r.grid;
    for (let i = 0; i < cells.length; i++) {
      const v = cells[i] as number;
      const t = first + i * slotMs;
      if (Number.isNaN(v) || t < lo || t >= hi) continue;
      const bucket = Math.floor(t / stepMs) * stepMs;
      const acc = steps.get(bucket) ?? { sum: 0, n: 0 };
      acc.sum += v;
      acc.n++;
      steps.set(bucket, acc);
    }
    const ts = [...steps.keys()].sort((a, b) => a - b);
    return {
      key: r.key,
      metric: r.metric,
      labels: r.labels,
      ts,
      values: ts.map((t) => {
        const acc = steps.get(t) as { sum: number; n: number };
        return acc.sum / acc.n;
      }),
    };
  });
}

async function readHostSeriesFromSamples(
  db: Db,
  host: string,
  selectors: SeriesSelector[],
  from: Date,
  to: Date,
  stepMs: number,
): Promise<SeriesPoints[]> {
  const rows = await sql<{
    id: number;
    key: string;
    metric: string;
    labels: Record<string, string>;
    ts: number[];
    vals: number[];
  }>`
    WITH sel AS (${selectedSeries(host, selectors)}    ),
    pts AS (
      SELECT c.series_id, date_part('epoch', c.start) + u.o AS t, u.v
      FROM sample_chunks c
      JOIN sel ON sel.id = c.series_id
      CROSS JOIN LATERAL unnest(c.offsets, c.vals) AS u(o, v)
      WHERE c.start > ${from}::timestamptz - interval '1 hour' AND c.start < ${to}
      UNION ALL
      SELECT r.series_id, date_part('epoch', r.ts), r.value
      FROM samples r JOIN sel ON sel.id = r.series_id
      WHERE r.ts >= ${from} AND r.ts < ${to}
    ),
    -- Seconds as float8 throughout: timestamp and numeric arithmetic per point costs several times more.
    buckets AS (
      SELECT series_id, floor(t / ${stepMs / 1000}::float8) * ${stepMs} AS bucket, avg(v) AS v
      FROM pts WHERE t >= ${from.getTime() / 1000}::float8 AND t < ${to.getTime() / 1000}::float8
      GROUP BY 1, 2
    ),
    series AS (
      SELECT series_id, array_agg(bucket ORDER BY bucket) AS ts, array_agg(v ORDER BY bucket) AS vals
      FROM buckets GROUP BY series_id
    )
    SELECT sel.id, sel.key, sel.metric, sel.labels, coalesce(series.ts, '{}') AS ts, coalesce(series.vals, '{}') AS vals
    FROM sel LEFT JOIN series ON series.series_id = sel.id
    ORDER BY sel.key`.execute(db);
  return rows.rows.map((r) => ({
    key: r.key,
    metric: r.metric,
    labels: r.labels,
    ts: r.ts.map(Number),
    values: r.vals,
  }));
}

export async function hostExists(db: Db, host: string): Promise<boolean> {
  return (
    (await db.selectFrom('hosts').select('id').where('name', '=', host).executeTakeFirst()) !== undefined
  );
}
