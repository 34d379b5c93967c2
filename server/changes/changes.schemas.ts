import { z } from 'zod';
import { timeParam, withWindow } from '../http/params.ts';
import { minionIdPattern, parseTimestamp } from '../ingest/ingest.schemas.ts';

export const changeLimits = { hosts: 10_000, list: 5_000, listDefault: 1_000 } as const;

const minTs = Date.UTC(2000, 0, 1);
const maxFutureMs = 10 * 60_000;

/** A time in a body: RFC 3339 or epoch milliseconds, from the year 2000 to ten minutes from now. */
const bodyTime = z
  .union([z.string().max(40), z.number()], { error: 'must be an RFC 3339 time or epoch milliseconds' })
  .transform((value, ctx) => {
    const ms = parseTimestamp(value);
    if (ms === undefined || ms < minTs || ms > Date.now() + maxFutureMs) {
      ctx.addIssue({
        code: 'custom',
        message:
          ms === undefined
            ? 'must be an RFC 3339 time or epoch milliseconds'
            : ms < minTs
              ? 'is before the year 2000'
              : 'is more than 10 minutes in the future',
      });
      return z.NEVER;
    }
    return ms;
  });

const hostName = z
  .string()
  .max(253, 'host names are at most 253 characters')
  .regex(minionIdPattern, 'must be a Salt minion id: letters, digits, dots, dashes and underscores');

/** Caller-chosen event ids make retries safe: an id already stored is not stored again. */
export const eventIdPattern = /^[A-Za-z0-9][A-Za-z0-9._:-]{0,127}$/;

/** Tabs and newlines are fine; other control characters would garble logs and terminals. */
const noControl = (text: string) =>
  ![...text].some((ch) => {
    const code = ch.charCodeAt(0);
    return (code < 0x20 && ch !== '\t' && ch !== '\n' && ch !== '\r') || code === 0x7f;
  });

const appliedHost = z.strictObject({ host: hostName, applied_at: bodyTime.optional() });

export const changeEventBodySchema = z
  .strictObject({
    id: z
      .string()
      .regex(eventIdPattern, 'must be 1 to 128 letters, digits, dots, colons, dashes or underscores')
      .optional(),
    kind: z
      .string()
      .regex(/^[a-z][a-z0-9_.-]{0,39}$/, 'must be a short lowercase word such as package, deploy or manual'),
    title: z
      .string()
      .trim()
      .min(1, 'must not be empty')
      .max(500)
      .refine(noControl, 'holds control characters'),
    description: z.string().max(20_000).optional(),
    source: z.string().trim().min(1).max(200).refine(noControl, 'holds control characters').optional(),
    author: z.string().trim().min(1).max(200).refine(noControl, 'holds control characters').optional(),
    landed_at: bodyTime.optional(),
    hosts: z
      .array(appliedHost)
      .min(1, 'name at least one host, or leave hosts out')
      .max(changeLimits.hosts, `at most ${changeLimits.hosts} hosts`)
      .optional(),
    target: z
      .union(
        [
          z
            .string()
            .trim()
            .min(1, 'must not be empty')
            .max(2000)
            .refine(noControl, 'holds control characters'),
          z
            .array(hostName)
            .min(1, 'name at least one host')
            .max(changeLimits.hosts, `at most ${changeLimits.hosts} hosts`),
        ],
        { error: 'must be a Salt compound target or a list of hosts' },
      )
      .optional(),
  })
  .superRefine((body, ctx) => {
    if (body.hosts !== undefined && body.target !== undefined) {
      ctx.addIssue({ code: 'custom', path: ['target'], message: 'give either hosts or target, not both' });
    }
    const names = new Set<string>();
    const listed = body.hosts?.map((h) => h.host) ?? (Array.isArray(body.target) ? body.target : []);
    const field = body.hosts !== undefined ? 'hosts' : 'target';
    listed.forEach((name, i) => {
      if (names.has(name)) {
        ctx.addIssue({
          code: 'custom',
          path: field === 'hosts' ? ['hosts', i, 'host'] : ['target', i],
          message: 'appears twice',
        });
      }
      names.add(name);
    });
  })
  .transform((body) => ({
    id: body.id,
    kind: body.kind,
    title: body.title,
    description: body.description,
    source: body.source,
    author: body.author,
    landedAt: body.landed_at,
    hosts:
      body.hosts?.map((h) => ({ host: h.host, appliedAt: h.applied_at })) ??
      (Array.isArray(body.target) ? body.target.map((host) => ({ host, appliedAt: undefined })) : undefined),
    targetExpression: typeof body.target === 'string' ? body.target : undefined,
  }));

export type ChangeEventBody = z.input<typeof changeEventBodySchema>;
export type ChangeEventInput = z.output<typeof changeEventBodySchema>;

export const changesQuerySchema = z
  .object({
    from: timeParam.optional(),
    to: timeParam.optional(),
    limit: z.coerce
      .number({ error: 'must be a number' })
      .int()
      .min(1)
      .max(changeLimits.list, `at most ${changeLimits.list}`)
      .optional(),
  })
  .transform((q, ctx) => ({ ...withWindow(q, ctx), limit: q.limit ?? changeLimits.listDefault }));

export const changeParamsSchema = z.object({
  id: z.string().regex(eventIdPattern, 'must be a commit sha or an event id'),
});
