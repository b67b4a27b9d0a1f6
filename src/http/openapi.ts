import type { INestApplication } from '@nestjs/common';
import { DocumentBuilder, SwaggerModule, type OpenAPIObject } from '@nestjs/swagger';

/** The service's OpenAPI document: what /docs shows and the client's types are generated from (client/). */
export function openApiDocument(app: INestApplication): OpenAPIObject {
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
  return SwaggerModule.createDocument(app, doc);
}
