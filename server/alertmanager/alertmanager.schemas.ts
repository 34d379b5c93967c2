import { z } from 'zod';

const limits = { alerts: 10_000, labels: 100, value: 10_000 } as const;

const labelName = z
  .string()
  .regex(/^[A-Za-z_][A-Za-z0-9_]*$/, 'must be a Prometheus label name')
  .refine((k) => k !== '__proto__', 'is not a usable label name');

/**
 * Label or annotation sets. Checked as a plain object first: a `__proto__` key from JSON.parse must be
 * refused before anything copies the object.
 */
const stringMap = z
  .custom<Record<string, unknown>>(
    (v) => v !== null && typeof v === 'object' && !Array.isArray(v) && !Object.hasOwn(v, '__proto__'),
    'must be an object of strings without a __proto__ key',
  )
  .pipe(
    z
      .record(labelName, z.string().max(limits.value))
      .refine((m) => Object.keys(m).length <= limits.labels, `at most ${limits.labels} entries`),
  );

/** Alertmanager's times: RFC 3339, maybe with nanoseconds; the zero time (year 1) means "not set". */
const amTime = z
  .string()
  .max(64)
  .transform((text, ctx) => {
    const ms = Date.parse(text.replace(/(\.\d{3})\d+/, '$1'));
    if (Number.isNaN(ms)) {
      ctx.addIssue({ code: 'custom', message: 'must be an RFC 3339 time' });
      return z.NEVER;
    }
    return ms < Date.UTC(2000, 0, 1) ? null : ms;
  });

const alert = z.object({
  status: z.enum(['firing', 'resolved']),
  labels: stringMap,
  annotations: stringMap.optional(),
  startsAt: amTime,
  endsAt: amTime.optional(),
  generatorURL: z.string().max(10_000).optional(),
  fingerprint: z
    .string()
    .regex(/^[A-Za-z0-9]{1,64}$/, 'must be an alert fingerprint')
    .optional(),
});

/** The webhook payload, version 4. Fields this server does not use are accepted and ignored. */
export const alertmanagerPayloadSchema = z.object({
  version: z.string().max(16).optional(),
  groupKey: z.string().max(10_000).optional(),
  truncatedAlerts: z.number().int().min(0).optional(),
  status: z.enum(['firing', 'resolved']).optional(),
  receiver: z.string().max(1000).optional(),
  groupLabels: stringMap.optional(),
  commonLabels: stringMap.optional(),
  commonAnnotations: stringMap.optional(),
  externalURL: z.string().max(10_000).optional(),
  alerts: z.array(alert).max(limits.alerts, `at most ${limits.alerts} alerts`),
});

export type AlertmanagerPayload = z.infer<typeof alertmanagerPayloadSchema>;
export type AlertmanagerAlert = AlertmanagerPayload['alerts'][number];
