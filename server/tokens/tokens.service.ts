import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import type { Db } from '../db/database.ts';
import type { ApiTokenRow } from '../db/schema.ts';
import * as repo from './tokens.repository.ts';

export type Scope = ApiTokenRow['scope'];
export type Right = 'ingest' | 'read';

export interface Principal {
  /** Token id, or `env:ingest` / `env:read` for tokens from the environment. Never the secret. */
  tokenId: string;
  scope: Scope;
}

const sha256 = (text: string) => createHash('sha256').update(text).digest();

/**
 * Tokens made on the command line look like `onset_<id>_<secret>`: the id finds the row and the
 * secret is kept only as a SHA-256 hash (it is 256 random bits, so a slow hash adds nothing).
 */
const tokenPattern = /^onset_([a-f0-9]{12})_([A-Za-z0-9_-]{43})$/;

export function scopeAllows(scope: Scope, right: Right): boolean {
  return scope === 'admin' || scope === right;
}

export interface TokenService {
  authenticate(presented: string): Promise<Principal | undefined>;
  create(name: string, scope: Scope): Promise<{ id: string; token: string }>;
  revoke(id: string): Promise<boolean>;
  list(): Promise<Omit<ApiTokenRow, 'secret_hash'>[]>;
  /** Whether any token exists at all, configured or stored. */
  anyConfigured(): Promise<boolean>;
}

export function createTokenService(
  db: Db,
  env: { ingestTokens: string[]; readTokens: string[] },
): TokenService {
  const envTokens = [
    ...env.ingestTokens.map((t) => ({
      hash: sha256(t),
      principal: { tokenId: 'env:ingest', scope: 'ingest' as const },
    })),
    ...env.readTokens.map((t) => ({
      hash: sha256(t),
      principal: { tokenId: 'env:read', scope: 'read' as const },
    })),
  ];
  // Lookups are cached briefly so every agent push does not query the token table; revocation
  // takes effect within the cache's lifetime.
  const cache = new Map<string, { principal: Principal | undefined; expires: number }>();
  const cacheMs = 10_000;

  async function lookUp(presented: string): Promise<Principal | undefined> {
    const hash = sha256(presented);
    let found: Principal | undefined;
    // Compare against every environment token so timing does not reveal which one matched.
    for (const candidate of envTokens) {
      if (timingSafeEqual(candidate.hash, hash)) found ??= candidate.principal;
    }
    if (found) return found;
    const match = tokenPattern.exec(presented);
    if (!match) return undefined;
    const row = await repo.findActiveToken(db, match[1] as string);
    if (!row) return undefined;
    const stored = Buffer.from(row.secret_hash, 'hex');
    const given = sha256(match[2] as string);
    return stored.length === given.length && timingSafeEqual(stored, given)
      ? { tokenId: row.id, scope: row.scope }
      : undefined;
  }

  return {
    async authenticate(presented) {
      const key = sha256(presented).toString('hex');
      const now = Date.now();
      const hit = cache.get(key);
      if (hit && hit.expires > now) return hit.principal;
      const principal = await lookUp(presented);
      if (cache.size > 10_000) cache.clear();
      cache.set(key, { principal, expires: now + cacheMs });
      return principal;
    },
    async create(name, scope) {
      const id = randomBytes(6).toString('hex');
      const secret = randomBytes(32).toString('base64url');
      await repo.insertToken(db, { id, name, scope, secretHash: sha256(secret).toString('hex') });
      return { id, token: `onset_${id}_${secret}` };
    },
    async revoke(id) {
      cache.clear();
      return repo.revokeToken(db, id);
    },
    async list() {
      return (await repo.listTokens(db)).map(({ secret_hash: _secret, ...rest }) => rest);
    },
    async anyConfigured() {
      return envTokens.length > 0 || (await repo.countActiveTokens(db)) > 0;
    },
  };
}
