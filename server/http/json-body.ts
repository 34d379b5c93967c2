import express, { type RequestHandler } from 'express';
import { AppError } from './errors.ts';

/**
 * A JSON request body in `req.body`: gzip and deflate accepted, `limit` bytes at most once inflated (so
 * a small gzip bomb is refused too), an object or array at the top. A body sent as another type is
 * refused with 415, unless `anyType` is set: then it stays unparsed and the route's schema refuses it.
 */
export function jsonBody(options: { limit: number; anyType?: boolean }): RequestHandler {
  const parse = express.json({ limit: options.limit, strict: true, inflate: true });
  if (options.anyType === true) return parse;
  return (req, res, next) => {
    if (!req.is('application/json')) {
      next(new AppError('request.unsupported_media_type', 'Content-Type must be application/json'));
      return;
    }
    parse(req, res, next);
  };
}
