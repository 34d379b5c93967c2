import { mkdirSync } from 'node:fs';
import path from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { AnalysisResponse } from '../../server/analysis/analysis.schemas.ts';
import { analyzeFleet } from '../../server/analysis/analyze-fleet.ts';
import { toAnalysisResponse } from '../../server/analysis/analysis.schemas.ts';
import { toHeatmapResponse } from '../../server/analysis/heatmap.schemas.ts';
import { buildHeatmap, defaultHeatmapStep } from '../../server/analysis/heatmap.service.ts';
import { simulateFleet } from '../../server/sim/fleet-sim.ts';
import { createTestOnset, readToken, type TestOnset } from '../helpers/onset.ts';
import { artifactsDir, ensureWebBuild, launchChromium, watchedPage } from './browser.ts';
import { incidentFrom, incidentScenario, incidentTo, loadIncident } from './web-fixtures.ts';

const hostile = '<script>window.__pwned = 1</script><img src=x onerror="window.__pwned = 2">';
const window = `from=${new Date(incidentFrom).toISOString()}&to=${new Date(incidentTo).toISOString()}`;

let t: TestOnset;
let browser: Browser;
let base: string;
let page: Page;
/** The first simulated host, labelled with hostile text. */
let target: string;
/** Script errors and CSP violations seen in the page: there should be none. */
const pageErrors: string[] = [];

beforeAll(async () => {
  mkdirSync(artifactsDir, { recursive: true });
  ensureWebBuild();
  browser = await launchChromium();
  // The incident is from 2017: keep background retention from dropping it while the tests run.
  t = await createTestOnset({ PORT: '0', ONSET_RETENTION: '36500d' });
  base = `http://127.0.0.1:${(await t.onset.start()).port}`;
  const sim = await loadIncident(t, incidentScenario('web-ui', 30, 7), { note: hostile });
  target = sim.fleet.hosts[0]?.host as string;
  page = await watchedPage(browser, pageErrors);
}, 300_000);

afterAll(async () => {
  await browser?.close();
  await t?.close();
});

const shot = (name: string) =>
  page.screenshot({ path: path.join(artifactsDir, `${name}.png`), fullPage: true });
const pwned = () => page.evaluate(() => (globalThis as { __pwned?: number }).__pwned);

describe('web UI in Chromium', () => {
  it('serves the UI with a strict Content-Security-Policy', async () => {
    const res = await fetch(`${base}/`);
    expect(res.status).toBe(200);
    const csp = res.headers.get('content-security-policy') ?? '';
    expect(csp).toContain("script-src 'self'");
    expect(csp).not.toContain('unsafe-inline');
    expect(await res.text()).not.toMatch(/<script>(?!<\/script>)/);
  });

  it('asks for a token, then shows the onset and the summary of the incident', async () => {
    await page.goto(`${base}/#/?${window}`);
    await page.waitForSelector('#token');
    await shot('sign-in');
    await page.fill('#token', 'wrong-token');
    await page.click('button[type=submit]');
    await expect.poll(() => page.textContent('.sign-in [role=alert]')).toContain('not valid');
    await page.fill('#token', readToken);
    await page.click('button[type=submit]');
    await page.waitForSelector('.onset-time', { timeout: 60_000 });

    const cookies = await page.context().cookies();
    const session = cookies.find((c) => c.name === 'onset_session');
    expect(session).toMatchObject({ httpOnly: true, sameSite: 'Strict' });
    expect(await page.evaluate(() => document.cookie)).toBe('');

    const api = (await (
      await fetch(`${base}/api/v1/analysis?${window}`, { headers: { Authorization: `Bearer ${readToken}` } })
    ).json()) as AnalysisResponse;
    expect(api.onset).not.toBeNull();
    expect(await page.getAttribute('.onset-time', 'datetime')).toBe(api.onset?.ts);
    expect(await page.textContent('.summary')).toBe(api.summary);
    expect(await page.textContent('.facts')).toContain(
      `${api.onset?.hosts_affected} of ${api.onset?.hosts_seen}`,
    );
    expect(await page.textContent('.growth')).toContain('SReclaimable');
    expect(await page.textContent('.slab-caches, .grew')).toContain('dentry');
    expect(await page.locator('.heatmap-canvas').count()).toBe(1);
    await page.waitForSelector('.spread .u-over');
    await page.waitForSelector('.composition .u-over');
    expect(await page.textContent('.composition .u-legend')).toContain('SReclaimable');
    await shot('what-changed');
  }, 120_000);

  it('lists hosts filtered by label and shows a hostile label as text', async () => {
    await page.goto(`${base}/#/hosts?q=${encodeURIComponent(target)}`);
    await page.waitForSelector('.host-row');
    expect(await page.locator('.host-row').count()).toBe(1);
    const labels = await page.locator('.host-row .label').allTextContents();
    expect(labels).toContain(`note=${hostile}`);
    expect(await page.locator('.vlist script, .vlist img').count()).toBe(0);
    await page.fill('#host-filter', 'role=nothing-has-this');
    await expect.poll(() => page.locator('.host-row').count()).toBe(0);
    await page.fill('#host-filter', '');
    await expect.poll(() => page.locator('.host-row').count()).toBeGreaterThan(20);
    expect(await pwned()).toBeUndefined();
    await shot('hosts');
  });

  it('opens a host page with its memory chart and its onset', async () => {
    await page.goto(`${base}/#/hosts/${encodeURIComponent(target)}?${window}`);
    await page.waitForSelector('.chart .u-over', { timeout: 60_000 });
    await expect.poll(() => page.textContent('.host-onset'), { timeout: 60_000 }).not.toMatch(/Looking/);
    expect(await page.textContent('h1')).toBe(target);
    expect(await page.textContent('.host-onset')).toMatch(/Onset \d{4}-\d\d-\d\d \d\d:\d\d UTC|no part/);
    expect(await page.textContent('.u-legend')).toContain('SReclaimable');
    expect(await page.locator('main .label').allTextContents()).toContain(`note=${hostile}`);
    expect(await pwned()).toBeUndefined();
    await shot('host');
  }, 60_000);

  it('shows a hostile commit subject, reason and patch as text and opens the diff', async () => {
    const sha = '90e9a79d2970d185d4bb68519e8873d1fcd28a70';
    await page.route('**/api/v1/analysis?*', async (route) => {
      const body = (await (await route.fetch()).json()) as AnalysisResponse;
      const suspect: AnalysisResponse['suspects'][number] = {
        sha,
        kind: 'commit',
        score: 0.93,
        landed_at: body.onset?.ts ?? body.from,
        subject: `fleet_api: https ${hostile}`,
        reasons: [hostile],
        evidence: {
          lag_ms: 120_000,
          hosts_reached: 30,
          affected_reached: 29,
          affected_total: 29,
          unreached_changed: 0,
          unreached_total: 0,
          explained_hosts: 29,
          timing_violations: 0,
          reach_approximate: false,
          timing_log10_bf: 3,
          scope_log10_bf: 2,
          prior_log10: 0,
        },
      };
      await route.fulfill({ json: { ...body, suspects: [suspect] } });
    });
    await page.route(`**/api/v1/changes/${sha}`, (route) =>
      route.fulfill({
        json: {
          type: 'commit',
          sha,
          author: hostile,
          subject: `fleet_api: https ${hostile}`,
          body: hostile,
          landed_at: '2017-06-26T00:00:00Z',
          files: [{ path: '_grains/fleet_api.py', additions: 1, deletions: 1 }],
          patch: `--- a/_grains/fleet_api.py\n+++ b/_grains/fleet_api.py\n@@ -1 +1 @@\n-URL = "http://inventory"\n+URL = "https://inventory" # ${hostile}\n`,
          patch_truncated: false,
        },
      }),
    );
    await page.goto(`${base}/#/?${window}`);
    await page.waitForSelector('.suspect', { timeout: 60_000 });
    expect(await page.textContent('.suspect .subject')).toBe(`fleet_api: https ${hostile}`);
    expect(await page.textContent('.suspect .reasons')).toBe(hostile);
    await page.click('.suspect button[aria-controls]');
    await page.waitForSelector('.patch .add');
    expect(await page.textContent('.patch .add')).toContain(hostile);
    expect(await page.textContent('.files')).toContain('_grains/fleet_api.py');
    expect(await page.locator('.suspects script, .suspects img').count()).toBe(0);
    expect(await pwned()).toBeUndefined();
    await shot('suspect-diff');
    await page.unrouteAll();
  }, 60_000);

  it('raised no script error and broke no Content-Security-Policy rule', () => {
    expect(pageErrors).toEqual([]);
  });

  it('signs out', async () => {
    await page.goto(`${base}/#/`);
    await page.click('nav button');
    await page.waitForSelector('#token');
    expect((await page.context().cookies()).find((c) => c.name === 'onset_session')).toBeUndefined();
  });

  it('renders What changed? for 1,000 hosts soon after the data arrives', async () => {
    // The analysis and heatmap of a simulated 1,000-host fleet, shaped by the server's own functions and
    // handed to the page directly: this measures the UI, not the database.
    const sim = simulateFleet(incidentScenario('web-ui-1000', 1000, 7));
    const report = {
      ...analyzeFleet(sim.fleet),
      suspects: [],
      timings: { read_ms: 0, analyze_ms: 0, rank_ms: 0 },
    };
    const analysis = toAnalysisResponse(report);
    const step = defaultHeatmapStep({ from: incidentFrom, to: incidentTo });
    const heat = toHeatmapResponse(buildHeatmap(sim.fleet, step), 'used');
    expect(heat.hosts).toHaveLength(1000);
    await page.route('**/api/v1/analysis?*', (route) => route.fulfill({ json: analysis }));
    await page.route('**/api/v1/analysis/heatmap?*', (route) => route.fulfill({ json: heat }));
    await page.goto(`${base}/#/sign-in`);
    await page.fill('#token', readToken);
    await page.click('button[type=submit]');
    const figures: number[] = [];
    for (let i = 0; i < 3; i++) {
      await page.goto(`${base}/#/?${window}&run=${i}`);
      if (i > 0) await page.reload();
      await page.waitForSelector('.results[data-render-ms]', { timeout: 60_000 });
      figures.push(Number(await page.getAttribute('.results', 'data-render-ms')));
    }
    await shot('what-changed-1000');
    const payloadKiB = Math.round(JSON.stringify(heat).length / 1024);
    console.log(
      `What changed? with 1,000 hosts: render after data arrived ${figures.map((f) => `${f.toFixed(0)} ms`).join(', ')} ` +
        `(heatmap payload ${payloadKiB} KiB, analysis ${Math.round(JSON.stringify(analysis).length / 1024)} KiB)`,
    );
    expect(figures.every((f) => Number.isFinite(f) && f > 0)).toBe(true);
    expect(await pwned()).toBeUndefined();
    await page.unrouteAll();
  }, 180_000);
});
