import { Module } from '@nestjs/common';
import { BackendsModule } from '../backends/backends.module.js';
import { AgentSessionQueue } from './agent-session-queue.js';
import { TurnAdmissions } from './turn-admissions.js';
import { TurnAdoption } from './turn-adoption.js';
import { TurnEventLog } from './turn-event-log.js';
import { TurnEventWriter } from './turn-event-writer.js';
import { TurnFeeds } from './turn-feeds.js';
import { TurnJanitor } from './turn-janitor.js';
import { TurnRecovery } from './turn-recovery.js';
import { TurnRunners } from './turn-runners.js';
import { TurnStream } from './turn-stream.js';
import { TurnService } from './turn.service.js';
import { TurnsController } from './turns.controller.js';

/**
 * A turn's path, one direction: TurnsController -> TurnService (TurnAdmissions puts it in) -> TurnRunners/TurnRun
 * (the backend's Observable) -> TurnEventWriter/TurnEventLog (number, persist, NOTIFY
 * and publish locally) -> TurnFeeds -> TurnStream (the SSE response).
 */
@Module({
  imports: [BackendsModule],
  controllers: [TurnsController],
  providers: [
    TurnService,
    TurnAdmissions,
    TurnRunners,
    TurnAdoption,
    AgentSessionQueue,
    TurnEventLog,
    TurnEventWriter,
    TurnFeeds,
    TurnStream,
    TurnJanitor,
    TurnRecovery,
  ],
  exports: [TurnEventLog, TurnRunners, TurnFeeds, TurnJanitor, TurnRecovery, TurnService],
})
export class PaliadinModule {}
