import { Module } from '@nestjs/common';
import { BackendsModule } from '../backends/backends.module.js';
import { PaliadinModule } from '../paliadin/paliadin.module.js';
import { SessionsController } from './sessions.controller.js';
import { SessionsService } from './sessions.service.js';
import { SessionScreen } from './session-screen.js';
import { SessionStream } from './session-stream.js';
import { SessionExpiry } from './session-expiry.js';

/** Agent sessions as a resource: /api/sessions (docs/sessions.md). */
@Module({
  imports: [BackendsModule, PaliadinModule],
  controllers: [SessionsController],
  providers: [SessionsService, SessionStream, SessionExpiry, SessionScreen],
  exports: [SessionsService],
})
export class SessionsModule {}
