import http from 'node:http';
import { Inject, Injectable, Logger, type OnApplicationBootstrap, type OnApplicationShutdown } from '@nestjs/common';
import { AppConfig } from '../config/app-config.js';
import { MetricsService } from './metrics.service.js';

/**
 * PALIADIN_METRICS_PORT: the metrics, and nothing else, without auth, for a
 * Prometheus scraper on a private network. Bound to HOST like the app.
 */
@Injectable()
export class MetricsPort implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly logger = new Logger(MetricsPort.name);
  private server?: http.Server;

  constructor(
    @Inject(AppConfig) private readonly config: AppConfig,
    private readonly metrics: MetricsService,
  ) {}

  async onApplicationBootstrap(): Promise<void> {
    const port = this.config.env.PALIADIN_METRICS_PORT;
    if (port === undefined) return;
    const host = this.config.env.HOST;
    const server = http.createServer((req, res) => {
      if (req.method !== 'GET' || (req.url ?? '/').split('?')[0] !== '/metrics') {
        res.writeHead(404, { 'Content-Type': 'text/plain' }).end('Only GET /metrics is served on this port\n');
        return;
      }
      this.metrics.text().then(
        ({ contentType, body }) => res.writeHead(200, { 'Content-Type': contentType, 'Cache-Control': 'no-store' }).end(body),
        (e: unknown) => {
          this.logger.error({ err: e }, 'metrics scrape failed');
          res.writeHead(500, { 'Content-Type': 'text/plain' }).end('metrics could not be collected\n');
        },
      );
    });
    await new Promise<void>((resolve, reject) => {
      server.once('error', (e: NodeJS.ErrnoException) =>
        reject(
          new MetricsPortError(`PALIADIN_METRICS_PORT ${port} ${e.code === 'EADDRINUSE' ? 'is already in use' : 'cannot be opened'} on ${host}: ${e.message}`),
        ),
      );
      server.listen(port, host, () => resolve());
    });
    this.server = server;
    this.logger.log(`metrics without auth on http://${host}:${port}/metrics`);
  }

  async onApplicationShutdown(): Promise<void> {
    const server = this.server;
    if (!server) return;
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  }
}

/** Said as it is at boot: it names the setting already. */
export class MetricsPortError extends Error {
  override readonly name = 'MetricsPortError';
}
