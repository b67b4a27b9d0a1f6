import { ApiExtraModels, ApiOkResponse, ApiProperty, ApiPropertyOptional, getSchemaPath } from '@nestjs/swagger';
import { applyDecorators } from '@nestjs/common';
import { ERROR_CODES } from '../../contract/error-codes.js';
import { PERMISSION_DECISIONS, REQUEST_KINDS, RESOLVED_BY } from '../../contract/requests.js';

/** The data of each turn stream event, as OpenAPI shows it (the types live in contract/stream-events.ts). */
export class MetaEventData {
  @ApiProperty({ format: 'uuid' }) turn_id: string;
  @ApiProperty({ format: 'date-time' }) started_at: string;
}
export class WaitingForData {
  @ApiProperty({ format: 'uuid' }) request_id: string;
  @ApiProperty({ enum: REQUEST_KINDS }) kind: string;
}
export class ThinkingEventData {
  @ApiProperty() elapsed_seconds: number;
  @ApiProperty({ description: 'Content has been sent already' }) since_first: boolean;
  @ApiPropertyOptional({ description: 'The upstream itself sent this heartbeat' }) upstream?: boolean;
  @ApiPropertyOptional({ description: 'The turn waits for another turn of its agent session' }) queued?: boolean;
  @ApiPropertyOptional({ type: WaitingForData, description: 'The turn waits for the caller to answer this request; no silence timeout meanwhile' })
  waiting_for?: WaitingForData;
}
export class ContentEventData {
  @ApiPropertyOptional({ description: 'One-shot backends: the whole answer' }) text?: string;
  @ApiPropertyOptional({ description: 'Streaming backends: the next piece of the answer' }) delta?: string;
  @ApiPropertyOptional() streamed?: boolean;
}
export class UsageData {
  @ApiProperty() input_tokens: number;
  @ApiProperty() output_tokens: number;
  @ApiPropertyOptional() cost_usd?: number;
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
  @ApiPropertyOptional({ type: UsageData, description: 'What the model consumed, where the driver reports it' }) usage?: UsageData;
  @ApiPropertyOptional({ description: 'Model calls the agent made for this turn (stream-json)' }) num_turns?: number;
  @ApiPropertyOptional({ example: 'max_tokens', description: 'Why the answer stopped short, where the agent says so (ACP)' }) stop_reason?: string;
}
export class ToolEventData {
  @ApiProperty() name: string;
  @ApiProperty({ description: 'What the call is about: a path, pattern, command or URL' }) input_summary: string;
  @ApiProperty({ enum: ['started', 'done', 'error'] }) status: string;
}
export class ThoughtEventData {
  @ApiProperty({ description: 'The next piece of the agent’s reasoning (ACP); clients may show it collapsed or not at all' }) delta: string;
}
export class PlanEntryData {
  @ApiProperty() content: string;
  @ApiProperty({ enum: ['pending', 'in_progress', 'completed'] }) status: string;
  @ApiProperty({ enum: ['high', 'medium', 'low'] }) priority: string;
}
export class PlanEventData {
  @ApiProperty({ type: [PlanEntryData], description: 'The whole plan as it now stands (ACP)' }) entries: PlanEntryData[];
}
export class PermissionEventData {
  @ApiProperty({ format: 'uuid' }) request_id: string;
  @ApiProperty({ example: 'Write' }) tool: string;
  @ApiProperty({ example: 'notes/plan.md' }) input_summary: string;
  @ApiProperty({ type: 'object', additionalProperties: true, description: 'The tool call’s input' }) input: Record<string, unknown>;
  @ApiProperty({ enum: PERMISSION_DECISIONS, isArray: true }) options: string[];
  @ApiProperty({ format: 'date-time', description: 'Unanswered by then, it resolves by timeout (denied)' }) expires_at: string;
}
export class QuestionOptionData {
  @ApiProperty() label: string;
  @ApiPropertyOptional() description?: string;
}
export class AgentQuestionData {
  @ApiProperty() question: string;
  @ApiPropertyOptional() header?: string;
  @ApiProperty({ type: [QuestionOptionData] }) options: QuestionOptionData[];
  @ApiProperty() multi_select: boolean;
}
export class QuestionEventData {
  @ApiProperty({ format: 'uuid' }) request_id: string;
  @ApiProperty({ type: [AgentQuestionData] }) questions: AgentQuestionData[];
  @ApiProperty({ format: 'date-time' }) expires_at: string;
}
export class ClientToolEventData {
  @ApiProperty({ format: 'uuid' }) request_id: string;
  @ApiProperty({ example: 'open_case', description: 'A tool the caller declared (client_tools)' }) name: string;
  @ApiProperty({ description: 'Its input, valid against the declared schema', example: { case_id: 42 } }) input: unknown;
  @ApiProperty({ format: 'date-time' }) expires_at: string;
}
export class ResolvedEventData {
  @ApiProperty({ format: 'uuid' }) request_id: string;
  @ApiProperty({ enum: REQUEST_KINDS }) kind: string;
  @ApiProperty({
    type: 'object',
    additionalProperties: true,
    description: 'permission: {decision, message?}; question: {answers: {question: [labels]}, unanswered?}; client_tool: {is_error}',
  })
  outcome: Record<string, unknown>;
  @ApiProperty({ enum: RESOLVED_BY }) by: string;
  @ApiProperty({ format: 'date-time' }) at: string;
}
export class ErrorEventData {
  @ApiProperty({ enum: ERROR_CODES }) code: string;
  @ApiProperty() message: string;
  @ApiPropertyOptional({ description: 'Asking again may well work' }) retryable?: boolean;
}

/** Each turn stream event's name and the class of its data. */
export const TURN_EVENTS = {
  meta: MetaEventData,
  thinking: ThinkingEventData,
  content: ContentEventData,
  tool: ToolEventData,
  thought: ThoughtEventData,
  plan: PlanEventData,
  permission: PermissionEventData,
  question: QuestionEventData,
  client_tool: ClientToolEventData,
  resolved: ResolvedEventData,
  end: EndEventData,
  error: ErrorEventData,
};

/** The 200 of the turn stream: text/event-stream, each event's data schema under `x-events`. */
export const ApiTurnStream = () =>
  applyDecorators(
    ApiExtraModels(...Object.values(TURN_EVENTS)),
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
          'x-events': Object.fromEntries(Object.entries(TURN_EVENTS).map(([name, cls]) => [name, { $ref: getSchemaPath(cls) }])),
        } as never,
      },
    }),
  );
