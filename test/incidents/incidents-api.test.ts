import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { memoryAlertPayload } from '../../server/demo/demo-incident.ts';
import { confirmedLagsOf } from '../../server/incidents/incidents.service.ts';
import {
  ALERTS_AT,
  FROM,
  HOUR,
  asIngest,
  asReader,
  loadIncidentFixture,
  type IncidentFixture,
} from './incident-fixture.ts';
import { headingsOf, reportSections, svgBlocks, xmlProblems } from './xml-check.ts';

let f: IncidentFixture;
beforeAll(async () => {
  f = await loadIncidentFixture('incidents-api');
}, 120_000);
afterAll(() => f?.cleanup());

const window = { from: new Date(FROM).toISOString(), to: new Date(FROM + 30 * HOUR).toISOString() };
let id: number;

describe('incidents', () => {
  it('saves the analysis of a window, with the culprit first, and lists incidents newest first', async () => {
    const res = await asReader(f.t).post('/api/v1/incidents').send(window);
    expect(res.status).toBe(201);
    expect(res.headers.location).toBe(`/api/v1/incidents/${res.body.id}`);
    id = res.body.id;
    expect(res.body).toMatchObject({ status: 'open', notes: '', source: 'manual', verdicts: [], alerts: [] });
    expect(res.body.from).toBe('2017-06-25T12:00:00Z');
    expect(res.body.title).toMatch(/^Memory growth on \d+ of 40 hosts since 2017-06-26T0\d:\d\dZ$/);
    expect(res.body.analysis.onset.hosts_affected).toBeGreaterThan(30);
    expect(res.body.analysis.suspects[0].sha).toBe(f.sim.repo.culprit);

    const second = await asReader(f.t)
      .post('/api/v1/incidents')
      .send({ title: 'Quiet morning', from: FROM, to: FROM + 12 * HOUR });
    expect(second.status).toBe(201);
    const list = await asReader(f.t).get('/api/v1/incidents');
    expect(list.status).toBe(200);
    expect(list.body.incidents.map((i: { id: number }) => i.id)).toEqual([second.body.id, id]);
    expect(list.body.incidents[1]).toMatchObject({
      id,
      hosts_total: 40,
      top_suspect: { sha: f.sim.repo.culprit },
      alerts: 0,
    });
    expect(list.body.incidents[0]).toMatchObject({ title: 'Quiet morning', source: 'manual' });
  }, 60_000);

  it('validates what it is given and who asks', async () => {
    const post = (body: object) => asReader(f.t).post('/api/v1/incidents').send(body);
    expect((await post({ from: window.to, to: window.from })).status).toBe(400);
    expect((await post({ ...window, severity: 'high' })).status).toBe(400);
    expect((await post({ ...window, title: 'two\nlines' })).status).toBe(400);
    const bad = await post({ from: 'yesterday' });
    expect(bad.body.error).toMatchObject({ code: 'request.invalid', details: [{ path: 'from' }] });
    expect((await asIngest(f.t).post('/api/v1/incidents').send(window)).status).toBe(403);
    expect((await f.t.http.get('/api/v1/incidents')).status).toBe(401);
    expect((await asReader(f.t).get('/api/v1/incidents/999999')).status).toBe(404);
    expect((await asReader(f.t).get('/api/v1/incidents/abc')).status).toBe(400);
    expect((await asReader(f.t).patch(`/api/v1/incidents/${id}`).send({})).status).toBe(400);
    expect((await asReader(f.t).patch(`/api/v1/incidents/${id}`).send({ status: 'closed' })).status).toBe(
      400,
    );
  });

  it('updates title, status and notes', async () => {
    const res = await asReader(f.t).patch(`/api/v1/incidents/${id}`).send({
      title: 'Dentry leak <script>alert(1)</script>',
      status: 'mitigated',
      notes: 'Dropped caches.',
    });
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ status: 'mitigated', notes: 'Dropped caches.' });
    expect(res.body.title).toContain('<script>');
    expect(res.body.analysis.suspects[0].sha).toBe(f.sim.repo.culprit);
  });

  it('takes verdicts on suspects; confirmed culprits give the ranking their lag', async () => {
    const culprit = f.sim.repo.culprit as string;
    const judge = (sha: string, verdict: string) =>
      asReader(f.t).post(`/api/v1/incidents/${id}/suspects/${sha}`).send({ verdict });
    expect((await judge(culprit, 'maybe')).status).toBe(400);
    expect((await judge('0123456789abcdef0123', 'rejected')).status).toBe(404);
    const res = await judge(culprit.slice(0, 10), 'confirmed');
    expect(res.status).toBe(200);
    expect(res.body.verdicts).toMatchObject([{ sha: culprit, verdict: 'confirmed' }]);
    const a = res.body.analysis;
    const lag = Date.parse(a.onset.ts) - Date.parse(a.suspects[0].landed_at);
    expect(await confirmedLagsOf(f.t.onset.database.db)()).toEqual([lag]);
    // Changing one's mind replaces the verdict.
    await judge(culprit, 'rejected');
    expect(await confirmedLagsOf(f.t.onset.database.db)()).toEqual([]);
    const again = await judge(culprit, 'confirmed');
    expect(again.body.verdicts).toHaveLength(1);
  });

  it('analyses again, on its window or a new one', async () => {
    const before = (await asReader(f.t).get(`/api/v1/incidents/${id}`)).body;
    const res = await asReader(f.t).post(`/api/v1/incidents/${id}/reanalyze`);
    expect(res.status).toBe(200);
    expect(res.body.from).toBe(before.from);
    expect(Date.parse(res.body.analyzed_at)).toBeGreaterThanOrEqual(Date.parse(before.analyzed_at));
    expect(res.body.analysis.suspects[0].sha).toBe(f.sim.repo.culprit);
    expect(res.body.verdicts).toHaveLength(1);
    const moved = await asReader(f.t)
      .post(`/api/v1/incidents/${id}/reanalyze`)
      .send({ from: new Date(FROM + HOUR).toISOString(), to: window.to });
    expect(moved.body.from).toBe(new Date(FROM + HOUR).toISOString().replace('.000Z', 'Z'));
  }, 60_000);

  it('exports a postmortem in Markdown with well-formed SVG charts and escaped alerts', async () => {
    const payload = memoryAlertPayload(f.sim, { hosts: 5, at: ALERTS_AT });
    const first = payload.alerts[0];
    if (first) first.annotations.summary = '<script>alert("pwned")</script> memory <b>high</b>';
    const am = await asIngest(f.t).post('/api/v1/alertmanager').send(payload);
    expect(am.body.incident).not.toBe(id);
    const res = await asReader(f.t).get(`/api/v1/incidents/${am.body.incident}/report.md`);
    expect(res.status).toBe(200);
    expect(res.headers['content-type']).toBe('text/markdown; charset=utf-8');
    expect(res.headers['content-security-policy']).toContain('sandbox');
    const report = res.text;
    expect(headingsOf(report)).toEqual([`# Incident ${am.body.incident}`, ...reportSections]);
    expect(report).toContain(f.sim.repo.culprit?.slice(0, 12));
    expect(report).toMatch(/\*\*Revert\*\*/);
    expect(report).toMatch(/\| `dentry` \|/);
    expect(report).not.toMatch(/(?<!\\)<\/?(script|b)>/);
    const svgs = svgBlocks(report);
    expect(svgs).toHaveLength(2);
    for (const svg of svgs) expect(xmlProblems(svg)).toEqual([]);

    const titled = await asReader(f.t).get(`/api/v1/incidents/${id}/report.md`);
    expect(titled.text).toMatch(/^# Incident \d+: Dentry leak \\<script\\>alert\(1\)\\<\/script\\>\n/);
    expect((await asReader(f.t).get('/api/v1/incidents/999999/report.md')).status).toBe(404);
  }, 60_000);
});
