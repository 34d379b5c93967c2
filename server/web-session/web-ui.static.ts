import { existsSync } from 'node:fs';
import path from 'node:path';
import express, { Router } from 'express';

/**
 * Everything the UI loads comes from this origin; no inline script or style, no plugins, no framing.
 * Scripts may still set element styles through the CSSOM (charts size themselves that way).
 */
export const contentSecurityPolicy = [
  "default-src 'none'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self' data:",
  "font-src 'self'",
  "connect-src 'self'",
  "manifest-src 'self'",
  "base-uri 'none'",
  "form-action 'self'",
  "frame-ancestors 'none'",
].join('; ');

const notBuilt = `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>onset</title></head>
<body><h1>onset</h1><p>The web UI is not built: run <code>npm run build:web</code> (or <code>npm ci</code>).
The API is at <code>/api/v1</code>.</p></body></html>
`;

/** The built web UI (`web/dist`), with its security headers. File names under `assets/` carry a hash. */
export function webUi(distDir: string): Router {
  const router = Router();
  router.use((_req, res, next) => {
    res.setHeader('Content-Security-Policy', contentSecurityPolicy);
    res.setHeader('X-Content-Type-Options', 'nosniff');
    res.setHeader('Referrer-Policy', 'no-referrer');
    res.setHeader('Cross-Origin-Opener-Policy', 'same-origin');
    next();
  });
  router.use(
    express.static(distDir, {
      index: 'index.html',
      setHeaders(res, file) {
        const hashed = path.relative(distDir, file).startsWith(`assets${path.sep}`);
        res.setHeader('Cache-Control', hashed ? 'public, max-age=31536000, immutable' : 'no-cache');
      },
    }),
  );
  router.get('/', (_req, res, next) => {
    if (existsSync(path.join(distDir, 'index.html'))) return next();
    res.status(503).type('html').send(notBuilt);
  });
  return router;
}
