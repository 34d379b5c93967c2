import { createHmac, timingSafeEqual } from 'node:crypto';
import { AppError } from '../http/errors.ts';

export type WebhookProvider = 'github' | 'gitlab' | 'gitea';

export interface WebhookDelivery {
  provider: WebhookProvider;
  event: string;
  /** A push: worth a sync. Other events (GitHub's `ping`, tag pushes) are acknowledged and ignored. */
  push: boolean;
}

type Headers = Record<string, string | string[] | undefined>;

const header = (headers: Headers, name: string): string | undefined => {
  const value = headers[name];
  return Array.isArray(value) ? value[0] : value;
};

function sameText(a: string, b: string): boolean {
  const x = Buffer.from(a, 'utf8');
  const y = Buffer.from(b, 'utf8');
  return x.length === y.length && timingSafeEqual(x, y);
}

function hmacHex(secret: string, body: Buffer): string {
  return createHmac('sha256', secret).update(body).digest('hex');
}

const badSignature = (why: string) => new AppError('auth.invalid_signature', why);

/**
 * Checks a push webhook against the shared secret; its payload is never read beyond that; the sync reads
 * the repository itself. Gitea (and Forgejo) also send GitHub's headers, so they are recognised first.
 */
export function verifyWebhook(headers: Headers, body: Buffer, secret: string): WebhookDelivery {
  const giteaEvent = header(headers, 'x-gitea-event') ?? header(headers, 'x-forgejo-event');
  if (giteaEvent !== undefined) {
    const signature = header(headers, 'x-gitea-signature') ?? header(headers, 'x-forgejo-signature');
    if (signature === undefined) throw badSignature('X-Gitea-Signature is missing');
    if (!sameText(signature.trim().toLowerCase(), hmacHex(secret, body))) {
      throw badSignature('X-Gitea-Signature does not match the body');
    }
    return { provider: 'gitea', event: giteaEvent, push: giteaEvent === 'push' };
  }
  const gitlabEvent = header(headers, 'x-gitlab-event');
  if (gitlabEvent !== undefined) {
    const token = header(headers, 'x-gitlab-token');
    if (token === undefined) throw badSignature('X-Gitlab-Token is missing');
    if (!sameText(token, secret)) throw badSignature('X-Gitlab-Token does not match');
    return { provider: 'gitlab', event: gitlabEvent, push: gitlabEvent === 'Push Hook' };
  }
  const githubEvent = header(headers, 'x-github-event');
  if (githubEvent !== undefined) {
    const signature = header(headers, 'x-hub-signature-256');
    if (signature === undefined) throw badSignature('X-Hub-Signature-256 is missing');
    if (!sameText(signature.trim().toLowerCase(), `sha256=${hmacHex(secret, body)}`)) {
      throw badSignature('X-Hub-Signature-256 does not match the body');
    }
    return { provider: 'github', event: githubEvent, push: githubEvent === 'push' };
  }
  throw new AppError(
    'request.invalid',
    'not a push webhook: expected X-GitHub-Event, X-Gitlab-Event or X-Gitea-Event',
  );
}
