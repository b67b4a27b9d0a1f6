import 'reflect-metadata';
import type { INestApplication } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { AppModule } from './app.module.js';
import { configureApp } from './app.setup.js';
import { devOwnerEmail, mintDevToken } from './auth/dev-token.js';
import { PALIADIN_BACKEND, type PaliadinBackend } from './backends/backend.interface.js';
import { AppConfig } from './config/app-config.js';
import { exitWithError } from './config/load-cli-config.js';

// A rejection nobody handled is a bug, but crashing would take every live turn (and an
// embedded Postgres) down with it: it is logged loudly, and the process serves on.
process.on('unhandledRejection', (reason) => {
  process.stderr.write(`paliadin: unhandled rejection (a bug; please report it): ${reason instanceof Error ? (reason.stack ?? reason.message) : String(reason)}\n`);
});

async function bootstrap(): Promise<void> {
  // forceCloseConnections: open SSE streams must not hold up a shutdown (their turns end as `interrupted` first).
  const app = await NestFactory.create(AppModule.register(), { bufferLogs: true, abortOnError: false, forceCloseConnections: true });
  configureApp(app);
  // SIGINT/SIGTERM close the app: open streams end, the pool closes, embedded Postgres stops.
  app.enableShutdownHooks();
  const config = app.get(AppConfig);
  await app.listen(config.env.PORT, config.env.HOST);
  if (!config.isProduction) await printDevHint(app, config, await app.getUrl());
}

/** In development, a newcomer gets a working owner token and the URLs to try. */
async function printDevHint(app: INestApplication, config: AppConfig, url: string): Promise<void> {
  const base = url.replace('[::1]', 'localhost').replace('127.0.0.1', 'localhost');
  const email = devOwnerEmail(config);
  const token = await mintDevToken(config, email, 7 * 24 * 3600);
  const backend = await app.get<PaliadinBackend>(PALIADIN_BACKEND).health();
  const lines = [
    '',
    `Paliadin is listening on ${base} (NODE_ENV=${config.env.NODE_ENV}, backend=${config.env.PALIADIN_BACKEND})`,
    `  Backend:    ${backend.status}${backend.detail ? ` (${backend.detail})` : ''}`,
    `  API docs:   ${base}/docs`,
    `  Health:     ${base}/health`,
    `  Dev token for ${email} (valid 7 days; mint others with: npm run token -- --email you@example.com):`,
    `  ${token}`,
    `  Try: curl -H "Authorization: Bearer <token>" ${base}/api/paliadin/history`,
  ];
  if (config.env.PALIADIN_OWNER_EMAILS.length === 0) {
    lines.push(`  Admin routes need an owner: set PALIADIN_OWNER_EMAILS=${email} (see .env.example).`);
  }
  process.stdout.write(lines.join('\n') + '\n\n');
}

bootstrap().catch(exitWithError);
