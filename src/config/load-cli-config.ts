import { AppConfig } from './app-config.js';
import { readEnvironment } from './config.module.js';
import { validateEnv } from './validate-env.js';

/** CLIs read the same .env and variables as the app, validated the same way. */
export function loadCliConfig(): AppConfig {
  return new AppConfig(validateEnv(readEnvironment()));
}

/** Prints a ConfigError (or any error) as one line and exits non-zero. */
export function exitWithError(e: unknown): never {
  console.error(e instanceof Error ? e.message : String(e));
  process.exit(1);
}
