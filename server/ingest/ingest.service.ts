import type { Db } from '../db/database.ts';
import { AppError } from '../http/errors.ts';
import * as repo from './ingest.repository.ts';
import type { IngestHost } from './ingest.schemas.ts';

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

export function createIngestService(db: Db, options: IngestOptions): IngestService {
  // Series ids never change once created, so they are cached after their transaction commits.
  const seriesIds = new Map<string, number>();
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

  async function store(hosts: IngestHost[]): Promise<IngestResult> {
    let values = 0;
    const fresh = new Map<string, number>();
    const stored = await db.transaction().execute(async (trx) => {
      const hostIds = await repo.upsertHosts(
        trx,
        hosts.map((h) => ({
          name: h.host,
          labels: h.labels,
          firstTs: Math.min(...h.ts),
          lastTs: Math.max(...h.ts),
        })),
      );
      const missing = new Map<string, repo.SeriesUpsert>();
      for (const h of hosts) {
        const hostId = hostIds.get(h.host) as number;
        for (const s of h.series) {
          const key = repo.seriesCacheKey(hostId, s.key);
          if (!seriesIds.has(key) && !missing.has(key))
            missing.set(key, { hostId, key: s.key, metric: s.metric, labels: s.labels });
        }
      }
      if (missing.size > 0) {
        for (const [key, id] of await repo.upsertSeries(trx, [...missing.values()])) fresh.set(key, id);
      }
      const ids: number[] = [];
      const ts: number[] = [];
      const vals: number[] = [];
      for (const h of hosts) {
        const hostId = hostIds.get(h.host) as number;
        for (let i = 0; i < h.series.length; i++) {
          const key = repo.seriesCacheKey(hostId, (h.series[i] as { key: string }).key);
          ids.push((seriesIds.get(key) ?? fresh.get(key)) as number);
          ts.push(h.ts[i] as number);
          vals.push(h.values[i] as number);
        }
      }
      values = ids.length;
      return ids.length > 0 ? repo.insertSamples(trx, ids, ts, vals) : 0;
    });
    for (const [key, id] of fresh) seriesIds.set(key, id);
    return { hosts: hosts.length, values, stored };
  }

  return { ingest: (hosts) => withSlot(() => store(hosts)) };
}
