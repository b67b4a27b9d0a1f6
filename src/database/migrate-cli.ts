import { exitWithError, loadCliConfig } from '../config/load-cli-config.js';
import { withCliDatabase } from './cli-database.js';
import { revertLastMigration, runMigrations } from './migrate.js';

/** npm run migration:run | migration:revert — the same migrations the app runs at boot. */
async function main(): Promise<void> {
  const verb = process.argv[2];
  if (verb !== 'run' && verb !== 'revert') throw new Error('usage: migrate-cli run|revert');
  await withCliDatabase(loadCliConfig(), async (ds) => {
    if (verb === 'run') {
      const applied = await runMigrations(ds);
      console.log(applied.length ? `applied: ${applied.map((m) => m.name).join(', ')}` : 'no pending migrations');
    } else {
      await revertLastMigration(ds);
      console.log('reverted the last migration');
    }
  });
}

main().catch(exitWithError);
