// The browser build (and the CLI made executable): the client and its SSE parser as one ES module,
// dist/browser/paliadin-client.js (the service's pages load it from
// /paliadin-assets/vendor/paliadin-client.js).
import { chmodSync } from 'node:fs';
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
  target: 'es2022',
  sourcemap: true,
  logLevel: 'warning',
});

// tsc writes files without the executable bit; npm's bin link runs the CLI through its shebang.
chmodSync(path.join(root, 'dist/cli/main.js'), 0o755);
