// The browser build: the client and its SSE parser as one ES module,
// dist/browser/paliadin-client.js (the service's pages load it from
// /paliadin-assets/vendor/paliadin-client.js).
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';

const root = path.join(path.dirname(fileURLToPath(import.meta.url)), '..');
await build({
  entryPoints: [path.join(root, 'dist/index.js')],
  outfile: path.join(root, 'dist/browser/paliadin-client.js'),
  bundle: true,
  format: 'esm',
  platform: 'browser',
  // Node's own modules are loaded only in Node (stream-transport.ts): left out of the bundle.
  external: ['node:*'],
  target: 'es2022',
  sourcemap: true,
  logLevel: 'warning',
});
