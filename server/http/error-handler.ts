import type { ErrorRequestHandler } from 'express';
import { isDatabaseUnavailable } from '../db/database.ts';
import type { Logger } from '../logger.ts';
import { AppError, errorStatus } from './errors.ts';

/** body-parser's error types, as the codes this API speaks. */
const bodyParserErrors: Record<string, AppError> = {
  'entity.parse.failed': new AppError(
    'request.malformed_json',
    'the body is not valid JSON (an object is expected)',
  ),
  'entity.too.large': new AppError('request.too_large', 'the body is larger than the server accepts'),
  'encoding.unsupported': new AppError(
    'request.unsupported_encoding',
    'only gzip, deflate and identity encodings are accepted',
  ),
  'request.aborted': new AppError('request.invalid', 'the request was aborted'),
  'entity.verify.failed': new AppError('request.invalid', 'the body could not be read'),
};

function toAppError(err: unknown): AppError {
  if (err instanceof AppError) return err;
  const { type, status } = (err ?? {}) as { type?: unknown; status?: unknown };
  const known = typeof type === 'string' ? bodyParserErrors[type] : undefined;
  if (known) return known;
  // Other client errors of the body parser, such as a gzip body that does not inflate.
  if (status === 400) return new AppError('request.invalid', 'the body could not be decoded');
  if (status === 413) return bodyParserErrors['entity.too.large'] as AppError;
  if (isDatabaseUnavailable(err)) {
    return new AppError('service.unavailable', 'the database is unavailable; retry later', [], 5);
  }
  return new AppError('internal', 'internal error');
}

export function createErrorHandler(logger: Logger): ErrorRequestHandler {
  return (err, req, res, _next) => {
    const appError = toAppError(err);
    const status = errorStatus[appError.code];
    const log = (res.locals.log as Logger | undefined) ?? logger;
    if (status >= 500) {
      log.error({ err, code: appError.code, path: req.path }, 'request failed');
    }
    if (appError.retryAfterSeconds !== undefined)
      res.setHeader('Retry-After', String(appError.retryAfterSeconds));
    if (res.headersSent) return;
    res.status(status).json({
      error: {
        code: appError.code,
        message: appError.message,
        ...(appError.details.length > 0 ? { details: appError.details } : {}),
      },
    });
  };
}
