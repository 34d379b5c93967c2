import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { memoryAlertPayload } from '../../server/demo/demo-incident.ts';
import {
  ALERTS_AT,
  asIngest,
  asReader,
  HOUR,
  loadIncidentFixture,
  MINUTE,
  type IncidentFixture,
} from './incident-fixture.ts';

let f: IncidentFixture;
beforeAll(async () => {
  f = await loadIncidentFixture('alertmanager');
}, 120_000);
afterAll(() => f?.cleanup());

describe('POST /api/v1/alertmanager', () => {
  it('makes one incident of 30 hosts paging within 10 minutes, and names the culprit first', async () => {
    const payload = memoryAlertPayload(f.sim, { hosts: 30, at: ALERTS_AT, spreadMs: 10 * MINUTE });
    expect(new Set(payload.alerts.map((a) => a.labels.instance)).size).toBe(30);
    // Alertmanager sends the group as it grows: the first pages, then all of them, then again.
    const first = await asIngest(f.t)
      .post('/api/v1/alertmanager')
      .send({ ...payload, alerts: payload.alerts.slice(0, 8) });
    expect(first.status).toBe(200);
    expect(first.body).toMatchObject({
      status: 'incident opened',
      created: true,
      memory_alerts: 8,
      alerts_added: 8,
    });
    const all = await asIngest(f.t).post('/api/v1/alertmanager').send(payload);
    expect(all.body).toMatchObject({
      incident: first.body.incident,
      created: false,
      alerts_added: 22,
      reanalyzed: true,
    });
    const again = await asIngest(f.t).post('/api/v1/alertmanager').send(payload);
    expect(again.body).toMatchObject({ incident: first.body.incident, alerts_added: 0, reanalyzed: false });

    const list = await asReader(f.t).get('/api/v1/incidents');
    expect(list.body.incidents).toHaveLength(1);
    const incident = (await asReader(f.t).get(`/api/v1/incidents/${first.body.incident}`)).body;
    expect(incident.source).toBe('alertmanager');
    expect(incident.alerts).toHaveLength(30);
    expect(new Set(incident.alerts.map((a: { host: string }) => a.host)).size).toBe(30);
    expect(incident.alerts[0].host).not.toMatch(/:/);
    // The window starts a day before the first alert.
    expect(Date.parse(incident.from)).toBe(Date.parse(incident.first_alert_at) - 24 * HOUR);
    const a = incident.analysis;
    console.log(
      JSON.stringify({
        from: incident.from,
        to: incident.to,
        total: a.hosts_total,
        summary: a.summary,
        comps: a.components,
      }),
    );
    expect(a.onset).not.toBeNull();
    expect(a.slab_caches[0].slab).toBe('dentry');
    expect(a.suspects[0].sha).toBe(f.sim.repo.culprit);
  }, 120_000);
});

describe('Alertmanager alerts', () => {
  it('leaves out alerts that are not about memory, and needs an ingest token', async () => {
    const payload = memoryAlertPayload(f.sim, { hosts: 3, at: ALERTS_AT, alertname: 'DiskFull' });
    const res = await asIngest(f.t).post('/api/v1/alertmanager').send(payload);
    expect(res.body).toMatchObject({
      status: 'ignored',
      incident: null,
      alerts_received: 3,
      memory_alerts: 0,
    });
    expect((await asReader(f.t).post('/api/v1/alertmanager').send(payload)).status).toBe(403);
    expect((await f.t.http.post('/api/v1/alertmanager').send(payload)).status).toBe(401);
    expect(
      (
        await asIngest(f.t)
          .post('/api/v1/alertmanager')
          .send({ alerts: [{ status: 'odd' }] })
      ).status,
    ).toBe(400);
  });

  it('records resolved alerts, and opens a new incident for alerts days later', async () => {
    const payload = memoryAlertPayload(f.sim, { hosts: 2, at: ALERTS_AT });
    expect((await asIngest(f.t).post('/api/v1/alertmanager').send(payload)).status).toBe(200);
    const resolved = payload.alerts.map((a) => ({
      ...a,
      status: 'resolved' as const,
      endsAt: new Date(Date.parse(a.startsAt) + HOUR).toISOString(),
    }));
    const res = await asIngest(f.t)
      .post('/api/v1/alertmanager')
      .send({ ...payload, status: 'resolved', alerts: resolved });
    expect(res.body).toMatchObject({ status: 'incident updated', alerts_added: 0 });
    const incident = (await asReader(f.t).get(`/api/v1/incidents/${res.body.incident}`)).body;
    expect(incident.alerts.filter((a: { status: string }) => a.status === 'resolved')).toHaveLength(2);

    const later = memoryAlertPayload(f.sim, {
      hosts: 2,
      at: Date.parse(payload.alerts[0]?.startsAt ?? '') + 3 * 24 * HOUR,
    });
    later.alerts.forEach((a) => (a.labels.instance = a.labels.instance.replace(/:9100$/, '')));
    const other = await asIngest(f.t).post('/api/v1/alertmanager').send(later);
    expect(other.body).toMatchObject({ status: 'incident opened', created: true });
    expect(other.body.incident).not.toBe(res.body.incident);
  }, 60_000);
});
