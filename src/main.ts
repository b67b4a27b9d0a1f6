import 'reflect-metadata';
import { Logger, type INestApplication } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import type { Server } from 'node:http';
import { AppModule } from './app.module.js';
import { configureApp } from './app.setup.js';
import { stopOnSignals } from './app.stop.js';
import { devOwnerEmail, mintDevToken } from './auth/dev-token.js';
import { PALIADIN_BACKEND, type PaliadinBackend } from './backends/backend.interface.js';
import { AppConfig } from './config/app-config.js';
import { exitWithError } from './config/load-cli-config.js';
import { addAcceptSockets, claimPort, sharesPorts, type SharedListenOptions } from './http/accept-sockets.js';
import { MetricsPortError } from './metrics/metrics-port.js';

// A rejection nobody handled is a bug, but crashing would take every live turn (and an
// embedded Postgres) down with it: it is logged loudly, and the process serves on.
process.on('unhandledRejection', (reason) => {
  process.stderr.write(
    `paliadin: unhandled rejection (a bug; please report it): ${reason instanceof Error ? (reason.stack ?? reason.message) : String(reason)}\n`,
  );
});

async function bootstrap(): Promise<void> {
  // forceCloseConnections: open SSE streams must not hold up a shutdown (their turns end as `interrupted` first).
  // Boot logs wait in a buffer until the app listens: a boot that fails prints its one line, not them.
  const app = await NestFactory.create(AppModule.register(), { bufferLogs: true, autoFlushLogs: false, abortOnError: false, forceCloseConnections: true });
  configureApp(app);
  const config = app.get(AppConfig);
  // SIGINT/SIGTERM close the app: open streams end, the pool closes, embedded Postgres stops.
  stopOnSignals(app, config.env.PALIADIN_SHUTDOWN_TIMEOUT_MS);
  try {
    const { HOST: host, PALIADIN_LISTEN_BACKLOG: backlog, PALIADIN_ACCEPT_SOCKETS: wanted } = config.env;
    const sockets = wanted > 1 && !sharesPorts() ? 1 : wanted;
    if (sockets < wanted) {
      new Logger('Main').warn(
        `Node ${process.versions.node} cannot share a port (Node 22.12 or later can): listening with one socket, not PALIADIN_ACCEPT_SOCKETS=${wanted}`,
      );
    }
    const address = { port: await claimPort(config.env.PORT, host), host, backlog };
    // Nest hands its argument on to http.Server.listen; its types name only a port.
    const listen = app.listen.bind(app) as unknown as (options: SharedListenOptions) => Promise<unknown>;
    await listen({ ...address, reusePort: sockets > 1 });
    await addAcceptSockets(app.getHttpServer() as Server, address, sockets - 1);
  } catch (e) {
    await app.close();
    throw new Error(listenFailure(e, config), { cause: e });
  }
  app.flushLogs();
  if (!config.isProduction) await printDevHint(app, config, await app.getUrl());
}

/** Why the listen address cannot be had, in one line naming the setting to change. */
function listenFailure(e: unknown, config: AppConfig): string {
  const { PORT, HOST } = config.env;
  if (e instanceof MetricsPortError) return e.message;
  switch ((e as NodeJS.ErrnoException).code) {
    case 'EADDRINUSE':
      return `PORT ${PORT} is already in use on ${HOST}: stop the other process or set another PORT`;
    case 'EACCES':
      return `PORT ${PORT} may not be opened by this user on ${HOST}: choose a PORT above 1023`;
    case 'EADDRNOTAVAIL':
    case 'ENOTFOUND':
      return `HOST ${HOST} is not an address of this machine: set HOST to one (127.0.0.1, 0.0.0.0)`;
    default:
      return `cannot listen on ${HOST}:${PORT} (PORT, HOST): ${e instanceof Error ? e.message : String(e)}`;
  }
}

/**
 * In development, a newcomer gets a working token and the URLs to try. The
 * token comes last, so it is on screen when the start-up is over.
 */
async function printDevHint(app: INestApplication, config: AppConfig, url: string): Promise<void> {
  const base = url.replace('[::1]', 'localhost').replace('127.0.0.1', 'localhost');
  const email = devOwnerEmail(config);
  const token = await mintDevToken(config, email, 7 * 24 * 3600);
  const backend = await app.get<PaliadinBackend>(PALIADIN_BACKEND).health();
  const owner = config.isOwnerEmail(email);
  const lines = [
    '',
    `Paliadin is listening on ${base} (NODE_ENV=${config.env.NODE_ENV}, backend=${config.env.PALIADIN_BACKEND})`,
    `  Backend:    ${backend.status}${backend.detail ? ` (${backend.detail})` : ''}`,
    `  Chat page:  ${base}/paliadin`,
    `  API docs:   ${base}/docs`,
    `  Health:     ${base}/health`,
    `  Try:        curl -H "Authorization: Bearer <token>" ${base}/api/paliadin/history`,
    owner
      ? `  ${email} is an owner (PALIADIN_OWNER_EMAILS): the dashboard ${base}/admin/paliadin is open to this token.`
      : `  Admin routes need an owner: set PALIADIN_OWNER_EMAILS=${email} (see .env.example).`,
    '',
    `  User token (a JWT) for ${email}, valid 7 days; mint others with: npm run token -- --email you@example.com`,
    `  ${token}`,
  ];
  process.stdout.write(lines.join('\n') + '\n\n');
}

bootstrap().catch(exitWithError);
