import { readFileSync } from 'node:fs';
import pg from 'pg';

export const benchAdminUrl = process.env.BENCH_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';

export function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const mid = s.length >> 1;
  return s.length % 2 ? (s[mid] as number) : ((s[mid - 1] as number) + (s[mid] as number)) / 2;
}

export function withDatabase(url: string, database: string): string {
  const u = new URL(url);
  u.pathname = `/${database}`;
  return u.toString();
}

/**
 * A fresh database for one benchmark section; dropped again by the returned function. With `keep`,
 * an existing one is reused and kept, so a long load that was interrupted can resume.
 */
export async function freshDatabase(
  name: string,
  keep = false,
): Promise<{ url: string; drop(): Promise<void> }> {
  const admin = new pg.Client({ connectionString: benchAdminUrl });
  await admin.connect();
  const exists = (await admin.query('SELECT 1 FROM pg_database WHERE datname = $1', [name])).rowCount === 1;
  if (!keep || !exists) {
    await admin.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
    await admin.query(`CREATE DATABASE ${name}`);
  }
  await admin.end();
  if (keep) return { url: withDatabase(benchAdminUrl, name), drop: async () => {} };
  return {
    url: withDatabase(benchAdminUrl, name),
    async drop() {
      const c = new pg.Client({ connectionString: benchAdminUrl });
      await c.connect();
      await c.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
      await c.end();
    },
  };
}

/** Peak and current resident memory of a process, from /proc. */
export function residentMiB(pid: number): { current: number; peak: number } {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const kb = (field: string) => Number(new RegExp(`${field}:\\s+(\\d+)`).exec(status)?.[1] ?? 0);
  return { current: kb('VmRSS') / 1024, peak: kb('VmHWM') / 1024 };
}

export const fmt = (n: number, digits = 0) =>
  n.toLocaleString('en-US', { maximumFractionDigits: digits, minimumFractionDigits: digits });

export function section(title: string): void {
  process.stdout.write(`\n## ${title}\n\n`);
}

export function line(text: string): void {
  process.stdout.write(`${text}\n`);
}
