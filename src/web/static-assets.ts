import path from 'node:path';
import express, { type Express } from 'express';
import { projectRoot } from '../config/project-root.js';

/** The pages' own files (plain ES modules and CSS: nothing to build). */
export const ASSETS_DIR = path.join(projectRoot(), 'src', 'web', 'assets');

// Third-party browser builds, served from node_modules by an explicit list: nothing loads from a CDN.
const VENDOR: Record<string, string> = {
  'marked.js': 'node_modules/marked/lib/marked.umd.js',
  'purify.js': 'node_modules/dompurify/dist/purify.min.js',
  'chart.js': 'node_modules/chart.js/dist/chart.umd.min.js',
  'xterm.js': 'node_modules/@xterm/xterm/lib/xterm.js',
  'xterm.css': 'node_modules/@xterm/xterm/css/xterm.css',
  // Ours, but built: the client SDK's browser build (`npm run client:build`), the pages' API calls and event streams.
  'paliadin-client.js': 'client/dist/browser/paliadin-client.js',
  'paliadin-client.js.map': 'client/dist/browser/paliadin-client.js.map',
};

/** Mounts /paliadin-assets/ (ours) and /paliadin-assets/vendor/ (the list above). */
export function mountStaticAssets(app: Express): void {
  const root = projectRoot();
  for (const [name, file] of Object.entries(VENDOR)) {
    app.get(`/paliadin-assets/vendor/${name}`, (_req, res) => res.type(path.extname(name)).sendFile(path.join(root, file), { maxAge: '1h' }));
  }
  app.use('/paliadin-assets', express.static(ASSETS_DIR, { index: false, maxAge: 0 }));
  // Browsers ask for it whatever the page says.
  app.get('/favicon.ico', (_req, res) => res.type('image/svg+xml').sendFile(path.join(ASSETS_DIR, 'favicon.svg'), { maxAge: '1d' }));
}
