import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { Type } from 'class-transformer';
import { ArrayMaxSize, ArrayMinSize, IsArray, IsBoolean, IsIn, IsInt, IsOptional, IsString, Max, MaxLength, Min } from 'class-validator';

/** What a webhook may subscribe to (docs/webhooks.md). `webhook.test` is only ever sent by the test route. */
export const WEBHOOK_EVENTS = ['turn.completed', 'turn.failed', 'turn.late_answer', 'session.ended', 'request.created'] as const;
export type WebhookEvent = (typeof WEBHOOK_EVENTS)[number];

export class CreateWebhookDto {
  @ApiProperty({ example: 'https://ci.example.com/paliadin-hook', description: 'http or https; not a private, loopback or link-local address' })
  @IsString()
  @MaxLength(2000)
  url!: string;

  @ApiProperty({ enum: WEBHOOK_EVENTS, isArray: true, example: ['turn.completed', 'turn.failed'] })
  @IsArray()
  @ArrayMinSize(1, { message: 'events must name at least one event' })
  @ArrayMaxSize(WEBHOOK_EVENTS.length)
  @IsIn(WEBHOOK_EVENTS, { each: true, message: `events must each be one of ${WEBHOOK_EVENTS.join(', ')}` })
  events!: WebhookEvent[];

  @ApiPropertyOptional({ maxLength: 500 })
  @IsOptional()
  @IsString()
  @MaxLength(500)
  description?: string;

  @ApiPropertyOptional({ description: "Every user's events, not only the caller's: owners and admin keys only", default: false })
  @IsOptional()
  @IsBoolean()
  all_users?: boolean;
}

export class WebhookDto {
  @ApiProperty({ format: 'uuid' }) id!: string;
  @ApiProperty() url!: string;
  @ApiProperty({ enum: WEBHOOK_EVENTS, isArray: true }) events!: string[];
  @ApiProperty({ nullable: true, type: String }) description!: string | null;
  @ApiProperty() all_users!: boolean;
  @ApiProperty({ description: 'false once the endpoint answered 410 Gone' }) enabled!: boolean;
  @ApiProperty({ nullable: true, type: String }) disabled_reason!: string | null;
  @ApiProperty({ description: 'Deliveries whose last attempt failed (waiting for a retry, or given up)' }) failing!: number;
  @ApiProperty({ format: 'date-time' }) created_at!: string;
}

export class CreatedWebhookDto extends WebhookDto {
  @ApiProperty({ description: 'The signing secret (whsec_...): shown this once, never again', example: 'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw' })
  secret!: string;
}

export class WebhookListDto {
  @ApiProperty({ type: [WebhookDto] }) webhooks!: WebhookDto[];
}

export class DeliveryAttemptDto {
  @ApiProperty({ example: 'msg_2b8f0c7e6c1d4e0f9a3b5c7d9e1f2a3b' }) message_id!: string;
  @ApiProperty({ example: 'turn.completed' }) event!: string;
  @ApiProperty({ description: '0: not tried yet' }) attempt!: number;
  @ApiProperty({ enum: ['pending', 'delivered', 'retry', 'failed', 'disabled'] }) status!: string;
  @ApiPropertyOptional({ type: Number }) response_code?: number;
  @ApiPropertyOptional() error?: string;
  @ApiProperty({ format: 'date-time' }) at!: string;
  @ApiPropertyOptional({ format: 'date-time', description: 'When the next attempt is due, on the latest attempt of a delivery still pending' })
  next_attempt_at?: string;
}

export class DeliveryListDto {
  @ApiProperty({ type: [DeliveryAttemptDto] }) deliveries!: DeliveryAttemptDto[];
}

export class DeliveriesQueryDto {
  @ApiPropertyOptional({ minimum: 1, maximum: 500, default: 50 })
  @IsOptional()
  @Type(() => Number)
  @IsInt({ message: 'limit must be an integer' })
  @Min(1, { message: 'limit must be at least 1' })
  @Max(500, { message: 'limit must be at most 500' })
  limit?: number;
}

export class FailingWebhookDto {
  @ApiProperty({ format: 'uuid' }) id!: string;
  @ApiProperty() url!: string;
  @ApiProperty({ format: 'uuid' }) user_id!: string;
  @ApiProperty({ nullable: true, type: String }) user_email!: string | null;
  @ApiProperty() enabled!: boolean;
  @ApiProperty({ nullable: true, type: String }) disabled_reason!: string | null;
  @ApiProperty({ description: 'Deliveries whose last attempt failed' }) failing!: number;
  @ApiProperty({ nullable: true, type: String, description: 'The latest failed attempt: its error or status code' }) last_error!: string | null;
  @ApiProperty({ nullable: true, type: String, format: 'date-time' }) last_failed_at!: string | null;
}

export class FailingWebhookListDto {
  @ApiProperty({ type: [FailingWebhookDto] }) webhooks!: FailingWebhookDto[];
}

export class TestSentDto {
  @ApiProperty() message_id!: string;
}
