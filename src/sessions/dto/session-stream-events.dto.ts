import { applyDecorators } from '@nestjs/common';
import { ApiExtraModels, ApiOkResponse, ApiProperty, ApiPropertyOptional, getSchemaPath } from '@nestjs/swagger';
import { TURN_EVENTS } from '../../paliadin/dto/stream-events.dto.js';
import { SESSION_STATUSES } from '../session-status.js';

/** `session`: the session was created, or its status changed. */
export class SessionStatusEventData {
  @ApiProperty({ enum: SESSION_STATUSES }) status: string;
  @ApiProperty({ format: 'date-time' }) at: string;
  @ApiPropertyOptional({ description: 'created, checkin, expired, terminated, …' }) reason?: string;
}
/** `turn`: a turn began in the session; its own events follow with ids N.M. */
export class SessionTurnEventData {
  @ApiProperty({ format: 'uuid' }) turn_id: string;
  @ApiProperty() input: string;
  @ApiProperty({ format: 'date-time' }) started_at: string;
}
/** What the session stream adds to each of a turn's events. */
export class SessionTurnRef {
  @ApiProperty({ format: 'uuid' }) turn_id: string;
}

// A turn's events (all but `meta`) come through the session stream with turn_id added.
const { meta: _meta, ...turnEvents } = TURN_EVENTS;

/** The 200 of the session stream: text/event-stream, each event's data schema under `x-events` (as the turn stream's). */
export const ApiSessionStream = () =>
  applyDecorators(
    ApiExtraModels(SessionStatusEventData, SessionTurnEventData, SessionTurnRef),
    ApiOkResponse({
      description:
        '`session` and `turn` with id N; then each turn event with `turn_id` added, id N.M. `ping` (no id) keeps the connection alive. ' +
        'An ended session replays and closes.',
      content: {
        'text/event-stream': {
          schema: { type: 'string' },
          'x-events': {
            session: { $ref: getSchemaPath(SessionStatusEventData) },
            turn: { $ref: getSchemaPath(SessionTurnEventData) },
            ...Object.fromEntries(
              Object.entries(turnEvents).map(([name, cls]) => [name, { allOf: [{ $ref: getSchemaPath(cls) }, { $ref: getSchemaPath(SessionTurnRef) }] }]),
            ),
          },
        } as never,
      },
    }),
  );
