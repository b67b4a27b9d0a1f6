import 'reflect-metadata';
import { randomBytes } from 'node:crypto';
import { NestFactory } from '@nestjs/core';
import { AppModule } from '../app.module.js';
import { exitWithError } from '../config/load-cli-config.js';
import { openApiDocument } from './openapi.js';

/**
 * Prints the OpenAPI document as JSON without serving or connecting to
 * anything: Nest's preview mode reads the controllers' metadata only.
 * `npm run client:types` feeds it to the client's type generator.
 */
async function main(): Promise<void> {
  // The document does not depend on the secret, but the configuration's validation wants one.
  process.env.PALIADIN_JWT_SECRET ||= randomBytes(32).toString('hex');
  const app = await NestFactory.create(AppModule.register(), { preview: true, logger: false, abortOnError: false });
  process.stdout.write(`${JSON.stringify(openApiDocument(app), null, 2)}\n`);
  await app.close();
}

main().catch(exitWithError);
