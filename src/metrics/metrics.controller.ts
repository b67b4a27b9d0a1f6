import { Controller, Get, Header, Res } from '@nestjs/common';
import { ApiOperation, ApiProduces, ApiTags } from '@nestjs/swagger';
import type { Response } from 'express';
import { AdminRoute } from '../auth/route-access.js';
import { ApiErrors } from '../http/api-errors.js';
import { MetricsService } from './metrics.service.js';

/** Prometheus metrics for admin callers on the main port; PALIADIN_METRICS_PORT serves them to a scraper without auth. */
@ApiTags('admin')
@ApiErrors(404, 503)
@AdminRoute()
@Controller('metrics')
export class MetricsController {
  constructor(private readonly metrics: MetricsService) {}

  @Get()
  @ApiOperation({
    summary: 'Prometheus metrics (text format)',
    description: 'For an owner or an admin API key. A scraper on a private network can use PALIADIN_METRICS_PORT instead, without auth (docs/metrics.md).',
  })
  @ApiProduces('text/plain')
  @Header('Cache-Control', 'no-store')
  async scrape(@Res() res: Response): Promise<void> {
    const { contentType, body } = await this.metrics.text();
    res.type(contentType).send(body);
  }
}
