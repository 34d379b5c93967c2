import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';

/** The agent's settings, parsed once from the command line and the environment. */
export interface AgentConfig {
  server: string | undefined;
  token: string | undefined;
  intervalMs: number;
  host: string | undefined;
  labels: Record<string, string>;
  procfs: string;
  saltDir: string;
  spoolDir: string;
  spoolMaxBytes: number;
  spoolMaxAgeMs: number;
  topSlabs: number;
  topProcesses: number;
  once: boolean;
  batchMaxSamples: number;
  batchMaxBytes: number;
  timeoutMs: number;
  backoffMaxMs: number;
  logLevel: string;
}

/** A mistake in the command line or environment: reported without a stack trace, exit code 2. */
export class AgentUsageError extends Error {}

export const AGENT_USAGE = `usage: onset agent --server URL [options]

Samples /proc/meminfo, /proc/slabinfo and process memory every interval, spools them on disk and
pushes them to an onset server (POST /api/v1/samples).

options:
  --server URL             onset server (env ONSET_SERVER)
  --token TOKEN            ingest token (env ONSET_TOKEN); prefer --token-file
  --token-file PATH        file holding the ingest token (env ONSET_TOKEN_FILE)
  --interval 15s           time between samples (ms, s, m, h)
  --host NAME              host name (default: <salt-dir>/minion_id, else the hostname)
  --label key=value        a label of this host (repeatable); adds to the role/roles grains
  --procfs /proc           proc filesystem to read
  --salt-dir /etc/salt     where Salt keeps minion_id and grains
  --spool-dir DIR          spool directory (default: $STATE_DIRECTORY, /var/lib/onset-agent as root,
                           else ./data/agent-spool)
  --spool-max-bytes 256MiB spool size limit: the oldest samples are dropped beyond it
  --spool-max-age 7d       samples older than this are dropped
  --top-slabs 20           largest slab caches to send (0: none)
  --top-processes 15       largest process groups to send, plus "other" (0: none)
  --batch-max-samples 100  samples per request
  --batch-max-bytes 1MiB   uncompressed JSON per request
  --timeout 30s            request timeout
  --backoff-max 60s        longest pause between retries
  --log-level info         fatal, error, warn, info, debug or trace
  --once                   print one snapshot as JSON and exit
  -h, --help               this help
`;

const UNITS_MS: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 };
const UNITS_BYTES: Record<string, number> = {
  b: 1,
  kb: 1e3,
  mb: 1e6,
  gb: 1e9,
  kib: 1024,
  mib: 1024 ** 2,
  gib: 1024 ** 3,
};

/** `15s`, `500ms`, `2m`, `7d`; a bare number is seconds. */
export function parseDuration(text: string): number | undefined {
  const match = /^(\d+(?:\.\d+)?)\s*(ms|s|m|h|d)?$/.exec(text.trim());
  if (!match) return undefined;
  return Math.round(Number(match[1]) * (UNITS_MS[match[2] ?? 's'] ?? 1000));
}

/** `256MiB`, `1GiB`, `100MB`; a bare number is bytes. */
export function parseSize(text: string): number | undefined {
  const match = /^(\d+(?:\.\d+)?)\s*([a-z]*)$/i.exec(text.trim());
  if (!match) return undefined;
  const unit = UNITS_BYTES[(match[2] || 'b').toLowerCase()];
  return unit === undefined ? undefined : Math.round(Number(match[1]) * unit);
}

const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'];

/**
 * Parses the command line and the environment (`ONSET_SERVER`, `ONSET_TOKEN`, `ONSET_TOKEN_FILE`,
 * `STATE_DIRECTORY`), reporting every problem at once. Returns undefined for `--help`.
 */
export function parseAgentConfig(
  argv: string[],
  env: Record<string, string | undefined>,
  isRoot = process.getuid?.() === 0,
): AgentConfig | undefined {
  let parsed;
  try {
    parsed = parseArgs({
      args: argv,
      strict: true,
      allowPositionals: false,
      options: {
        server: { type: 'string' },
        token: { type: 'string' },
        'token-file': { type: 'string' },
        interval: { type: 'string', default: '15s' },
        host: { type: 'string' },
        label: { type: 'string', multiple: true, default: [] },
        procfs: { type: 'string', default: '/proc' },
        'salt-dir': { type: 'string', default: '/etc/salt' },
        'spool-dir': { type: 'string' },
        'spool-max-bytes': { type: 'string', default: '256MiB' },
        'spool-max-age': { type: 'string', default: '7d' },
        'top-slabs': { type: 'string', default: '20' },
        'top-processes': { type: 'string', default: '15' },
        'batch-max-samples': { type: 'string', default: '100' },
        'batch-max-bytes': { type: 'string', default: '1MiB' },
        timeout: { type: 'string', default: '30s' },
        'backoff-max': { type: 'string', default: '60s' },
        'log-level': { type: 'string', default: 'info' },
        once: { type: 'boolean', default: false },
        help: { type: 'boolean', short: 'h', default: false },
      },
    });
  } catch (err) {
    throw new AgentUsageError((err as Error).message);
  }
  const { values } = parsed;
  if (values.help) return undefined;
  const problems: string[] = [];

  const duration = (name: string, text: string, min: number): number => {
    const ms = parseDuration(text);
    if (ms === undefined || ms < min)
      problems.push(`--${name}: expected a duration of at least ${min} ms, got '${text}'`);
    return ms ?? 0;
  };
  const size = (name: string, text: string): number => {
    const bytes = parseSize(text);
    if (bytes === undefined || bytes <= 0)
      problems.push(`--${name}: expected a size such as 256MiB, got '${text}'`);
    return bytes ?? 0;
  };
  const count = (name: string, text: string, min: number): number => {
    const n = Number(text);
    if (!Number.isInteger(n) || n < min)
      problems.push(`--${name}: expected an integer of at least ${min}, got '${text}'`);
    return n;
  };

  const once = values.once;
  const server = values.server ?? env.ONSET_SERVER;
  if (server === undefined && !once) problems.push('--server (or ONSET_SERVER) is required');
  if (server !== undefined && !/^https?:\/\/[^/]/.test(server)) {
    problems.push(`--server: expected an http:// or https:// URL, got '${server}'`);
  }

  let token = values.token ?? env.ONSET_TOKEN;
  const tokenFile = values['token-file'] ?? env.ONSET_TOKEN_FILE;
  if (token === undefined && tokenFile !== undefined) {
    try {
      token = readFileSync(tokenFile, 'utf8').trim();
    } catch (err) {
      problems.push(`--token-file: cannot read ${tokenFile}: ${(err as NodeJS.ErrnoException).code ?? err}`);
    }
  }

  const labels: Record<string, string> = {};
  for (const pair of values.label) {
    const eq = pair.indexOf('=');
    if (eq <= 0) {
      problems.push(`--label: expected key=value, got '${pair}'`);
      continue;
    }
    labels[pair.slice(0, eq)] = pair.slice(eq + 1);
  }

  if (!LOG_LEVELS.includes(values['log-level'])) {
    problems.push(`--log-level: expected one of ${LOG_LEVELS.join(', ')}, got '${values['log-level']}'`);
  }

  const config: AgentConfig = {
    server,
    token,
    intervalMs: duration('interval', values.interval, 100),
    host: values.host,
    labels,
    procfs: values.procfs,
    saltDir: values['salt-dir'],
    spoolDir:
      values['spool-dir'] ??
      env.STATE_DIRECTORY?.split(':')[0] ??
      (isRoot ? '/var/lib/onset-agent' : './data/agent-spool'),
    spoolMaxBytes: size('spool-max-bytes', values['spool-max-bytes']),
    spoolMaxAgeMs: duration('spool-max-age', values['spool-max-age'], 1000),
    topSlabs: count('top-slabs', values['top-slabs'], 0),
    topProcesses: count('top-processes', values['top-processes'], 0),
    once,
    batchMaxSamples: count('batch-max-samples', values['batch-max-samples'], 1),
    batchMaxBytes: size('batch-max-bytes', values['batch-max-bytes']),
    timeoutMs: duration('timeout', values.timeout, 100),
    backoffMaxMs: duration('backoff-max', values['backoff-max'], 100),
    logLevel: values['log-level'],
  };
  if (problems.length > 0) throw new AgentUsageError(problems.join('\n'));
  return config;
}
