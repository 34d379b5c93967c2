import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect } from 'vitest';
import {
  analysedSeries,
  demoScenario,
  simulateIncident,
  type DemoIncident,
  type DemoScenarioOptions,
} from '../../server/demo/demo-incident.ts';
import { fleetToIngestBatches } from '../../server/sim/fleet-sim.ts';
import { createTestOnset, ingestToken, readToken, type TestOnset } from '../helpers/onset.ts';

export const HOUR = 3_600_000;
export const MINUTE = 60_000;
export const FROM = Date.UTC(2017, 5, 25, 12);
/** Alerts fire a day after the data begins, so the analysis window (from a day before) is all data. */
export const ALERTS_AT = FROM + 24 * HOUR;

export interface IncidentFixture {
  t: TestOnset;
  sim: DemoIncident;
  cleanup(): Promise<void>;
}

/**
 * A simulated fleet with a slab leak and its Salt repository, loaded through the ingest API into a
 * server built with `ONSET_GIT_REPO` pointing at the repository, synced.
 */
export async function loadIncidentFixture(
  prefix: string,
  options: Partial<DemoScenarioOptions> = {},
): Promise<IncidentFixture> {
  const root = mkdtempSync(join(tmpdir(), `onset-${prefix}-`));
  const scenario = demoScenario({ from: FROM, hosts: 40, hours: 30, changeAfterHours: 20, ...options });
  const sim = await simulateIncident(join(root, 'salt'), scenario, { keep: analysedSeries, commits: 150 });
  const t = await createTestOnset({
    ONSET_GIT_REPO: join(root, 'salt'),
    ONSET_SALT_NODEGROUPS: sim.repo.nodegroupsPath,
    ONSET_DATA_DIR: join(root, 'data'),
    ONSET_GIT_INTERVAL: '1h',
  });
  for (const body of fleetToIngestBatches(sim.fleet, 20, 360)) {
    const res = await t.http.post('/api/v1/samples').set('Authorization', `Bearer ${ingestToken}`).send(body);
    expect(res.status).toBe(200);
  }
  expect((await asIngest(t).post('/api/v1/changes/sync')).status).toBe(200);
  return {
    t,
    sim,
    async cleanup() {
      await t.close();
      rmSync(root, { recursive: true, force: true });
    },
  };
}

const auth = (t: TestOnset, token: string) => ({
  get: (path: string) => t.http.get(path).set('Authorization', `Bearer ${token}`),
  post: (path: string) => t.http.post(path).set('Authorization', `Bearer ${token}`),
  patch: (path: string) => t.http.patch(path).set('Authorization', `Bearer ${token}`),
});

export const asReader = (t: TestOnset) => auth(t, readToken);
export const asIngest = (t: TestOnset) => auth(t, ingestToken);
