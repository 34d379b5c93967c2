import { mkdir } from 'node:fs/promises';
import { PGlite } from '@electric-sql/pglite';
import { Kysely, PostgresDialect } from 'kysely';
import pg from 'pg';
import type { Logger } from '../logger.ts';
import { PGliteDialect } from './pglite-dialect.ts';
import type { Database } from './schema.ts';

export type Db = Kysely<Database>;

export interface DatabaseHandle {
  db: Db;
  kind: 'postgres' | 'pglite';
  /** Connection-pool figures for /metrics; absent on embedded storage. */
  pool?: { total(): number; idle(): number; waiting(): number };
  close(): Promise<void>;
}

export interface DatabaseOptions {
  /** PostgreSQL connection string; without it, embedded PostgreSQL under `dataDir`. */
  url: string | undefined;
  /** Where embedded data lives; `memory://` keeps it in memory (tests). */
  dataDir: string;
  poolSize: number;
  /** A data directory image to start embedded storage from (a migrated template, in tests). */
  loadDataDir?: Blob;
}

export async function createDatabase(options: DatabaseOptions, logger: Logger): Promise<DatabaseHandle> {
  if (options.url) return createPostgres(options.url, options.poolSize, logger);
  if (!options.dataDir.startsWith('memory://')) await mkdir(options.dataDir, { recursive: true });
  const pglite = await PGlite.create({
    dataDir: options.dataDir,
    ...(options.loadDataDir ? { loadDataDir: options.loadDataDir } : {}),
  });
  const db = new Kysely<Database>({ dialect: new PGliteDialect(pglite) });
  return { db, kind: 'pglite', close: () => db.destroy() };
}

function createPostgres(url: string, poolSize: number, logger: Logger): DatabaseHandle {
  const pool = new pg.Pool({
    connectionString: url,
    max: poolSize,
    // Fail fast while the database is down, so ingest answers 503 instead of hanging.
    connectionTimeoutMillis: 5_000,
    idleTimeoutMillis: 30_000,
    application_name: 'onset',
  });
  // An idle client whose server went away emits here; without a listener the process would crash.
  pool.on('error', (err) => logger.warn({ err: err.message }, 'database connection lost'));
  const db = new Kysely<Database>({ dialect: new PostgresDialect({ pool }) });
  return {
    db,
    kind: 'postgres',
    pool: { total: () => pool.totalCount, idle: () => pool.idleCount, waiting: () => pool.waitingCount },
    close: () => db.destroy(),
  };
}

const unavailableCodes = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ETIMEDOUT',
  'EPIPE',
  'ENOTFOUND',
  'EAI_AGAIN',
]);

/**
 * Whether an error means "the database cannot serve now" (down, restarting, overloaded, a
 * transient conflict) rather than a bug: such errors become 503 with Retry-After.
 */
export function isDatabaseUnavailable(err: unknown): boolean {
  if (!(err instanceof Error)) return false;
  const code = (err as { code?: unknown }).code;
  if (typeof code === 'string') {
    if (unavailableCodes.has(code)) return true;
    // SQLSTATE class 08: connection exception; 57P01-57P03: shutdown / cannot connect now;
    // 53xxx: insufficient resources; 40001/40P01: serialization failure, deadlock.
    if (/^(08|53)/.test(code) || /^57P0[1-3]$/.test(code) || code === '40001' || code === '40P01')
      return true;
  }
  return /Connection terminated|timeout exceeded when trying to connect|Client has encountered a connection error/i.test(
    err.message,
  );
}
