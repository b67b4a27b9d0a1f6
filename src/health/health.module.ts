import { Module } from '@nestjs/common';
import { TerminusModule } from '@nestjs/terminus';
import { AuthModule } from '../auth/auth.module.js';
import { BackendsModule } from '../backends/backends.module.js';
import { HealthController } from './health.controller.js';

@Module({ imports: [TerminusModule.forRoot({ logger: false }), BackendsModule, AuthModule], controllers: [HealthController] })
export class HealthModule {}
