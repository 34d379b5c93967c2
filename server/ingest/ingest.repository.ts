import { sql } from 'kysely';
import type { Db } from '../db/database.ts';

export interface HostUpsert {
  name: string;
  labels: Record<string, string>;
  firstTs: number;
  lastTs: number;
}

/** Creates or updates hosts (sorted by name, so concurrent requests lock in one order). */
export async function upsertHosts(db: Db, hosts: HostUpsert[]): Promise<Map<string, number>> {
  const sorted = [...hosts].sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  const rows = await sql<{ id: number; name: string }>`
    INSERT INTO hosts (name, labels, first_ts, last_ts)
    SELECT n, l::jsonb, to_timestamp(f / 1000.0), to_timestamp(t / 1000.0)
    FROM unnest(${sorted.map((h) => h.name)}::text[], ${sorted.map((h) => JSON.stringify(h.labels))}::text[],
                ${sorted.map((h) => h.firstTs)}::float8[], ${sorted.map((h) => h.lastTs)}::float8[]) AS u(n, l, f, t)
    ON CONFLICT (name) DO UPDATE SET
      labels = CASE WHEN EXCLUDED.last_ts >= hosts.last_ts THEN EXCLUDED.labels ELSE hosts.labels END,
      first_ts = LEAST(hosts.first_ts, EXCLUDED.first_ts),
      last_ts = GREATEST(hosts.last_ts, EXCLUDED.last_ts)
    RETURNING id, name`.execute(db);
  return new Map(rows.rows.map((r) => [r.name, r.id]));
}

export interface SeriesUpsert {
  hostId: number;
  key: string;
  metric: string;
  labels: Record<string, string>;
}

/** Ids of the given series by `seriesCacheKey`, creating those that do not exist yet. */
export async function upsertSeries(db: Db, series: SeriesUpsert[]): Promise<Map<string, number>> {
  const rows = await upsertSeriesRows(db, series);
  return new Map(rows.map((r) => [seriesCacheKey(r.hostId, r.key), r.id]));
}

export const seriesCacheKey = (hostId: number, key: string) => `${hostId}\u0000${key}`;

/** The given series with their ids, creating those that do not exist yet. */
export async function upsertSeriesRows(
  db: Db,
  series: SeriesUpsert[],
): Promise<Array<{ id: number; hostId: number; key: string }>> {
  const sorted = [...series].sort(
    (a, b) => a.hostId - b.hostId || (a.key < b.key ? -1 : a.key > b.key ? 1 : 0),
  );
  const rows = await sql<{ id: number; host_id: number; key: string }>`
    INSERT INTO series (host_id, key, metric, labels)
    SELECT h, k, m, l::jsonb
    FROM unnest(${sorted.map((s) => s.hostId)}::int4[], ${sorted.map((s) => s.key)}::text[],
                ${sorted.map((s) => s.metric)}::text[], ${sorted.map((s) => JSON.stringify(s.labels))}::text[]) AS u(h, k, m, l)
    ON CONFLICT (host_id, key) DO UPDATE SET key = EXCLUDED.key
    RETURNING id, host_id, key`.execute(db);
  return rows.rows.map((r) => ({ id: r.id, hostId: r.host_id, key: r.key }));
}

/** Rows for `samples` as PostgreSQL array literals (`{1,2,3}`): one parameter each, parsed in C. */
export interface SampleRows {
  seriesIds: string;
  /** Epoch seconds. */
  seconds: string;
  values: string;
}

/**
 * Stores samples. With `merge`, a sample already held (same series and time) is left as it is; without,
 * such a sample fails the statement with a unique violation (23505) and nothing is stored. A plain
 * insert costs PostgreSQL about half of what `ON CONFLICT` costs, so callers try it first.
 */
export async function insertSamples(db: Db, rows: SampleRows, merge: boolean): Promise<number> {
  const result = merge
    ? await sql`
        INSERT INTO samples (series_id, ts, value)
        SELECT s, to_timestamp(t), v FROM unnest(${rows.seriesIds}::int4[], ${rows.seconds}::int8[], ${rows.values}::float8[]) AS u(s, t, v)
        ON CONFLICT DO NOTHING`.execute(db)
    : await sql`
        INSERT INTO samples (series_id, ts, value)
        SELECT s, to_timestamp(t), v FROM unnest(${rows.seriesIds}::int4[], ${rows.seconds}::int8[], ${rows.values}::float8[]) AS u(s, t, v)`.execute(
        db,
      );
  return Number(result.numAffectedRows ?? 0n);
}

/** PostgreSQL's unique_violation, from node-postgres or PGlite. */
export function isUniqueViolation(err: unknown): boolean {
  return (err as { code?: unknown } | null)?.code === '23505';
}
