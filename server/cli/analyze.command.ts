import { readFile } from 'node:fs/promises';
import { toAnalysisResponse, type AnalysisResponse } from '../analysis/analysis.schemas.ts';
import { loadConfig, parseDuration } from '../config.ts';
import { parseTimestamp } from '../ingest/ingest.schemas.ts';
import { createLogger } from '../logger.ts';
import { buildOnset } from '../main.ts';
import { parseCommandArgs, UsageError, type Command } from './main.ts';

const usage = `usage: onset analyze [--from TIME] [--to TIME] [--json] [--server URL --token-file FILE]

What changed site-wide between --from and --to (default: the last 24 hours).
TIME is RFC 3339, epoch milliseconds, or a duration before now such as 6h or 2d.
Without --server it reads the database the server uses (DATABASE_URL or ONSET_DATA_DIR);
with --server it asks a running onset (token from --token-file, or ONSET_TOKEN).
`;

function parseTime(text: string | undefined, now: number): number | undefined {
  if (text === undefined) return undefined;
  const ago = parseDuration(text);
  if (ago !== undefined) return now - ago;
  const ms = parseTimestamp(/^\d+$/.test(text) ? Number(text) : text);
  if (ms === undefined)
    throw new UsageError(`'${text}' is not a time (RFC 3339, epoch ms, or a duration like 6h)`);
  return ms;
}

export const analyzeCommand: Command = {
  summary: 'what changed site-wide in a window',
  async run(argv) {
    const { values } = parseCommandArgs({
      args: argv,
      options: {
        from: { type: 'string' },
        to: { type: 'string' },
        json: { type: 'boolean' },
        server: { type: 'string' },
        'token-file': { type: 'string' },
        help: { type: 'boolean', short: 'h' },
      },
    });
    if (values.help) {
      process.stdout.write(usage);
      return 0;
    }
    const now = Date.now();
    const to = parseTime(values.to, now) ?? now;
    const from = parseTime(values.from, now) ?? to - 86_400_000;
    if (from >= to) throw new UsageError('--from must be before --to');

    const report = values.server
      ? await askServer(values.server, values['token-file'], from, to)
      : await analyzeLocally(from, to);
    process.stdout.write(values.json ? `${JSON.stringify(report, null, 2)}\n` : describe(report));
    return 0;
  },
};

async function analyzeLocally(from: number, to: number): Promise<AnalysisResponse> {
  const onset = await buildOnset(loadConfig(), { logger: createLogger('warn') });
  try {
    return toAnalysisResponse(await onset.analysis.analyze({ from, to }));
  } finally {
    await onset.destroy();
  }
}

async function askServer(server: string, tokenFile: string | undefined, from: number, to: number) {
  const token = tokenFile ? (await readFile(tokenFile, 'utf8')).trim() : loadConfig().cliToken;
  if (!token) throw new UsageError('--server needs a read token: --token-file FILE or ONSET_TOKEN');
  const url = new URL('/api/v1/analysis', server);
  url.searchParams.set('from', new Date(from).toISOString());
  url.searchParams.set('to', new Date(to).toISOString());
  const res = await fetch(url, {
    headers: { Authorization: `Bearer ${token}` },
    signal: AbortSignal.timeout(120_000),
  });
  if (!res.ok) throw new UsageError(`${url.origin} answered ${res.status}: ${await res.text()}`);
  return (await res.json()) as AnalysisResponse;
}

const pct = (x: number) => `${Math.round(x * 100)}%`;

/** The answer for a person at a terminal. */
export function describe(r: AnalysisResponse): string {
  const lines = [`onset analysis ${r.from} → ${r.to}: ${r.hosts_total} hosts seen`, ''];
  if (!r.onset) {
    lines.push('No memory growth shared by a significant part of the fleet.');
    return lines.join('\n') + '\n';
  }
  const o = r.onset;
  lines.push(`${r.summary}`, '');
  lines.push(
    `onset      ${o.ts} (median ${o.median}; p10/p50/p90 +${o.spread_minutes.p10}/+${o.spread_minutes.p50}/+${o.spread_minutes.p90} min)`,
  );
  lines.push(
    `hosts      ${o.hosts_affected} of ${o.hosts_seen} affected (p = ${o.p_value.toExponential(1)})`,
  );
  lines.push('', 'what grew:');
  for (const c of r.components.slice(0, 5)) lines.push(`  ${pct(c.share).padStart(4)}  ${c.metric}`);
  if (r.slab_caches.length)
    lines.push(
      `  slab caches: ${r.slab_caches
        .slice(0, 3)
        .map((s) => `${s.slab} ${pct(s.share_of_slab)}`)
        .join(', ')}`,
    );
  const suspects = r.suspects;
  lines.push(
    '',
    suspects.length ? 'suspects:' : 'suspects: none (no configuration repository, or no change fits)',
  );
  suspects.slice(0, 5).forEach((s, i) => {
    lines.push(
      `  ${i + 1}. ${('sha' in s ? s.sha : s.id).slice(0, 10)}  ${s.score.toFixed(2)}  ${s.subject}`,
    );
    for (const reason of s.reasons) lines.push(`       - ${reason}`);
  });
  lines.push('', 'affected hosts:');
  for (const h of o.hosts.slice(0, 20)) lines.push(`  ${h.onset}  ${h.host}`);
  if (o.hosts.length > 20) lines.push(`  … and ${o.hosts.length - 20} more (--json for all)`);
  return lines.join('\n') + '\n';
}
