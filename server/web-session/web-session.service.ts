import { createHash, randomBytes } from 'node:crypto';
import { scopeAllows, type Principal, type TokenService } from '../tokens/tokens.service.ts';

export interface WebSessionOptions {
  /** A session ends this long after sign-in, however busy. */
  lifetimeMs: number;
  /** …or this long after its last request. */
  idleMs: number;
  maxSessions: number;
  now: () => number;
}

export const defaultWebSessionOptions: WebSessionOptions = {
  lifetimeMs: 24 * 3_600_000,
  idleMs: 8 * 3_600_000,
  maxSessions: 10_000,
  now: Date.now,
};

interface StoredSession {
  /** Kept so every request re-checks it: revoking the token ends its sessions within the token cache's life. */
  token: string;
  expiresAt: number;
  idleUntil: number;
}

export type SignInResult =
  | { ok: true; id: string; principal: Principal; expiresAt: number; maxAgeMs: number }
  | { ok: false; reason: 'invalid_token' | 'no_read_right' };

export interface WebSessionService {
  signIn(token: string): Promise<SignInResult>;
  /** The principal of a live session, or undefined. */
  resolve(id: string): Promise<Principal | undefined>;
  signOut(id: string): void;
  readonly size: number;
}

const hash = (id: string) => createHash('sha256').update(id).digest('hex');

/**
 * Browser sessions of the web UI, kept in memory: a restart signs everyone out, which a read-only UI
 * can afford. Only a hash of each session id is kept, so a heap dump does not hand out live cookies.
 */
export function createWebSessionService(
  tokens: TokenService,
  options: Partial<WebSessionOptions> = {},
): WebSessionService {
  const o = { ...defaultWebSessionOptions, ...options };
  const sessions = new Map<string, StoredSession>();

  function sweep(now: number) {
    for (const [key, s] of sessions) if (s.expiresAt <= now || s.idleUntil <= now) sessions.delete(key);
    // Map order is insertion order: drop the oldest when still over the cap.
    for (const key of sessions.keys()) {
      if (sessions.size < o.maxSessions) break;
      sessions.delete(key);
    }
  }

  return {
    async signIn(token) {
      const principal = await tokens.authenticate(token);
      if (!principal) return { ok: false, reason: 'invalid_token' };
      if (!scopeAllows(principal.scope, 'read')) return { ok: false, reason: 'no_read_right' };
      const now = o.now();
      sweep(now);
      const id = randomBytes(32).toString('base64url');
      const expiresAt = now + o.lifetimeMs;
      sessions.set(hash(id), { token, expiresAt, idleUntil: Math.min(expiresAt, now + o.idleMs) });
      return { ok: true, id, principal, expiresAt, maxAgeMs: o.lifetimeMs };
    },
    async resolve(id) {
      const key = hash(id);
      const s = sessions.get(key);
      if (!s) return undefined;
      const now = o.now();
      if (s.expiresAt <= now || s.idleUntil <= now) {
        sessions.delete(key);
        return undefined;
      }
      const principal = await tokens.authenticate(s.token);
      if (!principal) {
        sessions.delete(key);
        return undefined;
      }
      s.idleUntil = Math.min(s.expiresAt, now + o.idleMs);
      return principal;
    },
    signOut(id) {
      sessions.delete(hash(id));
    },
    get size() {
      return sessions.size;
    },
  };
}
