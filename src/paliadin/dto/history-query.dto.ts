import { ApiPropertyOptional } from '@nestjs/swagger';
import { Transform } from 'class-transformer';
import { IsInt, IsOptional, IsString, MaxLength, Min } from 'class-validator';

export const HISTORY_MAX = 200;

export class HistoryQueryDto {
  @ApiPropertyOptional({ maxLength: 128, description: 'The browser session id; empty gives an empty list' })
  @IsOptional()
  @IsString()
  @MaxLength(128)
  session?: string;

  @ApiPropertyOptional({ default: 50, maximum: HISTORY_MAX, description: 'Values above 200 are capped at 200' })
  @IsOptional()
  @Transform(({ value }: { value: unknown }) => (typeof value === 'string' && /^\d+$/.test(value) ? Math.min(Number(value), HISTORY_MAX) : value))
  @IsInt({ message: 'limit must be a whole number' })
  @Min(1)
  limit?: number;
}
