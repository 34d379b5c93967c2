import { parseArgs, type ParseArgsConfig } from 'node:util';

/** A subcommand of `onset`: parses its own arguments and returns the exit code. */
export interface Command {
  summary: string;
  run(argv: string[]): Promise<number>;
}

// Each command module is loaded only when it is run, so `onset agent` never loads the server.
const commands: Record<string, () => Promise<Command>> = {
  serve: async () => (await import('./serve.command.ts')).serveCommand,
  migrate: async () => (await import('./migrate.command.ts')).migrateCommand,
  token: async () => (await import('./token.command.ts')).tokenCommand,
  analyze: async () => (await import('./analyze.command.ts')).analyzeCommand,
  detect: async () => (await import('../analysis/detect.command.ts')).detectCommand,
  agent: async () => (await import('../agent/agent.command.ts')).agentCommand,
};

function usage(): string {
  return [
    'usage: onset <command> [options]',
    '',
    'commands:',
    ...Object.keys(commands).map((name) => `  ${name}`),
    '',
    'Run `onset <command> --help` for the options of one command.',
  ].join('\n');
}

export async function main(argv: string[]): Promise<number> {
  const [name, ...rest] = argv;
  if (name === undefined || name === '--help' || name === '-h' || name === 'help') {
    process.stdout.write(usage() + '\n');
    return name === undefined ? 2 : 0;
  }
  if (name === '--version') {
    const { createRequire } = await import('node:module');
    const pkg = createRequire(import.meta.url)('../../package.json') as { version: string };
    process.stdout.write(pkg.version + '\n');
    return 0;
  }
  const load = commands[name];
  if (!load) {
    process.stderr.write(`onset: unknown command '${name}'\n\n${usage()}\n`);
    return 2;
  }
  const command = await load();
  try {
    return await command.run(rest);
  } catch (err) {
    if (err instanceof UsageError) {
      process.stderr.write(`onset ${name}: ${err.message}\n`);
      return 2;
    }
    throw err;
  }
}

/** A mistake in the command line: printed without a stack trace, exit code 2. */
export class UsageError extends Error {}

/** `util.parseArgs` with its errors turned into usage errors. */
export function parseCommandArgs<T extends ParseArgsConfig>(config: T): ReturnType<typeof parseArgs<T>> {
  try {
    return parseArgs(config);
  } catch (err) {
    throw new UsageError((err as Error).message);
  }
}
