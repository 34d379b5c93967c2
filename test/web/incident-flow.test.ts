import { mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { AnalysisResponse } from '../../server/analysis/analysis.schemas.ts';
import {
  demoScenario,
  memoryAlertPayload,
  simulateDemo,
  type DemoIncident,
} from '../../server/demo/demo-incident.ts';
import { loadDemoFleet } from '../../server/demo/demo-load.ts';
import type { IncidentResponse } from '../../server/incidents/incidents.schemas.ts';
import { createTestOnset, ingestToken, readToken, type TestOnset } from '../helpers/onset.ts';
import { headingsOf, reportSections, svgBlocks, xmlProblems } from '../incidents/xml-check.ts';
import { artifactsDir, ensureWebBuild, launchChromium, watchedPage } from './browser.ts';

/**
 * A responder's whole path through the UI on the data `npm run demo` loads (the same scenario and Salt
 * repository, in 2017): sign in, find the onset and the culprit, read its diff, save the window as an
 * incident, confirm the culprit, write notes, export the postmortem.
 */
const hostile = '<script>window.__pwned = 1</script><img src=x onerror="window.__pwned = 2">';
// The demo runs 30 hours up to the hour it starts; this one starts at 04:00, the culprit landing at 18:00.
const FROM = Date.UTC(2017, 5, 25, 4);

let root: string;
let t: TestOnset;
let sim: DemoIncident;
let browser: Browser;
let page: Page;
let base: string;
let windowQuery: string;
let alertIncident: number;
const pageErrors: string[] = [];

const bearer = (token: string) => ({ Authorization: `Bearer ${token}`, 'Content-Type': 'application/json' });
async function apiGet<T>(route: string): Promise<T> {
  const res = await fetch(`${base}${route}`, { headers: bearer(readToken) });
  expect(res.status).toBe(200);
  return (await res.json()) as T;
}

beforeAll(async () => {
  mkdirSync(artifactsDir, { recursive: true });
  ensureWebBuild();
  root = mkdtempSync(path.join(tmpdir(), 'onset-ui-flow-'));
  sim = await simulateDemo(path.join(root, 'salt'), demoScenario({ from: FROM }));
  t = await createTestOnset({
    PORT: '0',
    ONSET_GIT_REPO: path.join(root, 'salt'),
    ONSET_SALT_NODEGROUPS: sim.repo.nodegroupsPath,
    ONSET_DATA_DIR: path.join(root, 'data'),
    ONSET_GIT_INTERVAL: '1h',
    // The demo lies in 2017: keep retention from dropping it while the tests run.
    ONSET_RETENTION: '36500d',
  });
  base = `http://127.0.0.1:${(await t.onset.start()).port}`;
  const post = async (route: string, body: unknown) => {
    const res = await fetch(`${base}${route}`, {
      method: 'POST',
      headers: bearer(ingestToken),
      body: JSON.stringify(body),
    });
    expect(res.status).toBe(200);
    return (await res.json()) as Record<string, unknown>;
  };
  await loadDemoFleet(t.onset, sim, post);
  await t.onset.changes.sync();
  // Alertmanager pages as in the demo, one annotation carrying markup.
  const alerts = memoryAlertPayload(sim, { hosts: 30 });
  (alerts.alerts[0] as { annotations: Record<string, string> }).annotations.summary = `Memory ${hostile}`;
  alertIncident = (await post('/api/v1/alertmanager', alerts))['incident'] as number;
  const renamed = await fetch(`${base}/api/v1/incidents/${alertIncident}`, {
    method: 'PATCH',
    headers: bearer(readToken),
    body: JSON.stringify({ title: `Pages ${hostile}` }),
  });
  expect(renamed.status).toBe(200);

  const { from, to } = sim.scenario;
  windowQuery = `from=${new Date(from).toISOString()}&to=${new Date(to).toISOString()}`;
  browser = await launchChromium();
  page = await watchedPage(browser, pageErrors);
}, 300_000);

afterAll(async () => {
  await browser?.close();
  await t?.close();
  if (root) rmSync(root, { recursive: true, force: true });
});

const shot = (name: string) =>
  page.screenshot({ path: path.join(artifactsDir, `${name}.png`), fullPage: true });
const pwned = () => page.evaluate(() => (globalThis as { __pwned?: number }).__pwned);
const incidentIdFromHash = () => /^#\/incidents\/(\d+)$/.exec(new URL(page.url()).hash)?.[1];

let saved: number;

describe('the incident workflow in Chromium, on the demo data', () => {
  it('signs in and shows the onset and the culprit first on What changed?', async () => {
    await page.goto(`${base}/#/?${windowQuery}`);
    await page.waitForSelector('#token');
    await page.fill('#token', readToken);
    await page.click('button[type=submit]');
    await page.waitForSelector('.onset-time', { timeout: 60_000 });
    const api = await apiGet<AnalysisResponse>(`/api/v1/analysis?${windowQuery}`);
    expect(await page.getAttribute('.onset-time', 'datetime')).toBe(api.onset?.ts);
    const culprit = sim.repo.culprit as string;
    expect(culprit).toMatch(/^[0-9a-f]{40}$/);
    await page.waitForSelector('.suspect');
    const first = page.locator('.suspect').first();
    expect(await first.locator('.sha').textContent()).toBe(culprit.slice(0, 10));
    const subject = api.suspects.find((s) => 'sha' in s && s.sha === culprit)?.subject;
    expect(await first.locator('.subject').textContent()).toBe(subject);
    await shot('flow-what-changed');
  }, 120_000);

  it("opens the culprit's diff", async () => {
    const culprit = sim.repo.culprit as string;
    const change = await apiGet<{ files: { path: string }[]; patch: string }>(`/api/v1/changes/${culprit}`);
    const first = page.locator('.suspect').first();
    await first.locator('button[aria-controls]').click();
    await first.locator('.patch').waitFor();
    const files = await first.locator('.files td code').allTextContents();
    expect(files).toEqual(change.files.map((f) => f.path));
    const added = change.patch.split('\n').find((l) => l.startsWith('+') && !l.startsWith('+++'));
    expect(added).toBeDefined();
    expect(await first.locator('.patch .add').allTextContents()).toContain(`${added}\n`);
    await first.screenshot({ path: path.join(artifactsDir, 'flow-culprit-diff.png') });
  }, 60_000);

  it('saves the window as an incident and opens it', async () => {
    const before = (await apiGet<{ incidents: { id: number }[] }>('/api/v1/incidents')).incidents.length;
    await page.click('.save-incident');
    await expect.poll(incidentIdFromHash, { timeout: 60_000 }).toBeDefined();
    saved = Number(incidentIdFromHash());
    await page.waitForSelector('.incident-heading');
    const incident = await apiGet<IncidentResponse>(`/api/v1/incidents/${saved}`);
    expect(incident.source).toBe('manual');
    expect(incident.from).toBe(new Date(sim.scenario.from).toISOString().replace('.000Z', 'Z'));
    expect(await page.textContent('.incident-heading')).toBe(incident.title);
    expect(await page.getAttribute('.onset-time', 'datetime')).toBe(incident.analysis.onset?.ts);
    expect(await page.locator('.suspect').first().locator('.sha').textContent()).toBe(
      (sim.repo.culprit as string).slice(0, 10),
    );
    expect((await apiGet<{ incidents: { id: number }[] }>('/api/v1/incidents')).incidents).toHaveLength(
      before + 1,
    );
    await shot('flow-incident');
  }, 90_000);

  it('confirms the culprit, a second verdict replacing the first', async () => {
    const first = page.locator('.suspect').first();
    expect(await first.locator('.verdict-status').textContent()).toBe('No verdict yet');
    await first.locator('button[data-verdict=rejected]').click();
    await first.locator('.verdict-rejected').waitFor();
    expect((await apiGet<IncidentResponse>(`/api/v1/incidents/${saved}`)).verdicts).toMatchObject([
      { sha: sim.repo.culprit, verdict: 'rejected' },
    ]);
    await first.locator('button[data-verdict=confirmed]').click();
    await first.locator('.verdict-confirmed').waitFor();
    expect(await first.locator('button[data-verdict=confirmed]').getAttribute('aria-pressed')).toBe('true');
    expect(await first.locator('button[data-verdict=rejected]').getAttribute('aria-pressed')).toBe('false');
    const incident = await apiGet<IncidentResponse>(`/api/v1/incidents/${saved}`);
    expect(incident.verdicts).toMatchObject([{ sha: sim.repo.culprit, verdict: 'confirmed' }]);
    // The verdict is the incident's, not the page's: a reload shows it.
    await page.reload();
    await page.waitForSelector('.verdict-confirmed');
    expect(await page.locator('.suspect').first().locator('.verdict-confirmed').count()).toBe(1);
  }, 60_000);

  it('saves status and notes, showing hostile notes as text', async () => {
    const notes = `Reverted the culprit. ${hostile}\nDropped caches on the worst hosts.`;
    await page.selectOption('#incident-status', 'mitigated');
    await page.fill('#incident-notes', notes);
    await page.click('.incident-form button[type=submit]');
    await expect.poll(() => page.textContent('.incident-form .save-status')).toMatch(/^Saved/);
    expect(await page.textContent('.incident-status')).toBe('mitigated');
    await page.reload();
    await page.waitForSelector('#incident-notes');
    expect(await page.inputValue('#incident-notes')).toBe(notes);
    expect(await page.inputValue('#incident-status')).toBe('mitigated');
    expect(await page.locator('main script, main img').count()).toBe(0);
    expect(await pwned()).toBeUndefined();
    const incident = await apiGet<IncidentResponse>(`/api/v1/incidents/${saved}`);
    expect(incident).toMatchObject({ status: 'mitigated', notes });
    await shot('flow-incident-confirmed');
  }, 60_000);

  it('exports the postmortem as Markdown with its sections and charts', async () => {
    const [download] = await Promise.all([page.waitForEvent('download'), page.click('.export-report')]);
    expect(download.suggestedFilename()).toBe(`incident-${saved}.md`);
    const file = path.join(artifactsDir, `flow-incident-${saved}.md`);
    await download.saveAs(file);
    const markdown = readFileSync(file, 'utf8');
    const headings = headingsOf(markdown);
    expect(headings[0]).toBe(`# Incident ${saved}`);
    // A saved window has no alerts; every other section is there, in order.
    expect(headings.slice(1)).toEqual(reportSections.filter((s) => s !== '## Alerts'));
    expect(markdown).toContain(sim.repo.culprit as string);
    expect(markdown).toMatch(/confirmed/);
    const charts = svgBlocks(markdown);
    expect(charts.length).toBe(2);
    for (const svg of charts) expect(xmlProblems(svg)).toEqual([]);
    // The notes came from a person: escaped, never markup.
    expect(markdown).not.toContain('<script>');
  }, 60_000);

  it('lists the incidents, a hostile title as text', async () => {
    await page.goto(`${base}/#/incidents`);
    await page.waitForSelector('.incident-row');
    const titles = await page.locator('.incident-title').allTextContents();
    expect(titles).toContain(`Pages ${hostile}`);
    const rows = await page.locator('.incident-row').count();
    expect(rows).toBe((await apiGet<{ incidents: unknown[] }>('/api/v1/incidents')).incidents.length);
    const row = page.locator('.incident-row', { has: page.locator(`a[href="#/incidents/${saved}"]`) });
    expect(await row.locator('.badge').textContent()).toBe('mitigated');
    expect(await row.locator('.top-suspect .sha').textContent()).toBe(
      (sim.repo.culprit as string).slice(0, 10),
    );
    expect(await page.locator('main script, main img').count()).toBe(0);
    expect(await pwned()).toBeUndefined();
    await shot('flow-incidents');
  });

  it("shows the Alertmanager incident's alerts, a hostile annotation as text", async () => {
    await page.click(`a[href="#/incidents/${alertIncident}"]`);
    await page.waitForSelector('.alerts');
    expect(await page.textContent('.incident-heading')).toBe(`Pages ${hostile}`);
    expect(await page.locator('.alerts tbody tr').count()).toBe(30);
    expect(await page.locator('.alert-summary').allTextContents()).toContain(`Memory ${hostile}`);
    expect(await page.locator('main script, main img').count()).toBe(0);
    expect(await pwned()).toBeUndefined();
    await shot('flow-alert-incident');
  });

  it('raised no script error and broke no Content-Security-Policy rule', () => {
    expect(pageErrors).toEqual([]);
  });
});
