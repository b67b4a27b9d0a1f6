#!/usr/bin/env node
// The `paliadin` command. A committed launcher rather than the compiled file
// itself, so that `npm install` can link the command before anything is built.
try {
  await import('../dist/cli/main.js');
} catch (e) {
  if (e?.code !== 'ERR_MODULE_NOT_FOUND' || !String(e.message).includes('dist/cli/main.js')) throw e;
  console.error('paliadin: the client is not built yet: run `npm run client:build` at the top of the repository');
  process.exit(2);
}
