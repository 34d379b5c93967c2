import { randomBytes } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import pg from 'pg';
import supertest from 'supertest';
import { inject } from 'vitest';
import { loadConfig } from '../../server/config.ts';
import type { DatabaseOptions } from '../../server/db/database.ts';
import { createLogger } from '../../server/logger.ts';
import { buildOnset, type Onset } from '../../server/main.ts';
import { withDatabase } from '../global-setup.ts';
import { createTcpProxy } from './tcp-proxy.ts';

export const ingestToken = 'test-ingest-token-0123456789';
export const readToken = 'test-read-token-0123456789';

export interface TestDatabase {
  options: Partial<DatabaseOptions>;
  drop(): Promise<void>;
}

/** A database of the test's own, copied from the migrated template: real PostgreSQL or embedded. */
export async function createTestDatabase(): Promise<TestDatabase> {
  const adminUrl = inject('pgAdminUrl');
  const template = inject('pgTemplate');
  if (adminUrl && template) {
    const name = `onset_test_${process.ppid}_${randomBytes(4).toString('hex')}`;
    const admin = new pg.Client({ connectionString: adminUrl });
    await admin.connect();
    try {
      await admin.query(`CREATE DATABASE ${name} TEMPLATE ${template}`);
    } finally {
      await admin.end();
    }
    return {
      options: { url: withDatabase(adminUrl, name), poolSize: 8 },
      async drop() {
        const c = new pg.Client({ connectionString: adminUrl });
        await c.connect();
        await c.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
        await c.end();
      },
    };
  }
  const image = inject('pgliteImage');
  if (!image) throw new Error('the test database was not prepared (see test/global-setup.ts)');
  const blob = new Blob([await readFile(image)]);
  return { options: { url: undefined, dataDir: 'memory://', loadDataDir: blob }, drop: async () => {} };
}

export interface TestOnset {
  onset: Onset;
  http: ReturnType<typeof supertest>;
  close(): Promise<void>;
}

/** The whole server, built through the composition root, on a database of its own. */
export async function createTestOnset(env: Record<string, string> = {}): Promise<TestOnset> {
  const database = await createTestDatabase();
  const config = loadConfig({
    ONSET_INGEST_TOKENS: ingestToken,
    ONSET_READ_TOKENS: readToken,
    ONSET_DATA_DIR: '/nonexistent/onset-test',
    ONSET_LOG_LEVEL: 'silent',
    ...env,
  });
  const onset = await buildOnset(config, { logger: createLogger('silent'), database: database.options });
  return {
    onset,
    http: supertest(onset.app),
    async close() {
      await onset.destroy();
      await database.drop();
    },
  };
}

/**
 * The server on a database of its own reached through a TCP proxy, so a test can take the database
 * away (`proxy.stop()`) and bring it back (`proxy.start()`). Real PostgreSQL only.
 */
export async function createOnsetBehindProxy() {
  const database = await createTestDatabase();
  const url = new URL(database.options.url as string);
  const proxy = await createTcpProxy({ host: url.hostname, port: Number(url.port || 5432) });
  url.port = String(proxy.port);
  const onset = await buildOnset(
    loadConfig({ ONSET_INGEST_TOKENS: ingestToken, ONSET_LOG_LEVEL: 'silent' }),
    {
      logger: createLogger('silent'),
      database: { ...database.options, url: url.toString() },
    },
  );
  return {
    onset,
    proxy,
    async close() {
      await onset.destroy();
      await proxy.stop();
      await database.drop();
    },
  };
}
