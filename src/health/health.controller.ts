import { Controller, Get, Inject, Res, ServiceUnavailableException } from '@nestjs/common';
import { ApiOkResponse, ApiServiceUnavailableResponse, ApiTags } from '@nestjs/swagger';
import { HealthCheckService, HealthIndicatorService, TypeOrmHealthIndicator, type HealthCheckResult } from '@nestjs/terminus';
import type { Response } from 'express';
import { Public } from '../auth/route-access.js';
import { PALIADIN_BACKEND, type PaliadinBackend } from '../backends/backend.interface.js';

/** Liveness and readiness: the database answers, and the backend can take turns. */
@ApiTags('health')
@Controller('health')
@Public()
export class HealthController {
  constructor(
    private readonly health: HealthCheckService,
    private readonly db: TypeOrmHealthIndicator,
    private readonly indicators: HealthIndicatorService,
    @Inject(PALIADIN_BACKEND) private readonly backend: PaliadinBackend,
  ) {}

  @Get()
  @ApiOkResponse({ description: 'Everything is up (the backend may report `disabled`)' })
  @ApiServiceUnavailableResponse({ description: 'The database or the backend is down; the body says which' })
  async check(@Res({ passthrough: true }) res: Response): Promise<HealthCheckResult> {
    try {
      return await this.health.check([() => this.db.pingCheck('database', { timeout: 1500 }), () => this.backendHealth()]);
    } catch (e) {
      // Terminus reports "down" as a 503 whose body is the full result; keep that body.
      if (e instanceof ServiceUnavailableException) {
        res.status(503);
        return e.getResponse() as HealthCheckResult;
      }
      throw e;
    }
  }

  private async backendHealth() {
    const session = this.indicators.check('backend');
    const h = await this.backend.health().catch((e: unknown) => ({ status: 'down' as const, detail: String(e) }));
    const data = { kind: this.backend.kind, state: h.status, ...(h.detail ? { detail: h.detail } : {}) };
    return h.status === 'down' ? session.down(data) : session.up(data);
  }
}
