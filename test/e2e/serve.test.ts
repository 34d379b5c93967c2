import { execFile } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildBatch } from '../helpers/fixtures.ts';
import { createTestDatabase, ingestToken, readToken, type TestDatabase } from '../helpers/onset.ts';
import { projectRoot, startServer, type ServerProcess } from '../helpers/server-process.ts';

let dataDir: string;
let database: TestDatabase;
let server: ServerProcess;

beforeAll(async () => {
  dataDir = await mkdtemp(path.join(tmpdir(), 'onset-e2e-'));
  database = await createTestDatabase();
  server = await startServer({
    ONSET_DATA_DIR: dataDir,
    ONSET_INGEST_TOKENS: ingestToken,
    ONSET_READ_TOKENS: readToken,
    // The same database kind the rest of the suite runs on.
    ...(database.options.url ? { DATABASE_URL: database.options.url } : {}),
  });
});
afterAll(async () => {
  await server?.stop();
  await database?.drop();
  await rm(dataDir, { recursive: true, force: true });
});

const run = promisify(execFile);

describe('onset serve, as a user starts it', () => {
  it('answers `onset analyze --server` from the command line', async () => {
    const tokenFile = path.join(dataDir, 'token');
    await writeFile(tokenFile, readToken);
    const args = [
      path.join(projectRoot, 'bin/onset.js'),
      'analyze',
      '--server',
      server.url,
      '--token-file',
      tokenFile,
      '--from',
      '6h',
    ];
    const json = await run(process.execPath, [...args, '--json']);
    expect(JSON.parse(json.stdout)).toMatchObject({
      hosts_total: expect.any(Number),
      onset: null,
      suspects: [],
    });
    const text = await run(process.execPath, args);
    expect(text.stdout).toMatch(/No memory growth shared by a significant part of the fleet/);
  });

  it('is healthy, stores what it is sent, and stops cleanly on SIGTERM', async () => {
    const body = buildBatch([{ count: 10 }]);
    const push = await fetch(`${server.url}/api/v1/samples`, {
      method: 'POST',
      headers: { Authorization: `Bearer ${ingestToken}`, 'Content-Type': 'application/json' },
      body: JSON.stringify(body),
    });
    expect(push.status).toBe(200);
    const hosts = await fetch(`${server.url}/api/v1/hosts`, {
      headers: { Authorization: `Bearer ${readToken}` },
    });
    const names = ((await hosts.json()) as { hosts: { name: string }[] }).hosts.map((h) => h.name);
    expect(names).toContain(body.hosts[0]!.host);
    expect(await server.stop()).toBe(0);
    expect(server.output()).not.toContain(ingestToken);
  });
});
