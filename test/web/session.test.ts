import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createWebSessionService } from '../../server/web-session/web-session.service.ts';
import { createTestOnset, ingestToken, readToken, type TestOnset } from '../helpers/onset.ts';

let t: TestOnset;
beforeAll(async () => {
  t = await createTestOnset();
});
afterAll(() => t.close());

const csrf = { 'X-Onset-CSRF': '1' };

async function signIn(token = readToken) {
  const res = await t.http.post('/api/v1/session').set(csrf).send({ token });
  const cookie = String(res.headers['set-cookie']?.[0] ?? '');
  return { res, cookie, pair: cookie.split(';')[0] as string };
}

describe('web UI sessions', () => {
  it('signs in with a read token and sets a strict, HttpOnly session cookie', async () => {
    const { res, cookie } = await signIn();
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ signed_in: true, scope: 'read' });
    expect(cookie).toMatch(/^onset_session=[A-Za-z0-9_-]{43};/);
    expect(cookie).toMatch(/HttpOnly/);
    expect(cookie).toMatch(/SameSite=Strict/);
    expect(cookie).toMatch(/Path=\//);
    expect(cookie).not.toMatch(/Secure/);
    expect(cookie).not.toContain(readToken);
  });

  it('marks the cookie Secure behind an https proxy on loopback', async () => {
    const res = await t.http
      .post('/api/v1/session')
      .set(csrf)
      .set('X-Forwarded-Proto', 'https')
      .send({ token: readToken });
    expect(res.status).toBe(200);
    expect(String(res.headers['set-cookie']?.[0])).toMatch(/; Secure/);
  });

  it('refuses a wrong token, an ingest-only token and a malformed body', async () => {
    expect((await signIn('nope')).res.status).toBe(401);
    const ingest = await signIn(ingestToken);
    expect(ingest.res.status).toBe(403);
    expect(ingest.cookie).toBe('');
    const bad = await t.http.post('/api/v1/session').set(csrf).send({ tok: readToken });
    expect(bad.status).toBe(400);
    expect(bad.body.error.code).toBe('request.invalid');
  });

  it('authenticates reads with the cookie alone', async () => {
    const { pair } = await signIn();
    const hosts = await t.http.get('/api/v1/hosts').set('Cookie', pair);
    expect(hosts.status).toBe(200);
    expect((await t.http.get('/api/v1/session').set('Cookie', pair)).body.scope).toBe('read');
    expect((await t.http.get('/api/v1/hosts').set('Cookie', 'onset_session=' + 'x'.repeat(43))).status).toBe(
      401,
    );
    expect((await t.http.get('/api/v1/hosts')).status).toBe(401);
  });

  it('grants a read session no right to push samples', async () => {
    const { pair } = await signIn();
    const res = await t.http.post('/api/v1/samples').set('Cookie', pair).set(csrf).send({ hosts: [] });
    expect(res.status).toBe(403);
  });

  it('requires the CSRF header and a same-origin request for cookie requests that change something', async () => {
    const { pair } = await signIn();
    // Signing in and out are both guarded.
    expect((await t.http.post('/api/v1/session').send({ token: readToken })).status).toBe(403);
    const noHeader = await t.http.delete('/api/v1/session').set('Cookie', pair);
    expect(noHeader.status).toBe(403);
    expect(noHeader.body.error.message).toMatch(/x-onset-csrf/);
    const foreign = await t.http
      .delete('/api/v1/session')
      .set('Cookie', pair)
      .set(csrf)
      .set('Origin', 'https://evil.example');
    expect(foreign.status).toBe(403);
    const crossSite = await t.http
      .delete('/api/v1/session')
      .set('Cookie', pair)
      .set(csrf)
      .set('Sec-Fetch-Site', 'cross-site');
    expect(crossSite.status).toBe(403);
    // A cookie-authenticated write elsewhere in the API is held to the same rule.
    const write = await t.http.post('/api/v1/changes/sync').set('Cookie', pair);
    expect(write.status).toBe(403);
    expect(write.body.error.message).toMatch(/cross-site/);
    expect((await t.http.get('/api/v1/hosts').set('Cookie', pair)).status).toBe(200);
  });

  it('lets a read session save incidents and judge suspects, only with the CSRF header', async () => {
    const { pair } = await signIn();
    const window = { from: '2017-06-25T12:00:00Z', to: '2017-06-26T12:00:00Z' };
    const forged = await t.http.post('/api/v1/incidents').set('Cookie', pair).send(window);
    expect(forged.status).toBe(403);
    expect(forged.body.error.message).toMatch(/cross-site/);
    const crossSite = await t.http
      .post('/api/v1/incidents')
      .set('Cookie', pair)
      .set(csrf)
      .set('Sec-Fetch-Site', 'cross-site')
      .send(window);
    expect(crossSite.status).toBe(403);
    const created = await t.http.post('/api/v1/incidents').set('Cookie', pair).set(csrf).send(window);
    expect(created.status).toBe(201);
    const id = created.body.id as number;
    const notes = { notes: 'checked' };
    expect((await t.http.patch(`/api/v1/incidents/${id}`).set('Cookie', pair).send(notes)).status).toBe(403);
    const patched = await t.http.patch(`/api/v1/incidents/${id}`).set('Cookie', pair).set(csrf).send(notes);
    expect(patched.status).toBe(200);
    expect(patched.body.notes).toBe('checked');
    // No suspects in an empty fleet: the verdict route is reached (404), not refused.
    const verdict = { verdict: 'confirmed' };
    const judge = (req: ReturnType<typeof t.http.post>) => req.set('Cookie', pair).send(verdict);
    expect((await judge(t.http.post(`/api/v1/incidents/${id}/suspects/90e9a79d`))).status).toBe(403);
    expect((await judge(t.http.post(`/api/v1/incidents/${id}/suspects/90e9a79d`).set(csrf))).status).toBe(
      404,
    );
    // Reading the report needs no header: a plain link downloads it.
    const report = await t.http.get(`/api/v1/incidents/${id}/report.md`).set('Cookie', pair);
    expect(report.status).toBe(200);
    expect(report.headers['content-type']).toMatch(/^text\/markdown/);
  });

  it('signs out: the cookie is cleared and no longer works', async () => {
    const { pair } = await signIn();
    const host = `127.0.0.1`;
    const out = await t.http
      .delete('/api/v1/session')
      .set('Cookie', pair)
      .set(csrf)
      .set('Host', host)
      .set('Origin', `http://${host}`)
      .set('Sec-Fetch-Site', 'same-origin');
    expect(out.status).toBe(204);
    expect(String(out.headers['set-cookie']?.[0])).toMatch(/onset_session=;.*Expires=Thu, 01 Jan 1970/);
    expect((await t.http.get('/api/v1/hosts').set('Cookie', pair)).status).toBe(401);
  });

  it('prefers an Authorization header over the cookie', async () => {
    const { pair } = await signIn();
    const res = await t.http.get('/api/v1/hosts').set('Cookie', pair).set('Authorization', 'Bearer wrong');
    expect(res.status).toBe(401);
  });
});

describe('session store', () => {
  const tokens = {
    valid: new Set(['read-a', 'read-b']),
    async authenticate(token: string) {
      return this.valid.has(token) ? { tokenId: token, scope: 'read' as const } : undefined;
    },
    create: async () => ({ id: '', token: '' }),
    revoke: async () => true,
    list: async () => [],
    anyConfigured: async () => true,
  };

  it('ends sessions when idle, at the end of their life, and when their token is revoked', async () => {
    let now = 0;
    const sessions = createWebSessionService(tokens, { idleMs: 10, lifetimeMs: 25, now: () => now });
    const a = await sessions.signIn('read-a');
    const b = await sessions.signIn('read-b');
    if (!a.ok || !b.ok) throw new Error('sign-in failed');
    now = 9;
    expect(await sessions.resolve(a.id)).toBeDefined();
    now = 18;
    expect(await sessions.resolve(a.id)).toBeDefined();
    expect(await sessions.resolve(b.id)).toBeUndefined();
    now = 25;
    expect(await sessions.resolve(a.id)).toBeUndefined();
    const c = await sessions.signIn('read-b');
    if (!c.ok) throw new Error('sign-in failed');
    tokens.valid.delete('read-b');
    expect(await sessions.resolve(c.id)).toBeUndefined();
    expect(sessions.size).toBe(0);
  });

  it('keeps at most maxSessions, dropping the oldest', async () => {
    tokens.valid.add('read-b');
    const sessions = createWebSessionService(tokens, { maxSessions: 3 });
    const ids: string[] = [];
    for (let i = 0; i < 5; i++) {
      const r = await sessions.signIn('read-a');
      if (r.ok) ids.push(r.id);
    }
    expect(sessions.size).toBeLessThanOrEqual(3);
    expect(await sessions.resolve(ids[0] as string)).toBeUndefined();
    expect(await sessions.resolve(ids[4] as string)).toBeDefined();
  });
});
