import type { INestApplication } from '@nestjs/common';
import type { NestExpressApplication } from '@nestjs/platform-express';
import { SwaggerModule } from '@nestjs/swagger';
import cookieParser from 'cookie-parser';
import helmet from 'helmet';
import { Logger } from 'nestjs-pino';
import { AppConfig } from './config/app-config.js';
import { openApiDocument } from './http/openapi.js';
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

  SwaggerModule.setup('docs', app, () => openApiDocument(app), { jsonDocumentUrl: 'docs-json' });
  return app;
}
