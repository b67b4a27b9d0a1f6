import type { INestApplication } from '@nestjs/common';
import type { NestExpressApplication } from '@nestjs/platform-express';
import { DocumentBuilder, SwaggerModule } from '@nestjs/swagger';
import cookieParser from 'cookie-parser';
import helmet from 'helmet';
import { Logger } from 'nestjs-pino';
import { AppConfig } from './config/app-config.js';
import { mountStaticAssets } from './web/static-assets.js';

/** Everything main.ts and the tests both need on an app before it listens. */
export function configureApp(app: INestApplication): INestApplication {
  app.useLogger(app.get(Logger));
  const express = app as NestExpressApplication;
  express.disable('x-powered-by');
  const config = app.get(AppConfig);
  // req.ip (the rate limit of anonymous requests, the logs) believes X-Forwarded-For only from these proxies.
  express.set('trust proxy', config.env.PALIADIN_TRUST_PROXY);
  // Outside production the app is often reached over plain http on a LAN address, where
  // upgrade-insecure-requests would send the pages' scripts to an https port that is not there.
  const production = config.isProduction;
  app.use(helmet({ contentSecurityPolicy: { directives: { upgradeInsecureRequests: production ? [] : null } } }));
  app.use(cookieParser());
  mountStaticAssets(express.getHttpAdapter().getInstance());

  const doc = new DocumentBuilder()
    .setTitle('Paliadin')
    .setDescription(
      'Chat with an AI agent CLI (Claude Code) from a web application. POST a turn, then read its answer ' +
        'as Server-Sent Events from the returned sse_url; reconnect with Last-Event-ID to resume.',
    )
    .setVersion('0.1.0')
    .addBearerAuth({ type: 'http', scheme: 'bearer', description: 'A user JWT (HS256) or an API key (pal_…)' })
    .addCookieAuth('paliadin_token')
    .build();
  SwaggerModule.setup('docs', app, () => SwaggerModule.createDocument(app, doc), { jsonDocumentUrl: 'docs-json' });
  return app;
}
