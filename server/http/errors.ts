/** Error codes and the HTTP status each maps to: the one table the error handler reads. */
export const errorStatus = {
  'request.invalid': 400,
  'request.malformed_json': 400,
  'auth.missing_token': 401,
  'auth.invalid_token': 401,
  'auth.invalid_signature': 401,
  'auth.forbidden': 403,
  not_found: 404,
  'request.too_large': 413,
  'request.unsupported_media_type': 415,
  'request.unsupported_encoding': 415,
  'service.busy': 429,
  'service.unavailable': 503,
  'git.failed': 502,
  'git.too_large': 502,
  'git.timeout': 503,
  internal: 500,
} as const;

export type ErrorCode = keyof typeof errorStatus;

export interface ErrorDetail {
  path: string;
  message: string;
}

/** An error meant for the caller. Services throw these with a code; only the handler knows HTTP. */
export class AppError extends Error {
  constructor(
    readonly code: ErrorCode,
    message: string,
    readonly details: ErrorDetail[] = [],
    readonly retryAfterSeconds?: number,
  ) {
    super(message);
  }
}
