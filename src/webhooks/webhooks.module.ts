import { Module } from '@nestjs/common';
import { WebhookDelivery } from './webhook-delivery.js';
import { WebhookSecrets } from './webhook-secret-store.js';
import { WebhooksAdminController } from './webhooks-admin.controller.js';
import { WebhooksController } from './webhooks.controller.js';
import { WebhooksService } from './webhooks.service.js';

/**
 * Webhooks (docs/webhooks.md). Nothing imports this module: what happens to
 * turns, sessions and requests reaches the outbox through the database
 * (paliadin_outbox_emit, called by triggers in the transaction of the
 * change), and this module only reads the outbox and delivers.
 */
@Module({
  controllers: [WebhooksController, WebhooksAdminController],
  providers: [WebhooksService, WebhookSecrets, WebhookDelivery],
})
export class WebhooksModule {}
