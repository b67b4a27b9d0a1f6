import { ApiExtraModels, ApiOkResponse, ApiProperty, ApiPropertyOptional, getSchemaPath } from '@nestjs/swagger';
import { applyDecorators } from '@nestjs/common';
import { ERROR_CODES } from '../../contract/error-codes.js';

/** The data of each turn stream event, as OpenAPI shows it (the types live in contract/stream-events.ts). */
export class MetaEventData {
  @ApiProperty({ format: 'uuid' }) turn_id: string;
  @ApiProperty({ format: 'date-time' }) started_at: string;
}
export class ThinkingEventData {
  @ApiProperty() elapsed_seconds: number;
  @ApiProperty({ description: 'Content has been sent already' }) since_first: boolean;
  @ApiPropertyOptional({ description: 'The upstream itself sent this heartbeat' }) upstream?: boolean;
  @ApiPropertyOptional({ description: 'The turn waits for another turn of its agent session' }) queued?: boolean;
}
export class ContentEventData {
  @ApiPropertyOptional({ description: 'One-shot backends: the whole answer' }) text?: string;
  @ApiPropertyOptional({ description: 'Streaming backends: the next piece of the answer' }) delta?: string;
  @ApiPropertyOptional() streamed?: boolean;
}
export class EndEventData {
  @ApiProperty({ format: 'uuid' }) turn_id: string;
  @ApiProperty({ type: [String] }) used_tools: string[];
  @ApiProperty({ type: [Number] }) rows_seen: number[];
  @ApiProperty() chip_count: number;
  @ApiProperty() classifier_tag: string;
  @ApiProperty() duration_ms: number;
  @ApiPropertyOptional() streamed?: boolean;
  @ApiPropertyOptional() aichat_conversation_id?: string;
}
export class ErrorEventData {
  @ApiProperty({ enum: ERROR_CODES }) code: string;
  @ApiProperty() message: string;
  @ApiPropertyOptional({ description: 'Asking again may well work' }) retryable?: boolean;
}

const EVENTS = { meta: MetaEventData, thinking: ThinkingEventData, content: ContentEventData, end: EndEventData, error: ErrorEventData };

/** The 200 of the turn stream: text/event-stream, each event's data schema under `x-events`. */
export const ApiTurnStream = () =>
  applyDecorators(
    ApiExtraModels(...Object.values(EVENTS)),
    ApiOkResponse({
      description:
        'Server-Sent Events. Each stored event: `id: <seq>`, `event: <kind>`, `data: <JSON>` (schemas below); ' +
        '`ping` (data `{}`, no id) keeps the connection alive. `end` or `error` closes a live stream; a finished turn replays and closes.',
      content: {
        'text/event-stream': {
          schema: {
            type: 'string',
            example:
              'id: 1\nevent: meta\nretry: 1000\ndata: {"turn_id":"…","started_at":"…"}\n\nid: 2\nevent: content\ndata: {"delta":"Hallo","streamed":true}\n\n',
          },
          // An OpenAPI extension: what `data` holds for each event name.
          'x-events': Object.fromEntries(Object.entries(EVENTS).map(([name, cls]) => [name, { $ref: getSchemaPath(cls) }])),
        } as never,
      },
    }),
  );
