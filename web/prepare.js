// Builds the web UI on `npm ci` / `npm install` so `npm start` serves it on a fresh clone. Where the build
// tools are not installed (`npm ci --omit=dev`) or the sources are absent, it says so and leaves the
// server to serve its "not built" page, rather than failing the install.
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';

const here = fileURLToPath(new URL('.', import.meta.url));
const require = createRequire(import.meta.url);

let vite;
try {
  require.resolve('vite/package.json');
  vite = await import('vite');
} catch {
  console.warn('onset: vite is not installed (production install?): skipping the web UI build');
}
if (vite && !existsSync(`${here}src/main.ts`)) {
  console.warn('onset: web/src is missing: skipping the web UI build');
} else if (vite) {
  await vite.build({ configFile: `${here}vite.config.ts`, logLevel: 'warn' });
  console.log('onset: web UI built into web/dist');
}
