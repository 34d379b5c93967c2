import type { RequestHandler } from 'express';
import type { z } from 'zod';
import { AppError, type ErrorDetail } from './errors.ts';

export function zodDetails(error: z.ZodError): ErrorDetail[] {
  return error.issues.slice(0, 50).map((issue) => ({
    path: formatPath(issue.path),
    message: issue.message,
  }));
}

/** `hosts[0].samples[3].values["node_memory_Slab_bytes"]`: the way a person finds the field. */
export function formatPath(path: readonly PropertyKey[]): string {
  let out = '';
  for (const part of path) {
    if (typeof part === 'number') out += `[${part}]`;
    else if (/^[A-Za-z_][A-Za-z0-9_]*$/.test(String(part))) out += out ? `.${String(part)}` : String(part);
    else out += `[${JSON.stringify(String(part))}]`;
  }
  return out || '(body)';
}

type Part = 'body' | 'query' | 'params';

/** Validates one part of the request; the parsed value replaces it in `res.locals[part]`. */
export function validate<S extends z.ZodType>(part: Part, schema: S): RequestHandler {
  return (req, res, next) => {
    const result = schema.safeParse(req[part]);
    if (!result.success) {
      next(new AppError('request.invalid', `invalid request ${part}`, zodDetails(result.error)));
      return;
    }
    res.locals[part] = result.data;
    next();
  };
}
