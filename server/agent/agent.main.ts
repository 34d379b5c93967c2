/**
 * The agent on its own, without the `onset` command table: the entry point of the single-file bundle
 * that hosts run where a small footprint matters (see docs/agent.md).
 */
import { agentCommand } from './agent.command.ts';

process.exitCode = await agentCommand.run(process.argv.slice(2));
