import { loadConfig } from '../config.ts';
import { createDatabase } from '../db/database.ts';
import { migrateToLatest } from '../db/migrate.ts';
import { createLogger } from '../logger.ts';
import { createTokenService, type Scope } from '../tokens/tokens.service.ts';
import { parseCommandArgs, UsageError, type Command } from './main.ts';

const usage = `usage:
  onset token create --scope ingest|read|admin [--name NAME]   print a new token (shown only once)
  onset token list                                              list tokens (never their secrets)
  onset token revoke ID                                         revoke a token
`;

const scopes: Scope[] = ['ingest', 'read', 'admin'];

export const tokenCommand: Command = {
  summary: 'create, list and revoke API tokens',
  async run(argv) {
    const { values, positionals } = parseCommandArgs({
      args: argv,
      allowPositionals: true,
      options: { scope: { type: 'string' }, name: { type: 'string' }, help: { type: 'boolean', short: 'h' } },
    });
    const [action, arg] = positionals;
    if (values.help || !action) {
      process.stdout.write(usage);
      return values.help ? 0 : 2;
    }
    const config = loadConfig();
    const database = await createDatabase(config.db, createLogger('warn'));
    try {
      await migrateToLatest(database.db);
      const tokens = createTokenService(database.db, config.auth);
      switch (action) {
        case 'create': {
          const scope = values.scope as Scope | undefined;
          if (!scope || !scopes.includes(scope))
            throw new UsageError(`--scope must be one of ${scopes.join(', ')}`);
          const { id, token } = await tokens.create(values.name ?? scope, scope);
          process.stderr.write(`created token ${id} (${scope}); it is shown only now:\n`);
          process.stdout.write(`${token}\n`);
          return 0;
        }
        case 'list':
          for (const t of await tokens.list()) {
            const state = t.revoked_at ? `revoked ${t.revoked_at.toISOString()}` : 'active';
            process.stdout.write(
              `${t.id}  ${t.scope.padEnd(6)}  ${t.created_at.toISOString()}  ${state}  ${t.name}\n`,
            );
          }
          return 0;
        case 'revoke':
          if (!arg) throw new UsageError('revoke needs a token id');
          if (!(await tokens.revoke(arg))) {
            process.stderr.write(`no active token ${arg}\n`);
            return 1;
          }
          process.stdout.write(`revoked ${arg}\n`);
          return 0;
        default:
          throw new UsageError(`unknown action '${action}'\n${usage}`);
      }
    } finally {
      await database.close();
    }
  },
};
