import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildBatch } from './helpers/fixtures.ts';
import { createTestOnset, type TestOnset } from './helpers/onset.ts';

let t: TestOnset;
beforeAll(async () => {
  t = await createTestOnset({ ONSET_INGEST_TOKENS: '', ONSET_READ_TOKENS: '' });
});
afterAll(() => t.close());

describe('tokens made on the command line', () => {
  it('are stored only as hashes and carry their scope', async () => {
    const ingest = await t.onset.tokens.create('agents', 'ingest');
    const read = await t.onset.tokens.create('grafana', 'read');
    const admin = await t.onset.tokens.create('ops', 'admin');
    const { rows } = await sql<{ secret_hash: string }>`SELECT secret_hash FROM api_tokens`.execute(
      t.onset.database.db,
    );
    const stored = JSON.stringify(rows);
    // The secret is base64url and may itself hold underscores.
    for (const tok of [ingest, read, admin]) {
      const secret = tok.token.split('_').slice(2).join('_');
      expect(secret).toHaveLength(43);
      expect(stored).not.toContain(secret);
    }

    const push = (token: string) =>
      t.http.post('/api/v1/samples').set('Authorization', `Bearer ${token}`).send(buildBatch());
    const hosts = (token: string) => t.http.get('/api/v1/hosts').set('Authorization', `Bearer ${token}`);
    expect((await push(ingest.token)).status).toBe(200);
    expect((await hosts(ingest.token)).status).toBe(403);
    expect((await push(read.token)).status).toBe(403);
    expect((await hosts(read.token)).status).toBe(200);
    expect((await push(admin.token)).status).toBe(200);
    expect((await hosts(admin.token)).status).toBe(200);
    // The right id with a wrong secret is refused.
    expect((await hosts(read.token.slice(0, -4) + 'AAAA')).status).toBe(401);
  });

  it('stop working when revoked', async () => {
    const read = await t.onset.tokens.create('temp', 'read');
    expect(await t.onset.tokens.revoke(read.id)).toBe(true);
    expect((await t.http.get('/api/v1/hosts').set('Authorization', `Bearer ${read.token}`)).status).toBe(401);
  });
});

describe('with no token configured at all', () => {
  it('refuses to bind a non-loopback address', async () => {
    const open = await createTestOnset({
      ONSET_INGEST_TOKENS: '',
      ONSET_READ_TOKENS: '',
      HOST: '0.0.0.0',
      PORT: '0',
    });
    try {
      await expect(open.onset.start()).rejects.toThrow(/no token is configured/);
    } finally {
      await open.close();
    }
  });

  it('makes an admin token on loopback and shows it once', async () => {
    const local = await createTestOnset({ ONSET_INGEST_TOKENS: '', ONSET_READ_TOKENS: '', PORT: '0' });
    try {
      const { bootstrapToken } = await local.onset.start();
      expect(bootstrapToken).toMatch(/^onset_/);
      const res = await local.http.get('/api/v1/hosts').set('Authorization', `Bearer ${bootstrapToken}`);
      expect(res.status).toBe(200);
    } finally {
      await local.close();
    }
  });
});
