import { sql } from 'kysely';
import type { Db } from '../db/database.ts';

/**
 * Each chunk also keeps the means of its 5-minute slots as big-endian float4 (NaN where a slot has no
 * sample): 48 bytes that let a fleet-wide analysis read 2 days of a series as 2 KiB.
 */
export const meanSlotSeconds = 300;

/** Chunk boundaries: whole hours since the epoch. */
const chunkOrigin = sql`TIMESTAMPTZ '1970-01-01 00:00:00+00'`;

/** Series ids that have recent rows older than `before`, in id order, from `afterId`. */
export async function seriesWithRowsBefore(
  db: Db,
  before: Date,
  afterId: number,
  limit: number,
): Promise<number[]> {
  const rows = await sql<{ series_id: number }>`
    SELECT DISTINCT series_id FROM (
      SELECT series_id FROM samples WHERE series_id > ${afterId} AND ts < ${before} ORDER BY series_id LIMIT ${limit * 1000}
    ) s ORDER BY series_id LIMIT ${limit}`.execute(db);
  return rows.rows.map((r) => r.series_id);
}

/**
 * Moves the recent rows of the given series older than `before` into their hourly chunks, merging
 * with what a chunk already holds. A time already in the chunk keeps its stored value, so a sample
 * sent twice is stored once.
 */
export async function compactSeries(db: Db, seriesIds: number[], before: Date): Promise<number> {
  const result = await sql<{ moved: number }>`
    WITH moved AS (
      DELETE FROM samples WHERE series_id = ANY(${seriesIds}::int4[]) AND ts < ${before}
      RETURNING series_id, ts, value
    ),
    touched AS (
      SELECT DISTINCT series_id, date_bin('1 hour', ts, ${chunkOrigin}) AS start FROM moved
    ),
    old AS (
      SELECT c.series_id, c.start + u.o * interval '1 second' AS ts, u.v AS value, 0 AS rank
      FROM sample_chunks c
      JOIN touched t ON t.series_id = c.series_id AND t.start = c.start
      CROSS JOIN LATERAL unnest(c.offsets, c.vals) AS u(o, v)
    ),
    merged AS (
      SELECT DISTINCT ON (series_id, ts) series_id, ts, value
      FROM (SELECT series_id, ts, value, rank FROM old UNION ALL SELECT series_id, ts, value, 1 FROM moved) p
      ORDER BY series_id, ts, rank
    ),
    points AS (
      SELECT series_id, start, (date_part('epoch', ts) - date_part('epoch', start))::int2 AS o, value
      FROM (SELECT series_id, date_bin('1 hour', ts, ${chunkOrigin}) AS start, ts, value FROM merged) m
    ),
    slots AS (
      SELECT series_id, start, o / ${meanSlotSeconds} AS slot, avg(value)::float4 AS mean
      FROM points GROUP BY 1, 2, 3
    ),
    means AS (
      SELECT t.series_id, t.start,
             string_agg(float4send(coalesce(s.mean, 'NaN'::float4)), ''::bytea ORDER BY g.slot) AS means
      FROM touched t
      CROSS JOIN generate_series(0, ${3600 / meanSlotSeconds - 1}) AS g(slot)
      LEFT JOIN slots s ON s.series_id = t.series_id AND s.start = t.start AND s.slot = g.slot
      GROUP BY t.series_id, t.start
    ),
    written AS (
      INSERT INTO sample_chunks (series_id, start, offsets, vals, means)
      SELECT p.series_id, p.start, array_agg(p.o ORDER BY p.o), array_agg(p.value ORDER BY p.o), m.means
      FROM points p JOIN means m ON m.series_id = p.series_id AND m.start = p.start
      GROUP BY p.series_id, p.start, m.means
      ON CONFLICT (series_id, start) DO UPDATE SET offsets = EXCLUDED.offsets, vals = EXCLUDED.vals, means = EXCLUDED.means
      RETURNING 1
    )
    SELECT (SELECT count(*) FROM moved)::int AS moved, (SELECT count(*) FROM written)::int AS chunks`.execute(
    db,
  );
  return result.rows[0]?.moved ?? 0;
}

/**
 * Lets the recent-rows table and its index reuse the space compaction freed. Run after each pass, it
 * keeps that table at about an hour of samples whatever autovacuum's settings are.
 */
export async function vacuumRecentRows(db: Db): Promise<void> {
  await sql`VACUUM samples`.execute(db);
}

/**
 * Rebuilds the recent-rows index, which VACUUM never shrinks: each hour's rows land across every
 * series' key range and leave half-empty pages behind. Right after compaction the table holds only
 * minutes of samples, so the rebuild is quick; CONCURRENTLY keeps ingest running meanwhile.
 */
export async function reindexRecentRows(db: Db, concurrently: boolean): Promise<void> {
  await (
    concurrently ? sql`REINDEX INDEX CONCURRENTLY samples_pkey` : sql`REINDEX INDEX samples_pkey`
  ).execute(db);
}

/** Deletes up to `limit` chunks and recent rows older than `before`; returns how many went. */
export async function deleteOlderThan(db: Db, before: Date, limit: number): Promise<number> {
  const chunks = await sql`
    DELETE FROM sample_chunks WHERE ctid = ANY(ARRAY(
      SELECT ctid FROM sample_chunks WHERE start < ${before}::timestamptz - interval '1 hour' LIMIT ${limit}))`.execute(
    db,
  );
  const rows = await sql`
    DELETE FROM samples WHERE ctid = ANY(ARRAY(SELECT ctid FROM samples WHERE ts < ${before} LIMIT ${limit}))`.execute(
    db,
  );
  return Number(chunks.numAffectedRows ?? 0n) + Number(rows.numAffectedRows ?? 0n);
}
