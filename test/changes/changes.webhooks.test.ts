import { createHmac } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { TestOnset } from '../helpers/onset.ts';
import { alice, asIngest, asReader, eventually, makeScratch, onsetFor, saltRepo } from './changes.fixture.ts';
import type { FixtureRepo } from './git-fixture.ts';

const scratch = makeScratch('changes-webhooks');
const secret = 'webhook-secret-0123456789';
let repo: FixtureRepo;
let t: TestOnset;
let commits = 0;

beforeAll(async () => {
  repo = saltRepo(scratch);
  t = await onsetFor(repo, scratch, { ONSET_WEBHOOK_SECRET: secret });
  expect((await asIngest(t, '/api/v1/changes/sync')).status).toBe(200);
});
afterAll(async () => {
  await t?.close();
  scratch.cleanup();
});

/** A new commit on the deployed branch, that only a sync can know about. */
function push(): string {
  commits++;
  return repo.commit({
    message: `nginx: tweak ${commits}`,
    files: { 'salt/nginx/init.sls': `nginx:\n  pkg.installed: []\n# ${commits}\n` },
    author: alice,
    at: `2017-06-2${commits}T10:00:00Z`,
  });
}

const storedHead = async (): Promise<string> => (await asReader(t, '/api/v1/changes')).body.repository.head;
// A payload that claims other commits: it is never read, only signed.
const payload = JSON.stringify({
  ref: 'refs/heads/main',
  after: 'f'.repeat(40),
  commits: [{ id: 'f'.repeat(40) }],
});
const hmac = (key: string, body: string) => createHmac('sha256', key).update(body).digest('hex');
const hook = () => t.http.post('/api/v1/changes/webhook').set('Content-Type', 'application/json');

const providers = [
  {
    name: 'GitHub',
    good: { 'X-GitHub-Event': 'push', 'X-Hub-Signature-256': `sha256=${hmac(secret, payload)}` },
    bad: {
      'X-GitHub-Event': 'push',
      'X-Hub-Signature-256': `sha256=${hmac('another-secret-0123456789', payload)}`,
    },
  },
  {
    name: 'GitLab',
    good: { 'X-Gitlab-Event': 'Push Hook', 'X-Gitlab-Token': secret },
    bad: { 'X-Gitlab-Event': 'Push Hook', 'X-Gitlab-Token': `${secret}x` },
  },
  {
    // Gitea sends GitHub's headers too; its own signature decides.
    name: 'Gitea',
    good: { 'X-Gitea-Event': 'push', 'X-GitHub-Event': 'push', 'X-Gitea-Signature': hmac(secret, payload) },
    bad: {
      'X-Gitea-Event': 'push',
      'X-GitHub-Event': 'push',
      'X-Gitea-Signature': hmac(secret, `${payload} `),
      'X-Hub-Signature-256': `sha256=${hmac(secret, payload)}`,
    },
  },
];

describe('changes: push webhooks', () => {
  for (const provider of providers) {
    it(`${provider.name}: a good signature starts a sync; a bad one is refused and starts none`, async () => {
      const before = await storedHead();
      const pushed = push();

      const refused = await hook().set(provider.bad).send(payload);
      expect(refused.status).toBe(401);
      expect(refused.body.error.code).toBe('auth.invalid_signature');
      await new Promise((resolve) => setTimeout(resolve, 300));
      expect(await storedHead()).toBe(before);

      const accepted = await hook().set(provider.good).send(payload);
      expect(accepted.status).toBe(202);
      expect(accepted.body.provider).toBe(provider.name.toLowerCase());
      await eventually(async () => ((await storedHead()) === pushed ? true : undefined));
    });
  }

  it('refuses a webhook with no signature, and one from no known forge', async () => {
    const missing = await hook().set({ 'X-GitHub-Event': 'push' }).send(payload);
    expect(missing.status).toBe(401);
    expect(missing.body.error.message).toMatch(/X-Hub-Signature-256 is missing/);
    const unknown = await hook().send(payload);
    expect(unknown.status).toBe(400);
  });

  it("acknowledges other events, such as GitHub's ping, without a sync", async () => {
    const body = JSON.stringify({ zen: 'Keep it logically awesome.' });
    const res = await hook()
      .set({ 'X-GitHub-Event': 'ping', 'X-Hub-Signature-256': `sha256=${hmac(secret, body)}` })
      .send(body);
    expect(res.status).toBe(200);
    expect(res.body).toEqual({ status: 'ignored', provider: 'github', event: 'ping' });
  });
});
