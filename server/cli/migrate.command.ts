import { loadConfig } from '../config.ts';
import { createDatabase } from '../db/database.ts';
import { createMigrator, migrateToLatest } from '../db/migrate.ts';
import { createLogger } from '../logger.ts';
import { parseCommandArgs, UsageError, type Command } from './main.ts';

export const migrateCommand: Command = {
  summary: 'apply database migrations (or --down one step)',
  async run(argv) {
    const { values } = parseCommandArgs({
      args: argv,
      options: { down: { type: 'boolean' }, help: { type: 'boolean', short: 'h' } },
    });
    if (values.help) {
      process.stdout.write('usage: onset migrate [--down]\n');
      return 0;
    }
    const config = loadConfig();
    const logger = createLogger(config.logLevel === 'info' ? 'warn' : config.logLevel);
    const database = await createDatabase(config.db, logger);
    try {
      if (values.down) {
        const { error, results } = await createMigrator(database.db).migrateDown();
        if (error) throw new UsageError(`migrating down failed: ${(error as Error).message}`);
        for (const r of results ?? []) process.stdout.write(`reverted ${r.migrationName}\n`);
      } else {
        const applied = await migrateToLatest(database.db);
        process.stdout.write(applied.length ? applied.map((m) => `applied ${m}\n`).join('') : 'up to date\n');
      }
      return 0;
    } finally {
      await database.close();
    }
  },
};
