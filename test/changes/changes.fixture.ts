import { join } from 'node:path';
import { createTestOnset, ingestToken, readToken, type TestOnset } from '../helpers/onset.ts';
import { alice, FixtureRepo, type makeScratch } from './git-fixture.ts';

export { alice, bob, carol, epoch, FixtureRepo, makeScratch } from './git-fixture.ts';

export const TOP = `base:
  '*':
    - common
  'G@role:web':
    - nginx
  'G@role:db':
    - postgres
`;

/** A small Salt repository: a top file, three roles, a custom grain module and docs. */
export function saltRepo(scratch: ReturnType<typeof makeScratch>): FixtureRepo {
  const repo = FixtureRepo.init(scratch.dir('salt'), scratch.root);
  repo.commit({
    message: 'salt: roles, grains and docs',
    files: {
      'salt/top.sls': TOP,
      'salt/common/init.sls': 'ntp:\n  pkg.installed: []\n',
      'salt/nginx/init.sls': 'nginx:\n  pkg.installed: []\n',
      'salt/postgres/init.sls': 'postgresql:\n  pkg.installed: []\n',
      'salt/_grains/fleet_api.py': 'def fleet_api():\n    return {}\n',
      'docs/runbook.md': '# runbook\n',
    },
    author: alice,
    at: '2017-06-20T09:00:00Z',
  });
  return repo;
}

/** The three hosts the fixture targets: two web servers and a database. */
export const fleet = (suffix: string) => [
  { id: `web-1-${suffix}`, labels: { role: 'web', dc: 'ams1' } },
  { id: `web-2-${suffix}`, labels: { role: 'web', dc: 'fra1' } },
  { id: `db-1-${suffix}`, labels: { role: 'db', dc: 'ams1' } },
];

/** The server on a database of its own, reading the given repository into its own data directory. */
export function onsetFor(
  repo: FixtureRepo | string,
  scratch: ReturnType<typeof makeScratch>,
  env: Record<string, string> = {},
): Promise<TestOnset> {
  return createTestOnset({
    ONSET_GIT_REPO: typeof repo === 'string' ? repo : repo.path,
    ONSET_DATA_DIR: join(scratch.dir('data'), 'onset'),
    // The loop is started by hand in the tests that want it; an hour keeps it from running twice.
    ONSET_GIT_INTERVAL: '1h',
    PORT: '0',
    ...env,
  });
}

export const asReader = (t: TestOnset, path: string) =>
  t.http.get(path).set('Authorization', `Bearer ${readToken}`);

export const asIngest = (t: TestOnset, path: string) =>
  t.http.post(path).set('Authorization', `Bearer ${ingestToken}`);

/** Polls until `check` gives a value other than undefined, or fails after `ms`. */
export async function eventually<T>(check: () => Promise<T | undefined>, ms = 15_000): Promise<T> {
  const deadline = Date.now() + ms;
  for (;;) {
    const value = await check();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}
