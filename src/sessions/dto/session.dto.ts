import { applyDecorators } from '@nestjs/common';
import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { Type } from 'class-transformer';
import {
  ArrayMaxSize,
  IsArray,
  IsIn,
  IsInt,
  IsNotEmpty,
  IsObject,
  IsOptional,
  IsString,
  IsUUID,
  Matches,
  Max,
  MaxLength,
  Min,
  ValidateNested,
} from 'class-validator';
import type { ClientToolDeclaration } from '../../contract/requests.js';
import { ClientToolsProperty, IsClientTools } from '../../paliadin/dto/client-tool.dto.js';
import { TurnContextDto } from '../../paliadin/dto/create-turn.dto.js';
import { SESSION_STATUSES } from '../session-status.js';

// Claude Code's rule form, `Tool` or `Tool(content)` (docs/requests.md#rules).
const RULE_RE = /^[A-Za-z][A-Za-z0-9_-]*(\(.*\))?$/s;
const MAX_RULES = 64;

/** A list of permission rules in Claude Code's form, at most 64. */
const RuleList = (description: string, example: string[]) =>
  applyDecorators(
    ApiPropertyOptional({ type: [String], example, description }),
    IsOptional(),
    IsArray(),
    ArrayMaxSize(MAX_RULES),
    IsString({ each: true }),
    MaxLength(1000, { each: true }),
    Matches(RULE_RE, { each: true, message: 'each rule of $property must be Tool or Tool(content), e.g. Edit({workspace}/**)' }),
  );

/** Permission rules a session adds to the deployment's (stream-json driver). */
export class SessionPermissionsDto {
  @RuleList('Calls these cover are put to the caller as `permission` requests', ['Edit({workspace}/**)'])
  ask?: string[];

  @RuleList('Calls these cover are refused without asking', ['Bash'])
  deny?: string[];

  @RuleList('Admins only: calls these cover are allowed without asking (an ask rule still wins)', ['Read'])
  allow?: string[];
}

export class CreateSessionDto {
  @ApiPropertyOptional({ pattern: '^[a-z0-9][a-z0-9-]{0,30}$', example: 'ci-bot', description: 'Unique among your active sessions; `default` is reserved' })
  @IsOptional()
  @IsString()
  @Matches(/^[a-z0-9][a-z0-9-]{0,30}$/, { message: 'name must be 1-31 characters of a-z, 0-9 and -, starting with a letter or digit' })
  name?: string;

  @ApiPropertyOptional({ example: '24h', description: 'A duration like 90m, 24h or 7d; at most 30 days; default 24h' })
  @IsOptional()
  @IsString()
  @MaxLength(32)
  expires_in?: string;

  @ApiPropertyOptional({ example: 'project-x', description: 'The agent’s working directory: a name under PALIADIN_WORKSPACES_DIR (created on demand)' })
  @IsOptional()
  @IsString()
  @Matches(/^(?!\.{1,2}$)[A-Za-z0-9_.-]{1,64}$/, { message: 'workspace must be 1-64 characters of A-Z a-z 0-9 _ . - (no "/", not "." or "..")' })
  workspace?: string;

  @ApiPropertyOptional({
    type: SessionPermissionsDto,
    description: 'Rules added to the deployment’s for this session’s agent (stream-json driver); `allow` only by admins',
  })
  @IsOptional()
  @IsObject()
  @ValidateNested()
  @Type(() => SessionPermissionsDto)
  permissions?: SessionPermissionsDto;

  @ClientToolsProperty()
  @IsOptional()
  @IsClientTools()
  client_tools?: ClientToolDeclaration[];
}

export class ExecDto {
  @ApiProperty({ maxLength: 16_000, example: 'Fasse die offenen Fristen zusammen.' })
  @IsString()
  @IsNotEmpty()
  @MaxLength(16_000)
  input: string;

  @ApiPropertyOptional({ type: TurnContextDto })
  @IsOptional()
  @IsObject()
  @ValidateNested()
  @Type(() => TurnContextDto)
  context?: TurnContextDto;

  @ClientToolsProperty()
  @IsOptional()
  @IsClientTools()
  client_tools?: ClientToolDeclaration[];
}

export class ListSessionsQueryDto {
  @ApiPropertyOptional({ enum: ['active', 'ended', 'all'], default: 'active' })
  @IsOptional()
  @IsIn(['active', 'ended', 'all'], { message: 'status must be active, ended or all' })
  status?: 'active' | 'ended' | 'all';

  @ApiPropertyOptional({ format: 'uuid', description: 'Admins only: one user’s sessions' })
  @IsOptional()
  @IsUUID('all', { message: 'user must be a UUID' })
  user?: string;

  @ApiPropertyOptional({ default: 100, maximum: 500 })
  @IsOptional()
  @Type(() => Number)
  @IsInt({ message: 'limit must be an integer' })
  @Min(1)
  @Max(500)
  limit?: number;
}

export class SessionDto {
  @ApiProperty({ format: 'uuid' }) id: string;
  @ApiProperty() name: string;
  @ApiProperty({ format: 'uuid' }) user_id: string;
  @ApiProperty({ description: 'The user’s email' }) user_email: string;
  @ApiProperty({ description: 'The user id, or the API key id that created it' }) created_by: string;
  @ApiProperty() backend: string;
  @ApiProperty({ nullable: true, type: String }) driver: string | null;
  @ApiProperty({ description: 'The agent session name the backend uses' }) agent_session: string;
  @ApiProperty({ nullable: true, type: String }) workspace: string | null;
  @ApiProperty({ enum: SESSION_STATUSES }) status: string;
  @ApiProperty({ format: 'date-time' }) created_at: string;
  @ApiProperty({ format: 'date-time', nullable: true, type: String }) expires_at: string | null;
  @ApiPropertyOptional({ format: 'date-time' }) ended_at?: string;
  @ApiProperty({ format: 'date-time' }) last_activity_at: string;
  @ApiProperty() turns: number;
  @ApiPropertyOptional({ format: 'uuid' }) running_turn_id?: string;
  @ApiPropertyOptional({ description: 'The agent’s own conversation id, where the driver has one' }) agent_session_id?: string;
  @ApiPropertyOptional({ type: SessionPermissionsDto, description: 'Rules it added at creation' }) permissions?: SessionPermissionsDto;
  @ApiPropertyOptional({ type: [String], description: 'Rules its user granted with allow_always, for the rest of the session' }) grants?: string[];
  @ApiPropertyOptional({ type: [String], description: 'The names of the client tools it declared' }) client_tools?: string[];
}

export class SessionInstructionsDto {
  @ApiProperty({ example: '/api/sessions/…/exec' }) exec_url: string;
  @ApiProperty({ example: '/api/sessions/…/events' }) events_url: string;
  @ApiProperty({ example: '/api/sessions/…/screen' }) screen_url: string;
  @ApiProperty({ example: 'POST {"input": "..."} to exec_url; read events_url as Server-Sent Events; POST checkin_url to end it.' }) text: string;
  @ApiProperty({ example: '/api/sessions/…/checkin' }) checkin_url: string;
}

export class CreatedSessionDto extends SessionDto {
  @ApiProperty({ type: SessionInstructionsDto }) instructions: SessionInstructionsDto;
}

export class SessionListDto {
  @ApiProperty({ type: [SessionDto] }) sessions: SessionDto[];
}

export class ExecStartedDto {
  @ApiProperty({ format: 'uuid' }) turn_id: string;
  @ApiProperty({ example: '/api/paliadin/stream/…' }) sse_url: string;
  @ApiProperty({ format: 'uuid' }) session_id: string;
}

export class CheckinDto {
  @ApiProperty({ format: 'uuid' }) session_id: string;
  @ApiProperty({ example: 'ended' }) status: string;
  @ApiProperty() message: string;
}

export class TerminatedDto {
  @ApiProperty({ example: 'terminated' }) status: string;
  @ApiProperty({ format: 'uuid' }) id: string;
  @ApiProperty() message: string;
}

export class ScreenCursorDto {
  @ApiProperty() x: number;
  @ApiProperty() y: number;
}

/** The agent's terminal now (docs/sessions.md#the-terminal). */
export class ScreenDto {
  @ApiProperty() cols: number;
  @ApiProperty() rows: number;
  @ApiProperty({ type: [String], description: 'One string per row, trailing blanks trimmed' }) lines: string[];
  @ApiProperty({ type: ScreenCursorDto }) cursor: ScreenCursorDto;
  @ApiProperty({ format: 'date-time' }) captured_at: string;
}
