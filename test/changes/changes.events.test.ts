import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ChangeEventBody } from '../../server/changes/changes.schemas.ts';
import { createTestOnset, readToken, type TestOnset } from '../helpers/onset.ts';
import { asIngest, asReader } from './changes.fixture.ts';

let t: TestOnset;
beforeAll(async () => {
  t = await createTestOnset();
});
afterAll(() => t.close());

const day = '2017-06-26';
const windowOf = (from: string, to: string) => `/api/v1/changes?from=${day}T${from}:00Z&to=${day}T${to}:00Z`;
const uniqueId = () => `deploy-${randomBytes(4).toString('hex')}`;

function buildEvent(partial: Partial<ChangeEventBody> = {}): ChangeEventBody {
  return {
    id: uniqueId(),
    kind: 'package',
    title: 'openssl 1.0.2k-1 → 1.0.2l-1',
    source: 'apt',
    landed_at: `${day}T06:40:00Z`,
    ...partial,
  };
}

const post = (body: unknown) => asIngest(t, '/api/v1/changes').send(body as object);

describe('changes: events', () => {
  it('stores an event with per-host apply times and lists it in its window', async () => {
    const body = buildEvent({
      landed_at: undefined,
      hosts: [
        { host: 'web-001', applied_at: `${day}T06:41:00Z` },
        { host: 'web-002', applied_at: Date.parse(`${day}T06:43:30Z`) },
      ],
    });
    const res = await post(body);
    expect(res.status).toBe(201);
    expect(res.body).toMatchObject({
      id: body.id,
      kind: 'package',
      title: body.title,
      source: 'apt',
      // Without its own time, an event lands when its first host applied it.
      landed_at: `${day}T06:41:00Z`,
      target: null,
      hosts: [
        { host: 'web-001', applied_at: `${day}T06:41:00Z` },
        { host: 'web-002', applied_at: `${day}T06:43:30Z` },
      ],
    });

    const listed = await asReader(t, windowOf('06:30', '06:50'));
    expect(listed.status).toBe(200);
    expect(listed.body.events.map((e: { id: string }) => e.id)).toContain(body.id);
    const outside = await asReader(t, windowOf('07:00', '08:00'));
    expect(outside.body.events.map((e: { id: string }) => e.id)).not.toContain(body.id);

    const one = await asReader(t, `/api/v1/changes/${body.id}`);
    expect(one.status).toBe(200);
    expect(one.body).toMatchObject({ type: 'event', id: body.id });
  });

  it('stores a retried event once', async () => {
    const body = buildEvent({ target: 'G@role:web and not web-003' });
    expect((await post(body)).status).toBe(201);
    const again = await post({ ...body, title: 'a different title' });
    expect(again.status).toBe(200);
    expect(again.body).toMatchObject({ title: body.title, target: 'G@role:web and not web-003', hosts: [] });
  });

  it('takes a list of hosts as the target', async () => {
    const res = await post(buildEvent({ kind: 'deploy', target: ['db-001', 'db-002'] }));
    expect(res.status).toBe(201);
    expect(res.body.hosts).toEqual([
      { host: 'db-001', applied_at: null },
      { host: 'db-002', applied_at: null },
    ]);
  });

  const invalid: [string, Record<string, unknown>, string][] = [
    ['a missing kind', { kind: undefined }, 'kind'],
    ['a kind with spaces', { kind: 'package upgrade' }, 'kind'],
    ['an empty title', { title: '  ' }, 'title'],
    ['a time in the future', { landed_at: new Date(Date.now() + 3_600_000).toISOString() }, 'landed_at'],
    ['a time that is not one', { landed_at: 'yesterday' }, 'landed_at'],
    ['a bad host name', { hosts: [{ host: '-web', applied_at: `${day}T06:41:00Z` }] }, 'hosts[0].host'],
    ['a host named twice', { target: ['web-001', 'web-001'] }, 'target[1]'],
    ['both hosts and a target', { hosts: [{ host: 'web-001' }], target: 'G@role:web' }, 'target'],
    ['an unknown field', { severity: 'high' }, '(body)'],
  ];
  for (const [what, change, field] of invalid) {
    it(`refuses ${what} with a 400 naming ${field}, and stores nothing`, async () => {
      const body = { ...buildEvent(), ...change };
      const res = await post(body);
      expect(res.status).toBe(400);
      expect(res.body.error.code).toBe('request.invalid');
      expect(res.body.error.details.map((d: { path: string }) => d.path)).toContain(field);
      expect((await asReader(t, `/api/v1/changes/${body.id as string}`)).status).toBe(404);
    });
  }

  it('needs the ingest right to post and the read right to list', async () => {
    expect((await t.http.post('/api/v1/changes').send(buildEvent())).status).toBe(401);
    const forbidden = await t.http
      .post('/api/v1/changes')
      .set('Authorization', `Bearer ${readToken}`)
      .send(buildEvent());
    expect(forbidden.status).toBe(403);
    expect((await t.http.get('/api/v1/changes')).status).toBe(401);
  });

  it('refuses a window that ends before it starts', async () => {
    const res = await asReader(t, windowOf('08:00', '07:00'));
    expect(res.status).toBe(400);
    expect(res.body.error.details[0].path).toBe('from');
  });
});
