import { sql } from 'kysely';
import type { Db } from '../db/database.ts';
import { meanSlotSeconds } from '../storage/storage.repository.ts';
import type { FleetData, HostData, Series } from './analysis.models.ts';

export interface FleetQuery {
  from: number;
  to: number;
  /** Metric names to read (all their series). */
  metrics: string[];
  /** Only these hosts; all hosts when absent. */
  hosts?: string[];
}

interface SeriesMeans {
  host: string;
  host_labels: Record<string, string>;
  key: string;
  starts: number[] | null;
  means: Buffer | null;
  recent_ts: number[] | null;
  recent_vals: number[] | null;
}

const slotMs = meanSlotSeconds * 1000;
const slotsPerHour = 3600 / meanSlotSeconds;

/**
 * The fleet's series as 5-minute means, each placed at the middle of its slot. Compacted hours are
 * read from the means each chunk keeps (48 bytes an hour), so two days of a series cost about 2 KiB;
 * the recent, not yet compacted rows are averaged here the same way.
 */
export async function readFleetMeans(db: Db, q: FleetQuery): Promise<FleetData> {
  const from = new Date(Math.floor(q.from / 3_600_000) * 3_600_000);
  const to = new Date(q.to);
  const rows = await sql<SeriesMeans>`
    WITH sel AS (
      SELECT s.id, h.name AS host, h.labels AS host_labels, s.key
      FROM series s JOIN hosts h ON h.id = s.host_id
      WHERE s.metric = ANY(${q.metrics}::text[])
        AND h.last_ts >= ${new Date(q.from)} AND h.first_ts < ${to}
        ${q.hosts ? sql`AND h.name = ANY(${q.hosts}::text[])` : sql``}
    ),
    chunks AS (
      SELECT c.series_id, array_agg(date_part('epoch', c.start) ORDER BY c.start) AS starts,
             string_agg(c.means, ''::bytea ORDER BY c.start) AS means
      FROM sample_chunks c JOIN sel ON sel.id = c.series_id
      WHERE c.start >= ${from} AND c.start < ${to}
      GROUP BY c.series_id
    ),
    recent AS (
      SELECT series_id, array_agg(slot ORDER BY slot) AS ts, array_agg(v ORDER BY slot) AS vals
      FROM (
        SELECT r.series_id, floor(date_part('epoch', r.ts) / ${meanSlotSeconds}) AS slot, avg(r.value) AS v
        FROM samples r JOIN sel ON sel.id = r.series_id
        WHERE r.ts >= ${from} AND r.ts < ${to}
        GROUP BY 1, 2
      ) m
      GROUP BY series_id
    )
    SELECT sel.host, sel.host_labels, sel.key, chunks.starts, chunks.means, recent.ts AS recent_ts, recent.vals AS recent_vals
    FROM sel
    LEFT JOIN chunks ON chunks.series_id = sel.id
    LEFT JOIN recent ON recent.series_id = sel.id
    WHERE chunks.series_id IS NOT NULL OR recent.series_id IS NOT NULL`.execute(db);

  const hosts = new Map<string, HostData>();
  for (const row of rows.rows) {
    const series = decodeMeans(row, q.from, q.to);
    if (series.ts.length === 0) continue;
    let host = hosts.get(row.host);
    if (!host) {
      host = { host: row.host, labels: row.host_labels, series: new Map() };
      hosts.set(row.host, host);
    }
    host.series.set(row.key, series);
  }
  return { from: q.from, to: q.to, hosts: [...hosts.values()].sort((a, b) => (a.host < b.host ? -1 : 1)) };
}

function decodeMeans(row: SeriesMeans, from: number, to: number): Series {
  // One cell per 5-minute slot of the window; NaN where no sample fell.
  const first = Math.floor(from / 3_600_000) * 3_600_000;
  const cells = new Float64Array(Math.ceil((to - first) / slotMs)).fill(NaN);
  const starts = row.starts ?? [];
  const means = row.means;
  if (means) {
    const view = new DataView(means.buffer, means.byteOffset, means.byteLength);
    for (let c = 0; c < starts.length; c++) {
      const base = ((starts[c] as number) * 1000 - first) / slotMs;
      for (let s = 0; s < slotsPerHour; s++) {
        const i = base + s;
        if (i >= 0 && i < cells.length) cells[i] = view.getFloat32((c * slotsPerHour + s) * 4, false);
      }
    }
  }
  // A slot in both (a late sample for a compacted hour) keeps the chunk's mean: it holds most samples.
  const recentTs = row.recent_ts ?? [];
  for (let k = 0; k < recentTs.length; k++) {
    const i = ((recentTs[k] as number) * slotMs - first) / slotMs;
    if (i >= 0 && i < cells.length && Number.isNaN(cells[i])) cells[i] = row.recent_vals?.[k] as number;
  }
  let n = 0;
  for (let i = 0; i < cells.length; i++) {
    const mid = first + i * slotMs + slotMs / 2;
    if (!Number.isNaN(cells[i]) && mid >= from && mid < to) n++;
  }
  const ts = new Float64Array(n);
  const values = new Float64Array(n);
  for (let i = 0, j = 0; i < cells.length; i++) {
    const mid = first + i * slotMs + slotMs / 2;
    if (Number.isNaN(cells[i]) || mid < from || mid >= to) continue;
    ts[j] = mid;
    values[j++] = cells[i] as number;
  }
  return { ts, values };
}

export interface RawPointsQuery {
  host: string;
  keys: string[];
  from: number;
  to: number;
}

/** Every stored sample of a few series of one host in a window, for a close look at an onset. */
export async function readRawPoints(db: Db, q: RawPointsQuery): Promise<Map<string, Series>> {
  const rows = await sql<{ key: string; ts: number[]; vals: number[] }>`
    WITH sel AS (
      SELECT s.id, s.key FROM series s JOIN hosts h ON h.id = s.host_id
      WHERE h.name = ${q.host} AND s.key = ANY(${q.keys}::text[])
    ),
    pts AS (
      SELECT DISTINCT ON (series_id, t) series_id, t, v FROM (
        SELECT c.series_id, date_part('epoch', c.start) + u.o AS t, u.v, 0 AS rank
        FROM sample_chunks c JOIN sel ON sel.id = c.series_id
        CROSS JOIN LATERAL unnest(c.offsets, c.vals) AS u(o, v)
        WHERE c.start > ${new Date(q.from)}::timestamptz - interval '1 hour' AND c.start < ${new Date(q.to)}
        UNION ALL
        SELECT r.series_id, date_part('epoch', r.ts), r.value, 1
        FROM samples r JOIN sel ON sel.id = r.series_id
        WHERE r.ts >= ${new Date(q.from)} AND r.ts < ${new Date(q.to)}
      ) p
      WHERE t >= ${q.from / 1000}::float8 AND t < ${q.to / 1000}::float8
      ORDER BY series_id, t, rank
    )
    SELECT sel.key, array_agg(pts.t ORDER BY pts.t) AS ts, array_agg(pts.v ORDER BY pts.t) AS vals
    FROM pts JOIN sel ON sel.id = pts.series_id GROUP BY sel.key`.execute(db);
  return new Map(
    rows.rows.map((r) => [
      r.key,
      { ts: Float64Array.from(r.ts, (t) => t * 1000), values: Float64Array.from(r.vals) },
    ]),
  );
}
