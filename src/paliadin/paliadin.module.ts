import { Module } from '@nestjs/common';
import { BackendsModule } from '../backends/backends.module.js';

/** Turns REST, the @Sse stream, the event log and the janitor (turn-pipeline issue). */
@Module({ imports: [BackendsModule] })
export class PaliadinModule {}
