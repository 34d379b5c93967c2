import type { Request, RequestHandler } from 'express';
import { scopeAllows, type Principal, type Right, type TokenService } from '../tokens/tokens.service.ts';
import { AppError } from './errors.ts';

/** The header the web UI sends on every request that changes something; cross-site forms cannot send it. */
export const csrfHeader = 'x-onset-csrf';

const safeMethods = new Set(['GET', 'HEAD', 'OPTIONS']);

/**
 * Refuses a request that another site may have made: it must carry the custom header (which a cross-site
 * page can only send after a CORS preflight this server never grants) and, where the browser says where it
 * comes from, come from this origin.
 */
export function checkCsrf(req: Request): AppError | undefined {
  const refuse = (why: string) => new AppError('auth.forbidden', `cross-site request refused: ${why}`);
  if (!req.headers[csrfHeader]) return refuse(`the ${csrfHeader} header is required`);
  const site = req.headers['sec-fetch-site'];
  if (site !== undefined && site !== 'same-origin' && site !== 'none') return refuse(`request from ${site}`);
  const origin = req.headers.origin;
  if (origin !== undefined && origin !== `${req.protocol}://${req.host}`) return refuse('foreign Origin');
  return undefined;
}

/**
 * Bearer-token authentication, or a web UI session cookie (loaded into `res.locals.session` beforehand)
 * with a CSRF check for requests that change something. The principal lands in `res.locals.principal`.
 */
export function requireRight(tokens: TokenService, right: Right): RequestHandler {
  const allow = (principal: Principal, res: Parameters<RequestHandler>[1], next: (err?: unknown) => void) => {
    if (!scopeAllows(principal.scope, right)) {
      return next(
        new AppError('auth.forbidden', `this token may not ${right === 'ingest' ? 'push samples' : 'read'}`),
      );
    }
    res.locals.principal = principal;
    next();
  };
  return (req, res, next) => {
    const header = req.headers.authorization;
    const match = header ? /^Bearer\s+(\S+)\s*$/i.exec(header) : null;
    if (!match) {
      const session = header ? undefined : (res.locals.session as Principal | undefined);
      if (!session) {
        next(new AppError('auth.missing_token', 'an Authorization: Bearer token is required'));
        return;
      }
      const csrf = safeMethods.has(req.method) ? undefined : checkCsrf(req);
      if (csrf) return next(csrf);
      allow(session, res, next);
      return;
    }
    tokens.authenticate(match[1] as string).then((principal) => {
      if (!principal) return next(new AppError('auth.invalid_token', 'the token is not valid'));
      allow(principal, res, next);
    }, next);
  };
}
