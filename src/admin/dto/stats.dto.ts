import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { Type } from 'class-transformer';
import { IsInt, IsOptional, Max, Min } from 'class-validator';

export class DurationStatsDto {
  @ApiProperty({ nullable: true, type: Number, description: 'median duration of turns started in the last 24 h' }) p50: number | null;
  @ApiProperty({ nullable: true, type: Number }) p95: number | null;
  @ApiProperty({ nullable: true, type: Number }) max: number | null;
}

export class ToolCountDto {
  @ApiProperty() tool: string;
  @ApiProperty() count: number;
}

export class DayCountDto {
  @ApiProperty({ example: '2026-11-21', description: 'UTC day' }) day: string;
  @ApiProperty() turns: number;
  @ApiProperty() errors: number;
}

/** docs/api.md#admin-stats. Windows: *_24h, by_error_code and duration_ms the last 24 h; by_classifier_tag, by_backend and top_tools the last 7 days. */
export class PaliadinStatsDto {
  @ApiProperty() total_turns: number;
  @ApiProperty() turns_24h: number;
  @ApiProperty() turns_7d: number;
  @ApiProperty() errors_24h: number;
  @ApiProperty({ description: 'errors_24h / turns_24h, 0 without turns' }) error_rate_24h: number;
  @ApiProperty({ type: 'object', additionalProperties: { type: 'number' }, example: { timeout: 2 } }) by_error_code: Record<string, number>;
  @ApiProperty({ type: DurationStatsDto }) duration_ms: DurationStatsDto;
  @ApiProperty({ type: 'object', additionalProperties: { type: 'number' } }) by_classifier_tag: Record<string, number>;
  @ApiProperty({ type: 'object', additionalProperties: { type: 'number' } }) by_backend: Record<string, number>;
  @ApiProperty({ type: [ToolCountDto] }) top_tools: ToolCountDto[];
  @ApiProperty({ description: 'turns not finished yet' }) in_flight: number;
  @ApiProperty({ description: 'distinct browser sessions with a turn in the last 24 h' }) active_sessions: number;
  @ApiProperty({ description: 'agent sessions now active (each user’s default one included)' }) sessions_active: number;
  @ApiProperty({ description: 'agent sessions created in the last 24 h' }) sessions_created_24h: number;
  @ApiProperty({ nullable: true, type: String, format: 'date-time' }) last_turn_at: string | null;
  @ApiProperty({ description: 'requests waiting for their answer now (docs/requests.md)' }) requests_open: number;
  @ApiProperty({ type: 'object', additionalProperties: { type: 'number' }, example: { permission: 1 }, description: 'open requests by kind' })
  requests_open_by_kind: Record<string, number>;
  @ApiProperty({ nullable: true, type: Number, description: 'how long the oldest open request has waited, in seconds' }) requests_longest_wait_s: number | null;
  @ApiProperty({ type: [DayCountDto], description: '14 UTC days, oldest first, today last' }) turns_per_day: DayCountDto[];
}

export class AdminTurnRowDto {
  @ApiProperty({ format: 'uuid' }) turn_id: string;
  @ApiProperty({ format: 'uuid' }) user_id: string;
  @ApiProperty({ nullable: true, type: String }) user_email: string | null;
  @ApiProperty() session_id: string;
  @ApiProperty() backend: string;
  @ApiProperty({ format: 'date-time' }) started_at: string;
  @ApiProperty({ nullable: true, type: String, format: 'date-time' }) finished_at: string | null;
  @ApiProperty() user_message: string;
  @ApiProperty({ nullable: true, type: String }) response: string | null;
  @ApiProperty({ nullable: true, type: String }) error_code: string | null;
  @ApiProperty({ nullable: true, type: Number }) duration_ms: number | null;
  @ApiProperty({ type: [String] }) used_tools: string[];
  @ApiProperty({ type: [Number] }) rows_seen: number[];
  @ApiProperty() chip_count: number;
  @ApiProperty({ nullable: true, type: String }) classifier_tag: string | null;
  @ApiProperty({ nullable: true, type: String }) page_origin: string | null;
}

export class AdminTurnsQueryDto {
  @ApiPropertyOptional({ minimum: 1, maximum: 500, default: 50 })
  @IsOptional()
  @Type(() => Number)
  @IsInt()
  @Min(1)
  @Max(500)
  limit?: number;
}
