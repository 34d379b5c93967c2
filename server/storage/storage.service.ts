import type { Db } from '../db/database.ts';
import type { Logger } from '../logger.ts';
import * as repo from './storage.repository.ts';

export interface StorageOptions {
  retentionMs: number;
  /** Rows are compacted once their hour ended this long ago, so late samples still land as rows. */
  graceMs: number;
  intervalMs: number;
  seriesPerBatch: number;
  /** PostgreSQL rebuilds indexes without blocking writes; embedded storage has one connection anyway. */
  concurrentReindex: boolean;
}

export const defaultStorageOptions: Omit<StorageOptions, 'retentionMs' | 'concurrentReindex'> = {
  graceMs: 10 * 60_000,
  intervalMs: 60_000,
  seriesPerBatch: 500,
};

export interface StorageService {
  /** Compacts every complete hour older than the grace period (or older than `before`). */
  compact(before?: Date): Promise<number>;
  /** Drops data older than the retention period, in small batches so no lock is held for long. */
  applyRetention(now?: Date): Promise<number>;
  start(): void;
  stop(): Promise<void>;
}

const hourMs = 3_600_000;

export function createStorageService(db: Db, options: StorageOptions, logger: Logger): StorageService {
  let timer: NodeJS.Timeout | undefined;
  let running: Promise<unknown> = Promise.resolve();
  let lastRetention = 0;

  async function compact(before?: Date): Promise<number> {
    const cutoff = before ?? new Date(Math.floor((Date.now() - options.graceMs) / hourMs) * hourMs);
    let moved = 0;
    let afterId = 0;
    for (;;) {
      const ids = await repo.seriesWithRowsBefore(db, cutoff, afterId, options.seriesPerBatch);
      if (ids.length === 0) {
        if (moved > 0) {
          await repo.vacuumRecentRows(db);
          await repo.reindexRecentRows(db, options.concurrentReindex);
        }
        return moved;
      }
      moved += await db.transaction().execute((trx) => repo.compactSeries(trx, ids, cutoff));
      afterId = ids[ids.length - 1] as number;
    }
  }

  async function applyRetention(now = new Date()): Promise<number> {
    const before = new Date(now.getTime() - options.retentionMs);
    let deleted = 0;
    for (;;) {
      const n = await repo.deleteOlderThan(db, before, 10_000);
      deleted += n;
      if (n === 0) return deleted;
    }
  }

  async function tick(): Promise<void> {
    try {
      const moved = await compact();
      if (moved > 0) logger.debug({ moved }, 'compacted samples');
      if (Date.now() - lastRetention > hourMs) {
        lastRetention = Date.now();
        const deleted = await applyRetention();
        if (deleted > 0) logger.info({ deleted }, 'dropped data past retention');
      }
    } catch (err) {
      // The next tick tries again; a database outage must not stop the server.
      logger.warn({ err: (err as Error).message }, 'storage maintenance failed');
    }
  }

  return {
    compact,
    applyRetention,
    start() {
      timer = setInterval(() => {
        running = running.then(tick);
      }, options.intervalMs);
      timer.unref();
    },
    async stop() {
      if (timer) clearInterval(timer);
      await running;
    },
  };
}
