import type { Db } from '../db/database.ts';
import { AppError } from '../http/errors.ts';
import * as repo from './ingest.repository.ts';
import type { IngestHost, IngestSeries } from './ingest.schemas.ts';

export interface IngestResult {
  hosts: number;
  values: number;
  /** Values not already stored. */
  stored: number;
}

export interface IngestService {
  ingest(hosts: IngestHost[]): Promise<IngestResult>;
}

export interface IngestOptions {
  /** Requests writing at once; more wait in a queue. */
  maxConcurrent: number;
  /** Requests that may wait; past that the caller is asked to come back later. */
  maxQueued: number;
}

/** Series ids by host id and series key. */
type SeriesIds = Map<number, Map<string, number>>;

/**
 * The samples as `samples` rows in the order of their primary key (series id, then time), so that
 * requests touching the same rows wait for each other in one order and never deadlock.
 */
function sampleRows(groups: Array<{ id: number; column: IngestSeries }>): repo.SampleRows {
  groups.sort((a, b) => a.id - b.id);
  let ids = '';
  const seconds: string[] = [];
  const values: string[] = [];
  for (const { id, column } of groups) {
    const n = column.seconds.length;
    ids += `${id},`.repeat(n);
    let sorted = true;
    for (let i = 1; i < n && sorted; i++)
      sorted = (column.seconds[i - 1] as number) <= (column.seconds[i] as number);
    if (sorted) {
      seconds.push(column.seconds.join(','));
      values.push(column.values.join(','));
    } else {
      // Stable, so of two samples in the same second the first sent is still the one stored.
      const order = column.seconds
        .map((_, i) => i)
        .sort((a, b) => (column.seconds[a] as number) - (column.seconds[b] as number));
      seconds.push(order.map((i) => column.seconds[i]).join(','));
      values.push(order.map((i) => column.values[i]).join(','));
    }
  }
  return {
    seriesIds: `{${ids.slice(0, -1)}}`,
    seconds: `{${seconds.join(',')}}`,
    values: `{${values.join(',')}}`,
  };
}

export function createIngestService(db: Db, options: IngestOptions): IngestService {
  // Series ids never change once created, so they are cached after their transaction commits.
  const seriesIds: SeriesIds = new Map();
  let running = 0;
  const waiting: Array<() => void> = [];

  async function withSlot<T>(fn: () => Promise<T>): Promise<T> {
    if (running >= options.maxConcurrent) {
      if (waiting.length >= options.maxQueued) {
        throw new AppError('service.busy', 'the server is busy storing other samples; retry later', [], 2);
      }
      await new Promise<void>((resolve) => waiting.push(resolve));
    } else {
      running++;
    }
    try {
      return await fn();
    } finally {
      const next = waiting.shift();
      if (next) next();
      else running--;
    }
  }

  /** One transaction; without `merge`, a sample already stored fails it with a unique violation. */
  async function store(hosts: IngestHost[], merge: boolean): Promise<IngestResult> {
    let values = 0;
    const fresh: SeriesIds = new Map();
    const stored = await db.transaction().execute(async (trx) => {
      const hostIds = await repo.upsertHosts(
        trx,
        hosts.map((h) => ({ name: h.host, labels: h.labels, firstTs: h.firstTs, lastTs: h.lastTs })),
      );
      const missing: repo.SeriesUpsert[] = [];
      for (const h of hosts) {
        const hostId = hostIds.get(h.host) as number;
        const known = seriesIds.get(hostId);
        for (const { series } of h.series) {
          if (known?.get(series.key) === undefined)
            missing.push({ hostId, key: series.key, metric: series.metric, labels: series.labels });
        }
      }
      if (missing.length > 0) {
        for (const r of await repo.upsertSeriesRows(trx, missing)) {
          let own = fresh.get(r.hostId);
          if (own === undefined) fresh.set(r.hostId, (own = new Map()));
          own.set(r.key, r.id);
        }
      }
      const groups: Array<{ id: number; column: IngestSeries }> = [];
      for (const h of hosts) {
        const hostId = hostIds.get(h.host) as number;
        const known = seriesIds.get(hostId);
        const created = fresh.get(hostId);
        for (const column of h.series) {
          const id = known?.get(column.series.key) ?? created?.get(column.series.key);
          if (id === undefined) throw new Error(`no id for series ${column.series.key} of ${h.host}`);
          groups.push({ id, column });
        }
        values += h.values;
      }
      return groups.length > 0 ? repo.insertSamples(trx, sampleRows(groups), merge) : 0;
    });
    for (const [hostId, own] of fresh) {
      const known = seriesIds.get(hostId);
      if (known === undefined) seriesIds.set(hostId, own);
      else for (const [key, id] of own) known.set(key, id);
    }
    return { hosts: hosts.length, values, stored };
  }

  return {
    ingest: (hosts) =>
      withSlot(async () => {
        try {
          return await store(hosts, false);
        } catch (err) {
          // Some of the samples are stored already (a resend, or the same batch arriving twice at once):
          // store the rest, once.
          if (repo.isUniqueViolation(err)) return store(hosts, true);
          throw err;
        }
      }),
  };
}
