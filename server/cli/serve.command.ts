import { ConfigError, loadConfig } from '../config.ts';
import { buildOnset } from '../main.ts';
import { parseCommandArgs, type Command } from './main.ts';

export const serveCommand: Command = {
  summary: 'run the HTTP server (applies migrations first)',
  async run(argv) {
    const { values } = parseCommandArgs({ args: argv, options: { help: { type: 'boolean', short: 'h' } } });
    if (values.help) {
      process.stdout.write('usage: onset serve\n\nSettings come from the environment: see the README.\n');
      return 0;
    }
    let config;
    try {
      config = loadConfig();
    } catch (err) {
      if (err instanceof ConfigError) {
        process.stderr.write(`onset: ${err.message}\n`);
        return 2;
      }
      throw err;
    }
    const onset = await buildOnset(config);
    let started;
    try {
      started = await onset.start();
    } catch (err) {
      await onset.destroy();
      if (err instanceof ConfigError) {
        process.stderr.write(`onset: ${err.message}\n`);
        return 2;
      }
      throw err;
    }
    if (started.bootstrapToken) {
      // Shown once, on the terminal only; the database keeps just its hash.
      process.stdout.write(
        `\nNo token was configured, so onset made an admin token. It is shown only now:\n\n  ${started.bootstrapToken}\n\n` +
          `Open http://${config.http.host}:${started.port}/ and sign in with it.\n\n`,
      );
    }
    await new Promise<void>((resolve) => {
      const stop = (signal: string) => {
        onset.logger.info({ signal }, 'shutting down');
        resolve();
      };
      process.once('SIGINT', stop);
      process.once('SIGTERM', stop);
    });
    await onset.destroy();
    return 0;
  },
};
