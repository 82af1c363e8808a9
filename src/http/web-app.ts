import express, { type RequestHandler } from 'express';
import { existsSync } from 'node:fs';
import path from 'node:path';

/** Where the reference single-page app is served (web/vite.config.ts builds for this base). */
export const WEB_APP_PATH = '/app';

/**
 * The built reference app (web/dist, `npm run web:build`; scripts/start.mjs builds it on first
 * start): its hashed assets cached for a year, and index.html for every other path under /app (the
 * app routes in the browser), never cached so a new build is picked up at once.
 */
export function webApp(dir: string): RequestHandler {
  const index = path.join(dir, 'index.html');
  const assets = express.static(dir, {
    index: false,
    fallthrough: true,
    setHeaders: (res, file) => {
      res.setHeader('cache-control', file.includes(`${path.sep}assets${path.sep}`) ? 'public, max-age=31536000, immutable' : 'no-cache');
    },
  });
  return (req, res, next) => {
    if (req.method !== 'GET' && req.method !== 'HEAD') return next();
    assets(req, res, () => {
      if (!existsSync(index)) {
        res.status(404).type('text/plain').send('The web app is not built: run npm run web:build\n');
        return;
      }
      // an asset that is not there is a 404, not the page
      if (req.path.startsWith('/assets/')) return next();
      res.setHeader('cache-control', 'no-cache');
      res.sendFile(index);
    });
  };
}
