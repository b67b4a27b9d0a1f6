import { Global, Module } from '@nestjs/common';
import { TURN_REQUESTS } from '../paliadin/turn-requests.js';
import { PaliadinModule } from '../paliadin/paliadin.module.js';
import { SessionsModule } from '../sessions/sessions.module.js';
import { RequestHub } from './request-hub.js';
import { RequestSweep } from './request-sweep.js';
import { RequestsController } from './requests.controller.js';
import { RequestsService } from './requests.service.js';

/**
 * The agent asks, the caller answers (docs/requests.md). It depends on the
 * turn path and sessions, never the other way round: the turn path declares
 * the TURN_REQUESTS port, and this module binds it (global, so the turn
 * runners find it without importing this module).
 */
@Global()
@Module({
  imports: [PaliadinModule, SessionsModule],
  controllers: [RequestsController],
  providers: [RequestHub, RequestsService, RequestSweep, { provide: TURN_REQUESTS, useExisting: RequestHub }],
  exports: [TURN_REQUESTS, RequestHub],
})
export class RequestsModule {}
