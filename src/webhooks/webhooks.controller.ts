import { BadRequestException, Body, Controller, Delete, Get, HttpCode, Param, ParseUUIDPipe, Post, Query } from '@nestjs/common';
import { ApiAcceptedResponse, ApiBearerAuth, ApiCreatedResponse, ApiNoContentResponse, ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import { CurrentUser } from '../auth/current-user.decorator.js';
import type { Principal } from '../auth/principal.js';
import { ApiErrors } from '../http/api-errors.js';
import { CreateWebhookDto, CreatedWebhookDto, DeliveriesQueryDto, DeliveryListDto, TestSentDto, WebhookDto, WebhookListDto } from './dto/webhook.dto.js';
import { WebhooksService } from './webhooks.service.js';

const Id = new ParseUUIDPipe({ exceptionFactory: () => new BadRequestException('id must be a UUID') });

/**
 * Webhooks (docs/webhooks.md): any signed-in caller, for their own events;
 * an API key needs the scopes of the events it subscribes to.
 */
@ApiTags('webhooks')
@ApiBearerAuth()
@ApiErrors(401, 403, 404, 503)
@Controller('api/webhooks')
export class WebhooksController {
  constructor(private readonly webhooks: WebhooksService) {}

  @Post()
  @ApiOperation({
    summary: 'Register a webhook',
    description:
      'Signed per Standard Webhooks (webhook-id, webhook-timestamp, webhook-signature). The secret is in this answer only. ' +
      "all_users (every user's events) needs an owner or an admin key; an API key needs paliadin:read for turn.* and request.created, " +
      'sessions:read for session.ended. 400 names the field: a url that is not http(s), or whose host is private, loopback or link-local.',
  })
  @ApiCreatedResponse({ type: CreatedWebhookDto })
  @ApiErrors(400, 429)
  create(@CurrentUser() p: Principal, @Body() body: CreateWebhookDto): Promise<CreatedWebhookDto> {
    return this.webhooks.create(p, body);
  }

  @Get()
  @ApiOperation({ summary: "The caller's webhooks", description: 'Secrets are never shown again; failing counts deliveries whose last attempt failed.' })
  @ApiOkResponse({ type: WebhookListDto })
  async list(@CurrentUser() p: Principal): Promise<WebhookListDto> {
    return { webhooks: await this.webhooks.list(p) };
  }

  @Get(':id')
  @ApiOperation({ summary: 'One webhook' })
  @ApiOkResponse({ type: WebhookDto })
  @ApiErrors(400)
  get(@CurrentUser() p: Principal, @Param('id', Id) id: string): Promise<WebhookDto> {
    return this.webhooks.get(p, id);
  }

  @Delete(':id')
  @HttpCode(204)
  @ApiOperation({ summary: 'Remove a webhook', description: 'Its pending deliveries go with it.' })
  @ApiNoContentResponse()
  @ApiErrors(400)
  async remove(@CurrentUser() p: Principal, @Param('id', Id) id: string): Promise<void> {
    await this.webhooks.remove(p, id);
  }

  @Post(':id/test')
  @HttpCode(202)
  @ApiOperation({ summary: 'Send a webhook.test event now', description: 'Delivered, signed and retried like any other message; see its deliveries.' })
  @ApiAcceptedResponse({ type: TestSentDto })
  @ApiErrors(400, 429)
  test(@CurrentUser() p: Principal, @Param('id', Id) id: string): Promise<TestSentDto> {
    return this.webhooks.test(p, id);
  }

  @Get(':id/deliveries')
  @ApiOperation({
    summary: "A webhook's delivery attempts, newest first",
    description: 'Each attempt with its status and code; the next attempt when one is due.',
  })
  @ApiOkResponse({ type: DeliveryListDto })
  @ApiErrors(400)
  async deliveries(@CurrentUser() p: Principal, @Param('id', Id) id: string, @Query() q: DeliveriesQueryDto): Promise<DeliveryListDto> {
    return { deliveries: await this.webhooks.deliveries(p, id, q.limit ?? 50) };
  }
}
