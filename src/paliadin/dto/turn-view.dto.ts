import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';

/** A turn as its owner sees it (docs/api.md). */
export class TurnViewDto {
  @ApiProperty({ format: 'uuid' }) turn_id: string;
  @ApiProperty({ format: 'date-time' }) started_at: string;
  @ApiProperty({ format: 'date-time', nullable: true, type: String }) finished_at: string | null;
  @ApiProperty({ nullable: true, type: String }) response: string | null;
  @ApiProperty({ nullable: true, type: String, example: 'timeout' }) error_code: string | null;
  @ApiProperty({ nullable: true, type: Number }) duration_ms: number | null;
  @ApiProperty({ type: [String] }) used_tools: string[];
  @ApiProperty({ type: [Number] }) rows_seen: number[];
  @ApiProperty() chip_count: number;
  @ApiProperty({ nullable: true, type: String }) classifier_tag: string | null;
}

/** History and admin rows add who asked what, where. */
export class TurnHistoryRowDto extends TurnViewDto {
  @ApiProperty() user_message: string;
  @ApiProperty() session_id: string;
  @ApiPropertyOptional({ nullable: true, type: String }) page_origin: string | null;
  @ApiProperty({ example: 'local' }) backend: string;
  @ApiProperty({ format: 'uuid' }) user_id: string;
}

export class RecoveredTurnDto extends TurnViewDto {
  @ApiProperty({ enum: ['recovered', 'pending', 'lost'] }) recovery_state: 'recovered' | 'pending' | 'lost';
}

export class OkDto {
  @ApiProperty({ example: true }) ok: true;
}
