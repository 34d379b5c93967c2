import { z } from 'zod';
import { formatTime } from '../http/params.ts';
import type { Principal } from '../tokens/tokens.service.ts';

export const signInBodySchema = z.object({ token: z.string().min(1).max(1024) }).strict();

/** The answer of `POST /api/v1/session` and `GET /api/v1/session`. */
export function toSessionResponse(principal: Principal, expiresAt?: number) {
  return {
    signed_in: true as const,
    scope: principal.scope,
    ...(expiresAt === undefined ? {} : { expires_at: formatTime(expiresAt) }),
  };
}

export type SessionResponse = ReturnType<typeof toSessionResponse>;
