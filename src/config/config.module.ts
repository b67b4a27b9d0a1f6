import { existsSync, readFileSync } from 'node:fs';
import { parseEnv } from 'node:util';
import { Global, Module, type DynamicModule } from '@nestjs/common';
import { ConfigModule } from '@nestjs/config';
import { AppConfig } from './app-config.js';
import { validateEnv } from './validate-env.js';

export interface ConfigOptions {
  /** Explicit variables (tests). When absent, process.env over ./.env is read. */
  env?: Record<string, string | undefined>;
}

/** process.env wins over .env, as with every dotenv tool. */
export function readEnvironment(envFile = '.env'): Record<string, string | undefined> {
  const fromFile = existsSync(envFile) ? parseEnv(readFileSync(envFile, 'utf8')) : {};
  return { ...fromFile, ...process.env };
}

/**
 * Configuration is validated synchronously, before any module starts, so a bad
 * value stops boot with one line naming it. @nestjs/config then serves the
 * validated values (ConfigService); AppConfig is the typed view we inject.
 */
@Global()
@Module({})
export class AppConfigModule {
  static forRoot(options: ConfigOptions = {}): DynamicModule {
    const env = validateEnv(options.env ?? readEnvironment());
    return {
      module: AppConfigModule,
      imports: [ConfigModule.forRoot({ ignoreEnvFile: true, validatePredefined: false, validate: () => ({ ...(env as object) }) })],
      providers: [{ provide: AppConfig, useValue: new AppConfig(env) }],
      exports: [AppConfig],
    };
  }
}
