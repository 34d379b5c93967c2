import express, { Router, type RequestHandler } from 'express';
import { checkCsrf, requireRight } from '../http/auth.ts';
import { AppError } from '../http/errors.ts';
import { validate } from '../http/validate.ts';
import type { Principal, TokenService } from '../tokens/tokens.service.ts';
import { clearSessionCookie, readSessionCookie, setSessionCookie } from './web-session.cookie.ts';
import { signInBodySchema, toSessionResponse } from './web-session.schemas.ts';
import type { WebSessionService } from './web-session.service.ts';

/** Puts the principal of a valid session cookie in `res.locals.session` for `requireRight`. */
export function loadWebSession(sessions: WebSessionService): RequestHandler {
  return (req, res, next) => {
    const id = readSessionCookie(req);
    if (id === undefined || req.headers.authorization) {
      next();
      return;
    }
    sessions.resolve(id).then((principal) => {
      if (principal) res.locals.session = principal;
      next();
    }, next);
  };
}

const refuseCrossSite: RequestHandler = (req, _res, next) => next(checkCsrf(req));

export function webSessionRoutes(deps: { tokens: TokenService; sessions: WebSessionService }): Router {
  const router = Router();

  // Signing in is guarded like any cookie request, so another site cannot sign a browser in to its token.
  router.post(
    '/api/v1/session',
    refuseCrossSite,
    express.json({ limit: '4kb', strict: true }),
    validate('body', signInBodySchema),
    async (req, res) => {
      const { token } = res.locals.body as { token: string };
      const result = await deps.sessions.signIn(token);
      if (!result.ok) {
        throw result.reason === 'invalid_token'
          ? new AppError('auth.invalid_token', 'the token is not valid')
          : new AppError('auth.forbidden', 'this token may not read');
      }
      const previous = readSessionCookie(req);
      if (previous !== undefined) deps.sessions.signOut(previous);
      setSessionCookie(req, res, result.id, result.maxAgeMs);
      res.json(toSessionResponse(result.principal, result.expiresAt));
    },
  );

  router.get('/api/v1/session', requireRight(deps.tokens, 'read'), (_req, res) => {
    res.json(toSessionResponse(res.locals.principal as Principal));
  });

  router.delete('/api/v1/session', refuseCrossSite, (req, res) => {
    const id = readSessionCookie(req);
    if (id !== undefined) deps.sessions.signOut(id);
    clearSessionCookie(req, res);
    res.status(204).end();
  });

  return router;
}
