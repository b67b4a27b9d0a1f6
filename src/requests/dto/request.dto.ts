import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { Allow, IsBoolean, IsIn, IsObject, IsOptional, IsString } from 'class-validator';
import { PERMISSION_DECISIONS, REQUEST_KINDS, RESOLVED_BY } from '../../contract/requests.js';

/** A request and, once resolved, how (docs/requests.md). */
export class RequestDto {
  @ApiProperty({ format: 'uuid' }) request_id: string;
  @ApiProperty({ format: 'uuid' }) turn_id: string;
  @ApiProperty({ format: 'uuid', nullable: true, type: String, description: 'The agent session the turn ran in' }) session_id: string | null;
  @ApiProperty({ enum: REQUEST_KINDS }) kind: string;
  @ApiProperty({ enum: ['open', 'resolved'] }) status: 'open' | 'resolved';
  @ApiProperty({
    type: 'object',
    additionalProperties: true,
    description:
      'What the agent asked, as its event showed it (less request_id and expires_at): permission {tool, input_summary, input, options}; question {questions}; client_tool {name, input}',
  })
  data: Record<string, unknown>;
  @ApiProperty({ format: 'date-time' }) created_at: string;
  @ApiProperty({ format: 'date-time' }) expires_at: string;
  @ApiPropertyOptional({
    type: 'object',
    additionalProperties: true,
    description: 'Once resolved: {decision, message?} (permission), {answers, unanswered?} (question), {is_error} (client tool)',
  })
  outcome?: Record<string, unknown>;
  @ApiPropertyOptional({ enum: RESOLVED_BY }) by?: string;
  @ApiPropertyOptional({ format: 'date-time' }) resolved_at?: string;
}

export class RequestListDto {
  @ApiProperty({ type: [RequestDto] }) requests: RequestDto[];
}

/**
 * The answer to a request: the fields of its kind only. Permission:
 * `decision` (+ `message`, which a deny passes to the agent). Question:
 * `answers`. Client tool: `output` (+ `is_error`).
 */
export class AnswerRequestDto {
  @ApiPropertyOptional({ enum: PERMISSION_DECISIONS, description: 'Permission requests' })
  @IsOptional()
  @IsIn(PERMISSION_DECISIONS, { message: `decision must be one of ${PERMISSION_DECISIONS.join(', ')}` })
  decision?: string;

  @ApiPropertyOptional({ maxLength: 4000, description: 'Permission requests: told to the agent with a deny' })
  @IsOptional()
  @IsString()
  message?: string;

  @ApiPropertyOptional({
    type: 'object',
    additionalProperties: { oneOf: [{ type: 'string' }, { type: 'array', items: { type: 'string' } }] },
    description: 'Question requests: {"<question>": "<label>"} or, multi-select, {"<question>": ["<label>", ...]}; every question answered',
    example: { 'Which format?': 'PDF' },
  })
  @IsOptional()
  @IsObject()
  answers?: Record<string, unknown>;

  @ApiPropertyOptional({
    description: 'Client tool requests: the tool result, a string or any JSON, at most 256 KB',
    example: 'Case 42 is open in the browser',
    // Any JSON value: without this, the document (and the client's types) would say an object.
    oneOf: [{ type: 'string' }, { type: 'number' }, { type: 'boolean' }, { type: 'object' }, { type: 'array', items: {} }],
  })
  @Allow()
  output?: unknown;

  @ApiPropertyOptional({ description: 'Client tool requests: the tool failed (the agent is told so)' })
  @IsOptional()
  @IsBoolean()
  is_error?: boolean;
}

export class RequestsQueryDto {
  @ApiPropertyOptional({ enum: ['open', 'all'], default: 'open' })
  @IsOptional()
  @IsIn(['open', 'all'], { message: 'status must be open or all' })
  status?: 'open' | 'all';
}
