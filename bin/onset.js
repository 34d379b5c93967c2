#!/usr/bin/env node
// The server runs its TypeScript sources through tsx: one source of truth, no build step to forget.
import { register } from 'tsx/esm/api';

register();
const { main } = await import('../server/cli/main.ts');
process.exitCode = await main(process.argv.slice(2));
