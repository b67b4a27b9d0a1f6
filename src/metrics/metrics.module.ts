import { Global, Module } from '@nestjs/common';
import { MetricsController } from './metrics.controller.js';
import { MetricsPort } from './metrics-port.js';
import { MetricsService } from './metrics.service.js';

/** Prometheus metrics (docs/metrics.md); global, so every module can count what it does. */
@Global()
@Module({
  controllers: [MetricsController],
  providers: [MetricsService, MetricsPort],
  exports: [MetricsService],
})
export class MetricsModule {}
