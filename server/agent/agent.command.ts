import type { Command } from '../cli/main.ts';
import { AGENT_USAGE, AgentUsageError, parseAgentConfig, type AgentConfig } from './agent.config.ts';
import { createAgentLogger } from './agent.logger.ts';
import { createAgentService } from './agent.service.ts';
import { resolveHostIdentity } from './host-identity.reader.ts';
import { detectPageSize } from './process.reader.ts';
import { postSamples } from './sender.ts';
import { createCollector } from './snapshot.collector.ts';
import { Spool } from './spool.ts';

export const agentCommand: Command = {
  summary: 'sample host memory and push it to an onset server',
  async run(argv) {
    let config: AgentConfig | undefined;
    try {
      config = parseAgentConfig(argv, process.env);
    } catch (err) {
      if (!(err instanceof AgentUsageError)) throw err;
      process.stderr.write(`onset agent: ${err.message.split('\n').join('\nonset agent: ')}\n`);
      process.stderr.write('Run `onset agent --help` for the options.\n');
      return 2;
    }
    if (config === undefined) {
      process.stdout.write(AGENT_USAGE);
      return 0;
    }
    return config.once ? printSnapshot(config) : runAgent(config);
  },
};

/** `--once`: one snapshot as the contract's request body, on stdout. */
async function printSnapshot(config: AgentConfig): Promise<number> {
  const log = createAgentLogger(config.logLevel);
  const identity = await resolveHostIdentity({ ...config, onWarning: (message) => log.warn(message) });
  const collect = createCollector({
    ...config,
    pageSize: detectPageSize(),
    onWarning: (message, err) => log.warn({ err: (err as Error).message }, message),
  });
  const ts = new Date().toISOString();
  const values = await collect();
  const body = { hosts: [{ host: identity.host, labels: identity.labels, samples: [{ ts, values }] }] };
  process.stdout.write(JSON.stringify(body, null, 2) + '\n');
  return 0;
}

async function runAgent(config: AgentConfig): Promise<number> {
  const log = createAgentLogger(config.logLevel);
  const server = config.server ?? '';
  const identity = await resolveHostIdentity({ ...config, onWarning: (message) => log.warn(message) });
  const spool = Spool.open(config.spoolDir, {
    maxBytes: config.spoolMaxBytes,
    maxAgeMs: config.spoolMaxAgeMs,
    onDrop: ({ segment, samples, reason }) =>
      log.warn(
        { segment, samples, reason, droppedTotal: spool.stats().droppedSamples },
        `spool ${reason === 'size' ? 'full' : 'too old'}: dropped the oldest ${samples} samples`,
      ),
  });
  const collect = createCollector({
    ...config,
    pageSize: detectPageSize(),
    onWarning: (message, err) => log.warn({ err: (err as Error).message }, message),
  });

  let exitCode = 0;
  let resolveDone!: () => void;
  const done = new Promise<void>((resolve) => (resolveDone = resolve));
  const service = createAgentService({
    options: { ...config, host: identity.host, labels: identity.labels, backoffBaseMs: 1000 },
    log,
    spool,
    collect,
    post: (records, signal) =>
      postSamples(records, { server, token: config.token, timeoutMs: config.timeoutMs }, signal),
    onFatal: () => {
      exitCode = 1;
      resolveDone();
    },
  });

  log.info(
    {
      server,
      host: identity.host,
      hostSource: identity.hostSource,
      labels: identity.labels,
      intervalMs: config.intervalMs,
      spoolDir: config.spoolDir,
      spool: spool.stats(),
      tokenConfigured: config.token !== undefined,
    },
    'agent started',
  );
  if (!config.token)
    log.warn('no ingest token (--token, --token-file or ONSET_TOKEN): the server will likely answer 401');
  service.start();

  const onSignal = (signal: NodeJS.Signals) => {
    log.info({ signal }, 'stopping');
    resolveDone();
  };
  process.once('SIGTERM', onSignal);
  process.once('SIGINT', onSignal);
  await done;
  process.off('SIGTERM', onSignal);
  process.off('SIGINT', onSignal);
  await service.stop();
  log.info({ spool: spool.stats() }, 'agent stopped');
  return exitCode;
}
