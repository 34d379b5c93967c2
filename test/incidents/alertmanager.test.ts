import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { memoryAlertPayload } from '../../server/demo/demo-incident.ts';
import {
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
    const payload = memoryAlertPayload(f.sim, { hosts: 30, spreadMs: 10 * MINUTE });
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
    expect(a.onset).not.toBeNull();
    expect(a.slab_caches[0].slab).toBe('dentry');
    expect(a.suspects[0].sha).toBe(f.sim.repo.culprit);
  }, 120_000);
});
