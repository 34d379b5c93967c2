import { sql } from 'kysely';
import type { Db } from '../db/database.ts';
import { readSlotMeans } from '../storage/slot-means.repository.ts';
import type { FleetData } from './analysis.models.ts';
import { gridSlotsIn, type HostGrids, hostSeries } from './slot-grid.ts';

export interface FleetQuery {
  from: number;
  to: number;
  /** Metric names to read (all their series). */
  metrics: string[];
  /** Only these hosts; all hosts when absent. */
  hosts?: string[];
}

/** A host seen in a window, before its series are read. */
export interface FleetHost {
  id: number;
  host: string;
  labels: Record<string, string>;
}

const byName = (a: { host: string }, b: { host: string }): number => (a.host < b.host ? -1 : 1);

/** The hosts whose life overlaps the window, by name (code-unit order, whatever the collation). */
export async function listFleetHosts(db: Db, q: FleetQuery): Promise<FleetHost[]> {
  const rows = await sql<FleetHost>`
    SELECT h.id, h.name AS host, h.labels FROM hosts h
    WHERE h.last_ts >= ${new Date(q.from)} AND h.first_ts < ${new Date(q.to)}
      ${q.hosts ? sql`AND h.name = ANY(${q.hosts}::text[])` : sql``}`.execute(db);
  return rows.rows.sort(byName);
}

/**
 * The slot grids of the given hosts' series of `q.metrics`, in the order of `hosts`. A series keeps
 * its grid when a slot with a sample has its middle in the window; a host with no such series is left out.
 */
export async function readHostGrids(db: Db, q: FleetQuery, hosts: FleetHost[]): Promise<HostGrids[]> {
  const rows = await readSlotMeans<{ host_id: number; key: string }>(
    db,
    sql`SELECT s.id, s.host_id, s.key FROM series s
        WHERE s.host_id = ANY(${hosts.map((h) => h.id)}::int4[]) AND s.metric = ANY(${q.metrics}::text[])`,
    q,
  );
  const byId = new Map<number, HostGrids>(
    hosts.map((h) => [h.id, { host: h.host, labels: h.labels, series: new Map() }]),
  );
  for (const row of rows) {
    if (gridSlotsIn(row.grid, q.from, q.to) > 0) byId.get(row.host_id)?.series.set(row.key, row.grid);
  }
  return [...byId.values()].filter((h) => h.series.size > 0);
}

/** The fleet's series as 5-minute means, each placed at the middle of its slot. */
export async function readFleetMeans(db: Db, q: FleetQuery): Promise<FleetData> {
  const grids = await readHostGrids(db, q, await listFleetHosts(db, q));
  return { from: q.from, to: q.to, hosts: grids.map((h) => hostSeries(h, q.from, q.to)) };
}
