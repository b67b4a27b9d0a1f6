import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { Transform, Type } from 'class-transformer';
import { IsNotEmpty, IsObject, IsOptional, IsString, MaxLength, ValidateNested } from 'class-validator';
import type { ClientToolDeclaration } from '../../contract/requests.js';
import { ClientToolsProperty, IsClientTools } from './client-tool.dto.js';

const CONTEXT_MAX = 2000;

/** Where the user was when they asked; every field optional, each at most 2,000 characters. */
export class TurnContextDto {
  @ApiPropertyOptional({ maxLength: CONTEXT_MAX, example: '/cases/42' })
  @IsOptional()
  @IsString()
  @MaxLength(CONTEXT_MAX)
  page_origin?: string;

  @ApiPropertyOptional({ maxLength: CONTEXT_MAX, example: 'case-detail' })
  @IsOptional()
  @IsString()
  @MaxLength(CONTEXT_MAX)
  route_name?: string;

  @ApiPropertyOptional({ maxLength: CONTEXT_MAX, example: 'case' })
  @IsOptional()
  @IsString()
  @MaxLength(CONTEXT_MAX)
  primary_entity_type?: string;

  @ApiPropertyOptional({ maxLength: CONTEXT_MAX, example: '42' })
  @IsOptional()
  @IsString()
  @MaxLength(CONTEXT_MAX)
  primary_entity_id?: string;

  @ApiPropertyOptional({ maxLength: CONTEXT_MAX, example: 'table' })
  @IsOptional()
  @IsString()
  @MaxLength(CONTEXT_MAX)
  view_mode?: string;

  @ApiPropertyOptional({ maxLength: CONTEXT_MAX, example: 'status=open' })
  @IsOptional()
  @IsString()
  @MaxLength(CONTEXT_MAX)
  filter_summary?: string;

  @ApiPropertyOptional({ maxLength: CONTEXT_MAX })
  @IsOptional()
  @IsString()
  @MaxLength(CONTEXT_MAX)
  user_selection_text?: string;
}

export class CreateTurnDto {
  @ApiProperty({ maxLength: 16_000, example: 'Welche Fälle sind diese Woche fällig?' })
  @Transform(({ value }: { value: unknown }) => (typeof value === 'string' ? value.trim() : value))
  @IsString()
  @IsNotEmpty()
  @MaxLength(16_000)
  user_message: string;

  @ApiPropertyOptional({ maxLength: 128, description: 'The browser session; a fresh uuid when missing' })
  @IsOptional()
  @IsString()
  @MaxLength(128)
  session_id?: string;

  @ApiPropertyOptional({ maxLength: CONTEXT_MAX })
  @IsOptional()
  @IsString()
  @MaxLength(CONTEXT_MAX)
  page_origin?: string;

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

export class TurnCreatedDto {
  @ApiProperty({ format: 'uuid' })
  turn_id: string;

  @ApiProperty({ example: '/api/paliadin/stream/2f0c…' })
  sse_url: string;
}
