import { Controller, Get } from '@nestjs/common';
import { ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import { AdminRoute } from '../auth/route-access.js';
import { ApiErrors } from '../http/api-errors.js';
import { FailingWebhookListDto } from './dto/webhook.dto.js';
import { WebhooksService } from './webhooks.service.js';

/** Operators' view of webhooks (the dashboard): an owner, or a key with `paliadin:admin`; everyone else the unrouted 404. */
@ApiTags('admin')
@ApiErrors(404, 503)
@AdminRoute()
@Controller('api/admin/webhooks')
export class WebhooksAdminController {
  constructor(private readonly webhooks: WebhooksService) {}

  @Get('failing')
  @ApiOperation({
    summary: "Every user's webhooks that fail or were disabled",
    description: 'Worst first: disabled endpoints, then by deliveries whose last attempt failed; with the latest failure.',
  })
  @ApiOkResponse({ type: FailingWebhookListDto })
  async failing(): Promise<FailingWebhookListDto> {
    return { webhooks: await this.webhooks.failing() };
  }
}
