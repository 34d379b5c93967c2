import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { TestProject } from 'vitest/node';
import { PGlite } from '@electric-sql/pglite';
import { Kysely } from 'kysely';
import pg from 'pg';
import { createDatabase } from '../server/db/database.ts';
import { migrateToLatest } from '../server/db/migrate.ts';
import { createLogger } from '../server/logger.ts';
import { PGliteDialect } from '../server/db/pglite-dialect.ts';

declare module 'vitest' {
  export interface ProvidedContext {
    /** Real PostgreSQL: the admin connection string and the migrated template database to clone. */
    pgAdminUrl: string | null;
    pgTemplate: string | null;
    /** Embedded PostgreSQL: a migrated data directory image to start each test's database from. */
    pgliteImage: string | null;
  }
}

/**
 * Migrates once: into a template database on real PostgreSQL (TEST_DATABASE_URL), or into an
 * embedded data directory image. Each test file then starts from a copy in milliseconds.
 */
export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  const adminUrl = process.env.TEST_DATABASE_URL;
  if (adminUrl) {
    const template = `onset_template_${process.pid}`;
    const admin = new pg.Client({ connectionString: adminUrl });
    await admin.connect();
    await admin.query(`DROP DATABASE IF EXISTS ${template}`);
    await admin.query(`CREATE DATABASE ${template}`);
    const url = withDatabase(adminUrl, template);
    const handle = await createDatabase({ url, dataDir: '', poolSize: 2 }, createLogger('silent'));
    await migrateToLatest(handle.db);
    await handle.close();
    project.provide('pgAdminUrl', adminUrl);
    project.provide('pgTemplate', template);
    project.provide('pgliteImage', null);
    return async () => {
      // Test files drop their own databases; drop any left by a crashed worker, then the template.
      const { rows } = await admin.query<{ datname: string }>(
        `SELECT datname FROM pg_database WHERE datname LIKE 'onset_test_${process.pid}_%'`,
      );
      for (const r of rows) await admin.query(`DROP DATABASE IF EXISTS ${r.datname} WITH (FORCE)`);
      await admin.query(`DROP DATABASE IF EXISTS ${template} WITH (FORCE)`);
      await admin.end();
    };
  }
  const dir = await mkdtemp(path.join(tmpdir(), 'onset-test-'));
  const pglite = await PGlite.create();
  const db = new Kysely({ dialect: new PGliteDialect(pglite) });
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  await migrateToLatest(db as any);
  const image = path.join(dir, 'template.tar.gz');
  await writeFile(image, Buffer.from(await (await pglite.dumpDataDir('gzip')).arrayBuffer()));
  await db.destroy();
  project.provide('pgAdminUrl', null);
  project.provide('pgTemplate', null);
  project.provide('pgliteImage', image);
  return () => rm(dir, { recursive: true, force: true });
}

export function withDatabase(url: string, database: string): string {
  const u = new URL(url);
  u.pathname = `/${database}`;
  return u.toString();
}
