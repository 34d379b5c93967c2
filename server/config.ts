import { isIP } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { z } from 'zod';

/** Durations as users write them in Prometheus: `90s`, `15m`, `36h`, `30d`, `2w`. */
export function parseDuration(text: string): number | undefined {
  const match = /^(\d+(?:\.\d+)?)(ms|s|m|h|d|w)$/.exec(text.trim());
  if (!match) return undefined;
  const unit = { ms: 1, s: 1_000, m: 60_000, h: 3_600_000, d: 86_400_000, w: 604_800_000 }[
    match[2] as string
  ];
  return Number(match[1]) * (unit as number);
}

const duration = (fallback: string) =>
  z
    .string()
    .default(fallback)
    .transform((text, ctx) => {
      const ms = parseDuration(text);
      if (ms === undefined || ms <= 0) {
        ctx.addIssue({ code: 'custom', message: `'${text}' is not a duration such as 90s, 15m, 36h or 30d` });
        return z.NEVER;
      }
      return ms;
    });

const tokenList = z
  .string()
  .default('')
  .transform((text) =>
    text
      .split(',')
      .map((t) => t.trim())
      .filter((t) => t.length > 0),
  )
  .pipe(z.array(z.string().min(16, 'tokens must be at least 16 characters long')));

const envSchema = z.object({
  PORT: z.coerce.number().int().min(0).max(65535).default(8080),
  HOST: z.string().min(1).default('127.0.0.1'),
  DATABASE_URL: z
    .string()
    .regex(/^postgres(ql)?:\/\//, 'must be a postgres:// or postgresql:// connection string')
    .optional(),
  ONSET_DATA_DIR: z.string().min(1).default('./data'),
  ONSET_GIT_REPO: z.string().min(1).optional(),
  ONSET_GIT_BRANCH: z.string().min(1).optional(),
  ONSET_GIT_INTERVAL: duration('60s'),
  ONSET_SALT_NODEGROUPS: z.string().min(1).optional(),
  ONSET_WEBHOOK_SECRET: z.string().min(16, 'must be at least 16 characters long').optional(),
  ONSET_INGEST_TOKENS: tokenList,
  ONSET_READ_TOKENS: tokenList,
  ONSET_RETENTION: duration('30d'),
  ONSET_MAX_BODY_BYTES: z.coerce
    .number()
    .int()
    .min(1024)
    .default(16 * 1024 * 1024),
  ONSET_DB_POOL_SIZE: z.coerce.number().int().min(1).max(200).default(10),
  ONSET_ANALYSIS_WORKERS: z.coerce.number().int().min(0).max(256).optional(),
  ONSET_TOKEN: z.string().min(1).optional(),
  ONSET_LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
});

export interface Config {
  http: { port: number; host: string; maxBodyBytes: number };
  db: { url: string | undefined; dataDir: string; poolSize: number };
  dataDir: string;
  git: {
    repo: string | undefined;
    branch: string | undefined;
    intervalMs: number;
    /** Shared secret of push webhooks (GitHub, GitLab, Gitea); webhooks are refused without it. */
    webhookSecret: string | undefined;
  };
  salt: { nodegroupsFile: string | undefined };
  auth: { ingestTokens: string[]; readTokens: string[] };
  retentionMs: number;
  /** Worker threads for the analysis' per-host detection; 0 or 1 detects on the main thread. */
  analysis: { workers: number };
  /** The token the command line uses to talk to a running server. */
  cliToken: string | undefined;
  logLevel: z.infer<typeof envSchema>['ONSET_LOG_LEVEL'];
}

export class ConfigError extends Error {
  constructor(readonly problems: string[]) {
    super(`invalid configuration:\n${problems.map((p) => `  - ${p}`).join('\n')}`);
  }
}

/** Reads every setting at once and reports every problem at once. The only reader of the environment. */
export function loadConfig(env: NodeJS.ProcessEnv = process.env): Config {
  const parsed = envSchema.safeParse(env);
  if (!parsed.success) {
    throw new ConfigError(parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`));
  }
  const e = parsed.data;
  const dataDir = path.resolve(e.ONSET_DATA_DIR);
  return {
    http: { port: e.PORT, host: e.HOST, maxBodyBytes: e.ONSET_MAX_BODY_BYTES },
    db: { url: e.DATABASE_URL, dataDir: path.join(dataDir, 'pglite'), poolSize: e.ONSET_DB_POOL_SIZE },
    dataDir,
    git: {
      repo: e.ONSET_GIT_REPO,
      branch: e.ONSET_GIT_BRANCH,
      intervalMs: e.ONSET_GIT_INTERVAL,
      webhookSecret: e.ONSET_WEBHOOK_SECRET,
    },
    salt: { nodegroupsFile: e.ONSET_SALT_NODEGROUPS },
    auth: { ingestTokens: e.ONSET_INGEST_TOKENS, readTokens: e.ONSET_READ_TOKENS },
    retentionMs: e.ONSET_RETENTION,
    analysis: { workers: e.ONSET_ANALYSIS_WORKERS ?? os.availableParallelism() },
    cliToken: e.ONSET_TOKEN,
    logLevel: e.ONSET_LOG_LEVEL,
  };
}

export function isLoopback(host: string): boolean {
  if (host === 'localhost') return true;
  if (isIP(host) === 4) return host.startsWith('127.');
  return host === '::1';
}
