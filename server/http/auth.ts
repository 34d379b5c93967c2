import type { RequestHandler } from 'express';
import { scopeAllows, type Right, type TokenService } from '../tokens/tokens.service.ts';
import { AppError } from './errors.ts';

/** Bearer-token authentication; the principal lands in `res.locals.principal`. */
export function requireRight(tokens: TokenService, right: Right): RequestHandler {
  return (req, res, next) => {
    const header = req.headers.authorization;
    const match = header ? /^Bearer\s+(\S+)\s*$/i.exec(header) : null;
    if (!match) {
      next(new AppError('auth.missing_token', 'an Authorization: Bearer token is required'));
      return;
    }
    tokens.authenticate(match[1] as string).then((principal) => {
      if (!principal) return next(new AppError('auth.invalid_token', 'the token is not valid'));
      if (!scopeAllows(principal.scope, right)) {
        return next(
          new AppError(
            'auth.forbidden',
            `this token may not ${right === 'ingest' ? 'push samples' : 'read'}`,
          ),
        );
      }
      res.locals.principal = principal;
      next();
    }, next);
  };
}
